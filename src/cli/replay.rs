//! `csnas replay DIR`: recompute every trial of a log and compare bit for bit.
//!
//! Why here: loads the data the log's config names (checked by digest) and
//! calls [`crate::check::replay`]; a difference exits with code 1 and names
//! the record, field, epoch and both values.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::search::Bars;
use super::write_out;
use crate::backend::BackendKind;
use crate::check::replay;
use crate::error::Result;
use crate::parallel::with_threads;
use crate::search::open::runner_for;
use crate::search::runner::{SearchObserver, Silent};

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
