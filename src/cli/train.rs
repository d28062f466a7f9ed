//! `csnas train`: supervised training of a genotype's evaluation network with
//! labels (DESIGN §2 "Final evaluation"), and the data split that `csnas
//! predict` shares with it.
//!
//! Why here: after a search, the winning genotype is trained and scored with
//! labels; this command turns flags into a [`SupervisedConfig`] (a preset, then
//! the flags given), runs [`train_supervised`], prints one line per epoch and
//! the final `test accuracy: X%`, and can save a checkpoint whose metadata
//! describes the network (and the seed and data of the split).

use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc;

use clap::Args;

use super::train_resume::{Resumable, RunIdentity};
use crate::backend::{Backend, OnBackend};
use crate::data::augment::Normalize;
use crate::data::batch::{Portion, split};
use crate::data::{self, DataSpec, Dataset, Loaded};
use crate::error::{Error, Result};
use crate::genotype::Genotype;
use crate::invalid;
use crate::limits;
use crate::model::checkpoint::{network_metadata, save_checkpoint};
use crate::model::{NetworkConfig, NetworkKind, StateEntry};
use crate::rng::StreamPath;
use crate::train::supervised::{Event, SupervisedConfig, SupervisedOutcome, train_supervised_from};

/// Fraction of a data set without an official test part (digits, folders)
/// held out for testing.
pub const TEST_FRACTION: f64 = 0.2;

/// Arguments of `csnas train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// A built-in genotype name (DARTS_V2, …) or the DARTS text form.
    #[arg(long, value_name = "NAME|TEXT")]
    pub genotype: String,
    /// Data: `digits` (20% held out by a seeded split), `cifar10:PATH` (its test
    /// batch is the test set) or `folder:PATH` (20% held out).
    #[arg(long, value_name = "SPEC", default_value = "digits")]
    pub data: String,
    /// Settings to start from: `darts` (the DARTS CIFAR-10 protocol) or `digits`;
    /// default `digits` for the digits data, `darts` otherwise.
    #[arg(long)]
    pub preset: Option<String>,
    /// Initial channels C (even) [default: the preset's: 36 darts, 16 digits].
    #[arg(long)]
    pub channels: Option<usize>,
    /// Number of cells [default: the preset's: 20 darts, 5 digits].
    #[arg(long)]
    pub layers: Option<usize>,
    /// Training epochs [default: the preset's: 600 darts, 20 digits].
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Images per batch [default: the preset's: 96 darts, 64 digits].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Base learning rate of the cosine schedule [default: the preset's:
    /// 0.025 darts, 0.05 digits].
    #[arg(long)]
    pub lr: Option<f64>,
    /// Auxiliary head on or off (`true`/`false`; needs 32×32 inputs)
    /// [default: the preset's: true darts, false digits].
    #[arg(long, value_name = "BOOL")]
    pub auxiliary: Option<bool>,
    /// Cutout square side in pixels, 0 = off [default: the preset's: 16
    /// darts, 0 digits].
    #[arg(long)]
    pub cutout: Option<usize>,
    /// Final drop-path probability, rising linearly from 0 [default: the
    /// preset's: 0.2 darts, 0 digits].
    #[arg(long)]
    pub drop_path: Option<f64>,
    /// Master seed of every random draw (split, init, order, augmentation, drop path).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (0 = all cores); results are identical for any count.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Save the trained network as a safetensors checkpoint (PyTorch DARTS
    /// names) [default: not saved].
    #[arg(long, value_name = "FILE.safetensors")]
    pub out: Option<PathBuf>,
    /// Save the run's state after every epoch (weights, running statistics,
    /// momentum, epoch, step; written atomically) for `--resume`
    /// [default: the `--resume` file, else not saved].
    #[arg(long, value_name = "FILE.safetensors")]
    pub checkpoint: Option<PathBuf>,
    /// Continue the run whose `--checkpoint` file this is; the other flags
    /// must give the same settings, and the run ends at the same weights as
    /// one never stopped [default: start from the initial weights].
    #[arg(long, value_name = "FILE.safetensors")]
    pub resume: Option<PathBuf>,
    /// No progress bar, no settings on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Where to compute: cpu (the reference), cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = super::parse_backend)]
    pub backend: crate::backend::BackendKind,
    /// Print the settings (the preset with the flags applied) and exit
    /// without training.
    #[arg(long)]
    pub print_config: bool,
}

