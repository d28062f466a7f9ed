//! The CUDA side of global average pooling: `kernels/global_avg_pool.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/global_avg_pool.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "global_avg_pool",
    rust_op: "ops::global_avg_pool",
    source: include_str!("../../../kernels/global_avg_pool.cu"),
    entry_points: &[
        "global_avg_pool_forward_f32",
        "global_avg_pool_backward_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    pub fn global_avg_pool_forward(b: &CudaBackend, x: &GpuTensor) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        let mut y = b.zeros(&[n, c]);
        let (planes, plane) = ((n * c) as u64, (h * w) as u64);
        b.gpu
            .launch("global_avg_pool_forward_f32", n * c)
            .arg(&x.buf)
            .arg(&mut y.buf)
            .arg(&planes)
            .arg(&plane)
            .go();
        y
    }

    pub fn global_avg_pool_backward(
        b: &CudaBackend,
        dy: &GpuTensor,
        hw: (usize, usize),
    ) -> GpuTensor {
        let (n, c) = dy.d2();
        let mut dx = b.zeros(&[n, c, hw.0, hw.1]);
        let (planes, plane) = ((n * c) as u64, (hw.0 * hw.1) as u64);
        b.gpu
            .launch("global_avg_pool_backward_f32", dx.len())
            .arg(&dy.buf)
            .arg(&mut dx.buf)
            .arg(&planes)
            .arg(&plane)
            .go();
        dx
    }
}
