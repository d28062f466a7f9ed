//! Opening a search's data and trial runner from a config or a log: what
//! `replay`, `audit --retrain`, `trial run`, `search` and `study` share.
//!
//! Why in the library, not the CLI: the data kind a config records and the
//! backend a log may be recomputed on are rules of the log (DESIGN 3.2), not
//! of any one command; the commands only turn flags into these calls.

use std::path::Path;

use crate::backend::{BackendCore, BackendKind, CpuF32};
use crate::data::{DataSpec, Dataset, load};
use crate::error::{Error, Result};
use crate::invalid;
use crate::ledger::store::Ledger;
use crate::search::SearchConfig;
use crate::search::runner::ContrastiveRunner;
use crate::search::runner::read_log;

/// The data kind recorded in the config: the spec without its path.
pub fn data_kind(spec: &DataSpec) -> &'static str {
    match spec {
        DataSpec::Digits => "digits",
        DataSpec::Cifar10(_) => "cifar10",
        DataSpec::Folder { .. } => "folder",
    }
}

/// Loads the training part of the data `text` names.
pub fn load_search_data(text: &str) -> Result<(DataSpec, Dataset)> {
    let spec: DataSpec = text.parse()?;
    let data = load(&spec)?.train;
    Ok((spec, data))
}

/// The backend to recompute a log made on `logged` (its arithmetic name) with:
/// the one asked for (and, when its arithmetic differs, a note saying so), or
/// else the CPU reference for a `cpu-f32` log; a log made elsewhere replays
/// only when a backend is asked for.
pub fn backend_for(
    logged: &str,
    asked: Option<BackendKind>,
) -> Result<(BackendKind, Option<String>)> {
    let Some(kind) = asked else {
        if logged == CpuF32::new().arithmetic() {
            return Ok((BackendKind::Cpu, None));
        }
        return Err(invalid!(
            "the log was made on backend {logged}; replay it with --backend NAME \
             (a backend with other arithmetic will not reproduce it bit for bit)"
        ));
    };
    let arithmetic = kind.arithmetic()?;
    let note = (arithmetic != logged).then(|| {
        format!(
            "note: the backends differ: the log was made on {logged}, this run computes on \
             {kind} ({arithmetic}); a difference below may be arithmetic, not a fault\n"
        )
    });
    Ok((kind, note))
}

/// The real runner for the log in `dir`, its data located by `data` (or the
/// built-in digits), on the backend [`backend_for`] picks; with the note to
/// print when the backends differ.
pub fn runner_for(
    dir: &std::path::Path,
    data: Option<&str>,
    backend: Option<BackendKind>,
) -> Result<(ContrastiveRunner, Option<String>)> {
    runner_for_config(&read_config(dir)?, data, backend)
}

/// The real runner for `config`, its data located by `data` (or the
/// built-in digits), on the backend [`backend_for`] picks.
pub fn runner_for_config(
    config: &crate::search::SearchConfig,
    data: Option<&str>,
    backend: Option<BackendKind>,
) -> Result<(ContrastiveRunner, Option<String>)> {
    let (kind, note) = backend_for(&config.backend, backend)?;
    let text = match data {
        Some(d) => d.to_owned(),
        None if config.data == "digits" => "digits".to_owned(),
        None => {
            return Err(invalid!(
                "the log ran on {} data: say where it is with --data {}:PATH",
                config.data,
                config.data
            ));
        }
    };
    let (spec, dataset) = load_search_data(&text)?;
    if data_kind(&spec) != config.data {
        return Err(invalid!(
            "--data {text}: the log ran on {} data",
            config.data
        ));
    }
    Ok((
        ContrastiveRunner::new(config, dataset)?.on_backend(kind),
        note,
    ))
}

/// The search config a log was made with (its chain verified first).
pub fn read_config(dir: &Path) -> Result<SearchConfig> {
    let ledger = Ledger::open_read_only(dir)?;
    let (hash, config, _) = read_log(&ledger)?;
    SearchConfig::from_record(&config)
        .map_err(|e| Error::CheckFailed(format!("record {} (config): {e}", hash.to_hex())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cpu_log_replays_on_the_cpu_without_a_note() {
        let (kind, note) = backend_for("cpu-f32", None).unwrap();
        assert_eq!((kind, note), (BackendKind::Cpu, None));
        let (kind, note) = backend_for("cpu-f32", Some(BackendKind::Cpu)).unwrap();
        assert_eq!((kind, note), (BackendKind::Cpu, None));
    }

    #[test]
    fn a_log_from_another_backend_replays_only_when_asked_and_says_they_differ() {
        let e = backend_for("cuda-f32", None).unwrap_err().to_string();
        assert!(e.contains("cuda-f32") && e.contains("--backend"), "{e}");
        let (kind, note) = backend_for("cuda-f32", Some(BackendKind::Cpu)).unwrap();
        assert_eq!(kind, BackendKind::Cpu);
        let note = note.expect("a note");
        assert!(note.contains("backends differ"), "{note}");
        assert!(
            note.contains("cuda-f32") && note.contains("cpu-f32"),
            "{note}"
        );
    }
}
