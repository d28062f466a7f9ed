//! The CUDA side of batch normalisation: `kernels/batch_norm.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/batch_norm.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "batch_norm",
    rust_op: "ops::batch_norm",
    source: include_str!("../../../kernels/batch_norm.cu"),
    entry_points: &[
        "batch_norm_stats_seq_f32",
        "batch_norm_stats_block_f32",
        "batch_norm_finalize_f32",
        "batch_norm_apply_f32",
        "batch_norm_eval_inv_std_f32",
        "batch_norm_backward_sums_seq_f32",
        "batch_norm_backward_sums_block_f32",
        "batch_norm_backward_dx_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::runtime::Launch;
    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::backend::cuda_plan::BN_BLOCK;
    use crate::ops::batch_norm::BatchNormParams;

    /// What the batch-norm backward needs: `x̂` and `1/σ` per channel.
    pub struct GpuBatchNormCache {
        x_hat: GpuTensor,
        inv_std: GpuTensor,
    }

    /// A per-channel reduction: one thread per channel in the CPU's order
    /// (`_seq`, exact mode) or a fixed tree of `BN_BLOCK` threads per channel
    /// (`_block`, fast mode).
    fn per_channel<'a>(
        b: &'a CudaBackend,
        seq: &'static str,
        block: &'static str,
        c: usize,
    ) -> Launch<'a> {
        if b.exact {
            b.gpu.launch(seq, c)
        } else {
            b.gpu.launch_with(block, c as u32, BN_BLOCK)
        }
    }

    /// Statistics: `_seq` kernels (the CPU's order) in exact mode, `_block`
    /// (fixed tree, within tolerance) in fast mode; then finalize, apply.
    pub fn batch_norm_train_forward(
        b: &CudaBackend,
        x: &GpuTensor,
        gamma: &GpuTensor,
        beta: &GpuTensor,
        running_mean: &mut GpuTensor,
        running_var: &mut GpuTensor,
        p: &BatchNormParams,
    ) -> (GpuTensor, GpuBatchNormCache) {
        let (n, c, h, w) = x.d4();
        let (batch, ch, plane) = (n as u64, c as u64, (h * w) as u64);
        assert!(
            batch * plane > 1,
            "batch_norm: training needs more than one value per channel"
        );
        let (mut mean, mut ssd, mut inv_std) = (b.zeros(&[c]), b.zeros(&[c]), b.zeros(&[c]));
        per_channel(
            b,
            "batch_norm_stats_seq_f32",
            "batch_norm_stats_block_f32",
            c,
        )
        .arg(&x.buf)
        .arg(&mut mean.buf)
        .arg(&mut ssd.buf)
        .arg(&batch)
        .arg(&ch)
        .arg(&plane)
        .go();
        let (eps, m, one_minus_m, count) = (
            p.eps as f32,
            p.momentum as f32,
            (1.0 - p.momentum) as f32,
            batch * plane,
        );
        b.gpu
            .launch("batch_norm_finalize_f32", c)
            .arg(&mean.buf)
            .arg(&ssd.buf)
            .arg(&mut inv_std.buf)
            .arg(&mut running_mean.buf)
            .arg(&mut running_var.buf)
            .arg(&eps)
            .arg(&m)
            .arg(&one_minus_m)
            .arg(&count)
            .arg(&ch)
            .go();
        let (mut y, mut x_hat) = (b.zeros(&x.dims), b.zeros(&x.dims));
        let total = x.len() as u64;
        b.gpu
            .launch("batch_norm_apply_f32", x.len())
            .arg(&x.buf)
            .arg(&mean.buf)
            .arg(&inv_std.buf)
            .arg(&gamma.buf)
            .arg(&beta.buf)
            .arg(&mut x_hat.buf)
            .arg(&mut y.buf)
            .arg(&ch)
            .arg(&plane)
            .arg(&total)
            .go();
        (y, GpuBatchNormCache { x_hat, inv_std })
    }

    /// `batch_norm_eval_inv_std_f32`, then apply (no `x̂`); same in both modes.
    pub fn batch_norm_eval_forward(
        b: &CudaBackend,
        x: &GpuTensor,
        gamma: &GpuTensor,
        beta: &GpuTensor,
        running_mean: &GpuTensor,
        running_var: &GpuTensor,
        p: &BatchNormParams,
    ) -> GpuTensor {
        let (_, c, h, w) = x.d4();
        let (ch, plane, total, eps) = (c as u64, (h * w) as u64, x.len() as u64, p.eps as f32);
        let mut inv_std = b.zeros(&[c]);
        b.gpu
            .launch("batch_norm_eval_inv_std_f32", c)
            .arg(&running_var.buf)
            .arg(&mut inv_std.buf)
            .arg(&eps)
            .arg(&ch)
            .go();
        let mut y = b.zeros(&x.dims);
        let null = 0u64;
        b.gpu
            .launch("batch_norm_apply_f32", x.len())
            .arg(&x.buf)
            .arg(&running_mean.buf)
            .arg(&inv_std.buf)
            .arg(&gamma.buf)
            .arg(&beta.buf)
            .arg(&null)
            .arg(&mut y.buf)
            .arg(&ch)
            .arg(&plane)
            .arg(&total)
            .go();
        y
    }

    /// Sums (`_seq` exact / `_block` fast), then `batch_norm_backward_dx_f32`.
    pub fn batch_norm_backward(
        b: &CudaBackend,
        dy: &GpuTensor,
        gamma: &GpuTensor,
        cache: &GpuBatchNormCache,
    ) -> (GpuTensor, GpuTensor, GpuTensor) {
        let (n, c, h, w) = dy.d4();
        let (batch, ch, plane) = (n as u64, c as u64, (h * w) as u64);
        let (mut sdy, mut sdyx) = (b.zeros(&[c]), b.zeros(&[c]));
        per_channel(
            b,
            "batch_norm_backward_sums_seq_f32",
            "batch_norm_backward_sums_block_f32",
            c,
        )
        .arg(&dy.buf)
        .arg(&cache.x_hat.buf)
        .arg(&mut sdy.buf)
        .arg(&mut sdyx.buf)
        .arg(&batch)
        .arg(&ch)
        .arg(&plane)
        .go();
        let mut dx = b.zeros(&dy.dims);
        let (count, total) = (batch * plane, dy.len() as u64);
        b.gpu
            .launch("batch_norm_backward_dx_f32", dy.len())
            .arg(&dy.buf)
            .arg(&cache.x_hat.buf)
            .arg(&gamma.buf)
            .arg(&cache.inv_std.buf)
            .arg(&sdy.buf)
            .arg(&sdyx.buf)
            .arg(&mut dx.buf)
            .arg(&ch)
            .arg(&plane)
            .arg(&count)
            .arg(&total)
            .go();
        (dx, sdyx, sdy)
    }
}
