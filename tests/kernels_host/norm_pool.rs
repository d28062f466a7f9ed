//! Batch norm (both reduction orders) and pooling against the CPU reference.

use crate::common::{LAUNCHES, assert_bits, assert_close, flat, rand_array, ready};
use crate::elementwise::SHAPES;
use csnas::ops::batch_norm::{self as bn, BatchNormParams};
use csnas::ops::pool::{self, PoolParams};
use csnas_kernel_host as k;
use ndarray::{Array1, Ix1, Ix4};

/// Block-order batch norm (256 strided partials, fixed tree) differs from the
/// CPU's sequential sums by rounding only. Bound: the sums here have at most
/// ~600 terms of magnitude ≤ 1, so each order's error is ≤ ~600·2⁻²⁴·Σ|x|;
/// relative to max(1, |value|) we allow 1e-4 (measured worst is printed).
const BN_BLOCK_TOL: f32 = 1e-4;

/// Runs the batch-norm training forward with the `_seq` or `_block` stats
/// kernel; returns (y, x_hat, inv_std, running_mean, running_var).
#[allow(clippy::type_complexity)]
fn bn_forward_kernels(
    x: &[f32],
    dims: (usize, usize, usize),
    affine: Option<(&[f32], &[f32])>,
    running: (&[f32], &[f32]),
    p: &BatchNormParams,
    block_order: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let (n, c, plane) = dims;
    let (mut mean, mut ssd, mut inv_std) = (vec![0f32; c], vec![0f32; c], vec![0f32; c]);
    let (mut rm, mut rv) = (running.0.to_vec(), running.1.to_vec());
    let (nn, cc, pp) = (n as u64, c as u64, plane as u64);
    if block_order {
        let mean_ptr = mean.as_mut_ptr();
        let ssd_ptr = ssd.as_mut_ptr();
        k::launch(c as u32, 256, || unsafe {
            k::batch_norm_stats_block_f32(x.as_ptr(), mean_ptr, ssd_ptr, nn, cc, pp)
        });
    } else {
        let mean_ptr = mean.as_mut_ptr();
        let ssd_ptr = ssd.as_mut_ptr();
        k::launch(2, 3, || unsafe {
            k::batch_norm_stats_seq_f32(x.as_ptr(), mean_ptr, ssd_ptr, nn, cc, pp)
        });
    }
    let inv_std_ptr = inv_std.as_mut_ptr();
    let rm_ptr = rm.as_mut_ptr();
    let rv_ptr = rv.as_mut_ptr();
    k::launch(2, 3, || unsafe {
        k::batch_norm_finalize_f32(
            mean.as_ptr(),
            ssd.as_ptr(),
            inv_std_ptr,
            rm_ptr,
            rv_ptr,
            p.eps as f32,
            p.momentum as f32,
            (1.0 - p.momentum) as f32,
            nn * pp,
            cc,
        )
    });
    let (mut y, mut xh) = (vec![f32::NAN; x.len()], vec![f32::NAN; x.len()]);
    let (g, b) = affine.map_or((std::ptr::null(), std::ptr::null()), |(g, b)| {
        (g.as_ptr(), b.as_ptr())
    });
    let xh_ptr = xh.as_mut_ptr();
    let y_ptr = y.as_mut_ptr();
    k::launch(5, 64, || unsafe {
        k::batch_norm_apply_f32(
            x.as_ptr(),
            mean.as_ptr(),
            inv_std.as_ptr(),
            g,
            b,
            xh_ptr,
            y_ptr,
            cc,
            pp,
            x.len() as u64,
        )
    });
    (y, xh, inv_std, rm, rv)
}

