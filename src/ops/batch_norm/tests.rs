//! Batch-norm tests: PyTorch golden values, a hand-computed case, finite-
//! difference gradients in f64 and bit-identity across thread counts in f32.

use super::*;
use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
use crate::parallel::with_threads;
use ndarray::{Array1, Array4, ArrayD, Ix1, Ix4, array};

const SHAPE: (usize, usize, usize, usize) = (2, 3, 2, 2);

/// The golden script's inputs: `x[i] = ((7i) % 11 - 5) / 3`,
/// `r[i] = ((5i) % 7 - 3) / 4` over the flat index of shape (2, 3, 2, 2).
fn golden_inputs() -> (Array4<f64>, Array4<f64>, Array1<f64>, Array1<f64>) {
    let x = Array4::from_shape_fn(SHAPE, |(n, c, y, xx)| {
        let i = ((n * 3 + c) * 2 + y) * 2 + xx;
        (((7 * i) % 11) as f64 - 5.0) / 3.0
    });
    let r = Array4::from_shape_fn(SHAPE, |(n, c, y, xx)| {
        let i = ((n * 3 + c) * 2 + y) * 2 + xx;
        (((5 * i) % 7) as f64 - 3.0) / 4.0
    });
    (x, r, array![1.5, -0.5, 2.0], array![0.1, 0.2, -0.3])
}

fn assert_close(what: &str, got: impl IntoIterator<Item = f64>, want: &[f64], tol: f64) {
    let got: Vec<f64> = got.into_iter().collect();
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol, "{what}[{i}]: got {g}, want {w}");
    }
}

// Values printed by fixtures/golden/ops/batch_norm_golden.py (PyTorch
// BatchNorm2d, float64).
const STEP1_RM: [f64; 3] = [
    0.02500000000000001,
    -0.004166666666666668,
    -0.03333333333333333,
];
const STEP1_RV: [f64; 3] = [1.038888888888889, 1.0061507936507936, 1.0301587301587303];
const STEP1_Y: [f64; 24] = [
    -2.5079441339584467,
    0.6669443769474882,
    -1.1472776292844744,
    2.0276108816214604,
    0.005449081774117709,
    0.6971856799105881,
    -0.5133533668282351,
    0.1783832313082353,
    -2.174076915026584,
    2.198769220035446,
    -0.3,
    -2.798769220035446,
    0.6669443769474882,
    -1.1472776292844744,
    2.0276108816214604,
    0.21338887538949758,
    0.6971856799105881,
    -0.5133533668282351,
    0.1783832313082353,
    0.8701198294447057,
    2.198769220035446,
    -0.3,
    -2.798769220035446,
    1.5740769150265843,
];
const DX: [f64; 24] = [
    -0.7833556966488784,
    0.8358381156881121,
    0.20215590249711152,
    -0.559816668345349,
    -0.3910409148802346,
    -0.009455756477308603,
    0.03612358314580593,
    0.417708741548732,
    0.364249647249378,
    0.6270669719645304,
    -0.995603361107873,
    0.6613609071162462,
    0.49567148951961904,
    -0.13801072367138148,
    -0.8999832945138421,
    0.8475008754746084,
    0.1202448556732796,
    0.16582419529639414,
    -0.3604949313547972,
    0.0210902270481288,
    0.15854774320788437,
    -1.464122589864519,
    0.1928416783596001,
    0.45565900307475266,
];
const DGAMMA: [f64; 3] = [
    0.22677775077899515,
    -1.3618564275811762,
    -2.3425961437832306,
];
const DBETA: [f64; 3] = [-1.0, 0.5, 0.25];
const STEP2_RM: [f64; 3] = [
    0.17250000000000004,
    0.08791666666666667,
    0.003333333333333334,
];
const STEP2_RV: [f64; 3] = [1.4905555555555559, 1.330138888888889, 1.447777777777778];
const EVAL_Y: [f64; 24] = [
    -2.15962726089723,
    0.7071404466298401,
    -0.9310125290999142,
    1.935755178427156,
    0.09360433596917517,
    0.6716452950500572,
    -0.3399263833414864,
    0.23811457573939568,
    -2.521777992264173,
    1.3566374555785232,
    -0.8595999431887319,
    -3.0758373419559875,
    0.7071404466298401,
    -0.9310125290999142,
    1.935755178427156,
    0.29760220269740156,
    0.6716452950500572,
    -0.3399263833414864,
    0.23811457573939568,
    0.8161555348202777,
    1.3566374555785232,
    -0.8595999431887319,
    -3.0758373419559875,
    0.8025781058867094,
];

