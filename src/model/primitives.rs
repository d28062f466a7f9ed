//! The DARTS cell operations (`cnn/operations.py`): `none`, pools,
//! `skip_connect`, separable and dilated convolutions, `conv_7x1_1x7`, and the
//! building blocks `ReLUConvBN` and `FactorizedReduce`, with PyTorch's module
//! names (`op.1.weight`, `conv_1.weight`, `bn.running_mean`, ...).
//!
//! Why a module: the genotype names ops; this is the one place that turns a
//! name, a channel count and a stride into a layer.

use super::init::Init;
use super::layers::{BatchNorm, Conv, ForwardCtx, Layer, Relu, Seq, Visitor};
use crate::backend::{Backend, Dims4};
use crate::error::Result;
use crate::genotype::Op;
use crate::invalid;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pool::PoolParams;

/// DARTS `Identity`.
pub struct Identity;

impl<B: Backend> Layer<B> for Identity {
    fn forward(&mut self, _dev: &B, x: &B::T4, _ctx: &ForwardCtx) -> B::T4 {
        x.clone()
    }
    fn backward(&mut self, _dev: &B, dy: &B::T4) -> B::T4 {
        dy.clone()
    }
    fn is_identity(&self) -> bool {
        true
    }
}

/// DARTS `Zero` (`none`): zeros shaped like `x[:, :, ::stride, ::stride]`.
pub struct Zero {
    stride: usize,
    in_dim: Option<Dims4>,
}

impl<B: Backend> Layer<B> for Zero {
    fn forward(&mut self, dev: &B, x: &B::T4, _ctx: &ForwardCtx) -> B::T4 {
        self.in_dim = Some(dev.dims4(x));
        dev.zero_forward(x, self.stride)
    }
    fn backward(&mut self, dev: &B, _dy: &B::T4) -> B::T4 {
        dev.zeros4(self.in_dim.take().expect("Zero::backward without forward"))
    }
}

/// `MaxPool2d(3, stride, padding=1)`.
pub struct MaxPool<B: Backend> {
    p: PoolParams,
    cache: Option<(B::PoolIndex, (usize, usize))>,
}

impl<B: Backend> Layer<B> for MaxPool<B> {
    fn forward(&mut self, dev: &B, x: &B::T4, _ctx: &ForwardCtx) -> B::T4 {
        let (y, arg) = dev.max_pool2d_forward(x, &self.p);
        let (_, _, h, w) = dev.dims4(x);
        self.cache = Some((arg, (h, w)));
        y
    }
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let (arg, hw) = self
            .cache
            .take()
            .expect("MaxPool::backward without forward");
        dev.max_pool2d_backward(dy, &arg, hw)
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

impl<B: Backend> Layer<B> for AvgPool {
    fn forward(&mut self, dev: &B, x: &B::T4, _ctx: &ForwardCtx) -> B::T4 {
        let (_, _, h, w) = dev.dims4(x);
        self.hw = Some((h, w));
        dev.avg_pool2d_forward(x, &self.p)
    }
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let hw = self.hw.take().expect("AvgPool::backward without forward");
        dev.avg_pool2d_backward(dy, &self.p, hw)
    }
}

/// `FactorizedReduce`: ReLU, then `conv_1` (1×1, stride 2) on `x` and `conv_2`
/// (1×1, stride 2) on `x[:, :, 1:, 1:]`, concatenated on channels, then `bn`.
/// Needs an even `c_out` and even input height and width.
pub struct FactorizedReduce<B: Backend> {
    relu: Relu<B>,
    conv_1: Conv<B>,
    conv_2: Conv<B>,
    bn: BatchNorm<B>,
    half: usize,
}

impl<B: Backend> FactorizedReduce<B> {
    pub fn new(dev: &B, c_in: usize, c_out: usize, init: &Init, name: &str) -> Result<Self> {
        if !c_out.is_multiple_of(2) {
            return Err(invalid!(
                "{name}: FactorizedReduce needs an even channel count, got {c_out}"
            ));
        }
        let half = c_out / 2;
        let p = Conv2dParams::square(1, 2, 0);
        Ok(FactorizedReduce {
            relu: Relu::default(),
            conv_1: Conv::new(dev, c_in, half, p, init, &format!("{name}.conv_1")),
            conv_2: Conv::new(dev, c_in, half, p, init, &format!("{name}.conv_2")),
            bn: BatchNorm::new(dev, c_out),
            half,
        })
    }
}

impl<B: Backend> Layer<B> for FactorizedReduce<B> {
    fn forward(&mut self, dev: &B, x: &B::T4, ctx: &ForwardCtx) -> B::T4 {
        let r = self.relu.forward(dev, x, ctx);
        let shifted = dev.crop_top_left(&r);
        // The two convolutions are independent: side by side.
        let (conv_1, conv_2) = (&mut self.conv_1, &mut self.conv_2);
        let (a, b) = dev.join(
            || conv_1.forward_owned(dev, r, ctx),
            || conv_2.forward_owned(dev, shifted, ctx),
        );
        let cat = dev.concat_channels(&[&a, &b]);
        dev.recycle4(a);
        dev.recycle4(b);
        self.bn.forward_owned(dev, cat, ctx)
    }
    /// `dr = conv_1ᵀ(d_a)`, then `dr[:, :, 1:, 1:] += conv_2ᵀ(d_b)` elementwise.
    fn backward(&mut self, dev: &B, dy: &B::T4) -> B::T4 {
        let dcat = self.bn.backward(dev, dy);
        let parts = dev.split_channels(&dcat, &[self.half, self.half]);
        dev.recycle4(dcat);
        let (conv_1, conv_2) = (&mut self.conv_1, &mut self.conv_2);
        let (mut dr, dshift) = dev.join(
            || conv_1.backward(dev, &parts[0]),
            || conv_2.backward(dev, &parts[1]),
        );
        parts.into_iter().for_each(|p| dev.recycle4(p));
        dev.shift_add(&mut dr, &dshift);
        dev.recycle4(dshift);
        let dx = self.relu.backward(dev, &dr);
        dev.recycle4(dr);
        dx
    }
    fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.conv_1.walk(&format!("{prefix}conv_1."), f);
        self.conv_2.walk(&format!("{prefix}conv_2."), f);
        self.bn.walk(&format!("{prefix}bn."), f);
    }
}

