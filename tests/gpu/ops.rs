//! Every op of the seam on seeded inputs, run through any backend's trait
//! methods; outputs come back to the host, named, for comparison.

use csnas::backend::{Backend, TensorMut, TensorRef};
use csnas::ops::batch_norm::BatchNormParams;
use csnas::ops::conv2d::Conv2dParams;
use csnas::ops::pirl_nce::{self as pirl, MemoryBank};
use csnas::ops::pool::PoolParams;
use csnas::ops::sgd::SgdConfig;
use csnas::rng::StreamPath;
use ndarray::{Array, Array1, Array2, Dimension};

/// Uniform `[-1, 1)` values with every 17th a signed zero.
fn rand<D: Dimension>(label: &str, shape: D) -> Array<f32, D> {
    let mut s = StreamPath::root(5).child("gpu-test").child(label).stream();
    let n = shape.size();
    let v = (0..n)
        .map(|i| match i % 34 {
            16 => 0.0,
            33 => -0.0,
            _ => 2.0 * s.uniform_f32() - 1.0,
        })
        .collect();
    Array::from_shape_vec(shape, v).unwrap()
}

type Outputs = Vec<(String, Vec<f32>)>;

fn push4<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs, name: &str, t: &B::T4) {
    out.push((name.to_string(), b.download4(t).iter().copied().collect()));
}

fn push2<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs, name: &str, t: &B::T2) {
    out.push((name.to_string(), b.download2(t).iter().copied().collect()));
}

fn push1<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs, name: &str, t: &B::T1) {
    out.push((name.to_string(), b.download1(t).to_vec()));
}

fn convs<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs) {
    // (N, Cin, H, W, Cout, k, stride, pad, dilation, groups): a 1x1, the
    // strided 1x1 of the factorized reduce, a dense 3x3, depthwise 3x3 and
    // dilated 5x5 stride 2 (sep/dil convs), a grouped 3x3.
    let cases = [
        (4, 8, 9, 9, 16, 1, 1, 0, 1, 1),
        (4, 8, 8, 8, 8, 1, 2, 0, 1, 1),
        (2, 3, 16, 16, 12, 3, 1, 1, 1, 1),
        (4, 16, 11, 11, 16, 3, 1, 1, 1, 16),
        (4, 16, 16, 16, 16, 5, 2, 4, 2, 16),
        (2, 12, 7, 7, 8, 3, 1, 1, 1, 4),
    ];
    for (i, (n, cin, h, w, cout, k, s, p, d, g)) in cases.into_iter().enumerate() {
        let pr = Conv2dParams {
            kernel: [k, k],
            stride: [s, s],
            padding: [p, p],
            dilation: [d, d],
            groups: g,
        };
        let x = b.upload4(&rand(&format!("conv/x{i}"), ndarray::Ix4(n, cin, h, w)));
        let wt = b.upload4(&rand(
            &format!("conv/w{i}"),
            ndarray::Ix4(cout, cin / g, k, k),
        ));
        let y = b.conv2d_forward(&x, &wt, &pr);
        let dims = b.dims4(&y);
        let dy = b.upload4(&rand(
            &format!("conv/dy{i}"),
            ndarray::Ix4(dims.0, dims.1, dims.2, dims.3),
        ));
        push4(b, out, &format!("conv{i} y"), &y);
        push4(
            b,
            out,
            &format!("conv{i} dx"),
            &b.conv2d_backward_data(&dy, &wt, &pr, (h, w)),
        );
        push4(
            b,
            out,
            &format!("conv{i} dw"),
            &b.conv2d_backward_filter(&x, &dy, &pr),
        );
    }
}

