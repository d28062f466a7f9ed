//! Module-style layers over a [`Backend`]: each caches what its backward pass
//! needs, accumulates its parameter gradients, and names its parameters and
//! buffers as PyTorch does, so the network's state dict matches
//! `NetworkCIFAR`'s.
//!
//! Why: a network is a tree of these, exactly mirroring PyTorch's module tree;
//! names, registration order and backward all follow the tree. Every piece of
//! arithmetic is a call on the backend (`dev`); no layer names a device's
//! types, so one network runs on every backend.
//!
//! One walker ([`Layer::walk`]) visits every parameter (with its gradient),
//! buffer and counter in state-dict order; state dicts, weight digests,
//! gradient zeroing and the optimiser are all written over it.
//!
//! Gradient accumulation: `backward` adds the new parameter gradient to the
//! stored one element by element (`grad[i] += g[i]`, one addition each,
//! [`crate::backend::ElementwiseOps::add_assign`]).

use std::marker::PhantomData;

use super::init::Init;
use crate::backend::{Backend, BackendCore, TensorMut, TensorRef};
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::conv2d::Conv2dParams;
use crate::real::Real;
use ndarray::{Array, Array1, Dimension, Ix1, Ix2, Ix4};

/// What a forward pass needs to know besides its input.
#[derive(Clone, Copy, Debug)]
pub struct ForwardCtx {
    /// Training mode: BatchNorm uses batch statistics and updates its running ones.
    pub train: bool,
}

/// A tensor rank: ties a host array dimension to the backend's tensor type.
/// Implemented by the markers [`R1`], [`R2`], [`R4`] (never by the tensor
/// types themselves, which a device may share between ranks).
pub trait Rank<B: BackendCore> {
    type Tensor: Clone + Send + Sync;
    type Host: Dimension;
    fn upload(dev: &B, host: &Array<B::Elem, Self::Host>) -> Self::Tensor;
    fn as_mut(t: &mut Self::Tensor) -> TensorMut<'_, B>;
    fn as_ref(t: &Self::Tensor) -> TensorRef<'_, B>;
}

/// Rank 1.
pub struct R1;
/// Rank 2.
pub struct R2;
/// Rank 4.
pub struct R4;

impl<B: BackendCore> Rank<B> for R1 {
    type Tensor = B::T1;
    type Host = Ix1;
    fn upload(dev: &B, host: &Array1<B::Elem>) -> B::T1 {
        dev.upload1(host)
    }
    fn as_mut(t: &mut B::T1) -> TensorMut<'_, B> {
        TensorMut::R1(t)
    }
    fn as_ref(t: &B::T1) -> TensorRef<'_, B> {
        TensorRef::R1(t)
    }
}

impl<B: BackendCore> Rank<B> for R2 {
    type Tensor = B::T2;
    type Host = Ix2;
    fn upload(dev: &B, host: &Array<B::Elem, Ix2>) -> B::T2 {
        dev.upload2(host)
    }
    fn as_mut(t: &mut B::T2) -> TensorMut<'_, B> {
        TensorMut::R2(t)
    }
    fn as_ref(t: &B::T2) -> TensorRef<'_, B> {
        TensorRef::R2(t)
    }
}

impl<B: BackendCore> Rank<B> for R4 {
    type Tensor = B::T4;
    type Host = Ix4;
    fn upload(dev: &B, host: &Array<B::Elem, Ix4>) -> B::T4 {
        dev.upload4(host)
    }
    fn as_mut(t: &mut B::T4) -> TensorMut<'_, B> {
        TensorMut::R4(t)
    }
    fn as_ref(t: &B::T4) -> TensorRef<'_, B> {
        TensorRef::R4(t)
    }
}

/// A parameter and its accumulated gradient, on the device.
pub struct Param<B: BackendCore, R: Rank<B>> {
    pub value: R::Tensor,
    pub grad: R::Tensor,
    _r: PhantomData<R>,
}

impl<B: Backend, R: Rank<B>> Param<B, R> {
    /// Uploads `value`; the gradient starts at zero.
    pub fn new(dev: &B, value: &Array<B::Elem, R::Host>) -> Self {
        let zeros = Array::from_elem(value.raw_dim(), B::Elem::ZERO);
        Param {
            value: R::upload(dev, value),
            grad: R::upload(dev, &zeros),
            _r: PhantomData,
        }
    }

    /// `grad += g`, elementwise.
    pub fn accumulate(&mut self, dev: &B, g: &R::Tensor) {
        dev.add_assign(R::as_mut(&mut self.grad), R::as_ref(g));
    }

