//! The CUDA backend's op traits: each method routes to the op's CUDA side
//! in `src/ops/<op>/cuda.rs` (as `backend/cpu/ops.rs` routes to `cpu.rs`),
//! which states which kernel, or which library call, runs in which mode.

use ndarray::Array2;

use super::tensor::{CudaBackend, GpuTensor, tensor_mut, tensor_ref};
use crate::backend::device::{TensorMut, TensorRef};
use crate::backend::ops::{
    BatchNormOps, ConvOps, ElementwiseOps, LayoutOps, LossOps, MatmulOps, OptimOps, PoolOps,
};
use crate::error::Result;
use crate::ops::batch_norm::{self, BatchNormParams, cuda::GpuBatchNormCache};
use crate::ops::conv2d::{self, Conv2dParams};
use crate::ops::cross_entropy::{self, cuda::GpuCrossEntropyCache};
use crate::ops::nt_xent::{self, cuda::GpuNtXentCache};
use crate::ops::pirl_nce::{self, MemoryBank, cuda::GpuPirlNceCache};
use crate::ops::pool::{self, PoolParams, cuda::GpuPoolIndex};
use crate::ops::relu::{self, cuda::GpuReluMask};
use crate::ops::sgd::{self, SgdConfig};
use crate::ops::{add, clip_grad_norm, concat, crop, drop_path, global_avg_pool, linear, zero};

type T = GpuTensor;

impl ConvOps for CudaBackend {
    fn conv2d_forward(&self, x: &T, w: &T, p: &Conv2dParams) -> T {
        conv2d::cuda::conv2d_forward(self, x, w, p)
    }
    fn conv2d_backward_data(&self, dy: &T, w: &T, p: &Conv2dParams, hw: (usize, usize)) -> T {
        conv2d::cuda::conv2d_backward_data(self, dy, w, p, hw)
    }
    fn conv2d_backward_filter(&self, x: &T, dy: &T, p: &Conv2dParams) -> T {
        conv2d::cuda::conv2d_backward_filter(self, x, dy, p)
    }
}

impl BatchNormOps for CudaBackend {
    type BatchNormCache = GpuBatchNormCache;
    fn batch_norm_train_forward(
        &self,
        x: &T,
        gamma: &T,
        beta: &T,
        running_mean: &mut T,
        running_var: &mut T,
        p: &BatchNormParams,
    ) -> (T, GpuBatchNormCache) {
        batch_norm::cuda::batch_norm_train_forward(
            self,
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            p,
        )
    }
    fn batch_norm_eval_forward(
        &self,
        x: &T,
        gamma: &T,
        beta: &T,
        running_mean: &T,
        running_var: &T,
        p: &BatchNormParams,
    ) -> T {
        batch_norm::cuda::batch_norm_eval_forward(
            self,
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            p,
        )
    }
    fn batch_norm_backward(&self, dy: &T, gamma: &T, cache: &GpuBatchNormCache) -> (T, T, T) {
        batch_norm::cuda::batch_norm_backward(self, dy, gamma, cache)
    }
}

impl PoolOps for CudaBackend {
    type PoolIndex = GpuPoolIndex;
    fn max_pool2d_forward(&self, x: &T, p: &PoolParams) -> (T, GpuPoolIndex) {
        pool::cuda::max_pool2d_forward(self, x, p)
    }
    fn max_pool2d_backward(&self, dy: &T, index: &GpuPoolIndex, hw: (usize, usize)) -> T {
        pool::cuda::max_pool2d_backward(self, dy, index, hw)
    }
    fn avg_pool2d_forward(&self, x: &T, p: &PoolParams) -> T {
        pool::cuda::avg_pool2d_forward(self, x, p)
    }
    fn avg_pool2d_backward(&self, dy: &T, p: &PoolParams, hw: (usize, usize)) -> T {
        pool::cuda::avg_pool2d_backward(self, dy, p, hw)
    }
    fn global_avg_pool_forward(&self, x: &T) -> T {
        global_avg_pool::cuda::global_avg_pool_forward(self, x)
    }
    fn global_avg_pool_backward(&self, dy: &T, hw: (usize, usize)) -> T {
        global_avg_pool::cuda::global_avg_pool_backward(self, dy, hw)
    }
}

