//! `csnas linear-eval`: how good is a frozen encoder's representation? A
//! linear classifier on its pooled features, trained on a labelled split,
//! scored on the held-out part.
//!
//! Why: the check that contrastive training without labels learned something
//! — a trained encoder should beat the same encoder at its random start.
//! The encoder comes from a checkpoint (`--model`), from a fresh contrastive
//! training of `--genotype` on the training part (labels unused), or from
//! that training's initial weights (`--random-init`, the baseline: the same
//! stream `seed/contrastive/init`, so the same weights the training starts
//! from).
//!
//! Streams below `--seed`: `split` (train/test membership, when the source
//! has no test part), `contrastive` (the trial, see `train::trial`), `linear`
//! (the classifier's batch order).

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};

pub use super::linear_eval_report::Summary;
use super::progress::bar;
use super::write_out;
use crate::backend::{Backend, OnBackend};
use crate::data::batch::{Portion, split};
use crate::data::policy;
use crate::data::{DataSpec, Dataset, load};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::checkpoint::load_network;
use crate::model::{HeadConfig, Network, NetworkConfig, NetworkKind};
use crate::ops::nt_xent::NT_XENT_TEMPERATURE;
use crate::ops::pirl_nce::PIRL_TEMPERATURE;
use crate::ops::sgd::SgdConfig;
use crate::parallel::with_threads;
use crate::rng::StreamPath;
use crate::train::contrastive::train_network;
use crate::train::linear_eval::{LinearConfig, linear_eval};
use crate::train::trial::{ContrastiveSpec, Objective, TrialEnd};

/// The contrastive objective to train the encoder with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ObjectiveArg {
    /// SimCLR NT-Xent, temperature 0.5.
    NtXent,
    /// The CSNAS authors' PIRL NCE with a memory bank, temperature 0.07.
    Pirl,
}

/// Arguments of `csnas linear-eval`.
#[derive(Debug, Args)]
pub struct LinearEvalArgs {
    /// Data source: digits, cifar10:PATH or folder:PATH.
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// A safetensors checkpoint (search or eval network) to evaluate as is;
    /// a PyTorch DARTS one without csnas metadata needs --genotype
    /// [default: none: train the --genotype encoder first].
    #[arg(long, value_name = "FILE", conflicts_with = "random_init")]
    pub model: Option<PathBuf>,
    /// Genotype of the encoder to train (a built-in name or the DARTS text
    /// form), or of a --model checkpoint without csnas metadata
    /// [default: DARTS_V2].
    #[arg(long, value_name = "NAME|TEXT")]
    pub genotype: Option<String>,
    /// Evaluate the encoder at its random initialisation (no training): the baseline.
    #[arg(long)]
    pub random_init: bool,
    /// Initial channels C of the encoder.
    #[arg(long, default_value_t = 8)]
    pub channels: usize,
    /// Number of cells of the encoder.
    #[arg(long, default_value_t = 5)]
    pub layers: usize,
    /// Contrastive training epochs.
    #[arg(long, default_value_t = 10)]
    pub epochs: usize,
    /// Contrastive objective.
    #[arg(long, value_enum, default_value_t = ObjectiveArg::NtXent)]
    pub objective: ObjectiveArg,
    /// Contrastive SGD learning rate (momentum 0.9, gradient clip 5).
    #[arg(long, default_value_t = 0.1)]
    pub lr: f64,
    /// Linear classifier epochs (SGD lr 0.1, momentum 0.9, batches of 64).
    #[arg(long, default_value_t = 100)]
    pub linear_epochs: usize,
    /// Contrastive batch size.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Test part of a source without its own test set.
    #[arg(long, default_value_t = 0.25)]
    pub test_fraction: f64,
    #[command(flatten)]
    pub common: super::flags::RunFlags,
    #[command(flatten)]
    pub export: super::export::ExportArgs,
}

/// Runs `csnas linear-eval`.
pub fn run(args: LinearEvalArgs, out: &mut dyn Write) -> Result<()> {
    args.check_flags()?;
    let spec: DataSpec = args.data.parse()?;
    if let Some(path) = &args.model
        && !path.is_file()
    {
        return Err(invalid!("--model {}: no such file", path.display()));
    }
    let threads = args.common.threads;
    let job = EvalJob {
        args: &args,
        spec: &spec,
    };
    let summary = with_threads(threads, || args.common.backend.run(job))??;
    write_out(out, &summary.render(&args.export))
}

impl LinearEvalArgs {
    /// `--genotype`, or its default `DARTS_V2`.
    pub fn genotype_name(&self) -> &str {
        self.genotype.as_deref().unwrap_or("DARTS_V2")
    }

    /// Each size flag against its bound ([`crate::limits`]), before any data
    /// is read; each error names its flag.
    pub fn check_flags(&self) -> Result<()> {
        use crate::limits::{BATCH_SIZE, CHANNELS, EPOCHS, LAYERS};
        CHANNELS.check("--channels", self.channels)?;
        if !self.channels.is_multiple_of(2) {
            return Err(invalid!(
                "--channels {}: must be even (reduction cells split channels in two)",
                self.channels
            ));
        }
        LAYERS.check("--layers", self.layers)?;
        EPOCHS.check("--epochs", self.epochs)?;
        EPOCHS.check("--linear-epochs", self.linear_epochs)?;
        BATCH_SIZE.check("--batch-size", self.batch_size)?;
        if self.batch_size < 2 {
            return Err(invalid!(
                "--batch-size {}: a contrastive batch needs at least 2 images",
                self.batch_size
            ));
        }
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(invalid!(
                "--test-fraction {}: must be between 0 and 1 (exclusive)",
                self.test_fraction
            ));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(invalid!("--lr {}: must be a positive number", self.lr));
        }
        Ok(())
    }
}

