//! Command line: parses arguments into validated options and calls the library.
//!
//! Why here: the CLI is a thin layer (DESIGN 1) — each command lives in its own
//! file, turns its flags into a validated library config in one place, and
//! returns a [`Result`]; this module alone prints errors and picks exit codes:
//! one line `error: <message>` on stderr, the code from
//! [`Error::exit_code`](crate::Error::exit_code) (2 for bad input, 1 for a
//! failed check), and clap's own code (2) for usage errors.

pub mod audit;
pub mod bench;
pub mod export;
pub mod flags;
pub mod genotype;
pub mod interrupt;
pub mod linear_eval;
pub mod linear_eval_report;
pub mod plot;
pub mod predict;
pub mod progress;
pub mod replay;
pub mod search;
pub mod show;
pub mod sign;
pub mod study;
pub mod train;
pub mod train_json;
pub mod train_resume;
pub mod trial;
pub mod verify;
pub mod watch;

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand};

use crate::error::{Error, Result};

/// csnas: contrastive self-supervised neural architecture search, reproducible bit for bit.
#[derive(Debug, Parser)]
#[command(name = "csnas", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The commands; each is implemented in its own file under `src/cli/`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, print and hash a genotype, and count its network's parameters.
    #[command(
        after_help = "Example:\n  csnas genotype show DARTS_V2 --auxiliary\n  csnas genotype show DARTS_V2 --json\n  csnas genotype draw PC_DARTS_cifar --out docs/cells"
    )]
    Genotype(genotype::GenotypeArgs),
    /// Run or resume an architecture search, its log in --out DIR.
    #[command(
        after_help = "Example:\n  csnas search --out runs/s0 --trials 20 --seed 0\n  csnas search --out runs/s0 --trials 20 --json\n  csnas search --preset csnas-cifar10 --data cifar10:data/cifar-10-batches-bin --out runs/c10 --print-config"
    )]
    Search(search::SearchArgs),
    /// Recompute every trial of a log and name the first difference.
    #[command(after_help = "Example:\n  csnas replay runs/s0\n  csnas replay runs/s0 --json")]
    Replay(replay::ReplayArgs),
    /// Check a log's hashes, links, genotypes and proposals; retrain a few trials.
    #[command(
        after_help = "Example:\n  csnas audit runs/s0 --retrain 2\n  csnas audit runs/s0 --retrain 4 --nonce 2026-12-02-alice --forged 3\n  csnas audit runs/s0 --csv"
    )]
    Audit(audit::AuditArgs),
    /// Sign a log's head and trial count with an ed25519 key, or make a key pair.
    #[command(
        after_help = "Example:\n  csnas sign --new-key author.key\n  csnas sign runs/s0 --key author.key\n  csnas audit runs/s0 --key author.key.pub"
    )]
    Sign(sign::SignArgs),
    /// Print a log's trials and best genotype, or one record, as text or JSON.
    #[command(
        after_help = "Example:\n  csnas show runs/s0\n  csnas show runs/s0 --csv > trials.csv"
    )]
    Show(show::ShowArgs),
    /// Draw a search log's figures as SVG: optimisation history, objective per op.
    #[command(after_help = "Example:\n  csnas plot runs/s0 --out runs/s0/plots")]
    Plot(plot::PlotArgs),
    /// Rank study: does the label-free objective rank random genotypes as labels do?
    #[command(after_help = "Example:\n  csnas study --out runs/study --genotypes 40 --seeds 3")]
    Study(study::StudyArgs),
    /// Linear evaluation of a frozen encoder: trained, random or from a checkpoint.
    #[command(
        after_help = "Example:\n  csnas linear-eval --genotype DARTS_V2 --epochs 10\n  csnas linear-eval --random-init --json"
    )]
    LinearEval(linear_eval::LinearEvalArgs),
    /// Run one trial of a search from its spec file (what search workers run).
    #[command(
        after_help = "Example:\n  csnas trial run --spec runs/s0/work/trial-5.spec --out runs/s0/work/trial-5.result"
    )]
    Trial(trial::TrialArgs),
    /// Train a genotype's evaluation network with labels (supervised) and report test accuracy.
    #[command(
        after_help = "Example:\n  csnas train --genotype DARTS_V2 --out model.safetensors\n  csnas train --genotype DARTS_V2 --checkpoint run.safetensors\n  csnas train --genotype DARTS_V2 --resume run.safetensors\n  csnas train --genotype PDARTS --data cifar10:data/cifar-10-batches-bin --print-config"
    )]
    Train(train::TrainArgs),
    /// Write a trained network's per-image logits as CSV.
    #[command(
        after_help = "Example:\n  csnas predict --model model.safetensors > logits.csv\n  csnas predict --model weights.safetensors --genotype DARTS_V2 --data folder:images > logits.csv"
    )]
    Predict(predict::PredictArgs),
    /// Compare every op of a backend (default cuda) against the CPU reference.
    #[command(
        after_help = "Example:\n  csnas verify --backend cuda\n  csnas verify --backend cpu --csv"
    )]
    Verify(verify::VerifyArgs),
    /// Time the search network's training step on the CPU (median, op shares, peak memory).
    #[command(
        after_help = "Examples:\n  csnas bench --threads 1,0 --reps 10\n  csnas bench --loss pirl-nce --channels 32 --batch 512 --threads 1 --reps 3"
    )]
    Bench(bench::BenchArgs),
}

