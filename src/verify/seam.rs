//! The one verify runner: every [`VerifyOp`] case run through the backend
//! traits of any [`Backend`], so the reference (`cpu`) and every candidate go
//! through the very methods the network and the trials call.
//!
//! Why generic: a per-device copy of the dispatch (one for the CPU, one for
//! CUDA) could test code the trials never run. Here the CPU reference is
//! `SeamOps(CpuF32)`, a device is `SeamOps(its backend)`, and the
//! [`Perturbed`](crate::backend::perturbed::Perturbed) backend proves each
//! case reaches the op it names (a test perturbs it and the check fails).

use ndarray::{Array1, Array2, Array4};

use super::{OpBackend, OpCase, Tensor, VerifyOp};
use crate::backend::{Backend, TensorMut, TensorRef};
use crate::error::Result;
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pool::PoolParams;
use crate::ops::sgd::SgdConfig;

/// The drop probability of the drop-path case.
pub(super) const DROP_PROB: f64 = 0.2;

/// The NT-Xent case's temperature.
pub(super) const NT_XENT_TEMPERATURE: f32 = 0.5;

/// The clipping case's `max_norm` (below the inputs' norm, so it scales).
pub(super) const CLIP_MAX_NORM: f32 = 1.0;

/// Any backend as an [`OpBackend`].
#[derive(Clone, Debug)]
pub struct SeamOps<B>(pub B);

fn a4(t: &Tensor) -> Array4<f32> {
    let s = &t.shape;
    Array4::from_shape_vec((s[0], s[1], s[2], s[3]), t.data.clone()).expect("4-D case input")
}

fn a2(t: &Tensor) -> Array2<f32> {
    let s = &t.shape;
    Array2::from_shape_vec((s[0], s[1]), t.data.clone()).expect("2-D case input")
}

fn a1(t: &Tensor) -> Array1<f32> {
    Array1::from(t.data.clone())
}

fn t<D: ndarray::Dimension>(a: &ndarray::Array<f32, D>) -> Tensor {
    Tensor {
        shape: a.shape().to_vec(),
        data: a.as_standard_layout().iter().copied().collect(),
    }
}

fn scalar(v: f32) -> Tensor {
    Tensor {
        shape: vec![],
        data: vec![v],
    }
}

fn pool(stride: usize) -> PoolParams {
    PoolParams {
        kernel: 3,
        stride,
        padding: 1,
    }
}

/// The convolution of each conv case.
pub(super) fn conv_params(op: VerifyOp, channels: usize) -> Conv2dParams {
    match op {
        VerifyOp::DepthwiseConv => Conv2dParams {
            kernel: [3, 3],
            stride: [2, 2],
            padding: [2, 2],
            dilation: [2, 2],
            groups: channels,
        },
        _ => Conv2dParams::square(3, 1, 1),
    }
}

impl<B: Backend<Elem = f32>> OpBackend for SeamOps<B> {
    fn name(&self) -> String {
        self.0.kind().to_string()
    }

