#!/usr/bin/env bash
# SoftGen's CPU benchmark, then the same workload in PyTorch, in one run; prints both JSON objects and a table of
# SoftGen / PyTorch ratios. See BENCHMARKS.md.
#
#   benchmarks/run.sh [--batch 256] [--hidden 512] [--threads 2] [--repeats 3] [--epochs 5] [--infer-batch 1024]
#   benchmarks/run.sh --gemm [--batch 256] [--hidden 512] [--threads 2]   # fp32 peak, GEMM GFLOP/s, step phases
#   benchmarks/run.sh --sweep [--threads 2] [--repeats 3]                 # batch 64/256/1024, hidden 128/512/1024
#
#   --runs N     run each comparison N times, SoftGen and PyTorch alternately; the table takes the best speed of each
#                (other work on the machine only ever slows a run down)
#   --out DIR    keep every JSON result in DIR (default: a temporary folder)
#
# Needs the .NET 10 SDK, Fashion-MNIST (apt-get install dataset-fashion-mnist) and, for the reference, Debian's
# PyTorch with OpenBLAS (apt-get install python3-torch libopenblas0-pthread; without OpenBLAS torch falls back to the
# reference BLAS). Before PyTorch runs, a short GEMM is timed under each OpenBLAS core type this processor can run,
# and PyTorch runs with the fastest (see benchmarks/common.sh); the choice and the figures go into every JSON result.
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/common.sh

mode=compare
value_options=(--batch --hidden --threads --repeats --epochs --infer-batch --data)
script_option() {
  case "$1" in
    --gemm) mode=gemm ;;
    --sweep) mode=sweep ;;
    *) return 1 ;;
  esac
}
parse_arguments run.sh "$@"

dotnet build benchmarks/SoftGen.Benchmarks -c Release -nologo -v q >/dev/null
softgen() { dotnet benchmarks/SoftGen.Benchmarks/bin/Release/net10.0/SoftGen.Benchmarks.dll "$@"; }
# shellcheck disable=SC2086  # peer_env's words are meant to split
pytorch() { env $peer_env /usr/bin/python3 benchmarks/pytorch_mlp.py "$@"; }

