//! One search trial: contrastive training of a genotype's search network on
//! unlabelled images; the unit a search runs, replays and audits.
//!
//! Why a pure function: DESIGN 3.1 makes a trial a function of its hashed
//! spec (genotype, settings, data, stream root), so replay and `audit
//! --retrain` can recompute it anywhere and compare exact bits.

use crate::data::Dataset;
use crate::data::augment::AugmentConfig;
use crate::error::Result;
use crate::genotype::Genotype;
use crate::model::{HeadConfig, NetworkConfig};
use crate::ops::sgd::SgdConfig;
use crate::rng::StreamPath;

/// The contrastive objective of a trial.
#[derive(Clone, Debug, PartialEq)]
pub enum Objective {
    /// SimCLR NT-Xent, 2N−2 in-batch negatives.
    NtXent { temperature: f64 },
    /// The original CSNAS code's PIRL-style NCE with a memory bank.
    PirlNce { temperature: f64 },
}

/// Everything a trial needs besides the genotype, the data and the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct ContrastiveSpec {
    /// Trunk settings (`classes` and `auxiliary` are ignored).
    pub network: NetworkConfig,
    pub head: HeadConfig,
    pub objective: Objective,
    pub epochs: usize,
    pub batch_size: usize,
    pub sgd: SgdConfig,
    pub augment: AugmentConfig,
    /// Gradient clipping by global norm, if any.
    pub grad_clip: Option<f64>,
}

/// How a trial ended.
#[derive(Clone, Debug, PartialEq)]
pub enum TrialEnd {
    Ok,
    /// A non-finite loss at `epoch` (0-based), batch `batch`.
    Diverged {
        epoch: usize,
        batch: usize,
        reason: String,
    },
}

/// What a trial produced: every epoch's mean loss (exact f32), the digest of
/// the final weights, how it ended, and — when the trial measured them on
/// held-out images — its label-free scores. The paper's objective is the last
/// epoch's mean loss; a search may pick another
/// ([`crate::train::label_free::Score`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TrialOutcome {
    pub epoch_losses: Vec<f32>,
    pub weights_digest: blake3::Hash,
    pub end: TrialEnd,
    pub scores: Option<crate::train::label_free::LabelFreeScores>,
}

/// Progress callback: (epoch, batch, batches per epoch, running mean loss).
pub type Progress<'a> = &'a mut dyn FnMut(usize, usize, usize, f32);

/// Trains `genotype`'s search network contrastively on `data[indices]`.
///
/// Streams (all below `root`): `init` (weights), `order/e` (batch order of
/// epoch `e`), `augment` (views, via `data::augment::view_stream`),
/// `negatives/e/b` (PIRL negatives of batch `b` of epoch `e`). The PIRL bank
/// starts from the originals' embeddings and draws nothing. The full
/// procedure and its arithmetic order: [`crate::train::contrastive`].
///
/// `epoch_losses` holds each completed epoch's mean loss; a non-finite batch
/// loss ends the trial with [`TrialEnd::Diverged`] (not an error), that
/// epoch's entry being the non-finite batch loss itself, and the digest that
/// of the weights before the diverging batch. `progress` is called after
/// every completed batch. Errors (bad settings or data) are `Error::Invalid`.
pub fn run_contrastive(
    genotype: &Genotype,
    spec: &ContrastiveSpec,
    data: &Dataset,
    indices: &[usize],
    root: &StreamPath,
    progress: Progress<'_>,
) -> Result<TrialOutcome> {
    let dev = crate::backend::CpuF32::new();
    run_contrastive_on(&dev, genotype, spec, data, indices, root, progress)
}

/// [`run_contrastive`] on the backend `dev` (the CPU reference above).
pub fn run_contrastive_on<B: crate::backend::Backend<Elem = f32>>(
    dev: &B,
    genotype: &Genotype,
    spec: &ContrastiveSpec,
    data: &Dataset,
    indices: &[usize],
    root: &StreamPath,
    progress: Progress<'_>,
) -> Result<TrialOutcome> {
    super::contrastive::train_network(dev, genotype, spec, data, indices, root, progress)
        .map(|(_, o)| o)
}