/// Runs the CLI on the process arguments and returns the process exit code.
pub fn main() -> i32 {
    main_with_args(std::env::args_os())
}

/// Runs the CLI on `args` (the first being the program name), writing results
/// to stdout and errors to stderr; returns the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors go to stderr with code 2; --help/--version to stdout with 0.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let stdout = std::io::stdout();
    match run(cli, &mut stdout.lock()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln_error(&e);
            e.exit_code()
        }
    }
}

/// Runs one parsed command, writing its output to `out`.
/// Parses `--backend` (`cpu`, `cuda`, `cuda:N`) for every command that computes.
pub(crate) fn parse_backend(s: &str) -> std::result::Result<crate::backend::BackendKind, String> {
    s.parse::<crate::backend::BackendKind>()
        .map_err(|e| e.to_string())
}

pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match cli.command {
        Command::Genotype(args) => genotype::run(args, out),
        Command::Search(args) => interrupt::explain(search::run(args, out)),
        Command::Replay(args) => replay::run(args, out),
        Command::Audit(args) => audit::run(args, out),
        Command::Show(args) => show::run(args, out),
        Command::Sign(args) => sign::run(args, out),
        Command::Plot(args) => plot::run(args, out),
        Command::Study(args) => study::run(args, out),
        Command::LinearEval(args) => linear_eval::run(args, out),
        Command::Train(args) => train::run(args, out),
        Command::Trial(args) => trial::run(args, out),
        Command::Predict(args) => predict::run(args, out),
        Command::Verify(args) => verify::run(args, out),
        Command::Bench(args) => bench::run(args, out),
    }
}

/// Writes `text` to `out`. A closed pipe (`csnas genotype list | head -1`) is
/// not an error worth reporting: the reader has what it wanted.
pub(crate) fn write_out(out: &mut dyn Write, text: &str) -> Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}

/// Prints `error: <message>` as one line, the message's own chain included
/// (its `Display` already names the file, flag or value). Newlines inside a
/// message are flattened so scripts can rely on one line per error, and other
/// control characters (from a file's content) are escaped.
fn eprintln_error(e: &Error) {
    let message = crate::limits::escape(&e.to_string().replace('\n', " "));
    // A Ctrl-C stop is not a failure: its line says what was kept.
    let prefix = if matches!(e, Error::Interrupted(_)) {
        ""
    } else {
        "error: "
    };
    let _ = writeln!(std::io::stderr().lock(), "{prefix}{message}");
}