if [ "$mode" = gemm ]; then
  gemm_args=()
  for ((i = 0; i < ${#args[@]}; i += 2)); do
    case "${args[i]}" in --batch|--hidden|--threads|--data) gemm_args+=("${args[i]}" "${args[i+1]}") ;; esac
  done
  softgen --mode gemm "${gemm_args[@]}" > "$out/gemm.json"
  cat "$out/gemm.json"
  /usr/bin/python3 - "$out/gemm.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["peak"]
print(f"\nfp32 peak {d['peak_gflops_used']:.1f} GFLOP/s = {d['threads']} cores x {p['flops_per_cycle_per_core']:.1f} flop/cycle "
      f"({p['vector_fmas_per_cycle_per_core']:.2f} x {p['vector_bits']}-bit FMA x {p['lanes']} lanes x 2) x {max(p['clock_g_hz_one_thread'], p['clock_g_hz_all_threads']):.2f} GHz"
      f"; FMA loop on {d['threads']} threads: {p['gflops_all_threads']:.1f} GFLOP/s")
print(f"model {d['model']}, batch {d['batch']}, {d['threads']} threads, load average at start {d['machine']['load_average_at_start'].split()[0]}\n")
print(f"{'phase':<11}{'us/step':>9}{'share':>8}   {'M x N x K':<18}{'GFLOP/s':>9}{'% peak':>8}")
for ph in d["phases"]:
    share = ph["microseconds_per_step"] / d["step_microseconds"]
    size = f"{ph['m']} x {ph['n']} x {ph['k']}" if ph["kind"] == "gemm" else ph["kind"]
    rate = f"{ph['gflops']:9.1f}{ph['percent_of_peak']:7.1f}%" if ph["kind"] == "gemm" else ""
    print(f"{ph['name']:<11}{ph['microseconds_per_step']:9.1f}{share:8.1%}   {size:<18}{rate}")
print(f"{'step':<11}{d['step_microseconds']:9.1f}{1:8.1%}   = {d['step_samples_per_second']:,.0f} samples/s (sum of the best time of each phase)")
print(f"all GEMMs: {d['gemm_gflops']:.1f} GFLOP/s = {d['gemm_percent_of_peak']:.1f}% of peak, {d['gemm_share_of_step']:.1%} of the step")
PY
  exit 0
fi

compare() { # $1: label, rest: arguments for both programs; each run writes $out/$label.$run.{softgen,pytorch}.json
  local label=$1; shift
  for ((run = 1; run <= runs; run++)); do
    softgen --mode train "$@" > "$out/$label.$run.softgen.json"
    pytorch "$@" > "$out/$label.$run.pytorch.json"
    record_openblas "$out/$label.$run.softgen.json" "$out/$label.$run.pytorch.json"
  done
}

table() {
  /usr/bin/python3 - "$out" "$runs" "$@" <<'PY'
import json, sys
out, runs, labels = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def load(label, framework):
    return [json.load(open(f"{out}/{label}.{r}.{framework}.json")) for r in range(1, runs + 1)]
def best(results, key): return max(r["result"][key] for r in results)
def acc(results):
    a = results[0]["result"]["test_accuracy"]
    return "-" if a is None else f"{a:.4f}"
loads = [float(r["machine"]["load_average_at_start"].split()[0]) for label in labels for f in ("softgen", "pytorch") for r in load(label, f)]
print(f"\n{'model':<17}{'batch':>6} | {'train samples/s':^29} | {'infer samples/s':^29} | {'test accuracy':^15} | {'peak RSS MB':^15} | SoftGen B/step")
print(f"{'':<17}{'':>6} | {'SoftGen':>9}{'PyTorch':>10}{'ratio':>8}   | {'SoftGen':>9}{'PyTorch':>10}{'ratio':>8}   | {'SoftGen':>7}{'PyTorch':>8} | {'SoftGen':>7}{'PyTorch':>8} |")
for label in labels:
    s, t = load(label, "softgen"), load(label, "pytorch")
    r = s[0]["result"]
    st, tt = best(s, "train_samples_per_second"), best(t, "train_samples_per_second")
    si, ti = best(s, "infer_samples_per_second"), best(t, "infer_samples_per_second")
    print(f"{r['model']:<17}{r['batch']:>6} | {st:9,.0f}{tt:10,.0f}{st / tt:7.2f}x   | {si:9,.0f}{ti:10,.0f}{si / ti:7.2f}x   | "
          f"{acc(s):>7}{acc(t):>8} | {best(s, 'peak_working_set_mb'):7.0f}{best(t, 'peak_working_set_mb'):8.0f} | "
          f"{max(x['result']['bytes_per_step_all_threads'] for x in s):.0f}")
r = load(labels[0], "softgen")[0]["result"]
print(f"\n{r['threads']} threads; best of {runs} run(s) x {len(r['train_samples_per_second_runs'])} timed epochs (training) and "
      f"{len(r['infer_samples_per_second_runs'])} passes (inference, batch {r['infer_batch']}); accuracy after {r['accuracy_epochs']} epochs of the first run; "
      f"1-minute load average when the runs started: {min(loads):.2f} to {max(loads):.2f}")
o = load(labels[0], "pytorch")[0]["openblas"]
print(f"PyTorch on OpenBLAS core type {o['coretype']} (kernel {o['kernel']}), the fastest at the probe GEMM: "
      + ", ".join(f"{c} {f['gflops']} GFLOP/s" for c, f in o["candidates"].items()))
PY
}

choose_openblas_coretype

if [ "$mode" = compare ]; then
  compare main "${args[@]}"
  for ((run = 1; run <= runs; run++)); do
    echo "== SoftGen, run $run"; cat "$out/main.$run.softgen.json"
    echo "== PyTorch, run $run"; cat "$out/main.$run.pytorch.json"
  done
  table main
  exit 0
fi

# Sweep: speed only (no accuracy epochs unless --epochs is given), batch sizes at hidden 512, widths at batch 256.
labels=()
for batch in 64 256 1024; do compare "b$batch" --epochs 0 "${args[@]}" --batch "$batch" --hidden 512; labels+=("b$batch"); done
for hidden in 128 1024; do compare "h$hidden" --epochs 0 "${args[@]}" --batch 256 --hidden "$hidden"; labels+=("h$hidden"); done
table "${labels[@]}"
