//! Heads on top of the cell trunk: the linear classifier, DARTS's
//! `AuxiliaryHeadCIFAR`, and the search network's projection head (a 2-layer
//! MLP, names `head.0.*`, `head.2.*`).
//!
//! Why together: they are the 2-D (N, features) end of the network, sharing
//! the `Dense` (PyTorch `nn.Linear`) layer.

use super::init::Init;
use super::layers::{
    BatchNorm, Conv, ForwardCtx, Layer, Param, ParamVisitor, Relu, Seq, StateMut, StateMutVisitor,
    StateRef, StateVisitor,
};
use super::primitives::AvgPool;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::{linear, relu};
use crate::real::Real;
use ndarray::{Array2, Array4, Ix1, Ix2};

/// `nn.Linear(in, out)`: `weight` (out, in) and `bias` (out), both
/// `U(±1/sqrt(in))` from their own init streams.
pub struct Dense<T: Real> {
    weight: Param<T, Ix2>,
    bias: Param<T, Ix1>,
    x: Option<Array2<T>>,
}

impl<T: Real> Dense<T> {
    pub fn new(c_in: usize, c_out: usize, init: &Init, name: &str) -> Self {
        let w = init.fan_in_uniform(&format!("{name}.weight"), Ix2(c_out, c_in), c_in);
        let b = init.fan_in_uniform(&format!("{name}.bias"), Ix1(c_out), c_in);
        Dense {
            weight: Param::new(w),
            bias: Param::new(b),
            x: None,
        }
    }

    pub fn forward(&mut self, x: &Array2<T>) -> Array2<T> {
        self.x = Some(x.clone());
        linear::linear_forward(x, &self.weight.value, Some(&self.bias.value))
    }

    pub fn backward(&mut self, dy: &Array2<T>) -> Array2<T> {
        let x = self.x.take().expect("Dense::backward without forward");
        let (dx, dw, db) = linear::linear_backward(&x, &self.weight.value, dy);
        self.weight.accumulate(&dw);
        self.bias.accumulate(&db);
        dx
    }

    pub fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.weight.visit(format!("{prefix}weight"), f);
        self.bias.visit(format!("{prefix}bias"), f);
    }

    pub fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        let (w, b) = (&self.weight.value, &self.bias.value);
        f(
            format!("{prefix}weight"),
            w.shape(),
            StateRef::Float(w.as_slice().expect("standard")),
        );
        f(
            format!("{prefix}bias"),
            b.shape(),
            StateRef::Float(b.as_slice().expect("standard")),
        );
    }

    pub fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        let ws = self.weight.value.shape().to_vec();
        let bs = self.bias.value.shape().to_vec();
        f(
            format!("{prefix}weight"),
            &ws,
            StateMut::Float(self.weight.value.as_slice_mut().expect("standard")),
        );
        f(
            format!("{prefix}bias"),
            &bs,
            StateMut::Float(self.bias.value.as_slice_mut().expect("standard")),
        );
    }
}

/// DARTS `AuxiliaryHeadCIFAR`: `features = Sequential(ReLU, AvgPool(5, 3, 0,
/// count_include_pad=False), Conv 1×1 C→128, BN, ReLU, Conv 2×2 128→768, BN,
/// ReLU)`, then `classifier = Linear(768, classes)`. Its input must be 8×8 to
/// 10×10 (so that the features are 768×1×1); the network checks this.
pub struct AuxiliaryHead<T: Real> {
    features: Seq<T>,
    classifier: Dense<T>,
}

impl<T: Real> AuxiliaryHead<T> {
    pub fn new(c: usize, classes: usize, init: &Init, name: &str) -> Self {
        let features = Seq::new()
            .push(Relu::default())
            .push(AvgPool::new(5, 3, 0))
            .push(Conv::new(
                c,
                128,
                Conv2dParams::square(1, 1, 0),
                init,
                &format!("{name}.features.2"),
            ))
            .push(BatchNorm::new(128))
            .push(Relu::default())
            .push(Conv::new(
                128,
                768,
                Conv2dParams::square(2, 1, 0),
                init,
                &format!("{name}.features.5"),
            ))
            .push(BatchNorm::new(768))
            .push(Relu::default());
        let classifier = Dense::new(768, classes, init, &format!("{name}.classifier"));
        AuxiliaryHead {
            features,
            classifier,
        }
    }

