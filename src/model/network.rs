//! The whole network: DARTS `NetworkCIFAR` (evaluation) and the search network
//! (same trunk, projection head instead of the classifier, no auxiliary head,
//! no drop path), forward and backward.
//!
//! Why: this is the one place that wires stem, cells and heads in PyTorch's
//! registration order (stem, cells, auxiliary_head, classifier/head), which is
//! also the state-dict order.

use super::NetworkConfig;
use super::cell::{Cell, DropPath, add_into};
use super::head::{AuxiliaryHead, Dense, HeadConfig, ProjectionHead};
use super::init::Init;
use super::layers::{BatchNorm, Conv, Entry, ForwardCtx, Layer, Seq, Visitor};
use crate::backend::{Backend, BackendCore, Dims4};
use crate::error::Result;
use crate::genotype::{Cell as CellGenotype, Genotype};
use crate::invalid;
use crate::ops::conv2d::Conv2dParams;
use crate::rng::StreamPath;

/// Which network to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetworkKind {
    /// `NetworkCIFAR`: classifier, optional auxiliary head, drop path.
    Eval,
    /// The search network: projection head, no auxiliary head, no drop path.
    Search(HeadConfig),
}

/// A forward pass's result.
#[derive(Clone, Debug)]
pub struct Output<B: BackendCore> {
    /// Class logits (evaluation network) or embeddings (search network), (N, ·).
    pub logits: B::T2,
    /// Auxiliary-head logits: evaluation network with `auxiliary`, training only.
    pub aux_logits: Option<B::T2>,
}

enum Top<B: Backend> {
    Classifier(Box<Dense<B>>),
    Projection(Box<ProjectionHead<B>>),
}

/// A DARTS network on the backend `B` (its tensors live on `B`'s device;
/// `Network<CpuF32>` is the training reference).
pub struct Network<B: Backend> {
    dev: B,
    config: NetworkConfig,
    kind: NetworkKind,
    stem: Seq<B>,
    cells: Vec<Cell<B>>,
    auxiliary_head: Option<AuxiliaryHead<B>>,
    top: Top<B>,
    aux_index: usize,
    // Caches of the last forward pass.
    last_train: Option<bool>,
    out_dims: Vec<Dims4>,
    aux_cell_out: Option<B::T4>,
    pooled_hw: (usize, usize),
}

/// The buffers this network's steps recycled go back to the allocator with
/// it: the next network may be built on another thread (a new rayon pool,
/// a new allocator arena), where held buffers would only pin memory.
impl<B: Backend> Drop for Network<B> {
    fn drop(&mut self) {
        self.dev.release_buffers();
    }
}

/// Reduction cells sit at `layers/3` and `2·layers/3`.
pub(crate) fn is_reduction(i: usize, layers: usize) -> bool {
    i == layers / 3 || i == 2 * layers / 3
}

impl<B: Backend> Network<B> {
    /// Builds the network on `dev` with seeded PyTorch-default-like initial
    /// values (each parameter drawn on the host from the stream
    /// `init.child(<name>)`, then uploaded). Checks the genotype's
    /// wiring, the image size against the reductions (each needs an even input) and,
    /// with `config.auxiliary` on the evaluation network, that the auxiliary head
    /// receives an 8×8 to 10×10 map.
    pub fn new(
        dev: &B,
        genotype: &Genotype,
        config: &NetworkConfig,
        kind: NetworkKind,
        init: &StreamPath,
    ) -> Result<Self> {
        crate::limits::check_network(config, Some(genotype), kind, &network_field)?;
        check_spatial(config, kind)?;
        Self::build(dev, genotype, config, kind, &Init::Seeded(init.clone()))
    }

