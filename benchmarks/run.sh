#!/usr/bin/env bash
# SoftGen's CPU benchmark, then the same workload in PyTorch, in one run; prints both JSON objects and a table of
# SoftGen / PyTorch ratios. See BENCHMARKS.md.
#
#   benchmarks/run.sh [--batch 256] [--hidden 512] [--threads 2] [--repeats 3] [--epochs 5] [--infer-batch 1024]
#   benchmarks/run.sh --gemm [--batch 256] [--hidden 512] [--threads 2]   # fp32 peak, GEMM GFLOP/s, step phases
#   benchmarks/run.sh --sweep [--threads 2] [--repeats 3]                 # batch 64/256/1024, hidden 128/512/1024
#
# Needs the .NET 10 SDK, Fashion-MNIST (apt-get install dataset-fashion-mnist) and, for the reference, Debian's
# PyTorch with OpenBLAS (apt-get install python3-torch libopenblas0-pthread; without OpenBLAS torch falls back to the
# reference BLAS). OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for PyTorch so that OpenBLAS picks its own
# kernel for this processor.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=compare
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --gemm) mode=gemm; shift ;;
    --sweep) mode=sweep; shift ;;
    --batch|--hidden|--threads|--repeats|--epochs|--infer-batch|--data)
      [ $# -ge 2 ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }
      args+=("$1" "$2"); shift 2 ;;
    *) echo "run.sh: unknown argument '$1' (see the comment at the top of benchmarks/run.sh)" >&2; exit 2 ;;
  esac
done

dotnet build benchmarks/SoftGen.Benchmarks -c Release -nologo -v q >/dev/null
softgen() { dotnet benchmarks/SoftGen.Benchmarks/bin/Release/net10.0/SoftGen.Benchmarks.dll "$@"; }
pytorch() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 benchmarks/pytorch_mlp.py "$@"; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

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
print(f"model {d['model']}, batch {d['batch']}, {d['threads']} threads\n")
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

compare() { # $1: label, rest: arguments for both programs
  local label=$1; shift
  softgen --mode train "$@" > "$out/$label.softgen.json"
  pytorch "$@" > "$out/$label.pytorch.json"
}

table() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
rows = []
for label in sys.argv[2:]:
    s = json.load(open(f"{sys.argv[1]}/{label}.softgen.json"))
    t = json.load(open(f"{sys.argv[1]}/{label}.pytorch.json"))
    rows.append((s["result"], t["result"], s["machine"]["load_average"], t["machine"]["load_average"]))
def acc(r): return "-" if r["test_accuracy"] is None else f"{r['test_accuracy']:.4f}"
print(f"\n{'model':<17}{'batch':>6} | {'train samples/s':^29} | {'infer samples/s':^29} | {'test accuracy':^15} | {'peak RSS MB':^15} | SoftGen B/step")
print(f"{'':<17}{'':>6} | {'SoftGen':>9}{'PyTorch':>10}{'ratio':>8}   | {'SoftGen':>9}{'PyTorch':>10}{'ratio':>8}   | {'SoftGen':>7}{'PyTorch':>8} | {'SoftGen':>7}{'PyTorch':>8} |")
for s, t, ls, lt in rows:
    print(f"{s['model']:<17}{s['batch']:>6} | {s['train_samples_per_second']:9,.0f}{t['train_samples_per_second']:10,.0f}"
          f"{s['train_samples_per_second'] / t['train_samples_per_second']:7.2f}x   | {s['infer_samples_per_second']:9,.0f}"
          f"{t['infer_samples_per_second']:10,.0f}{s['infer_samples_per_second'] / t['infer_samples_per_second']:7.2f}x   | "
          f"{acc(s):>7}{acc(t):>8} | {s['peak_working_set_mb']:7.0f}{t['peak_working_set_mb']:8.0f} | "
          f"{s['bytes_per_step_all_threads']:.0f}")
print(f"\n{rows[0][0]['threads']} threads; best of the timed epochs (training) and passes (inference, batch {rows[0][0]['infer_batch']}); "
      f"load average (1/5/15 min) at the end of each run: " + "; ".join(f"{s['model']} b{s['batch']}: SoftGen {ls.split()[0]}, PyTorch {lt.split()[0]}" for s, t, ls, lt in rows))
PY
}

if [ "$mode" = compare ]; then
  compare main "${args[@]}"
  echo "== SoftGen"; cat "$out/main.softgen.json"
  echo "== PyTorch"; cat "$out/main.pytorch.json"
  table "$out" main
  exit 0
fi

# Sweep: speed only (no accuracy epochs unless --epochs is given), batch sizes at hidden 512, widths at batch 256.
labels=()
for batch in 64 256 1024; do compare "b$batch" --epochs 0 "${args[@]}" --batch "$batch" --hidden 512; labels+=("b$batch"); done
for hidden in 128 1024; do compare "h$hidden" --epochs 0 "${args[@]}" --batch 256 --hidden "$hidden"; labels+=("h$hidden"); done
table "$out" "${labels[@]}"
