//! The network ops of the CUDA backend: convolution, batch norm, pooling,
//! elementwise maps, layout. Each method states which kernel (or library
//! call) runs in which mode; the order each kernel follows is documented in
//! its `.cu` file and proven on the host by `tests/kernels_host`.

use cudarc::driver::CudaSlice;

use super::runtime::{PoolArgs, go, go_with};
use super::tensor::{CudaBackend, GpuTensor};
use crate::backend::cuda_plan::{BN_BLOCK, ConvGeom};
use crate::backend::device::{TensorMut, TensorRef};
use crate::backend::ops::{BatchNormOps, ConvOps, PoolOps};
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pool::PoolParams;

/// What the batch-norm backward needs: `x̂` and `1/σ` per channel.
pub struct GpuBatchNormCache {
    x_hat: GpuTensor,
    inv_std: GpuTensor,
}

/// A max pool's argmax (flat index within the input plane) per output, and
/// the window parameters the backward's gather needs.
pub struct GpuPoolIndex {
    argmax: CudaSlice<u32>,
    out_dims: Vec<usize>,
    p: PoolArgs,
}

/// A ReLU's mask: one byte per element, 1 where the input was `> 0`.
pub struct GpuReluMask {
    bytes: CudaSlice<u8>,
    dims: Vec<usize>,
}

pub(super) fn tensor_mut<'a>(t: &'a mut TensorMut<'_, CudaBackend>) -> &'a mut GpuTensor {
    match t {
        TensorMut::R1(t) => t,
        TensorMut::R2(t) => t,
        TensorMut::R4(t) => t,
    }
}

pub(super) fn tensor_ref<'a>(t: TensorRef<'a, CudaBackend>) -> &'a GpuTensor {
    match t {
        TensorRef::R1(t) => t,
        TensorRef::R2(t) => t,
        TensorRef::R4(t) => t,
    }
}

fn fail(e: crate::error::Error) -> ! {
    panic!("{e}")
}

impl ConvOps for CudaBackend {
    /// Exact: `conv2d_forward_exact_f32`. Fast: cuDNN, pinned algorithm.
    fn conv2d_forward(&self, x: &GpuTensor, w: &GpuTensor, p: &Conv2dParams) -> GpuTensor {
        let (n, cin, h, wd) = x.d4();
        let g = ConvGeom::new(n, cin, (h, wd), w.d4().0, p);
        let mut y = self.zeros(&[n, w.d4().0, g.oh as usize, g.ow as usize]);
        if y.is_empty() || x.is_empty() {
            return y;
        }
        if self.exact {
            let name = "conv2d_forward_exact_f32";
            go(
                y.len(),
                name,
                self.gpu
                    .kernel(name)
                    .arg(&x.buf)
                    .arg(&w.buf)
                    .arg(&mut y.buf)
                    .arg(&g),
            );
        } else {
            self.dnn
                .forward(&g, &x.buf, &w.buf, &mut y.buf)
                .unwrap_or_else(|e| fail(e));
        }
        y
    }

    /// Exact: `conv2d_backward_data_exact_f32` (a gather). Fast: cuDNN.
    fn conv2d_backward_data(
        &self,
        dy: &GpuTensor,
        w: &GpuTensor,
        p: &Conv2dParams,
        hw: (usize, usize),
    ) -> GpuTensor {
        let (n, cout, _, _) = dy.d4();
        let cin = w.d4().1 * p.groups;
        let g = ConvGeom::new(n, cin, hw, cout, p);
        let mut dx = self.zeros(&[n, cin, hw.0, hw.1]);
        if dx.is_empty() || dy.is_empty() {
            return dx;
        }
        if self.exact {
            let name = "conv2d_backward_data_exact_f32";
            go(
                dx.len(),
                name,
                self.gpu
                    .kernel(name)
                    .arg(&dy.buf)
                    .arg(&w.buf)
                    .arg(&mut dx.buf)
                    .arg(&g),
            );
        } else {
            self.dnn
                .backward_data(&g, &dy.buf, &w.buf, &mut dx.buf)
                .unwrap_or_else(|e| fail(e));
        }
        dx
    }

    /// Exact: `conv2d_backward_filter_exact_f32`. Fast: cuDNN.
    fn conv2d_backward_filter(&self, x: &GpuTensor, dy: &GpuTensor, p: &Conv2dParams) -> GpuTensor {
        let (n, cin, h, wd) = x.d4();
        let cout = dy.d4().1;
        let g = ConvGeom::new(n, cin, (h, wd), cout, p);
        let mut dw = self.zeros(&[cout, cin / p.groups, p.kernel[0], p.kernel[1]]);
        if dw.is_empty() || x.is_empty() || dy.is_empty() {
            return dw;
        }
        if self.exact {
            let name = "conv2d_backward_filter_exact_f32";
            go(
                dw.len(),
                name,
                self.gpu
                    .kernel(name)
                    .arg(&x.buf)
                    .arg(&dy.buf)
                    .arg(&mut dw.buf)
                    .arg(&g),
            );
        } else {
            self.dnn
                .backward_filter(&g, &x.buf, &dy.buf, &mut dw.buf)
                .unwrap_or_else(|e| fail(e));
        }
        dw
    }
}