    /// Builds without the spatial checks (shapes are independent of the image size).
    pub(crate) fn build(
        dev: &B,
        genotype: &Genotype,
        config: &NetworkConfig,
        kind: NetworkKind,
        init: &Init,
    ) -> Result<Self> {
        check_wiring(&genotype.normal, "normal")?;
        check_wiring(&genotype.reduce, "reduce")?;
        crate::limits::check_network(config, Some(genotype), kind, &network_field)?;
        if config.layers == 0 || config.channels == 0 || config.in_channels == 0 {
            return Err(invalid!(
                "network needs layers, channels and input channels > 0, got {config:?}"
            ));
        }
        let c = config.channels;
        let c_stem = 3 * c;
        let stem = Seq::new()
            .push(Conv::new(
                dev,
                config.in_channels,
                c_stem,
                Conv2dParams::square(3, 1, 1),
                init,
                "stem.0",
            ))
            .push(BatchNorm::new(dev, c_stem));
        let (mut c_pp, mut c_p, mut c_cur) = (c_stem, c_stem, c);
        let mut cells = Vec::with_capacity(config.layers);
        let mut reduction_prev = false;
        let aux_index = 2 * config.layers / 3;
        let mut c_aux = 0;
        for i in 0..config.layers {
            let reduction = is_reduction(i, config.layers);
            if reduction {
                c_cur *= 2;
            }
            let g = if reduction {
                &genotype.reduce
            } else {
                &genotype.normal
            };
            let cell = Cell::new(
                dev,
                g,
                c_pp,
                c_p,
                c_cur,
                reduction,
                reduction_prev,
                init,
                &format!("cells.{i}"),
            )?;
            reduction_prev = reduction;
            c_pp = c_p;
            c_p = cell.out_channels();
            cells.push(cell);
            if i == aux_index {
                c_aux = c_p;
            }
        }
        let auxiliary_head = (kind == NetworkKind::Eval && config.auxiliary)
            .then(|| AuxiliaryHead::new(dev, c_aux, config.classes, init, "auxiliary_head"));
        let top = match kind {
            NetworkKind::Eval => Top::Classifier(Box::new(Dense::new(
                dev,
                c_p,
                config.classes,
                init,
                "classifier",
            ))),
            NetworkKind::Search(h) => {
                Top::Projection(Box::new(ProjectionHead::new(dev, c_p, &h, init, "head")))
            }
        };
        Ok(Network {
            dev: dev.clone(),
            config: config.clone(),
            kind,
            stem,
            cells,
            auxiliary_head,
            top,
            aux_index,
            last_train: None,
            out_dims: Vec::new(),
            aux_cell_out: None,
            pooled_hw: (0, 0),
        })
    }

    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    pub fn kind(&self) -> NetworkKind {
        self.kind
    }

    /// The backend its tensors live on.
    pub fn device(&self) -> &B {
        &self.dev
    }

    /// Forward pass on `x` of shape (N, in_channels, image_size, image_size).
    ///
    /// `train`: BatchNorm uses batch statistics and updates its running ones; the
    /// auxiliary head runs. Drop path (evaluation network, training, `drop_prob > 0`)
    /// draws from `rng/drop_path/cell/i/node/j/edge/e`, one bernoulli per sample.
    /// As in PyTorch DARTS, the auxiliary head's in-place ReLU also rewrites the
    /// output of cell `2·layers/3` that later cells (and, if last, the pooling) read.
    pub fn forward(
        &mut self,
        x: &B::T4,
        train: bool,
        drop_prob: f64,
        rng: &StreamPath,
    ) -> Result<Output<B>> {
        let (pooled, aux_logits) = self.trunk(x, train, drop_prob, rng)?;
        let dev = &self.dev;
        let logits = match &mut self.top {
            Top::Classifier(d) => d.forward(dev, &pooled),
            Top::Projection(p) => p.forward(dev, &pooled),
        };
        self.last_train = Some(train);
        Ok(Output { logits, aux_logits })
    }

    /// The trunk's global-average-pooled features (N, C_prev), before the
    /// classifier or projection head, in evaluation mode (BatchNorm running
    /// statistics, no auxiliary head, no drop path): the frozen-encoder
    /// features of linear evaluation. Same arithmetic as [`Network::forward`]
    /// up to the pooling; a later `backward` is refused.
    pub fn features(&mut self, x: &B::T4) -> Result<B::T2> {
        self.last_train = None;
        let (pooled, _) = self.trunk(x, false, 0.0, &StreamPath::root(0))?;
        Ok(pooled)
    }

