//! A wrapper backend that runs every op on an inner backend and, for the one
//! op it is told to perturb, moves every element of that op's output up by
//! one ulp (an exact zero, which one ulp could not move visibly through a
//! later addition, becomes 1).
//!
//! Why: it proves the seam is really used end to end. If a network, loss,
//! optimiser or trial reached a device's arithmetic any other way than
//! through the backend traits, perturbing that op here would change nothing;
//! the tests (`backend::perturbed_tests`) perturb each op in turn and require
//! a different result, and perturbing nothing must give the same bits as the
//! inner backend. `verify` uses it the same way (a candidate that must fail,
//! naming the op).
//!
//! The arithmetic name is the inner one's with `+perturbed:<op>`, so a log
//! made on it never passes for a reference log.

use std::borrow::Cow;

use ndarray::{Array1, Array2, Array4};

use super::BackendKind;
use super::device::{BackendCore, Dims4, TensorMut, TensorRef};
use super::ops::{
    BatchNormOps, ConvOps, ElementwiseOps, LayoutOps, LossOps, MatmulOps, OptimOps, PoolOps,
};
use crate::error::Result;
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pirl_nce::MemoryBank;
use crate::ops::pool::PoolParams;
use crate::ops::sgd::SgdConfig;
use crate::real::Real;

/// Every op of the seam, by method name (what [`Perturbed::new`] accepts).
pub const OPS: &[&str] = &[
    "conv2d_forward",
    "conv2d_backward_data",
    "conv2d_backward_filter",
    "batch_norm_train_forward",
    "batch_norm_eval_forward",
    "batch_norm_backward",
    "max_pool2d_forward",
    "max_pool2d_backward",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
    "global_avg_pool_forward",
    "global_avg_pool_backward",
    "relu_forward_masked",
    "relu_backward_masked",
    "relu_forward",
    "relu_backward",
    "drop_path_forward",
    "drop_path_backward",
    "zero_forward",
    "add",
    "add_assign",
    "concat_channels",
    "split_channels",
    "crop_top_left",
    "shift_add",
    "split_rows",
    "concat_rows",
    "linear_forward",
    "linear_backward",
    "nt_xent_forward",
    "nt_xent_backward",
    "pirl_nce_forward",
    "pirl_nce_backward",
    "cross_entropy_forward",
    "cross_entropy_backward",
    "l2_norm",
    "scale",
    "sgd_update",
    "fill_zero",
];

/// The inner backend with (at most) one op perturbed.
#[derive(Clone, Debug)]
pub struct Perturbed<B> {
    inner: B,
    op: Option<&'static str>,
}

impl<B: BackendCore> Perturbed<B> {
    /// Perturbs `op` (one of [`OPS`]; `None`: nothing, a faithful wrapper).
    /// Panics on a name that is not an op: a typo must not make a test pass.
    pub fn new(inner: B, op: Option<&'static str>) -> Self {
        if let Some(name) = op {
            assert!(OPS.contains(&name), "no op named {name}");
        }
        Perturbed { inner, op }
    }

    fn hit(&self, name: &str) -> bool {
        self.op == Some(name)
    }

    /// One ulp up, in the element type (zero becomes one).
    fn bump(v: B::Elem) -> B::Elem {
        if v == B::Elem::ZERO {
            B::Elem::ONE
        } else if B::Elem::BYTES == 4 {
            B::Elem::from_f64(f64::from((v.to_f64() as f32).next_up()))
        } else {
            B::Elem::from_f64(v.to_f64().next_up())
        }
    }

    fn scalar(&self, name: &str, v: B::Elem) -> B::Elem {
        if self.hit(name) { Self::bump(v) } else { v }
    }

    fn in_place(&self, name: &str, t: TensorMut<'_, B>) {
        if self.hit(name) {
            let host: Vec<B::Elem> = self
                .inner
                .host_slice(t.as_ref())
                .iter()
                .map(|&v| Self::bump(v))
                .collect();
            self.inner.write_host(t, &host);
        }
    }

    fn t2(&self, name: &str, mut t: B::T2) -> B::T2 {
        self.in_place(name, TensorMut::R2(&mut t));
        t
    }
    fn t4(&self, name: &str, mut t: B::T4) -> B::T4 {
        self.in_place(name, TensorMut::R4(&mut t));
        t
    }
}

