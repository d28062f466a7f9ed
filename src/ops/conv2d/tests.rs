//! conv2d against naive f64 loops (forward and both gradients), finite
//! differences, the im2col path (depthwise kernel, bitwise) and thread counts.

use super::{Conv2dParams, Geometry, conv2d_backward_data, conv2d_backward_filter, conv2d_forward};
use super::{depthwise, general};
use crate::ops::testing::{check_gradient, dot_all, dyn_of, random_array};
use crate::parallel::with_threads;
use ndarray::{Array4, Ix4};

fn params(
    k: [usize; 2],
    s: [usize; 2],
    p: [usize; 2],
    d: [usize; 2],
    groups: usize,
) -> Conv2dParams {
    Conv2dParams {
        kernel: k,
        stride: s,
        padding: p,
        dilation: d,
        groups,
    }
}

/// (name, N, Cin, H, W, Cout, params): every feature the DARTS ops use.
fn cases() -> Vec<(
    &'static str,
    usize,
    usize,
    usize,
    usize,
    usize,
    Conv2dParams,
)> {
    vec![
        ("3x3", 2, 4, 5, 5, 4, Conv2dParams::square(3, 1, 1)),
        ("3x3_stride2", 2, 4, 5, 5, 3, Conv2dParams::square(3, 2, 1)),
        (
            "3x3_dil2",
            2,
            4,
            5,
            5,
            4,
            params([3, 3], [1, 1], [2, 2], [2, 2], 1),
        ),
        (
            "depthwise3x3",
            2,
            4,
            5,
            5,
            4,
            params([3, 3], [1, 1], [1, 1], [1, 1], 4),
        ),
        (
            "depthwise5x5_dil2_s2",
            2,
            4,
            6,
            5,
            4,
            params([5, 5], [2, 2], [4, 4], [2, 2], 4),
        ),
        (
            "1x7_s12",
            2,
            4,
            5,
            5,
            4,
            params([1, 7], [1, 2], [0, 3], [1, 1], 1),
        ),
        (
            "7x1_s21",
            2,
            4,
            5,
            5,
            4,
            params([7, 1], [2, 1], [3, 0], [1, 1], 1),
        ),
        (
            "groups2",
            2,
            4,
            5,
            4,
            6,
            params([3, 2], [1, 2], [1, 0], [1, 1], 2),
        ),
        ("pointwise", 2, 4, 5, 5, 6, Conv2dParams::square(1, 1, 0)),
        ("1x1_stride2", 2, 4, 5, 5, 2, Conv2dParams::square(1, 2, 0)),
    ]
}

fn inputs(
    name: &str,
    n: usize,
    cin: usize,
    h: usize,
    w: usize,
    cout: usize,
    p: &Conv2dParams,
) -> (Array4<f64>, Array4<f64>) {
    let x = random_array(&format!("{name}/x"), Ix4(n, cin, h, w));
    let wt = random_array(
        &format!("{name}/w"),
        Ix4(cout, cin / p.groups, p.kernel[0], p.kernel[1]),
    );
    (x, wt)
}

