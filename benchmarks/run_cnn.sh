#!/usr/bin/env bash
# The CNN benchmark: SoftGen, then the same workload in PyTorch, in one run; prints both JSON objects and a table of
# SoftGen / PyTorch ratios. See BENCHMARKS.md.
#
#   benchmarks/run_cnn.sh [--batch 128] [--threads 2] [--steps 60] [--infer-batch 1024]
#   benchmarks/run_cnn.sh --phases [--batch 128] [--threads 2] [--passes 20]   # each kernel of a SoftGen step, with GFLOP/s
#
#   --runs N     run the comparison N times, SoftGen and PyTorch alternately; the table takes the best speed of each
#                (other work on the machine only ever slows a run down) and shows the range of every run
#   --out DIR    keep every JSON result in DIR (default: a temporary folder)
#   --torch-channels-last   PyTorch's model and data in channels-last memory format (oneDNN's preferred layout:
#                faster inference there); SoftGen is unchanged (it is channels-last inside already)
#
# Needs the .NET 10 SDK, Fashion-MNIST (apt-get install dataset-fashion-mnist) and Debian's PyTorch
# (apt-get install python3-torch libopenblas0-pthread). Before PyTorch runs, a short GEMM is timed under each OpenBLAS
# core type this processor can run, and PyTorch runs with the fastest (see benchmarks/common.sh); the choice and the
# figures go into every JSON result.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh

mode=compare
torch_args=()
value_options=(--batch --threads --steps --infer-batch --passes --data)
script_option() {
  case "$1" in
    --phases) mode=phases ;;
    --torch-channels-last) torch_args+=(--channels-last) ;;
    *) return 1 ;;
  esac
}
parse_arguments run_cnn.sh "$@"

dotnet build benchmarks/SoftGen.CnnBenchmark -c Release -nologo -v q >/dev/null
softgen() { dotnet benchmarks/SoftGen.CnnBenchmark/bin/Release/net10.0/SoftGen.CnnBenchmark.dll "$@"; }
# shellcheck disable=SC2086  # peer_env's words are meant to split
pytorch() { env $peer_env /usr/bin/python3 benchmarks/pytorch_cnn.py "$@"; }

if [ "$mode" = phases ]; then
  softgen --mode phases "${args[@]}" > "$out/phases.json"
  cat "$out/phases.json"
  /usr/bin/python3 - "$out/phases.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"\nbatch {d['batch']}, {d['threads']} threads, Vector512 accelerated: {d['vector512_hardware_accelerated']}, load average at start {d['load_average_at_start'].split()[0]}, at the end {d['load_average'].split()[0]}")
print(f"{'phase':<24}{'ms':>8}{'GFLOP/s':>9}")
for p in d["phases"]:
    rate = f"{p['gflop_per_second']:9.1f}" if p["gflop"] > 0 else ""
    print(f"{p['name']:<24}{p['milliseconds']:8.3f}{rate}")
total = sum(p["milliseconds"] for p in d["phases"] if p["name"] != "training step" and not p["name"].startswith("unfused"))
print(f"{'sum of the step phases':<24}{total:8.3f}")
PY
  exit 0
fi

choose_openblas_coretype
for ((run = 1; run <= runs; run++)); do
  softgen --mode train "${args[@]}" > "$out/cnn.$run.softgen.json"
  pytorch "${args[@]}" "${torch_args[@]}" > "$out/cnn.$run.pytorch.json"
  record_openblas "$out/cnn.$run.softgen.json" "$out/cnn.$run.pytorch.json"
  echo "== SoftGen, run $run"; cat "$out/cnn.$run.softgen.json"
  echo "== PyTorch, run $run"; cat "$out/cnn.$run.pytorch.json"
done

/usr/bin/python3 - "$out" "$runs" <<'PY'
import json, sys
out, runs = sys.argv[1], int(sys.argv[2])
read = lambda framework: [json.load(open(f"{out}/cnn.{r}.{framework}.json")) for r in range(1, runs + 1)]
s, t = read("softgen"), read("pytorch")
def spread(results, key):
    values = sorted(r[key] for r in results)
    return f"{values[0]:,.0f}-{values[-1]:,.0f}"
print(f"\n{'':<28}{'SoftGen':>12}{'PyTorch':>12}{'ratio':>8}   {'SoftGen runs':>16}{'PyTorch runs':>16}")
for key in ("train_samples_per_second", "infer_samples_per_second", "train_gflop_per_second"):
    bs, bt = max(r[key] for r in s), max(r[key] for r in t)
    print(f"{key:<28}{bs:>12,}{bt:>12,}{bs / bt:>8.2f}   {spread(s, key):>16}{spread(t, key):>16}")
def load(result):  # the 1-minute load average, and the threads runnable / existing at that moment
    fields = result["load_average_at_start"].split()
    return f"load {fields[0]}, {fields[3]} runnable"
print("\nper run (SoftGen train / infer, PyTorch train / infer; /proc/loadavg at each start):")
for r in range(runs):
    print(f"  run {r + 1:>2}: {s[r]['train_samples_per_second']:>7,.0f} / {s[r]['infer_samples_per_second']:>7,.0f} ({load(s[r])}), "
          f"{t[r]['train_samples_per_second']:>7,.0f} / {t[r]['infer_samples_per_second']:>7,.0f} ({load(t[r])})")
print(f"\nbest of {runs} run(s); SoftGen bytes allocated per step: {max(r['bytes_allocated_per_step'] for r in s)}")
o = t[0]["openblas"]
print(f"PyTorch on OpenBLAS core type {o['coretype']} (kernel {o['kernel']}), the fastest at the probe GEMM: "
      + ", ".join(f"{c} {f['gflops']} GFLOP/s" for c, f in o["candidates"].items()))
PY
