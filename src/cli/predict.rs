//! `csnas predict`: per-image logits of a trained evaluation network, as CSV.
//!
//! Why: a checkpoint from `csnas train` (or a PyTorch DARTS one with csnas
//! metadata) is useful beyond its accuracy line — its logits can be compared
//! with another implementation's, bit for bit. The network is rebuilt from
//! the checkpoint alone (genotype and settings from its metadata, see
//! [`crate::model::checkpoint::metadata`]), or, for a PyTorch DARTS state
//! dict without metadata, from `--genotype` and the tensor shapes
//! ([`crate::model::checkpoint::foreign`]), and run in evaluation mode.
//!
//! Before anything runs, the network must fit the data: its classes must be
//! the data's, its input size and channels the images' (no silent resize;
//! `folder:PATH?resize=N` resizes a folder's images). A mismatch is one line
//! naming the checkpoint file and the data.
//!
//! Output, on stdout: a header `index,path,label,predicted,logit_0,…,
//! logit_{K-1}`, then one row per image (README, "Export formats"): `index`
//! is the image's position in its data set (the test batch for `cifar10:`),
//! `path` the image's file for `folder:` data (empty otherwise; quoted as CSV
//! wants when it holds a comma, a quote or a line break), `label` its class,
//! `predicted` the first class with the largest logit. Logits are printed
//! with Rust's `{}` Display for f32, which writes the shortest decimal that
//! parses back to the same f32, so the CSV round-trips exactly
//! (`"…".parse::<f32>()` gives the same bits).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::train::{load_split, normalization};
use crate::backend::{Backend, OnBackend};
use crate::data::DataSpec;
use crate::data::augment::AugmentConfig;
use crate::error::Result;
use crate::invalid;
use crate::model::StateEntry;
use crate::model::checkpoint::{
    NetworkMetadata, describe_network, fill_num_batches_tracked, load_checkpoint, match_state,
};
use crate::model::{Network, NetworkKind};
use crate::rng::StreamPath;
use crate::train::supervised::{argmax, for_each_logits};

/// The input size of a checkpoint without metadata: DARTS' CIFAR networks.
const DARTS_IMAGE_SIZE: usize = 32;

/// Which part of the data to predict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitPart {
    Test,
    Train,
    All,
}

/// Arguments of `csnas predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// A checkpoint written by `csnas train --out` (network `eval`).
    #[arg(long, value_name = "FILE.safetensors")]
    pub model: PathBuf,
    /// The genotype of a checkpoint without csnas metadata (a PyTorch DARTS
    /// state dict): a built-in name or the DARTS text form; channels, layers,
    /// classes and the auxiliary head come from the tensor shapes, the input
    /// size is 32 (DARTS' CIFAR networks) [default: none: the checkpoint's
    /// metadata].
    #[arg(long, value_name = "NAME|TEXT")]
    pub genotype: Option<String>,
    /// Data: `digits`, `cifar10:PATH` or `folder:PATH` (PNG/JPEG, one
    /// sub-folder per class; `folder:PATH?resize=N` resamples to N×N).
    #[arg(long, value_name = "SPEC", default_value = "digits")]
    pub data: String,
    /// The part of the data: the held-out test part (the seeded split of
    /// `csnas train`, or CIFAR-10's test batch), the training part, or all.
    #[arg(long, value_enum, default_value_t = SplitPart::Test)]
    pub split: SplitPart,
    /// Seed of the train/test split; default: the checkpoint's `seed` metadata, else 0.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Images per forward pass (does not change the logits' bits).
    #[arg(long, default_value_t = 100)]
    pub batch_size: usize,
    /// Where to compute: cpu (the reference), cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = super::parse_backend)]
    pub backend: crate::backend::BackendKind,
}

/// Runs `csnas predict`, writing the CSV to `out`.
pub fn run(args: PredictArgs, out: &mut dyn Write) -> Result<()> {
    crate::limits::BATCH_SIZE.check("--batch-size", args.batch_size)?;
    let spec: DataSpec = args.data.parse()?;
    let (entries, meta) = load_checkpoint::<f32>(&args.model)?;
    let genotype = (args.genotype.as_deref())
        .map(crate::genotype::Genotype::parse_or_builtin)
        .transpose()?;
    let desc = describe_network(
        &args.model,
        &meta,
        &entries,
        genotype.as_ref(),
        DARTS_IMAGE_SIZE,
    )?;
    if desc.kind != "eval" {
        return Err(invalid!(
            "{}: holds a '{}' network; predict needs an evaluation network",
            args.model.display(),
            desc.kind
        ));
    }
    let seed = match (args.seed, meta.get("seed")) {
        (Some(s), _) => s,
        (None, Some(s)) => s.parse().map_err(|_| {
            invalid!(
                "{}: metadata 'seed' is '{s}', expected a whole number",
                args.model.display()
            )
        })?,
        (None, None) => 0,
    };
    let csv = args.backend.run(PredictJob {
        args: &args,
        spec: &spec,
        desc: &desc,
        entries,
        seed,
    })?;
    super::write_out(out, &csv)
}

