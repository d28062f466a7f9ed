//! `csnas audit DIR [--retrain K [--nonce S]]`: check a log without trusting its author.
//!
//! Why here: prints each check of [`crate::ledger::audit`] as it passes;
//! only `--retrain` needs the data (located as for `replay`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::replay::runner_for;
use super::write_out;
use crate::error::Result;
use crate::ledger::{AuditOptions, audit_with};
use crate::parallel::with_threads;
use crate::search::runner::TrialRunner;

/// Arguments of `csnas audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The search log's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Retrain this many trials and compare their losses bit for bit. The
    /// trials are picked from the log's head hash and --nonce (blake3 key,
    /// ChaCha20 stream, sampling without replacement: see README "Audit"),
    /// so an author cannot know in advance which will be retrained.
    #[arg(long, default_value_t = 0, value_name = "K")]
    pub retrain: usize,
    /// The auditor's nonce, mixed into the pick of --retrain: choose a fresh
    /// one (e.g. today's date and your name) that the log's author cannot
    /// have guessed [default: none, the pick follows from the head alone].
    #[arg(long, value_name = "STRING")]
    pub nonce: Option<String>,
    /// State the chance that a log with M forged trials passes this audit
    /// (repeat for several) [default: 1 and 10% of the trials, rounded up].
    #[arg(long, value_name = "M")]
    pub forged: Vec<usize>,
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
    let options = AuditOptions {
        retrain: args.retrain,
        nonce: args.nonce.as_deref().unwrap_or(""),
        forged: &args.forged,
        runner: runner.as_ref().map(|r| r as &dyn TrialRunner),
    };
    let mut lines = String::new();
    let result = with_threads(args.threads, || {
        audit_with(&args.dir, &options, &mut |l| {
            // A check that passed is `ok`; what the audit could not check
            // (no retraining, the chance a forgery slips through) is `note`.
            let note = l.starts_with("forgery:") || l.starts_with("retrain: none");
            let tag = if note { "note " } else { "ok  " };
            lines.push_str(&format!("{tag}{l}\n"))
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
