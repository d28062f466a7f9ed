//! The label side of a study: a genotype's supervised test accuracy after a
//! short training, by a held-out split or by k-fold cross-validation.
//!
//! Why these protocols: a label score is only useful as far as it is
//! repeatable, and `digits` has only 1,797 images. The split protocol is
//! exactly `csnas train --seed s` (20% held out by `s/split`, training from
//! `StreamPath::root(s)`), so any label record can be re-derived by hand;
//! cross-validation scores every image once per repetition (`s/cv`
//! permutation, fold `k` trained from `s/fold/k`), which removes most of the
//! test-sampling noise of a 359-image test set at k times the cost.

use crate::backend::{Backend, BackendKind, OnBackend};
use crate::data::{Dataset, Loaded};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::NetworkConfig;
use crate::rng::StreamPath;
use crate::train::supervised::{Event, SupervisedConfig, SupervisedOutcome, train_supervised};

use super::record::Outcome;

/// Fraction held out by the split protocol (`csnas train`'s).
pub const SPLIT_TEST_FRACTION: f64 = crate::data::split::TEST_FRACTION;

/// How a genotype's label score is measured.
#[derive(Clone, Debug, PartialEq)]
pub struct LabelConfig {
    /// The supervised training (`csnas train`'s digits preset by default).
    pub supervised: SupervisedConfig,
    /// `None`: one 80/20 split per repetition (the data's official test part
    /// where it has one); `Some(k)`: k-fold cross-validation.
    pub folds: Option<usize>,
}

impl LabelConfig {
    /// The digits preset of `csnas train` at `channels`, `layers`, `epochs`.
    pub fn digits(channels: usize, layers: usize, epochs: usize, folds: Option<usize>) -> Self {
        let mut supervised = SupervisedConfig::digits();
        supervised.network.channels = channels;
        supervised.network.layers = layers;
        supervised.epochs = epochs;
        LabelConfig { supervised, folds }
    }

    /// Fits the network's input and classes to the data.
    pub fn fit_data(&mut self, data: &Loaded) {
        let d = &data.train;
        self.supervised.network.in_channels = d.channels;
        self.supervised.network.classes = d.classes;
        self.supervised.network.image_size = d.height;
        self.supervised.augment.size = d.height;
    }

    /// The network whose parameters the study counts (the baseline).
    pub fn network(&self) -> &NetworkConfig {
        &self.supervised.network
    }

    /// The settings as recorded: every field (Rust's `Debug` spelling, floats
    /// in shortest round-trip form) and the protocol.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let protocol = match self.folds {
            None => format!("split-{SPLIT_TEST_FRACTION}"),
            Some(k) => format!("cv-{k}"),
        };
        vec![
            ("label.protocol".into(), protocol),
            ("label.supervised".into(), format!("{:?}", self.supervised)),
        ]
    }

    /// Checks the protocol against the data.
    pub fn validate(&self, data: &Loaded) -> Result<()> {
        if let Some(k) = self.folds
            && (k < 2 || k > data.train.len())
        {
            return Err(invalid!(
                "label folds {k}: need 2 ≤ folds ≤ {} (the images)",
                data.train.len()
            ));
        }
        self.supervised.validate(&data.train)
    }

    /// Trains and tests `genotype` for the repetition seeded by `seed`, on
    /// `backend`. `progress(batch, batches)` is called after every training
    /// batch.
    pub fn measure(
        &self,
        genotype: &Genotype,
        data: &Loaded,
        seed: u64,
        backend: BackendKind,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Outcome> {
        let train = &data.train;
        let root = StreamPath::root(seed);
        let runs: Vec<(Vec<usize>, Vec<usize>, StreamPath)> = match (self.folds, &data.test) {
            (None, Some(test)) => {
                vec![((0..train.len()).collect(), (0..test.len()).collect(), root)]
            }
            (None, None) => {
                let (tr, te) = crate::data::split::held_out(train.len(), &root)?;
                vec![(tr, te, root)]
            }
            (Some(k), _) => {
                let perm = root.child("cv").stream().permutation(train.len());
                (0..k)
                    .map(|f| {
                        let (lo, hi) = (f * train.len() / k, (f + 1) * train.len() / k);
                        let mut test: Vec<usize> = perm[lo..hi].to_vec();
                        let mut tr: Vec<usize> =
                            perm[..lo].iter().chain(&perm[hi..]).copied().collect();
                        test.sort_unstable();
                        tr.sort_unstable();
                        (tr, test, root.at("fold", f as u64))
                    })
                    .collect()
            }
        };
        let test_set = match (self.folds, &data.test) {
            (None, Some(test)) => test,
            _ => train,
        };
        let (mut correct, mut total, mut weights) = (0u64, 0u64, Vec::new());
        let batches_per_run = runs.first().map_or(0, |r| {
            r.0.len().div_ceil(self.supervised.batch_size) * self.supervised.epochs
        });
        let all = batches_per_run * runs.len();
        for (run, (tr, te, root)) in runs.iter().enumerate() {
            let mut done = run * batches_per_run;
            let mut on_event = |e: Event<'_>| {
                if let Event::Batch { .. } = e {
                    done += 1;
                    progress(done, all);
                }
            };
            let outcome = backend.run(LabelRun {
                genotype,
                cfg: &self.supervised,
                train: (train, tr),
                test: (test_set, te),
                root,
                on_event: &mut on_event,
            })?;
            // Accuracies are k/n exactly: recover the count without rounding.
            correct += (outcome.test_accuracy * te.len() as f64).round() as u64;
            total += te.len() as u64;
            weights.push(outcome.weights_digest);
        }
        Ok(Outcome::Label {
            correct,
            total,
            weights,
        })
    }
}

/// One supervised training of a label measurement, on the opened backend.
struct LabelRun<'a> {
    genotype: &'a Genotype,
    cfg: &'a SupervisedConfig,
    train: (&'a Dataset, &'a [usize]),
    test: (&'a Dataset, &'a [usize]),
    root: &'a StreamPath,
    on_event: &'a mut dyn FnMut(Event<'_>),
}

impl OnBackend for LabelRun<'_> {
    type Output = SupervisedOutcome;
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<SupervisedOutcome> {
        let (_, outcome) = train_supervised(
            dev,
            self.genotype,
            self.cfg,
            self.train.0,
            self.train.1,
            self.test.0,
            self.test.1,
            self.root,
            self.on_event,
        )?;
        Ok(outcome)
    }
}
