#!/usr/bin/env bash
# The prepared GPU check of issue #12: one short run on a GPU machine that
# has CUDA 13, cuDNN 9 and PyTorch but no Rust and no network.
#
#   benches/gpu_check.sh build   # here (Rust machine): release binaries into .gpu/
#   benches/gpu_check.sh run     # there, from the repo root, with .gpu/ carried;
#                                # results into $OUT/gpu_check/ (default ./gpu_check_out)
#
# `run` finds the CUDA libraries (the driver's libcuda, and libnvrtc,
# libcublas, libcudnn from /usr/local/cuda*, the loader cache, or the Python
# environment's nvidia/*/lib folders that PyTorch's wheels install), sets
# LD_LIBRARY_PATH, then runs, each step under its own timeout and logged:
#   1. env        device, driver, library versions, torch versions;
#   2. gpu-tests  the GPU test binary (tests/gpu.rs);
#   3. verify     `csnas verify` per op, fast (cuda) and exact (cuda-exact);
#   4. replay     a small search twice on the GPU (fast): same head;
#   5. exact      the same small search on cuda-exact and on the CPU: same head;
#   6. bench      `csnas bench --backend cuda` vs benches/gpu_pytorch_step.py
#                 (deterministic PyTorch) on the search step (C=32, 8 cells,
#                 batch 256, 32x32), with the ratio.
# A step that fails does not stop the others; SUMMARY.md lists each step's
# status and the figures, and the exit code is the number of failed steps.
# Budget: under 8 minutes on one H200 (the timeouts below sum to 7.5).
set -uo pipefail
cd "$(dirname "$0")/.."

mode="${1:-run}"
bin=.gpu/bin

if [ "$mode" = build ]; then
    set -e
    cargo build --release --features cuda
    cargo test --release --features cuda --test gpu --no-run 2>&1 | tee .gpu-build.log
    test_bin=$(grep -o 'target/release/deps/gpu-[0-9a-f]*' .gpu-build.log | tail -1)
    rm -f .gpu-build.log
    mkdir -p "$bin"
    cp target/release/csnas "$bin/csnas"
    cp "$test_bin" "$bin/gpu-tests"
    strip "$bin/csnas" "$bin/gpu-tests" 2>/dev/null || true
    git describe --always --dirty --abbrev=40 > "$bin/COMMIT"
    ls -l "$bin"
    echo "gpu_check: built $(cat "$bin/COMMIT"); carry .gpu to the GPU machine and run: benches/gpu_check.sh run"
    exit 0
fi
[ "$mode" = run ] || { echo "usage: benches/gpu_check.sh build|run" >&2; exit 2; }

out="${OUT:-$PWD/gpu_check_out}/gpu_check"
mkdir -p "$out"
summary="$out/SUMMARY.md"
failed=0
start=$(date +%s)
export NVIDIA_TF32_OVERRIDE=0

[ -x "$bin/csnas" ] || { echo "gpu_check: no $bin/csnas; run 'benches/gpu_check.sh build' where Rust is" | tee "$summary"; exit 2; }

# --- libraries -------------------------------------------------------------
libdirs=()
for d in /usr/local/cuda/lib64 /usr/local/cuda-13*/lib64 /usr/lib/x86_64-linux-gnu; do
    [ -d "$d" ] && libdirs+=("$d")
done
py_nvidia=$(python3 - <<'PY' 2>/dev/null
import glob, os, site, sys
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = sorted({os.path.dirname(p) for r in roots for p in glob.glob(os.path.join(r, "nvidia", "**", "lib*.so*"), recursive=True)})
print(":".join(dirs))
PY
)
[ -n "$py_nvidia" ] && IFS=: read -r -a more <<< "$py_nvidia" && libdirs+=("${more[@]}")
LD_LIBRARY_PATH="$(IFS=:; echo "${libdirs[*]}")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LD_LIBRARY_PATH

step() { # name timeout_s command...
    local name=$1 t=$2; shift 2
    local t0=$(date +%s)
    # Through bash -c so that the exported shell functions below run too.
    timeout "$t" bash -c '"$@"' _ "$@" > "$out/$name.log" 2>&1
    local rc=$?
    local dt=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ]; then echo "| $name | ok | ${dt}s |" >> "$summary.steps"
    else failed=$((failed + 1)); echo "| $name | FAILED (exit $rc, see $name.log) | ${dt}s |" >> "$summary.steps"; fi
    return $rc
}

