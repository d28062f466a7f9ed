#!/usr/bin/env bash
# Times the search network's training step in csnas and in PyTorch on the CPU,
# alternately (csnas, PyTorch, csnas, ...) for ROUNDS rounds per thread count,
# and prints the median of each side's per-run medians and the ratio
# csnas / PyTorch (below 1: csnas is faster), all measured in this one run.
#
# Usage: benches/compare_cpu.sh [ROUNDS] [THREADS...]   (default: 3 rounds, 1 and nproc threads)
# Extra csnas/PyTorch settings through env: GENOTYPE (DARTS_V2 | random | text),
# REPS, WARMUP, BATCH, CHANNELS, LAYERS, SEED, LOSS (nt-xent | pirl-nce), BANK.
# The paper's size: LOSS=pirl-nce CHANNELS=32 BATCH=512 REPS=3 WARMUP=1 benches/compare_cpu.sh 1 1 2
# TORCH_ALLOC (default: "default") lists how PyTorch's side runs, each one in
# turn after csnas in every round: `default` as a user gets it; `kept` with
# glibc told to keep freed memory (no mmap, no trim), so that PyTorch does not
# page-fault its activations in again every step. At the paper's size on a VM
# the faults, not the arithmetic, set PyTorch's time; `kept` shows its compute.
# Needs: a release build (cargo build --release) and python3 with torch.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
shift || true
THREADS=("$@")
[ ${#THREADS[@]} -gt 0 ] || THREADS=(1 "$(nproc)")
REPS=${REPS:-5}; WARMUP=${WARMUP:-2}; BATCH=${BATCH:-64}
CHANNELS=${CHANNELS:-16}; LAYERS=${LAYERS:-8}; SEED=${SEED:-0}
GENOTYPE=${GENOTYPE:-DARTS_V2}
LOSS=${LOSS:-nt-xent}; BANK=${BANK:-50000}
# Each TORCH_ALLOC mode and the GLIBC_TUNABLES PyTorch runs under: the one list.
declare -A TUNABLES=([default]="" [kept]=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1099511627776)
read -r -a ALLOCS <<< "${TORCH_ALLOC:-default}"
for a in "${ALLOCS[@]}"; do
  [[ -v TUNABLES[$a] ]] || { echo "TORCH_ALLOC: '$a' is not one of: ${!TUNABLES[*]}" >&2; exit 2; }
done
BIN=target/release/csnas
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "load before: $(uptime)" >&2
common=(--reps "$REPS" --warmup "$WARMUP" --batch "$BATCH" --channels "$CHANNELS" --layers "$LAYERS" --seed "$SEED" --loss "$LOSS" --bank "$BANK")
for r in $(seq 1 "$ROUNDS"); do
  for t in "${THREADS[@]}"; do
    "$BIN" bench --json --threads "$t" --genotype "$GENOTYPE" "${common[@]}" > "$OUT/csnas.$t.$r.json"
    # The genotype as csnas built it (resolves `random`), in DARTS text form.
    text=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["genotype"])' "$OUT/csnas.$t.$r.json")
    for a in "${ALLOCS[@]}"; do
      GLIBC_TUNABLES=${TUNABLES[$a]} python3 benches/pytorch_cpu_step.py --threads "$t" --genotype "$text" "${common[@]}" > "$OUT/pytorch-$a.$t.$r.json"
    done
    echo "round $r, $t thread(s) done" >&2
  done
done
echo "load after: $(uptime)" >&2
python3 - "$OUT" <<'PY'
import glob, json, os, statistics, sys
out = sys.argv[1]
rows = {}
for path in sorted(glob.glob(os.path.join(out, "*.json"))):
    impl, t, _ = os.path.basename(path).split(".")[:3]
    run = json.load(open(path))["runs"][0]
    rows.setdefault(int(t), {}).setdefault(impl, []).append(run)
print("threads  pytorch    csnas step  pytorch step  ratio  csnas fwd+bwd  pytorch fwd+bwd  csnas peak  pytorch peak (MiB, above start)")
for t, impl in sorted((t, i) for t in rows for i in rows[t] if i != "csnas"):
    c, p = rows[t]["csnas"], rows[t][impl]
    med = lambda runs, k: statistics.median(r[k] for r in runs)
    peak = lambda runs: statistics.median((r["peak_rss_kib"] or 0) / 1024 for r in runs)
    above = lambda runs: statistics.median(((r["peak_rss_kib"] or 0) - (r["baseline_rss_kib"] or 0)) / 1024 for r in runs)
    cs, ps = med(c, "step_median_s"), med(p, "step_median_s")
    print("%7d  %-8s  %8.1f ms  %10.1f ms  %5.2f  %10.1f ms  %12.1f ms  %6.0f (%.0f)  %6.0f (%.0f)" % (
        t, impl.split("-", 1)[1], cs * 1e3, ps * 1e3, cs / ps, med(c, "forward_backward_median_s") * 1e3,
        med(p, "forward_backward_median_s") * 1e3, peak(c), above(c), peak(p), above(p)))
PY
