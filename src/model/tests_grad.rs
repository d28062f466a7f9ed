//! Whole-network gradient checks (f64, central differences) and the
//! thread-count determinism check (f32, bit for bit).

use super::tests::{all_ops, tiny_config};
use super::*;
use crate::backend::{CpuF32, CpuF64};
use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
use crate::rng::StreamPath;
use ndarray::{Array2, Array4, ArrayD, Ix2, Ix4};
use std::cell::RefCell;

struct Probe {
    net: RefCell<Network<CpuF64>>,
    r: Array2<f64>,
    r_aux: Option<Array2<f64>>,
    drop: f64,
    rng: StreamPath,
}

impl Probe {
    /// `L = Σ r·logits (+ Σ r_aux·aux_logits)`, training mode.
    fn loss(&self, x: &Array4<f64>) -> f64 {
        let out = self
            .net
            .borrow_mut()
            .forward(x, true, self.drop, &self.rng)
            .unwrap();
        let aux = match (&self.r_aux, &out.aux_logits) {
            (Some(r), Some(a)) => dot_all(r, a),
            _ => 0.0,
        };
        dot_all(&self.r, &out.logits) + aux
    }

    fn set(&self, name: &str, values: &[f64]) {
        assert!(self.net.borrow_mut().set_entry(name, values), "{name}");
    }

    fn check(&self, x: &Array4<f64>, params: &[&str], max_checks: usize) {
        let mut net = self.net.borrow_mut();
        net.zero_grad();
        net.forward(x, true, self.drop, &self.rng).unwrap();
        let dx = net.backward(&self.r, self.r_aux.as_ref()).unwrap();
        let grads: std::collections::HashMap<_, _> = net
            .params_with_grads()
            .into_iter()
            .map(|(n, shape, v, g)| (n, (shape, v, g)))
            .collect();
        drop(net);
        check_gradient(
            "input",
            &dyn_of(x),
            &dyn_of(&dx),
            |xp| self.loss(&xp.clone().into_dimensionality::<Ix4>().unwrap()),
            max_checks,
            1e-5,
        );
        for &name in params {
            let (shape, value, grad) = grads
                .get(name)
                .unwrap_or_else(|| panic!("no parameter {name}"));
            let v = ArrayD::from_shape_vec(shape.clone(), value.clone()).unwrap();
            let g = ArrayD::from_shape_vec(shape.clone(), grad.clone()).unwrap();
            check_gradient(
                name,
                &v,
                &g,
                |vp| {
                    self.set(name, vp.as_slice().unwrap());
                    self.loss(x)
                },
                max_checks,
                1e-5,
            );
            self.set(name, value);
        }
    }
}

#[test]
fn network_gradients_match_finite_differences_on_digit_sized_input() {
    let cfg = tiny_config(1, 8, false);
    let net = Network::new(
        &CpuF64::new(),
        &all_ops(),
        &cfg,
        NetworkKind::Eval,
        &StreamPath::root(7),
    )
    .unwrap();
    let probe = Probe {
        net: RefCell::new(net),
        r: random_array("net_r", Ix2(2, 10)),
        r_aux: None,
        drop: 0.0,
        rng: StreamPath::root(7).child("step"),
    };
    let x = random_array("net_x", Ix4(2, 1, 8, 8));
    probe.check(
        &x,
        &[
            "stem.0.weight",
            "stem.1.bias",
            "cells.0.preprocess0.op.1.weight",
            "cells.0._ops.0.op.1.weight",
            "cells.0._ops.6.op.2.weight",
            "cells.1._ops.0.conv_2.weight",
            "cells.1._ops.2.2.weight",
            "cells.1._ops.1.op.7.weight",
            "cells.2.preprocess0.conv_1.weight",
            "cells.2._ops.7.op.5.weight",
            "classifier.weight",
            "classifier.bias",
        ],
        8,
    );
}

#[test]
fn network_gradients_match_finite_differences_with_aux_head_and_drop_path() {
    let cfg = tiny_config(3, 32, true);
    let net = Network::new(
        &CpuF64::new(),
        &all_ops(),
        &cfg,
        NetworkKind::Eval,
        &StreamPath::root(8),
    )
    .unwrap();
    let probe = Probe {
        net: RefCell::new(net),
        r: random_array("aux_r", Ix2(2, 10)),
        r_aux: Some(random_array("aux_ra", Ix2(2, 10))),
        drop: 0.3,
        rng: StreamPath::root(8).child("step"),
    };
    let x = random_array("aux_x", Ix4(2, 3, 32, 32));
    probe.check(
        &x,
        &[
            "cells.1._ops.7.op.1.weight",
            "cells.2.preprocess1.op.1.weight",
            "auxiliary_head.features.2.weight",
            "auxiliary_head.features.6.bias",
            "auxiliary_head.classifier.weight",
            "classifier.weight",
        ],
        6,
    );
}

#[test]
fn search_network_gradients_match_finite_differences() {
    let cfg = tiny_config(1, 8, false);
    let head = HeadConfig {
        hidden: Some(12),
        out_dim: 6,
    };
    let net = Network::new(
        &CpuF64::new(),
        &all_ops(),
        &cfg,
        NetworkKind::Search(head),
        &StreamPath::root(9),
    )
    .unwrap();
    let probe = Probe {
        net: RefCell::new(net),
        r: random_array("search_r", Ix2(2, 6)),
        r_aux: None,
        drop: 0.0,
        rng: StreamPath::root(9).child("step"),
    };
    let x = random_array("search_x", Ix4(2, 1, 8, 8));
    probe.check(
        &x,
        &[
            "head.0.weight",
            "head.0.bias",
            "head.2.weight",
            "cells.2._ops.0.conv_1.weight",
        ],
        6,
    );
}

type Run = (Vec<u32>, Vec<u32>, Vec<u32>, Vec<u32>, blake3::Hash);

fn run_f32(threads: usize) -> Run {
    crate::parallel::with_threads(threads, || {
        let cfg = tiny_config(3, 32, true);
        let mut net = Network::new(
            &CpuF32::new(),
            &all_ops(),
            &cfg,
            NetworkKind::Eval,
            &StreamPath::root(4),
        )
        .unwrap();
        let x = random_array("threads_x", Ix4(4, 3, 32, 32)).mapv(|v| v as f32);
        let r = random_array("threads_r", Ix2(4, 10)).mapv(|v| v as f32);
        let out = net
            .forward(&x, true, 0.2, &StreamPath::root(4).child("step"))
            .unwrap();
        let dx = net.backward(&r, Some(&r)).unwrap();
        let mut grads = Vec::new();
        for (_, _, _, g) in net.params_with_grads() {
            grads.extend(g.iter().map(|v| v.to_bits()));
        }
        let bits = |a: &[f32]| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        (
            bits(out.logits.as_slice().unwrap()),
            bits(out.aux_logits.unwrap().as_slice().unwrap()),
            bits(dx.as_slice().unwrap()),
            grads,
            net.weights_digest(),
        )
    })
    .unwrap()
}

#[test]
fn forward_and_backward_are_bit_identical_at_one_two_and_three_threads() {
    let one = run_f32(1);
    assert!(one == run_f32(2), "2 threads");
    assert!(one == run_f32(3), "3 threads");
}
