//! Module-style layers: each caches what its backward pass needs, accumulates
//! its parameter gradients, and names its parameters and buffers as PyTorch
//! does, so the network's state dict matches `NetworkCIFAR`'s.
//!
//! Why: a network is a tree of these, exactly mirroring PyTorch's module tree;
//! names, registration order and backward all follow the tree.
//!
//! Gradient accumulation: `backward` adds the new parameter gradient to the
//! stored one element by element (`grad[i] += g[i]`, one addition each).

use super::init::Init;
use crate::ops::batch_norm::{self, BatchNormCache, BatchNormParams};
use crate::ops::conv2d::{self, Conv2dParams};
use crate::ops::relu;
use crate::real::Real;
use ndarray::{Array, Array1, Array4, Dimension, Ix1, Ix4, Zip};

/// What a forward pass needs to know besides its input.
#[derive(Clone, Copy, Debug)]
pub struct ForwardCtx {
    /// Training mode: BatchNorm uses batch statistics and updates its running ones.
    pub train: bool,
}

/// A parameter and its accumulated gradient.
#[derive(Clone, Debug)]
pub struct Param<T, D: Dimension> {
    pub value: Array<T, D>,
    pub grad: Array<T, D>,
}

impl<T: Real, D: Dimension> Param<T, D> {
    pub fn new(value: Array<T, D>) -> Self {
        let grad = Array::from_elem(value.raw_dim(), T::ZERO);
        Param { value, grad }
    }

    /// `grad += g`, elementwise.
    pub fn accumulate(&mut self, g: &Array<T, D>) {
        Zip::from(&mut self.grad).and(g).for_each(|a, &b| *a += b);
    }

    pub(crate) fn visit(&mut self, name: String, f: &mut ParamVisitor<'_, T>) {
        let shape = self.value.shape().to_vec();
        f(
            &name,
            &shape,
            self.value.as_slice_mut().expect("standard layout"),
            self.grad.as_slice_mut().expect("standard layout"),
        );
    }
}

/// A read-only view of one state-dict entry's value.
pub enum StateRef<'a, T> {
    Float(&'a [T]),
    Int(i64),
}

/// A writable view of one state-dict entry's value.
pub enum StateMut<'a, T> {
    Float(&'a mut [T]),
    Int(&'a mut i64),
}

/// `(name, shape, value, grad)` for each parameter.
pub type ParamVisitor<'a, T> = dyn FnMut(&str, &[usize], &mut [T], &mut [T]) + 'a;
/// `(name, shape, value)` for each state-dict entry, in PyTorch order.
pub type StateVisitor<'a, T> = dyn FnMut(String, &[usize], StateRef<'_, T>) + 'a;
/// `(name, shape, value)` for each state-dict entry, writable.
pub type StateMutVisitor<'a, T> = dyn FnMut(String, &[usize], StateMut<'_, T>) + 'a;