/// `ReLUConvBN`: a module whose child `op` is `Sequential(ReLU, Conv, BN)`.
pub fn relu_conv_bn<B: Backend>(
    dev: &B,
    c_in: usize,
    c_out: usize,
    p: Conv2dParams,
    init: &Init,
    name: &str,
) -> Seq<B> {
    let inner = Seq::new()
        .push(Relu::default())
        .push(Conv::new(
            dev,
            c_in,
            c_out,
            p,
            init,
            &format!("{name}.op.1"),
        ))
        .push(BatchNorm::new(dev, c_out));
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
fn sep_conv<B: Backend>(
    dev: &B,
    c: usize,
    k: usize,
    stride: usize,
    init: &Init,
    name: &str,
) -> Seq<B> {
    let pad = k / 2;
    let pw = Conv2dParams::square(1, 1, 0);
    let n = |i: usize| format!("{name}.op.{i}");
    let inner = Seq::new()
        .push(Relu::default())
        .push(Conv::new(
            dev,
            c,
            c,
            depthwise(c, k, stride, pad, 1),
            init,
            &n(1),
        ))
        .push(Conv::new(dev, c, c, pw, init, &n(2)))
        .push(BatchNorm::new(dev, c))
        .push(Relu::default())
        .push(Conv::new(
            dev,
            c,
            c,
            depthwise(c, k, 1, pad, 1),
            init,
            &n(5),
        ))
        .push(Conv::new(dev, c, c, pw, init, &n(6)))
        .push(BatchNorm::new(dev, c));
    Seq::new().named("op", inner)
}

/// `DilConv`: `op = Sequential(ReLU, dw(k, stride, dilation 2), pw, BN)`.
fn dil_conv<B: Backend>(
    dev: &B,
    c: usize,
    k: usize,
    stride: usize,
    init: &Init,
    name: &str,
) -> Seq<B> {
    let pad = k - 1; // dilation 2: (k-1)·2/2
    let inner = Seq::new()
        .push(Relu::default())
        .push(Conv::new(
            dev,
            c,
            c,
            depthwise(c, k, stride, pad, 2),
            init,
            &format!("{name}.op.1"),
        ))
        .push(Conv::new(
            dev,
            c,
            c,
            Conv2dParams::square(1, 1, 0),
            init,
            &format!("{name}.op.2"),
        ))
        .push(BatchNorm::new(dev, c));
    Seq::new().named("op", inner)
}

/// `conv_7x1_1x7`: `Sequential(ReLU, Conv(1,7) stride (1,s) pad (0,3),
/// Conv(7,1) stride (s,1) pad (3,0), BN)`.
fn conv_7x1_1x7<B: Backend>(dev: &B, c: usize, stride: usize, init: &Init, name: &str) -> Seq<B> {
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
        .push(Conv::new(dev, c, c, p17, init, &format!("{name}.1")))
        .push(Conv::new(dev, c, c, p71, init, &format!("{name}.2")))
        .push(BatchNorm::new(dev, c))
}

/// The layer for `op` on `c` channels with `stride` (DARTS `OPS[name](C, stride, True)`).
/// `name` is the op's full module name (e.g. `cells.0._ops.3`).
pub fn build_op<B: Backend>(
    dev: &B,
    op: Op,
    c: usize,
    stride: usize,
    init: &Init,
    name: &str,
) -> Result<Box<dyn Layer<B>>> {
    Ok(match op {
        Op::None => Box::new(Zero {
            stride,
            in_dim: None,
        }),
        Op::MaxPool3x3 => Box::new(MaxPool::<B> {
            p: PoolParams {
                kernel: 3,
                stride,
                padding: 1,
            },
            cache: None,
        }),
        Op::AvgPool3x3 => Box::new(AvgPool::new(3, stride, 1)),
        Op::SkipConnect if stride == 1 => Box::new(Identity),
        Op::SkipConnect => Box::new(FactorizedReduce::new(dev, c, c, init, name)?),
        Op::SepConv3x3 => Box::new(sep_conv(dev, c, 3, stride, init, name)),
        Op::SepConv5x5 => Box::new(sep_conv(dev, c, 5, stride, init, name)),
        Op::SepConv7x7 => Box::new(sep_conv(dev, c, 7, stride, init, name)),
        Op::DilConv3x3 => Box::new(dil_conv(dev, c, 3, stride, init, name)),
        Op::DilConv5x5 => Box::new(dil_conv(dev, c, 5, stride, init, name)),
        Op::Conv7x1_1x7 => Box::new(conv_7x1_1x7(dev, c, stride, init, name)),
    })
}
