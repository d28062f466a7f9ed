//! Which runtime-detected vector paths this process takes.
//!
//! Why one place: the AVX-512 kernels (gemm, batch-norm sums, stride-2 max
//! pool) all run for the same condition, f32 on an x86_64 CPU that reports
//! AVX-512F, and their tests print a skip line on the same condition. Every
//! such path gives the same bits as the scalar one, so this decides speed
//! only. Note: valgrind (3.19) hides AVX-512, so under callgrind the
//! fallbacks run.

use crate::real::Real;

/// Whether the AVX-512 f32 kernels run: `T` is f32 and the CPU has AVX-512F.
pub fn avx512_f32<T: Real>() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        T::BYTES == 4 && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
