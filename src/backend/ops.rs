//! The op half of the seam: small grouped traits (as burn groups its ops)
//! that every backend implements, and [`Backend`], the sum of them all.
//!
//! Why grouped: a new device can be brought up group by group, and a reader
//! finds each op beside its kin. Every op the network, the losses, the
//! optimiser and the trial use is here — including the small ones that once
//! lived inline in the model (`add`, the factorized-reduce crop and
//! shift-add) — so nothing above the seam touches a device's arithmetic.
//!
//! The accumulation order of each op is part of the spec (DESIGN 3.1.2) and
//! is written once, beside the CPU reference, in `src/ops/<op>/` (and, for
//! the losses and the optimiser, in `src/train/<loss>.rs`); the method docs
//! here point there. A backend that claims an arithmetic name already used by
//! another (see [`BackendCore::arithmetic`]) must reproduce those orders bit
//! for bit; one that does not must name its own arithmetic.
//!
//! Stability: these traits are the contract the CUDA backend implements.
//! Changes are additive only (a new method with a default body, or a new
//! trait); an existing signature does not change.

use ndarray::Array2;

use super::device::{BackendCore, TensorMut, TensorRef};
use crate::error::Result;
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pirl_nce::MemoryBank;
use crate::ops::pool::PoolParams;
use crate::ops::sgd::SgdConfig;

/// Convolution (`src/ops/conv2d`): im2col + gemm orders documented there.
pub trait ConvOps: BackendCore {
    /// `y = conv(x, w)`, no bias; `w` is `(c_out, c_in/groups, kh, kw)`.
    fn conv2d_forward(&self, x: &Self::T4, w: &Self::T4, p: &Conv2dParams) -> Self::T4;
    /// `dx` for an input of spatial size `hw`.
    fn conv2d_backward_data(
        &self,
        dy: &Self::T4,
        w: &Self::T4,
        p: &Conv2dParams,
        hw: (usize, usize),
    ) -> Self::T4;
    /// `dw` (not accumulated: the caller adds it to the gradient).
    fn conv2d_backward_filter(&self, x: &Self::T4, dy: &Self::T4, p: &Conv2dParams) -> Self::T4;
    /// `(dw, dx)` of an input `x`: both gradients, which a device may compute
    /// side by side (the CPU runs them as one `rayon::join`). Each result is
    /// that of the two methods above.
    fn conv2d_backward(
        &self,
        x: &Self::T4,
        dy: &Self::T4,
        w: &Self::T4,
        p: &Conv2dParams,
    ) -> (Self::T4, Self::T4) {
        let (_, _, h, wd) = self.dims4(x);
        (
            self.conv2d_backward_filter(x, dy, p),
            self.conv2d_backward_data(dy, w, p, (h, wd)),
        )
    }
}

/// Affine batch normalisation (`src/ops/batch_norm`).
pub trait BatchNormOps: BackendCore {
    /// What the backward pass needs from a training-mode forward pass.
    type BatchNormCache: Send + Sync;
    /// Batch statistics; updates the running statistics in place.
    fn batch_norm_train_forward(
        &self,
        x: &Self::T4,
        gamma: &Self::T1,
        beta: &Self::T1,
        running_mean: &mut Self::T1,
        running_var: &mut Self::T1,
        p: &BatchNormParams,
    ) -> (Self::T4, Self::BatchNormCache);
    /// Running statistics.
    fn batch_norm_eval_forward(
        &self,
        x: &Self::T4,
        gamma: &Self::T1,
        beta: &Self::T1,
        running_mean: &Self::T1,
        running_var: &Self::T1,
        p: &BatchNormParams,
    ) -> Self::T4;
    /// `(dx, dgamma, dbeta)`.
    fn batch_norm_backward(
        &self,
        dy: &Self::T4,
        gamma: &Self::T1,
        cache: &Self::BatchNormCache,
    ) -> (Self::T4, Self::T1, Self::T1);
}

