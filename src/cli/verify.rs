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
    /// Print the report as JSON (one object per op output) instead of a table.
    #[arg(long)]
    pub json: bool,
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
    let report = if args.json {
        verify::render_json(&reference.name(), &candidate.name(), &rows)
    } else {
        verify::render_table(&reference.name(), &candidate.name(), &rows)
    };
    super::write_out(out, &report)?;
    verify::check(&rows)
}
