//! A search's whole configuration, its presets, and its exact spelling as the
//! log's config record.
//!
//! Why one place: a search is a pure function of (config, seed, data), so the
//! config record must pin every setting that can change a number, and a log
//! must be replayable from its config record alone. The mapping here is total
//! and exact: [`SearchConfig::to_record`] writes every field, in one fixed
//! order, with floats in Rust's shortest round-trip form;
//! [`SearchConfig::from_record`] reads them back in that order and refuses a
//! record that [`SearchConfig::to_record`] would not write byte for byte.

use super::space::{Encoding, SearchSpace};
use super::tpe::TpeSettings;
use crate::data::augment::AugmentConfig;
use crate::data::batch::Portion;
use crate::error::Result;
use crate::invalid;
use crate::ledger::{ConfigRecord, Hash, SCHEMA_VERSION};
use crate::model::{HeadConfig, NetworkConfig};
use crate::ops::sgd::SgdConfig;
use crate::train::label_free::Score;
use crate::train::trial::{ContrastiveSpec, Objective};

mod authors;
mod overrides;
mod params;
mod tpe_keys;
pub use params::config_differences;
use params::{Reader, Writer};
pub use tpe_keys::{TPE_KEYS, set_tpe_key};

/// How proposals are made.
#[derive(Clone, Debug, PartialEq)]
pub enum Strategy {
    /// TPE ([`TpeSettings`]: hyperopt's semantics by default); its start-up
    /// trials are random proposals.
    Tpe(TpeSettings),
    /// Every proposal uniform random.
    Random,
}

/// Everything that determines a search's log.
#[derive(Clone, Debug, PartialEq)]
pub struct SearchConfig {
    pub space: SearchSpace,
    pub strategy: Strategy,
    /// Number of trials of the whole search: a stopping rule, not part of the
    /// search's identity (no proposal or stream depends on it), so a finished
    /// search can grow ([`super::runner::run_search`]).
    pub trials: usize,
    /// Trials per batch, K ([`super::batch`]): the K proposals of a batch
    /// follow from the log at the batch's start, so K trials can run at once.
    /// 1 (sequential) is written nowhere in the record, so every log made
    /// before batches existed keeps its bytes and head.
    pub batch: usize,
    pub seed: u64,
    /// The data source's kind (`digits`, `cifar10`, `folder`); its location is
    /// not recorded (it differs between machines), its digest is.
    pub data: String,
    /// [`crate::data::Dataset::digest`] of the search data.
    pub data_digest: Hash,
    /// The unlabelled images trials train on, drawn once per search from
    /// [`super::runner::subset_stream`].
    pub subset: Portion,
    pub spec: ContrastiveSpec,
    /// E.g. `cpu-f32`.
    pub backend: String,
    /// What the search minimises (`objective.score`).
    pub score: Score,
    /// Held-out unlabelled images the label-free scores are measured on
    /// (`objective.holdout`), drawn once per search from
    /// [`super::runner::holdout_stream`] among the images outside `subset`;
    /// `None`: no scores but the final loss.
    pub holdout: Option<usize>,
}

/// The names `--preset` accepts.
pub const PRESET_NAMES: [&str; 3] = ["default", "csnas-cifar10", "csnas-cifar10-4nodes"];

impl SearchConfig {
    /// A preset by name (see [`PRESET_NAMES`]); the data digest is zero until
    /// [`SearchConfig::fit_data`].
    pub fn preset(name: &str) -> Result<SearchConfig> {
        match name {
            "default" => Ok(Self::default_preset()),
            "csnas-cifar10" => Ok(Self::csnas_cifar10()),
            "csnas-cifar10-4nodes" => Ok(Self::csnas_cifar10_4nodes()),
            _ => Err(invalid!(
                "unknown preset '{name}': expected one of {}",
                PRESET_NAMES.join(", ")
            )),
        }
    }

    /// A small search on the built-in digits, minutes on two cores: 16 trials
    /// (6 random start-up trials) of a C=8, 5-cell network trained for 8
    /// epochs on 1,024 unlabelled 8×8 images with NT-Xent (temperature 0.5),
    /// batch 64; the objective is the alignment of the trained network's
    /// embeddings on 256 held-out images with fixed views — the label-free
    /// score that ranked genotypes closest to labels in the study of this
    /// trial (`docs/study.md`; the paper's final loss ranked them less well).
    pub fn default_preset() -> SearchConfig {
        let size = 8;
        SearchConfig {
            space: SearchSpace::nodes(4),
            strategy: Strategy::Tpe(TpeSettings {
                n_startup_jobs: 6,
                ..TpeSettings::default()
            }),
            trials: 16,
            batch: 1,
            seed: 0,
            data: "digits".into(),
            data_digest: Hash::from_bytes([0; 32]),
            subset: Portion::Count(1024),
            spec: ContrastiveSpec {
                network: NetworkConfig {
                    channels: 8,
                    layers: 5,
                    classes: 10,
                    auxiliary: false,
                    in_channels: 1,
                    image_size: size,
                },
                head: HeadConfig {
                    hidden: None,
                    out_dim: 32,
                },
                objective: Objective::NtXent { temperature: 0.5 },
                epochs: 8,
                batch_size: 64,
                sgd: plain_sgd(0.05),
                augment: AugmentConfig::grey_contrastive(size, 0.5),
                grad_clip: None,
            },
            backend: "cpu-f32".into(),
            score: Score::Alignment,
            holdout: Some(256),
        }
    }

