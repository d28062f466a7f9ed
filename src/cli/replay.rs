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
}

/// The real runner for the log in `dir`, its data located by `data` (or the
/// built-in digits).
pub(crate) fn runner_for(dir: &std::path::Path, data: Option<&str>) -> Result<ContrastiveRunner> {
    runner_for_config(&read_config(dir)?, data)
}

/// The real runner for `config`, its data located by `data` (or the
/// built-in digits).
pub(crate) fn runner_for_config(
    config: &crate::search::SearchConfig,
    data: Option<&str>,
) -> Result<ContrastiveRunner> {
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
    ContrastiveRunner::new(config, dataset)
}

/// Runs `csnas replay`.
pub fn run(args: ReplayArgs, out: &mut dyn Write) -> Result<()> {
    let runner = runner_for(&args.dir, args.data.as_deref())?;
    let bars = (!args.quiet).then(Bars::new);
    let observer: &dyn SearchObserver = match &bars {
        Some(b) => b,
        None => &Silent,
    };
    let report = with_threads(args.threads, || replay(&args.dir, &runner, observer))??;
    if let Some(b) = &bars {
        b.finish();
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
