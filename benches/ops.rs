//! Per-op timing at the search network's sizes (C=16, batch 64, 32×32 input):
//! the ops a DARTS_V2 training step spends its time in, one at a time.
//!
//! Why: `csnas bench` says which op class dominates a step; this harness says
//! how fast each kernel is on its own, so a kernel change can be measured
//! without the network around it. No criterion: a plain `main` that runs
//! each case `WARMUP` times, then `REPS` times, and prints the median.
//!
//! Run: `cargo bench --bench ops` (optionally `-- THREADS`, default 1).

use std::hint::black_box;
use std::time::{Duration, Instant};

use csnas::ops::batch_norm::{self, BatchNormParams};
use csnas::ops::conv2d::{self, Conv2dParams};
use csnas::ops::gemm::{MatRef, gemm};
use csnas::ops::pool::{self, PoolParams};
use csnas::parallel::with_threads;
use csnas::rng::StreamPath;
use ndarray::{Array1, Array4};

const WARMUP: usize = 2;
const REPS: usize = 7;

fn random4(shape: (usize, usize, usize, usize), label: &str) -> Array4<f32> {
    let mut s = StreamPath::root(0).child("ops-bench").child(label).stream();
    Array4::from_shape_simple_fn(shape, || 2.0 * s.uniform_f32() - 1.0)
}

fn time(name: &str, flops: f64, mut f: impl FnMut()) {
    for _ in 0..WARMUP {
        f();
    }
    let mut t: Vec<Duration> = (0..REPS)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    t.sort();
    let med = t[REPS / 2];
    let gflops = if flops > 0.0 {
        format!("{:>8.2}", flops / med.as_secs_f64() / 1e9)
    } else {
        format!("{:>8}", "-")
    };
    println!("{name:<52} {:>9.3} ms {gflops}", med.as_secs_f64() * 1e3);
}

/// A convolution case: forward, backward-data, backward-filter.
fn conv(name: &str, x: (usize, usize, usize, usize), cout: usize, p: Conv2dParams) {
    let cig = x.1 / p.groups;
    let xs = random4(x, name);
    let w = random4((cout, cig, p.kernel[0], p.kernel[1]), "w");
    let y = conv2d::conv2d_forward(&xs, &w, &p);
    let dy = random4(y.dim(), "dy");
    let (_, _, oh, ow) = y.dim();
    let flops = 2.0 * (x.0 * cout * oh * ow * cig * p.kernel[0] * p.kernel[1]) as f64;
    time(&format!("{name} fwd"), flops, || {
        black_box(conv2d::conv2d_forward(&xs, &w, &p));
    });
    time(&format!("{name} bwd data"), flops, || {
        black_box(conv2d::conv2d_backward_data(&dy, &w, &p, (x.2, x.3)));
    });
    time(&format!("{name} bwd filter"), flops, || {
        black_box(conv2d::conv2d_backward_filter(&xs, &dy, &p));
    });
}

fn main() {
    let threads: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1);
    with_threads(threads, run).expect("thread pool");
}

fn run() {
    println!("threads: {}", csnas::parallel::current_threads());
    println!("{:<52} {:>12} {:>8}", "case", "median", "GFLOP/s");
    let n = 64;
    conv(
        "stem conv 3x3 3->48 @32x32",
        (n, 3, 32, 32),
        48,
        Conv2dParams::square(3, 1, 1),
    );
    conv(
        "preprocess conv 1x1 48->16 @32x32",
        (n, 48, 32, 32),
        16,
        Conv2dParams::square(1, 1, 0),
    );
    conv(
        "pointwise conv 1x1 16->16 @32x32",
        (n, 16, 32, 32),
        16,
        Conv2dParams::square(1, 1, 0),
    );
    conv(
        "pointwise conv 1x1 64->64 @8x8",
        (n, 64, 8, 8),
        64,
        Conv2dParams::square(1, 1, 0),
    );
    let dw = |c: usize, d: usize| Conv2dParams {
        kernel: [3, 3],
        stride: [1, 1],
        padding: [d, d],
        dilation: [d, d],
        groups: c,
    };
    conv("depthwise 3x3 16 @32x32", (n, 16, 32, 32), 16, dw(16, 1));
    conv(
        "depthwise 3x3 dil 2 16 @32x32",
        (n, 16, 32, 32),
        16,
        dw(16, 2),
    );
    conv("depthwise 3x3 64 @8x8", (n, 64, 8, 8), 64, dw(64, 1));

    for (m, k, nn) in [(16, 48, 1024), (256, 256, 256)] {
        let a: Vec<f32> = random4((1, 1, m, k), "a").into_raw_vec_and_offset().0;
        let b: Vec<f32> = random4((1, 1, k, nn), "b").into_raw_vec_and_offset().0;
        let mut c = vec![0f32; m * nn];
        time(
            &format!("gemm {m}x{k} · {k}x{nn}"),
            2.0 * (m * k * nn) as f64,
            || {
                gemm(
                    MatRef::row_major(&a, m, k),
                    MatRef::row_major(&b, k, nn),
                    &mut c,
                    false,
                );
                black_box(&c);
            },
        );
    }

    let x = random4((n, 16, 32, 32), "bn");
    let (g, b) = (Array1::from_elem(16, 1f32), Array1::from_elem(16, 0f32));
    let (mut rm, mut rv) = (Array1::from_elem(16, 0f32), Array1::from_elem(16, 1f32));
    let bp = BatchNormParams::default();
    let (_, cache) =
        batch_norm::batch_norm_train_forward(&x, Some(&g), Some(&b), &mut rm, &mut rv, &bp);
    time("batch norm train fwd 16 @32x32", 0.0, || {
        black_box(batch_norm::batch_norm_train_forward(
            &x,
            Some(&g),
            Some(&b),
            &mut rm,
            &mut rv,
            &bp,
        ));
    });
    time("batch norm bwd 16 @32x32", 0.0, || {
        black_box(batch_norm::batch_norm_backward(&x, Some(&g), &cache));
    });

    let x = random4((n, 32, 32, 32), "pool");
    for stride in [1, 2] {
        let p = PoolParams {
            kernel: 3,
            stride,
            padding: 1,
        };
        let (y, arg) = pool::max_pool2d_forward(&x, &p);
        time(
            &format!("max pool 3x3 s{stride} 32 @32x32 fwd"),
            0.0,
            || {
                black_box(pool::max_pool2d_forward(&x, &p));
            },
        );
        time(
            &format!("max pool 3x3 s{stride} 32 @32x32 bwd"),
            0.0,
            || {
                black_box(pool::max_pool2d_backward(&y, &arg, (32, 32)));
            },
        );
        time(
            &format!("avg pool 3x3 s{stride} 32 @32x32 fwd"),
            0.0,
            || {
                black_box(pool::avg_pool2d_forward(&x, &p));
            },
        );
        time(
            &format!("avg pool 3x3 s{stride} 32 @32x32 bwd"),
            0.0,
            || {
                black_box(pool::avg_pool2d_backward(&y, &p, (32, 32)));
            },
        );
    }
}
