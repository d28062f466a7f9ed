#!/usr/bin/env bash
# Times one whole trial of the default search (data loading, augmentation,
# 8 epochs of contrastive training, held-out scores) in csnas and in the
# authors' stack (PyTorch + torchvision, benches/pytorch_trial.py), alternating
# csnas, PyTorch, csnas, ... for ROUNDS rounds per thread count, and prints
# each side's median trial time, trials per hour and the ratio csnas/PyTorch
# (below 1: csnas is faster), all from this one run.
#
# csnas's trial is `csnas search --trials 1` on the default preset (a fresh
# log each time: the wall time of the whole command); the genotype is that
# trial's (seed 0's first proposal), given to the Python side in DARTS form.
#
# Usage: benches/compare_trial.sh [ROUNDS] [THREADS...]   (default: 3 rounds, 1 and nproc threads)
# Needs: cargo build --release. Makes target/torch-venv (torch, torchvision
# from PyPI) on first use, or uses $PYTHON if set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
shift || true
THREADS=("$@")
[ ${#THREADS[@]} -gt 0 ] || THREADS=(1 "$(nproc)")
BIN=target/release/csnas
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
if [ -z "${PYTHON:-}" ]; then
  PYTHON=target/torch-venv/bin/python
  if [ ! -x "$PYTHON" ]; then
    python3 -m venv target/torch-venv
    target/torch-venv/bin/pip install -q torch torchvision safetensors
  fi
fi
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "load before: $(uptime)" >&2
now() { date +%s%N; }
"$BIN" search --trials 1 --threads 1 --quiet --out "$OUT/probe" >/dev/null
GENOTYPE=$("$BIN" show "$OUT/probe" --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["trials"][0]["genotype"])')
echo "genotype: $GENOTYPE" >&2
for r in $(seq 1 "$ROUNDS"); do
  for t in "${THREADS[@]}"; do
    rm -rf "$OUT/run"
    t0=$(now)
    "$BIN" search --trials 1 --threads "$t" --quiet --out "$OUT/run" >/dev/null
    t1=$(now)
    echo "csnas $t $(( (t1 - t0) / 1000000 ))e-3" >> "$OUT/times"
    "$PYTHON" benches/pytorch_trial.py --genotype "$GENOTYPE" --threads "$t" --seed "$r" \
      > "$OUT/py.$t.$r.json"
    echo "pytorch $t $("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["trial_median_s"])' "$OUT/py.$t.$r.json")" >> "$OUT/times"
  done
done
echo "load after: $(uptime)" >&2
"$PYTHON" - "$OUT/times" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
threads = sorted({int(t) for _, t, _ in rows})
print("| threads | csnas trial | PyTorch trial | ratio (csnas / PyTorch) | csnas trials/h | PyTorch trials/h |")
print("| --- | --- | --- | --- | --- | --- |")
for t in threads:
    c = statistics.median(float(s) for k, tt, s in rows if k == "csnas" and int(tt) == t)
    p = statistics.median(float(s) for k, tt, s in rows if k == "pytorch" and int(tt) == t)
    print(f"| {t} | {c:.1f} s | {p:.1f} s | {c / p:.2f} | {3600 / c:.0f} | {3600 / p:.0f} |")
PY