/// [`evaluate`] on the opened backend.
struct EvalJob<'a> {
    args: &'a LinearEvalArgs,
    spec: &'a DataSpec,
}

impl OnBackend for EvalJob<'_> {
    type Output = Summary;
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<Summary> {
        evaluate(dev, self.args, self.spec)
    }
}

fn evaluate<B: Backend<Elem = f32>>(
    dev: &B,
    args: &LinearEvalArgs,
    spec: &DataSpec,
) -> Result<Summary> {
    let start = Instant::now();
    let loaded = load(spec)?;
    let root = StreamPath::root(args.common.seed);
    let train_ds = &loaded.train;
    let (train_idx, test_ds, test_idx) = match &loaded.test {
        Some(test) => (
            (0..train_ds.len()).collect(),
            test,
            (0..test.len()).collect(),
        ),
        None => {
            let portion = Portion::Fraction(args.test_fraction);
            let (tr, te) = split(train_ds.len(), portion, &mut root.child("split").stream())?;
            (tr, train_ds, te)
        }
    };
    let (mut net, encoder) = encoder(dev, args, train_ds, &train_idx, &root)?;
    let cfg = LinearConfig {
        epochs: args.linear_epochs,
        ..LinearConfig::default()
    };
    let pb = bar(cfg.epochs as u64, "linear", args.common.quiet);
    let report = linear_eval(
        &mut net,
        (train_ds, &train_idx),
        (test_ds, &test_idx),
        &cfg,
        &root.child("linear"),
        &mut |_, loss| {
            pb.set_message(format!("loss {loss:.4}"));
            pb.inc(1);
        },
    )?;
    pb.finish_and_clear();
    Ok(Summary {
        encoder,
        data: spec.to_string(),
        train_images: train_idx.len(),
        test_images: test_idx.len(),
        train_accuracy: report.train_accuracy,
        test_accuracy: report.test_accuracy,
        final_loss: report.final_loss,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The frozen encoder and a one-line description of where it came from.
fn encoder<B: Backend<Elem = f32>>(
    dev: &B,
    args: &LinearEvalArgs,
    data: &Dataset,
    indices: &[usize],
    root: &StreamPath,
) -> Result<(Network<B>, String)> {
    if let Some(path) = &args.model {
        let genotype = (args.genotype.as_deref())
            .map(Genotype::parse_or_builtin)
            .transpose()?;
        return load_network(dev, path, genotype.as_ref(), data.height)
            .map(|(net, _, _)| (net, format!("model {}", path.display())));
    }
    let genotype = Genotype::parse_or_builtin(args.genotype_name())?;
    let spec = contrastive_spec(args, data)?;
    let root = root.child("contrastive");
    if args.random_init {
        let kind = NetworkKind::Search(spec.head);
        let net = Network::new(dev, &genotype, &spec.network, kind, &root.child("init"))?;
        return Ok((
            net,
            format!("{} at random initialisation", args.genotype_name()),
        ));
    }
    let batches = crate::train::contrastive::batch_sizes(indices.len(), spec.batch_size).len();
    let pb = bar(
        (spec.epochs * batches) as u64,
        "contrastive",
        args.common.quiet,
    );
    let (net, outcome) = train_network(
        dev,
        &genotype,
        &spec,
        data,
        indices,
        &root,
        &mut |e, _, _, l| {
            pb.set_message(format!("epoch {} loss {l:.4}", e + 1));
            pb.inc(1);
        },
    )?;
    pb.finish_and_clear();
    if let TrialEnd::Diverged {
        epoch,
        batch,
        reason,
    } = &outcome.end
    {
        return Err(invalid!(
            "contrastive training diverged at epoch {epoch}, batch {batch}: {reason} (try a smaller --lr)"
        ));
    }
    let losses: Vec<String> = outcome
        .epoch_losses
        .iter()
        .map(|l| format!("{l:.4}"))
        .collect();
    let what = format!(
        "{} trained {} epochs ({:?}), epoch losses [{}]",
        args.genotype_name(),
        spec.epochs,
        args.objective,
        losses.join(", ")
    );
    Ok((net, what))
}

/// The contrastive trial settings for `data` from the flags.
fn contrastive_spec(args: &LinearEvalArgs, data: &Dataset) -> Result<ContrastiveSpec> {
    if data.height != data.width {
        return Err(invalid!(
            "{}: images are {}x{}, the network needs square images",
            data.name,
            data.height,
            data.width
        ));
    }
    let size = data.height;
    let augment = policy::contrastive(data.channels, size, policy::LINEAR_EVAL_GREY_SCALE_MIN);
    let objective = match args.objective {
        ObjectiveArg::NtXent => Objective::NtXent {
            temperature: NT_XENT_TEMPERATURE,
        },
        ObjectiveArg::Pirl => Objective::PirlNce {
            temperature: PIRL_TEMPERATURE,
        },
    };
    Ok(ContrastiveSpec {
        network: NetworkConfig {
            channels: args.channels,
            layers: args.layers,
            classes: data.classes,
            auxiliary: false,
            in_channels: data.channels,
            image_size: size,
        },
        head: HeadConfig::default(),
        objective,
        epochs: args.epochs,
        batch_size: args.batch_size,
        sgd: SgdConfig {
            lr: args.lr,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        },
        augment,
        grad_clip: Some(5.0),
    })
}