#[test]
fn training_steps_and_eval_match_pytorch_golden() {
    let (x, r, g, b) = golden_inputs();
    let p = BatchNormParams::default();
    let mut rm = Array1::<f64>::zeros(3);
    let mut rv = Array1::<f64>::ones(3);
    let (y, cache) = batch_norm_train_forward(&x, Some(&g), Some(&b), &mut rm, &mut rv, &p);
    assert_close("step1 y", y.iter().copied(), &STEP1_Y, 1e-12);
    assert_close("step1 running_mean", rm.iter().copied(), &STEP1_RM, 1e-15);
    assert_close("step1 running_var", rv.iter().copied(), &STEP1_RV, 1e-14);

    let (dx, dg, db) = batch_norm_backward(&r, Some(&g), &cache);
    assert_close("dx", dx.iter().copied(), &DX, 1e-12);
    assert_close("dgamma", dg.iter().copied(), &DGAMMA, 1e-12);
    assert_close("dbeta", db.iter().copied(), &DBETA, 1e-12);

    let x2 = x.mapv(|v| 2.0 * v + 1.0);
    let _ = batch_norm_train_forward(&x2, Some(&g), Some(&b), &mut rm, &mut rv, &p);
    assert_close("step2 running_mean", rm.iter().copied(), &STEP2_RM, 1e-15);
    assert_close("step2 running_var", rv.iter().copied(), &STEP2_RV, 1e-14);

    let ye = batch_norm_eval_forward(&x, Some(&g), Some(&b), &rm, &rv, &p);
    assert_close("eval y", ye.iter().copied(), &EVAL_Y, 1e-12);
}

#[test]
fn non_affine_forward_matches_hand_computation() {
    // One channel, values 1, 2, 3, 4: mean 2.5, biased var 1.25, unbiased 5/3.
    // x_hat = (-1.5, -0.5, 0.5, 1.5) / sqrt(1.25 + 1e-5);
    // running_mean = 0.1·2.5 + 0.9·0 = 0.25; running_var = 0.1·5/3 + 0.9·1.
    let x = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let mut rm = Array1::<f64>::zeros(1);
    let mut rv = Array1::<f64>::ones(1);
    let p = BatchNormParams::default();
    let (y, cache) = batch_norm_train_forward(&x, None, None, &mut rm, &mut rv, &p);
    let s = (1.25f64 + 1e-5).sqrt();
    let want = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s];
    assert_close("y", y.iter().copied(), &want, 1e-15);
    assert_eq!(y, cache.x_hat, "non-affine output is x_hat");
    assert_close("running_mean", rm.iter().copied(), &[0.25], 1e-16);
    assert_close(
        "running_var",
        rv.iter().copied(),
        &[0.1 * 5.0 / 3.0 + 0.9],
        1e-15,
    );
}

/// `Σ r·y` of a fresh training-mode forward (running stats discarded).
fn loss(x: &Array4<f64>, g: Option<&Array1<f64>>, b: Option<&Array1<f64>>, r: &Array4<f64>) -> f64 {
    let c = x.dim().1;
    let (mut rm, mut rv) = (Array1::zeros(c), Array1::ones(c));
    let (y, _) = batch_norm_train_forward(x, g, b, &mut rm, &mut rv, &BatchNormParams::default());
    dot_all(&y, r)
}

fn to4(a: &ArrayD<f64>) -> Array4<f64> {
    a.clone().into_dimensionality::<Ix4>().unwrap()
}

fn to1(a: &ArrayD<f64>) -> Array1<f64> {
    a.clone().into_dimensionality::<Ix1>().unwrap()
}

#[test]
fn affine_gradients_match_finite_differences() {
    let shape = Ix4(3, 2, 3, 2);
    let x = random_array("bn/x", shape);
    let r = random_array("bn/r", shape);
    let g = random_array("bn/g", Ix1(2)).mapv(|v| v + 1.5);
    let b = random_array("bn/b", Ix1(2));
    let (mut rm, mut rv) = (Array1::zeros(2), Array1::ones(2));
    let p = BatchNormParams::default();
    let (_, cache) = batch_norm_train_forward(&x, Some(&g), Some(&b), &mut rm, &mut rv, &p);
    let (dx, dg, db) = batch_norm_backward(&r, Some(&g), &cache);
    check_gradient(
        "bn dx",
        &dyn_of(&x),
        &dyn_of(&dx),
        |xv| loss(&to4(xv), Some(&g), Some(&b), &r),
        100,
        1e-6,
    );
    check_gradient(
        "bn dgamma",
        &dyn_of(&g),
        &dyn_of(&dg),
        |gv| loss(&x, Some(&to1(gv)), Some(&b), &r),
        100,
        1e-6,
    );
    check_gradient(
        "bn dbeta",
        &dyn_of(&b),
        &dyn_of(&db),
        |bv| loss(&x, Some(&g), Some(&to1(bv)), &r),
        100,
        1e-6,
    );
}

#[test]
fn non_affine_gradient_matches_finite_differences() {
    let shape = Ix4(2, 3, 2, 3);
    let x = random_array("bn/x", shape);
    let r = random_array("bn/r", shape);
    let (mut rm, mut rv) = (Array1::zeros(3), Array1::ones(3));
    let p = BatchNormParams::default();
    let (_, cache) = batch_norm_train_forward(&x, None, None, &mut rm, &mut rv, &p);
    let (dx, _, _) = batch_norm_backward(&r, None, &cache);
    check_gradient(
        "bn dx non-affine",
        &dyn_of(&x),
        &dyn_of(&dx),
        |xv| loss(&to4(xv), None, None, &r),
        100,
        1e-6,
    );
}

