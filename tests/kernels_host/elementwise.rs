//! add, relu, concat/split, drop path, global average pool, SGD: kernels
//! without a reduction across threads, all bit-identical to the CPU.

use crate::common::{LAUNCHES, assert_bits, flat, rand_array, rand_vec, ready};
use csnas::ops::sgd::{ParamRef, SgdConfig, SgdState, sgd_step};
use csnas::ops::{concat, drop_path, global_avg_pool, relu};
use csnas_kernel_host as k;
use ndarray::{Array2, Ix4};

/// Shapes (N, C, H, W) used across this file, odd sizes included.
pub const SHAPES: [(usize, usize, usize, usize); 4] =
    [(1, 1, 1, 1), (2, 3, 5, 7), (3, 4, 8, 8), (2, 5, 9, 11)];

#[test]
fn add_should_match_reference_backend() {
    if !ready() {
        return;
    }
    for (i, &s) in SHAPES.iter().enumerate() {
        let a = rand_array(&format!("add/a{i}"), Ix4(s.0, s.1, s.2, s.3));
        let b = rand_array(&format!("add/b{i}"), Ix4(s.0, s.1, s.2, s.3));
        let want = flat(&(&a + &b));
        let (af, bf) = (flat(&a), flat(&b));
        let n = af.len() as u64;
        for (g, t) in LAUNCHES {
            let mut y = vec![f32::NAN; af.len()];
            let y_ptr = y.as_mut_ptr();
            k::launch(g, t, || unsafe {
                k::add_f32(af.as_ptr(), bf.as_ptr(), y_ptr, n)
            });
            assert_bits(&format!("add_f32 {s:?}"), &y, &want);
            let mut acc = af.clone();
            let acc_ptr = acc.as_mut_ptr();
            k::launch(g, t, || unsafe { k::add_into_f32(acc_ptr, bf.as_ptr(), n) });
            assert_bits(&format!("add_into_f32 {s:?}"), &acc, &want);
        }
    }
}

#[test]
fn relu_should_match_reference_backend() {
    if !ready() {
        return;
    }
    for (i, &s) in SHAPES.iter().enumerate() {
        let x = rand_array(&format!("relu/x{i}"), Ix4(s.0, s.1, s.2, s.3));
        let dy = rand_array(&format!("relu/dy{i}"), Ix4(s.0, s.1, s.2, s.3));
        let (yw, dxw) = (
            flat(&relu::relu_forward(&x)),
            flat(&relu::relu_backward(&x, &dy)),
        );
        let (xf, dyf) = (flat(&x), flat(&dy));
        let n = xf.len() as u64;
        for (g, t) in LAUNCHES {
            let mut y = vec![f32::NAN; xf.len()];
            let y_ptr = y.as_mut_ptr();
            k::launch(g, t, || unsafe {
                k::relu_forward_f32(xf.as_ptr(), y_ptr, n)
            });
            assert_bits(&format!("relu_forward_f32 {s:?}"), &y, &yw);
            let mut dx = vec![f32::NAN; xf.len()];
            let dx_ptr = dx.as_mut_ptr();
            k::launch(g, t, || unsafe {
                k::relu_backward_f32(xf.as_ptr(), dyf.as_ptr(), dx_ptr, n)
            });
            assert_bits(&format!("relu_backward_f32 {s:?}"), &dx, &dxw);
            // Masked forms: same y, and the byte mask gives the same dx.
            let (mut ym, mut mask) = (vec![f32::NAN; xf.len()], vec![7u8; xf.len()]);
            let (ymp, mp) = (ym.as_mut_ptr(), mask.as_mut_ptr());
            k::launch(g, t, || unsafe {
                k::relu_forward_mask_f32(xf.as_ptr(), ymp, mp, n)
            });
            assert_bits(&format!("relu_forward_mask_f32 {s:?}"), &ym, &yw);
            let mut dxm = vec![f32::NAN; xf.len()];
            let dxmp = dxm.as_mut_ptr();
            k::launch(g, t, || unsafe {
                k::relu_backward_mask_f32(mask.as_ptr(), dyf.as_ptr(), dxmp, n)
            });
            let (_, cpu_mask) = relu::relu_forward_masked(&x);
            let dxmw = flat(&relu::relu_backward_masked(&cpu_mask, &dy));
            assert_bits(&format!("relu_backward_mask_f32 {s:?}"), &dxm, &dxmw);
        }
    }
}

