//! gemm against a naive f64 product, against the scalar fma chain (bitwise:
//! the order is the spec) and across thread counts (bitwise).

use super::{MatRef, gemm};
use crate::ops::testing::random_array;
use crate::parallel::with_threads;
use ndarray::Array2;

/// Row-major data of an `r × c` matrix, optionally stored transposed.
fn operand(label: &str, r: usize, c: usize, transposed: bool) -> Vec<f64> {
    let shape = if transposed {
        ndarray::Ix2(c, r)
    } else {
        ndarray::Ix2(r, c)
    };
    random_array(label, shape).into_raw_vec_and_offset().0
}

fn mat<T: Copy>(data: &[T], r: usize, c: usize, transposed: bool) -> MatRef<'_, T> {
    if transposed {
        MatRef::row_major(data, c, r).t()
    } else {
        MatRef::row_major(data, r, c)
    }
}

/// Plain f64 triple loop (separate multiply and add): an independent reference.
fn naive(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((a.rows, b.cols), |(i, j)| {
        let mut s = 0.0;
        for p in 0..a.cols {
            s += a.at(i, p) * b.at(p, j);
        }
        s
    })
}

/// The spec written as plainly as possible, in f32.
fn scalar_chain_f32(a: MatRef<'_, f32>, b: MatRef<'_, f32>, c0: Option<&[f32]>) -> Vec<f32> {
    let mut out = Vec::new();
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut acc = c0.map_or(0.0, |c| c[i * b.cols + j]);
            for p in 0..a.cols {
                acc = a.at(i, p).mul_add(b.at(p, j), acc);
            }
            out.push(acc);
        }
    }
    out
}

const SHAPES: [(usize, usize, usize); 5] = [
    (1, 1, 1),
    (7, 13, 5),
    (65, 33, 129),
    (100, 300, 70),
    (13, 600, 2100),
];

#[test]
fn gemm_f64_matches_naive_product_for_odd_shapes_and_transposes() {
    for &(m, k, n) in &SHAPES[..4] {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let ad = operand("a", m, k, ta);
            let bd = operand("b", k, n, tb);
            let (a, b) = (mat(&ad, m, k, ta), mat(&bd, k, n, tb));
            let mut c = vec![f64::NAN; m * n];
            gemm(a, b, &mut c, false);
            let r = naive(a, b);
            for (x, y) in c.iter().zip(r.iter()) {
                assert!(
                    (x - y).abs() < 1e-12 * (k as f64),
                    "{m}x{k}x{n} {ta} {tb}: {x} vs {y}"
                );
            }
        }
    }
}

#[test]
fn gemm_f32_equals_scalar_fma_chain_bitwise() {
    for &(m, k, n) in &SHAPES {
        for (ta, tb) in [(false, false), (true, true), (false, true)] {
            let ad: Vec<f32> = operand("a", m, k, ta).iter().map(|&v| v as f32).collect();
            let bd: Vec<f32> = operand("b", k, n, tb).iter().map(|&v| v as f32).collect();
            let (a, b) = (mat(&ad, m, k, ta), mat(&bd, k, n, tb));
            let mut c = vec![0f32; m * n];
            gemm(a, b, &mut c, false);
            let r = scalar_chain_f32(a, b, None);
            let same = c.iter().zip(&r).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(
                same,
                "{m}x{k}x{n} ta={ta} tb={tb}: packed gemm differs from the chain"
            );
        }
    }
}

#[test]
fn gemm_accumulate_continues_the_chain_from_existing_c() {
    let (m, k, n) = (37, 300, 41);
    let ad: Vec<f32> = operand("a", m, k, false)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let bd: Vec<f32> = operand("b", k, n, true).iter().map(|&v| v as f32).collect();
    let c0: Vec<f32> = operand("c", m, n, false)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let (a, b) = (mat(&ad, m, k, false), mat(&bd, k, n, true));
    let mut c = c0.clone();
    gemm(a, b, &mut c, true);
    let r = scalar_chain_f32(a, b, Some(&c0));
    assert!(c.iter().zip(&r).all(|(x, y)| x.to_bits() == y.to_bits()));
}

#[test]
fn gemm_f32_is_bit_identical_at_1_2_and_4_threads() {
    let (m, k, n) = (130, 520, 77);
    let ad: Vec<f32> = operand("a", m, k, false)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let bd: Vec<f32> = operand("b", k, n, false)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let run = |t: usize| {
        with_threads(t, || {
            let mut c = vec![0f32; m * n];
            gemm(mat(&ad, m, k, false), mat(&bd, k, n, false), &mut c, false);
            c.iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
        })
        .expect("pool")
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
}

#[test]
#[should_panic(expected = "inner dimensions")]
fn gemm_rejects_mismatched_inner_dimensions() {
    let d = [0f32; 6];
    let mut c = [0f32; 4];
    gemm(
        MatRef::row_major(&d, 2, 3),
        MatRef::row_major(&d, 2, 2),
        &mut c,
        false,
    );
}

/// Timing note: `cargo test --release --lib gemm_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn gemm_timing_256_cubed_single_thread() {
    let s = 256;
    let ad: Vec<f32> = operand("a", s, s, false)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let bd: Vec<f32> = operand("b", s, s, false)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let mut c = vec![0f32; s * s];
    with_threads(1, || {
        let reps = 50;
        let t = std::time::Instant::now();
        for _ in 0..reps {
            gemm(mat(&ad, s, s, false), mat(&bd, s, s, false), &mut c, false);
        }
        let secs = t.elapsed().as_secs_f64() / reps as f64;
        let gf = 2.0 * (s * s * s) as f64 / secs / 1e9;
        eprintln!(
            "gemm f32 256^3, 1 thread: {:.3} ms, {gf:.1} GFLOP/s",
            secs * 1e3
        );
    })
    .expect("pool");
}
