//! The CUDA side of drop path: `kernels/drop_path.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/drop_path.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "drop_path",
    rust_op: "ops::drop_path",
    source: include_str!("../../../kernels/drop_path.cu"),
    entry_points: &["drop_path_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    pub fn drop_path_forward(b: &CudaBackend, x: &GpuTensor, keep: &[bool], p: f64) -> GpuTensor {
        drop_path(b, x, keep, p)
    }

    pub fn drop_path_backward(b: &CudaBackend, dy: &GpuTensor, keep: &[bool], p: f64) -> GpuTensor {
        drop_path(b, dy, keep, p)
    }

    /// `(x / keep_prob)·m` per sample; `keep_prob = 1 − p` in f64, then f32.
    fn drop_path(b: &CudaBackend, x: &GpuTensor, keep: &[bool], drop_prob: f64) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        assert_eq!(keep.len(), n, "drop_path: one keep flag per sample");
        assert!(
            (0.0..1.0).contains(&drop_prob),
            "drop_path: drop_prob {drop_prob} outside [0, 1)"
        );
        let flags: Vec<u8> = keep.iter().map(|&k| u8::from(k)).collect();
        let flags = b.gpu.upload(&flags);
        let mut y = b.zeros(&x.dims);
        let (kp, sample, total) = ((1.0 - drop_prob) as f32, (c * h * w) as u64, x.len() as u64);
        b.gpu
            .launch("drop_path_f32", x.len())
            .arg(&x.buf)
            .arg(&flags)
            .arg(&kp)
            .arg(&sample)
            .arg(&mut y.buf)
            .arg(&total)
            .go();
        y
    }
}