/// A data source with its train and test indices.
pub struct SplitData {
    pub loaded: Loaded,
    pub train_idx: Vec<usize>,
    /// Indices into [`SplitData::test`].
    pub test_idx: Vec<usize>,
}

impl SplitData {
    /// The data set the test indices refer to.
    pub fn test(&self) -> &Dataset {
        self.loaded.test.as_ref().unwrap_or(&self.loaded.train)
    }
}

/// Loads `spec` and splits it: an official test part is used whole; otherwise
/// [`TEST_FRACTION`] of the samples is held out by [`split`] with the stream
/// `seed/split`.
pub fn load_split(spec: &DataSpec, seed: u64) -> Result<SplitData> {
    let loaded = data::load(spec)?;
    let n = loaded.train.len();
    let (train_idx, test_idx) = match &loaded.test {
        Some(test) => ((0..n).collect(), (0..test.len()).collect()),
        None => {
            let mut stream = StreamPath::root(seed).child("split").stream();
            split(n, Portion::Fraction(TEST_FRACTION), &mut stream)?
        }
    };
    Ok(SplitData {
        loaded,
        train_idx,
        test_idx,
    })
}

/// The normalisation a data source is trained and evaluated with: the CIFAR-10
/// statistics for `cifar10:`, none otherwise (pixels in [0, 1]).
pub fn normalization(spec: &DataSpec) -> Option<Normalize> {
    matches!(spec, DataSpec::Cifar10(_)).then(Normalize::cifar10)
}

impl TrainArgs {
    /// The preset, then each flag given; input shape and classes from `data`.
    pub fn config(&self, spec: &DataSpec, data: &Dataset) -> Result<SupervisedConfig> {
        let preset = self.preset.as_deref().unwrap_or(match spec {
            DataSpec::Digits => "digits",
            _ => "darts",
        });
        let mut cfg = match preset {
            "darts" => SupervisedConfig::darts(),
            "digits" => SupervisedConfig::digits(),
            other => {
                return Err(invalid!(
                    "--preset {other}: unknown preset (expected darts or digits)"
                ));
            }
        };
        if let Some(c) = self.channels {
            if c == 0 || c % 2 != 0 {
                return Err(invalid!("--channels {c}: must be a positive even number"));
            }
            cfg.network.channels = c;
        }
        for (flag, value, slot) in [
            ("--layers", self.layers, &mut cfg.network.layers),
            ("--epochs", self.epochs, &mut cfg.epochs),
            ("--batch-size", self.batch_size, &mut cfg.batch_size),
        ] {
            if let Some(v) = value {
                if v == 0 {
                    return Err(invalid!("{flag} 0: must be at least 1"));
                }
                *slot = v;
            }
        }
        if let Some(lr) = self.lr {
            if !(lr > 0.0 && lr.is_finite()) {
                return Err(invalid!("--lr {lr}: must be a positive number"));
            }
            cfg.sgd.lr = lr;
        }
        if let Some(p) = self.drop_path {
            if !(0.0..1.0).contains(&p) {
                return Err(invalid!("--drop-path {p}: must be in [0, 1)"));
            }
            cfg.drop_path = p;
        }
        if let Some(a) = self.auxiliary {
            cfg.network.auxiliary = a;
        }
        if let Some(c) = self.cutout {
            cfg.augment.cutout = (c > 0).then_some(c);
        }
        self.check_sizes(&cfg, spec, data)?;
        if data.height != data.width {
            return Err(invalid!(
                "--data {spec}: images are {}×{}, training needs square images",
                data.height,
                data.width
            ));
        }
        cfg.augment.size = data.height;
        cfg.augment.normalize = normalization(spec);
        cfg.network.image_size = data.height;
        cfg.network.in_channels = data.channels;
        cfg.network.classes = data.classes;
        Ok(cfg)
    }
}

impl TrainArgs {
    /// Each size flag against its bound ([`limits`]), before any data is
    /// read or anything allocated; each error names its flag.
    pub fn check_flags(&self) -> Result<()> {
        let opt = |bound: limits::Bound, flag: &str, v: Option<usize>| -> Result<()> {
            v.map_or(Ok(()), |v| bound.check(flag, v).map(drop))
        };
        opt(limits::CHANNELS, "--channels", self.channels)?;
        opt(limits::LAYERS, "--layers", self.layers)?;
        opt(limits::EPOCHS, "--epochs", self.epochs)?;
        opt(limits::BATCH_SIZE, "--batch-size", self.batch_size)?;
        opt(
            limits::IMAGE_SIZE,
            "--cutout",
            self.cutout.filter(|&c| c > 0),
        )
    }

