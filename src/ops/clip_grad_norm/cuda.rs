//! The CUDA side of gradient clipping: `kernels/clip_grad_norm.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/clip_grad_norm.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "clip_grad_norm",
    rust_op: "ops::clip_grad_norm",
    source: include_str!("../../../kernels/clip_grad_norm.cu"),
    entry_points: &[
        "clip_sumsq_f32",
        "clip_coef_f32",
        "scale_by_f32",
        "clip_sumsq_block_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    /// One tensor's norm. Exact: `clip_sumsq_f32` (one sequential chain, the
    /// CPU's). Fast: `clip_sumsq_block_f32` (fixed tree). Then `sqrt` on the
    /// host.
    pub fn l2_norm(b: &CudaBackend, g: &GpuTensor) -> f32 {
        let mut out = b.gpu.zeros::<f32>(1);
        let (n, slot) = (g.len() as u64, 0u64);
        let mut l = if b.exact {
            b.gpu.launch_with("clip_sumsq_f32", 1, 1)
        } else {
            b.gpu.launch_with("clip_sumsq_block_f32", 1, 256)
        };
        l.arg(&g.buf).arg(&n).arg(&mut out).arg(&slot).go();
        b.scalar(&out).sqrt()
    }

    /// `g ← g·coef`.
    pub fn scale(b: &CudaBackend, g: &mut GpuTensor, coef: f32) {
        let n = g.len() as u64;
        b.gpu
            .launch("scale_by_f32", g.len())
            .arg(&mut g.buf)
            .arg(&coef)
            .arg(&n)
            .go();
    }
}
