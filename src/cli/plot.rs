//! `csnas plot DIR`: SVG figures of a search log — the optimisation history
//! (`history.svg`) and the objective against each edge's op (`ops.svg`).
//!
//! Why here: the figures Optuna users look at first, drawn from the
//! verified log alone (no training, nothing hashed), so they can be made
//! from anyone's published log.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::plot::{history_svg, ops_svg};
use crate::search::runner::read_log;

/// Arguments of `csnas plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The search log's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Folder the figures are written to (created if missing) [default: DIR/plots].
    #[arg(long, value_name = "FOLDER")]
    pub out: Option<PathBuf>,
}

/// Runs `csnas plot`, writing the figures and printing their paths.
pub fn run(args: PlotArgs, out: &mut dyn Write) -> Result<()> {
    let ledger = Ledger::open_read_only(&args.dir)?;
    let (_, config, trials) = read_log(&ledger)?;
    let trials: Vec<_> = trials.into_iter().map(|(_, t)| t).collect();
    let folder = args.out.clone().unwrap_or_else(|| args.dir.join("plots"));
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    let name = args.dir.display().to_string();
    let figures = [
        (
            "history.svg",
            history_svg(
                &trials,
                &format!(
                    "{name}: optimisation history ({}, seed {})",
                    config.objective, config.seed
                ),
            )?,
        ),
        (
            "ops.svg",
            ops_svg(
                &trials,
                &format!("{name}: objective against each edge's op"),
            )?,
        ),
    ];
    let mut text = String::new();
    for (file, svg) in figures {
        let path = folder.join(file);
        std::fs::write(&path, svg).map_err(|e| Error::io(&path, e))?;
        text.push_str(&format!("{}\n", path.display()));
    }
    write_out(out, &text)
}
