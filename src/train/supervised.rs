//! Supervised training and evaluation of a genotype's evaluation network
//! (DARTS `NetworkCIFAR`) with labels: the DARTS final-evaluation protocol
//! (DESIGN §2) and a small preset for the built-in digits.
//!
//! Why here: labels are used only after a search, to train and score the
//! genotype that won; this is the one loop that does it, a pure function of
//! (genotype, config, data, stream root), so a reported accuracy can be
//! reproduced bit for bit like a trial.
//!
//! # One epoch `e` (0-based), in this order
//! 1. `lr = cosine_lr(lr, lr_min, e, epochs)`, `drop = drop_path_prob(drop_path,
//!    e, epochs)` (DARTS steps its scheduler and sets the drop-path probability
//!    at the start of each epoch);
//! 2. order: `root/order/e` draws `permutation(len)` of the training indices;
//!    consecutive chunks of `batch_size` are the batches (the last may be short);
//! 3. per batch (global step `s`, counted from 0 over all epochs): images from
//!    [`batch`] with augmentation root `root/augment` (one stream per epoch and
//!    sample); forward in training mode with drop-path root `root/drop_path/s`;
//!    loss `CE(logits) + aux_weight·CE(aux_logits)` (auxiliary head only when
//!    enabled); backward; one [`Optimizer`] step: clipping by the global norm
//!    over all parameters in state-dict order (when `grad_clip` is set), one
//!    SGD update per parameter in state-dict order;
//! 4. the epoch's loss: `Σ_b loss_b·n_b / Σ_b n_b`, accumulated in f64 over
//!    batches in order, rounded once to f32 (DARTS's batch-size-weighted
//!    average);
//! 5. test accuracy in evaluation mode (running statistics, no augmentation but
//!    the normalisation), batches of `batch_size` in index order; a prediction is
//!    the first class with the largest logit.
//!
//! Weights are initialised from `root/init`.

use ndarray::Array4;

use crate::backend::Backend;

use crate::data::Dataset;
use crate::data::augment::{AugmentConfig, Normalize};
use crate::data::batch::batch;
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::{Network, NetworkConfig, NetworkKind};
use crate::real::Real;
use crate::rng::StreamPath;
use crate::train::cross_entropy::{AUX_WEIGHT, with_aux};
pub use crate::train::evaluate::{argmax, evaluate, for_each_logits};
use crate::train::optim::Optimizer;
use crate::train::schedule::{cosine_lr, drop_path_prob};
use crate::train::sgd::{SgdConfig, SgdState};

/// Settings of a supervised run.
#[derive(Clone, Debug, PartialEq)]
pub struct SupervisedConfig {
    /// The evaluation network; `in_channels` and `image_size` must fit the
    /// data after augmentation, `classes` must cover its labels.
    pub network: NetworkConfig,
    pub epochs: usize,
    pub batch_size: usize,
    /// Optimiser; `sgd.lr` is the base learning rate of the cosine schedule.
    pub sgd: SgdConfig,
    /// Learning rate at the end of the cosine schedule.
    pub lr_min: f64,
    /// Gradient clipping by global L2 norm.
    pub grad_clip: Option<f64>,
    /// Weight of the auxiliary head's loss (used when `network.auxiliary`).
    pub aux_weight: f64,
    /// Label smoothing ε of the cross-entropy.
    pub label_smoothing: f64,
    /// Final drop-path probability of the linear schedule (0 = off).
    pub drop_path: f64,
    /// Training augmentation; its `size` is the network's input size.
    pub augment: AugmentConfig,
}

impl SupervisedConfig {
    /// The DARTS final evaluation on CIFAR-10: C=36, 20 layers, auxiliary head
    /// (weight 0.4), cutout 16, drop path 0.2, SGD lr 0.025 cosine to 0,
    /// momentum 0.9, weight decay 3e-4, batch 96, 600 epochs, clipping at 5.
    pub fn darts() -> Self {
        let mut augment = AugmentConfig::cifar_supervised(32, Some(16));
        augment.normalize = Some(Normalize::cifar10());
        SupervisedConfig {
            network: NetworkConfig {
                channels: 36,
                layers: 20,
                classes: 10,
                auxiliary: true,
                in_channels: 3,
                image_size: 32,
            },
            epochs: 600,
            batch_size: 96,
            sgd: SgdConfig::darts(0.025),
            lr_min: 0.0,
            grad_clip: Some(5.0),
            aux_weight: AUX_WEIGHT,
            label_smoothing: 0.0,
            drop_path: 0.2,
            augment,
        }
    }