#[test]
fn results_are_bit_identical_at_1_2_and_3_threads() {
    let shape = Ix4(4, 5, 3, 3);
    let x = random_array("bn/x", shape).mapv(|v| v as f32);
    let r = random_array("bn/r", shape).mapv(|v| v as f32);
    let g = random_array("bn/g", Ix1(5)).mapv(|v| v as f32);
    let b = random_array("bn/b", Ix1(5)).mapv(|v| v as f32);
    let run = || {
        let (mut rm, mut rv) = (Array1::<f32>::zeros(5), Array1::<f32>::ones(5));
        let p = BatchNormParams::default();
        let (y, cache) = batch_norm_train_forward(&x, Some(&g), Some(&b), &mut rm, &mut rv, &p);
        let (dx, dg, db) = batch_norm_backward(&r, Some(&g), &cache);
        let ye = batch_norm_eval_forward(&x, Some(&g), Some(&b), &rm, &rv, &p);
        let bits = |a: &mut dyn Iterator<Item = f32>| a.map(f32::to_bits).collect::<Vec<u32>>();
        [
            bits(&mut y.iter().copied()),
            bits(&mut dx.iter().copied()),
            bits(&mut dg.iter().copied()),
            bits(&mut db.iter().copied()),
            bits(&mut rm.iter().copied()),
            bits(&mut rv.iter().copied()),
            bits(&mut ye.iter().copied()),
        ]
    };
    let one = with_threads(1, run).unwrap();
    assert_eq!(one, with_threads(2, run).unwrap(), "2 threads");
    assert_eq!(one, with_threads(3, run).unwrap(), "3 threads");
}

/// Each channel's chains written plainly: `Σ x`, `Σ (x - mean)²` and
/// `(Σ dy, Σ dy·x_hat)` over `(n, i)` ascending from +0.
fn plain_sums(
    x: &[f32],
    y: &[f32],
    mean: &[f32],
    (n, c, plane): (usize, usize, usize),
) -> Vec<[u32; 4]> {
    (0..c)
        .map(|ch| {
            let (mut s, mut d2, mut sy) = (0f32, 0f32, 0f32);
            for ni in 0..n {
                for i in (ni * c + ch) * plane..(ni * c + ch + 1) * plane {
                    s += x[i];
                    let d = x[i] - mean[ch];
                    d2 += d * d;
                    sy += x[i] * y[i];
                }
            }
            [s.to_bits(), d2.to_bits(), s.to_bits(), sy.to_bits()]
        })
        .collect()
}

/// The reductions on whichever path the machine takes (AVX-512: 16-channel
/// groups, transposed blocks, a masked last block; else the scalar groups)
/// equal the plain chains bitwise, on channel counts and planes that are
/// multiples of neither 16 nor 8, at 1 and 2 threads. Where the CPU lacks
/// AVX-512F only the scalar path runs (said on stderr).
#[test]
fn channel_sums_equal_the_plain_chains_bitwise_on_ragged_shapes() {
    if !crate::ops::simd::avx512_f32::<f32>() {
        eprintln!("no AVX-512F here: the 16-channel batch-norm path is not exercised");
    }
    for (n, c, plane) in [
        (3, 16, 37),
        (2, 35, 16),
        (1, 48, 64),
        (2, 17, 1),
        (4, 33, 100),
        (2, 64, 15),
    ] {
        let len = n * c * plane;
        let x: Vec<f32> = random_array("bn x", ndarray::Ix1(len))
            .iter()
            .map(|&v| v as f32 * 3.0 + 0.5)
            .collect();
        let y: Vec<f32> = random_array("bn y", ndarray::Ix1(len))
            .iter()
            .map(|&v| v as f32)
            .collect();
        let mean: Vec<f32> = (0..c).map(|ch| ch as f32 * 0.01 - 0.1).collect();
        let want = plain_sums(&x, &y, &mean, (n, c, plane));
        for threads in [1, 2] {
            let got = with_threads(threads, || {
                let dims = (n, c, plane);
                let s = channel_sums(dims, Pass::Sum(&x), |_, i| [x[i]]);
                let d2 = channel_sums(dims, Pass::Ssd(&x, &mean), |ch, i| {
                    let d = x[i] - mean[ch];
                    [d * d]
                });
                let sy = channel_sums(dims, Pass::DyXhat(&x, &y), |_, i| [x[i], x[i] * y[i]]);
                (0..c)
                    .map(|ch| {
                        [
                            s[ch][0].to_bits(),
                            d2[ch][0].to_bits(),
                            sy[ch][0].to_bits(),
                            sy[ch][1].to_bits(),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .expect("pool");
            assert_eq!(got, want, "n={n} c={c} plane={plane} threads={threads}");
        }
    }
}
