#!/usr/bin/env bash
# CI without a GPU: builds the `cuda` feature and compiles every kernel in
# kernels/ with NVRTC, using NVIDIA's NVRTC wheel from PyPI (CUDA 13). Fails on
# any compile error, naming the kernel file and printing NVRTC's log.
# Usage: .ci/nvrtc.sh   (from anywhere; needs python3 with pip, and cargo)
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
venv="${CSNAS_NVRTC_VENV:-target/nvrtc-venv}"

echo "== NVRTC (nvidia-cuda-nvrtc 13.x wheel) into $venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'nvidia-cuda-nvrtc==13.*'

libdir="$("$venv/bin/python" - <<'PY'
import pathlib, sys, sysconfig
root = pathlib.Path(sysconfig.get_paths()["purelib"]) / "nvidia"
libs = sorted(root.rglob("libnvrtc.so.13*"))
if not libs:
    sys.exit("no libnvrtc.so.13 under " + str(root))
print(libs[0].parent)
PY
)"
echo "   libnvrtc: $libdir"
# The wheel ships libnvrtc.so.13 (the name cudarc's cuda-13000 build opens)
# and libnvrtc-builtins beside it.
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "== cargo clippy --features cuda --all-targets -- -D warnings (the CUDA backend, no GPU needed)"
cargo clippy --features cuda --all-targets -- -D warnings

echo "== cargo build --features cuda"
cargo build --features cuda

echo "== compile every kernel with NVRTC"
CSNAS_REQUIRE_NVRTC=1 cargo run --quiet --features cuda --example compile_kernels
