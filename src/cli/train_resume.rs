//! `csnas train --checkpoint FILE` and `--resume FILE`: a run's state saved
//! after every epoch, and a run continued from it to the same final bits.
//!
//! Why: the DARTS evaluation trains for 600 epochs, about a day; a crash or
//! a Ctrl-C must not cost the epochs already done. The state file is a
//! safetensors checkpoint (written atomically, so a kill at any instant
//! leaves the previous epoch's file or the new one) holding the network's
//! state dict (weights, running statistics, batch counters) under its
//! PyTorch names, the SGD momentum buffers as `optimizer.momentum_buffer.<k>`
//! (k = the parameter's position in state-dict order), and in its metadata
//! the epochs and steps done, each finished epoch's report as exact bits,
//! and the settings, genotype and data it belongs to. Every later random
//! draw derives from the seed, the epoch and the step, so nothing else is
//! needed: `--resume` ends at the same weights digest as a run never stopped.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use super::interrupt::{self, OnInterrupt};

use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::checkpoint::{load_checkpoint, network_metadata, save_checkpoint};
use crate::model::{Network, NetworkKind, StateEntry, StateValue};
use crate::rng::StreamPath;
use crate::train::sgd::SgdState;
use crate::train::supervised::{EpochReport, SupervisedConfig, TrainState};

const MOMENTUM: &str = "optimizer.momentum_buffer.";

/// What a state file must match to be resumed: the settings text
/// ([`super::train::settings_text`]), the genotype and the data digest.
pub struct RunIdentity<'a> {
    pub settings: &'a str,
    pub genotype: &'a Genotype,
    pub data_digest: String,
}

/// How one `csnas train` run saves its state and resumes: the files of
/// `--checkpoint` and `--resume`, what the state must match, and the
/// command that continues the run.
pub struct Resumable<'a> {
    /// Where the state goes after every epoch: `--checkpoint`, else the
    /// `--resume` file (a resumed run keeps saving where it was saved).
    pub checkpoint: Option<PathBuf>,
    pub resume: Option<PathBuf>,
    pub id: RunIdentity<'a>,
    /// The command that resumes this run from `checkpoint`.
    pub command: String,
}

impl<'a> Resumable<'a> {
    pub fn new(checkpoint: Option<&Path>, resume: Option<&Path>, id: RunIdentity<'a>) -> Self {
        let checkpoint = checkpoint.or(resume).map(Path::to_path_buf);
        let command = match &checkpoint {
            Some(file) => resume_command(&interrupt::this_args(), file),
            None => String::new(),
        };
        Resumable {
            checkpoint,
            resume: resume.map(Path::to_path_buf),
            id,
            command,
        }
    }

    /// Sets what Ctrl-C does: with a checkpoint, finish the epoch, save and
    /// stop; without one, stop at once (nothing to keep).
    pub fn on_interrupt(&self) {
        interrupt::on_interrupt(match &self.checkpoint {
            Some(file) => OnInterrupt::AtSafePoint(format!(
                "stopping after this epoch, its state goes to {}",
                file.display()
            )),
            None => OnInterrupt::Exit(
                "stopped; nothing was saved (train with --checkpoint FILE to save every epoch)"
                    .into(),
            ),
        });
    }

    /// The state to start from: the `--resume` file's (announced on
    /// `lines`), or `None` for a fresh run.
    pub fn start<B: Backend<Elem = f32>>(
        &self,
        dev: &B,
        cfg: &SupervisedConfig,
        root: &StreamPath,
        lines: &Sender<String>,
    ) -> Result<Option<TrainState<B>>> {
        let Some(file) = &self.resume else {
            return Ok(None);
        };
        let state = load_state(dev, file, cfg, &self.id, root)?;
        let _ = lines.send(format!(
            "resumed from {} after epoch {}/{}\n",
            file.display(),
            state.epoch,
            cfg.epochs
        ));
        Ok(Some(state))
    }

