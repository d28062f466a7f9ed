//! The CUDA side of DARTS `none`: no kernel, a fresh buffer of zeros (all
//! bits zero, `+0.0`, as the CPU's) of the strided shape. Builds only with
//! the `cuda` feature.

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    /// Zeros of shape `(N, C, ceil(H/s), ceil(W/s))`.
    pub fn zero_forward(b: &CudaBackend, x: &GpuTensor, stride: usize) -> GpuTensor {
        assert!(stride > 0, "zero: stride must be positive");
        let (n, c, h, w) = x.d4();
        b.zeros(&[n, c, h.div_ceil(stride), w.div_ceil(stride)])
    }
}
