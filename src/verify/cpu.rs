//! The CPU reference as an [`OpBackend`]: each verify case run through the
//! ops in [`crate::ops`] and [`crate::train::sgd`].
//!
//! Why: the reference side of every comparison, and (on both sides) the
//! self-check that the harness reports exactly zero error for identical runs.

use ndarray::{Array1, Array2, Array4};

use super::{OpBackend, OpCase, Tensor, VerifyOp};
use crate::error::Result;
use crate::ops::batch_norm::{BatchNormParams, batch_norm_backward, batch_norm_train_forward};
use crate::ops::concat::{concat_channels, split_channels};
use crate::ops::drop_path::{drop_path_backward, drop_path_forward};
use crate::ops::global_avg_pool::{global_avg_pool_backward, global_avg_pool_forward};
use crate::ops::pool::{
    PoolParams, avg_pool2d_backward, avg_pool2d_forward, max_pool2d_backward, max_pool2d_forward,
};
use crate::ops::relu::{relu_backward, relu_forward};
use crate::train::sgd::{ParamRef, SgdConfig, SgdState, sgd_step};

/// The drop probability of the drop-path case.
pub(super) const DROP_PROB: f64 = 0.2;

/// The CPU reference backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuOps;

fn a4(t: &Tensor) -> Array4<f32> {
    let s = &t.shape;
    Array4::from_shape_vec((s[0], s[1], s[2], s[3]), t.data.clone()).expect("4-D case input")
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

fn pool(stride: usize) -> PoolParams {
    PoolParams {
        kernel: 3,
        stride,
        padding: 1,
    }
}

impl OpBackend for CpuOps {
    fn name(&self) -> String {
        "cpu".to_string()
    }

    fn run(&self, case: &OpCase) -> Result<Vec<(&'static str, Tensor)>> {
        let x = || a4(case.input("x"));
        let dy = || a4(case.input("dy"));
        Ok(match case.op {
            VerifyOp::Relu => vec![
                ("y", t(&relu_forward(&x()))),
                ("dx", t(&relu_backward(&x(), &dy()))),
            ],
            VerifyOp::DropPath => {
                let keep: Vec<bool> = case.input("keep").data.iter().map(|&k| k != 0.0).collect();
                vec![
                    ("y", t(&drop_path_forward(&x(), &keep, DROP_PROB))),
                    ("dx", t(&drop_path_backward(&dy(), &keep, DROP_PROB))),
                ]
            }
            VerifyOp::Concat => {
                let (a, b) = (a4(case.input("a")), a4(case.input("b")));
                let parts = split_channels(&dy(), &[a.dim().1, b.dim().1]);
                vec![
                    ("y", t(&concat_channels(&[&a, &b]))),
                    ("da", t(&parts[0])),
                    ("db", t(&parts[1])),
                ]
            }
            VerifyOp::MaxPool { stride } => {
                let x = x();
                let (y, arg) = max_pool2d_forward(&x, &pool(stride));
                let hw = (x.dim().2, x.dim().3);
                vec![
                    ("y", t(&y)),
                    ("dx", t(&max_pool2d_backward(&dy(), &arg, hw))),
                ]
            }
            VerifyOp::AvgPool { stride } => {
                let x = x();
                let hw = (x.dim().2, x.dim().3);
                vec![
                    ("y", t(&avg_pool2d_forward(&x, &pool(stride)))),
                    ("dx", t(&avg_pool2d_backward(&dy(), &pool(stride), hw))),
                ]
            }
            VerifyOp::GlobalAvgPool => {
                let x = x();
                let d = case.input("dy");
                let dy2 = Array2::from_shape_vec((d.shape[0], d.shape[1]), d.data.clone())
                    .expect("2-D case input");
                vec![
                    ("y", t(&global_avg_pool_forward(&x))),
                    (
                        "dx",
                        t(&global_avg_pool_backward(&dy2, (x.dim().2, x.dim().3))),
                    ),
                ]
            }
            VerifyOp::BatchNorm => {
                let (gamma, beta) = (a1(case.input("gamma")), a1(case.input("beta")));
                let mut rm = a1(case.input("running_mean"));
                let mut rv = a1(case.input("running_var"));
                let p = BatchNormParams::default();
                let (y, cache) =
                    batch_norm_train_forward(&x(), Some(&gamma), Some(&beta), &mut rm, &mut rv, &p);
                let (dx, dgamma, dbeta) = batch_norm_backward(&dy(), Some(&gamma), &cache);
                vec![
                    ("y", t(&y)),
                    ("running_mean", t(&rm)),
                    ("running_var", t(&rv)),
                    ("dx", t(&dx)),
                    ("dgamma", t(&dgamma)),
                    ("dbeta", t(&dbeta)),
                ]
            }
            VerifyOp::Sgd => {
                let mut param = case.input("param").data.clone();
                let mut state = SgdState::default();
                for g in ["grad1", "grad2"] {
                    let mut prs = [ParamRef {
                        name: "verify",
                        param: &mut param,
                        grad: &case.input(g).data,
                        state: &mut state,
                    }];
                    sgd_step(&SgdConfig::darts(0.025), &mut prs)?;
                }
                let buf = state.momentum_buffer.unwrap_or_default();
                let n = param.len();
                vec![
                    (
                        "param",
                        Tensor {
                            shape: vec![n],
                            data: param,
                        },
                    ),
                    (
                        "momentum_buffer",
                        Tensor {
                            shape: vec![n],
                            data: buf,
                        },
                    ),
                ]
            }
        })
    }
}