/// The network rebuilt on the opened backend, then the CSV of its logits.
struct PredictJob<'a> {
    args: &'a PredictArgs,
    spec: &'a DataSpec,
    desc: &'a NetworkMetadata,
    entries: Vec<StateEntry<f32>>,
    seed: u64,
}

impl OnBackend for PredictJob<'_> {
    type Output = String;
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<String> {
        let PredictJob {
            args,
            spec,
            desc,
            entries,
            seed,
        } = self;
        let spec = spec.clone();
        let mut net = Network::new(
            dev,
            &desc.genotype,
            &desc.config,
            NetworkKind::Eval,
            &StreamPath::root(0).child("init"),
        )
        .map_err(|e| invalid!("{}: {e}", args.model.display()))?;
        let expected: Vec<(String, Vec<usize>)> = net
            .state_dict()
            .into_iter()
            .map(|e| (e.name, e.shape))
            .collect();
        let mut entries = entries;
        fill_num_batches_tracked(&expected, &mut entries);
        net.load_state_dict(&match_state(&args.model, &expected, entries)?)?;

        let data = load_split(&spec, seed)?;
        let (ds, indices) = match args.split {
            SplitPart::Test => (data.test(), data.test_idx.clone()),
            SplitPart::Train => (&data.loaded.train, data.train_idx.clone()),
            SplitPart::All => (&data.loaded.train, (0..data.loaded.train.len()).collect()),
        };
        let cfg = &desc.config;
        check_fits(&args.model, cfg, &spec, ds)?;
        let paths = match &spec {
            DataSpec::Folder { dir, .. } => Some(crate::data::folder::list(dir)?.files),
            _ => None,
        };
        let augment = AugmentConfig {
            normalize: normalization(&spec),
            ..AugmentConfig::none(cfg.image_size)
        };
        let mut csv = String::from("index,path,label,predicted");
        for k in 0..cfg.classes {
            csv.push_str(&format!(",logit_{k}"));
        }
        csv.push('\n');
        for_each_logits(
            &mut net,
            ds,
            &indices,
            &augment,
            args.batch_size,
            &mut |i, row| {
                let path = paths
                    .as_ref()
                    .map_or(String::new(), |p| csv_field(&p[i].0.display().to_string()));
                csv.push_str(&format!("{i},{path},{},{}", ds.labels[i], argmax(row)));
                for v in row {
                    csv.push_str(&format!(",{v}"));
                }
                csv.push('\n');
            },
        )?;
        Ok(csv)
    }
}

/// Refuses a network that does not fit the data: other classes, channels or
/// input size (one line naming the checkpoint and the data).
fn check_fits(
    model: &std::path::Path,
    cfg: &crate::model::NetworkConfig,
    spec: &DataSpec,
    ds: &crate::data::Dataset,
) -> Result<()> {
    let model = model.display();
    if ds.classes != cfg.classes {
        return Err(invalid!(
            "{model}: the network predicts {} classes, {spec} has {}",
            cfg.classes,
            ds.classes
        ));
    }
    if ds.channels != cfg.in_channels {
        return Err(invalid!(
            "{model}: the network takes {}-channel images, {spec} has {}",
            cfg.in_channels,
            ds.channels
        ));
    }
    if (ds.height, ds.width) != (cfg.image_size, cfg.image_size) {
        let hint = match spec {
            DataSpec::Folder { dir, .. } => format!(
                " (folder:{}?resize={} resizes them)",
                dir.display(),
                cfg.image_size
            ),
            _ => String::new(),
        };
        return Err(invalid!(
            "{model}: the network takes {s}×{s} images, {spec} has {}×{}{hint}",
            ds.width,
            ds.height,
            s = cfg.image_size
        ));
    }
    Ok(())
}

/// A CSV field, quoted (RFC 4180) when it holds a comma, a quote or a line
/// break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
