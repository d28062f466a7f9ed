//! The DARTS cell operations (`cnn/operations.py`): `none`, pools,
//! `skip_connect`, separable and dilated convolutions, `conv_7x1_1x7`, and the
//! building blocks `ReLUConvBN` and `FactorizedReduce`, with PyTorch's module
//! names (`op.1.weight`, `conv_1.weight`, `bn.running_mean`, ...).
//!
//! Why a module: the genotype names ops; this is the one place that turns a
//! name, a channel count and a stride into a layer.

use super::init::Init;
use super::layers::{
    BatchNorm, Conv, ForwardCtx, Layer, ParamVisitor, Relu, Seq, StateMutVisitor, StateVisitor,
};
use crate::error::Result;
use crate::genotype::Op;
use crate::invalid;
use crate::ops::concat;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pool::{self, PoolParams};
use crate::ops::zero;
use crate::real::Real;
use ndarray::{Array4, Zip, s};

/// DARTS `Identity`.
pub struct Identity;

impl<T: Real> Layer<T> for Identity {
    fn forward(&mut self, x: &Array4<T>, _ctx: &ForwardCtx) -> Array4<T> {
        x.clone()
    }
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        dy.clone()
    }
    fn is_identity(&self) -> bool {
        true
    }
}

/// DARTS `Zero` (`none`): zeros shaped like `x[:, :, ::stride, ::stride]`.
pub struct Zero {
    stride: usize,
    in_dim: Option<(usize, usize, usize, usize)>,
}

impl<T: Real> Layer<T> for Zero {
    fn forward(&mut self, x: &Array4<T>, _ctx: &ForwardCtx) -> Array4<T> {
        self.in_dim = Some(x.dim());
        zero::zero_forward(x, self.stride)
    }
    fn backward(&mut self, _dy: &Array4<T>) -> Array4<T> {
        Array4::from_elem(
            self.in_dim.take().expect("Zero::backward without forward"),
            T::ZERO,
        )
    }
}

/// `MaxPool2d(3, stride, padding=1)`.
pub struct MaxPool<T> {
    p: PoolParams,
    cache: Option<(Array4<u32>, (usize, usize))>,
    _t: std::marker::PhantomData<T>,
}

impl<T: Real> Layer<T> for MaxPool<T> {
    fn forward(&mut self, x: &Array4<T>, _ctx: &ForwardCtx) -> Array4<T> {
        let (y, arg) = pool::max_pool2d_forward(x, &self.p);
        self.cache = Some((arg, (x.dim().2, x.dim().3)));
        y
    }
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let (arg, hw) = self
            .cache
            .take()
            .expect("MaxPool::backward without forward");
        pool::max_pool2d_backward(dy, &arg, hw)
    }
}

/// `AvgPool2d(kernel, stride, padding, count_include_pad=False)`.
pub struct AvgPool {
    p: PoolParams,
    hw: Option<(usize, usize)>,
}

impl AvgPool {
    pub fn new(kernel: usize, stride: usize, padding: usize) -> Self {
        AvgPool {
            p: PoolParams {
                kernel,
                stride,
                padding,
            },
            hw: None,
        }
    }
}

impl<T: Real> Layer<T> for AvgPool {
    fn forward(&mut self, x: &Array4<T>, _ctx: &ForwardCtx) -> Array4<T> {
        self.hw = Some((x.dim().2, x.dim().3));
        pool::avg_pool2d_forward(x, &self.p)
    }
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let hw = self.hw.take().expect("AvgPool::backward without forward");
        pool::avg_pool2d_backward(dy, &self.p, hw)
    }
}

/// `FactorizedReduce`: ReLU, then `conv_1` (1×1, stride 2) on `x` and `conv_2`
/// (1×1, stride 2) on `x[:, :, 1:, 1:]`, concatenated on channels, then `bn`.
/// Needs an even `c_out` and even input height and width.
pub struct FactorizedReduce<T: Real> {
    relu: Relu<T>,
    conv_1: Conv<T>,
    conv_2: Conv<T>,
    bn: BatchNorm<T>,
    half: usize,
}