impl<B: BackendCore> BackendCore for Perturbed<B> {
    type Elem = B::Elem;
    type T1 = B::T1;
    type T2 = B::T2;
    type T4 = B::T4;
    fn arithmetic(&self) -> String {
        match self.op {
            Some(op) => format!("{}+perturbed:{op}", self.inner.arithmetic()),
            None => self.inner.arithmetic(),
        }
    }
    fn kind(&self) -> BackendKind {
        self.inner.kind()
    }
    fn upload1(&self, host: &Array1<B::Elem>) -> B::T1 {
        self.inner.upload1(host)
    }
    fn upload2(&self, host: &Array2<B::Elem>) -> B::T2 {
        self.inner.upload2(host)
    }
    fn upload4(&self, host: &Array4<B::Elem>) -> B::T4 {
        self.inner.upload4(host)
    }
    fn upload4_owned(&self, host: Array4<B::Elem>) -> B::T4 {
        self.inner.upload4_owned(host)
    }
    fn download1(&self, t: &B::T1) -> Array1<B::Elem> {
        self.inner.download1(t)
    }
    fn download2(&self, t: &B::T2) -> Array2<B::Elem> {
        self.inner.download2(t)
    }
    fn download4(&self, t: &B::T4) -> Array4<B::Elem> {
        self.inner.download4(t)
    }
    fn host_slice<'a>(&self, t: TensorRef<'a, Self>) -> Cow<'a, [B::Elem]> {
        self.inner.host_slice(down_ref(t))
    }
    fn write_host(&self, t: TensorMut<'_, Self>, values: &[B::Elem]) {
        self.inner.write_host(down_mut(t), values)
    }
    fn dims1(&self, t: &B::T1) -> usize {
        self.inner.dims1(t)
    }
    fn dims2(&self, t: &B::T2) -> (usize, usize) {
        self.inner.dims2(t)
    }
    fn dims4(&self, t: &B::T4) -> Dims4 {
        self.inner.dims4(t)
    }
    fn zeros1(&self, n: usize) -> B::T1 {
        self.inner.zeros1(n)
    }
    fn zeros2(&self, dims: (usize, usize)) -> B::T2 {
        self.inner.zeros2(dims)
    }
    fn zeros4(&self, dims: Dims4) -> B::T4 {
        self.inner.zeros4(dims)
    }
    fn rows_to_nchw(&self, t: B::T2) -> B::T4 {
        self.inner.rows_to_nchw(t)
    }
    fn nchw_to_rows(&self, t: B::T4) -> B::T2 {
        self.inner.nchw_to_rows(t)
    }
    fn recycle4(&self, t: B::T4) {
        self.inner.recycle4(t)
    }
    fn release_buffers(&self) {
        self.inner.release_buffers()
    }
}

/// The same borrow, typed for the inner backend (the tensor types are equal).
fn down_ref<'a, B: BackendCore>(t: TensorRef<'a, Perturbed<B>>) -> TensorRef<'a, B> {
    t.retype()
}

fn down_mut<'a, B: BackendCore>(t: TensorMut<'a, Perturbed<B>>) -> TensorMut<'a, B> {
    t.retype()
}

impl<B: ConvOps> ConvOps for Perturbed<B> {
    fn conv2d_forward(&self, x: &B::T4, w: &B::T4, p: &Conv2dParams) -> B::T4 {
        self.t4("conv2d_forward", self.inner.conv2d_forward(x, w, p))
    }
    fn conv2d_backward_data(
        &self,
        dy: &B::T4,
        w: &B::T4,
        p: &Conv2dParams,
        hw: (usize, usize),
    ) -> B::T4 {
        let dx = self.inner.conv2d_backward_data(dy, w, p, hw);
        self.t4("conv2d_backward_data", dx)
    }
    fn conv2d_backward_filter(&self, x: &B::T4, dy: &B::T4, p: &Conv2dParams) -> B::T4 {
        let dw = self.inner.conv2d_backward_filter(x, dy, p);
        self.t4("conv2d_backward_filter", dw)
    }
    fn conv2d_backward(
        &self,
        x: &B::T4,
        dy: &B::T4,
        w: &B::T4,
        p: &Conv2dParams,
    ) -> (B::T4, B::T4) {
        let (dw, dx) = self.inner.conv2d_backward(x, dy, w, p);
        (
            self.t4("conv2d_backward_filter", dw),
            self.t4("conv2d_backward_data", dx),
        )
    }
}

