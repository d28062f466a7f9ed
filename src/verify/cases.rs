//! The seeded inputs `csnas verify` runs every op on.
//!
//! Why separate: both backends must see identical inputs, drawn on the host
//! from derived streams (`seed → verify → <op> → <input>`, DESIGN 3.1.3), so
//! adding an op or an input never shifts another's values.

use super::Tensor;
use crate::rng::StreamPath;

/// The ops `csnas verify` compares; each runs forward and backward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyOp {
    Relu,
    DropPath,
    Concat,
    /// 3×3, padding 1, with this stride.
    MaxPool {
        stride: usize,
    },
    /// 3×3, padding 1, `count_include_pad=False`, with this stride.
    AvgPool {
        stride: usize,
    },
    GlobalAvgPool,
    /// Training mode, affine, default eps and momentum.
    BatchNorm,
    /// Two DARTS SGD steps (momentum 0.9, weight decay 3e-4, lr 0.025).
    Sgd,
    /// 3×3 convolution, stride 1, padding 1, forward and both gradients.
    Conv2d,
    /// 3×3 depthwise convolution, stride 2, dilation 2 (DARTS `dil_conv`).
    DepthwiseConv,
    /// `nn.Linear`, forward and its three gradients.
    Linear,
    /// Elementwise addition, gradient accumulation, row split and stack.
    Add,
    /// The factorized reduce's crop and shift-add; the `none` op's zeros.
    Crop,
    /// NT-Xent loss and gradient (temperature 0.5).
    NtXent,
    /// The PIRL NCE loss against a memory bank (temperature 0.07) and both
    /// gradients.
    PirlNce,
    /// Cross-entropy with label smoothing 0.1, and its gradient.
    CrossEntropy,
    /// One tensor's gradient norm, its clipping scale, gradient zeroing.
    ClipNorm,
}

impl VerifyOp {
    /// The op's name in the report and in error messages.
    pub fn name(self) -> &'static str {
        match self {
            VerifyOp::Relu => "relu",
            VerifyOp::DropPath => "drop_path",
            VerifyOp::Concat => "concat",
            VerifyOp::MaxPool { stride: 1 } => "max_pool_3x3_s1",
            VerifyOp::MaxPool { .. } => "max_pool_3x3_s2",
            VerifyOp::AvgPool { stride: 1 } => "avg_pool_3x3_s1",
            VerifyOp::AvgPool { .. } => "avg_pool_3x3_s2",
            VerifyOp::GlobalAvgPool => "global_avg_pool",
            VerifyOp::BatchNorm => "batch_norm",
            VerifyOp::Sgd => "sgd",
            VerifyOp::Conv2d => "conv2d_3x3",
            VerifyOp::DepthwiseConv => "dil_conv_3x3_dw_s2",
            VerifyOp::Linear => "linear",
            VerifyOp::Add => "add",
            VerifyOp::Crop => "crop",
            VerifyOp::NtXent => "nt_xent",
            VerifyOp::PirlNce => "pirl_nce",
            VerifyOp::CrossEntropy => "cross_entropy",
            VerifyOp::ClipNorm => "clip_grad_norm",
        }
    }
}

/// One op with its named inputs.
#[derive(Clone, Debug)]
pub struct OpCase {
    pub op: VerifyOp,
    pub inputs: Vec<(&'static str, Tensor)>,
}

impl OpCase {
    /// The input called `name`; panics when a case lacks it (a bug here).
    pub fn input(&self, name: &str) -> &Tensor {
        &self
            .inputs
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("verify case {} has no input {name}", self.op.name()))
            .1
    }
}

/// Uniform values in [-2, 2) from the stream `seed → verify → op → input`.
fn uniform(
    seed: u64,
    op: VerifyOp,
    input: &'static str,
    shape: &[usize],
) -> (&'static str, Tensor) {
    let mut s = StreamPath::root(seed)
        .child("verify")
        .child(op.name())
        .child(input)
        .stream();
    let n = shape.iter().product();
    let data = (0..n).map(|_| s.uniform_range(-2.0, 2.0) as f32).collect();
    let t = Tensor {
        shape: shape.to_vec(),
        data,
    };
    (input, t)
}

/// Keep flags (1.0 kept, 0.0 dropped) with keep probability 0.8.
fn keep_flags(seed: u64, op: VerifyOp, n: usize) -> (&'static str, Tensor) {
    let mut s = StreamPath::root(seed)
        .child("verify")
        .child(op.name())
        .child("keep")
        .stream();
    let data = (0..n)
        .map(|_| if s.bernoulli(0.8) { 1.0 } else { 0.0 })
        .collect();
    (
        "keep",
        Tensor {
            shape: vec![n],
            data,
        },
    )
}