impl<T: Real> FactorizedReduce<T> {
    pub fn new(c_in: usize, c_out: usize, init: &Init, name: &str) -> Result<Self> {
        if !c_out.is_multiple_of(2) {
            return Err(invalid!(
                "{name}: FactorizedReduce needs an even channel count, got {c_out}"
            ));
        }
        let half = c_out / 2;
        let p = Conv2dParams::square(1, 2, 0);
        Ok(FactorizedReduce {
            relu: Relu::default(),
            conv_1: Conv::new(c_in, half, p, init, &format!("{name}.conv_1")),
            conv_2: Conv::new(c_in, half, p, init, &format!("{name}.conv_2")),
            bn: BatchNorm::new(c_out),
            half,
        })
    }
}

impl<T: Real> Layer<T> for FactorizedReduce<T> {
    fn forward(&mut self, x: &Array4<T>, ctx: &ForwardCtx) -> Array4<T> {
        let r = self.relu.forward(x, ctx);
        let shifted = r.slice(s![.., .., 1.., 1..]).to_owned();
        let a = self.conv_1.forward_owned(r, ctx);
        let b = self.conv_2.forward_owned(shifted, ctx);
        let cat = concat::concat_channels(&[&a, &b]);
        self.bn.forward(&cat, ctx)
    }
    /// `dr = conv_1ᵀ(d_a)`, then `dr[:, :, 1:, 1:] += conv_2ᵀ(d_b)` elementwise.
    fn backward(&mut self, dy: &Array4<T>) -> Array4<T> {
        let dcat = self.bn.backward(dy);
        let parts = concat::split_channels(&dcat, &[self.half, self.half]);
        let mut dr = self.conv_1.backward(&parts[0]);
        let dshift = self.conv_2.backward(&parts[1]);
        Zip::from(dr.slice_mut(s![.., .., 1.., 1..]))
            .and(&dshift)
            .for_each(|a, &b| *a += b);
        self.relu.backward(&dr)
    }
    fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.conv_1.visit_params(&format!("{prefix}conv_1."), f);
        self.conv_2.visit_params(&format!("{prefix}conv_2."), f);
        self.bn.visit_params(&format!("{prefix}bn."), f);
    }
    fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        self.conv_1.visit_state(&format!("{prefix}conv_1."), f);
        self.conv_2.visit_state(&format!("{prefix}conv_2."), f);
        self.bn.visit_state(&format!("{prefix}bn."), f);
    }
    fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        self.conv_1.visit_state_mut(&format!("{prefix}conv_1."), f);
        self.conv_2.visit_state_mut(&format!("{prefix}conv_2."), f);
        self.bn.visit_state_mut(&format!("{prefix}bn."), f);
    }
}

/// `ReLUConvBN`: a module whose child `op` is `Sequential(ReLU, Conv, BN)`.
pub fn relu_conv_bn<T: Real>(
    c_in: usize,
    c_out: usize,
    p: Conv2dParams,
    init: &Init,
    name: &str,
) -> Seq<T> {
    let inner = Seq::new()
        .push(Relu::default())
        .push(Conv::new(c_in, c_out, p, init, &format!("{name}.op.1")))
        .push(BatchNorm::new(c_out));
    Seq::new().named("op", inner)
}

/// Depthwise `k×k` convolution with the given stride, padding and dilation.
fn depthwise(c: usize, k: usize, stride: usize, pad: usize, dil: usize) -> Conv2dParams {
    Conv2dParams {
        kernel: [k, k],
        stride: [stride, stride],
        padding: [pad, pad],
        dilation: [dil, dil],
        groups: c,
    }
}

