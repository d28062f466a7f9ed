//! gemm against a naive f64 product, against the scalar fma chain (bitwise:
//! the order is the spec) and across thread counts (bitwise).

use super::{MatRef, gemm, gemm_scalar, kernel};
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

type Kernel = fn(MatRef<'_, f32>, MatRef<'_, f32>, &mut [f32], bool);

/// The f32 kernels `gemm` can dispatch to on this machine: the generic one
/// always, the AVX-512 ones where the CPU has AVX-512F.
fn kernels() -> Vec<(&'static str, Kernel)> {
    let mut paths: Vec<(&str, Kernel)> = vec![("generic 6x16", |a, b, c, acc| {
        kernel::gemm_packed::<f32, 6, 16, false>(a, b, c, acc)
    })];
    if crate::ops::simd::avx512_f32::<f32>() {
        paths.push(("avx512 8x32", |a, b, c, acc| {
            kernel::gemm_packed::<f32, 8, 32, true>(a, b, c, acc)
        }));
        paths.push(("avx512 8x16", |a, b, c, acc| {
            kernel::gemm_packed::<f32, 8, 16, true>(a, b, c, acc)
        }));
    }
    paths
}

/// An `r × c` view into a larger buffer: rows `row_stride` apart (padding
/// between rows), or transposed (then `col_stride` is the padded stride).
fn strided(data: &[f32], r: usize, c: usize, pad: usize, transposed: bool) -> MatRef<'_, f32> {
    if transposed {
        MatRef {
            data,
            rows: r,
            cols: c,
            row_stride: 1,
            col_stride: r + pad,
        }
    } else {
        MatRef {
            data,
            rows: r,
            cols: c,
            row_stride: c + pad,
            col_stride: 1,
        }
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every micro-kernel the f32 dispatch can take, bitwise against the scalar
/// chain on shapes that are multiples of no tile (m, n, k ragged; k over one
/// depth block; n over one column block), accumulating or not, with A and B
/// in place (padded row strides), transposed (packed) or both. The AVX-512
/// kernel is checked only where the CPU has AVX-512F (the test says so on
/// stderr and checks the generic kernel alone otherwise).
#[test]
fn every_f32_micro_kernel_equals_the_scalar_chain_on_ragged_shapes() {
    let wide = cfg!(target_arch = "x86_64") && crate::ops::simd::avx512_f32::<f32>();
    if !wide {
        eprintln!("no AVX-512F here: the AVX-512 gemm kernel is not exercised");
    }
    let paths = kernels();
    let shapes = [
        (1, 1, 1),
        (7, 3, 31),
        (9, 17, 33),
        (16, 16, 64),
        (17, 300, 47),
        (23, 5, 2051),
        (45, 70, 100),
    ];
    for (m, k, n) in shapes {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let ad: Vec<f32> = operand("a", m + 3, k + 3, false)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let bd: Vec<f32> = operand("b", k + 3, n + 3, false)
                .iter()
                .map(|&v| v as f32)
                .collect();
            let (a, b) = (strided(&ad, m, k, 3, ta), strided(&bd, k, n, 3, tb));
            let c0: Vec<f32> = operand("c", m, n, false)
                .iter()
                .map(|&v| v as f32)
                .collect();
            for accumulate in [false, true] {
                let mut want = c0.clone();
                gemm_scalar(a, b, &mut want, accumulate);
                for (name, path) in &paths {
                    for threads in [1, 2] {
                        let mut got = if accumulate {
                            c0.clone()
                        } else {
                            vec![f32::NAN; m * n]
                        };
                        with_threads(threads, || path(a, b, &mut got, accumulate)).expect("pool");
                        assert_eq!(
                            bits(&got),
                            bits(&want),
                            "{name}: {m}x{k}x{n} ta={ta} tb={tb} acc={accumulate} t={threads}"
                        );
                    }
                }
            }
        }
    }
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

/// Per-kernel timing on the DARTS shapes (C=16: 16–64 rows, 32², 16², 8²
/// planes), minimum of many runs (robust on a loaded machine):
/// `cargo test --release --lib gemm_timing_darts -- --ignored --nocapture`.
#[test]
#[ignore]
fn gemm_timing_darts_shapes_per_kernel() {
    let paths = kernels();
    // (m, k, n, A transposed, B transposed): forward, backward-data,
    // backward-filter (B transposed) of 1×1 convolutions.
    let shapes = [
        (16, 16, 1024, false, false),
        (16, 64, 1024, false, false),
        (32, 32, 256, false, false),
        (64, 64, 64, false, false),
        (16, 16, 1024, true, false),
        (64, 64, 64, true, false),
        (16, 1024, 16, false, true),
        (32, 256, 32, false, true),
    ];
    with_threads(1, || {
        for (m, k, n, ta, tb) in shapes {
            let ad: Vec<f32> = operand("a", m, k, ta).iter().map(|&v| v as f32).collect();
            let bd: Vec<f32> = operand("b", k, n, tb).iter().map(|&v| v as f32).collect();
            let (a, b) = (mat(&ad, m, k, ta), mat(&bd, k, n, tb));
            let mut c = vec![0f32; m * n];
            let mut line = format!("{m}x{k}x{n} ta={ta} tb={tb}:");
            for (name, path) in &paths {
                let mut best = f64::INFINITY;
                for _ in 0..300 {
                    let t = std::time::Instant::now();
                    path(a, b, &mut c, false);
                    best = best.min(t.elapsed().as_secs_f64());
                }
                let gf = 2.0 * (m * n * k) as f64 / best / 1e9;
                line += &format!("  {name} {:.1} us ({gf:.1} GFLOP/s)", best * 1e6);
            }
            eprintln!("{line}");
        }
    })
    .expect("pool");
}
