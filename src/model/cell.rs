//! One DARTS cell (`cnn/model.py: Cell`): two preprocessed inputs, nodes
//! `op1(h1) + op2(h2)` with optional drop path, and a channel concat.
//!
//! Why its own module: the cell is where a genotype becomes wiring; the
//! forward order, drop-path streams and the backward accumulation order are
//! specified here.

use super::init::Init;
use super::layers::{ForwardCtx, Layer, ParamVisitor, Seq, StateMutVisitor, StateVisitor};
use super::primitives::{FactorizedReduce, build_op, relu_conv_bn};
use crate::error::Result;
use crate::genotype::Cell as CellGenotype;
use crate::ops::concat;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::drop_path;
use crate::real::Real;
use crate::rng::StreamPath;
use ndarray::{Array4, Zip};

/// Drop path settings for one cell's forward pass (training only).
pub struct DropPath<'a> {
    pub prob: f64,
    /// The cell's stream path; edge `e` of node `j` draws from
    /// `path/node/j/edge/e`, one `bernoulli(1 - prob)` per sample in batch order.
    pub path: &'a StreamPath,
}

/// A built cell.
pub struct Cell<T: Real> {
    preprocess0: Box<dyn Layer<T>>,
    preprocess1: Seq<T>,
    ops: Vec<Box<dyn Layer<T>>>,
    indices: Vec<usize>,
    concat: Vec<usize>,
    channels: usize,
    /// Per edge: the drop-path mask of the last forward, if one was applied.
    masks: Vec<Option<Vec<bool>>>,
    drop_prob: f64,
    state_dims: Vec<(usize, usize, usize, usize)>,
}