#[test]
fn concat_and_split_should_match_reference_backend() {
    if !ready() {
        return;
    }
    for (i, &(n, _, h, w)) in SHAPES.iter().enumerate() {
        let chans = [2usize, 1, 3];
        let parts: Vec<_> = chans
            .iter()
            .enumerate()
            .map(|(j, &c)| rand_array(&format!("concat/{i}/{j}"), Ix4(n, c, h, w)))
            .collect();
        let refs: Vec<_> = parts.iter().collect();
        let want = concat::concat_channels(&refs);
        let total: usize = chans.iter().sum();
        let plane = (h * w) as u64;
        for (g, t) in LAUNCHES {
            let mut y = vec![f32::NAN; want.len()];
            let mut c0 = 0;
            for (p, &c) in parts.iter().zip(&chans) {
                let src = flat(p);
                let y_ptr = y.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::copy_channels_f32(
                        src.as_ptr(),
                        c as u64,
                        0,
                        y_ptr,
                        total as u64,
                        c0 as u64,
                        n as u64,
                        c as u64,
                        plane,
                    )
                });
                c0 += c;
            }
            assert_bits(
                &format!("copy_channels_f32 concat {chans:?} {h}x{w}"),
                &y,
                &flat(&want),
            );
            // Split: the inverse copies, compared with split_channels.
            let yf = flat(&want);
            let pieces = concat::split_channels(&want, &chans);
            let mut c0 = 0;
            for (piece, &c) in pieces.iter().zip(&chans) {
                let mut out = vec![f32::NAN; piece.len()];
                let out_ptr = out.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::copy_channels_f32(
                        yf.as_ptr(),
                        total as u64,
                        c0 as u64,
                        out_ptr,
                        c as u64,
                        0,
                        n as u64,
                        c as u64,
                        plane,
                    )
                });
                assert_bits("copy_channels_f32 split", &out, &flat(piece));
                c0 += c;
            }
        }
    }
}

#[test]
fn drop_path_should_match_reference_backend() {
    if !ready() {
        return;
    }
    for (i, &s) in SHAPES.iter().enumerate() {
        let mut x = rand_array(&format!("drop_path/x{i}"), Ix4(s.0, s.1, s.2, s.3));
        x[[0, 0, 0, 0]] = f32::INFINITY; // a dropped inf must become NaN
        let keep: Vec<bool> = (0..s.0).map(|j| (j + i) % 2 == 1).collect();
        let keep_u8: Vec<u8> = keep.iter().map(|&b| b as u8).collect();
        for drop_prob in [0.0, 0.2, 0.37] {
            let want = flat(&drop_path::drop_path_forward(&x, &keep, drop_prob));
            let xf = flat(&x);
            let kp = (1.0 - drop_prob) as f32;
            let sample = (s.1 * s.2 * s.3) as u64;
            for (g, t) in LAUNCHES {
                let mut y = vec![0.5; xf.len()];
                let y_ptr = y.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::drop_path_f32(
                        xf.as_ptr(),
                        keep_u8.as_ptr(),
                        kp,
                        sample,
                        y_ptr,
                        xf.len() as u64,
                    )
                });
                assert_bits(&format!("drop_path_f32 {s:?} p={drop_prob}"), &y, &want);
            }
        }
    }
}