/// Calls `f(b, co, ci, oy, ox, iy, ix, ky, kx)` for every in-bounds term of the sum.
#[allow(clippy::type_complexity)]
fn for_each_term(
    x: (usize, usize, usize, usize),
    cout: usize,
    p: &Conv2dParams,
    mut f: impl FnMut([usize; 9]),
) {
    let (n, cin, h, w) = x;
    let (oh, ow) = p.out_hw(h, w);
    let (cig, cog) = (cin / p.groups, cout / p.groups);
    for b in 0..n {
        for co in 0..cout {
            for ci in 0..cig {
                for oy in 0..oh {
                    for ox in 0..ow {
                        for ky in 0..p.kernel[0] {
                            for kx in 0..p.kernel[1] {
                                let iy = (oy * p.stride[0] + ky * p.dilation[0]) as isize
                                    - p.padding[0] as isize;
                                let ix = (ox * p.stride[1] + kx * p.dilation[1]) as isize
                                    - p.padding[1] as isize;
                                if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w {
                                    let cx = (co / cog) * cig + ci;
                                    f([b, co, cx, oy, ox, iy as usize, ix as usize, ky, kx]);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn naive_forward(x: &Array4<f64>, w: &Array4<f64>, p: &Conv2dParams) -> Array4<f64> {
    let (oh, ow) = p.out_hw(x.dim().2, x.dim().3);
    let mut y = Array4::zeros((x.dim().0, w.dim().0, oh, ow));
    for_each_term(
        x.dim(),
        w.dim().0,
        p,
        |[b, co, cx, oy, ox, iy, ix, ky, kx]| {
            let ci = cx % w.dim().1;
            y[[b, co, oy, ox]] += w[[co, ci, ky, kx]] * x[[b, cx, iy, ix]];
        },
    );
    y
}

fn naive_backward(
    x: &Array4<f64>,
    w: &Array4<f64>,
    dy: &Array4<f64>,
    p: &Conv2dParams,
) -> (Array4<f64>, Array4<f64>) {
    let mut dx = Array4::zeros(x.dim());
    let mut dw = Array4::zeros(w.dim());
    for_each_term(
        x.dim(),
        w.dim().0,
        p,
        |[b, co, cx, oy, ox, iy, ix, ky, kx]| {
            let ci = cx % w.dim().1;
            dx[[b, cx, iy, ix]] += w[[co, ci, ky, kx]] * dy[[b, co, oy, ox]];
            dw[[co, ci, ky, kx]] += x[[b, cx, iy, ix]] * dy[[b, co, oy, ox]];
        },
    );
    (dx, dw)
}

fn assert_close(what: &str, a: &Array4<f64>, b: &Array4<f64>) {
    assert_eq!(a.shape(), b.shape(), "{what}: shape");
    for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        assert!((x - y).abs() < 1e-12, "{what}: element {i}: {x} vs {y}");
    }
}

#[test]
fn conv2d_forward_and_gradients_match_naive_loops() {
    for (name, n, cin, h, w, cout, p) in cases() {
        let (x, wt) = inputs(name, n, cin, h, w, cout, &p);
        let y = conv2d_forward(&x, &wt, &p);
        assert_close(&format!("{name} forward"), &y, &naive_forward(&x, &wt, &p));
        let dy = random_array(&format!("{name}/dy"), y.raw_dim());
        let (dx_ref, dw_ref) = naive_backward(&x, &wt, &dy, &p);
        assert_close(
            &format!("{name} dx"),
            &conv2d_backward_data(&dy, &wt, &p, (h, w)),
            &dx_ref,
        );
        assert_close(
            &format!("{name} dw"),
            &conv2d_backward_filter(&x, &dy, &p),
            &dw_ref,
        );
    }
}

#[test]
fn conv2d_gradients_pass_finite_difference_checks() {
    for (name, n, cin, h, w, cout, p) in cases() {
        let (x, wt) = inputs(name, n, cin, h, w, cout, &p);
        let r = random_array(&format!("{name}/r"), conv2d_forward(&x, &wt, &p).raw_dim());
        let dx = conv2d_backward_data(&r, &wt, &p, (h, w));
        let loss_x = |xd: &ndarray::ArrayD<f64>| {
            let xi = xd.clone().into_dimensionality::<Ix4>().expect("4d");
            dot_all(&r, &conv2d_forward(&xi, &wt, &p))
        };
        check_gradient(
            &format!("{name} dx"),
            &dyn_of(&x),
            &dyn_of(&dx),
            loss_x,
            200,
            1e-6,
        );
        let dw = conv2d_backward_filter(&x, &r, &p);
        let loss_w = |wd: &ndarray::ArrayD<f64>| {
            let wi = wd.clone().into_dimensionality::<Ix4>().expect("4d");
            dot_all(&r, &conv2d_forward(&x, &wi, &p))
        };
        check_gradient(
            &format!("{name} dw"),
            &dyn_of(&wt),
            &dyn_of(&dw),
            loss_w,
            200,
            1e-6,
        );
    }
}

fn to_f32(a: &Array4<f64>) -> Array4<f32> {
    a.mapv(|v| v as f32)
}

fn bits(a: &[f32]) -> Vec<u32> {
    a.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn depthwise_kernel_equals_im2col_path_bitwise() {
    // Beyond the shared cases: channel counts that fill one lane block of
    // the filter-gradient kernel and leave a ragged one (11, 19 channels).
    let wide = [
        (
            "depthwise3x3_dil2_11ch",
            3,
            11,
            7,
            6,
            11,
            params([3, 3], [1, 1], [2, 2], [2, 2], 11),
        ),
        (
            "depthwise5x5_s2_19ch",
            2,
            19,
            9,
            9,
            19,
            params([5, 5], [2, 2], [2, 2], [1, 1], 19),
        ),
        (
            "depthwise1x3_8ch",
            2,
            8,
            4,
            5,
            8,
            params([1, 3], [1, 1], [0, 1], [1, 1], 8),
        ),
        // Rows wide enough for the register-blocked stride-1 kernels (blocks
        // of 8 columns and a ragged tail), with and without dilation.
        (
            "depthwise3x3_16x16_8ch",
            2,
            8,
            16,
            16,
            8,
            params([3, 3], [1, 1], [1, 1], [1, 1], 8),
        ),
        (
            "depthwise5x5_dil2_12x19_9ch",
            2,
            9,
            12,
            19,
            9,
            params([5, 5], [1, 1], [4, 4], [2, 2], 9),
        ),
        (
            "depthwise3x3_s2_16x17_8ch",
            2,
            8,
            16,
            17,
            8,
            params([3, 3], [2, 2], [1, 1], [1, 1], 8),
        ),
    ];
    let shared = cases().into_iter().filter(|c| c.0.starts_with("depthwise"));
    for (name, n, cin, h, w, cout, p) in shared.chain(wide) {
        let (x, wt) = inputs(name, n, cin, h, w, cout, &p);
        let (x, wt) = (to_f32(&x), to_f32(&wt));
        let g = Geometry::new(n, cin, (h, w), wt.dim(), &p);
        let (xs, ws) = (x.as_slice().expect("std"), wt.as_slice().expect("std"));
        let y = depthwise::forward(&g, xs, ws);
        assert_eq!(
            bits(&y),
            bits(&general::forward(&g, xs, ws)),
            "{name} forward"
        );
        let dy = to_f32(&random_array(
            &format!("{name}/dy"),
            Ix4(n, cout, g.oh, g.ow),
        ));
        let dys = dy.as_slice().expect("std");
        let dx = depthwise::backward_data(&g, dys, ws);
        assert_eq!(
            bits(&dx),
            bits(&general::backward_data(&g, dys, ws)),
            "{name} dx"
        );
        let dw = depthwise::backward_filter(&g, xs, dys);
        assert_eq!(
            bits(&dw),
            bits(&general::backward_filter(&g, xs, dys)),
            "{name} dw"
        );
    }
}

#[test]
fn depthwise_backward_data_with_non_finite_weights_equals_im2col_path_bitwise() {
    // The stride-1 kernel gathers with zero padding, which is exact only for
    // finite weights; a channel holding Inf or NaN takes the scattering loop.
    let p = params([3, 3], [1, 1], [1, 1], [1, 1], 3);
    let (n, c, h, w) = (2, 3, 9, 10);
    let (_, wt) = inputs("depthwise_nonfinite", n, c, h, w, c, &p);
    let mut wt = to_f32(&wt);
    wt[[1, 0, 0, 2]] = f32::INFINITY;
    wt[[2, 0, 1, 1]] = f32::NAN;
    let g = Geometry::new(n, c, (h, w), wt.dim(), &p);
    let dy = to_f32(&random_array(
        "depthwise_nonfinite/dy",
        Ix4(n, c, g.oh, g.ow),
    ));
    let (dys, ws) = (dy.as_slice().expect("std"), wt.as_slice().expect("std"));
    assert_eq!(
        bits(&depthwise::backward_data(&g, dys, ws)),
        bits(&general::backward_data(&g, dys, ws))
    );
}

#[test]
fn conv2d_f32_is_bit_identical_at_1_2_and_3_threads() {
    let shapes = [
        (Conv2dParams::square(3, 1, 1), 16, 1),
        (params([3, 3], [2, 2], [2, 2], [2, 2], 16), 16, 16),
        (params([1, 7], [1, 2], [0, 3], [1, 1], 1), 16, 1),
    ];
    for (i, (p, cout, groups)) in shapes.into_iter().enumerate() {
        let x = to_f32(&random_array(&format!("threads{i}/x"), Ix4(5, 16, 12, 12)));
        let wt = to_f32(&random_array(
            &format!("threads{i}/w"),
            Ix4(cout, 16 / groups, p.kernel[0], p.kernel[1]),
        ));
        let run = |t: usize| {
            with_threads(t, || {
                let y = conv2d_forward(&x, &wt, &p);
                let dx = conv2d_backward_data(&y, &wt, &p, (12, 12));
                let dw = conv2d_backward_filter(&x, &y, &p);
                [y, dx, dw].map(|a| bits(a.as_slice().expect("std")))
            })
            .expect("pool")
        };
        let one = run(1);
        assert!(
            one == run(2) && one == run(3),
            "case {i}: results depend on the thread count"
        );
    }
}

#[test]
#[should_panic(expected = "groups")]
fn conv2d_rejects_groups_that_do_not_divide_channels() {
    let x = Array4::<f32>::zeros((1, 3, 4, 4));
    let w = Array4::<f32>::zeros((2, 1, 3, 3));
    conv2d_forward(&x, &w, &params([3, 3], [1, 1], [1, 1], [1, 1], 2));
}

/// Timing note: `cargo test --release --lib conv2d_timing -- --ignored --nocapture`.
#[test]
#[ignore]
fn conv2d_timing_forward_backward_single_thread() {
    let dense = (Conv2dParams::square(3, 1, 1), 32, 1);
    let depthwise = (params([3, 3], [1, 1], [1, 1], [1, 1], 32), 32, 32);
    for (name, (p, cout, groups)) in [("dense 32->32 3x3", dense), ("depthwise 32 3x3", depthwise)]
    {
        let x = to_f32(&random_array("timing/x", Ix4(64, 32, 16, 16)));
        let wt = to_f32(&random_array("timing/w", Ix4(cout, 32 / groups, 3, 3)));
        with_threads(1, || {
            let reps = 5;
            let mut t = [0f64; 3];
            for _ in 0..reps {
                let s = std::time::Instant::now();
                let y = conv2d_forward(&x, &wt, &p);
                t[0] += s.elapsed().as_secs_f64();
                let s = std::time::Instant::now();
                let dx = conv2d_backward_data(&y, &wt, &p, (16, 16));
                t[1] += s.elapsed().as_secs_f64();
                let s = std::time::Instant::now();
                let dw = conv2d_backward_filter(&x, &y, &p);
                t[2] += s.elapsed().as_secs_f64();
                assert!(dx[[0, 0, 0, 0]].is_finite() && dw[[0, 0, 0, 0]].is_finite());
            }
            let ms = t.map(|v| v * 1e3 / reps as f64);
            eprintln!(
                "conv2d {name}, x=(64,32,16,16), 1 thread: forward {:.2} ms, backward_data {:.2} ms, backward_filter {:.2} ms",
                ms[0], ms[1], ms[2]
            );
        })
        .expect("pool");
    }
}