    /// Stem, cells and global pooling; the auxiliary logits when they ran.
    fn trunk(
        &mut self,
        x: &B::T4,
        train: bool,
        drop_prob: f64,
        rng: &StreamPath,
    ) -> Result<(B::T2, Option<B::T2>)> {
        let dev = &self.dev;
        let (n, c, h, w) = dev.dims4(x);
        let s = self.config.image_size;
        if n == 0 || c != self.config.in_channels || h != s || w != s {
            return Err(invalid!(
                "network input must be (N>0, {}, {s}, {s}), got ({n}, {c}, {h}, {w})",
                self.config.in_channels
            ));
        }
        if !(0.0..1.0).contains(&drop_prob) {
            return Err(invalid!(
                "drop path probability must be in [0, 1), got {drop_prob}"
            ));
        }
        let ctx = ForwardCtx { train };
        let stem = self.stem.forward(dev, x, &ctx);
        self.out_dims = vec![dev.dims4(&stem)];
        self.aux_cell_out = None;
        let drop_root = rng.child("drop_path");
        let use_drop = train && drop_prob > 0.0 && self.kind == NetworkKind::Eval;
        let mut aux_logits = None;
        let mut s0 = stem.clone();
        let mut s1 = stem;
        for (i, cell) in self.cells.iter_mut().enumerate() {
            let path = drop_root.at("cell", i as u64);
            let dp = DropPath {
                prob: drop_prob,
                path: &path,
            };
            let mut out = cell.forward(dev, &s0, &s1, &ctx, use_drop.then_some(&dp));
            self.out_dims.push(dev.dims4(&out));
            if i == self.aux_index
                && train
                && let Some(aux) = &mut self.auxiliary_head
            {
                aux_logits = Some(aux.forward(dev, &out, &ctx));
                let r = dev.relu_forward(&out);
                self.aux_cell_out = Some(std::mem::replace(&mut out, r));
            }
            dev.recycle4(std::mem::replace(&mut s0, std::mem::replace(&mut s1, out)));
        }
        let (_, _, ph, pw) = dev.dims4(&s1);
        self.pooled_hw = (ph, pw);
        let pooled = dev.global_avg_pool_forward(&s1);
        dev.recycle4(s0);
        dev.recycle4(s1);
        Ok((pooled, aux_logits))
    }

    /// Backward pass after a training-mode forward: accumulates every parameter's
    /// gradient and returns the gradient with respect to the input.
    ///
    /// Accumulation order of a cell output's gradient: from cell `i+2` (as its
    /// `s0`), then from cell `i+1` (as its `s1`), then from the auxiliary head;
    /// the stem's: cell 1's `s0`, cell 0's `s0`, cell 0's `s1`.
    pub fn backward(&mut self, d_out: &B::T2, d_aux: Option<&B::T2>) -> Result<B::T4> {
        if self.last_train != Some(true) {
            return Err(invalid!(
                "backward needs a training-mode forward pass first"
            ));
        }
        if d_aux.is_some() && self.aux_cell_out.is_none() {
            return Err(invalid!(
                "an auxiliary gradient was given but the auxiliary head did not run"
            ));
        }
        self.last_train = None;
        let dev = &self.dev;
        let d_pooled = match &mut self.top {
            Top::Classifier(d) => d.backward(dev, d_out),
            Top::Projection(p) => p.backward(dev, d_out),
        };
        let layers = self.cells.len();
        // Slot 0: the stem; slot i + 1: cell i's output.
        let mut ds: Vec<Option<B::T4>> = vec![None; layers + 1];
        ds[layers] = Some(dev.global_avg_pool_backward(&d_pooled, self.pooled_hw));
        for i in (0..layers).rev() {
            let mut d = ds[i + 1]
                .take()
                .unwrap_or_else(|| dev.zeros4(self.out_dims[i + 1]));
            if i == self.aux_index
                && let Some(orig) = self.aux_cell_out.take()
            {
                d = dev.relu_backward(&orig, &d);
                if let (Some(da), Some(aux)) = (d_aux, &mut self.auxiliary_head) {
                    let mut slot = Some(d);
                    add_into(dev, &mut slot, aux.backward(dev, da));
                    d = slot.expect("set");
                }
            }
            let (d0, d1) = self.cells[i].backward(dev, &d);
            dev.recycle4(d);
            add_into(dev, &mut ds[i.max(1) - 1], d0);
            add_into(dev, &mut ds[i], d1);
        }
        let d_stem = ds[0].take().expect("stem gradient");
        let dx = self.stem.backward(dev, &d_stem);
        dev.recycle4(d_stem);
        Ok(dx)
    }

