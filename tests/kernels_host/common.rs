//! Shared helpers: seeded inputs, launch shapes, bitwise and tolerance checks.

use csnas::rng::StreamPath;
use ndarray::{Array, Dimension};

/// Launch shapes every elementwise kernel is run under: (grid, block).
pub const LAUNCHES: [(u32, u32); 3] = [(1, 32), (3, 64), (7, 128)];

/// Returns false (and the helper prints why) when the kernels were not built.
pub fn ready() -> bool {
    csnas_kernel_host::available()
}

/// `n` values uniform in `[-1, 1)` from stream `kernels_host/<label>`, with
/// every 17th value a signed zero (alternating `+0`, `-0`) so sign-of-zero
/// handling is exercised.
pub fn rand_vec(label: &str, n: usize) -> Vec<f32> {
    let mut s = StreamPath::root(7)
        .child("kernels_host")
        .child(label)
        .stream();
    (0..n)
        .map(|i| match i % 34 {
            16 => 0.0,
            33 => -0.0,
            _ => 2.0 * s.uniform_f32() - 1.0,
        })
        .collect()
}

/// A random array of the given shape (see [`rand_vec`]).
pub fn rand_array<D: Dimension>(label: &str, shape: D) -> Array<f32, D> {
    let n = shape.size();
    Array::from_shape_vec(shape, rand_vec(label, n)).expect("shape")
}

/// Standard-layout data of an array.
pub fn flat<D: Dimension>(a: &Array<f32, D>) -> Vec<f32> {
    a.as_standard_layout().iter().copied().collect()
}

/// Panics naming `what`, the count and the first index where `got` and
/// `want` differ in any bit; returns the number of elements compared.
pub fn assert_bits(what: &str, got: &[f32], want: &[f32]) -> usize {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let bad: Vec<usize> = (0..got.len())
        .filter(|&i| got[i].to_bits() != want[i].to_bits())
        .collect();
    if let Some(&i) = bad.first() {
        panic!(
            "{what}: {} of {} elements differ in bits; first at {i}: kernel {:e} ({:#010x}) vs CPU {:e} ({:#010x})",
            bad.len(),
            got.len(),
            got[i],
            got[i].to_bits(),
            want[i],
            want[i].to_bits()
        );
    }
    got.len()
}

/// Panics unless `|got - want| <= tol * max(1, |want|)` everywhere; returns
/// the largest relative error seen.
pub fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) -> f32 {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let mut worst = 0f32;
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs() / w.abs().max(1.0);
        assert!(
            err <= tol,
            "{what}: element {i}: kernel {g:e} vs CPU {w:e} (relative {err:e} > {tol:e})"
        );
        worst = worst.max(err);
    }
    worst
}
