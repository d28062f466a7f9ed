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
    python3 benches/pytorch_cpu_step.py --threads "$t" --genotype "$text" "${common[@]}" > "$OUT/pytorch.$t.$r.json"
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
print("threads  csnas step  pytorch step  ratio  csnas fwd+bwd  pytorch fwd+bwd  csnas peak  pytorch peak (MiB, above start)")
for t in sorted(rows):
    c, p = rows[t]["csnas"], rows[t]["pytorch"]
    med = lambda runs, k: statistics.median(r[k] for r in runs)
    peak = lambda runs: statistics.median((r["peak_rss_kib"] or 0) / 1024 for r in runs)
    above = lambda runs: statistics.median(((r["peak_rss_kib"] or 0) - (r["baseline_rss_kib"] or 0)) / 1024 for r in runs)
    cs, ps = med(c, "step_median_s"), med(p, "step_median_s")
    print("%7d  %8.1f ms  %10.1f ms  %5.2f  %10.1f ms  %12.1f ms  %6.0f (%.0f)  %6.0f (%.0f)" % (
        t, cs * 1e3, ps * 1e3, cs / ps, med(c, "forward_backward_median_s") * 1e3,
        med(p, "forward_backward_median_s") * 1e3, peak(c), above(c), peak(p), above(p)))
PY
