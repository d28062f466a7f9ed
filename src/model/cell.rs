//! One DARTS cell (`cnn/model.py: Cell`): two preprocessed inputs, nodes
//! `op1(h1) + op2(h2)` with optional drop path, and a channel concat.
//!
//! Why its own module: the cell is where a genotype becomes wiring; the
//! forward order, drop-path streams and the backward accumulation order are
//! specified here.

use super::init::Init;
use super::layers::{ForwardCtx, Layer, Seq, Visitor};
use super::primitives::{FactorizedReduce, build_op, relu_conv_bn};
use crate::backend::{Backend, Dims4, TensorMut, TensorRef};
use crate::error::Result;
use crate::genotype::Cell as CellGenotype;
use crate::ops::conv2d::Conv2dParams;
use crate::rng::StreamPath;

/// Drop path settings for one cell's forward pass (training only).
pub struct DropPath<'a> {
    pub prob: f64,
    /// The cell's stream path; edge `e` of node `j` draws from
    /// `path/node/j/edge/e`, one `bernoulli(1 - prob)` per sample in batch order.
    pub path: &'a StreamPath,
}

/// A built cell.
pub struct Cell<B: Backend> {
    preprocess0: Box<dyn Layer<B>>,
    preprocess1: Seq<B>,
    ops: Vec<Box<dyn Layer<B>>>,
    indices: Vec<usize>,
    concat: Vec<usize>,
    channels: usize,
    /// Per edge: the drop-path mask of the last forward, if one was applied.
    masks: Vec<Option<Vec<bool>>>,
    drop_prob: f64,
    state_dims: Vec<Dims4>,
}