    /// The built-in 8×8 digits: a small network (C=16, 5 layers, no auxiliary
    /// head: its 8×8 map would need 32×32 inputs), zero-padded random crops
    /// (padding 1), no drop path, 20 epochs, batch 64, lr 0.05 cosine, clipping
    /// at 5. `csnas train --genotype DARTS_V2` (seed 0) reaches 99.16% on the
    /// held-out 359 digits in about 2.5 minutes on 2 cores.
    pub fn digits() -> Self {
        SupervisedConfig {
            network: NetworkConfig {
                channels: 16,
                layers: 5,
                classes: 10,
                auxiliary: false,
                in_channels: 1,
                image_size: 8,
            },
            epochs: 20,
            batch_size: 64,
            sgd: SgdConfig::darts(0.05),
            lr_min: 0.0,
            grad_clip: Some(5.0),
            aux_weight: AUX_WEIGHT,
            label_smoothing: 0.0,
            drop_path: 0.0,
            augment: AugmentConfig {
                geometry: crate::data::augment::Geometry::PaddedCrop { padding: 1 },
                ..AugmentConfig::none(8)
            },
        }
    }

    /// The evaluation-time pipeline: the training one's size and
    /// normalisation, nothing random.
    pub fn test_augment(&self) -> AugmentConfig {
        AugmentConfig {
            normalize: self.augment.normalize.clone(),
            ..AugmentConfig::none(self.augment.size)
        }
    }

    /// Checks the settings against each other and against a data set.
    pub fn validate(&self, data: &Dataset) -> Result<()> {
        let net = &self.network;
        if self.epochs == 0 || self.batch_size == 0 {
            return Err(invalid!(
                "supervised: epochs and batch size must be ≥ 1, got {} and {}",
                self.epochs,
                self.batch_size
            ));
        }
        if net.in_channels != data.channels || net.image_size != self.augment.size {
            return Err(invalid!(
                "supervised: the network takes {}×{s}×{s} inputs but {} gives {}-channel images augmented to {}×{}",
                net.in_channels,
                data.name,
                data.channels,
                self.augment.size,
                self.augment.size,
                s = net.image_size
            ));
        }
        if net.classes < data.classes {
            return Err(invalid!(
                "supervised: {} classes in the network, {} in {}",
                net.classes,
                data.classes,
                data.name
            ));
        }
        let unit = |name: &str, v: f64, hi_open: bool| -> Result<()> {
            let ok = v >= 0.0 && if hi_open { v < 1.0 } else { v <= 1.0 };
            if ok {
                Ok(())
            } else {
                Err(invalid!("supervised: {name} {v} is out of range"))
            }
        };
        unit("drop path", self.drop_path, true)?;
        unit("label smoothing", self.label_smoothing, false)?;
        if !(self.aux_weight >= 0.0 && self.lr_min >= 0.0) {
            return Err(invalid!(
                "supervised: auxiliary weight and minimum lr must be ≥ 0"
            ));
        }
        if self.grad_clip.is_some_and(|c| c.is_nan() || c <= 0.0) {
            return Err(invalid!("supervised: gradient clipping must be > 0"));
        }
        self.sgd.validate()?;
        self.augment
            .validate(data.channels, data.height, data.width)
    }
}

/// One epoch's results.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 0-based.
    pub epoch: usize,
    pub lr: f64,
    pub drop_path: f64,
    /// Batch-size-weighted mean training loss (auxiliary term included).
    pub train_loss: f32,
    /// Fraction of the test samples classified correctly, in [0, 1].
    pub test_accuracy: f64,
}

/// What a supervised run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct SupervisedOutcome {
    pub epochs: Vec<EpochReport>,
    /// The last epoch's test accuracy.
    pub test_accuracy: f64,
    /// [`Network::weights_digest`] of the final weights.
    pub weights_digest: blake3::Hash,
}

/// A progress event of [`train_supervised`].
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// After batch `batch` (0-based) of `batches`, with the epoch's running mean loss.
    Batch {
        epoch: usize,
        batch: usize,
        batches: usize,
        loss: f64,
    },
    /// After an epoch's evaluation.
    Epoch(&'a EpochReport),
}