    /// What the CSNAS authors' search script ran (module [`authors`] gives
    /// each value with its source file and line): the `csnas` encoding with 5
    /// nodes (20 edges per cell, 40 variables), hyperopt's default TPE, 120
    /// trials; the search network C=32, 8 cells on 32×32 images; PIRL NCE
    /// (256-d, temperature 0.07, 2(B − 1) = 510 negatives); SGD lr 1e-3,
    /// momentum 0.9; batch 256; 10 epochs; the last epoch's mean loss.
    pub fn csnas_cifar10() -> SearchConfig {
        authors::csnas_cifar10(5)
    }

    /// [`Self::csnas_cifar10`] with the DARTS cell size, 4 nodes (14 edges per
    /// cell, 28 variables): preset `csnas-cifar10-4nodes`.
    pub fn csnas_cifar10_4nodes() -> SearchConfig {
        authors::csnas_cifar10(4)
    }

    /// Takes the data's kind, digest, channel and class counts.
    pub fn fit_data(&mut self, kind: &str, data: &crate::data::Dataset) {
        self.data = kind.to_owned();
        self.data_digest = data.digest();
        self.spec.network.in_channels = data.channels;
        self.spec.network.classes = data.classes;
    }

    /// Checks the settings that no later stage checks with a clear message.
    pub fn validate(&self) -> Result<()> {
        let net = &self.spec.network;
        if self.trials == 0 || self.spec.epochs == 0 || self.spec.batch_size < 2 {
            return Err(invalid!(
                "config: need trials >= 1, epochs >= 1 and batch size >= 2 (got {}, {}, {})",
                self.trials,
                self.spec.epochs,
                self.spec.batch_size
            ));
        }
        if self.batch == 0 {
            return Err(invalid!(
                "config: batch (trials proposed at once) must be at least 1, got 0"
            ));
        }
        if self.spec.augment.size != net.image_size {
            return Err(invalid!(
                "config: augmentation size {} differs from the network's image size {}",
                self.spec.augment.size,
                net.image_size
            ));
        }
        if self.score.needs_holdout() && self.holdout.is_none_or(|k| k < 2) {
            return Err(invalid!(
                "config: objective.score = {} is measured on held-out images: set objective.holdout \
                 to a count of at least 2",
                self.score.name()
            ));
        }
        if let Strategy::Tpe(t) = &self.strategy {
            t.validate().map_err(|e| invalid!("config: {e}"))?;
        }
        self.spec.sgd.validate()?;
        self.spec
            .augment
            .validate(net.in_channels, net.image_size, net.image_size)
    }

    /// The config record: every field, in one fixed order (module doc).
    pub fn to_record(&self) -> ConfigRecord {
        let mut w = Writer::default();
        tpe_keys::write(&mut w, &self.strategy);
        w.put("trials", self.trials);
        if self.batch != 1 {
            w.put("batch", self.batch);
        }
        w.put("data", &self.data);
        match self.subset {
            Portion::Count(k) => w.put("subset.count", k),
            Portion::Fraction(f) => w.put("subset.fraction", f),
        }
        let (s, n) = (&self.spec, &self.spec.network);
        w.put("network.channels", n.channels);
        w.put("network.layers", n.layers);
        w.put("network.classes", n.classes);
        w.put("network.auxiliary", n.auxiliary);
        w.put("network.in_channels", n.in_channels);
        w.put("network.image_size", n.image_size);
        w.put_opt("head.hidden", s.head.hidden);
        w.put("head.out_dim", s.head.out_dim);
        let (Objective::NtXent { temperature } | Objective::PirlNce { temperature }) = s.objective;
        w.put("objective.temperature", temperature);
        w.put("epochs", s.epochs);
        w.put("batch_size", s.batch_size);
        w.put("sgd.lr", s.sgd.lr);
        w.put("sgd.momentum", s.sgd.momentum);
        w.put("sgd.dampening", s.sgd.dampening);
        w.put("sgd.weight_decay", s.sgd.weight_decay);
        w.put("sgd.nesterov", s.sgd.nesterov);
        params::write_augment(&mut w, &s.augment);
        w.put_opt("grad_clip", s.grad_clip);
        w.put("objective.score", self.score.name());
        w.put_opt("objective.holdout", self.holdout);
        let objective = match s.objective {
            Objective::NtXent { .. } => "nt-xent",
            Objective::PirlNce { .. } => "pirl-nce",
        };
        ConfigRecord {
            schema_version: SCHEMA_VERSION,
            search_space: format!("darts-{}", self.space.nodes),
            encoding: self.space.encoding.name().into(),
            objective: objective.into(),
            hyper_parameters: w.finish(),
            seed: self.seed,
            data_digest: self.data_digest,
            backend: self.backend.clone(),
        }
    }