    /// Visits it as one [`Entry::Param`].
    pub fn walk(&mut self, name: String, f: &mut Visitor<'_, B>) {
        f(
            name,
            Entry::Param {
                value: R::as_mut(&mut self.value),
                grad: R::as_mut(&mut self.grad),
            },
        );
    }
}

/// One state-dict entry as the walker sees it.
pub enum Entry<'a, B: BackendCore> {
    /// A trainable parameter and its accumulated gradient.
    Param {
        value: TensorMut<'a, B>,
        grad: TensorMut<'a, B>,
    },
    /// A float buffer (BatchNorm's running statistics).
    Buffer(TensorMut<'a, B>),
    /// An integer buffer (`num_batches_tracked`).
    Counter(&'a mut i64),
}

/// `(full name, entry)` for each state-dict entry, in PyTorch order.
pub type Visitor<'a, B> = dyn FnMut(String, Entry<'_, B>) + 'a;

/// A layer on NCHW tensors. The walker takes the name prefix (ending in `.`
/// or empty).
pub trait Layer<B: Backend>: Send {
    fn forward(&mut self, dev: &B, x: &B::T4, ctx: &ForwardCtx) -> B::T4;
    /// [`forward`](Layer::forward) given ownership of the input, so a layer
    /// that keeps its input for backward (a convolution) need not copy it.
    fn forward_owned(&mut self, dev: &B, x: B::T4, ctx: &ForwardCtx) -> B::T4 {
        let y = self.forward(dev, &x, ctx);
        dev.recycle4(x);
        y
    }
    /// Gradient with respect to the last forward's input; parameter gradients
    /// are accumulated. Panics without a preceding forward.
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4;
    /// Visits every parameter, buffer and counter in state-dict order.
    fn walk(&mut self, _prefix: &str, _f: &mut Visitor<'_, B>) {}
    /// True only for DARTS `Identity` (exempt from drop path).
    fn is_identity(&self) -> bool {
        false
    }
}

/// Convolution without bias (`weight`), PyTorch init.
pub struct Conv<B: Backend> {
    p: Conv2dParams,
    weight: Param<B, R4>,
    x: Option<B::T4>,
}

impl<B: Backend> Conv<B> {
    /// `name` is the full PyTorch module name (e.g. `stem.0`), used for the init stream.
    pub fn new(
        dev: &B,
        c_in: usize,
        c_out: usize,
        p: Conv2dParams,
        init: &Init,
        name: &str,
    ) -> Self {
        let cig = c_in / p.groups;
        let shape = Ix4(c_out, cig, p.kernel[0], p.kernel[1]);
        let fan_in = cig * p.kernel[0] * p.kernel[1];
        let w = init.fan_in_uniform::<B::Elem, _>(&format!("{name}.weight"), shape, fan_in);
        Conv {
            p,
            weight: Param::new(dev, &w),
            x: None,
        }
    }
}

impl<B: Backend> Layer<B> for Conv<B> {
    fn forward(&mut self, dev: &B, x: &B::T4, ctx: &ForwardCtx) -> B::T4 {
        self.forward_owned(dev, x.clone(), ctx)
    }
    fn forward_owned(&mut self, dev: &B, x: B::T4, _ctx: &ForwardCtx) -> B::T4 {
        let y = dev.conv2d_forward(&x, &self.weight.value, &self.p);
        self.x = Some(x);
        y
    }
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let x = self.x.take().expect("Conv::backward without forward");
        let (dw, dx) = dev.conv2d_backward(&x, dy, &self.weight.value, &self.p);
        dev.recycle4(x);
        self.weight.accumulate(dev, &dw);
        dx
    }
    fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.weight.walk(format!("{prefix}weight"), f);
    }
}

/// Affine BatchNorm2d: `weight`, `bias`, `running_mean`, `running_var`,
/// `num_batches_tracked` (PyTorch order). Init: weight 1, bias 0, mean 0, var 1.
pub struct BatchNorm<B: Backend> {
    weight: Param<B, R1>,
    bias: Param<B, R1>,
    running_mean: B::T1,
    running_var: B::T1,
    num_batches_tracked: i64,
    p: BatchNormParams,
    cache: Option<B::BatchNormCache>,
}

impl<B: Backend> BatchNorm<B> {
    pub fn new(dev: &B, c: usize) -> Self {
        let ones = Array1::from_elem(c, B::Elem::ONE);
        let zeros = Array1::from_elem(c, B::Elem::ZERO);
        BatchNorm {
            weight: Param::new(dev, &ones),
            bias: Param::new(dev, &zeros),
            running_mean: dev.upload1(&zeros),
            running_var: dev.upload1(&ones),
            num_batches_tracked: 0,
            p: BatchNormParams::default(),
            cache: None,
        }
    }
}