/// A layer on NCHW tensors. Visitors take the name prefix (ending in `.` or empty).
pub trait Layer<T: Real> {
    fn forward(&mut self, x: &Array4<T>, ctx: &ForwardCtx) -> Array4<T>;
    /// [`forward`](Layer::forward) given ownership of the input, so a layer
    /// that keeps its input for backward (a convolution) need not copy it.
    fn forward_owned(&mut self, x: Array4<T>, ctx: &ForwardCtx) -> Array4<T> {
        self.forward(&x, ctx)
    }
    /// Gradient with respect to the last forward's input; parameter gradients
    /// are accumulated. Panics without a preceding forward.
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T>;
    fn visit_params(&mut self, _prefix: &str, _f: &mut ParamVisitor<'_, T>) {}
    fn visit_state(&self, _prefix: &str, _f: &mut StateVisitor<'_, T>) {}
    fn visit_state_mut(&mut self, _prefix: &str, _f: &mut StateMutVisitor<'_, T>) {}
    /// True only for DARTS `Identity` (exempt from drop path).
    fn is_identity(&self) -> bool {
        false
    }
}

/// Convolution without bias (`weight`), PyTorch init.
pub struct Conv<T: Real> {
    p: Conv2dParams,
    weight: Param<T, Ix4>,
    x: Option<Array4<T>>,
}

impl<T: Real> Conv<T> {
    /// `name` is the full PyTorch module name (e.g. `stem.0`), used for the init stream.
    pub fn new(c_in: usize, c_out: usize, p: Conv2dParams, init: &Init, name: &str) -> Self {
        let cig = c_in / p.groups;
        let shape = Ix4(c_out, cig, p.kernel[0], p.kernel[1]);
        let fan_in = cig * p.kernel[0] * p.kernel[1];
        let w = init.fan_in_uniform(&format!("{name}.weight"), shape, fan_in);
        Conv {
            p,
            weight: Param::new(w),
            x: None,
        }
    }
}

impl<T: Real> Layer<T> for Conv<T> {
    fn forward(&mut self, x: &Array4<T>, ctx: &ForwardCtx) -> Array4<T> {
        self.forward_owned(x.clone(), ctx)
    }
    fn forward_owned(&mut self, x: Array4<T>, _ctx: &ForwardCtx) -> Array4<T> {
        let y = conv2d::conv2d_forward(&x, &self.weight.value, &self.p);
        self.x = Some(x);
        y
    }
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let x = self.x.take().expect("Conv::backward without forward");
        // The two gradients are independent; running them side by side lets
        // the pool fill the filter gradient's sequential-over-images chains
        // with backward-data work. Each result is the same whichever finishes first.
        let w = &self.weight.value;
        let (dw, dx) = rayon::join(
            || conv2d::conv2d_backward_filter(&x, dy, &self.p),
            || conv2d::conv2d_backward_data(dy, w, &self.p, (x.dim().2, x.dim().3)),
        );
        self.weight.accumulate(&dw);
        dx
    }
    fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.weight.visit(format!("{prefix}weight"), f);
    }
    fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        let w = &self.weight.value;
        f(
            format!("{prefix}weight"),
            w.shape(),
            StateRef::Float(w.as_slice().expect("standard")),
        );
    }
    fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        let shape = self.weight.value.shape().to_vec();
        let w = self.weight.value.as_slice_mut().expect("standard");
        f(format!("{prefix}weight"), &shape, StateMut::Float(w));
    }
}

/// Affine BatchNorm2d: `weight`, `bias`, `running_mean`, `running_var`,
/// `num_batches_tracked` (PyTorch order). Init: weight 1, bias 0, mean 0, var 1.
pub struct BatchNorm<T: Real> {
    weight: Param<T, Ix1>,
    bias: Param<T, Ix1>,
    running_mean: Array1<T>,
    running_var: Array1<T>,
    num_batches_tracked: i64,
    p: BatchNormParams,
    cache: Option<BatchNormCache<T>>,
}

impl<T: Real> BatchNorm<T> {
    pub fn new(c: usize) -> Self {
        BatchNorm {
            weight: Param::new(Array1::from_elem(c, T::ONE)),
            bias: Param::new(Array1::from_elem(c, T::ZERO)),
            running_mean: Array1::from_elem(c, T::ZERO),
            running_var: Array1::from_elem(c, T::ONE),
            num_batches_tracked: 0,
            p: BatchNormParams::default(),
            cache: None,
        }
    }
}