impl<B: Backend> Cell<B> {
    /// DARTS `Cell(genotype, C_prev_prev, C_prev, C, reduction, reduction_prev)`;
    /// `name` is e.g. `cells.3`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        dev: &B,
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
        let preprocess0: Box<dyn Layer<B>> = if reduction_prev {
            Box::new(FactorizedReduce::new(dev, c_prev_prev, c, init, &pre0)?)
        } else {
            Box::new(relu_conv_bn(dev, c_prev_prev, c, pw, init, &pre0))
        };
        let preprocess1 = relu_conv_bn(dev, c_prev, c, pw, init, &format!("{name}.preprocess1"));
        let mut ops = Vec::with_capacity(g.edges.len());
        for (k, &(op, input)) in g.edges.iter().enumerate() {
            let stride = if reduction && input < 2 { 2 } else { 1 };
            ops.push(build_op(
                dev,
                op,
                c,
                stride,
                init,
                &format!("{name}._ops.{k}"),
            )?);
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
    ///
    /// Parallel structure (no value depends on it): the two preprocessings
    /// run side by side, and so do the nodes of each run of consecutive nodes
    /// that read none of each other's states ([`forward_batches`]), each node
    /// a task that runs its two edges side by side and then sums them; each
    /// edge's drop-path stream is its own, so the order the edges finish in
    /// changes nothing.
    pub fn forward(
        &mut self,
        dev: &B,
        s0: &B::T4,
        s1: &B::T4,
        ctx: &ForwardCtx,
        drop: Option<&DropPath<'_>>,
    ) -> B::T4 {
        let (pre0, pre1) = (&mut self.preprocess0, &mut self.preprocess1);
        let (h0, h1) = dev.join(|| pre0.forward(dev, s0, ctx), || pre1.forward(dev, s1, ctx));
        let mut states = vec![h0, h1];
        self.drop_prob = drop.map_or(0.0, |d| d.prob);
        for (j0, j1) in forward_batches(&self.indices) {
            // One task per node: its two edges side by side, then their sum.
            let nodes = (j0..j1)
                .zip(self.ops[2 * j0..2 * j1].chunks_mut(2))
                .collect();
            let (states_ref, indices) = (&states, &self.indices);
            let edge = |k: usize, op: &mut Box<dyn Layer<B>>| {
                let mut h = op.forward(dev, &states_ref[indices[k]], ctx);
                let mut mask = None;
                if let Some(d) = drop
                    && d.prob > 0.0
                    && !op.is_identity()
                {
                    let (j, e) = (k / 2, k % 2);
                    let mut s = d.path.at("node", j as u64).at("edge", e as u64).stream();
                    let keep: Vec<bool> = (0..dev.dims4(&h).0)
                        .map(|_| s.bernoulli(1.0 - d.prob))
                        .collect();
                    let kept = dev.drop_path_forward(&h, &keep, d.prob);
                    dev.recycle4(std::mem::replace(&mut h, kept));
                    mask = Some(keep);
                }
                (h, mask)
            };
            let outs =
                dev.map_independent(nodes, |(j, pair): (usize, &mut [Box<dyn Layer<B>>])| {
                    let (op1, op2) = pair.split_at_mut(1);
                    let ((a, mask_a), (b, mask_b)) =
                        dev.join(|| edge(2 * j, &mut op1[0]), || edge(2 * j + 1, &mut op2[0]));
                    let h = dev.add(&a, &b);
                    dev.recycle4(a);
                    dev.recycle4(b);
                    (h, mask_a, mask_b)
                });
            for (j, (h, mask_a, mask_b)) in (j0..j1).zip(outs) {
                self.masks[2 * j] = mask_a;
                self.masks[2 * j + 1] = mask_b;
                states.push(h);
            }
        }
        self.state_dims = states.iter().map(|s| dev.dims4(s)).collect();
        let parts: Vec<&B::T4> = self.concat.iter().map(|&i| &states[i]).collect();
        let out = dev.concat_channels(&parts);
        states.into_iter().for_each(|s| dev.recycle4(s));
        out
    }

    /// Backward pass; returns the gradients for `(s0, s1)`.
    ///
    /// Accumulation order of a state's gradient: its slice of the concat
    /// gradient first (if concatenated), then the contributions of the nodes
    /// that read it, nodes in descending order, `op1` before `op2`, each one
    /// elementwise addition.
    ///
    /// Parallel structure: the nodes of each run of consecutive nodes whose
    /// gradients are complete ([`backward_batches`]) run side by side (and
    /// each node's two edges), and their input gradients are then added in
    /// the order above; the two preprocessings' backward passes run side by
    /// side.
    pub fn backward(&mut self, dev: &B, dy: &B::T4) -> (B::T4, B::T4) {
        let mut ds: Vec<Option<B::T4>> = vec![None; self.state_dims.len()];
        let widths = vec![self.channels; self.concat.len()];
        let parts = dev.split_channels(dy, &widths);
        for (&i, part) in self.concat.iter().zip(parts) {
            add_into(dev, &mut ds[i], part);
        }
        for (j0, j1) in backward_batches(&self.indices) {
            let d: Vec<B::T4> = (j0..j1)
                .map(|j| take_or_zeros(dev, &mut ds[j + 2], self.state_dims[j + 2]))
                .collect();
            // One task per node: its two edges side by side.
            let nodes = (j0..j1)
                .zip(self.ops[2 * j0..2 * j1].chunks_mut(2))
                .collect();
            let (masks, drop_prob, d_ref) = (&self.masks, self.drop_prob, &d);
            let edge = |k: usize, op: &mut Box<dyn Layer<B>>| {
                let d = &d_ref[k / 2 - j0];
                match &masks[k] {
                    Some(keep) => {
                        let dh = dev.drop_path_backward(d, keep, drop_prob);
                        let dx = op.backward(dev, &dh);
                        dev.recycle4(dh);
                        dx
                    }
                    None => op.backward(dev, d),
                }
            };
            let dxs = dev.map_independent(nodes, |(j, pair): (usize, &mut [Box<dyn Layer<B>>])| {
                let (op1, op2) = pair.split_at_mut(1);
                dev.join(|| edge(2 * j, &mut op1[0]), || edge(2 * j + 1, &mut op2[0]))
            });
            // Nodes in descending order, `op1` before `op2`.
            for (j, (dx1, dx2)) in (j0..j1).zip(dxs).rev() {
                add_into(dev, &mut ds[self.indices[2 * j]], dx1);
                add_into(dev, &mut ds[self.indices[2 * j + 1]], dx2);
            }
            d.into_iter().for_each(|t| dev.recycle4(t));
        }
        let d0 = take_or_zeros(dev, &mut ds[0], self.state_dims[0]);
        let d1 = take_or_zeros(dev, &mut ds[1], self.state_dims[1]);
        let (pre0, pre1) = (&mut self.preprocess0, &mut self.preprocess1);
        let grads = dev.join(|| pre0.backward(dev, &d0), || pre1.backward(dev, &d1));
        dev.recycle4(d0);
        dev.recycle4(d1);
        grads
    }

    /// Visits every state-dict entry in PyTorch order.
    pub fn walk(&mut self, prefix: &str, f: &mut Visitor<'_, B>) {
        self.preprocess0.walk(&format!("{prefix}preprocess0."), f);
        self.preprocess1.walk(&format!("{prefix}preprocess1."), f);
        for (k, op) in self.ops.iter_mut().enumerate() {
            op.walk(&format!("{prefix}_ops.{k}."), f);
        }
    }
}

/// `slot += g` elementwise (or `slot = g` when empty); `g` is consumed.
pub(crate) fn add_into<B: Backend>(dev: &B, slot: &mut Option<B::T4>, g: B::T4) {
    match slot {
        Some(acc) => {
            dev.add_assign(TensorMut::R4(acc), TensorRef::R4(&g));
            dev.recycle4(g);
        }
        None => *slot = Some(g),
    }
}

fn take_or_zeros<B: Backend>(dev: &B, slot: &mut Option<B::T4>, dim: Dims4) -> B::T4 {
    slot.take().unwrap_or_else(|| dev.zeros4(dim))
}

/// The forward pass's runs of nodes `j0..j1` (in order, covering every node)
/// whose edges can run side by side: a run grows while the next node reads
/// only states that exist before the run starts (the inputs and nodes below
/// `j0`). `indices[k]` is the state edge `k` reads.
pub(crate) fn forward_batches(indices: &[usize]) -> Vec<(usize, usize)> {
    let nodes = indices.len() / 2;
    let mut runs = Vec::new();
    let mut j0 = 0;
    while j0 < nodes {
        let mut j1 = j0 + 1;
        while j1 < nodes && indices[2 * j1] < j0 + 2 && indices[2 * j1 + 1] < j0 + 2 {
            j1 += 1;
        }
        runs.push((j0, j1));
        j0 = j1;
    }
    runs
}

/// The backward pass's runs `j0..j1`, highest first (covering every node):
/// a run grows downwards while no node in it reads the state of the node
/// being added, so that node's gradient is complete before the run starts;
/// adding the run's input gradients in descending node order afterwards
/// then gives every state the same sequence of additions as one node at a
/// time.
pub(crate) fn backward_batches(indices: &[usize]) -> Vec<(usize, usize)> {
    let nodes = indices.len() / 2;
    let mut runs = Vec::new();
    let mut j1 = nodes;
    while j1 > 0 {
        let mut j0 = j1 - 1;
        while j0 > 0 && !indices[2 * j0..2 * j1].contains(&(j0 + 1)) {
            j0 -= 1;
        }
        runs.push((j0, j1));
        j1 = j0;
    }
    runs
}