    /// The settings after the data is known: the network's sizes and
    /// parameter count, the batch's size in memory, and the cutout.
    fn check_sizes(&self, cfg: &SupervisedConfig, spec: &DataSpec, data: &Dataset) -> Result<()> {
        limits::EPOCHS.check("--epochs", cfg.epochs)?;
        let (side, channels) = (data.height.max(data.width), data.channels);
        limits::check_batch("--batch-size", cfg.batch_size, channels, side)?;
        let network = NetworkConfig {
            image_size: side,
            in_channels: channels,
            classes: data.classes.max(1),
            ..cfg.network.clone()
        };
        limits::check_network(&network, None, NetworkKind::Eval, &|f| match f {
            "channels" | "layers" => limits::flag_names(f),
            other => format!("--data {spec}: image {}", other.replace('_', " ")),
        })
    }
}

/// The training settings as `key = value` lines.
pub fn settings_text(cfg: &SupervisedConfig, seed: u64) -> String {
    let n = &cfg.network;
    let a = &cfg.augment;
    let opt = |v: Option<f64>| v.map_or("none".to_string(), |v| v.to_string());
    let pairs: [(&str, String); 20] = [
        ("network.channels", n.channels.to_string()),
        ("network.layers", n.layers.to_string()),
        ("network.classes", n.classes.to_string()),
        ("network.auxiliary", n.auxiliary.to_string()),
        ("network.in_channels", n.in_channels.to_string()),
        ("network.image_size", n.image_size.to_string()),
        ("epochs", cfg.epochs.to_string()),
        ("batch_size", cfg.batch_size.to_string()),
        ("sgd.lr", cfg.sgd.lr.to_string()),
        ("sgd.momentum", cfg.sgd.momentum.to_string()),
        ("sgd.weight_decay", cfg.sgd.weight_decay.to_string()),
        ("sgd.nesterov", cfg.sgd.nesterov.to_string()),
        ("lr_min", cfg.lr_min.to_string()),
        ("grad_clip", opt(cfg.grad_clip)),
        ("aux_weight", cfg.aux_weight.to_string()),
        ("label_smoothing", cfg.label_smoothing.to_string()),
        ("drop_path", cfg.drop_path.to_string()),
        (
            "augment.cutout",
            a.cutout.map_or("none".into(), |c| c.to_string()),
        ),
        ("augment.hflip", a.hflip.to_string()),
        ("seed", seed.to_string()),
    ];
    let mut s = String::from("# csnas train settings\n");
    for (k, v) in pairs {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s
}

/// Refuses a batch size whose last batch would hold one image: batch norm
/// in training needs more than one value per channel, and the auxiliary
/// head's (and a small image's last cells') maps are 1×1. Checked before
/// the first epoch, not after it.
pub fn check_last_batch(batch_size: usize, train_len: usize) -> Result<()> {
    if batch_size == 1 || train_len % batch_size == 1 {
        let batches = train_len.div_ceil(batch_size);
        return Err(invalid!(
            "--batch-size {batch_size}: the last of the {batches} batches of the {train_len} \
             training images would hold 1 image, and batch norm in training needs at least 2 \
             (choose a batch size that does not leave 1 image over, e.g. {})",
            suggest_batch_size(batch_size, train_len)
        ));
    }
    Ok(())
}

/// The nearest batch size below `batch_size` (or above it) that leaves no
/// single image over.
fn suggest_batch_size(batch_size: usize, train_len: usize) -> usize {
    let ok = |b: usize| b >= 2 && train_len % b != 1;
    (2..batch_size)
        .rev()
        .find(|&b| ok(b))
        .or_else(|| (batch_size + 1..=train_len.max(2)).find(|&b| ok(b)))
        .unwrap_or(2)
}

/// Runs `csnas train`, writing per-epoch lines and the result to `out`.
pub fn run(args: TrainArgs, out: &mut dyn Write) -> Result<()> {
    args.check_flags()?;
    let spec: DataSpec = args.data.parse()?;
    let genotype = Genotype::parse_or_builtin(&args.genotype)?;
    let data = load_split(&spec, args.seed)?;
    let cfg = args.config(&spec, &data.loaded.train)?;
    limits::check_network(
        &cfg.network,
        Some(&genotype),
        NetworkKind::Eval,
        &limits::flag_names,
    )?;
    check_last_batch(cfg.batch_size, data.train_idx.len())?;
    if args.print_config {
        return super::write_out(out, &settings_text(&cfg, args.seed));
    }
    if !args.quiet {
        eprint!("{}", settings_text(&cfg, args.seed));
    }
    super::write_out(
        out,
        &format!(
            "data: {spec} ({} train, {} test images), digest {}\ngenotype: {}\n",
            data.train_idx.len(),
            data.test_idx.len(),
            data.loaded.train.digest().to_hex(),
            genotype.hash().to_hex()
        ),
    )?;
    let settings = settings_text(&cfg, args.seed);
    let id = RunIdentity {
        settings: &settings,
        genotype: &genotype,
        data_digest: data.loaded.train.digest().to_hex().to_string(),
    };
    let resumable = Resumable::new(args.checkpoint.as_deref(), args.resume.as_deref(), id);
    resumable.on_interrupt();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            crate::parallel::with_threads(args.threads, || {
                train_and_save(&args, &genotype, &spec, &cfg, &data, &resumable, tx)
            })?
        });
        let mut written = Ok(());
        for line in rx {
            if written.is_ok() {
                written = super::write_out(out, &line);
            }
        }
        let trained = worker
            .join()
            .map_err(|_| Error::invalid("training thread panicked"))?;
        written.and(trained)
    })
}

