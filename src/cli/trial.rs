//! `csnas trial run --spec FILE --out FILE`: run one trial from its spec.
//!
//! Why a command: it is the unit of work of every executor — a local worker
//! process and a Slurm array task both run exactly this — so a trial can run
//! on any machine that sees the spec, the data and the output folder
//! ([`crate::search::trial`]).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::write_out;
use crate::error::Result;
use crate::parallel::with_threads;
use crate::search::open::runner_for_config;
use crate::search::runner::TrialRunner;
use crate::search::trial::{SpecRun, run_spec_file};

/// Arguments of `csnas trial`.
#[derive(Debug, Args)]
pub struct TrialArgs {
    #[command(subcommand)]
    pub command: TrialCommand,
}

/// The `csnas trial` subcommands.
#[derive(Debug, Subcommand)]
pub enum TrialCommand {
    /// Run one trial from its spec file and write its result file.
    #[command(
        after_help = "Example (what a search's workers run):\n  csnas trial run --spec LOG/work/trial-5.spec --out LOG/work/trial-5.result"
    )]
    Run(RunArgs),
}

/// Arguments of `csnas trial run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The trial spec (written by `csnas search` into `<log>/work/trial-<t>.spec`).
    #[arg(long, value_name = "FILE")]
    pub spec: PathBuf,
    /// Where to write the result (atomically); if it already holds this
    /// spec's result, nothing is trained.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Where the search's data is (`cifar10:PATH`, `folder:PATH`); needed
    /// unless the search runs on `digits`. Checked against the recorded digest
    /// [default: the built-in digits].
    #[arg(long)]
    pub data: Option<String>,
    /// Threads for this trial (0 = all cores); results are identical for any count.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
}

/// Runs `csnas trial`.
pub fn run(args: TrialArgs, out: &mut dyn Write) -> Result<()> {
    let TrialCommand::Run(args) = args.command;
    let data = args.data.clone();
    let make = move |config: &crate::search::SearchConfig| -> Result<Box<dyn TrialRunner>> {
        Ok(Box::new(
            runner_for_config(config, data.as_deref(), None)?.0,
        ))
    };
    let done = with_threads(args.threads, || {
        run_spec_file(&args.spec, &args.out, &make, &mut |_, _, _, _| {})
    })??;
    let what = match done {
        SpecRun::Ran => "trained",
        SpecRun::AlreadyDone => "already done, nothing trained",
    };
    write_out(out, &format!("{}: {what}\n", args.out.display()))
}