#[test]
fn batch_norm_should_match_reference_backend() {
    if !ready() {
        return;
    }
    let p = BatchNormParams::default();
    let mut worst_block = 0f32;
    for (i, &(n, c, h, w)) in SHAPES.iter().enumerate().skip(1) {
        let x = rand_array(&format!("bn/x{i}"), Ix4(n, c, h, w)).mapv(|v| 3.0 * v + 0.5);
        let dy = rand_array(&format!("bn/dy{i}"), Ix4(n, c, h, w));
        let gamma: Array1<f32> = rand_array(&format!("bn/g{i}"), Ix1(c));
        let beta: Array1<f32> = rand_array(&format!("bn/b{i}"), Ix1(c));
        let rm0: Array1<f32> = rand_array(&format!("bn/rm{i}"), Ix1(c));
        let rv0 = rand_array(&format!("bn/rv{i}"), Ix1(c)).mapv(|v: f32| v.abs() + 0.5);
        for affine in [true, false] {
            let (g, b) = if affine {
                (Some(&gamma), Some(&beta))
            } else {
                (None, None)
            };
            let (mut rm, mut rv) = (rm0.clone(), rv0.clone());
            let (y, cache) = bn::batch_norm_train_forward(&x, g, b, &mut rm, &mut rv, &p);
            let (dx, dgamma, dbeta) = bn::batch_norm_backward(&dy, g, &cache);
            let ev = bn::batch_norm_eval_forward(&x, g, b, &rm0, &rv0, &p);
            let (gf, bf) = (flat(&gamma), flat(&beta));
            let aff = affine.then_some((&gf[..], &bf[..]));
            let xf = flat(&x);
            let dims = (n, c, h * w);
            let what = format!("batch_norm {n}x{c}x{h}x{w} affine={affine}");
            for block_order in [false, true] {
                let (ky, kxh, kis, krm, krv) =
                    bn_forward_kernels(&xf, dims, aff, (&flat(&rm0), &flat(&rv0)), &p, block_order);
                let mut sums = (vec![0f32; c], vec![0f32; c]);
                let (nn, cc, pp) = (n as u64, c as u64, (h * w) as u64);
                let dyf = flat(&dy);
                if block_order {
                    let sums_0_ptr = sums.0.as_mut_ptr();
                    let sums_1_ptr = sums.1.as_mut_ptr();
                    k::launch(c as u32, 256, || unsafe {
                        k::batch_norm_backward_sums_block_f32(
                            dyf.as_ptr(),
                            kxh.as_ptr(),
                            sums_0_ptr,
                            sums_1_ptr,
                            nn,
                            cc,
                            pp,
                        )
                    });
                } else {
                    let sums_0_ptr = sums.0.as_mut_ptr();
                    let sums_1_ptr = sums.1.as_mut_ptr();
                    k::launch(1, 2, || unsafe {
                        k::batch_norm_backward_sums_seq_f32(
                            dyf.as_ptr(),
                            kxh.as_ptr(),
                            sums_0_ptr,
                            sums_1_ptr,
                            nn,
                            cc,
                            pp,
                        )
                    });
                }
                let mut kdx = vec![f32::NAN; xf.len()];
                let gptr = aff.map_or(std::ptr::null(), |a| a.0.as_ptr());
                let kdx_ptr = kdx.as_mut_ptr();
                k::launch(3, 32, || unsafe {
                    k::batch_norm_backward_dx_f32(
                        dyf.as_ptr(),
                        kxh.as_ptr(),
                        gptr,
                        kis.as_ptr(),
                        sums.0.as_ptr(),
                        sums.1.as_ptr(),
                        kdx_ptr,
                        cc,
                        pp,
                        nn * pp,
                        xf.len() as u64,
                    )
                });
                let pairs: [(&str, &[f32], Vec<f32>); 8] = [
                    ("y", &ky, flat(&y)),
                    ("x_hat", &kxh, flat(&cache.x_hat)),
                    ("inv_std", &kis, flat(&cache.inv_std)),
                    ("running_mean", &krm, flat(&rm)),
                    ("running_var", &krv, flat(&rv)),
                    ("dx", &kdx, flat(&dx)),
                    ("dgamma", &sums.1, flat(&dgamma)),
                    ("dbeta", &sums.0, flat(&dbeta)),
                ];
                for (name, got, want) in pairs {
                    if block_order {
                        let e =
                            assert_close(&format!("{what} block {name}"), got, &want, BN_BLOCK_TOL);
                        worst_block = worst_block.max(e);
                    } else {
                        assert_bits(&format!("{what} seq {name}"), got, &want);
                    }
                }
            }
            // Eval: inv_std from the running variance, then apply.
            let mut inv = vec![0f32; c];
            let (rmf, rvf) = (flat(&rm0), flat(&rv0));
            let inv_ptr = inv.as_mut_ptr();
            k::launch(1, 32, || unsafe {
                k::batch_norm_eval_inv_std_f32(rvf.as_ptr(), inv_ptr, p.eps as f32, c as u64)
            });
            let mut ky = vec![f32::NAN; xf.len()];
            let (gp, bp) = aff.map_or((std::ptr::null(), std::ptr::null()), |(g, b)| {
                (g.as_ptr(), b.as_ptr())
            });
            let ky_ptr = ky.as_mut_ptr();
            k::launch(4, 32, || unsafe {
                k::batch_norm_apply_f32(
                    xf.as_ptr(),
                    rmf.as_ptr(),
                    inv.as_ptr(),
                    gp,
                    bp,
                    std::ptr::null_mut(),
                    ky_ptr,
                    c as u64,
                    (h * w) as u64,
                    xf.len() as u64,
                )
            });
            assert_bits(&format!("{what} eval y"), &ky, &flat(&ev));
        }
    }
    eprintln!(
        "batch_norm block order: worst relative error {worst_block:e} (bound {BN_BLOCK_TOL:e})"
    );
}

