//! `csnas verify`: compare a backend's ops against the CPU reference.
//!
//! Why a command: DESIGN 1 lists verifying the GPU path against the CPU
//! reference as a use case; the library side is [`crate::verify`]. Exit 0
//! when every op output is within its stated tolerance, 1 when one is not,
//! 2 when a backend cannot be opened (e.g. no CUDA driver, or a build
//! without the `cuda` feature) or an op is not implemented on it.

use std::io::Write;

use clap::Args;

use crate::backend::BackendKind;
use crate::error::Result;
use crate::verify;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The backend under test: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cuda", value_parser = parse_backend)]
    pub backend: BackendKind,
    /// The reference backend.
    #[arg(long, default_value = "cpu", value_parser = parse_backend)]
    pub reference: BackendKind,
    /// Seed of the op inputs.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Hold every op to zero error (a bit-exact candidate), instead of each
    /// op's stated tolerance.
    #[arg(long)]
    pub exact: bool,
    #[command(flatten)]
    pub export: super::export::ExportArgs,
}

use super::parse_backend;

pub fn run(args: VerifyArgs, out: &mut dyn Write) -> Result<()> {
    let reference = verify::op_backend(args.reference)?;
    let candidate = verify::op_backend(args.backend)?;
    let rows = verify::compare_with(
        reference.as_ref(),
        candidate.as_ref(),
        args.seed,
        args.exact,
    )?;
    let report = if args.export.json {
        verify::render_json(&reference.name(), &candidate.name(), &rows)
    } else if args.export.csv {
        render_csv(&reference.name(), &candidate.name(), &rows)
    } else {
        verify::render_table(&reference.name(), &candidate.name(), &rows)
    };
    super::write_out(out, &report)?;
    verify::check(&rows)
}

/// `verify --csv`: one row per op output (README, "Export formats"); a NaN
/// divergence is written `NaN`.
fn render_csv(reference: &str, candidate: &str, rows: &[verify::OutputDivergence]) -> String {
    let header = [
        "reference",
        "candidate",
        "op",
        "output",
        "max_abs",
        "max_rel",
        "atol",
        "rtol",
        "ok",
        "failure",
    ];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                reference.to_string(),
                candidate.to_string(),
                r.op.name().to_string(),
                r.output.to_string(),
                r.max_abs.to_string(),
                r.max_rel.to_string(),
                r.tolerance.atol.to_string(),
                r.tolerance.rtol.to_string(),
                r.failure.is_none().to_string(),
                r.failure.clone().unwrap_or_default(),
            ]
        })
        .collect();
    super::export::csv(&header, &rows)
}
