//! One contrastive training step of the search network, the unit `csnas
//! bench` times: forward, NT-Xent, backward, SGD.
//!
//! Why its own step rather than the trial loop's: the bench must time exactly
//! the same arithmetic as `benches/pytorch_cpu_step.py`, with no data loading
//! or augmentation, and split the time into phases.
//!
//! The step, in this order:
//! 1. `zero_grad`;
//! 2. forward in training mode (batch statistics, no drop path) on the fixed
//!    input, `batch` rows = `batch/2` images × 2 views;
//! 3. NT-Xent (temperature [`BENCH_TEMPERATURE`]) on the `(batch, 128)`
//!    embeddings, rows `i` and `i + batch/2` forming the positive pairs;
//! 4. backward of the loss (`dL = 1`) through the network;
//! 5. [`BENCH_SGD`] over the parameters in state-dict order, each parameter
//!    with its own momentum buffer (one [`Optimizer`] step).
//!
//! Every step runs on a backend; [`BenchStep::new`] is the CPU reference.

use std::time::{Duration, Instant};

use ndarray::Array4;

use crate::backend::{Backend, CpuF32};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::{HeadConfig, Network, NetworkConfig, NetworkKind};
use crate::ops::sgd::SgdConfig;
use crate::rng::StreamPath;
use crate::train::optim::Optimizer;

/// NT-Xent temperature of the bench step (SimCLR's default).
pub const BENCH_TEMPERATURE: f64 = 0.5;

/// The bench step's optimiser: the CSNAS search's SGD (lr 1e-3, momentum
/// 0.9), no weight decay, no dampening, no Nesterov.
pub const BENCH_SGD: SgdConfig = SgdConfig {
    lr: 1e-3,
    momentum: 0.9,
    dampening: 0.0,
    weight_decay: 0.0,
    nesterov: false,
};

/// The network and input of a bench step.
#[derive(Clone, Debug, PartialEq)]
pub struct StepConfig {
    pub genotype: Genotype,
    /// Initial channels `C`.
    pub channels: usize,
    /// Number of cells.
    pub layers: usize,
    /// Rows per step (network inputs): `batch/2` images × 2 views. Even, ≥ 4.
    pub batch: usize,
    /// Input height = width (3 input channels).
    pub image_size: usize,
    /// Seed of the weights (`seed/bench/init`) and input (`seed/bench/input`).
    pub seed: u64,
}

impl StepConfig {
    /// The search-network settings the bench reports by default: C=16,
    /// 8 layers, batch 64 (32 images × 2 views), 32×32 inputs.
    pub fn search_default(genotype: Genotype) -> Self {
        StepConfig {
            genotype,
            channels: 16,
            layers: 8,
            batch: 64,
            image_size: 32,
            seed: 0,
        }
    }

    fn network(&self) -> NetworkConfig {
        NetworkConfig {
            channels: self.channels,
            layers: self.layers,
            classes: 10,
            auxiliary: false,
            in_channels: 3,
            image_size: self.image_size,
        }
    }
}

/// Wall time of each phase of one step, and the loss it computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepTiming {
    pub forward: Duration,
    pub loss: Duration,
    pub backward: Duration,
    pub sgd: Duration,
    /// The NT-Xent loss of this step (before the update).
    pub loss_value: f32,
}

impl StepTiming {
    /// The whole step.
    pub fn total(&self) -> Duration {
        self.forward + self.loss + self.backward + self.sgd
    }
}

/// A search network, its optimiser state and a fixed random input.
pub struct BenchStep<B: Backend<Elem = f32> = CpuF32> {
    net: Network<B>,
    input: B::T4,
    opt: Optimizer<B>,
    rng: StreamPath,
}

impl BenchStep<CpuF32> {
    /// [`BenchStep::new_on`] the CPU reference.
    pub fn new(cfg: &StepConfig) -> Result<Self> {
        Self::new_on(&CpuF32::new(), cfg)
    }
}

impl<B: Backend<Elem = f32>> BenchStep<B> {
    /// Builds the network (weights from `seed/bench/init`) and draws the input
    /// uniformly in `[-1, 1)` from `seed/bench/input`, in row-major order, on
    /// the host; both are uploaded to `dev`.
    pub fn new_on(dev: &B, cfg: &StepConfig) -> Result<Self> {
        if cfg.batch < 4 || !cfg.batch.is_multiple_of(2) {
            return Err(invalid!(
                "--batch must be even and ≥ 4 (batch/2 images × 2 views), got {}",
                cfg.batch
            ));
        }
        let root = StreamPath::root(cfg.seed).child("bench");
        let kind = NetworkKind::Search(HeadConfig::default());
        let net = Network::new(
            dev,
            &cfg.genotype,
            &cfg.network(),
            kind,
            &root.child("init"),
        )?;
        let s = cfg.image_size;
        let mut stream = root.child("input").stream();
        let input =
            Array4::from_shape_simple_fn((cfg.batch, 3, s, s), || 2.0 * stream.uniform_f32() - 1.0);
        Ok(BenchStep {
            net,
            input: dev.upload4_owned(input),
            opt: Optimizer::new(),
            rng: root.child("step"),
        })
    }

    /// Runs one training step (see the module doc) and times its phases.
    pub fn step(&mut self) -> Result<StepTiming> {
        let t0 = Instant::now();
        self.net.zero_grad();
        let out = self.net.forward(&self.input, true, 0.0, &self.rng)?;
        let t1 = Instant::now();
        let dev = self.net.device();
        let (loss, cache) = dev.nt_xent_forward(&out.logits, BENCH_TEMPERATURE as f32)?;
        let dz = dev.nt_xent_backward(&cache, 1.0);
        let t2 = Instant::now();
        self.net.backward(&dz, None)?;
        let t3 = Instant::now();
        self.opt.step(&mut self.net, &BENCH_SGD, None)?;
        let t4 = Instant::now();
        Ok(StepTiming {
            forward: t1 - t0,
            loss: t2 - t1,
            backward: t3 - t2,
            sgd: t4 - t3,
            loss_value: loss,
        })
    }

    /// Digest of the current weights and running statistics.
    pub fn weights_digest(&mut self) -> blake3::Hash {
        self.net.weights_digest()
    }
}
