//! The contrastive training loop behind [`run_contrastive`](super::trial::run_contrastive):
//! batching, the NT-Xent and PIRL steps, the SGD update and divergence.
//!
//! Why apart from `trial.rs`: that file is the interface search, replay and
//! audit call; this one is the arithmetic they replay, kept in one place so
//! its order (below) is the spec of a trial.
//!
//! # One trial, in order
//! 1. The network: `Network::new(dev, genotype, network (auxiliary off),
//!    Search(head), root/init)` on the trial's backend; one [`Optimizer`]
//!    (its momentum buffers in [`Network::walk`] order).
//! 2. PIRL only: the memory bank starts as the embeddings of the originals
//!    (see [`original_config`]) of `data[indices]`, bank row `k` being
//!    `indices[k]`, computed by evaluation-mode forward passes (running
//!    statistics, so rows do not depend on each other or on the chunking) in
//!    chunks of `batch_size` — the authors' `Memory.initialize`. No draw.
//! 3. Each epoch `e`: `perm = root/order/e .permutation(n)`; batch `b` holds
//!    the positions `perm[b·B .. min((b+1)·B, n)]` (samples `indices[p]`).
//!    There are `⌊n/B⌋` full batches, plus the remainder as a last, smaller
//!    batch when it has at least 2 samples (a lone sample has no negative;
//!    it is skipped for that epoch). PIRL: `bank.start_epoch()` first.
//! 4. Each batch: zero the gradients, forward in training mode, the loss;
//!    a non-finite loss stops the trial here (no backward, no step);
//!    otherwise backward with `dL = 1`, one [`Optimizer`] step (optional
//!    clipping by the global norm over all gradients in parameter order, one
//!    SGD update per parameter in parameter order).
//!    - NT-Xent: the `2B` rows of `contrastive_batch(data, samples, e,
//!      root/augment, augment)` in one forward pass → embeddings → `nt_xent`.
//!    - PIRL: view 0 (`batch(…, root/augment, augment)`, the same bits as
//!      rows `0..B` of the contrastive batch) stacked over the `B` originals
//!      in one `2B`-row forward pass — so BatchNorm's batch statistics cover
//!      views and originals together, where two separate passes would not;
//!      `K = 2(B − 1)` negatives per row from `root/negatives/e/b`
//!      ([`draw_negatives`], over bank rows); `pirl_nce`; after the step the
//!      bank takes the originals' embeddings of this forward pass.
//! 5. Epoch mean: `Σ_b loss_b` in f64 (each f32 loss widened exactly), added
//!    over `b` ascending from 0, divided once by the number of batches, then
//!    rounded to f32.

use super::optim::Optimizer;
use super::trial::{ContrastiveSpec, Objective, Progress, TrialEnd, TrialOutcome};
use crate::backend::Backend;
use crate::data::Dataset;
use crate::data::augment::AugmentConfig;
use crate::data::batch::{batch, contrastive_batch};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::{Network, NetworkConfig, NetworkKind};
use crate::ops::pirl_nce::{BANK_WEIGHT, MemoryBank, draw_negatives, pirl_negative_count};
use crate::rng::StreamPath;
use ndarray::{Axis, concatenate};

/// The batch sizes of one epoch over `n` samples in batches of `b` (step 3
/// of the module doc).
pub fn batch_sizes(n: usize, b: usize) -> Vec<usize> {
    let mut sizes = vec![b; n / b];
    if n % b >= 2 {
        sizes.push(n % b);
    }
    sizes
}

/// The originals PIRL contrasts against: the augmentation's size and
/// normalisation only (no random stage, so no draw).
pub fn original_config(augment: &AugmentConfig) -> AugmentConfig {
    AugmentConfig {
        normalize: augment.normalize.clone(),
        ..AugmentConfig::none(augment.size)
    }
}

/// Trains as the module doc says; returns the trained network beside the
/// outcome ([`run_contrastive`](super::trial::run_contrastive) keeps only the
/// outcome; linear evaluation needs the network).
pub fn train_network<B: Backend<Elem = f32>>(
    dev: &B,
    genotype: &Genotype,
    spec: &ContrastiveSpec,
    data: &Dataset,
    indices: &[usize],
    root: &StreamPath,
    progress: Progress<'_>,
) -> Result<(Network<B>, TrialOutcome)> {
    check(spec, indices)?;
    let config = NetworkConfig {
        auxiliary: false,
        ..spec.network.clone()
    };
    let kind = NetworkKind::Search(spec.head);
    let mut t = Trainer {
        net: Network::new(dev, genotype, &config, kind, &root.child("init"))?,
        opt: Optimizer::new(),
        spec,
        data,
        root,
        augment_root: root.child("augment"),
    };
    let mut bank = match spec.objective {
        Objective::PirlNce { .. } => Some(t.initial_bank(indices)?),
        Objective::NtXent { .. } => None,
    };
    let n = indices.len();
    let sizes = batch_sizes(n, spec.batch_size);
    let mut epoch_losses = Vec::with_capacity(spec.epochs);
    for e in 0..spec.epochs {
        let perm = root.at("order", e as u64).stream().permutation(n);
        if let Some(bank) = &mut bank {
            bank.start_epoch();
        }
        let mut sum = 0.0f64;
        for (b, &size) in sizes.iter().enumerate() {
            let positions = &perm[b * spec.batch_size..b * spec.batch_size + size];
            let samples: Vec<usize> = positions.iter().map(|&p| indices[p]).collect();
            let loss = match (&spec.objective, &mut bank) {
                (Objective::NtXent { temperature }, _) => {
                    t.nt_xent_step(&samples, e, *temperature)?
                }
                (Objective::PirlNce { temperature }, Some(bank)) => {
                    let negatives = root.at("negatives", e as u64).index(b as u64);
                    t.pirl_step(&samples, positions, e, *temperature, bank, &negatives)?
                }
                (Objective::PirlNce { .. }, None) => unreachable!("bank made above"),
            };
            if !loss.is_finite() {
                epoch_losses.push(loss);
                let outcome = TrialOutcome {
                    epoch_losses,
                    weights_digest: t.net.weights_digest(),
                    end: TrialEnd::Diverged {
                        epoch: e,
                        batch: b,
                        reason: format!("non-finite loss {loss}"),
                    },
                    scores: None,
                };
                return Ok((t.net, outcome));
            }
            sum += f64::from(loss);
            progress(e, b, sizes.len(), (sum / (b + 1) as f64) as f32);
        }
        epoch_losses.push((sum / sizes.len() as f64) as f32);
    }
    let outcome = TrialOutcome {
        epoch_losses,
        weights_digest: t.net.weights_digest(),
        end: TrialEnd::Ok,
        scores: None,
    };
    Ok((t.net, outcome))
}