#[test]
fn global_avg_pool_should_match_reference_backend() {
    if !ready() {
        return;
    }
    for (i, &(n, c, h, w)) in SHAPES.iter().enumerate() {
        let x = rand_array(&format!("gap/x{i}"), Ix4(n, c, h, w));
        let dy: Array2<f32> = rand_array(&format!("gap/dy{i}"), ndarray::Ix2(n, c));
        let yw = flat(&global_avg_pool::global_avg_pool_forward(&x));
        let dxw = flat(&global_avg_pool::global_avg_pool_backward(&dy, (h, w)));
        let (xf, dyf) = (flat(&x), flat(&dy));
        let (planes, plane) = ((n * c) as u64, (h * w) as u64);
        for (g, t) in LAUNCHES {
            let mut y = vec![f32::NAN; n * c];
            let y_ptr = y.as_mut_ptr();
            k::launch(g, t, || unsafe {
                k::global_avg_pool_forward_f32(xf.as_ptr(), y_ptr, planes, plane)
            });
            assert_bits(
                &format!("global_avg_pool_forward_f32 {n}x{c}x{h}x{w}"),
                &y,
                &yw,
            );
            let mut dx = vec![f32::NAN; xf.len()];
            let dx_ptr = dx.as_mut_ptr();
            k::launch(g, t, || unsafe {
                k::global_avg_pool_backward_f32(dyf.as_ptr(), dx_ptr, planes, plane)
            });
            assert_bits(
                &format!("global_avg_pool_backward_f32 {n}x{c}x{h}x{w}"),
                &dx,
                &dxw,
            );
        }
    }
}

#[test]
fn sgd_step_should_match_reference_backend() {
    if !ready() {
        return;
    }
    let configs = [
        SgdConfig {
            lr: 0.025,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 3e-4,
            nesterov: false,
        },
        SgdConfig {
            lr: 1e-3,
            momentum: 0.9,
            dampening: 0.1,
            weight_decay: 0.0,
            nesterov: false,
        },
        SgdConfig {
            lr: 0.1,
            momentum: 0.8,
            dampening: 0.0,
            weight_decay: 1e-2,
            nesterov: true,
        },
        SgdConfig {
            lr: 0.3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        },
    ];
    for (ci, cfg) in configs.iter().enumerate() {
        for len in [1usize, 37, 1000] {
            let p0 = rand_vec(&format!("sgd/p{ci}/{len}"), len);
            let (mut p_cpu, mut st) = (p0.clone(), SgdState::default());
            let mut p_k = p0.clone();
            let mut buf = vec![0f32; len];
            // Three steps: the first creates the momentum buffer.
            for step in 0..3 {
                let grad = rand_vec(&format!("sgd/g{ci}/{len}/{step}"), len);
                let mut prs = [ParamRef {
                    name: "w",
                    param: &mut p_cpu,
                    grad: &grad,
                    state: &mut st,
                }];
                sgd_step(cfg, &mut prs).unwrap();
                let (g, t) = LAUNCHES[step % LAUNCHES.len()];
                let p_k_ptr = p_k.as_mut_ptr();
                let buf_ptr = buf.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::sgd_step_f32(
                        p_k_ptr,
                        grad.as_ptr(),
                        buf_ptr,
                        cfg.weight_decay as f32,
                        cfg.momentum as f32,
                        (1.0 - cfg.dampening) as f32,
                        (-cfg.lr) as f32,
                        (cfg.weight_decay != 0.0) as i32,
                        (cfg.momentum != 0.0) as i32,
                        (step == 0) as i32,
                        cfg.nesterov as i32,
                        len as u64,
                    )
                });
                assert_bits(
                    &format!("sgd_step_f32 cfg {ci} len {len} step {step}"),
                    &p_k,
                    &p_cpu,
                );
                if let Some(b) = &st.momentum_buffer {
                    assert_bits(
                        &format!("sgd momentum buffer cfg {ci} step {step}"),
                        &buf,
                        b,
                    );
                }
            }
        }
    }
}