/// The training part of one step's settings (see [`train_step`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepConfig {
    pub sgd: SgdConfig,
    pub grad_clip: Option<f64>,
    pub aux_weight: f64,
    pub label_smoothing: f64,
    pub drop_path: f64,
}

/// Where a supervised run stands at an epoch boundary: everything the rest
/// of the run depends on besides the config, data and stream root (every
/// later draw is derived from `root`, the epoch and the step), so a run
/// continued from it ends at the same bits as one never stopped.
pub struct TrainState<B: Backend> {
    pub net: Network<B>,
    /// SGD momentum buffers on the host, one per parameter in state-dict
    /// order (empty before the first step); refreshed from the optimiser at
    /// every epoch end.
    pub momentum: Vec<SgdState<B::Elem>>,
    /// Epochs finished.
    pub epoch: usize,
    /// Global steps taken.
    pub step: u64,
    /// The finished epochs' reports.
    pub reports: Vec<EpochReport>,
}

/// Trains `genotype`'s evaluation network on `train[train_idx]`, evaluating on
/// `test[test_idx]` after each epoch (module doc for the order of everything).
/// Returns the trained network and the outcome.
#[allow(clippy::too_many_arguments)]
pub fn train_supervised<B: Backend<Elem = f32>>(
    dev: &B,
    genotype: &Genotype,
    cfg: &SupervisedConfig,
    train: &Dataset,
    train_idx: &[usize],
    test: &Dataset,
    test_idx: &[usize],
    root: &StreamPath,
    progress: &mut dyn FnMut(Event<'_>),
) -> Result<(Network<B>, SupervisedOutcome)> {
    let data = (train, train_idx, test, test_idx);
    train_supervised_from(dev, genotype, cfg, data, root, None, progress, &mut |_| {
        Ok(())
    })
}

/// The training and test data: `(train, train_idx, test, test_idx)`.
pub type SupervisedData<'a> = (&'a Dataset, &'a [usize], &'a Dataset, &'a [usize]);

/// [`train_supervised`] from `start` (a [`TrainState`] saved at an epoch
/// boundary of the same run; `None`: from the initial weights), calling
/// `at_epoch_end` after each epoch's report (to save a checkpoint; an error
/// stops the run and is returned).
#[allow(clippy::too_many_arguments)]
pub fn train_supervised_from<B: Backend<Elem = f32>>(
    dev: &B,
    genotype: &Genotype,
    cfg: &SupervisedConfig,
    (train, train_idx, test, test_idx): SupervisedData<'_>,
    root: &StreamPath,
    start: Option<TrainState<B>>,
    progress: &mut dyn FnMut(Event<'_>),
    at_epoch_end: &mut dyn FnMut(&mut TrainState<B>) -> Result<()>,
) -> Result<(Network<B>, SupervisedOutcome)> {
    cfg.validate(train)?;
    cfg.validate(test)?;
    if train_idx.is_empty() || test_idx.is_empty() {
        return Err(invalid!(
            "supervised: needs training and test samples, got {} and {}",
            train_idx.len(),
            test_idx.len()
        ));
    }
    let mut state = match start {
        Some(state) if state.epoch > cfg.epochs => {
            return Err(invalid!(
                "supervised: the saved state is after epoch {} of a {}-epoch run",
                state.epoch,
                cfg.epochs
            ));
        }
        Some(state) => state,
        None => TrainState {
            net: Network::new(
                dev,
                genotype,
                &cfg.network,
                NetworkKind::Eval,
                &root.child("init"),
            )?,
            momentum: Vec::new(),
            epoch: 0,
            step: 0,
            reports: Vec::with_capacity(cfg.epochs),
        },
    };
    let augment_root = root.child("augment");
    let test_augment = cfg.test_augment();
    let batches = train_idx.len().div_ceil(cfg.batch_size);
    let mut opt = Optimizer::from_host(dev, &state.momentum);
    let first = state.epoch;
    for epoch in first..cfg.epochs {
        let lr = cosine_lr(cfg.sgd.lr, cfg.lr_min, epoch, cfg.epochs);
        let drop = drop_path_prob(cfg.drop_path, epoch, cfg.epochs);
        let step_cfg = StepConfig {
            sgd: SgdConfig { lr, ..cfg.sgd },
            grad_clip: cfg.grad_clip,
            aux_weight: cfg.aux_weight,
            label_smoothing: cfg.label_smoothing,
            drop_path: drop,
        };
        let order = root
            .at("order", epoch as u64)
            .stream()
            .permutation(train_idx.len());
        let order: Vec<usize> = order.into_iter().map(|k| train_idx[k]).collect();
        let (mut weighted, mut seen) = (0.0f64, 0usize);
        for (b, chunk) in order.chunks(cfg.batch_size).enumerate() {
            let x = batch(train, chunk, epoch as u64, &augment_root, &cfg.augment)?;
            let labels: Vec<usize> = chunk.iter().map(|&i| train.labels[i] as usize).collect();
            let path = root.at("drop_path", state.step);
            let loss = train_step(&mut state.net, &x, &labels, &step_cfg, &mut opt, &path)?;
            if !loss.is_finite() {
                return Err(invalid!(
                    "supervised: the loss diverged ({loss}) at epoch {epoch}, batch {b}"
                ));
            }
            weighted += f64::from(loss) * chunk.len() as f64;
            seen += chunk.len();
            state.step += 1;
            progress(Event::Batch {
                epoch,
                batch: b,
                batches,
                loss: weighted / seen as f64,
            });
        }
        let net = &mut state.net;
        let test_accuracy = evaluate(net, test, test_idx, &test_augment, cfg.batch_size)?;
        state.reports.push(EpochReport {
            epoch,
            lr,
            drop_path: drop,
            train_loss: (weighted / seen as f64) as f32,
            test_accuracy,
        });
        state.epoch = epoch + 1;
        state.momentum = opt.to_host(dev);
        progress(Event::Epoch(state.reports.last().expect("just pushed")));
        at_epoch_end(&mut state)?;
    }
    let TrainState {
        mut net, reports, ..
    } = state;
    let outcome = SupervisedOutcome {
        test_accuracy: reports.last().map_or(0.0, |r| r.test_accuracy),
        epochs: reports,
        weights_digest: net.weights_digest(),
    };
    Ok((net, outcome))
}

/// One training step on a batch: forward (training mode, drop path from
/// `drop_root`), cross-entropy (+ weighted auxiliary term), backward, then
/// one [`Optimizer`] step (optional clipping by global norm over all
/// gradients in state-dict order, one SGD update per parameter in state-dict
/// order). Returns the step's loss.
pub fn train_step<B: Backend>(
    net: &mut Network<B>,
    x: &Array4<f32>,
    labels: &[usize],
    cfg: &StepConfig,
    opt: &mut Optimizer<B>,
    drop_root: &StreamPath,
) -> Result<B::Elem> {
    let x = x.mapv(|v| B::Elem::from_f64(f64::from(v)));
    let x = net.device().upload4_owned(x);
    train_step_exact(net, &x, labels, cfg, opt, drop_root)
}

/// [`train_step`] on an input already on the device (e.g. f64 golden data).
pub fn train_step_exact<B: Backend>(
    net: &mut Network<B>,
    x: &B::T4,
    labels: &[usize],
    cfg: &StepConfig,
    opt: &mut Optimizer<B>,
    drop_root: &StreamPath,
) -> Result<B::Elem> {
    let dev = net.device().clone();
    let smoothing = B::Elem::from_f64(cfg.label_smoothing);
    let out = net.forward(x, true, cfg.drop_path, drop_root)?;
    let (main, cache) = dev.cross_entropy_forward(&out.logits, labels, smoothing)?;
    let d_logits = dev.cross_entropy_backward(&cache, B::Elem::ONE);
    let (loss, d_aux) = match &out.aux_logits {
        Some(aux) => {
            let w = B::Elem::from_f64(cfg.aux_weight);
            let (aux_loss, aux_cache) = dev.cross_entropy_forward(aux, labels, smoothing)?;
            let d_aux = dev.cross_entropy_backward(&aux_cache, w);
            (with_aux(main, aux_loss, w), Some(d_aux))
        }
        None => (main, None),
    };
    net.zero_grad();
    net.backward(&d_logits, d_aux.as_ref())?;
    opt.step(net, &cfg.sgd, cfg.grad_clip)?;
    Ok(loss)
}

#[cfg(test)]
#[path = "supervised_tests.rs"]
mod tests;
