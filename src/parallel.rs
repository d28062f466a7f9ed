//! Thread-count control for the CPU reference.
//!
//! Why: DESIGN 3.1.1 requires bit-identical results at any thread count. Ops
//! parallelise only over independent outputs (with rayon), so the count only
//! changes speed; this module lets the CLI and the tests pick it explicitly.

use crate::error::{Error, Result};

/// Runs `f` on a rayon pool of exactly `threads` threads (0 = all cores).
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::invalid(format!("cannot start {threads} threads: {e}")))?;
    Ok(pool.install(f))
}

/// Number of threads in the current pool.
pub fn current_threads() -> usize {
    rayon::current_num_threads()
}
