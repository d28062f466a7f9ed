//! `csnas audit DIR [--retrain K]`: check a log without trusting its author.
//!
//! Why here: prints each check of [`crate::ledger::audit`] as it passes;
//! only `--retrain` needs the data (located as for `replay`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::error::Result;
use crate::ledger::audit;
use crate::parallel::with_threads;
use crate::search::open::runner_for;
use crate::search::runner::TrialRunner;

/// Arguments of `csnas audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The search log's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Retrain this many trials, chosen from the log's seed, and compare their losses.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub retrain: usize,
    /// Where the log's data is, for `--retrain` (see `csnas replay --help`)
    /// [default: the built-in digits].
    #[arg(long)]
    pub data: Option<String>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Retrain on this backend (cpu, cuda, cuda-exact, cuda:N) instead of the
    /// one the log names; the report then says the backends differ [default:
    /// the log's own].
    #[arg(long, value_parser = super::parse_backend)]
    pub backend: Option<crate::backend::BackendKind>,
}

/// Runs `csnas audit`.
pub fn run(args: AuditArgs, out: &mut dyn Write) -> Result<()> {
    let runner = match args.retrain {
        0 => None,
        _ => {
            let (runner, note) = runner_for(&args.dir, args.data.as_deref(), args.backend)?;
            if let Some(note) = &note {
                write_out(out, note)?;
            }
            Some(runner)
        }
    };
    let runner = runner.as_ref().map(|r| r as &dyn TrialRunner);
    let mut lines = String::new();
    let result = with_threads(args.threads, || {
        audit(&args.dir, args.retrain, runner, &mut |l| {
            lines.push_str(&format!("ok  {l}\n"))
        })
    })?;
    write_out(out, &lines)?;
    let report = result?;
    write_out(
        out,
        &format!(
            "audit passed: {} trials, head {}\n",
            report.trials,
            report.head.to_hex()
        ),
    )
}
