//! `csnas audit DIR [--retrain K [--nonce S]]`: check a log without trusting its author.
//!
//! Why here: prints each check of [`crate::check::audit`] as it passes;
//! only `--retrain` needs the data (located as for `replay`).

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::export::{ExportArgs, csv, json_text, number};
use super::write_out;
use crate::check::{AuditOptions, AuditReport, audit_with};
use crate::error::Result;
use crate::parallel::with_threads;
use crate::search::open::runner_for;
use crate::search::runner::TrialRunner;
use serde_json::{Value, json};

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
    /// Check the author's signature (DIR/SIGNATURE, from csnas sign) with
    /// this public key: a .pub file or its 64 hex digits. A swapped,
    /// truncated, grown or re-hashed log fails [default: none, no signature
    /// check].
    #[arg(long, value_name = "PUBKEY")]
    pub key: Option<String>,
    /// Worker threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Retrain on this backend (cpu, cuda, cuda-exact, cuda:N) instead of the
    /// one the log names; the report then says the backends differ [default:
    /// the log's own].
    #[arg(long, value_parser = super::parse_backend)]
    pub backend: Option<crate::backend::BackendKind>,
    #[command(flatten)]
    pub export: ExportArgs,
}

/// How the text report tags a finding: `ok` for a check that passed,
/// `note` for what the audit could not check (no retraining, the chance
/// that a forgery slips through).
fn status(line: &str) -> &'static str {
    if line.starts_with("forgery:") || line.starts_with("retrain: none") {
        "note"
    } else {
        "ok"
    }
}

/// Runs `csnas audit`.
pub fn run(args: AuditArgs, out: &mut dyn Write) -> Result<()> {
    let runner = match args.retrain {
        0 => None,
        _ => {
            let (runner, note) = runner_for(&args.dir, args.data.as_deref(), args.backend)?;
            if let Some(note) = &note {
                // With an export, stdout holds only the export.
                match args.export.any() {
                    true => eprint!("{note}"),
                    false => write_out(out, note)?,
                }
            }
            Some(runner)
        }
    };
    let key = args
        .key
        .as_deref()
        .map(crate::ledger::sign::read_public_key)
        .transpose()?;
    let options = AuditOptions {
        retrain: args.retrain,
        nonce: args.nonce.as_deref().unwrap_or(""),
        forged: &args.forged,
        runner: runner.as_ref().map(|r| r as &dyn TrialRunner),
        key: key.as_ref(),
    };
    let mut lines = String::new();
    let result = with_threads(args.threads, || {
        audit_with(&args.dir, &options, &mut |l| {
            let tag = if status(l) == "ok" { "ok  " } else { "note " };
            lines.push_str(&format!("{tag}{l}\n"))
        })
    })?;
    if args.export.json {
        let doc = match &result {
            Ok(report) => report_json(report),
            Err(e) => json!({ "passed": false, "error": e.to_string() }),
        };
        write_out(out, &json_text(&doc))?;
        return result.map(|_| ());
    }
    if args.export.csv {
        return write_out(out, &report_csv(&result?));
    }
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

/// `audit --json` of a passed audit (README, "Export formats").
fn report_json(r: &AuditReport) -> Value {
    let checks: Vec<Value> = (r.lines.iter())
        .map(|l| json!({ "status": status(l), "message": l }))
        .collect();
    let forgery: Vec<Value> = (r.chances.iter())
        .map(|c| {
            json!({
                "forged": c.m,
                "trials": c.n,
                "retrained": c.k,
                // Strings: a u128 does not fit a JSON number exactly.
                "numerator": c.exact.map(|(a, _)| a.to_string()),
                "denominator": c.exact.map(|(_, b)| b.to_string()),
                "probability": number(c.p),
            })
        })
        .collect();
    json!({
        "passed": true,
        "head": r.head.to_hex().to_string(),
        "config": r.config.to_hex().to_string(),
        "trials": r.trials,
        "retrained": r.retrained,
        "nonce": (!r.nonce.is_empty()).then_some(&r.nonce),
        "signed_by": r.signed_by,
        "checks": checks,
        "forgery": forgery,
    })
}

/// The columns of `audit --csv`: one row per forged count asked.
pub const AUDIT_CSV: [&str; 11] = [
    "passed",
    "head",
    "config",
    "trials",
    "retrained",
    "nonce",
    "signed_by",
    "forged",
    "pass_numerator",
    "pass_denominator",
    "pass_probability",
];

/// `audit --csv` of a passed audit.
fn report_csv(r: &AuditReport) -> String {
    let retrained: Vec<String> = r.retrained.iter().map(usize::to_string).collect();
    let rows: Vec<Vec<String>> = (r.chances.iter())
        .map(|c| {
            vec![
                "true".into(),
                r.head.to_hex().to_string(),
                r.config.to_hex().to_string(),
                r.trials.to_string(),
                retrained.join(";"),
                r.nonce.clone(),
                r.signed_by.clone().unwrap_or_default(),
                c.m.to_string(),
                c.exact.map_or(String::new(), |(a, _)| a.to_string()),
                c.exact.map_or(String::new(), |(_, b)| b.to_string()),
                c.p.to_string(),
            ]
        })
        .collect();
    csv(&AUDIT_CSV, &rows)
}