    /// The walker: visits every state-dict entry (parameters with their
    /// gradients, buffers, counters) in PyTorch `state_dict()` order.
    pub fn walk(&mut self, f: &mut Visitor<'_, B>) {
        self.stem.walk("stem.", f);
        for (i, c) in self.cells.iter_mut().enumerate() {
            c.walk(&format!("cells.{i}."), f);
        }
        if let Some(a) = &mut self.auxiliary_head {
            a.walk("auxiliary_head.", f);
        }
        match &mut self.top {
            Top::Classifier(d) => d.walk("classifier.", f),
            Top::Projection(p) => p.walk("head.", f),
        }
    }

    /// Sets every parameter gradient to zero.
    pub fn zero_grad(&mut self) {
        let dev = self.dev.clone();
        self.walk(&mut |_, e| {
            if let Entry::Param { grad, .. } = e {
                dev.fill_zero(grad);
            }
        });
    }

    /// Number of parameters (tensors), in walk order.
    pub fn param_tensor_count(&mut self) -> usize {
        let mut n = 0;
        self.walk(&mut |_, e| n += usize::from(matches!(e, Entry::Param { .. })));
        n
    }
}

/// Every edge input must be an earlier state, every concat index a state.
fn check_wiring(cell: &CellGenotype, which: &str) -> Result<()> {
    if cell.edges.is_empty() || !cell.edges.len().is_multiple_of(2) {
        return Err(invalid!(
            "{which} cell: needs 2 edges per node, got {} edges",
            cell.edges.len()
        ));
    }
    for (k, &(op, input)) in cell.edges.iter().enumerate() {
        if input >= 2 + k / 2 {
            return Err(invalid!(
                "{which} cell: edge {k} ({}) reads state {input}, not yet computed",
                op.name()
            ));
        }
    }
    let states = 2 + cell.nodes();
    if cell.concat.is_empty() || cell.concat.iter().any(|&i| i >= states) {
        return Err(invalid!(
            "{which} cell: concat {:?} must name states below {states}",
            cell.concat
        ));
    }
    Ok(())
}

/// How [`crate::limits::check_network`] names a field here: `network channels`.
fn network_field(field: &str) -> String {
    format!("network {field}")
}

/// Each reduction halves an even size; the auxiliary head needs 8×8 to 10×10.
fn check_spatial(config: &NetworkConfig, kind: NetworkKind) -> Result<()> {
    let mut size = config.image_size;
    if size == 0 {
        return Err(invalid!("image size must be > 0"));
    }
    for i in 0..config.layers {
        if is_reduction(i, config.layers) {
            if !size.is_multiple_of(2) {
                return Err(invalid!(
                    "image size {}: reduction cell {i} needs an even input, got {size}×{size}",
                    config.image_size
                ));
            }
            size /= 2;
        }
        if i == 2 * config.layers / 3
            && config.auxiliary
            && kind == NetworkKind::Eval
            && !(8..=10).contains(&size)
        {
            let which = if size < 8 { "too small" } else { "too large" };
            return Err(invalid!(
                "image size {} is {which} for the auxiliary head: it needs an 8×8 map after cell {i}, got {size}×{size} (use 32×32 inputs or no auxiliary head)",
                config.image_size
            ));
        }
    }
    Ok(())
}
