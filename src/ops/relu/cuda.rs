//! The CUDA side of ReLU: `kernels/relu.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/relu.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "relu",
    rust_op: "ops::relu",
    source: include_str!("../../../kernels/relu.cu"),
    entry_points: &[
        "relu_forward_f32",
        "relu_backward_f32",
        "relu_forward_mask_f32",
        "relu_backward_mask_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use cudarc::driver::CudaSlice;

    use crate::backend::cuda::{CudaBackend, GpuTensor};

    /// A ReLU's mask: one byte per element, 1 where the input was `> 0`.
    pub struct GpuReluMask {
        bytes: CudaSlice<u8>,
        dims: Vec<usize>,
    }

    pub fn relu_forward_masked(b: &CudaBackend, x: &GpuTensor) -> (GpuTensor, GpuReluMask) {
        let mut y = b.zeros(&x.dims);
        let mut bytes = b.gpu.zeros::<u8>(x.len());
        let n = x.len() as u64;
        b.gpu
            .launch("relu_forward_mask_f32", x.len())
            .arg(&x.buf)
            .arg(&mut y.buf)
            .arg(&mut bytes)
            .arg(&n)
            .go();
        let dims = x.dims.clone();
        (y, GpuReluMask { bytes, dims })
    }

    pub fn relu_backward_masked(b: &CudaBackend, mask: &GpuReluMask, dy: &GpuTensor) -> GpuTensor {
        assert_eq!(mask.dims, dy.dims, "relu_backward: shapes");
        let mut dx = b.zeros(&dy.dims);
        let n = dy.len() as u64;
        b.gpu
            .launch("relu_backward_mask_f32", dy.len())
            .arg(&mask.bytes)
            .arg(&dy.buf)
            .arg(&mut dx.buf)
            .arg(&n)
            .go();
        dx
    }

    pub fn relu_forward(b: &CudaBackend, x: &GpuTensor) -> GpuTensor {
        b.map("relu_forward_f32", &[x])
    }

    pub fn relu_backward(b: &CudaBackend, x: &GpuTensor, dy: &GpuTensor) -> GpuTensor {
        b.map("relu_backward_f32", &[x, dy])
    }
}
