//! The CUDA side of the factorized reduce's shift: `kernels/crop.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/crop.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "crop",
    rust_op: "model::primitives (factorized reduce shift)",
    source: include_str!("../../../kernels/crop.cu"),
    entry_points: &["crop_f32", "add_crop_into_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    /// `x[:, :, 1:, 1:]`.
    pub fn crop_top_left(b: &CudaBackend, x: &GpuTensor) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        let mut y = b.zeros(&[n, c, h.saturating_sub(1), w.saturating_sub(1)]);
        let d = [
            (n * c) as u64,
            h as u64,
            w as u64,
            1,
            1,
            (h.max(1) - 1) as u64,
            (w.max(1) - 1) as u64,
        ];
        b.gpu
            .launch("crop_f32", y.len())
            .arg(&x.buf)
            .arg(&mut y.buf)
            .args(&d)
            .go();
        y
    }

    /// `acc[:, :, 1:, 1:] += g`.
    pub fn shift_add(b: &CudaBackend, acc: &mut GpuTensor, g: &GpuTensor) {
        let (n, c, h, w) = acc.d4();
        assert_eq!(g.dims, vec![n, c, h - 1, w - 1], "shift_add: shapes");
        let d = [
            (n * c) as u64,
            h as u64,
            w as u64,
            1,
            1,
            (h - 1) as u64,
            (w - 1) as u64,
        ];
        b.gpu
            .launch("add_crop_into_f32", g.len())
            .arg(&mut acc.buf)
            .arg(&g.buf)
            .args(&d)
            .go();
    }
}
