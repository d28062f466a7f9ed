//! The CUDA side of the softmax cross-entropy: `kernels/cross_entropy.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//! Inputs are validated on the host with the CPU's rules before anything
//! is launched.
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/cross_entropy.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "cross_entropy",
    rust_op: "ops::cross_entropy",
    source: include_str!("../../../kernels/cross_entropy.cu"),
    entry_points: &["cross_entropy_rows_f32", "cross_entropy_backward_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use cudarc::driver::CudaSlice;

    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::error::Result;
    use crate::invalid;
    use crate::ops::rows::cuda::mean_of;

    pub struct GpuCrossEntropyCache {
        probs: CudaSlice<f32>,
        labels: CudaSlice<u64>,
        dims: (usize, usize),
        smoothing: f32,
    }

    pub fn cross_entropy_forward(
        b: &CudaBackend,
        logits: &GpuTensor,
        labels: &[usize],
        smoothing: f32,
    ) -> Result<(f32, GpuCrossEntropyCache)> {
        let (n, k) = logits.d2();
        if n == 0 || k == 0 || labels.len() != n {
            return Err(invalid!(
                "cross_entropy: logits {:?} and {} labels do not fit",
                logits.dims,
                labels.len()
            ));
        }
        if let Some(&bad) = labels.iter().find(|&&y| y >= k) {
            return Err(invalid!(
                "cross_entropy: label {bad} out of range for {k} classes"
            ));
        }
        if !(0.0..=1.0).contains(&smoothing) {
            return Err(invalid!(
                "cross_entropy: label smoothing must be in [0, 1], got {smoothing}"
            ));
        }
        let lab: Vec<u64> = labels.iter().map(|&v| v as u64).collect();
        let labels = b.gpu.upload(&lab);
        let (mut probs, mut rl) = (b.gpu.zeros::<f32>(n * k), b.gpu.zeros::<f32>(n));
        let (nn, kk, one_minus, over_k) =
            (n as u64, k as u64, 1.0 - smoothing, smoothing / k as f32);
        b.gpu
            .launch("cross_entropy_rows_f32", n)
            .arg(&logits.buf)
            .arg(&labels)
            .arg(&mut probs)
            .arg(&mut rl)
            .arg(&nn)
            .arg(&kk)
            .arg(&smoothing)
            .arg(&one_minus)
            .arg(&over_k)
            .go();
        let loss = mean_of(b, &rl, n);
        Ok((
            loss,
            GpuCrossEntropyCache {
                probs,
                labels,
                dims: (n, k),
                smoothing,
            },
        ))
    }

    pub fn cross_entropy_backward(
        b: &CudaBackend,
        c: &GpuCrossEntropyCache,
        dloss: f32,
    ) -> GpuTensor {
        let (n, k) = c.dims;
        let (scale, off) = (dloss / n as f32, c.smoothing / k as f32);
        let on = (1.0 - c.smoothing) + off;
        let mut dx = b.zeros(&[n, k]);
        let (nn, kk) = (n as u64, k as u64);
        b.gpu
            .launch("cross_entropy_backward_f32", n * k)
            .arg(&c.probs)
            .arg(&c.labels)
            .arg(&mut dx.buf)
            .arg(&nn)
            .arg(&kk)
            .arg(&on)
            .arg(&off)
            .arg(&scale)
            .go();
        dx
    }
}
