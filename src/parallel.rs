//! Thread-count control for the CPU reference.
//!
//! Why: DESIGN 3.1.1 requires bit-identical results at any thread count. Ops
//! parallelise only over independent outputs (with rayon), so the count only
//! changes speed; this module lets the CLI and the tests pick it explicitly.

use crate::error::{Error, Result};
use rayon::prelude::*;

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

/// Elements one rayon task takes at least in the elementwise helpers below
/// (an element is a few instructions; smaller tasks cost more to hand out).
pub const ELEMENTS_PER_TASK: usize = 1 << 14;

/// `f` of every element of `xs`, in parallel, collected straight into a new
/// vector: rayon writes each element once, so the output is never
/// zero-filled first (a `vec![0; n]` then overwritten costs a whole extra
/// pass over memory). Elementwise, so the thread count changes no value.
pub fn map_collect<A: Sync, T: Send>(xs: &[A], f: impl Fn(&A) -> T + Sync + Send) -> Vec<T> {
    let mut out = Vec::new();
    xs.par_iter()
        .with_min_len(ELEMENTS_PER_TASK)
        .map(f)
        .collect_into_vec(&mut out);
    out
}

/// `f` of every pair `(xs[i], ys[i])`, as [`map_collect`].
pub fn zip_collect<A: Sync, B: Sync, T: Send>(
    xs: &[A],
    ys: &[B],
    f: impl Fn(&A, &B) -> T + Sync + Send,
) -> Vec<T> {
    assert_eq!(xs.len(), ys.len(), "zip_collect: lengths differ");
    let mut out = Vec::new();
    xs.par_iter()
        .zip(ys)
        .with_min_len(ELEMENTS_PER_TASK)
        .map(|(a, b)| f(a, b))
        .collect_into_vec(&mut out);
    out
}

/// `f(&mut acc[i], &g[i])` for every element, in parallel chunks.
pub fn zip_apply<A: Send, B: Sync>(acc: &mut [A], g: &[B], f: impl Fn(&mut A, &B) + Sync + Send) {
    assert_eq!(acc.len(), g.len(), "zip_apply: lengths differ");
    acc.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(g.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|(a, b)| a.iter_mut().zip(b).for_each(|(a, b)| f(a, b)));
}
