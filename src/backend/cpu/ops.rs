//! The CPU backend's op traits: each method routes to the reference op in
//! `src/ops/<op>/` or `src/train/`, unchanged, so the seam adds no rounding.

use ndarray::{Array1, Array2, Array4};

use super::{Cpu, flat, flat_mut};
use crate::backend::device::{TensorMut, TensorRef};
use crate::backend::ops::{
    BatchNormOps, ConvOps, ElementwiseOps, LayoutOps, LossOps, MatmulOps, OptimOps, PoolOps,
};
use crate::error::Result;
use crate::ops::batch_norm::{self, BatchNormCache, BatchNormParams};
use crate::ops::conv2d::{self, Conv2dParams};
use crate::ops::cross_entropy::{self, CrossEntropyCache};
use crate::ops::nt_xent::{self, NtXentCache};
use crate::ops::pirl_nce::{self, MemoryBank, PirlNceCache};
use crate::ops::pool::{self, PoolParams};
use crate::ops::sgd::{self, SgdConfig};
use crate::ops::{
    add, clip_grad_norm, concat, crop, drop_path, global_avg_pool, linear, relu, zero,
};
use crate::real::Real;

impl<T: Real> ConvOps for Cpu<T> {
    fn conv2d_forward(&self, x: &Array4<T>, w: &Array4<T>, p: &Conv2dParams) -> Array4<T> {
        conv2d::conv2d_forward(x, w, p)
    }
    fn conv2d_backward_data(
        &self,
        dy: &Array4<T>,
        w: &Array4<T>,
        p: &Conv2dParams,
        hw: (usize, usize),
    ) -> Array4<T> {
        conv2d::conv2d_backward_data(dy, w, p, hw)
    }
    fn conv2d_backward_filter(&self, x: &Array4<T>, dy: &Array4<T>, p: &Conv2dParams) -> Array4<T> {
        conv2d::conv2d_backward_filter(x, dy, p)
    }
    /// The two gradients are independent; running them side by side lets
    /// the pool fill the filter gradient's sequential-over-images chains
    /// with backward-data work. Each result is the same whichever finishes first.
    fn conv2d_backward(
        &self,
        x: &Array4<T>,
        dy: &Array4<T>,
        w: &Array4<T>,
        p: &Conv2dParams,
    ) -> (Array4<T>, Array4<T>) {
        let hw = (x.dim().2, x.dim().3);
        rayon::join(
            || conv2d::conv2d_backward_filter(x, dy, p),
            || conv2d::conv2d_backward_data(dy, w, p, hw),
        )
    }
}

impl<T: Real> BatchNormOps for Cpu<T> {
    type BatchNormCache = BatchNormCache<T>;
    fn batch_norm_train_forward(
        &self,
        x: &Array4<T>,
        gamma: &Array1<T>,
        beta: &Array1<T>,
        running_mean: &mut Array1<T>,
        running_var: &mut Array1<T>,
        p: &BatchNormParams,
    ) -> (Array4<T>, BatchNormCache<T>) {
        batch_norm::batch_norm_train_forward(
            x,
            Some(gamma),
            Some(beta),
            running_mean,
            running_var,
            p,
        )
    }
    fn batch_norm_eval_forward(
        &self,
        x: &Array4<T>,
        gamma: &Array1<T>,
        beta: &Array1<T>,
        running_mean: &Array1<T>,
        running_var: &Array1<T>,
        p: &BatchNormParams,
    ) -> Array4<T> {
        batch_norm::batch_norm_eval_forward(
            x,
            Some(gamma),
            Some(beta),
            running_mean,
            running_var,
            p,
        )
    }
    fn batch_norm_backward(
        &self,
        dy: &Array4<T>,
        gamma: &Array1<T>,
        cache: &BatchNormCache<T>,
    ) -> (Array4<T>, Array1<T>, Array1<T>) {
        batch_norm::batch_norm_backward(dy, Some(gamma), cache)
    }
}

impl<T: Real> PoolOps for Cpu<T> {
    type PoolIndex = Array4<u32>;
    fn max_pool2d_forward(&self, x: &Array4<T>, p: &PoolParams) -> (Array4<T>, Array4<u32>) {
        pool::max_pool2d_forward(x, p)
    }
    fn max_pool2d_backward(
        &self,
        dy: &Array4<T>,
        index: &Array4<u32>,
        hw: (usize, usize),
    ) -> Array4<T> {
        pool::max_pool2d_backward(dy, index, hw)
    }
    fn avg_pool2d_forward(&self, x: &Array4<T>, p: &PoolParams) -> Array4<T> {
        pool::avg_pool2d_forward(x, p)
    }
    fn avg_pool2d_backward(&self, dy: &Array4<T>, p: &PoolParams, hw: (usize, usize)) -> Array4<T> {
        pool::avg_pool2d_backward(dy, p, hw)
    }
    fn global_avg_pool_forward(&self, x: &Array4<T>) -> Array2<T> {
        global_avg_pool::global_avg_pool_forward(x)
    }
    fn global_avg_pool_backward(&self, dy: &Array2<T>, hw: (usize, usize)) -> Array4<T> {
        global_avg_pool::global_avg_pool_backward(dy, hw)
    }
}