impl<T: Real> Layer<T> for BatchNorm<T> {
    /// Training: batch statistics, running statistics updated and
    /// `num_batches_tracked += 1`. Eval: running statistics.
    fn forward(&mut self, x: &Array4<T>, ctx: &ForwardCtx) -> Array4<T> {
        if ctx.train {
            let (y, cache) = batch_norm::batch_norm_train_forward(
                x,
                Some(&self.weight.value),
                Some(&self.bias.value),
                &mut self.running_mean,
                &mut self.running_var,
                &self.p,
            );
            self.num_batches_tracked += 1;
            self.cache = Some(cache);
            y
        } else {
            self.cache = None;
            batch_norm::batch_norm_eval_forward(
                x,
                Some(&self.weight.value),
                Some(&self.bias.value),
                &self.running_mean,
                &self.running_var,
                &self.p,
            )
        }
    }
    /// Needs a training-mode forward (batch statistics); panics otherwise.
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let cache = self
            .cache
            .take()
            .expect("BatchNorm::backward needs a training-mode forward");
        let (dx, dg, db) = batch_norm::batch_norm_backward(dy, Some(&self.weight.value), &cache);
        self.weight.accumulate(&dg);
        self.bias.accumulate(&db);
        dx
    }
    fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.weight.visit(format!("{prefix}weight"), f);
        self.bias.visit(format!("{prefix}bias"), f);
    }
    fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        for (n, a) in [
            ("weight", &self.weight.value),
            ("bias", &self.bias.value),
            ("running_mean", &self.running_mean),
            ("running_var", &self.running_var),
        ] {
            f(
                format!("{prefix}{n}"),
                a.shape(),
                StateRef::Float(a.as_slice().expect("standard")),
            );
        }
        f(
            format!("{prefix}num_batches_tracked"),
            &[],
            StateRef::Int(self.num_batches_tracked),
        );
    }
    fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        let shape = [self.running_mean.len()];
        for (n, a) in [
            ("weight", &mut self.weight.value),
            ("bias", &mut self.bias.value),
            ("running_mean", &mut self.running_mean),
            ("running_var", &mut self.running_var),
        ] {
            let s = a.as_slice_mut().expect("standard");
            f(format!("{prefix}{n}"), &shape, StateMut::Float(s));
        }
        f(
            format!("{prefix}num_batches_tracked"),
            &[],
            StateMut::Int(&mut self.num_batches_tracked),
        );
    }
}

/// ReLU (caches one bit per element, `x > 0`, not its input).
pub struct Relu<T: Real> {
    mask: Option<relu::Mask>,
    _t: std::marker::PhantomData<T>,
}

impl<T: Real> Default for Relu<T> {
    fn default() -> Self {
        Relu {
            mask: None,
            _t: std::marker::PhantomData,
        }
    }
}

impl<T: Real> Layer<T> for Relu<T> {
    fn forward(&mut self, x: &Array4<T>, _ctx: &ForwardCtx) -> Array4<T> {
        let (y, mask) = relu::relu_forward_masked(x);
        self.mask = Some(mask);
        y
    }
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let mask = self.mask.take().expect("Relu::backward without forward");
        relu::relu_backward_masked(&mask, dy)
    }
}

/// `nn.Sequential` (or any module with named children): children run in
/// order; names are `<prefix><child name>.`.
pub struct Seq<T: Real> {
    children: Vec<(String, Box<dyn Layer<T>>)>,
}

impl<T: Real> Seq<T> {
    pub fn new() -> Self {
        Seq {
            children: Vec::new(),
        }
    }
    /// Appends a child named by its index, as `nn.Sequential` does.
    pub fn push(mut self, layer: impl Layer<T> + 'static) -> Self {
        let name = self.children.len().to_string();
        self.children.push((name, Box::new(layer)));
        self
    }
    /// Appends a named child.
    pub fn named(mut self, name: &str, layer: impl Layer<T> + 'static) -> Self {
        self.children.push((name.to_owned(), Box::new(layer)));
        self
    }
}

impl<T: Real> Default for Seq<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Real> Layer<T> for Seq<T> {
    fn forward(&mut self, x: &Array4<T>, ctx: &ForwardCtx) -> Array4<T> {
        let mut children = self.children.iter_mut();
        let Some((_, first)) = children.next() else {
            return x.clone();
        };
        let mut h = first.forward(x, ctx);
        for (_, c) in children {
            h = c.forward_owned(h, ctx);
        }
        h
    }
    fn forward_owned(&mut self, x: Array4<T>, ctx: &ForwardCtx) -> Array4<T> {
        let mut h = x;
        for (_, c) in &mut self.children {
            h = c.forward_owned(h, ctx);
        }
        h
    }
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let mut children = self.children.iter_mut().rev();
        let Some((_, last)) = children.next() else {
            return dy.clone();
        };
        let mut d = last.backward(dy);
        for (_, c) in children {
            d = c.backward(&d);
        }
        d
    }
    fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        for (n, c) in &mut self.children {
            c.visit_params(&format!("{prefix}{n}."), f);
        }
    }
    fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        for (n, c) in &self.children {
            c.visit_state(&format!("{prefix}{n}."), f);
        }
    }
    fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        for (n, c) in &mut self.children {
            c.visit_state_mut(&format!("{prefix}{n}."), f);
        }
    }
}
