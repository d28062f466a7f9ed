//! The flags every computing command shares, as one struct each command
//! flattens into its own (hyperfine's `Options` style): one spelling, one
//! default and one help text for `--seed`, `--threads`, `--quiet` and
//! `--backend`.

use clap::Args;

use crate::backend::BackendKind;

/// `--seed`, `--threads`, `--quiet`, `--backend`.
#[derive(Clone, Debug, Args)]
pub struct RunFlags {
    /// Master seed: every random draw derives from it.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Worker threads (0 = all cores; a search divides them among its
    /// workers, 1 per Slurm task); results are identical for any count.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// No progress bars, no settings on stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Where to compute: cpu (the reference), cuda, cuda:N, cuda-exact or
    /// cuda-exact:N. A log records its arithmetic name (`cpu-f32` for the CPU).
    #[arg(long, default_value = "cpu", value_parser = super::parse_backend)]
    pub backend: BackendKind,
}