/// Pooling (`src/ops/pool`, `src/ops/global_avg_pool`).
pub trait PoolOps: BackendCore {
    /// The argmax positions a max pool's backward needs.
    type PoolIndex: Send + Sync;
    fn max_pool2d_forward(&self, x: &Self::T4, p: &PoolParams) -> (Self::T4, Self::PoolIndex);
    /// Scatters `dy` to the argmax positions of an input of spatial size `hw`.
    fn max_pool2d_backward(
        &self,
        dy: &Self::T4,
        index: &Self::PoolIndex,
        hw: (usize, usize),
    ) -> Self::T4;
    /// `count_include_pad=False`.
    fn avg_pool2d_forward(&self, x: &Self::T4, p: &PoolParams) -> Self::T4;
    fn avg_pool2d_backward(&self, dy: &Self::T4, p: &PoolParams, hw: (usize, usize)) -> Self::T4;
    /// `(N, C, H, W)` → `(N, C)` means.
    fn global_avg_pool_forward(&self, x: &Self::T4) -> Self::T2;
    fn global_avg_pool_backward(&self, dy: &Self::T2, hw: (usize, usize)) -> Self::T4;
}

/// Elementwise maps and activations (`src/ops/{relu,drop_path,zero,add}`).
pub trait ElementwiseOps: BackendCore {
    /// What a masked ReLU's backward needs (one flag per element).
    type ReluMask: Send + Sync;
    fn relu_forward_masked(&self, x: &Self::T4) -> (Self::T4, Self::ReluMask);
    fn relu_backward_masked(&self, mask: &Self::ReluMask, dy: &Self::T4) -> Self::T4;
    /// `max(x, 0)` keeping `-0.0` and NaN (see `src/ops/relu`).
    fn relu_forward(&self, x: &Self::T4) -> Self::T4;
    /// `dy` where `x > 0`, else 0.
    fn relu_backward(&self, x: &Self::T4, dy: &Self::T4) -> Self::T4;
    /// Per-sample `(x / keep_prob)·m`; `keep` is drawn on the host.
    fn drop_path_forward(&self, x: &Self::T4, keep: &[bool], drop_prob: f64) -> Self::T4;
    fn drop_path_backward(&self, dy: &Self::T4, keep: &[bool], drop_prob: f64) -> Self::T4;
    /// Zeros shaped like `x[:, :, ::stride, ::stride]`.
    fn zero_forward(&self, x: &Self::T4, stride: usize) -> Self::T4;
    /// `a + b`, one addition per element.
    fn add(&self, a: &Self::T4, b: &Self::T4) -> Self::T4;
    /// `acc += g`, one addition per element (gradient accumulation).
    fn add_assign(&self, acc: TensorMut<'_, Self>, g: TensorRef<'_, Self>);
}

/// Data layout: channel concat/split and the factorized reduce's crop and
/// shift-add (`src/ops/{concat,crop}`).
pub trait LayoutOps: BackendCore {
    /// Concatenates on channels, in the order given.
    fn concat_channels(&self, xs: &[&Self::T4]) -> Self::T4;
    /// Splits on channels into parts of the given widths.
    fn split_channels(&self, dy: &Self::T4, channels: &[usize]) -> Vec<Self::T4>;
    /// `x[:, :, 1:, 1:]` (the factorized reduce's shifted input).
    fn crop_top_left(&self, x: &Self::T4) -> Self::T4;
    /// `acc[:, :, 1:, 1:] += g`, one addition per element (its backward).
    fn shift_add(&self, acc: &mut Self::T4, g: &Self::T4);
    /// Rows `..at` and `at..` of `x` (copies). Default: through the host.
    fn split_rows(&self, x: &Self::T2, at: usize) -> (Self::T2, Self::T2) {
        let h = self.download2(x);
        let top = h.slice(ndarray::s![..at, ..]).to_owned();
        let bottom = h.slice(ndarray::s![at.., ..]).to_owned();
        (self.upload2(&top), self.upload2(&bottom))
    }
    /// `a` stacked over `b` (same widths). Default: through the host.
    fn concat_rows(&self, a: &Self::T2, b: &Self::T2) -> Self::T2 {
        let (ha, hb) = (self.download2(a), self.download2(b));
        let cat = ndarray::concatenate(ndarray::Axis(0), &[ha.view(), hb.view()])
            .expect("concat_rows: same widths");
        self.upload2(&cat)
    }
}

