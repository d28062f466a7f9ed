//! Every kernel in `kernels/*.cu`, compiled for the host (`kernels/host`,
//! g++ against a CUDA-emulating header), run against the CPU reference ops on
//! random inputs of several shapes, odd sizes included.
//!
//! Exact kernels (those whose file says "bit-identical to the CPU reference")
//! must match bit for bit: compared by `to_bits`, so `-0.0` vs `+0.0` and NaN
//! payloads count. Fast kernels (a different, documented order) must match
//! within the tolerance stated next to their test.
//!
//! Each launch also varies the grid and block, so a kernel whose result
//! depended on its launch shape (a missing grid-stride step, a race on
//! `__shared__`) would show. Without g++ these tests print why and pass
//! vacuously, except in CI (`CSNAS_REQUIRE_HOST_KERNELS=1`), where that fails.

mod common;
mod conv;
mod elementwise;
mod gemm;
mod losses;
mod norm_pool;
mod registry;