/// `SepConv`: `op = Sequential(ReLU, dw(k, stride), pw, BN, ReLU, dw(k, 1), pw, BN)`.
fn sep_conv<T: Real>(c: usize, k: usize, stride: usize, init: &Init, name: &str) -> Seq<T> {
    let pad = k / 2;
    let pw = Conv2dParams::square(1, 1, 0);
    let n = |i: usize| format!("{name}.op.{i}");
    let inner = Seq::new()
        .push(Relu::default())
        .push(Conv::new(
            c,
            c,
            depthwise(c, k, stride, pad, 1),
            init,
            &n(1),
        ))
        .push(Conv::new(c, c, pw, init, &n(2)))
        .push(BatchNorm::new(c))
        .push(Relu::default())
        .push(Conv::new(c, c, depthwise(c, k, 1, pad, 1), init, &n(5)))
        .push(Conv::new(c, c, pw, init, &n(6)))
        .push(BatchNorm::new(c));
    Seq::new().named("op", inner)
}

/// `DilConv`: `op = Sequential(ReLU, dw(k, stride, dilation 2), pw, BN)`.
fn dil_conv<T: Real>(c: usize, k: usize, stride: usize, init: &Init, name: &str) -> Seq<T> {
    let pad = k - 1; // dilation 2: (k-1)·2/2
    let inner = Seq::new()
        .push(Relu::default())
        .push(Conv::new(
            c,
            c,
            depthwise(c, k, stride, pad, 2),
            init,
            &format!("{name}.op.1"),
        ))
        .push(Conv::new(
            c,
            c,
            Conv2dParams::square(1, 1, 0),
            init,
            &format!("{name}.op.2"),
        ))
        .push(BatchNorm::new(c));
    Seq::new().named("op", inner)
}

/// `conv_7x1_1x7`: `Sequential(ReLU, Conv(1,7) stride (1,s) pad (0,3),
/// Conv(7,1) stride (s,1) pad (3,0), BN)`.
fn conv_7x1_1x7<T: Real>(c: usize, stride: usize, init: &Init, name: &str) -> Seq<T> {
    let p17 = Conv2dParams {
        kernel: [1, 7],
        stride: [1, stride],
        padding: [0, 3],
        dilation: [1, 1],
        groups: 1,
    };
    let p71 = Conv2dParams {
        kernel: [7, 1],
        stride: [stride, 1],
        padding: [3, 0],
        dilation: [1, 1],
        groups: 1,
    };
    Seq::new()
        .push(Relu::default())
        .push(Conv::new(c, c, p17, init, &format!("{name}.1")))
        .push(Conv::new(c, c, p71, init, &format!("{name}.2")))
        .push(BatchNorm::new(c))
}

/// The layer for `op` on `c` channels with `stride` (DARTS `OPS[name](C, stride, True)`).
/// `name` is the op's full module name (e.g. `cells.0._ops.3`).
pub fn build_op<T: Real>(
    op: Op,
    c: usize,
    stride: usize,
    init: &Init,
    name: &str,
) -> Result<Box<dyn Layer<T>>> {
    Ok(match op {
        Op::None => Box::new(Zero {
            stride,
            in_dim: None,
        }),
        Op::MaxPool3x3 => Box::new(MaxPool::<T> {
            p: PoolParams {
                kernel: 3,
                stride,
                padding: 1,
            },
            cache: None,
            _t: std::marker::PhantomData,
        }),
        Op::AvgPool3x3 => Box::new(AvgPool::new(3, stride, 1)),
        Op::SkipConnect if stride == 1 => Box::new(Identity),
        Op::SkipConnect => Box::new(FactorizedReduce::new(c, c, init, name)?),
        Op::SepConv3x3 => Box::new(sep_conv(c, 3, stride, init, name)),
        Op::SepConv5x5 => Box::new(sep_conv(c, 5, stride, init, name)),
        Op::SepConv7x7 => Box::new(sep_conv(c, 7, stride, init, name)),
        Op::DilConv3x3 => Box::new(dil_conv(c, 3, stride, init, name)),
        Op::DilConv5x5 => Box::new(dil_conv(c, 5, stride, init, name)),
        Op::Conv7x1_1x7 => Box::new(conv_7x1_1x7(c, stride, init, name)),
    })
}