#[test]
fn pooling_should_match_reference_backend() {
    if !ready() {
        return;
    }
    let params = [(3, 1, 1), (3, 2, 1), (2, 2, 0), (3, 2, 0), (5, 3, 2)];
    for (i, &(n, c, h, w)) in SHAPES.iter().enumerate() {
        for &(kernel, stride, padding) in &params {
            if h + 2 * padding < kernel || w + 2 * padding < kernel {
                continue;
            }
            let p = PoolParams {
                kernel,
                stride,
                padding,
            };
            let kp = k::PoolParams {
                kernel: kernel as u64,
                stride: stride as u64,
                padding: padding as u64,
            };
            let x = rand_array(&format!("pool/x{i}"), Ix4(n, c, h, w));
            let (oh, ow) = p.out_hw(h, w);
            let dy = rand_array(
                &format!("pool/dy{i}/{kernel}{stride}{padding}"),
                Ix4(n, c, oh, ow),
            );
            let (my, marg) = pool::max_pool2d_forward(&x, &p);
            let mdx = pool::max_pool2d_backward(&dy, &marg, (h, w));
            let ay = pool::avg_pool2d_forward(&x, &p);
            let adx = pool::avg_pool2d_backward(&dy, &p, (h, w));
            let (xf, dyf) = (flat(&x), flat(&dy));
            let dims = ((n * c) as u64, h as u64, w as u64, oh as u64, ow as u64);
            let what = format!("pool {n}x{c}x{h}x{w} k{kernel} s{stride} p{padding}");
            for (g, t) in LAUNCHES {
                let mut y = vec![f32::NAN; my.len()];
                let mut arg = vec![u32::MAX; my.len()];
                let y_ptr = y.as_mut_ptr();
                let arg_ptr = arg.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::max_pool2d_forward_f32(
                        xf.as_ptr(),
                        y_ptr,
                        arg_ptr,
                        kp,
                        dims.0,
                        dims.1,
                        dims.2,
                        dims.3,
                        dims.4,
                    )
                });
                assert_bits(&format!("{what} max forward"), &y, &flat(&my));
                assert_eq!(
                    arg,
                    marg.iter().copied().collect::<Vec<_>>(),
                    "{what} argmax"
                );
                let mut dx = vec![f32::NAN; xf.len()];
                let dx_ptr = dx.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::max_pool2d_backward_f32(
                        dyf.as_ptr(),
                        arg.as_ptr(),
                        dx_ptr,
                        kp,
                        dims.0,
                        dims.1,
                        dims.2,
                        dims.3,
                        dims.4,
                    )
                });
                assert_bits(&format!("{what} max backward"), &dx, &flat(&mdx));
                let mut y = vec![f32::NAN; ay.len()];
                let y_ptr = y.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::avg_pool2d_forward_f32(
                        xf.as_ptr(),
                        y_ptr,
                        kp,
                        dims.0,
                        dims.1,
                        dims.2,
                        dims.3,
                        dims.4,
                    )
                });
                assert_bits(&format!("{what} avg forward"), &y, &flat(&ay));
                let mut dx = vec![f32::NAN; xf.len()];
                let dx_ptr = dx.as_mut_ptr();
                k::launch(g, t, || unsafe {
                    k::avg_pool2d_backward_f32(
                        dyf.as_ptr(),
                        dx_ptr,
                        kp,
                        dims.0,
                        dims.1,
                        dims.2,
                        dims.3,
                        dims.4,
                    )
                });
                assert_bits(&format!("{what} avg backward"), &dx, &flat(&adx));
            }
        }
    }
}
