// Host emulation of the CUDA C subset csnas's kernels use, so kernels/*.cu
// compile with g++ and run on the CPU in `cargo test` (no GPU, no CUDA).
//
// What maps to what:
// - __global__, __device__, __host__, __forceinline__: nothing (plain C++);
// - __shared__: `static thread_local`. One block runs at a time on one OS
//   thread (runtime.cpp), so the thread_local copy is exactly the block's;
// - threadIdx/blockIdx/blockDim/gridDim: thread_local dim3 values that the
//   scheduler sets before it resumes a GPU thread;
// - __syncthreads(): a barrier. Every GPU thread of a block is a ucontext
//   coroutine with its own stack; the scheduler runs them in thread order
//   until each reaches the barrier or returns, then releases the barrier.
//   A block where some threads return while others wait is reported as an
//   error (on a GPU that is undefined behaviour);
// - the rounding intrinsics (__fadd_rn, ...) are the plain IEEE operations:
//   the files are compiled with -ffp-contract=off (g++ never fuses a*b+c, as
//   NVRTC's --fmad=false) and without fast math, and x86_64's SSE arithmetic
//   rounds every float operation to nearest, with no flush-to-zero; fmaf is
//   the C library's correctly rounded fused multiply-add.
// What this cannot show: timing, races that a real warp would expose (the
// threads here run one after the other between barriers), and NVRTC's own
// code generation; `.ci/nvrtc.sh` compiles every file with NVRTC as well.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__
#define __shared__ static thread_local

struct dim3 {
    unsigned int x, y, z;
};

namespace csnas_host {
extern thread_local dim3 thread_idx;
extern thread_local dim3 block_idx;
extern thread_local dim3 block_dim;
extern thread_local dim3 grid_dim;
void sync_threads();
}  // namespace csnas_host

#define threadIdx (csnas_host::thread_idx)
#define blockIdx (csnas_host::block_idx)
#define blockDim (csnas_host::block_dim)
#define gridDim (csnas_host::grid_dim)
#define __syncthreads() csnas_host::sync_threads()

static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline float __fsqrt_rn(float a) { return std::sqrt(a); }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline int __float_as_int(float f) {
    int i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}
static inline unsigned int __float_as_uint(float f) {
    unsigned int i;
    std::memcpy(&i, &f, sizeof i);
    return i;
}
static inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}
static inline float __uint_as_float(unsigned int i) {
    float f;
    std::memcpy(&f, &i, sizeof f);
    return f;
}
using std::fmaf;