    pub fn forward(&mut self, x: &Array4<T>, ctx: &ForwardCtx) -> Array2<T> {
        let f = self.features.forward(x, ctx);
        let n = f.dim().0;
        let flat = f
            .into_shape_with_order((n, 768))
            .expect("aux features are 768×1×1");
        self.classifier.forward(&flat)
    }

    pub fn backward(&mut self, dy: &Array2<T>) -> Array4<T> {
        let d = self.classifier.backward(dy);
        let n = d.dim().0;
        let d4 = d.into_shape_with_order((n, 768, 1, 1)).expect("shape");
        self.features.backward(&d4)
    }

    pub fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.features.visit_params(&format!("{prefix}features."), f);
        self.classifier
            .visit_params(&format!("{prefix}classifier."), f);
    }

    pub fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        self.features.visit_state(&format!("{prefix}features."), f);
        self.classifier
            .visit_state(&format!("{prefix}classifier."), f);
    }

    pub fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        self.features
            .visit_state_mut(&format!("{prefix}features."), f);
        self.classifier
            .visit_state_mut(&format!("{prefix}classifier."), f);
    }
}

/// Sizes of the search network's projection head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadConfig {
    /// Hidden width; `None` means the trunk's output channels (`C_prev`).
    pub hidden: Option<usize>,
    /// Embedding size.
    pub out_dim: usize,
}

impl Default for HeadConfig {
    fn default() -> Self {
        HeadConfig {
            hidden: None,
            out_dim: 128,
        }
    }
}

/// `head = Sequential(Linear(C_prev, hidden), ReLU, Linear(hidden, out_dim))`.
pub struct ProjectionHead<T: Real> {
    fc0: Dense<T>,
    fc2: Dense<T>,
    hidden_in: Option<Array4<T>>,
}

impl<T: Real> ProjectionHead<T> {
    pub fn new(c_prev: usize, cfg: &HeadConfig, init: &Init, name: &str) -> Self {
        let hidden = cfg.hidden.unwrap_or(c_prev);
        ProjectionHead {
            fc0: Dense::new(c_prev, hidden, init, &format!("{name}.0")),
            fc2: Dense::new(hidden, cfg.out_dim, init, &format!("{name}.2")),
            hidden_in: None,
        }
    }

    pub fn forward(&mut self, x: &Array2<T>) -> Array2<T> {
        let h = self.fc0.forward(x);
        let (n, c) = h.dim();
        let h4 = h.into_shape_with_order((n, c, 1, 1)).expect("shape");
        let r = relu::relu_forward(&h4)
            .into_shape_with_order((n, c))
            .expect("shape");
        self.hidden_in = Some(h4);
        self.fc2.forward(&r)
    }

    pub fn backward(&mut self, dy: &Array2<T>) -> Array2<T> {
        let dr = self.fc2.backward(dy);
        let h4 = self
            .hidden_in
            .take()
            .expect("ProjectionHead::backward without forward");
        let (n, c) = dr.dim();
        let dr4 = dr.into_shape_with_order((n, c, 1, 1)).expect("shape");
        let dh = relu::relu_backward(&h4, &dr4)
            .into_shape_with_order((n, c))
            .expect("shape");
        self.fc0.backward(&dh)
    }

    pub fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.fc0.visit_params(&format!("{prefix}0."), f);
        self.fc2.visit_params(&format!("{prefix}2."), f);
    }

    pub fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        self.fc0.visit_state(&format!("{prefix}0."), f);
        self.fc2.visit_state(&format!("{prefix}2."), f);
    }

    pub fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        self.fc0.visit_state_mut(&format!("{prefix}0."), f);
        self.fc2.visit_state_mut(&format!("{prefix}2."), f);
    }
}