impl ElementwiseOps for CudaBackend {
    type ReluMask = GpuReluMask;
    fn relu_forward_masked(&self, x: &T) -> (T, GpuReluMask) {
        relu::cuda::relu_forward_masked(self, x)
    }
    fn relu_backward_masked(&self, mask: &GpuReluMask, dy: &T) -> T {
        relu::cuda::relu_backward_masked(self, mask, dy)
    }
    fn relu_forward(&self, x: &T) -> T {
        relu::cuda::relu_forward(self, x)
    }
    fn relu_backward(&self, x: &T, dy: &T) -> T {
        relu::cuda::relu_backward(self, x, dy)
    }
    fn drop_path_forward(&self, x: &T, keep: &[bool], drop_prob: f64) -> T {
        drop_path::cuda::drop_path_forward(self, x, keep, drop_prob)
    }
    fn drop_path_backward(&self, dy: &T, keep: &[bool], drop_prob: f64) -> T {
        drop_path::cuda::drop_path_backward(self, dy, keep, drop_prob)
    }
    fn zero_forward(&self, x: &T, stride: usize) -> T {
        zero::cuda::zero_forward(self, x, stride)
    }
    fn add(&self, a: &T, b: &T) -> T {
        add::cuda::add(self, a, b)
    }
    fn add_assign(&self, mut acc: TensorMut<'_, Self>, g: TensorRef<'_, Self>) {
        add::cuda::add_assign(self, tensor_mut(&mut acc), tensor_ref(g))
    }
}

impl LayoutOps for CudaBackend {
    fn split_rows(&self, x: &T, at: usize) -> (T, T) {
        concat::cuda::split_rows(self, x, at)
    }
    fn concat_rows(&self, a: &T, b: &T) -> T {
        concat::cuda::concat_rows(self, a, b)
    }
    fn concat_channels(&self, xs: &[&T]) -> T {
        concat::cuda::concat_channels(self, xs)
    }
    fn split_channels(&self, dy: &T, channels: &[usize]) -> Vec<T> {
        concat::cuda::split_channels(self, dy, channels)
    }
    fn crop_top_left(&self, x: &T) -> T {
        crop::cuda::crop_top_left(self, x)
    }
    fn shift_add(&self, acc: &mut T, g: &T) {
        crop::cuda::shift_add(self, acc, g)
    }
}

impl MatmulOps for CudaBackend {
    fn linear_forward(&self, x: &T, w: &T, b: &T) -> T {
        linear::cuda::linear_forward(self, x, w, b)
    }
    fn linear_backward(&self, x: &T, w: &T, dy: &T) -> (T, T, T) {
        linear::cuda::linear_backward(self, x, w, dy)
    }
}

impl OptimOps for CudaBackend {
    fn l2_norm(&self, g: TensorRef<'_, Self>) -> f32 {
        clip_grad_norm::cuda::l2_norm(self, tensor_ref(g))
    }
    fn scale(&self, mut g: TensorMut<'_, Self>, coef: f32) {
        clip_grad_norm::cuda::scale(self, tensor_mut(&mut g), coef)
    }
    fn sgd_update(
        &self,
        cfg: &SgdConfig,
        mut param: TensorMut<'_, Self>,
        grad: TensorRef<'_, Self>,
        momentum: &mut Option<T>,
    ) {
        sgd::cuda::sgd_update(
            self,
            cfg,
            tensor_mut(&mut param),
            tensor_ref(grad),
            momentum,
        )
    }
    fn fill_zero(&self, mut t: TensorMut<'_, Self>) {
        self.gpu.fill_zero(&mut tensor_mut(&mut t).buf);
    }
}

impl LossOps for CudaBackend {
    type NtXentCache = GpuNtXentCache;
    type PirlNceCache = GpuPirlNceCache;
    type CrossEntropyCache = GpuCrossEntropyCache;
    fn nt_xent_forward(&self, z: &T, temperature: f32) -> Result<(f32, GpuNtXentCache)> {
        nt_xent::cuda::nt_xent_forward(self, z, temperature)
    }
    fn nt_xent_backward(&self, c: &GpuNtXentCache, dloss: f32) -> T {
        nt_xent::cuda::nt_xent_backward(self, c, dloss)
    }
    fn pirl_nce_forward(
        &self,
        view: &T,
        original: &T,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<f32>,
        temperature: f32,
    ) -> Result<(f32, GpuPirlNceCache)> {
        pirl_nce::cuda::pirl_nce_forward(
            self,
            view,
            original,
            indices,
            negatives,
            bank,
            temperature,
        )
    }
    fn pirl_nce_backward(
        &self,
        c: &GpuPirlNceCache,
        bank: &MemoryBank<f32>,
        dloss: f32,
    ) -> Result<(T, T)> {
        pirl_nce::cuda::pirl_nce_backward(self, c, bank, dloss)
    }
    fn cross_entropy_forward(
        &self,
        logits: &T,
        labels: &[usize],
        smoothing: f32,
    ) -> Result<(f32, GpuCrossEntropyCache)> {
        cross_entropy::cuda::cross_entropy_forward(self, logits, labels, smoothing)
    }
    fn cross_entropy_backward(&self, c: &GpuCrossEntropyCache, dloss: f32) -> T {
        cross_entropy::cuda::cross_entropy_backward(self, c, dloss)
    }
}
