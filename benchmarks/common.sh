# Sourced by benchmarks/run.sh and benchmarks/run_cnn.sh: the arguments both take, the results folder, and the
# OpenBLAS kernel that the PyTorch peer runs with. Not a script of its own.
#
# Debian's OpenBLAS (0.3.21) picks its kernel from the processor's model number, and on a model it does not know
# (an Intel Xeon model 207, say) it falls back to the Prescott (SSE3) kernel, 6x slower than SkylakeX there. So the
# peer is not left to that choice: choose_openblas_coretype times a short GEMM (256 x 784 x 512, the MLP's first
# layer) under each core type the processor can run, and PyTorch then runs with the fastest.

# parse_arguments NAME "$@": the options both scripts take. Before calling, the script sets value_options (the
# options with a value that go on to both programs, e.g. --batch) and defines script_option (its own switches;
# returns non-zero for one it does not know). Sets runs (--runs, default 1), out (--out, else a temporary folder
# removed on exit), args (the value options, in order) and threads (--threads, default 2, as both programs).
parse_arguments() {
  local name=$1
  shift
  runs=1
  out=
  args=()
  threads=2
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs | --out)
        [ $# -ge 2 ] || { echo "$name: $1 needs a value" >&2; exit 2; }
        if [ "$1" = --runs ]; then runs=$2; else out=$2; fi
        shift 2 ;;
      *)
        if [[ " ${value_options[*]} " == *" $1 "* ]]; then
          [ $# -ge 2 ] || { echo "$name: $1 needs a value" >&2; exit 2; }
          args+=("$1" "$2")
          [ "$1" != --threads ] || threads=$2
          shift 2
        elif script_option "$1"; then
          shift
        else
          echo "$name: unknown argument '$1' (see the comment at the top of benchmarks/$name)" >&2
          exit 2
        fi ;;
    esac
  done
  [[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "$name: --runs needs a positive integer, not '$runs'" >&2; exit 2; }
  [[ "$threads" =~ ^[1-9][0-9]*$ ]] || { echo "$name: --threads needs a positive integer, not '$threads'" >&2; exit 2; }
  if [ -z "$out" ]; then
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
  else
    mkdir -p "$out"
  fi
}

# The core types worth timing on this processor: OpenBLAS's own choice ("unset"), then each forced kernel whose
# instructions the processor has (forcing one it lacks would stop on an illegal instruction).
openblas_candidates() {
  local flags
  flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
  has() { local f; for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
  echo unset
  if has avx512f avx512bw avx512dq avx512vl avx512cd; then
    echo SkylakeX
    if has avx512_bf16; then echo Cooperlake; fi
  fi
  if has avx2 fma; then
    echo Haswell
    if grep -q -m1 AuthenticAMD /proc/cpuinfo; then echo Zen; fi
  fi
}

# The environment PyTorch runs under for a core type: OPENBLAS_L2_SIZE always unset (OpenBLAS reads the cache size
# itself), OPENBLAS_CORETYPE set to the core type or, for "unset", removed.
openblas_env() {
  if [ "$1" = unset ]; then echo "-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"; else echo "-u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=$1"; fi
}

# choose_openblas_coretype: times the candidates (two alternating rounds, each the best of 5 x 20 GEMMs on $threads
# threads), prints their GFLOP/s and the kernel OpenBLAS reports it ran (threadpoolctl's architecture, else
# openblas_get_corename), and sets peer_env (for `env $peer_env python3 ...`) to the fastest's environment. The
# figures go to $out/openblas.json, which record_openblas adds to each result.
choose_openblas_coretype() {
  local candidate round
  local -a candidates
  mapfile -t candidates < <(openblas_candidates)
  for round in 1 2; do
    for candidate in "${candidates[@]}"; do
      # shellcheck disable=SC2046  # openblas_env's words are meant to split
      env $(openblas_env "$candidate") /usr/bin/python3 - "$threads" > "$out/openblas.$candidate.$round.json" 2> "$out/openblas.$candidate.$round.err" <<'PY' || true
import ctypes, json, sys, time
import torch
torch.set_num_threads(int(sys.argv[1]))
m, k, n = 256, 784, 512
a, b = torch.randn(m, k), torch.randn(k, n)
for _ in range(5):
    a @ b
best = float("inf")
for _ in range(5):
    began = time.perf_counter()
    for _ in range(20):
        a @ b
    best = min(best, (time.perf_counter() - began) / 20)
try:
    from threadpoolctl import threadpool_info
    kernel = next((i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"), None)
except ImportError:
    kernel = None
if kernel is None:
    path = next((line.split()[-1] for line in open("/proc/self/maps") if "openblas" in line), None)
    if path:
        corename = ctypes.CDLL(path).openblas_get_corename
        corename.restype = ctypes.c_char_p
        kernel = corename().decode()
print(json.dumps({"gflops": 2 * m * k * n / best / 1e9, "kernel": kernel}))
PY
    done
  done
  /usr/bin/python3 - "$out" "$threads" "${candidates[@]}" <<'PY'
import json, os, sys
out, threads, candidates = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
figures = {}
for c in candidates:
    runs = []
    for r in (1, 2):
        try:
            runs.append(json.load(open(f"{out}/openblas.{c}.{r}.json")))
        except (OSError, ValueError):
            pass  # the run failed; its stderr is in openblas.{c}.{r}.err
    figures[c] = {"gflops": round(max(x["gflops"] for x in runs), 1), "kernel": runs[0]["kernel"]} if runs else {"gflops": None, "kernel": None}
timed = [c for c in candidates if figures[c]["gflops"] is not None]
if not timed:
    sys.exit(f"no OpenBLAS core type ran the probe GEMM; see {out}/openblas.*.err")
chosen = max(timed, key=lambda c: figures[c]["gflops"])
print(f"OpenBLAS core type for PyTorch (256 x 784 x 512 GEMM on {threads} threads, best of 2 x 5 x 20):")
for c in candidates:
    f = figures[c]
    rate = "failed" if f["gflops"] is None else f"{f['gflops']:7.1f} GFLOP/s"
    print(f"  {'OPENBLAS_CORETYPE ' + ('unset' if c == 'unset' else '= ' + c):<32}{rate:>16}   kernel {f['kernel']}{'   <- chosen' if c == chosen else ''}")
json.dump({"coretype": chosen, "kernel": figures[chosen]["kernel"], "probe": f"torch.mm 256 x 784 by 784 x 512, {threads} threads, best of 2 x 5 x 20",
           "candidates": figures}, open(f"{out}/openblas.json", "w"), indent=2)
PY
  rm -f "$out"/openblas.*.[12].json
  find "$out" -maxdepth 1 -name 'openblas.*.err' -empty -delete
  peer_env=$(openblas_env "$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["coretype"])' "$out/openblas.json")")
}

# record_openblas FILE...: adds the core-type choice and the candidates' figures to each JSON result as "openblas".
record_openblas() {
  /usr/bin/python3 - "$out/openblas.json" "$@" <<'PY'
import json, sys
choice = json.load(open(sys.argv[1]))
for path in sys.argv[2:]:
    result = json.load(open(path))
    result["openblas"] = choice
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
PY
}