impl<B: BatchNormOps> BatchNormOps for Perturbed<B> {
    type BatchNormCache = B::BatchNormCache;
    fn batch_norm_train_forward(
        &self,
        x: &B::T4,
        gamma: &B::T1,
        beta: &B::T1,
        running_mean: &mut B::T1,
        running_var: &mut B::T1,
        p: &BatchNormParams,
    ) -> (B::T4, B::BatchNormCache) {
        let (y, c) =
            self.inner
                .batch_norm_train_forward(x, gamma, beta, running_mean, running_var, p);
        (self.t4("batch_norm_train_forward", y), c)
    }
    fn batch_norm_eval_forward(
        &self,
        x: &B::T4,
        gamma: &B::T1,
        beta: &B::T1,
        running_mean: &B::T1,
        running_var: &B::T1,
        p: &BatchNormParams,
    ) -> B::T4 {
        let y = self
            .inner
            .batch_norm_eval_forward(x, gamma, beta, running_mean, running_var, p);
        self.t4("batch_norm_eval_forward", y)
    }
    fn batch_norm_backward(
        &self,
        dy: &B::T4,
        gamma: &B::T1,
        cache: &B::BatchNormCache,
    ) -> (B::T4, B::T1, B::T1) {
        let (dx, dg, db) = self.inner.batch_norm_backward(dy, gamma, cache);
        (self.t4("batch_norm_backward", dx), dg, db)
    }
}

impl<B: PoolOps> PoolOps for Perturbed<B> {
    type PoolIndex = B::PoolIndex;
    fn max_pool2d_forward(&self, x: &B::T4, p: &PoolParams) -> (B::T4, B::PoolIndex) {
        let (y, i) = self.inner.max_pool2d_forward(x, p);
        (self.t4("max_pool2d_forward", y), i)
    }
    fn max_pool2d_backward(&self, dy: &B::T4, index: &B::PoolIndex, hw: (usize, usize)) -> B::T4 {
        let dx = self.inner.max_pool2d_backward(dy, index, hw);
        self.t4("max_pool2d_backward", dx)
    }
    fn avg_pool2d_forward(&self, x: &B::T4, p: &PoolParams) -> B::T4 {
        self.t4("avg_pool2d_forward", self.inner.avg_pool2d_forward(x, p))
    }
    fn avg_pool2d_backward(&self, dy: &B::T4, p: &PoolParams, hw: (usize, usize)) -> B::T4 {
        let dx = self.inner.avg_pool2d_backward(dy, p, hw);
        self.t4("avg_pool2d_backward", dx)
    }
    fn global_avg_pool_forward(&self, x: &B::T4) -> B::T2 {
        self.t2(
            "global_avg_pool_forward",
            self.inner.global_avg_pool_forward(x),
        )
    }
    fn global_avg_pool_backward(&self, dy: &B::T2, hw: (usize, usize)) -> B::T4 {
        let dx = self.inner.global_avg_pool_backward(dy, hw);
        self.t4("global_avg_pool_backward", dx)
    }
}

impl<B: ElementwiseOps> ElementwiseOps for Perturbed<B> {
    type ReluMask = B::ReluMask;
    fn relu_forward_masked(&self, x: &B::T4) -> (B::T4, B::ReluMask) {
        let (y, m) = self.inner.relu_forward_masked(x);
        (self.t4("relu_forward_masked", y), m)
    }
    fn relu_backward_masked(&self, mask: &B::ReluMask, dy: &B::T4) -> B::T4 {
        let dx = self.inner.relu_backward_masked(mask, dy);
        self.t4("relu_backward_masked", dx)
    }
    fn relu_forward(&self, x: &B::T4) -> B::T4 {
        self.t4("relu_forward", self.inner.relu_forward(x))
    }
    fn relu_backward(&self, x: &B::T4, dy: &B::T4) -> B::T4 {
        self.t4("relu_backward", self.inner.relu_backward(x, dy))
    }
    fn drop_path_forward(&self, x: &B::T4, keep: &[bool], drop_prob: f64) -> B::T4 {
        let y = self.inner.drop_path_forward(x, keep, drop_prob);
        self.t4("drop_path_forward", y)
    }
    fn drop_path_backward(&self, dy: &B::T4, keep: &[bool], drop_prob: f64) -> B::T4 {
        let dx = self.inner.drop_path_backward(dy, keep, drop_prob);
        self.t4("drop_path_backward", dx)
    }
    fn zero_forward(&self, x: &B::T4, stride: usize) -> B::T4 {
        self.t4("zero_forward", self.inner.zero_forward(x, stride))
    }
    fn add(&self, a: &B::T4, b: &B::T4) -> B::T4 {
        self.t4("add", self.inner.add(a, b))
    }
    fn add_assign(&self, mut acc: TensorMut<'_, Self>, g: TensorRef<'_, Self>) {
        self.inner.add_assign(down_mut(acc.reborrow()), down_ref(g));
        self.in_place("add_assign", down_mut(acc));
    }
}