impl BatchNormOps for CudaBackend {
    type BatchNormCache = GpuBatchNormCache;

    /// Statistics: `_seq` kernels (the CPU's order) in exact mode, `_block`
    /// (fixed tree, within tolerance) in fast mode; then finalize, apply.
    fn batch_norm_train_forward(
        &self,
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
        let (mut mean, mut ssd, mut inv_std) =
            (self.zeros(&[c]), self.zeros(&[c]), self.zeros(&[c]));
        let stats = if self.exact {
            "batch_norm_stats_seq_f32"
        } else {
            "batch_norm_stats_block_f32"
        };
        let mut a = self.gpu.kernel(stats);
        a.arg(&x.buf)
            .arg(&mut mean.buf)
            .arg(&mut ssd.buf)
            .arg(&batch)
            .arg(&ch)
            .arg(&plane);
        if self.exact {
            go(c, stats, &mut a)
        } else {
            go_with(&mut a, stats, c as u32, BN_BLOCK)
        }
        let (eps, m, one_minus_m, count) = (
            p.eps as f32,
            p.momentum as f32,
            (1.0 - p.momentum) as f32,
            batch * plane,
        );
        let name = "batch_norm_finalize_f32";
        go(
            c,
            name,
            self.gpu
                .kernel(name)
                .arg(&mean.buf)
                .arg(&ssd.buf)
                .arg(&mut inv_std.buf)
                .arg(&mut running_mean.buf)
                .arg(&mut running_var.buf)
                .arg(&eps)
                .arg(&m)
                .arg(&one_minus_m)
                .arg(&count)
                .arg(&ch),
        );
        let (mut y, mut x_hat) = (self.zeros(&x.dims), self.zeros(&x.dims));
        let total = x.len() as u64;
        let name = "batch_norm_apply_f32";
        go(
            x.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mean.buf)
                .arg(&inv_std.buf)
                .arg(&gamma.buf)
                .arg(&beta.buf)
                .arg(&mut x_hat.buf)
                .arg(&mut y.buf)
                .arg(&ch)
                .arg(&plane)
                .arg(&total),
        );
        (y, GpuBatchNormCache { x_hat, inv_std })
    }

    /// `batch_norm_eval_inv_std_f32`, then apply (no `x̂`); same in both modes.
    fn batch_norm_eval_forward(
        &self,
        x: &GpuTensor,
        gamma: &GpuTensor,
        beta: &GpuTensor,
        running_mean: &GpuTensor,
        running_var: &GpuTensor,
        p: &BatchNormParams,
    ) -> GpuTensor {
        let (_, c, h, w) = x.d4();
        let (ch, plane, total, eps) = (c as u64, (h * w) as u64, x.len() as u64, p.eps as f32);
        let mut inv_std = self.zeros(&[c]);
        let name = "batch_norm_eval_inv_std_f32";
        go(
            c,
            name,
            self.gpu
                .kernel(name)
                .arg(&running_var.buf)
                .arg(&mut inv_std.buf)
                .arg(&eps)
                .arg(&ch),
        );
        let mut y = self.zeros(&x.dims);
        let null = 0u64;
        let name = "batch_norm_apply_f32";
        go(
            x.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&running_mean.buf)
                .arg(&inv_std.buf)
                .arg(&gamma.buf)
                .arg(&beta.buf)
                .arg(&null)
                .arg(&mut y.buf)
                .arg(&ch)
                .arg(&plane)
                .arg(&total),
        );
        y
    }

    /// Sums (`_seq` exact / `_block` fast), then `batch_norm_backward_dx_f32`.
    fn batch_norm_backward(
        &self,
        dy: &GpuTensor,
        gamma: &GpuTensor,
        cache: &GpuBatchNormCache,
    ) -> (GpuTensor, GpuTensor, GpuTensor) {
        let (n, c, h, w) = dy.d4();
        let (batch, ch, plane) = (n as u64, c as u64, (h * w) as u64);
        let (mut sdy, mut sdyx) = (self.zeros(&[c]), self.zeros(&[c]));
        let sums = if self.exact {
            "batch_norm_backward_sums_seq_f32"
        } else {
            "batch_norm_backward_sums_block_f32"
        };
        let mut a = self.gpu.kernel(sums);
        a.arg(&dy.buf)
            .arg(&cache.x_hat.buf)
            .arg(&mut sdy.buf)
            .arg(&mut sdyx.buf)
            .arg(&batch)
            .arg(&ch)
            .arg(&plane);
        if self.exact {
            go(c, sums, &mut a)
        } else {
            go_with(&mut a, sums, c as u32, BN_BLOCK)
        }
        let mut dx = self.zeros(&dy.dims);
        let (count, total) = (batch * plane, dy.len() as u64);
        let name = "batch_norm_backward_dx_f32";
        go(
            dy.len(),
            name,
            self.gpu
                .kernel(name)
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
                .arg(&total),
        );
        (dx, sdyx, sdy)
    }
}