impl<T: Real> Cell<T> {
    /// DARTS `Cell(genotype, C_prev_prev, C_prev, C, reduction, reduction_prev)`;
    /// `name` is e.g. `cells.3`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        g: &CellGenotype,
        c_prev_prev: usize,
        c_prev: usize,
        c: usize,
        reduction: bool,
        reduction_prev: bool,
        init: &Init,
        name: &str,
    ) -> Result<Self> {
        let pw = Conv2dParams::square(1, 1, 0);
        let pre0 = format!("{name}.preprocess0");
        let preprocess0: Box<dyn Layer<T>> = if reduction_prev {
            Box::new(FactorizedReduce::new(c_prev_prev, c, init, &pre0)?)
        } else {
            Box::new(relu_conv_bn(c_prev_prev, c, pw, init, &pre0))
        };
        let preprocess1 = relu_conv_bn(c_prev, c, pw, init, &format!("{name}.preprocess1"));
        let mut ops = Vec::with_capacity(g.edges.len());
        for (k, &(op, input)) in g.edges.iter().enumerate() {
            let stride = if reduction && input < 2 { 2 } else { 1 };
            ops.push(build_op(op, c, stride, init, &format!("{name}._ops.{k}"))?);
        }
        Ok(Cell {
            preprocess0,
            preprocess1,
            masks: vec![None; ops.len()],
            ops,
            indices: g.edges.iter().map(|e| e.1).collect(),
            concat: g.concat.clone(),
            channels: c,
            drop_prob: 0.0,
            state_dims: Vec::new(),
        })
    }

    /// Output channels (`multiplier · C`).
    pub fn out_channels(&self) -> usize {
        self.concat.len() * self.channels
    }

    /// Forward pass. Node `j` is `op1(h1) + op2(h2)`, one elementwise addition;
    /// with `drop` (training, `prob > 0`), every non-Identity op's output goes
    /// through drop path first.
    pub fn forward(
        &mut self,
        s0: &Array4<T>,
        s1: &Array4<T>,
        ctx: &ForwardCtx,
        drop: Option<&DropPath<'_>>,
    ) -> Array4<T> {
        let mut states = vec![
            self.preprocess0.forward(s0, ctx),
            self.preprocess1.forward(s1, ctx),
        ];
        self.drop_prob = drop.map_or(0.0, |d| d.prob);
        for j in 0..self.ops.len() / 2 {
            let mut hs = Vec::with_capacity(2);
            for e in 0..2 {
                let k = 2 * j + e;
                let mut h = self.ops[k].forward(&states[self.indices[k]], ctx);
                self.masks[k] = None;
                if let Some(d) = drop
                    && d.prob > 0.0
                    && !self.ops[k].is_identity()
                {
                    let mut s = d.path.at("node", j as u64).at("edge", e as u64).stream();
                    let keep: Vec<bool> =
                        (0..h.dim().0).map(|_| s.bernoulli(1.0 - d.prob)).collect();
                    h = drop_path::drop_path_forward(&h, &keep, d.prob);
                    self.masks[k] = Some(keep);
                }
                hs.push(h);
            }
            let sum = Zip::from(&hs[0]).and(&hs[1]).map_collect(|&a, &b| a + b);
            states.push(sum);
        }
        self.state_dims = states.iter().map(|s| s.dim()).collect();
        let parts: Vec<&Array4<T>> = self.concat.iter().map(|&i| &states[i]).collect();
        concat::concat_channels(&parts)
    }

    /// Backward pass; returns the gradients for `(s0, s1)`.
    ///
    /// Accumulation order of a state's gradient: its slice of the concat
    /// gradient first (if concatenated), then the contributions of the nodes
    /// that read it, nodes in descending order, `op1` before `op2`, each one
    /// elementwise addition.
    pub fn backward(&mut self, dy: &Array4<T>) -> (Array4<T>, Array4<T>) {
        let mut ds: Vec<Option<Array4<T>>> = vec![None; self.state_dims.len()];
        let widths = vec![self.channels; self.concat.len()];
        let parts = concat::split_channels(dy, &widths);
        for (&i, part) in self.concat.iter().zip(parts) {
            add_into(&mut ds[i], part);
        }
        for j in (0..self.ops.len() / 2).rev() {
            let d = take_or_zeros(&mut ds[j + 2], self.state_dims[j + 2]);
            for e in 0..2 {
                let k = 2 * j + e;
                let dx = match &self.masks[k] {
                    Some(keep) => {
                        let dh = drop_path::drop_path_backward(&d, keep, self.drop_prob);
                        self.ops[k].backward(&dh)
                    }
                    None => self.ops[k].backward(&d),
                };
                add_into(&mut ds[self.indices[k]], dx);
            }
        }
        let d0 = take_or_zeros(&mut ds[0], self.state_dims[0]);
        let d1 = take_or_zeros(&mut ds[1], self.state_dims[1]);
        (
            self.preprocess0.backward(&d0),
            self.preprocess1.backward(&d1),
        )
    }

    pub fn visit_params(&mut self, prefix: &str, f: &mut ParamVisitor<'_, T>) {
        self.preprocess0
            .visit_params(&format!("{prefix}preprocess0."), f);
        self.preprocess1
            .visit_params(&format!("{prefix}preprocess1."), f);
        for (k, op) in self.ops.iter_mut().enumerate() {
            op.visit_params(&format!("{prefix}_ops.{k}."), f);
        }
    }

    pub fn visit_state(&self, prefix: &str, f: &mut StateVisitor<'_, T>) {
        self.preprocess0
            .visit_state(&format!("{prefix}preprocess0."), f);
        self.preprocess1
            .visit_state(&format!("{prefix}preprocess1."), f);
        for (k, op) in self.ops.iter().enumerate() {
            op.visit_state(&format!("{prefix}_ops.{k}."), f);
        }
    }

    pub fn visit_state_mut(&mut self, prefix: &str, f: &mut StateMutVisitor<'_, T>) {
        self.preprocess0
            .visit_state_mut(&format!("{prefix}preprocess0."), f);
        self.preprocess1
            .visit_state_mut(&format!("{prefix}preprocess1."), f);
        for (k, op) in self.ops.iter_mut().enumerate() {
            op.visit_state_mut(&format!("{prefix}_ops.{k}."), f);
        }
    }
}

/// `slot += g` elementwise (or `slot = g` when empty).
pub(crate) fn add_into<T: Real>(slot: &mut Option<Array4<T>>, g: Array4<T>) {
    match slot {
        Some(acc) => Zip::from(acc).and(&g).for_each(|a, &b| *a += b),
        None => *slot = Some(g),
    }
}

fn take_or_zeros<T: Real>(
    slot: &mut Option<Array4<T>>,
    dim: (usize, usize, usize, usize),
) -> Array4<T> {
    slot.take()
        .unwrap_or_else(|| Array4::from_elem(dim, T::ZERO))
}