impl<B: LayoutOps> LayoutOps for Perturbed<B> {
    fn concat_channels(&self, xs: &[&B::T4]) -> B::T4 {
        self.t4("concat_channels", self.inner.concat_channels(xs))
    }
    fn split_channels(&self, dy: &B::T4, channels: &[usize]) -> Vec<B::T4> {
        let mut parts = self.inner.split_channels(dy, channels);
        for part in &mut parts {
            self.in_place("split_channels", TensorMut::R4(part));
        }
        parts
    }
    fn crop_top_left(&self, x: &B::T4) -> B::T4 {
        self.t4("crop_top_left", self.inner.crop_top_left(x))
    }
    fn shift_add(&self, acc: &mut B::T4, g: &B::T4) {
        self.inner.shift_add(acc, g);
        self.in_place("shift_add", TensorMut::R4(acc));
    }
    fn split_rows(&self, x: &B::T2, at: usize) -> (B::T2, B::T2) {
        let (a, b) = self.inner.split_rows(x, at);
        (self.t2("split_rows", a), self.t2("split_rows", b))
    }
    fn concat_rows(&self, a: &B::T2, b: &B::T2) -> B::T2 {
        self.t2("concat_rows", self.inner.concat_rows(a, b))
    }
}

impl<B: MatmulOps> MatmulOps for Perturbed<B> {
    fn linear_forward(&self, x: &B::T2, w: &B::T2, b: &B::T1) -> B::T2 {
        self.t2("linear_forward", self.inner.linear_forward(x, w, b))
    }
    fn linear_backward(&self, x: &B::T2, w: &B::T2, dy: &B::T2) -> (B::T2, B::T2, B::T1) {
        let (dx, dw, db) = self.inner.linear_backward(x, w, dy);
        (dx, self.t2("linear_backward", dw), db)
    }
}

impl<B: LossOps> LossOps for Perturbed<B> {
    type NtXentCache = B::NtXentCache;
    type PirlNceCache = B::PirlNceCache;
    type CrossEntropyCache = B::CrossEntropyCache;
    fn nt_xent_forward(&self, z: &B::T2, t: B::Elem) -> Result<(B::Elem, B::NtXentCache)> {
        let (l, c) = self.inner.nt_xent_forward(z, t)?;
        Ok((self.scalar("nt_xent_forward", l), c))
    }
    fn nt_xent_backward(&self, cache: &B::NtXentCache, dloss: B::Elem) -> B::T2 {
        let dz = self.inner.nt_xent_backward(cache, dloss);
        self.t2("nt_xent_backward", dz)
    }
    fn pirl_nce_forward(
        &self,
        view: &B::T2,
        original: &B::T2,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<B::Elem>,
        t: B::Elem,
    ) -> Result<(B::Elem, B::PirlNceCache)> {
        let (l, c) = self
            .inner
            .pirl_nce_forward(view, original, indices, negatives, bank, t)?;
        Ok((self.scalar("pirl_nce_forward", l), c))
    }
    fn pirl_nce_backward(
        &self,
        cache: &B::PirlNceCache,
        bank: &MemoryBank<B::Elem>,
        dloss: B::Elem,
    ) -> Result<(B::T2, B::T2)> {
        let (dv, dorig) = self.inner.pirl_nce_backward(cache, bank, dloss)?;
        Ok((self.t2("pirl_nce_backward", dv), dorig))
    }
    fn cross_entropy_forward(
        &self,
        logits: &B::T2,
        labels: &[usize],
        smoothing: B::Elem,
    ) -> Result<(B::Elem, B::CrossEntropyCache)> {
        let (l, c) = self
            .inner
            .cross_entropy_forward(logits, labels, smoothing)?;
        Ok((self.scalar("cross_entropy_forward", l), c))
    }
    fn cross_entropy_backward(&self, cache: &B::CrossEntropyCache, dloss: B::Elem) -> B::T2 {
        let d = self.inner.cross_entropy_backward(cache, dloss);
        self.t2("cross_entropy_backward", d)
    }
}

impl<B: OptimOps> OptimOps for Perturbed<B> {
    fn l2_norm(&self, g: TensorRef<'_, Self>) -> B::Elem {
        self.scalar("l2_norm", self.inner.l2_norm(down_ref(g)))
    }
    fn scale(&self, mut g: TensorMut<'_, Self>, coef: B::Elem) {
        self.inner.scale(down_mut(g.reborrow()), coef);
        self.in_place("scale", down_mut(g));
    }
    fn sgd_update(
        &self,
        cfg: &SgdConfig,
        mut param: TensorMut<'_, Self>,
        grad: TensorRef<'_, Self>,
        momentum: &mut Option<B::T1>,
    ) {
        self.inner
            .sgd_update(cfg, down_mut(param.reborrow()), down_ref(grad), momentum);
        self.in_place("sgd_update", down_mut(param));
    }
    fn fill_zero(&self, mut t: TensorMut<'_, Self>) {
        self.inner.fill_zero(down_mut(t.reborrow()));
        self.in_place("fill_zero", down_mut(t));
    }
}
