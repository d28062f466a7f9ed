//! Heads on top of the cell trunk: the linear classifier, DARTS's
//! `AuxiliaryHeadCIFAR`, and the search network's projection head (a 2-layer
//! MLP, names `head.0.*`, `head.2.*`).
//!
//! Why together: they are the 2-D (N, features) end of the network, sharing
//! the `Dense` (PyTorch `nn.Linear`) layer.

use super::init::Init;
use super::layers::{BatchNorm, Conv, ForwardCtx, Layer, Param, R1, R2, Relu, Seq, Visitor};
use super::primitives::AvgPool;
use crate::backend::Backend;
use crate::ops::conv2d::Conv2dParams;
use ndarray::{Ix1, Ix2};

/// `nn.Linear(in, out)`: `weight` (out, in) and `bias` (out), both
/// `U(±1/sqrt(in))` from their own init streams.
pub struct Dense<B: Backend> {
    weight: Param<B, R2>,
    bias: Param<B, R1>,
    x: Option<B::T2>,
}

impl<B: Backend> Dense<B> {
    pub fn new(dev: &B, c_in: usize, c_out: usize, init: &Init, name: &str) -> Self {
        let w =
            init.fan_in_uniform::<B::Elem, _>(&format!("{name}.weight"), Ix2(c_out, c_in), c_in);
        let b = init.fan_in_uniform::<B::Elem, _>(&format!("{name}.bias"), Ix1(c_out), c_in);
        Dense {
            weight: Param::new(dev, &w),
            bias: Param::new(dev, &b),
            x: None,
        }
    }

    pub fn forward(&mut self, dev: &B, x: &B::T2) -> B::T2 {
        self.x = Some(x.clone());
        dev.linear_forward(x, &self.weight.value, &self.bias.value)
    }

    pub fn backward(&mut self, dev: &B, dy: &B::T2) -> B::T2 {
        let x = self.x.take().expect("Dense::backward without forward");
        let (dx, dw, db) = dev.linear_backward(&x, &self.weight.value, dy);
        self.weight.accumulate(dev, &dw);
        self.bias.accumulate(dev, &db);
        dx
    }

    pub fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.weight.walk(format!("{prefix}weight"), f);
        self.bias.walk(format!("{prefix}bias"), f);
    }
}

/// DARTS `AuxiliaryHeadCIFAR`: `features = Sequential(ReLU, AvgPool(5, 3, 0,
/// count_include_pad=False), Conv 1×1 C→128, BN, ReLU, Conv 2×2 128→768, BN,
/// ReLU)`, then `classifier = Linear(768, classes)`. Its input must be 8×8 to
/// 10×10 (so that the features are 768×1×1); the network checks this.
pub struct AuxiliaryHead<B: Backend> {
    features: Seq<B>,
    classifier: Dense<B>,
}

impl<B: Backend> AuxiliaryHead<B> {
    pub fn new(dev: &B, c: usize, classes: usize, init: &Init, name: &str) -> Self {
        let features = Seq::new()
            .push(Relu::default())
            .push(AvgPool::new(5, 3, 0))
            .push(Conv::new(
                dev,
                c,
                128,
                Conv2dParams::square(1, 1, 0),
                init,
                &format!("{name}.features.2"),
            ))
            .push(BatchNorm::new(dev, 128))
            .push(Relu::default())
            .push(Conv::new(
                dev,
                128,
                768,
                Conv2dParams::square(2, 1, 0),
                init,
                &format!("{name}.features.5"),
            ))
            .push(BatchNorm::new(dev, 768))
            .push(Relu::default());
        let classifier = Dense::new(dev, 768, classes, init, &format!("{name}.classifier"));
        AuxiliaryHead {
            features,
            classifier,
        }
    }

    pub fn forward(&mut self, dev: &B, x: &B::T4, ctx: &ForwardCtx) -> B::T2 {
        let f = self.features.forward(dev, x, ctx);
        let (_, c, h, w) = dev.dims4(&f);
        assert_eq!((c, h, w), (768, 1, 1), "aux features are 768×1×1");
        let flat = dev.nchw_to_rows(f);
        self.classifier.forward(dev, &flat)
    }

    pub fn backward(&mut self, dev: &B, dy: &B::T2) -> B::T4 {
        let d = self.classifier.backward(dev, dy);
        let d4 = dev.rows_to_nchw(d);
        self.features.backward(dev, &d4)
    }

    pub fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.features.walk(&format!("{prefix}features."), f);
        self.classifier.walk(&format!("{prefix}classifier."), f);
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
pub struct ProjectionHead<B: Backend> {
    fc0: Dense<B>,
    fc2: Dense<B>,
    hidden_in: Option<B::T4>,
}

impl<B: Backend> ProjectionHead<B> {
    pub fn new(dev: &B, c_prev: usize, cfg: &HeadConfig, init: &Init, name: &str) -> Self {
        let hidden = cfg.hidden.unwrap_or(c_prev);
        ProjectionHead {
            fc0: Dense::new(dev, c_prev, hidden, init, &format!("{name}.0")),
            fc2: Dense::new(dev, hidden, cfg.out_dim, init, &format!("{name}.2")),
            hidden_in: None,
        }
    }

    pub fn forward(&mut self, dev: &B, x: &B::T2) -> B::T2 {
        let h4 = dev.rows_to_nchw(self.fc0.forward(dev, x));
        let r = dev.nchw_to_rows(dev.relu_forward(&h4));
        self.hidden_in = Some(h4);
        self.fc2.forward(dev, &r)
    }

    pub fn backward(&mut self, dev: &B, dy: &B::T2) -> B::T2 {
        let dr4 = dev.rows_to_nchw(self.fc2.backward(dev, dy));
        let h4 = self
            .hidden_in
            .take()
            .expect("ProjectionHead::backward without forward");
        let dh = dev.nchw_to_rows(dev.relu_backward(&h4, &dr4));
        self.fc0.backward(dev, &dh)
    }

    pub fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.fc0.walk(&format!("{prefix}0."), f);
        self.fc2.walk(&format!("{prefix}2."), f);
    }
}
