#!/usr/bin/env bash
# The CNN benchmark: SoftGen, then the same workload in PyTorch, in one run; prints both JSON objects and the
# SoftGen / PyTorch ratios. See BENCHMARKS.md.
#   benchmarks/run_cnn.sh [--batch 128] [--threads 2] [--steps 60] [--infer-batch 1024]
#   benchmarks/run_cnn.sh --phases [--batch 128] [--threads 2]     # each kernel of a SoftGen step, with GFLOP/s
# Needs the .NET 10 SDK, Fashion-MNIST (apt-get install dataset-fashion-mnist) and Debian's PyTorch
# (apt-get install python3-torch); OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are unset for PyTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build benchmarks/SoftGen.CnnBenchmark -c Release -nologo -v q >/dev/null
softgen() { dotnet benchmarks/SoftGen.CnnBenchmark/bin/Release/net10.0/SoftGen.CnnBenchmark.dll "$@"; }
if [ "${1:-}" = --phases ]; then
  shift
  softgen --mode phases "$@"
  exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
softgen --mode train "$@" > "$out/softgen.json"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 benchmarks/pytorch_cnn.py "$@" > "$out/pytorch.json"
cat "$out/softgen.json" "$out/pytorch.json"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
s = json.load(open(f"{sys.argv[1]}/softgen.json"))
t = json.load(open(f"{sys.argv[1]}/pytorch.json"))
print(f"\n{'':<28}{'SoftGen':>12}{'PyTorch':>12}{'ratio':>8}")
for key in ("train_samples_per_second", "infer_samples_per_second", "train_gflop_per_second"):
    print(f"{key:<28}{s[key]:>12,}{t[key]:>12,}{s[key] / t[key]:>8.2f}")
print(f"SoftGen bytes allocated per step: {s['bytes_allocated_per_step']}; load average during PyTorch: {t['load_average']}")
PY