# --- 1. env ----------------------------------------------------------------
{
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $(cat "$bin/COMMIT" 2>/dev/null)"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
    for lib in libcuda.so.1 libnvrtc.so.13 libcublas.so.13 libcudnn.so.9; do
        found=$( (ldconfig -p 2>/dev/null | grep -o "/.*/$lib" | head -1); for d in "${libdirs[@]}"; do ls "$d/$lib" 2>/dev/null; done | head -1)
        echo "$lib: ${found:-NOT FOUND}"
    done
    python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version())" 2>&1
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
} > "$out/env.txt" 2>&1
echo "| step | status | time |" > "$summary.steps"
echo "| --- | --- | --- |" >> "$summary.steps"

# --- 2. GPU tests ----------------------------------------------------------
step gpu-tests 120 "$bin/gpu-tests" --nocapture --include-ignored

# --- 3. verify, both modes -------------------------------------------------
step verify-cuda 60 "$bin/csnas" verify --backend cuda
step verify-cuda-exact 90 "$bin/csnas" verify --backend cuda-exact --exact

# --- 4./5. searches: same-device replay, exact vs CPU ----------------------
cfg=tests/small-trial.cfg
search() { # backend dir
    "$bin/csnas" search --backend "$1" --config "$cfg" --trials 2 --seed 11 --quiet --out "$out/$2" \
        && "$bin/csnas" show "$out/$2" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['head'])"
}
heads() { # name: compares the heads of two searches
    local a=$1 b=$2 ha hb
    ha=$(search "${a%%/*}" "${a##*/}") || return 1
    hb=$(search "${b%%/*}" "${b##*/}") || return 1
    echo "$a head $ha"; echo "$b head $hb"
    [ "$ha" = "$hb" ]
}
export -f search heads
export bin out cfg
step replay-cuda 90 heads cuda/search-cuda-1 cuda/search-cuda-2
step exact-vs-cpu 120 heads cuda-exact/search-exact cpu/search-cpu

# --- 6. bench vs deterministic PyTorch ---------------------------------------
step bench-csnas 60 "$bin/csnas" bench --backend cuda --batch 256 --channels 32 --layers 8 --reps 10 --warmup 3 --no-profile --json
step bench-pytorch 60 python3 benches/gpu_pytorch_step.py --step search --batch 256 --channels 32 --layers 8 --reps 10 --warmup 3

# --- summary -----------------------------------------------------------------
{
    echo "# GPU check ($(date -u +%F), $(( $(date +%s) - start ))s)"
    echo
    echo '```'; cat "$out/env.txt"; echo '```'
    echo
    cat "$summary.steps"
    echo
    for s in replay-cuda exact-vs-cpu; do echo "## $s"; echo '```'; tail -3 "$out/$s.log"; echo '```'; done
    for s in verify-cuda verify-cuda-exact; do echo "## $s"; echo '```'; tail -60 "$out/$s.log"; echo '```'; done
    python3 - "$out" <<'PY'
import json, sys, os
out = sys.argv[1]
def last_json(name):
    try:
        lines = [l for l in open(os.path.join(out, name + ".log")) if l.startswith("{")]
        return json.loads(lines[-1])
    except Exception as e:
        return None
c, p = last_json("bench-csnas"), last_json("bench-pytorch")
print("## bench (search step: C=32, 8 cells, batch 256, 32x32)")
if c and p:
    cs = c.get("step_median_s") or c["runs"][0]["step_median_s"]
    ps = p["step_median_s"]
    print(f"| impl | median step (s) | images/s |\n| --- | --- | --- |")
    print(f"| csnas --backend cuda | {cs:.4f} | {256/cs:.0f} |")
    print(f"| PyTorch {p['torch_version']} deterministic | {ps:.4f} | {256/ps:.0f} |")
    print(f"\nratio csnas/PyTorch = {cs/ps:.2f} (below 1: csnas faster)")
else:
    print("not measured: a bench step failed (see its log)")
PY
} > "$summary"
rm -f "$summary.steps"
cat "$summary"
exit $failed