impl<T: Real> ElementwiseOps for Cpu<T> {
    type ReluMask = relu::Mask;
    fn relu_forward_masked(&self, x: &Array4<T>) -> (Array4<T>, relu::Mask) {
        relu::relu_forward_masked(x)
    }
    fn relu_backward_masked(&self, mask: &relu::Mask, dy: &Array4<T>) -> Array4<T> {
        relu::relu_backward_masked(mask, dy)
    }
    fn relu_forward(&self, x: &Array4<T>) -> Array4<T> {
        relu::relu_forward(x)
    }
    fn relu_backward(&self, x: &Array4<T>, dy: &Array4<T>) -> Array4<T> {
        relu::relu_backward(x, dy)
    }
    fn drop_path_forward(&self, x: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
        drop_path::drop_path_forward(x, keep, drop_prob)
    }
    fn drop_path_backward(&self, dy: &Array4<T>, keep: &[bool], drop_prob: f64) -> Array4<T> {
        drop_path::drop_path_backward(dy, keep, drop_prob)
    }
    fn zero_forward(&self, x: &Array4<T>, stride: usize) -> Array4<T> {
        zero::zero_forward(x, stride)
    }
    fn add(&self, a: &Array4<T>, b: &Array4<T>) -> Array4<T> {
        add::add(a, b)
    }
    fn add_assign(&self, acc: TensorMut<'_, Self>, g: TensorRef<'_, Self>) {
        match (acc, g) {
            (TensorMut::R1(a), TensorRef::R1(b)) => add::add_assign(a, b),
            (TensorMut::R2(a), TensorRef::R2(b)) => add::add_assign(a, b),
            (TensorMut::R4(a), TensorRef::R4(b)) => add::add_assign(a, b),
            _ => panic!("add_assign: tensors of different ranks"),
        }
    }
}

impl<T: Real> LayoutOps for Cpu<T> {
    fn concat_channels(&self, xs: &[&Array4<T>]) -> Array4<T> {
        concat::concat_channels(xs)
    }
    fn split_channels(&self, dy: &Array4<T>, channels: &[usize]) -> Vec<Array4<T>> {
        concat::split_channels(dy, channels)
    }
    fn crop_top_left(&self, x: &Array4<T>) -> Array4<T> {
        crop::crop_top_left(x)
    }
    fn shift_add(&self, acc: &mut Array4<T>, g: &Array4<T>) {
        crop::shift_add(acc, g)
    }
    fn split_rows(&self, x: &Array2<T>, at: usize) -> (Array2<T>, Array2<T>) {
        (
            x.slice(ndarray::s![..at, ..]).to_owned(),
            x.slice(ndarray::s![at.., ..]).to_owned(),
        )
    }
    fn concat_rows(&self, a: &Array2<T>, b: &Array2<T>) -> Array2<T> {
        ndarray::concatenate(ndarray::Axis(0), &[a.view(), b.view()])
            .expect("concat_rows: same widths")
    }
}

impl<T: Real> MatmulOps for Cpu<T> {
    fn linear_forward(&self, x: &Array2<T>, w: &Array2<T>, b: &Array1<T>) -> Array2<T> {
        linear::linear_forward(x, w, Some(b))
    }
    fn linear_backward(
        &self,
        x: &Array2<T>,
        w: &Array2<T>,
        dy: &Array2<T>,
    ) -> (Array2<T>, Array2<T>, Array1<T>) {
        linear::linear_backward(x, w, dy)
    }
}

impl<T: Real> LossOps for Cpu<T> {
    type NtXentCache = NtXentCache<T>;
    type PirlNceCache = PirlNceCache<T>;
    type CrossEntropyCache = CrossEntropyCache<T>;
    fn nt_xent_forward(&self, z: &Array2<T>, temperature: T) -> Result<(T, NtXentCache<T>)> {
        nt_xent::nt_xent_forward(z, temperature)
    }
    fn nt_xent_backward(&self, cache: &NtXentCache<T>, dloss: T) -> Array2<T> {
        nt_xent::nt_xent_backward(cache, dloss)
    }
    fn pirl_nce_forward(
        &self,
        view: &Array2<T>,
        original: &Array2<T>,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<T>,
        temperature: T,
    ) -> Result<(T, PirlNceCache<T>)> {
        pirl_nce::pirl_nce_forward(view, original, indices, negatives, bank, temperature)
    }
    fn pirl_nce_backward(
        &self,
        cache: &PirlNceCache<T>,
        bank: &MemoryBank<T>,
        dloss: T,
    ) -> Result<(Array2<T>, Array2<T>)> {
        pirl_nce::pirl_nce_backward(cache, bank, dloss)
    }
    fn cross_entropy_forward(
        &self,
        logits: &Array2<T>,
        labels: &[usize],
        smoothing: T,
    ) -> Result<(T, CrossEntropyCache<T>)> {
        cross_entropy::cross_entropy_forward(logits, labels, smoothing)
    }
    fn cross_entropy_backward(&self, cache: &CrossEntropyCache<T>, dloss: T) -> Array2<T> {
        cross_entropy::cross_entropy_backward(cache, dloss)
    }
}

impl<T: Real> OptimOps for Cpu<T> {
    fn l2_norm(&self, g: TensorRef<'_, Self>) -> T {
        clip_grad_norm::l2_norm_slice(flat(g))
    }
    fn scale(&self, g: TensorMut<'_, Self>, coef: T) {
        clip_grad_norm::scale_slice(flat_mut(g), coef)
    }
    fn sgd_update(
        &self,
        cfg: &SgdConfig,
        param: TensorMut<'_, Self>,
        grad: TensorRef<'_, Self>,
        momentum: &mut Option<Array1<T>>,
    ) {
        let buf = momentum
            .as_mut()
            .map(|b| b.as_slice_mut().expect("standard layout"));
        if let Some(fresh) = sgd::sgd_update_slice(cfg, flat_mut(param), flat(grad), buf) {
            *momentum = Some(Array1::from(fresh));
        }
    }
    fn fill_zero(&self, t: TensorMut<'_, Self>) {
        flat_mut(t).fill(T::ZERO)
    }
}
