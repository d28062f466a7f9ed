//! One contrastive training step of the search network, the unit `csnas
//! bench` times: forward, the contrastive loss (NT-Xent, or the authors'
//! PIRL NCE with its memory bank), backward, SGD.
//!
//! Why its own step rather than the trial loop's: the bench must time exactly
//! the same arithmetic as `benches/pytorch_cpu_step.py`, with no data loading
//! or augmentation, and split the time into phases.
//!
//! The step, in this order:
//! 1. `zero_grad`;
//! 2. forward in training mode (batch statistics, no drop path) on the fixed
//!    input, `batch` rows = `batch/2` images × 2 views;
//! 3. the loss ([`BenchLoss`]):
//!    - NT-Xent (temperature [`BENCH_TEMPERATURE`]) on the `(batch, 128)`
//!      embeddings, rows `i` and `i + batch/2` forming the positive pairs;
//!    - or PIRL NCE as the authors' search trains (DESIGN §2; temperature
//!      0.07, 256-d embeddings, `2(B − 1)` negatives from a memory bank of
//!      `bank` entries, `B = batch/2`): rows `0..B` are the views, rows
//!      `B..2B` the originals of the images at bank positions
//!      `(s·B + i) mod bank` in step `s`; the negatives are drawn from
//!      `seed/bench/step/negatives/s`; the bank starts as random unit
//!      vectors from `seed/bench/bank` and takes the originals' features
//!      after each step, as in a trial;
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
use crate::ops::pirl_nce::{
    BANK_WEIGHT, MemoryBank, PIRL_FEATURE_DIM, PIRL_TEMPERATURE, draw_negatives,
    pirl_negative_count,
};
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

/// The contrastive loss of a bench step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenchLoss {
    /// SimCLR's NT-Xent, 128-d embeddings.
    NtXent,
    /// The authors' PIRL NCE with a memory bank of `bank` entries, 256-d
    /// embeddings.
    PirlNce { bank: usize },
}

impl BenchLoss {
    /// The embedding width the loss is trained with.
    pub fn out_dim(&self) -> usize {
        match self {
            BenchLoss::NtXent => HeadConfig::default().out_dim,
            BenchLoss::PirlNce { .. } => PIRL_FEATURE_DIM,
        }
    }

    /// The name `--loss` takes.
    pub fn name(&self) -> &'static str {
        match self {
            BenchLoss::NtXent => "nt-xent",
            BenchLoss::PirlNce { .. } => "pirl-nce",
        }
    }
}

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
    /// The loss.
    pub loss: BenchLoss,
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
            loss: BenchLoss::NtXent,
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
    /// The loss of this step (before the update).
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
    /// The memory bank of [`BenchLoss::PirlNce`].
    bank: Option<MemoryBank<f32>>,
    /// Steps run so far.
    steps: u64,
    /// Rows of the input.
    batch: usize,
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
        let bank = match cfg.loss {
            BenchLoss::NtXent => None,
            BenchLoss::PirlNce { bank } => {
                let b = cfg.batch / 2;
                if bank < b.max(pirl_negative_count(b) + 1) {
                    return Err(invalid!(
                        "--bank {bank}: the memory bank must hold at least {} entries \
                         for --batch {} (the {} negatives of a row plus its own image)",
                        pirl_negative_count(b) + 1,
                        cfg.batch,
                        pirl_negative_count(b)
                    ));
                }
                let mut stream = root.child("bank").stream();
                Some(MemoryBank::random_unit(
                    bank,
                    PIRL_FEATURE_DIM,
                    BANK_WEIGHT as f32,
                    &mut stream,
                )?)
            }
        };
        let head = HeadConfig {
            out_dim: cfg.loss.out_dim(),
            ..HeadConfig::default()
        };
        let kind = NetworkKind::Search(head);
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
            bank,
            steps: 0,
            batch: cfg.batch,
        })
    }

    /// Runs one training step (see the module doc) and times its phases.
    pub fn step(&mut self) -> Result<StepTiming> {
        let t0 = Instant::now();
        self.net.zero_grad();
        let out = self.net.forward(&self.input, true, 0.0, &self.rng)?;
        let t1 = Instant::now();
        let dev = self.net.device().clone();
        let (loss, dz, originals) = match self.bank.as_ref() {
            None => {
                let (loss, cache) = dev.nt_xent_forward(&out.logits, BENCH_TEMPERATURE as f32)?;
                (loss, dev.nt_xent_backward(&cache, 1.0), None)
            }
            Some(bank) => {
                let b = self.batch / 2;
                let positions: Vec<usize> = (0..b)
                    .map(|i| ((self.steps as usize * b) + i) % bank.len())
                    .collect();
                let (fv, fo) = dev.split_rows(&out.logits, b);
                let mut stream = self.rng.at("negatives", self.steps).stream();
                let negs =
                    draw_negatives(bank.len(), &positions, pirl_negative_count(b), &mut stream)?;
                let (loss, cache) = dev.pirl_nce_forward(
                    &fv,
                    &fo,
                    &positions,
                    &negs,
                    bank,
                    PIRL_TEMPERATURE as f32,
                )?;
                let (dv, dorig) = dev.pirl_nce_backward(&cache, bank, 1.0)?;
                (loss, dev.concat_rows(&dv, &dorig), Some((positions, fo)))
            }
        };
        let t2 = Instant::now();
        self.net.backward(&dz, None)?;
        let t3 = Instant::now();
        self.opt.step(&mut self.net, &BENCH_SGD, None)?;
        if let (Some(bank), Some((positions, fo))) = (self.bank.as_mut(), originals) {
            bank.update(&positions, &dev.download2(&fo))?;
        }
        self.steps += 1;
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