impl<B: Backend> Layer<B> for BatchNorm<B> {
    /// Training: batch statistics, running statistics updated and
    /// `num_batches_tracked += 1`. Eval: running statistics.
    fn forward(&mut self, dev: &B, x: &B::T4, ctx: &ForwardCtx) -> B::T4 {
        if ctx.train {
            let (y, cache) = dev.batch_norm_train_forward(
                x,
                &self.weight.value,
                &self.bias.value,
                &mut self.running_mean,
                &mut self.running_var,
                &self.p,
            );
            self.num_batches_tracked += 1;
            self.cache = Some(cache);
            y
        } else {
            self.cache = None;
            dev.batch_norm_eval_forward(
                x,
                &self.weight.value,
                &self.bias.value,
                &self.running_mean,
                &self.running_var,
                &self.p,
            )
        }
    }
    /// Needs a training-mode forward (batch statistics); panics otherwise.
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let cache = self
            .cache
            .take()
            .expect("BatchNorm::backward needs a training-mode forward");
        let (dx, dg, db) = dev.batch_norm_backward(dy, &self.weight.value, &cache);
        self.weight.accumulate(dev, &dg);
        self.bias.accumulate(dev, &db);
        dx
    }
    fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.weight.walk(format!("{prefix}weight"), f);
        self.bias.walk(format!("{prefix}bias"), f);
        f(
            format!("{prefix}running_mean"),
            Entry::Buffer(TensorMut::R1(&mut self.running_mean)),
        );
        f(
            format!("{prefix}running_var"),
            Entry::Buffer(TensorMut::R1(&mut self.running_var)),
        );
        f(
            format!("{prefix}num_batches_tracked"),
            Entry::Counter(&mut self.num_batches_tracked),
        );
    }
}

/// ReLU (caches one flag per element, `x > 0`, not its input).
pub struct Relu<B: Backend> {
    mask: Option<B::ReluMask>,
}

impl<B: Backend> Default for Relu<B> {
    fn default() -> Self {
        Relu { mask: None }
    }
}

impl<B: Backend> Layer<B> for Relu<B> {
    fn forward(&mut self, dev: &B, x: &B::T4, _ctx: &ForwardCtx) -> B::T4 {
        let (y, mask) = dev.relu_forward_masked(x);
        self.mask = Some(mask);
        y
    }
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let mask = self.mask.take().expect("Relu::backward without forward");
        dev.relu_backward_masked(&mask, dy)
    }
}

/// `nn.Sequential` (or any module with named children): children run in
/// order; names are `<prefix><child name>.`.
pub struct Seq<B: Backend> {
    children: Vec<(String, Box<dyn Layer<B>>)>,
}

impl<B: Backend> Seq<B> {
    pub fn new() -> Self {
        Seq {
            children: Vec::new(),
        }
    }
    /// Appends a child named by its index, as `nn.Sequential` does.
    pub fn push(mut self, layer: impl Layer<B> + 'static) -> Self {
        let name = self.children.len().to_string();
        self.children.push((name, Box::new(layer)));
        self
    }
    /// Appends a named child.
    pub fn named(mut self, name: &str, layer: impl Layer<B> + 'static) -> Self {
        self.children.push((name.to_owned(), Box::new(layer)));
        self
    }
}

impl<B: Backend> Default for Seq<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> Layer<B> for Seq<B> {
    fn forward(&mut self, dev: &B, x: &B::T4, ctx: &ForwardCtx) -> B::T4 {
        let mut children = self.children.iter_mut();
        let Some((_, first)) = children.next() else {
            return x.clone();
        };
        let mut h = first.forward(dev, x, ctx);
        for (_, c) in children {
            h = c.forward_owned(dev, h, ctx);
        }
        h
    }
    fn forward_owned(&mut self, dev: &B, x: B::T4, ctx: &ForwardCtx) -> B::T4 {
        let mut h = x;
        for (_, c) in &mut self.children {
            h = c.forward_owned(dev, h, ctx);
        }
        h
    }
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let mut children = self.children.iter_mut().rev();
        let Some((_, last)) = children.next() else {
            return dy.clone();
        };
        let mut d = last.backward(dev, dy);
        for (_, c) in children {
            let next = c.backward(dev, &d);
            dev.recycle4(std::mem::replace(&mut d, next));
        }
        d
    }
    fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        for (n, c) in &mut self.children {
            c.walk(&format!("{prefix}{n}."), f);
        }
    }
}
