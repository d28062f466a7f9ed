//! `csnas study`: a rank study of the label-free objective against labels.
//!
//! Why here: turns flags into [`StudySettings`] in one place (the trial is a
//! search's settings, built exactly as `csnas search` builds them: preset,
//! then `--config FILE`, then the data), runs or resumes [`run_study`] with a
//! progress bar on stderr, and prints the table ([`report::table`]) or JSON;
//! the table, JSON and SVG scatter are also written beside the log.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::data::{DataSpec, load};
use crate::error::{Error, Result};
use crate::invalid;
use crate::parallel::with_threads;
use crate::search::config::{PRESET_NAMES, SearchConfig};
use crate::study::labels::LabelConfig;
use crate::study::{Kind, StudyObserver, StudySettings, plot, report, reusable, run_study};

/// Arguments of `csnas study`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example (the default search's trial, 40 genotypes, 3 seeds):\n  \
    csnas study --genotypes 40 --seeds 3 --out runs/study\n\
    A second study of other trial settings over the same genotypes reuses the label scores:\n  \
    csnas study --config trial.cfg --reuse runs/study --out runs/study-b"
)]
pub struct StudyArgs {
    /// Data source: `digits` (built in), `cifar10:PATH` or `folder:PATH`.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// The trial's settings preset (as `csnas search`).
    #[arg(long, default_value = "default", value_parser = PRESET_NAMES)]
    pub preset: String,
    /// Trial settings over the preset: `key = value` lines (as `csnas search
    /// --config`) [default: none, the preset as it is].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Number of random genotypes (a random search's first proposals).
    #[arg(long, default_value_t = 40)]
    pub genotypes: usize,
    /// Repetitions of each side: trial seeds and label seeds (seed + r).
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Label network's initial channels.
    #[arg(long, default_value_t = 8)]
    pub label_channels: usize,
    /// Label network's cells.
    #[arg(long, default_value_t = 5)]
    pub label_layers: usize,
    /// Label training epochs (the digits preset of `csnas train` otherwise).
    #[arg(long, default_value_t = 5)]
    pub label_epochs: usize,
    /// Label protocol: 0 = one 80/20 split per seed (`csnas train`'s); k ≥ 2 = k-fold cross-validation.
    #[arg(long, default_value_t = 0)]
    pub label_folds: usize,
    /// An earlier study whose measurements with the same key are reused
    /// (repeatable) [default: none, everything measured].
    #[arg(long, value_name = "DIR")]
    pub reuse: Vec<PathBuf>,
    /// Bootstrap resamples of the confidence intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Permutations of the p-values.
    #[arg(long, default_value_t = 2000)]
    pub permutations: usize,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The study log's directory (resumed if it holds this study already);
    /// report.txt, report.json and scatter.svg are written there too.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub common: super::flags::RunFlags,
}

impl StudyArgs {
    /// The validated settings and the data.
    pub fn settings(&self) -> Result<(StudySettings, crate::data::Loaded)> {
        let spec: DataSpec = self.data.parse()?;
        let data = load(&spec)?;
        let mut trial = SearchConfig::preset(&self.preset)?;
        if let Some(path) = &self.config {
            trial = trial.with_config_file(path)?;
        }
        trial.fit_data(crate::search::open::data_kind(&spec), &data.train);
        trial.backend = self.common.backend.arithmetic()?;
        trial
            .validate()
            .map_err(|e| invalid!("--preset {} with --data {}: {e}", self.preset, self.data))?;
        if self.genotypes < 2 {
            return Err(invalid!("--genotypes {}: need at least 2", self.genotypes));
        }
        if self.seeds == 0 {
            return Err(invalid!("--seeds 0: need at least 1"));
        }
        if self.label_channels == 0 || !self.label_channels.is_multiple_of(2) {
            return Err(invalid!(
                "--label-channels {}: must be a positive even number",
                self.label_channels
            ));
        }
        if self.label_layers == 0 || self.label_epochs == 0 || self.label_folds == 1 {
            return Err(invalid!(
                "--label-layers and --label-epochs must be ≥ 1 and --label-folds 0 or ≥ 2 \
                 (got {}, {}, {})",
                self.label_layers,
                self.label_epochs,
                self.label_folds
            ));
        }
        let folds = (self.label_folds >= 2).then_some(self.label_folds);
        let mut label = LabelConfig::digits(
            self.label_channels,
            self.label_layers,
            self.label_epochs,
            folds,
        );
        label.fit_data(&data);
        label.supervised.augment.normalize = crate::data::policy::normalization(&spec);
        label
            .validate(&data)
            .map_err(|e| invalid!("--data {}: {e}", self.data))?;
        let settings = StudySettings {
            seed: self.common.seed,
            genotypes: self.genotypes,
            repetitions: self.seeds,
            trial,
            label,
            backend: self.common.backend,
        };
        Ok((settings, data))
    }
}

/// A bar over measurements, its message naming the one running.
struct Bar {
    bar: indicatif::ProgressBar,
}

impl StudyObserver for Bar {
    fn started(&self, i: usize, total: usize, kind: Kind, g: usize, r: usize, reused: bool) {
        self.bar.set_length(total as u64);
        self.bar.set_position(i as u64);
        let what = match kind {
            Kind::Label => "label",
            Kind::Trial => "trial",
        };
        let how = if reused { " (reused)" } else { "" };
        self.bar.set_message(format!("{what} g{g} seed {r}{how}"));
    }
    fn progress(&self, done: usize, of: usize) {
        let msg = self.bar.message();
        let base = msg.split(" [").next().unwrap_or("").to_owned();
        self.bar.set_message(format!("{base} [{done}/{of}]"));
    }
}

/// Runs `csnas study`.
pub fn run(args: StudyArgs, out: &mut dyn Write) -> Result<()> {
    let (settings, data) = args.settings()?;
    let reuse = reusable(&args.reuse)?;
    let bar = Bar {
        bar: super::progress::bar(0, "study", args.common.quiet),
    };
    let (head, measures) = with_threads(args.common.threads, || {
        run_study(&args.out, &settings, &data, &reuse, &bar)
    })??;
    bar.bar.finish_and_clear();
    let study = report::collect(&settings, &measures)?;
    let r = report::analyse(&study, settings.seed, args.bootstrap, args.permutations);
    let head = head.to_hex().to_string();
    let table = format!("study log head: {head}\n{}", report::table(&r));
    let json = serde_json::to_string_pretty(&report::to_json(&r, &study, &head))
        .map_err(|e| Error::invalid(format!("JSON: {e}")))?;
    for (name, text) in [
        ("report.txt", &table),
        ("report.json", &json),
        ("scatter.svg", &plot::scatter_svg(&r, &study)),
    ] {
        let path = args.out.join(name);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    }
    if args.json {
        write_out(out, &format!("{json}\n"))
    } else {
        write_out(out, &table)
    }
}