/// Every case, in report order, from `seed`.
pub fn cases(seed: u64) -> Vec<OpCase> {
    let case = |op, inputs| OpCase { op, inputs };
    let act = [2, 3, 7, 7];
    let mut out = vec![
        case(
            VerifyOp::Relu,
            vec![
                uniform(seed, VerifyOp::Relu, "x", &act),
                uniform(seed, VerifyOp::Relu, "dy", &act),
            ],
        ),
        case(
            VerifyOp::DropPath,
            vec![
                uniform(seed, VerifyOp::DropPath, "x", &[6, 2, 3, 3]),
                uniform(seed, VerifyOp::DropPath, "dy", &[6, 2, 3, 3]),
                keep_flags(seed, VerifyOp::DropPath, 6),
            ],
        ),
        case(
            VerifyOp::Concat,
            vec![
                uniform(seed, VerifyOp::Concat, "a", &[2, 2, 3, 3]),
                uniform(seed, VerifyOp::Concat, "b", &[2, 3, 3, 3]),
                uniform(seed, VerifyOp::Concat, "dy", &[2, 5, 3, 3]),
            ],
        ),
    ];
    for stride in [1, 2] {
        let out_hw = (7 + 2 - 3) / stride + 1;
        for op in [VerifyOp::MaxPool { stride }, VerifyOp::AvgPool { stride }] {
            out.push(case(
                op,
                vec![
                    uniform(seed, op, "x", &act),
                    uniform(seed, op, "dy", &[2, 3, out_hw, out_hw]),
                ],
            ));
        }
    }
    let gap = VerifyOp::GlobalAvgPool;
    out.push(case(
        gap,
        vec![
            uniform(seed, gap, "x", &[2, 3, 4, 4]),
            uniform(seed, gap, "dy", &[2, 3]),
        ],
    ));
    let bn = VerifyOp::BatchNorm;
    out.push(case(
        bn,
        vec![
            uniform(seed, bn, "x", &[3, 4, 5, 5]),
            uniform(seed, bn, "gamma", &[4]),
            uniform(seed, bn, "beta", &[4]),
            uniform(seed, bn, "running_mean", &[4]),
            uniform(seed, bn, "running_var", &[4])
                .1
                .abs_named("running_var"),
            uniform(seed, bn, "dy", &[3, 4, 5, 5]),
        ],
    ));
    let sgd = VerifyOp::Sgd;
    out.push(case(
        sgd,
        vec![
            uniform(seed, sgd, "param", &[40]),
            uniform(seed, sgd, "grad1", &[40]),
            uniform(seed, sgd, "grad2", &[40]),
        ],
    ));
    let conv = VerifyOp::Conv2d;
    out.push(case(
        conv,
        vec![
            uniform(seed, conv, "x", &[2, 3, 6, 6]),
            uniform(seed, conv, "w", &[4, 3, 3, 3]),
            uniform(seed, conv, "dy", &[2, 4, 6, 6]),
        ],
    ));
    let dw = VerifyOp::DepthwiseConv;
    out.push(case(
        dw,
        vec![
            uniform(seed, dw, "x", &[2, 3, 7, 7]),
            uniform(seed, dw, "w", &[3, 1, 3, 3]),
            uniform(seed, dw, "dy", &[2, 3, 4, 4]),
        ],
    ));
    let lin = VerifyOp::Linear;
    out.push(case(
        lin,
        vec![
            uniform(seed, lin, "x", &[5, 7]),
            uniform(seed, lin, "w", &[3, 7]),
            uniform(seed, lin, "b", &[3]),
            uniform(seed, lin, "dy", &[5, 3]),
        ],
    ));
    let add = VerifyOp::Add;
    out.push(case(
        add,
        vec![
            uniform(seed, add, "a", &[2, 3, 4, 4]),
            uniform(seed, add, "b", &[2, 3, 4, 4]),
            uniform(seed, add, "rows", &[3, 5]),
        ],
    ));
    let crop = VerifyOp::Crop;
    out.push(case(
        crop,
        vec![
            uniform(seed, crop, "x", &[2, 3, 6, 6]),
            uniform(seed, crop, "g", &[2, 3, 5, 5]),
        ],
    ));
    let nt = VerifyOp::NtXent;
    out.push(case(nt, vec![uniform(seed, nt, "z", &[8, 6])]));
    let pirl = VerifyOp::PirlNce;
    out.push(case(
        pirl,
        vec![
            uniform(seed, pirl, "view", &[4, 6]),
            uniform(seed, pirl, "original", &[4, 6]),
            uniform(seed, pirl, "bank", &[10, 6]),
        ],
    ));
    let ce = VerifyOp::CrossEntropy;
    let mut labels = StreamPath::root(seed)
        .child("verify")
        .child(ce.name())
        .child("labels")
        .stream();
    let labels = Tensor {
        shape: vec![6],
        data: (0..6).map(|_| labels.below(5) as f32).collect(),
    };
    out.push(case(
        ce,
        vec![uniform(seed, ce, "logits", &[6, 5]), ("labels", labels)],
    ));
    let clip = VerifyOp::ClipNorm;
    out.push(case(clip, vec![uniform(seed, clip, "g", &[2, 3, 4, 4])]));
    out
}

impl Tensor {
    /// The same tensor with every value made non-negative (variances).
    fn abs_named(mut self, name: &'static str) -> (&'static str, Tensor) {
        for v in &mut self.data {
            *v = v.abs();
        }
        (name, self)
    }
}