    /// After each epoch: save the state (atomically), then stop with
    /// [`Error::Interrupted`] if Ctrl-C asked for it.
    pub fn at_epoch_end<B: Backend<Elem = f32>>(
        &self,
        state: &mut TrainState<B>,
        cfg: &SupervisedConfig,
    ) -> Result<()> {
        if let Some(file) = &self.checkpoint {
            save_state(file, state, cfg, &self.id)?;
        }
        if !interrupt::requested() || state.epoch == cfg.epochs {
            return Ok(());
        }
        let kept = match &self.checkpoint {
            Some(file) => format!(
                "its state is in {}; resume with: {}",
                file.display(),
                self.command
            ),
            None => "nothing was saved".into(),
        };
        Err(Error::Interrupted(format!(
            "interrupted after epoch {}/{}: {kept}",
            state.epoch, cfg.epochs
        )))
    }
}

/// `args` (this process's, without the program) with any `--resume` dropped
/// and `--resume FILE` appended, quoted for a POSIX shell.
fn resume_command(args: &[String], file: &Path) -> String {
    let mut kept = Vec::with_capacity(args.len() + 2);
    let mut skip = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "--resume" {
            skip = true;
        } else if !a.starts_with("--resume=") {
            kept.push(a.clone());
        }
    }
    kept.push("--resume".into());
    kept.push(file.display().to_string());
    interrupt::command_line(&kept)
}

/// Writes `state` to `path` atomically.
pub fn save_state<B: Backend<Elem = f32>>(
    path: &Path,
    state: &mut TrainState<B>,
    cfg: &SupervisedConfig,
    id: &RunIdentity<'_>,
) -> Result<()> {
    let mut entries = state.net.state_dict();
    for (k, s) in state.momentum.iter().enumerate() {
        if let Some(buf) = &s.momentum_buffer {
            entries.push(StateEntry {
                name: format!("{MOMENTUM}{k}"),
                shape: vec![buf.len()],
                value: StateValue::Float(buf.clone()),
            });
        }
    }
    let mut meta = network_metadata(id.genotype, &cfg.network, "eval")?;
    meta.insert("resume.epoch".into(), state.epoch.to_string());
    meta.insert("resume.step".into(), state.step.to_string());
    meta.insert("resume.parameters".into(), state.momentum.len().to_string());
    meta.insert("resume.settings".into(), id.settings.to_string());
    meta.insert("resume.data_digest".into(), id.data_digest.clone());
    meta.insert("resume.reports".into(), reports_text(&state.reports));
    save_checkpoint(path, &entries, &meta)
}

/// Reads the state saved in `path`, refusing a file of another run (naming
/// the first flag whose setting differs).
pub fn load_state<B: Backend<Elem = f32>>(
    dev: &B,
    path: &Path,
    cfg: &SupervisedConfig,
    id: &RunIdentity<'_>,
    root: &StreamPath,
) -> Result<TrainState<B>> {
    let shown = path.display();
    let (entries, meta) = load_checkpoint::<f32>(path)?;
    let get = |key: &str| {
        meta.get(key)
            .map(String::as_str)
            .ok_or_else(|| invalid!("{shown}: not a --checkpoint state file (no '{key}' metadata)"))
    };
    let saved = get("resume.settings")?;
    if let Some(differs) = first_difference(saved, id.settings) {
        return Err(invalid!(
            "--resume {shown}: {differs}; resume with the flags of the run that wrote it"
        ));
    }
    let genotype = get("genotype")?;
    if genotype != id.genotype.to_darts_string() {
        return Err(invalid!(
            "--resume {shown}: it was written with another --genotype ({genotype}); resume \
             with the flags of the run that wrote it"
        ));
    }
    if get("resume.data_digest")? != id.data_digest {
        return Err(invalid!(
            "--resume {shown}: it was written for other --data (the data's digest differs); \
             resume with the data of the run that wrote it"
        ));
    }
    let number = |key: &str| -> Result<u64> {
        get(key)?
            .parse()
            .map_err(|_| invalid!("{shown}: metadata '{key}' is not a whole number"))
    };
    let (epoch, step, params) = (
        number("resume.epoch")?,
        number("resume.step")?,
        number("resume.parameters")?,
    );
    let reports = parse_reports(get("resume.reports")?)
        .ok_or_else(|| invalid!("{shown}: metadata 'resume.reports' is malformed"))?;
    if reports.len() as u64 != epoch {
        return Err(invalid!(
            "{shown}: {} epoch reports for {epoch} epochs",
            reports.len()
        ));
    }
    let mut net = Network::new(
        dev,
        id.genotype,
        &cfg.network,
        NetworkKind::Eval,
        &root.child("init"),
    )?;
    let (optimizer, weights): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .partition(|e| e.name.starts_with(MOMENTUM));
    net.load_state_dict(&weights)
        .map_err(|e| invalid!("{shown}: {e}"))?;
    let lengths: Vec<usize> = net
        .params_with_grads()
        .iter()
        .map(|(_, _, p, _)| p.len())
        .collect();
    if params != 0 && params as usize != lengths.len() {
        return Err(invalid!(
            "{shown}: momentum for {params} parameters, the network has {}",
            lengths.len()
        ));
    }
    let mut momentum = vec![SgdState::default(); params as usize];
    for e in optimizer {
        let k: usize = e.name[MOMENTUM.len()..]
            .parse()
            .map_err(|_| invalid!("{shown}: tensor '{}' names no parameter", e.name))?;
        let (Some(slot), StateValue::Float(v)) = (momentum.get_mut(k), e.value) else {
            return Err(invalid!(
                "{shown}: tensor '{}' is not a momentum buffer",
                e.name
            ));
        };
        if v.len() != lengths[k] {
            return Err(invalid!(
                "{shown}: tensor '{}' has {} values, parameter {k} has {}",
                e.name,
                v.len(),
                lengths[k]
            ));
        }
        slot.momentum_buffer = Some(v);
    }
    Ok(TrainState {
        net,
        momentum,
        epoch: epoch as usize,
        step,
        reports,
    })
}

