//! The CUDA side of the matrix product: `kernels/gemm.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//! Fast mode runs cuBLAS (`backend/cuda/blas.rs`); exact mode the kernel.
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/gemm.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "gemm",
    rust_op: "ops::gemm (exact mode)",
    source: include_str!("../../../kernels/gemm.cu"),
    entry_points: &["gemm_exact_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::backend::cuda_plan::MatLayout;

    /// `C (rows(A) × cols(B)) = A·B`: cuBLAS (fast) or the exact kernel.
    pub fn matmul(
        b: &CudaBackend,
        x: &GpuTensor,
        lx: MatLayout,
        y: &GpuTensor,
        ly: MatLayout,
    ) -> GpuTensor {
        let mut c = b.zeros(&[lx.rows as usize, ly.cols as usize]);
        if c.is_empty() {
            return c;
        }
        if b.exact {
            let acc = 0i32;
            b.gpu
                .launch("gemm_exact_f32", c.len())
                .arg(&x.buf)
                .arg(&lx)
                .arg(&y.buf)
                .arg(&ly)
                .arg(&mut c.buf)
                .arg(&acc)
                .go();
        } else {
            b.blas
                .gemm(&x.buf, lx, &y.buf, ly, &mut c.buf)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        c
    }
}