/// Matrix products (`src/ops/linear`, `src/ops/gemm`).
pub trait MatmulOps: BackendCore {
    /// `y = x·wᵀ + b`, `w` is `(out, in)`.
    fn linear_forward(&self, x: &Self::T2, w: &Self::T2, b: &Self::T1) -> Self::T2;
    /// `(dx, dw, db)`.
    fn linear_backward(
        &self,
        x: &Self::T2,
        w: &Self::T2,
        dy: &Self::T2,
    ) -> (Self::T2, Self::T2, Self::T1);
}

/// Losses on `(N, D)` features (`src/train/{nt_xent,pirl_nce,cross_entropy}`).
/// Each returns the loss as a host scalar; the PIRL memory bank lives on the
/// host (it is updated from downloaded features, see `train::contrastive`).
pub trait LossOps: BackendCore {
    type NtXentCache: Send + Sync;
    type PirlNceCache: Send + Sync;
    type CrossEntropyCache: Send + Sync;
    fn nt_xent_forward(
        &self,
        z: &Self::T2,
        temperature: Self::Elem,
    ) -> Result<(Self::Elem, Self::NtXentCache)>;
    fn nt_xent_backward(&self, cache: &Self::NtXentCache, dloss: Self::Elem) -> Self::T2;
    fn pirl_nce_forward(
        &self,
        view: &Self::T2,
        original: &Self::T2,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<Self::Elem>,
        temperature: Self::Elem,
    ) -> Result<(Self::Elem, Self::PirlNceCache)>;
    /// `(d view, d original)`; errors when the bank changed since forward.
    fn pirl_nce_backward(
        &self,
        cache: &Self::PirlNceCache,
        bank: &MemoryBank<Self::Elem>,
        dloss: Self::Elem,
    ) -> Result<(Self::T2, Self::T2)>;
    fn cross_entropy_forward(
        &self,
        logits: &Self::T2,
        labels: &[usize],
        smoothing: Self::Elem,
    ) -> Result<(Self::Elem, Self::CrossEntropyCache)>;
    fn cross_entropy_backward(
        &self,
        cache: &Self::CrossEntropyCache,
        dloss: Self::Elem,
    ) -> Self::T2;
}

/// The optimiser's arithmetic (`src/train/sgd.rs`): per-tensor pieces that
/// the optimiser type combines in a fixed order (tensors in state-dict order;
/// the clipping total `sqrt(Σ_t n_t²)` is formed on the host).
pub trait OptimOps: BackendCore {
    /// `sqrt(Σ g²)`, fused multiply-add over the elements in row-major order
    /// from `+0` (one tensor's share of `clip_grad_norm`).
    fn l2_norm(&self, g: TensorRef<'_, Self>) -> Self::Elem;
    /// `g ← g·coef`, one multiplication per element.
    fn scale(&self, g: TensorMut<'_, Self>, coef: Self::Elem);
    /// One SGD step of one parameter (`sgd_update_slice`'s order). `momentum`
    /// is the flat momentum buffer: `None` before the first step with
    /// momentum, set by it.
    fn sgd_update(
        &self,
        cfg: &SgdConfig,
        param: TensorMut<'_, Self>,
        grad: TensorRef<'_, Self>,
        momentum: &mut Option<Self::T1>,
    );
    /// Sets every element to `+0.0` (zeroing gradients).
    fn fill_zero(&self, t: TensorMut<'_, Self>);
}

/// Every op group: what the network, the losses, the optimiser and the
/// trials are written against.
pub trait Backend:
    BackendCore
    + ConvOps
    + BatchNormOps
    + PoolOps
    + ElementwiseOps
    + LayoutOps
    + MatmulOps
    + LossOps
    + OptimOps
{
}

impl<B> Backend for B where
    B: BackendCore
        + ConvOps
        + BatchNormOps
        + PoolOps
        + ElementwiseOps
        + LayoutOps
        + MatmulOps
        + LossOps
        + OptimOps
{
}