/// `epoch lr drop loss accuracy` per report, `;`-separated, floats as bits.
fn reports_text(reports: &[EpochReport]) -> String {
    let items: Vec<String> = reports
        .iter()
        .map(|r| {
            format!(
                "{} {:016x} {:016x} {:08x} {:016x}",
                r.epoch,
                r.lr.to_bits(),
                r.drop_path.to_bits(),
                r.train_loss.to_bits(),
                r.test_accuracy.to_bits()
            )
        })
        .collect();
    items.join(";")
}

fn parse_reports(text: &str) -> Option<Vec<EpochReport>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(';')
        .map(|item| {
            let f: Vec<&str> = item.split(' ').collect();
            let [e, lr, drop, loss, acc] = f.as_slice() else {
                return None;
            };
            let hex = |s: &str| u64::from_str_radix(s, 16).ok();
            Some(EpochReport {
                epoch: e.parse().ok()?,
                lr: f64::from_bits(hex(lr)?),
                drop_path: f64::from_bits(hex(drop)?),
                train_loss: f32::from_bits(u32::from_str_radix(loss, 16).ok()?),
                test_accuracy: f64::from_bits(hex(acc)?),
            })
        })
        .collect()
}

/// The first setting that differs between the saved settings text and this
/// run's, as "it was written with --FLAG (key = a), this run has key = b".
fn first_difference(saved: &str, now: &str) -> Option<String> {
    if saved == now {
        return None;
    }
    let (a, b) = saved
        .lines()
        .zip(now.lines())
        .find(|(a, b)| a != b)
        .unwrap_or(("(other settings)", "(these settings)"));
    let key = a.split(" = ").next().unwrap_or(a);
    Some(format!(
        "it was written with other {} ('{a}'), this run has '{b}'",
        flag_of(key)
    ))
}

/// The flag (or flags) of `csnas train` that set a settings key.
fn flag_of(key: &str) -> &'static str {
    match key {
        "network.channels" => "--channels",
        "network.layers" => "--layers",
        "network.auxiliary" => "--auxiliary",
        "network.classes" | "network.in_channels" | "network.image_size" => "--data",
        "epochs" => "--epochs",
        "batch_size" => "--batch-size",
        "sgd.lr" => "--lr",
        "augment.cutout" => "--cutout",
        "drop_path" => "--drop-path",
        "seed" => "--seed",
        _ => "--preset",
    }
}