/// Trains (progress bar per epoch on stderr, one line per epoch sent to `lines`)
/// and saves the checkpoint if asked.
fn train_and_save(
    args: &TrainArgs,
    genotype: &Genotype,
    spec: &DataSpec,
    cfg: &SupervisedConfig,
    data: &SplitData,
    resumable: &Resumable<'_>,
    lines: mpsc::Sender<String>,
) -> Result<()> {
    let epochs = cfg.epochs;
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut on_event = |event: Event<'_>| match event {
        Event::Batch {
            epoch,
            batch,
            batches,
            loss,
        } => {
            let b = bar.get_or_insert_with(|| {
                super::progress::bar(
                    batches as u64,
                    &format!("epoch {}/{epochs}", epoch + 1),
                    args.quiet,
                )
            });
            b.set_position(batch as u64 + 1);
            b.set_message(format!("loss {loss:.4}"));
        }
        Event::Epoch(r) => {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            let _ = lines.send(format!(
                "epoch {}/{epochs}: loss {} lr {} drop path {} test accuracy {:.2}%\n",
                r.epoch + 1,
                r.train_loss,
                r.lr,
                r.drop_path,
                100.0 * r.test_accuracy
            ));
        }
    };
    let root = StreamPath::root(args.seed);
    let (state, outcome) = args.backend.run(TrainJob {
        genotype,
        cfg,
        data,
        root: &root,
        resumable,
        lines: &lines,
        on_event: &mut on_event,
    })?;
    if let Some(path) = &args.out {
        let mut meta = network_metadata(genotype, &cfg.network, "eval")?;
        meta.insert("seed".into(), args.seed.to_string());
        meta.insert("data".into(), spec.to_string());
        save_checkpoint(path, &state, &meta)?;
    }
    let _ = lines.send(format!(
        "weights: {}\ntest accuracy: {:.2}%\n",
        outcome.weights_digest.to_hex(),
        100.0 * outcome.test_accuracy
    ));
    Ok(())
}

/// [`train_supervised_from`] on the opened backend (from the `--resume`
/// state, saving every epoch's); returns the final state dict
/// (on the host) and the outcome.
struct TrainJob<'a> {
    genotype: &'a Genotype,
    cfg: &'a SupervisedConfig,
    data: &'a SplitData,
    root: &'a StreamPath,
    resumable: &'a Resumable<'a>,
    lines: &'a mpsc::Sender<String>,
    on_event: &'a mut dyn FnMut(Event<'_>),
}

impl OnBackend for TrainJob<'_> {
    type Output = (Vec<StateEntry<f32>>, SupervisedOutcome);
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<Self::Output> {
        let d = self.data;
        let start = self.resumable.start(dev, self.cfg, self.root, self.lines)?;
        let (mut net, outcome) = train_supervised_from(
            dev,
            self.genotype,
            self.cfg,
            (&d.loaded.train, &d.train_idx, d.test(), &d.test_idx),
            self.root,
            start,
            self.on_event,
            &mut |state| self.resumable.at_epoch_end(state, self.cfg),
        )?;
        Ok((net.state_dict(), outcome))
    }
}