    fn run(&self, case: &OpCase) -> Result<Vec<(&'static str, Tensor)>> {
        let d = &self.0;
        let up4 = |name: &str| d.upload4(&a4(case.input(name)));
        let up2 = |name: &str| d.upload2(&a2(case.input(name)));
        let up1 = |name: &str| d.upload1(&a1(case.input(name)));
        let h4 = |x: &B::T4| t(&d.download4(x));
        let h2 = |x: &B::T2| t(&d.download2(x));
        let h1 = |x: &B::T1| t(&d.download1(x));
        Ok(match case.op {
            VerifyOp::Relu => {
                let (x, dy) = (up4("x"), up4("dy"));
                let (ym, mask) = d.relu_forward_masked(&x);
                vec![
                    ("y", h4(&d.relu_forward(&x))),
                    ("dx", h4(&d.relu_backward(&x, &dy))),
                    ("y_masked", h4(&ym)),
                    ("dx_masked", h4(&d.relu_backward_masked(&mask, &dy))),
                ]
            }
            VerifyOp::DropPath => {
                let keep: Vec<bool> = case.input("keep").data.iter().map(|&k| k != 0.0).collect();
                vec![
                    ("y", h4(&d.drop_path_forward(&up4("x"), &keep, DROP_PROB))),
                    (
                        "dx",
                        h4(&d.drop_path_backward(&up4("dy"), &keep, DROP_PROB)),
                    ),
                ]
            }
            VerifyOp::Concat => {
                let (a, b) = (up4("a"), up4("b"));
                let widths = [d.dims4(&a).1, d.dims4(&b).1];
                let parts = d.split_channels(&up4("dy"), &widths);
                vec![
                    ("y", h4(&d.concat_channels(&[&a, &b]))),
                    ("da", h4(&parts[0])),
                    ("db", h4(&parts[1])),
                ]
            }
            VerifyOp::MaxPool { stride } => {
                let x = up4("x");
                let (_, _, h, w) = d.dims4(&x);
                let (y, arg) = d.max_pool2d_forward(&x, &pool(stride));
                let dx = d.max_pool2d_backward(&up4("dy"), &arg, (h, w));
                vec![("y", h4(&y)), ("dx", h4(&dx))]
            }
            VerifyOp::AvgPool { stride } => {
                let x = up4("x");
                let (_, _, h, w) = d.dims4(&x);
                let y = d.avg_pool2d_forward(&x, &pool(stride));
                let dx = d.avg_pool2d_backward(&up4("dy"), &pool(stride), (h, w));
                vec![("y", h4(&y)), ("dx", h4(&dx))]
            }
            VerifyOp::GlobalAvgPool => {
                let x = up4("x");
                let (_, _, h, w) = d.dims4(&x);
                vec![
                    ("y", h2(&d.global_avg_pool_forward(&x))),
                    ("dx", h4(&d.global_avg_pool_backward(&up2("dy"), (h, w)))),
                ]
            }
            VerifyOp::BatchNorm => {
                let (gamma, beta) = (up1("gamma"), up1("beta"));
                let (mut rm, mut rv) = (up1("running_mean"), up1("running_var"));
                let p = BatchNormParams::default();
                let x = up4("x");
                let eval = d.batch_norm_eval_forward(&x, &gamma, &beta, &rm, &rv, &p);
                let (y, cache) =
                    d.batch_norm_train_forward(&x, &gamma, &beta, &mut rm, &mut rv, &p);
                let (dx, dgamma, dbeta) = d.batch_norm_backward(&up4("dy"), &gamma, &cache);
                vec![
                    ("y", h4(&y)),
                    ("running_mean", h1(&rm)),
                    ("running_var", h1(&rv)),
                    ("dx", h4(&dx)),
                    ("dgamma", h1(&dgamma)),
                    ("dbeta", h1(&dbeta)),
                    ("y_eval", h4(&eval)),
                ]
            }
            VerifyOp::Sgd => {
                let mut param = up1("param");
                let mut momentum = None;
                for g in ["grad1", "grad2"] {
                    let grad = up1(g);
                    let cfg = SgdConfig::darts(0.025);
                    d.sgd_update(
                        &cfg,
                        TensorMut::R1(&mut param),
                        TensorRef::R1(&grad),
                        &mut momentum,
                    );
                }
                let buf = momentum.expect("momentum 0.9 makes a buffer");
                vec![("param", h1(&param)), ("momentum_buffer", h1(&buf))]
            }
            VerifyOp::Conv2d | VerifyOp::DepthwiseConv => {
                let (x, w) = (up4("x"), up4("w"));
                let p = conv_params(case.op, d.dims4(&x).1);
                let (_, _, h, wd) = d.dims4(&x);
                let dy = up4("dy");
                let (dw, dx) = d.conv2d_backward(&x, &dy, &w, &p);
                vec![
                    ("y", h4(&d.conv2d_forward(&x, &w, &p))),
                    ("dx", h4(&d.conv2d_backward_data(&dy, &w, &p, (h, wd)))),
                    ("dw", h4(&d.conv2d_backward_filter(&x, &dy, &p))),
                    ("dx_joint", h4(&dx)),
                    ("dw_joint", h4(&dw)),
                ]
            }
            VerifyOp::Linear => {
                let (x, w, b) = (up2("x"), up2("w"), up1("b"));
                let (dx, dw, db) = d.linear_backward(&x, &w, &up2("dy"));
                vec![
                    ("y", h2(&d.linear_forward(&x, &w, &b))),
                    ("dx", h2(&dx)),
                    ("dw", h2(&dw)),
                    ("db", h1(&db)),
                ]
            }
            VerifyOp::Add => {
                let (a, b) = (up4("a"), up4("b"));
                let y = d.add(&a, &b);
                let mut acc = a.clone();
                d.add_assign(TensorMut::R4(&mut acc), TensorRef::R4(&b));
                let (top, bottom) = d.split_rows(&up2("rows"), 1);
                vec![
                    ("y", h4(&y)),
                    ("acc", h4(&acc)),
                    ("rows", h2(&d.concat_rows(&bottom, &top))),
                ]
            }
            VerifyOp::Crop => {
                let x = up4("x");
                let crop = d.crop_top_left(&x);
                let mut acc = x.clone();
                d.shift_add(&mut acc, &up4("g"));
                let zero = d.zero_forward(&x, 2);
                vec![("y", h4(&crop)), ("acc", h4(&acc)), ("zero", h4(&zero))]
            }
            VerifyOp::NtXent => {
                let (loss, cache) = d.nt_xent_forward(&up2("z"), NT_XENT_TEMPERATURE)?;
                vec![
                    ("loss", scalar(loss)),
                    ("dz", h2(&d.nt_xent_backward(&cache, 1.0))),
                ]
            }
            VerifyOp::CrossEntropy => {
                let labels: Vec<usize> = case
                    .input("labels")
                    .data
                    .iter()
                    .map(|&v| v as usize)
                    .collect();
                let (loss, cache) = d.cross_entropy_forward(&up2("logits"), &labels, 0.1)?;
                vec![
                    ("loss", scalar(loss)),
                    ("dlogits", h2(&d.cross_entropy_backward(&cache, 1.0))),
                ]
            }
            VerifyOp::ClipNorm => {
                let mut g = up4("g");
                let norm = d.l2_norm(TensorRef::R4(&g));
                let coef = CLIP_MAX_NORM / (norm + 1e-6);
                d.scale(TensorMut::R4(&mut g), coef);
                let mut z = g.clone();
                d.fill_zero(TensorMut::R4(&mut z));
                vec![("norm", scalar(norm)), ("g", h4(&g)), ("zeroed", h4(&z))]
            }
        })
    }
}
