//! `csnas replay DIR`: recompute every trial of a log and compare bit for bit.
//!
//! Why here: loads the data the log's config names (checked by digest) and
//! calls [`crate::ledger::replay`]; a difference exits with code 1 and names
//! the record, field, epoch and both values.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::search::{Bars, data_kind, load_search_data};
use super::write_out;
use crate::backend::{BackendCore, BackendKind, CpuF32};
use crate::error::Result;
use crate::invalid;
use crate::ledger::{read_config, replay};
use crate::parallel::with_threads;
use crate::search::runner::{ContrastiveRunner, SearchObserver, Silent};

/// Arguments of `csnas replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The search log's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Where the log's data is (`cifar10:PATH`, `folder:PATH`); needed unless
    /// the log ran on `digits`. Checked against the recorded digest
    /// [default: the built-in digits].
    #[arg(long)]
    pub data: Option<String>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Replay on this backend (cpu, cuda, cuda-exact, cuda:N) instead of the
    /// one the log names; the report then says the backends differ [default:
    /// the log's own].
    #[arg(long, value_parser = super::parse_backend)]
    pub backend: Option<BackendKind>,
    #[command(flatten)]
    pub export: super::export::ExportArgs,
}

/// The backend to recompute a log made on `logged` (its arithmetic name) with:
/// the one asked for (and, when its arithmetic differs, a note saying so), or
/// else the CPU reference for a `cpu-f32` log; a log made elsewhere replays
/// only when a backend is asked for.
pub(crate) fn backend_for(
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
pub(crate) fn runner_for(
    dir: &std::path::Path,
    data: Option<&str>,
    backend: Option<BackendKind>,
) -> Result<(ContrastiveRunner, Option<String>)> {
    runner_for_config(&read_config(dir)?, data, backend)
}

/// The real runner for `config`, its data located by `data` (or the
/// built-in digits), on the backend [`backend_for`] picks.
pub(crate) fn runner_for_config(
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

/// Runs `csnas replay`.
pub fn run(args: ReplayArgs, out: &mut dyn Write) -> Result<()> {
    use super::export::{csv, json_text};
    let (runner, note) = runner_for(&args.dir, args.data.as_deref(), args.backend)?;
    if let Some(note) = &note {
        // With an export, stdout holds only the export.
        match args.export.any() {
            true => eprint!("{note}"),
            false => write_out(out, note)?,
        }
    }
    let bars = (!args.quiet).then(Bars::new);
    let observer: &dyn SearchObserver = match &bars {
        Some(b) => b,
        None => &Silent,
    };
    let result = with_threads(args.threads, || replay(&args.dir, &runner, observer))?;
    if let Some(b) = &bars {
        b.finish();
    }
    let note = note.as_deref().map(str::trim);
    if args.export.json {
        let doc = match &result {
            Ok(r) => serde_json::json!({
                "passed": true,
                "trials": r.trials,
                "head": r.head.to_hex().to_string(),
                "note": note,
            }),
            Err(e) => serde_json::json!({ "passed": false, "error": e.to_string(), "note": note }),
        };
        write_out(out, &json_text(&doc))?;
        return result.map(|_| ());
    }
    let report = result?;
    if args.export.csv {
        let row = vec![
            "true".to_string(),
            report.trials.to_string(),
            report.head.to_hex().to_string(),
        ];
        return write_out(out, &csv(&["passed", "trials", "head"], &[row]));
    }
    write_out(
        out,
        &format!(
            "replayed {} trials bit for bit\nhead: {}\n",
            report.trials,
            report.head.to_hex()
        ),
    )
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