/// The settings that the network and loss functions do not check themselves.
fn check(spec: &ContrastiveSpec, indices: &[usize]) -> Result<()> {
    spec.sgd.validate()?;
    let n = indices.len();
    if spec.batch_size < 2 || n < 2 {
        return Err(invalid!(
            "contrastive trial: needs a batch size ≥ 2 and ≥ 2 images, got batch size {} and {n} images",
            spec.batch_size
        ));
    }
    if let Some(c) = spec.grad_clip
        && !(c > 0.0 && c.is_finite())
    {
        return Err(invalid!(
            "contrastive trial: gradient clip must be finite and > 0, got {c}"
        ));
    }
    if let Objective::PirlNce { .. } = spec.objective {
        let largest = spec.batch_size.min(n);
        let k = pirl_negative_count(largest);
        if k + 1 > n {
            return Err(invalid!(
                "contrastive trial: PIRL needs 2(B − 1) = {k} negatives besides each image, \
                 but has {n} images; use more images or a batch size ≤ {}",
                n.div_ceil(2)
            ));
        }
    }
    Ok(())
}

struct Trainer<'a, B: Backend> {
    net: Network<B>,
    opt: Optimizer<B>,
    spec: &'a ContrastiveSpec,
    data: &'a Dataset,
    root: &'a StreamPath,
    augment_root: StreamPath,
}

impl<B: Backend<Elem = f32>> Trainer<'_, B> {
    /// Step 2 of the module doc.
    fn initial_bank(&mut self, indices: &[usize]) -> Result<MemoryBank<f32>> {
        let cfg = original_config(&self.spec.augment);
        let mut rows = Vec::new();
        for chunk in indices.chunks(self.spec.batch_size) {
            let x = batch(self.data, chunk, 0, &self.augment_root, &cfg)?;
            let x = self.net.device().upload4_owned(x);
            let z = self.net.forward(&x, false, 0.0, self.root)?.logits;
            rows.push(self.net.device().download2(&z));
        }
        let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
        let features = concatenate(Axis(0), &views).expect("same widths");
        MemoryBank::from_features(features, BANK_WEIGHT as f32)
    }

    fn nt_xent_step(&mut self, samples: &[usize], epoch: usize, temperature: f64) -> Result<f32> {
        let x = contrastive_batch(
            self.data,
            samples,
            epoch as u64,
            &self.augment_root,
            &self.spec.augment,
        )?;
        let dev = self.net.device().clone();
        let x = dev.upload4_owned(x);
        self.net.zero_grad();
        let z = self.net.forward(&x, true, 0.0, self.root)?.logits;
        let (loss, cache) = dev.nt_xent_forward(&z, temperature as f32)?;
        if loss.is_finite() {
            self.net
                .backward(&dev.nt_xent_backward(&cache, 1.0), None)?;
            self.update()?;
        }
        Ok(loss)
    }

    fn pirl_step(
        &mut self,
        samples: &[usize],
        positions: &[usize],
        epoch: usize,
        temperature: f64,
        bank: &mut MemoryBank<f32>,
        negatives: &StreamPath,
    ) -> Result<f32> {
        let e = epoch as u64;
        let views = batch(
            self.data,
            samples,
            e,
            &self.augment_root,
            &self.spec.augment,
        )?;
        let orig_cfg = original_config(&self.spec.augment);
        let originals = batch(self.data, samples, e, &self.augment_root, &orig_cfg)?;
        let x = concatenate(Axis(0), &[views.view(), originals.view()]).expect("same shapes");
        let dev = self.net.device().clone();
        let x = dev.upload4_owned(x);
        self.net.zero_grad();
        let z = self.net.forward(&x, true, 0.0, self.root)?.logits;
        let b = samples.len();
        let (fv, fo) = dev.split_rows(&z, b);
        let k = pirl_negative_count(b);
        let negs = draw_negatives(bank.len(), positions, k, &mut negatives.stream())?;
        let (loss, cache) =
            dev.pirl_nce_forward(&fv, &fo, positions, &negs, bank, temperature as f32)?;
        if loss.is_finite() {
            let (dv, dorig) = dev.pirl_nce_backward(&cache, bank, 1.0)?;
            let dz = dev.concat_rows(&dv, &dorig);
            self.net.backward(&dz, None)?;
            self.update()?;
            bank.update(positions, &dev.download2(&fo))?;
        }
        Ok(loss)
    }

    /// Optional clipping, then one SGD step per parameter, in parameter order.
    fn update(&mut self) -> Result<()> {
        self.opt
            .step(&mut self.net, &self.spec.sgd, self.spec.grad_clip)?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "contrastive_tests.rs"]
mod tests;