    /// Reads a config record; refuses one that [`Self::to_record`] would not
    /// write identically (unknown, missing, reordered or oddly spelled
    /// values), naming the first problem.
    pub fn from_record(r: &ConfigRecord) -> Result<SearchConfig> {
        let config = Self::read_record(r)?;
        if config.to_record() != *r {
            return Err(invalid!(
                "config record: not in canonical form (a value is spelled differently from \
                 how csnas writes it)"
            ));
        }
        Ok(config)
    }

    /// [`Self::from_record`] without the canonical-form check: values need
    /// only parse (`0.050` is read as `0.05`). For configs written by people.
    fn read_record(r: &ConfigRecord) -> Result<SearchConfig> {
        if r.schema_version != SCHEMA_VERSION {
            return Err(invalid!(
                "config record: schema version {} (this csnas reads {SCHEMA_VERSION})",
                r.schema_version
            ));
        }
        let nodes = (r.search_space.strip_prefix("darts-"))
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| invalid!("config record: unknown search space '{}'", r.search_space))?;
        let space = SearchSpace {
            encoding: Encoding::from_name(&r.encoding)?,
            nodes,
        };
        let mut p = Reader::new(&r.hyper_parameters);
        let strategy = tpe_keys::read(&mut p)?;
        let trials = p.get("trials")?;
        let batch = match p.peek_key() {
            Some("batch") => p.get("batch")?,
            _ => 1,
        };
        let data = p.text("data")?;
        let subset = if p.peek_key() == Some("subset.count") {
            Portion::Count(p.get("subset.count")?)
        } else {
            Portion::Fraction(p.get("subset.fraction")?)
        };
        let network = NetworkConfig {
            channels: p.get("network.channels")?,
            layers: p.get("network.layers")?,
            classes: p.get("network.classes")?,
            auxiliary: p.get("network.auxiliary")?,
            in_channels: p.get("network.in_channels")?,
            image_size: p.get("network.image_size")?,
        };
        let head = HeadConfig {
            hidden: p.opt("head.hidden")?,
            out_dim: p.get("head.out_dim")?,
        };
        let temperature = p.get("objective.temperature")?;
        let objective = match r.objective.as_str() {
            "nt-xent" => Objective::NtXent { temperature },
            "pirl-nce" => Objective::PirlNce { temperature },
            other => return Err(invalid!("config record: unknown objective '{other}'")),
        };
        let epochs = p.get("epochs")?;
        let batch_size = p.get("batch_size")?;
        let sgd = SgdConfig {
            lr: p.get("sgd.lr")?,
            momentum: p.get("sgd.momentum")?,
            dampening: p.get("sgd.dampening")?,
            weight_decay: p.get("sgd.weight_decay")?,
            nesterov: p.get("sgd.nesterov")?,
        };
        let augment = params::read_augment(&mut p)?;
        let grad_clip = p.opt("grad_clip")?;
        let score = Score::from_name(&p.text("objective.score")?)
            .map_err(|e| invalid!("config record: objective.score: {e}"))?;
        let holdout = p.opt("objective.holdout")?;
        p.finish()?;
        let config = SearchConfig {
            space,
            strategy,
            trials,
            batch,
            seed: r.seed,
            data,
            data_digest: r.data_digest,
            subset,
            spec: ContrastiveSpec {
                network,
                head,
                objective,
                epochs,
                batch_size,
                sgd,
                augment,
                grad_clip,
            },
            backend: r.backend.clone(),
            score,
            holdout,
        };
        crate::limits::check_search(&config)?;
        Ok(config)
    }
}

/// SGD with momentum 0.9 and nothing else.
pub(super) fn plain_sgd(lr: f64) -> SgdConfig {
    SgdConfig {
        lr,
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: false,
    }
}

#[cfg(test)]
mod tests;