fn norm_pool<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs) {
    let x = b.upload4(&rand("bn/x", ndarray::Ix4(8, 6, 9, 9)));
    let dy = b.upload4(&rand("bn/dy", ndarray::Ix4(8, 6, 9, 9)));
    let (gamma, beta) = (
        b.upload1(&rand("bn/g", ndarray::Ix1(6))),
        b.upload1(&rand("bn/b", ndarray::Ix1(6))),
    );
    let (mut rm, mut rv) = (b.zeros1(6), b.upload1(&Array1::from_elem(6, 1.0)));
    let p = BatchNormParams::default();
    let (y, cache) = b.batch_norm_train_forward(&x, &gamma, &beta, &mut rm, &mut rv, &p);
    let (dx, dg, db) = b.batch_norm_backward(&dy, &gamma, &cache);
    push4(b, out, "bn y", &y);
    push4(b, out, "bn dx", &dx);
    push1(b, out, "bn dgamma", &dg);
    push1(b, out, "bn dbeta", &db);
    push1(b, out, "bn running_mean", &rm);
    push1(b, out, "bn running_var", &rv);
    push4(
        b,
        out,
        "bn eval y",
        &b.batch_norm_eval_forward(&x, &gamma, &beta, &rm, &rv, &p),
    );
    for (k, s, pad) in [(3, 1, 1), (3, 2, 1)] {
        let pp = PoolParams {
            kernel: k,
            stride: s,
            padding: pad,
        };
        let (my, idx) = b.max_pool2d_forward(&x, &pp);
        let d = b.dims4(&my);
        let g = b.upload4(&rand(
            &format!("pool/g{s}"),
            ndarray::Ix4(d.0, d.1, d.2, d.3),
        ));
        push4(b, out, &format!("max pool s{s} y"), &my);
        push4(
            b,
            out,
            &format!("max pool s{s} dx"),
            &b.max_pool2d_backward(&g, &idx, (9, 9)),
        );
        push4(
            b,
            out,
            &format!("avg pool s{s} y"),
            &b.avg_pool2d_forward(&x, &pp),
        );
        push4(
            b,
            out,
            &format!("avg pool s{s} dx"),
            &b.avg_pool2d_backward(&g, &pp, (9, 9)),
        );
    }
    push2(b, out, "gap y", &b.global_avg_pool_forward(&x));
    let g2 = b.upload2(&rand("gap/g", ndarray::Ix2(8, 6)));
    push4(b, out, "gap dx", &b.global_avg_pool_backward(&g2, (9, 9)));
}

fn elementwise<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs) {
    let x = b.upload4(&rand("ew/x", ndarray::Ix4(4, 6, 7, 7)));
    let g = b.upload4(&rand("ew/g", ndarray::Ix4(4, 6, 7, 7)));
    let (y, mask) = b.relu_forward_masked(&x);
    push4(b, out, "relu y", &y);
    push4(b, out, "relu dx", &b.relu_backward_masked(&mask, &g));
    push4(b, out, "relu plain dx", &b.relu_backward(&x, &g));
    let keep = [true, false, true, true];
    push4(b, out, "drop path y", &b.drop_path_forward(&x, &keep, 0.3));
    push4(
        b,
        out,
        "drop path dx",
        &b.drop_path_backward(&g, &keep, 0.3),
    );
    push4(b, out, "zero", &b.zero_forward(&x, 2));
    push4(b, out, "add", &b.add(&x, &g));
    let mut acc = x.clone();
    b.add_assign(TensorMut::R4(&mut acc), TensorRef::R4(&g));
    push4(b, out, "add_assign", &acc);
    let cat = b.concat_channels(&[&x, &g]);
    push4(b, out, "concat", &cat);
    for (i, part) in b.split_channels(&cat, &[5, 7]).iter().enumerate() {
        push4(b, out, &format!("split {i}"), part);
    }
    let crop = b.crop_top_left(&x);
    push4(b, out, "crop", &crop);
    let mut shifted = g.clone();
    b.shift_add(&mut shifted, &crop);
    push4(b, out, "shift_add", &shifted);
}

fn matmul_optim<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs) {
    let x = b.upload2(&rand("lin/x", ndarray::Ix2(64, 96)));
    let w = b.upload2(&rand("lin/w", ndarray::Ix2(40, 96)));
    let bias = b.upload1(&rand("lin/b", ndarray::Ix1(40)));
    let dy = b.upload2(&rand("lin/dy", ndarray::Ix2(64, 40)));
    push2(b, out, "linear y", &b.linear_forward(&x, &w, &bias));
    let (dx, dw, db) = b.linear_backward(&x, &w, &dy);
    push2(b, out, "linear dx", &dx);
    push2(b, out, "linear dw", &dw);
    push1(b, out, "linear db", &db);
    let n = b.l2_norm(TensorRef::R2(&w));
    out.push(("l2_norm".to_string(), vec![n]));
    let mut p = w.clone();
    b.scale(TensorMut::R2(&mut p), 0.37);
    push2(b, out, "scale", &p);
    let cfg = SgdConfig {
        lr: 0.025,
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 3e-4,
        nesterov: false,
    };
    let mut momentum = None;
    for step in 0..3 {
        b.sgd_update(
            &cfg,
            TensorMut::R2(&mut p),
            TensorRef::R2(&w),
            &mut momentum,
        );
        push2(b, out, &format!("sgd step {step}"), &p);
    }
}