/// `(planes, h, w, oh, ow)` of a pooling of `x` into `out_dims`.
fn pool_dims(n: usize, c: usize, hw: (usize, usize), ohw: (usize, usize)) -> [u64; 5] {
    [
        (n * c) as u64,
        hw.0 as u64,
        hw.1 as u64,
        ohw.0 as u64,
        ohw.1 as u64,
    ]
}

impl PoolOps for CudaBackend {
    type PoolIndex = GpuPoolIndex;

    fn max_pool2d_forward(&self, x: &GpuTensor, p: &PoolParams) -> (GpuTensor, GpuPoolIndex) {
        let (n, c, h, w) = x.d4();
        let (oh, ow) = p.out_hw(h, w);
        let mut y = self.zeros(&[n, c, oh, ow]);
        let mut argmax = self.gpu.zeros::<u32>(y.len());
        let (pa, d) = (PoolArgs::from(p), pool_dims(n, c, (h, w), (oh, ow)));
        let name = "max_pool2d_forward_f32";
        go(
            y.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mut y.buf)
                .arg(&mut argmax)
                .arg(&pa)
                .arg(&d[0])
                .arg(&d[1])
                .arg(&d[2])
                .arg(&d[3])
                .arg(&d[4]),
        );
        let out_dims = y.dims.clone();
        (
            y,
            GpuPoolIndex {
                argmax,
                out_dims,
                p: pa,
            },
        )
    }

    /// A gather per input element in the CPU's scatter order (no atomics).
    fn max_pool2d_backward(
        &self,
        dy: &GpuTensor,
        index: &GpuPoolIndex,
        hw: (usize, usize),
    ) -> GpuTensor {
        let (n, c, oh, ow) = dy.d4();
        assert_eq!(dy.dims, index.out_dims, "max_pool2d: argmax shape");
        let mut dx = self.zeros(&[n, c, hw.0, hw.1]);
        let d = pool_dims(n, c, hw, (oh, ow));
        let name = "max_pool2d_backward_f32";
        go(
            dx.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&dy.buf)
                .arg(&index.argmax)
                .arg(&mut dx.buf)
                .arg(&index.p)
                .arg(&d[0])
                .arg(&d[1])
                .arg(&d[2])
                .arg(&d[3])
                .arg(&d[4]),
        );
        dx
    }

    fn avg_pool2d_forward(&self, x: &GpuTensor, p: &PoolParams) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        let (oh, ow) = p.out_hw(h, w);
        let mut y = self.zeros(&[n, c, oh, ow]);
        let (pa, d) = (PoolArgs::from(p), pool_dims(n, c, (h, w), (oh, ow)));
        let name = "avg_pool2d_forward_f32";
        go(
            y.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mut y.buf)
                .arg(&pa)
                .arg(&d[0])
                .arg(&d[1])
                .arg(&d[2])
                .arg(&d[3])
                .arg(&d[4]),
        );
        y
    }

    fn avg_pool2d_backward(&self, dy: &GpuTensor, p: &PoolParams, hw: (usize, usize)) -> GpuTensor {
        let (n, c, oh, ow) = dy.d4();
        let mut dx = self.zeros(&[n, c, hw.0, hw.1]);
        let (pa, d) = (PoolArgs::from(p), pool_dims(n, c, hw, (oh, ow)));
        let name = "avg_pool2d_backward_f32";
        go(
            dx.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&dy.buf)
                .arg(&mut dx.buf)
                .arg(&pa)
                .arg(&d[0])
                .arg(&d[1])
                .arg(&d[2])
                .arg(&d[3])
                .arg(&d[4]),
        );
        dx
    }

    fn global_avg_pool_forward(&self, x: &GpuTensor) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        let mut y = self.zeros(&[n, c]);
        let (planes, plane) = ((n * c) as u64, (h * w) as u64);
        let name = "global_avg_pool_forward_f32";
        go(
            n * c,
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mut y.buf)
                .arg(&planes)
                .arg(&plane),
        );
        y
    }

    fn global_avg_pool_backward(&self, dy: &GpuTensor, hw: (usize, usize)) -> GpuTensor {
        let (n, c) = dy.d2();
        let mut dx = self.zeros(&[n, c, hw.0, hw.1]);
        let (planes, plane) = ((n * c) as u64, (hw.0 * hw.1) as u64);
        let name = "global_avg_pool_backward_f32";
        go(
            dx.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&dy.buf)
                .arg(&mut dx.buf)
                .arg(&planes)
                .arg(&plane),
        );
        dx
    }
}

#[path = "nn_elementwise.rs"]
mod elementwise;
