#!/usr/bin/env bash
# The ResNet benchmark (issue 13): SoftGen, then the same model in PyTorch (benchmarks/pytorch_resnet.py, NCHW and
# channels-last), in one run; prints both JSON objects and a table of SoftGen / PyTorch ratios. See BENCHMARKS.md.
#
#   benchmarks/run_resnet.sh [--batch 128] [--threads 2] [--steps 200] [--infer-batch 1024]
#   benchmarks/run_resnet.sh --accuracy [--epochs 5]   # PyTorch's 5-epoch training run: test accuracy, NLL, ECE
#
#   --runs N     run the comparison N times, SoftGen and PyTorch alternately; the table takes the best speed of each
#                (other work on the machine only ever slows a run down) and shows the range of every run
#   --out DIR    keep every JSON result in DIR (default: a temporary folder)
#
# SoftGen's side is `benchmarks/SoftGen.CnnBenchmark --model resnet --mode train`, which prints the same fields as for
# the CNN (train_samples_per_second, infer_samples_per_second, bytes_allocated_per_step, ...) with a "model" that
# contains "ResNet"; without it (no such option yet) the table shows PyTorch alone. PyTorch's side times
# both memory formats in each run; the table compares SoftGen with PyTorch's best layout for each figure, and
# PyTorch's inference figure is its best of plain eval mode and batch norms folded into the convolutions, at --batch
# and --infer-batch. Needs the .NET 10 SDK, Fashion-MNIST (apt-get install dataset-fashion-mnist) and Debian's PyTorch
# (apt-get install python3-torch libopenblas0-pthread); PyTorch runs under the fastest OpenBLAS core type
# (benchmarks/common.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh

mode=compare
value_options=(--batch --threads --steps --infer-batch --data --epochs)
script_option() {
  case "$1" in
    --accuracy) mode=accuracy ;;
    *) return 1 ;;
  esac
}
parse_arguments run_resnet.sh "$@"
# Both programs time the same number of steps unless --steps says otherwise.
[[ " ${args[*]} " == *" --steps "* ]] || args+=(--steps 200)

choose_openblas_coretype
# shellcheck disable=SC2086  # peer_env's words are meant to split
pytorch() { env $peer_env /usr/bin/python3 benchmarks/pytorch_resnet.py --threads "$threads" "$@"; }

if [ "$mode" = accuracy ]; then
  pytorch --train "${args[@]}" > "$out/resnet.accuracy.pytorch.json"
  record_openblas "$out/resnet.accuracy.pytorch.json"
  cat "$out/resnet.accuracy.pytorch.json"
  exit 0
fi

project=benchmarks/SoftGen.CnnBenchmark
softgen_ok=true
if [ ! -f "$project/SoftGen.CnnBenchmark.csproj" ] || ! dotnet build "$project" -c Release -nologo -v q >/dev/null; then
  echo "run_resnet.sh: $project did not build; PyTorch's figures only" >&2
  softgen_ok=false
fi
softgen() { dotnet run -c Release --no-build --project "$project" -- --model resnet --mode train "$@"; }

for ((run = 1; run <= runs; run++)); do
  if $softgen_ok; then
    # Before the integrator's change the benchmark ignores --model and times the CNN: only a ResNet result counts.
    if softgen "${args[@]}" > "$out/resnet.$run.softgen.json" 2> "$out/resnet.$run.softgen.err" &&
      /usr/bin/python3 -c 'import json, sys; sys.exit("resnet" not in json.load(open(sys.argv[1])).get("model", "").lower())' "$out/resnet.$run.softgen.json" 2>/dev/null; then
      record_openblas "$out/resnet.$run.softgen.json"
      echo "== SoftGen, run $run"; cat "$out/resnet.$run.softgen.json"
    else
      echo "run_resnet.sh: SoftGen.CnnBenchmark --model resnet gave no ResNet result (does it know the model yet?); PyTorch's figures only" >&2
      head -c 2000 "$out/resnet.$run.softgen.err" >&2
      rm -f "$out/resnet.$run.softgen.json"
      softgen_ok=false
    fi
  fi
  pytorch --speed "${args[@]}" > "$out/resnet.$run.pytorch.json"
  record_openblas "$out/resnet.$run.pytorch.json"
  echo "== PyTorch, run $run"; cat "$out/resnet.$run.pytorch.json"
done

/usr/bin/python3 - "$out" "$runs" <<'PY'
import json, os, sys
out, runs = sys.argv[1], int(sys.argv[2])
def read(framework):
    paths = [f"{out}/resnet.{r}.{framework}.json" for r in range(1, runs + 1)]
    return [json.load(open(p)) for p in paths if os.path.exists(p)]
s, t = read("softgen"), read("pytorch")
def spread(results, key):
    values = sorted(r[key] for r in results)
    return f"{values[0]:,.0f}-{values[-1]:,.0f}" if values else "-"
best = lambda results, key: max((r[key] for r in results), default=None)
columns = ("SoftGen", "PyTorch", "ratio", "NCHW", "NHWC", "SoftGen runs", "PyTorch runs")
print(f"\n{'':<28}" + "".join(f"{c:>14}" for c in columns))
for key in ("train_samples_per_second", "infer_samples_per_second", "train_gflop_per_second"):
    bs, bt = best(s, key), best(t, key)
    layouts = [best([r["formats"][f] for r in t], key) for f in ("contiguous", "channels_last")]
    cells = [f"{bs:,}" if bs is not None else "pending", f"{bt:,}", f"{bs / bt:.2f}" if bs is not None else "-",
             *(f"{v:,}" for v in layouts), spread(s, key), spread(t, key)]
    print(f"{key:<28}" + "".join(f"{c:>14}" for c in cells))
load = lambda result: "load {0}, {3} runnable".format(*result["load_average_at_start"].split())
print("\nper run (train / infer samples/s; /proc/loadavg at each start):")
for r, result in enumerate(t):
    softgen = f"SoftGen {s[r]['train_samples_per_second']:>7,.0f} / {s[r]['infer_samples_per_second']:>7,.0f} ({load(s[r])}), " if r < len(s) else ""
    print(f"  run {r + 1:>2}: {softgen}PyTorch {result['train_samples_per_second']:>7,.0f} / {result['infer_samples_per_second']:>7,.0f} ({load(result)})")
if s:
    print(f"\nbest of {runs} run(s); SoftGen bytes allocated per step: {max(r['bytes_allocated_per_step'] for r in s)}")
else:
    print("\nSoftGen: no figures (its benchmark is missing or does not know --model resnet yet)")
inference = {f: {k: max(r["formats"][f]["inference_samples_per_second"][k] for r in t) for k in t[0]["formats"][f]["inference_samples_per_second"]}
             for f in t[0]["formats"]}
print("PyTorch inference, best per variant: " + "; ".join(f"{f}: " + ", ".join(f"{k} {v:,}" for k, v in d.items()) for f, d in inference.items()))
o = t[0]["openblas"]
print(f"PyTorch on OpenBLAS core type {o['coretype']} (kernel {o['kernel']}), the fastest at the probe GEMM: "
      + ", ".join(f"{c} {f['gflops']} GFLOP/s" for c, f in o["candidates"].items()))
PY