fn losses<B: Backend<Elem = f32>>(b: &B, out: &mut Outputs) {
    let z = b.upload2(&rand("ntx/z", ndarray::Ix2(32, 128)));
    let (loss, cache) = b.nt_xent_forward(&z, 0.5).unwrap();
    out.push(("nt_xent loss".to_string(), vec![loss]));
    push2(b, out, "nt_xent dz", &b.nt_xent_backward(&cache, 1.0));
    let logits = b.upload2(&rand("ce/x", ndarray::Ix2(16, 10)).mapv(|v| 4.0 * v));
    let labels: Vec<usize> = (0..16).map(|i| (i * 7) % 10).collect();
    let (loss, cache) = b.cross_entropy_forward(&logits, &labels, 0.1).unwrap();
    out.push(("cross_entropy loss".to_string(), vec![loss]));
    push2(
        b,
        out,
        "cross_entropy dx",
        &b.cross_entropy_backward(&cache, 1.0),
    );
    let (size, d, batch) = (64, 32, 8);
    let bank: Array2<f32> = rand("pirl/bank", ndarray::Ix2(size, d));
    let bank = MemoryBank::from_features(bank, pirl::BANK_WEIGHT as f32).unwrap();
    let indices: Vec<usize> = (0..batch).map(|i| (i * 5) % size).collect();
    let mut s = StreamPath::root(5)
        .child("gpu-test")
        .child("negatives")
        .stream();
    let negs =
        pirl::draw_negatives(size, &indices, pirl::pirl_negative_count(batch), &mut s).unwrap();
    let view = b.upload2(&rand("pirl/view", ndarray::Ix2(batch, d)));
    let orig = b.upload2(&rand("pirl/orig", ndarray::Ix2(batch, d)));
    let (loss, cache) = b
        .pirl_nce_forward(
            &view,
            &orig,
            &indices,
            &negs,
            &bank,
            pirl::PIRL_TEMPERATURE as f32,
        )
        .unwrap();
    out.push(("pirl loss".to_string(), vec![loss]));
    let (dv, dor) = b.pirl_nce_backward(&cache, &bank, 1.0).unwrap();
    push2(b, out, "pirl d view", &dv);
    push2(b, out, "pirl d original", &dor);
}

/// Every op group, in a fixed order.
pub fn run_all<B: Backend<Elem = f32>>(b: &B) -> Outputs {
    let mut out = Vec::new();
    convs(b, &mut out);
    norm_pool(b, &mut out);
    elementwise(b, &mut out);
    matmul_optim(b, &mut out);
    losses(b, &mut out);
    out
}

/// Panics at the first output whose values differ from the reference by
/// more than `tol · max(1, |reference|)` (`tol == 0`: in any bit); returns
/// the number of values compared. Prints each output's largest error.
pub fn compare(reference: &Outputs, candidate: &Outputs, tol: f32) -> usize {
    assert_eq!(reference.len(), candidate.len(), "output counts");
    let mut n = 0;
    for ((name, r), (_, c)) in reference.iter().zip(candidate) {
        assert_eq!(r.len(), c.len(), "{name}: lengths");
        let mut worst = 0f32;
        for (i, (&a, &b)) in r.iter().zip(c).enumerate() {
            if tol == 0.0 {
                assert!(
                    a.to_bits() == b.to_bits(),
                    "{name}[{i}]: reference {a:e} ({:#010x}) vs candidate {b:e} ({:#010x})",
                    a.to_bits(),
                    b.to_bits()
                );
            } else {
                let err = (a - b).abs() / a.abs().max(1.0);
                assert!(
                    err <= tol,
                    "{name}[{i}]: reference {a:e} vs candidate {b:e} ({err:e} > {tol:e})"
                );
                worst = worst.max(err);
            }
        }
        if tol > 0.0 {
            eprintln!("{name}: largest relative error {worst:e}");
        }
        n += r.len();
    }
    n
}
