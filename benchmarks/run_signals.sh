#!/usr/bin/env bash
# The signals benchmark (issue 14): SoftGen's EegNet, then the same model in PyTorch (benchmarks/pytorch_signals.py),
# alternately; prints every JSON object and a table of SoftGen / PyTorch ratios. See BENCHMARKS.md, "Signals".
#
#   benchmarks/run_signals.sh [--batch 64] [--threads 2] [--steps 100] [--infer-batch 1024] [--data DIR]
#   benchmarks/run_signals.sh --accuracy --data DIR [--epochs 5]   # PyTorch's training run on the example's data
#
#   --runs N     run the comparison N times, SoftGen and PyTorch alternately; the table takes the best speed of each
#                (other work on the machine only ever slows a run down) and shows the range of every run
#   --out DIR    keep every JSON result in DIR (default: a temporary folder)
#   --data DIR   the folder of `examples/Signals --write-data DIR`: PyTorch times its training windows (SoftGen's
#                benchmark always times standard-normal signals; the speed does not depend on the values)
#
# SoftGen's side is `benchmarks/SoftGen.CnnBenchmark --model signals --mode train` (training and inference samples/s,
# bytes allocated per step, GFLOP/s). PyTorch's inference figure is its best of plain eval mode and batch norms folded
# into the convolutions, at --batch and --infer-batch, as SoftGen's is its best of the two batch sizes. Needs the .NET
# 10 SDK and Debian's PyTorch (apt-get install python3-torch libopenblas0-pthread); PyTorch runs under the fastest
# OpenBLAS core type (benchmarks/common.sh).
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
parse_arguments run_signals.sh "$@"
# Both programs time the same number of steps and the same batch unless told otherwise.
[[ " ${args[*]} " == *" --steps "* ]] || args+=(--steps 100)
[[ " ${args[*]} " == *" --batch "* ]] || args+=(--batch 64)

choose_openblas_coretype
# shellcheck disable=SC2086  # peer_env's words are meant to split
pytorch() { env $peer_env /usr/bin/python3 benchmarks/pytorch_signals.py --threads "$threads" "$@"; }

if [ "$mode" = accuracy ]; then
  pytorch --train "${args[@]}" > "$out/signals.accuracy.pytorch.json"
  record_openblas "$out/signals.accuracy.pytorch.json"
  cat "$out/signals.accuracy.pytorch.json"
  exit 0
fi

project=benchmarks/SoftGen.CnnBenchmark
softgen_ok=true
if ! dotnet build "$project" -c Release -nologo -v q >/dev/null; then
  echo "run_signals.sh: $project did not build; PyTorch's figures only" >&2
  softgen_ok=false
fi
# SoftGen's benchmark takes --batch, --threads, --steps and --infer-batch (not --data or --epochs).
softgen_args=()
for ((i = 0; i < ${#args[@]}; i += 2)); do
  case "${args[i]}" in --data | --epochs) ;; *) softgen_args+=("${args[i]}" "${args[i + 1]}") ;; esac
done
softgen() { dotnet run -c Release --no-build --project "$project" -- --model signals --mode train "$@"; }

for ((run = 1; run <= runs; run++)); do
  if $softgen_ok; then
    if softgen "${softgen_args[@]}" > "$out/signals.$run.softgen.json" 2> "$out/signals.$run.softgen.err"; then
      echo "== SoftGen, run $run"; cat "$out/signals.$run.softgen.json"
    else
      echo "run_signals.sh: SoftGen.CnnBenchmark --model signals failed; PyTorch's figures only" >&2
      head -c 2000 "$out/signals.$run.softgen.err" >&2
      rm -f "$out/signals.$run.softgen.json"
      softgen_ok=false
    fi
  fi
  pytorch --speed "${args[@]}" > "$out/signals.$run.pytorch.json"
  record_openblas "$out/signals.$run.pytorch.json"
  echo "== PyTorch, run $run"; cat "$out/signals.$run.pytorch.json"
done

/usr/bin/python3 - "$out" "$runs" <<'PY'
import json, os, sys
out, runs = sys.argv[1], int(sys.argv[2])
def read(framework):
    paths = [f"{out}/signals.{r}.{framework}.json" for r in range(1, runs + 1)]
    return [json.load(open(p)) for p in paths if os.path.exists(p)]
s, t = read("softgen"), read("pytorch")
def spread(results, key):
    values = sorted(r[key] for r in results)
    return f"{values[0]:,.0f}-{values[-1]:,.0f}" if values else "-"
best = lambda results, key: max((r[key] for r in results), default=None)
columns = ("SoftGen", "PyTorch", "ratio", "SoftGen runs", "PyTorch runs")
print(f"\n{'':<28}" + "".join(f"{c:>14}" for c in columns))
for key in ("train_samples_per_second", "infer_samples_per_second", "train_gflop_per_second"):
    bs, bt = best(s, key), best(t, key)
    cells = [f"{bs:,}" if bs is not None else "-", f"{bt:,}", f"{bs / bt:.2f}" if bs is not None else "-", spread(s, key), spread(t, key)]
    print(f"{key:<28}" + "".join(f"{c:>14}" for c in cells))
load = lambda result: "load {0}, {3} runnable".format(*result["load_average_at_start"].split())
print("\nper run (train / infer samples/s; /proc/loadavg at each start):")
for r, result in enumerate(t):
    softgen = f"SoftGen {s[r]['train_samples_per_second']:>7,.0f} / {s[r]['infer_samples_per_second']:>7,.0f} ({load(s[r])}), " if r < len(s) else ""
    print(f"  run {r + 1:>2}: {softgen}PyTorch {result['train_samples_per_second']:>7,.0f} / {result['infer_samples_per_second']:>7,.0f} ({load(result)})")
if s:
    print(f"\nbest of {runs} run(s); SoftGen bytes allocated per step: {max(r['bytes_allocated_per_step'] for r in s)}")
    print(f"SoftGen inference: {max(r['infer_samples_per_second_at_batch'] for r in s):,} samples/s at the training batch, "
          f"{max(r['infer_samples_per_second_at_infer_batch'] for r in s):,} at --infer-batch")
inference = {k: max(r["inference_samples_per_second"][k] for r in t) for k in t[0]["inference_samples_per_second"]}
print("PyTorch inference, best per variant: " + ", ".join(f"{k} {v:,}" for k, v in inference.items()))
o = t[0]["openblas"]
print(f"PyTorch on OpenBLAS core type {o['coretype']} (kernel {o['kernel']}), the fastest at the probe GEMM: "
      + ", ".join(f"{c} {f['gflops']} GFLOP/s" for c, f in o["candidates"].items()))
PY
