//! `csnas train --json`: the run's summary as one JSON object on stdout,
//! for scripts (schema `csnas-train-v1`, documented in README "Export
//! formats").
//!
//! Why its own module: the text lines of `train` are for a person; this is
//! the stable, machine-read form of the same facts (settings, every epoch's
//! loss and accuracy, the weights digest), plus the wall time, so a script
//! never parses the text. Floats are the exact values: `f64` and `f32` each
//! printed as the shortest decimal that parses back to the same bits.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::genotype::Genotype;
use crate::train::supervised::SupervisedOutcome;

/// Schema name written in every summary; a change of meaning gets a new one.
pub const SCHEMA: &str = "csnas-train-v1";

#[derive(Serialize)]
struct Summary<'a> {
    schema: &'static str,
    genotype: String,
    genotype_hash: String,
    data: String,
    data_digest: String,
    train_images: usize,
    test_images: usize,
    seed: u64,
    settings: BTreeMap<&'a str, &'a str>,
    resumed_from_epoch: Option<usize>,
    epochs: Vec<Epoch>,
    final_train_loss: Option<f32>,
    test_accuracy: f64,
    weights_digest: String,
    wall_seconds: f64,
    checkpoint: Option<String>,
    out: Option<String>,
}

#[derive(Serialize)]
struct Epoch {
    /// 1-based, as the text lines count.
    epoch: usize,
    lr: f64,
    drop_path: f64,
    train_loss: f32,
    test_accuracy: f64,
}

/// What the summary says besides the outcome.
pub struct RunFacts<'a> {
    pub genotype: &'a Genotype,
    pub data: String,
    pub data_digest: String,
    pub train_images: usize,
    pub test_images: usize,
    pub seed: u64,
    /// [`super::train::settings_text`]: `key = value` lines.
    pub settings: &'a str,
    pub resumed_from_epoch: Option<usize>,
    pub wall_seconds: f64,
    pub checkpoint: Option<&'a Path>,
    pub out: Option<&'a Path>,
}

/// The summary as one line of JSON (with its newline).
pub fn summary(facts: &RunFacts<'_>, outcome: &SupervisedOutcome) -> String {
    let settings = facts
        .settings
        .lines()
        .filter_map(|l| l.split_once(" = "))
        .collect();
    let path = |p: Option<&Path>| p.map(|p| p.display().to_string());
    let s = Summary {
        schema: SCHEMA,
        genotype: facts.genotype.to_darts_string(),
        genotype_hash: facts.genotype.hash().to_hex().to_string(),
        data: facts.data.clone(),
        data_digest: facts.data_digest.clone(),
        train_images: facts.train_images,
        test_images: facts.test_images,
        seed: facts.seed,
        settings,
        resumed_from_epoch: facts.resumed_from_epoch,
        epochs: outcome
            .epochs
            .iter()
            .map(|r| Epoch {
                epoch: r.epoch + 1,
                lr: r.lr,
                drop_path: r.drop_path,
                train_loss: r.train_loss,
                test_accuracy: r.test_accuracy,
            })
            .collect(),
        final_train_loss: outcome.epochs.last().map(|r| r.train_loss),
        test_accuracy: outcome.test_accuracy,
        weights_digest: outcome.weights_digest.to_hex().to_string(),
        wall_seconds: facts.wall_seconds,
        checkpoint: path(facts.checkpoint),
        out: path(facts.out),
    };
    let mut text = serde_json::to_string(&s).expect("a summary always serialises");
    text.push('\n');
    text
}
