//! A fast stand-in for training, for tests of the loop, replay and audit.
//!
//! Its losses are a deterministic function of the genotype's hash, the
//! trial's stream root and a salt, so two runs agree bit for bit and a
//! different seed, genotype or salt gives different numbers.

use super::TrialRunner;
use crate::error::{Error, Result};
use crate::genotype::Genotype;
use crate::rng::StreamPath;
use crate::train::label_free::LabelFreeScores;
use crate::train::trial::{Progress, TrialEnd, TrialOutcome};

/// Pseudo-training: `epochs` losses in [0.5, 4.5).
pub(crate) struct FakeRunner {
    pub epochs: usize,
    pub salt: u64,
    /// Fail (as a crash would) when asked to run this trial.
    pub fail_at: Option<usize>,
    /// Report divergence at epoch 0 of this trial.
    pub diverge_at: Option<usize>,
}

impl FakeRunner {
    pub(crate) fn new(epochs: usize) -> Self {
        FakeRunner {
            epochs,
            salt: 0,
            fail_at: None,
            diverge_at: None,
        }
    }
}

impl TrialRunner for FakeRunner {
    fn run(
        &self,
        trial_index: usize,
        genotype: &Genotype,
        root: &StreamPath,
        progress: Progress<'_>,
    ) -> Result<TrialOutcome> {
        if self.fail_at == Some(trial_index) {
            return Err(Error::invalid(format!("fake crash at trial {trial_index}")));
        }
        let mut h = blake3::Hasher::new();
        h.update(genotype.hash().as_bytes());
        h.update(&root.encode());
        h.update(&self.salt.to_le_bytes());
        let mut stream = root.child("fake").stream();
        let base = 0.5
            + 4.0
                * (u32::from_le_bytes(h.finalize().as_bytes()[..4].try_into().unwrap()) as f32
                    / u32::MAX as f32);
        let mut epoch_losses = Vec::new();
        for e in 0..self.epochs {
            let loss = base * (1.0 - 0.1 * e as f32) + 0.01 * stream.uniform_f32();
            progress(e, 0, 1, loss);
            epoch_losses.push(loss);
        }
        let mut end = TrialEnd::Ok;
        if self.diverge_at == Some(trial_index) {
            epoch_losses.truncate(1);
            epoch_losses[0] = f32::NAN;
            end = TrialEnd::Diverged {
                epoch: 0,
                batch: 0,
                reason: "loss is NaN".into(),
            };
        }
        let bytes: Vec<u8> = epoch_losses.iter().flat_map(|l| l.to_le_bytes()).collect();
        let last = f64::from(*epoch_losses.last().expect("at least one epoch"));
        let scores = (end == TrialEnd::Ok).then(|| LabelFreeScores {
            heldout_loss: last + 0.1,
            alignment: last / 4.0,
            uniformity: -last,
            rankme: 10.0 - last,
        });
        Ok(TrialOutcome {
            epoch_losses,
            weights_digest: blake3::hash(&bytes),
            end,
            scores,
        })
    }
}
