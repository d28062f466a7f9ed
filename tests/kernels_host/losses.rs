//! Exact-mode loss kernels (`rows.cu`, `nt_xent.cu`, `pirl_nce.cu`,
//! `cross_entropy.cu`), the gradient clip (`clip_grad_norm.cu`), the
//! factorized reduce's crop (`crop.cu`) and the elementary functions
//! (`libm.cuh` through `elementary.cu`), all bit for bit against the CPU.
//! Scalars the CPU computes in f32 outside any loop (scales, 1 − w, ε/K) are
//! computed here with the same f32 operations, as the backend does on the host.

use crate::common::{assert_bits, flat, rand_array, rand_vec, ready};
use csnas::ops::clip_grad_norm::clip_grad_norm;
use csnas::ops::cross_entropy as ce;
use csnas::ops::nt_xent;
use csnas::ops::pirl_nce::{self as pirl, MemoryBank};
use csnas::rng::StreamPath;
use csnas_kernel_host as k;
use ndarray::{Array2, Ix2, Ix4, s};

/// Normalises the rows of `x` (R × D) with the kernel; returns (x̂, norms).
fn normalize(x: &[f32], rows: usize, d: usize, eps: f32) -> (Vec<f32>, Vec<f32>) {
    let (mut xh, mut nrm) = (vec![f32::NAN; rows * d], vec![f32::NAN; rows]);
    let (xp, np) = (xh.as_mut_ptr(), nrm.as_mut_ptr());
    k::launch(2, 3, || unsafe {
        k::rows_normalize_f32(x.as_ptr(), xp, np, rows as u64, d as u64, eps)
    });
    (xh, nrm)
}

fn normalize_backward(xh: &[f32], nrm: &[f32], dxh: &[f32], d: usize, eps: f32) -> Vec<f32> {
    let mut dx = vec![f32::NAN; xh.len()];
    let p = dx.as_mut_ptr();
    let rows = nrm.len() as u64;
    k::launch(3, 2, || unsafe {
        k::rows_normalize_backward_f32(
            xh.as_ptr(),
            nrm.as_ptr(),
            dxh.as_ptr(),
            p,
            rows,
            d as u64,
            eps,
        )
    });
    dx
}

/// `(+0 + v_0 + ...) / divisor` with the kernel.
fn sum_div(v: &[f32], divisor: f32) -> f32 {
    let mut out = [f32::NAN];
    let p = out.as_mut_ptr();
    k::launch(2, 4, || unsafe {
        k::sum_div_f32(v.as_ptr(), v.len() as u64, divisor, p)
    });
    out[0]
}

#[test]
fn nt_xent_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    for (i, &(rows, d, tau)) in [(4, 3, 0.5f32), (6, 17, 0.5), (10, 64, 0.07), (16, 128, 0.2)]
        .iter()
        .enumerate()
    {
        let mut z: Array2<f32> = rand_array(&format!("ntx/z{i}"), Ix2(rows, d));
        if i == 1 {
            z.row_mut(2).fill(0.0); // the eps clamp
        }
        let dloss = 1.0f32 + i as f32 * 0.25;
        let (loss, cache) = nt_xent::nt_xent_forward(&z, tau).unwrap();
        let dz = nt_xent::nt_xent_backward(&cache, dloss);
        let eps = nt_xent::NORMALIZE_EPS as f32;
        let (zh, nrm) = normalize(&flat(&z), rows, d, eps);
        let (mut sim, mut probs, mut rl) = (
            vec![f32::NAN; rows * rows],
            vec![f32::NAN; rows * rows],
            vec![f32::NAN; rows],
        );
        let (sp, pp, rp) = (sim.as_mut_ptr(), probs.as_mut_ptr(), rl.as_mut_ptr());
        let (r, dd) = (rows as u64, d as u64);
        k::launch(3, 5, || unsafe {
            k::nt_xent_sim_f32(zh.as_ptr(), sp, r, dd, tau)
        });
        k::launch(2, 3, || unsafe {
            k::nt_xent_rows_f32(sim.as_ptr(), pp, rp, r)
        });
        let what = format!("nt_xent {rows}x{d} tau {tau}");
        assert_bits(
            &format!("{what} loss"),
            &[sum_div(&rl, rows as f32)],
            &[loss],
        );
        let mut g = vec![f32::NAN; rows * rows];
        let gp = g.as_mut_ptr();
        let scale = dloss / rows as f32;
        k::launch(4, 7, || unsafe {
            k::nt_xent_grad_f32(probs.as_ptr(), gp, r, scale)
        });
        let mut dzh = vec![f32::NAN; rows * d];
        let dp = dzh.as_mut_ptr();
        k::launch(3, 32, || unsafe {
            k::nt_xent_dzhat_f32(g.as_ptr(), zh.as_ptr(), dp, r, dd, tau)
        });
        let kdz = normalize_backward(&zh, &nrm, &dzh, d, eps);
        assert_bits(&format!("{what} dz"), &kdz, &flat(&dz));
    }
}

#[test]
fn pirl_nce_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    let (size, d, b) = (40usize, 24usize, 6usize);
    let weight = pirl::BANK_WEIGHT as f32;
    let feats0: Array2<f32> = rand_array("pirl/bank", Ix2(size, d));
    let mut bank = MemoryBank::from_features(feats0.clone(), weight).unwrap();
    // One epoch start and one update (a repeated index: order matters).
    bank.start_epoch();
    let count = 1.0f32 + (1.0f32 - weight) * 1.0f32;
    let upd_idx = [3usize, 17, 3, 39, 0, 22];
    let upd: Array2<f32> = rand_array("pirl/upd", Ix2(b, d));
    bank.update(&upd_idx, &upd).unwrap();
    let mut sums = flat(&feats0);
    let idx_u64: Vec<u64> = upd_idx.iter().map(|&v| v as u64).collect();
    let (sp, updf) = (sums.as_mut_ptr(), flat(&upd));
    k::launch(2, 8, || unsafe {
        k::pirl_bank_update_f32(
            sp,
            idx_u64.as_ptr(),
            updf.as_ptr(),
            b as u64,
            d as u64,
            1.0 - weight,
        )
    });
    for j in 0..size {
        let mine: Vec<f32> = sums[j * d..(j + 1) * d].iter().map(|s| s / count).collect();
        assert_bits(
            &format!("pirl bank entry {j} after update"),
            &mine,
            &bank.entry(j).to_vec(),
        );
    }
    // Forward and backward on the updated bank.
    let indices = [5usize, 9, 0, 31, 9, 12];
    let kneg = pirl::pirl_negative_count(b);
    let mut stream = StreamPath::root(3).child("pirl-test").stream();
    let negs = pirl::draw_negatives(size, &indices, kneg, &mut stream).unwrap();
    let view: Array2<f32> = rand_array("pirl/view", Ix2(b, d));
    let orig: Array2<f32> = rand_array("pirl/orig", Ix2(b, d));
    let tau = pirl::PIRL_TEMPERATURE as f32;
    let dloss = 1.5f32;
    let (loss, cache) = pirl::pirl_nce_forward(&view, &orig, &indices, &negs, &bank, tau).unwrap();
    let (dv, dorig) = pirl::pirl_nce_backward(&cache, &bank, dloss).unwrap();

    let eps = pirl::COSINE_EPS as f32;
    let mut units = vec![f32::NAN; size * d];
    let up = units.as_mut_ptr();
    k::launch(3, 4, || unsafe {
        k::pirl_bank_units_f32(sums.as_ptr(), count, up, size as u64, d as u64, eps)
    });
    let ind: Vec<u64> = indices.iter().map(|&v| v as u64).collect();
    let neg: Vec<u64> = negs.iter().map(|&v| v as u64).collect();
    let slots = kneg + 1;
    let term = |x: &Array2<f32>, scale: f32| -> (f32, Vec<f32>) {
        let (xh, nrm) = normalize(&flat(x), b, d, eps);
        let (mut sc, mut probs, mut rl) = (
            vec![f32::NAN; b * slots],
            vec![f32::NAN; b * slots],
            vec![f32::NAN; b],
        );
        let (scp, pp, rp) = (sc.as_mut_ptr(), probs.as_mut_ptr(), rl.as_mut_ptr());
        let (bb, kk, dd) = (b as u64, kneg as u64, d as u64);
        k::launch(5, 8, || unsafe {
            k::pirl_logits_f32(
                xh.as_ptr(),
                units.as_ptr(),
                ind.as_ptr(),
                neg.as_ptr(),
                scp,
                bb,
                kk,
                dd,
                tau,
            )
        });
        k::launch(1, 4, || unsafe {
            k::nce_rows_f32(sc.as_ptr(), pp, rp, bb, slots as u64)
        });
        let mut dh = vec![f32::NAN; b * d];
        let dp = dh.as_mut_ptr();
        k::launch(3, 16, || unsafe {
            k::pirl_dhat_f32(
                probs.as_ptr(),
                units.as_ptr(),
                ind.as_ptr(),
                neg.as_ptr(),
                dp,
                bb,
                kk,
                dd,
                scale,
                tau,
            )
        });
        (
            sum_div(&rl, b as f32),
            normalize_backward(&xh, &nrm, &dh, d, eps),
        )
    };
    let w = pirl::VIEW_LOSS_WEIGHT as f32;
    let (lv, kdv) = term(&view, w * dloss / b as f32);
    let (lo, kdo) = term(&orig, (1.0 - w) * dloss / b as f32);
    assert_bits("pirl loss", &[w * lv + (1.0 - w) * lo], &[loss]);
    assert_bits("pirl d view", &kdv, &flat(&dv));
    assert_bits("pirl d original", &kdo, &flat(&dorig));
}

#[test]
fn cross_entropy_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    for (i, &(n, kc, eps)) in [(3, 2, 0.0f32), (5, 10, 0.1), (8, 37, 0.0), (4, 1000, 0.3)]
        .iter()
        .enumerate()
    {
        let x = rand_array(&format!("ce/x{i}"), Ix2(n, kc)).mapv(|v: f32| 8.0 * v);
        let labels: Vec<usize> = (0..n).map(|r| (r * 7 + i) % kc).collect();
        let dloss = 0.75f32;
        let (loss, cache) = ce::cross_entropy_forward(&x, &labels, eps).unwrap();
        let dx = ce::cross_entropy_backward(&cache, dloss);
        let xf = flat(&x);
        let lab: Vec<u64> = labels.iter().map(|&v| v as u64).collect();
        let (mut probs, mut rl) = (vec![f32::NAN; n * kc], vec![f32::NAN; n]);
        let (pp, rp) = (probs.as_mut_ptr(), rl.as_mut_ptr());
        let (nn, kk) = (n as u64, kc as u64);
        let (one_minus, over_k) = (1.0 - eps, eps / kc as f32);
        k::launch(2, 2, || unsafe {
            k::cross_entropy_rows_f32(
                xf.as_ptr(),
                lab.as_ptr(),
                pp,
                rp,
                nn,
                kk,
                eps,
                one_minus,
                over_k,
            )
        });
        let what = format!("cross_entropy {n}x{kc} eps {eps}");
        assert_bits(&format!("{what} loss"), &[sum_div(&rl, n as f32)], &[loss]);
        let mut kdx = vec![f32::NAN; n * kc];
        let dp = kdx.as_mut_ptr();
        let on = (1.0 - eps) + over_k;
        k::launch(3, 64, || unsafe {
            k::cross_entropy_backward_f32(
                probs.as_ptr(),
                lab.as_ptr(),
                dp,
                nn,
                kk,
                on,
                over_k,
                dloss / n as f32,
            )
        });
        assert_bits(&format!("{what} dx"), &kdx, &flat(&dx));
    }
}

#[test]
fn clip_grad_norm_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    for (ci, max_norm) in [0.5f32, 5.0, 1e6].into_iter().enumerate() {
        let sizes = [1usize, 17, 300, 4096];
        let mut cpu: Vec<Vec<f32>> = sizes
            .iter()
            .enumerate()
            .map(|(t, &n)| rand_vec(&format!("clip/{ci}/{t}"), n))
            .collect();
        let mut gpu = cpu.clone();
        let total = {
            let mut refs: Vec<&mut [f32]> = cpu.iter_mut().map(|v| v.as_mut_slice()).collect();
            clip_grad_norm(&mut refs, max_norm)
        };
        let mut sq = vec![f32::NAN; sizes.len()];
        let sqp = sq.as_mut_ptr();
        for (t, g) in gpu.iter().enumerate() {
            k::launch(2, 4, || unsafe {
                k::clip_sumsq_f32(g.as_ptr(), g.len() as u64, sqp, t as u64)
            });
        }
        // Fast mode's block-order sum of squares: within rounding of the
        // sequential chain (each tensor here has at most 4096 terms ≤ 1, so
        // either order's relative error is below 4096·2⁻²⁴ ≈ 2.4e-4; the
        // bound asserted is 1e-4 relative, and the worst seen is printed).
        let mut sqb = vec![f32::NAN; sizes.len()];
        let sqbp = sqb.as_mut_ptr();
        for (t, g) in gpu.iter().enumerate() {
            k::launch(1, 256, || unsafe {
                k::clip_sumsq_block_f32(g.as_ptr(), g.len() as u64, sqbp, t as u64)
            });
        }
        let worst = crate::common::assert_close("clip_sumsq_block_f32", &sqb, &sq, 1e-4);
        eprintln!("clip_sumsq_block_f32 vs sequential: worst relative error {worst:e}");
        let mut out = [f32::NAN; 2];
        let op = out.as_mut_ptr();
        k::launch(1, 1, || unsafe {
            k::clip_coef_f32(
                sq.as_ptr(),
                sizes.len() as u64,
                max_norm,
                1e-6f64 as f32,
                op,
            )
        });
        assert_bits(
            &format!("clip total (max_norm {max_norm})"),
            &out[..1],
            &[total],
        );
        for (t, g) in gpu.iter_mut().enumerate() {
            let gp = g.as_mut_ptr();
            k::launch(3, 32, || unsafe {
                k::scale_by_f32(gp, out[1], sizes[t] as u64)
            });
            assert_bits(
                &format!("clipped gradient {t} (max_norm {max_norm})"),
                g,
                &cpu[t],
            );
        }
    }
}

#[test]
fn crop_and_add_crop_should_match_reference_backend() {
    if !ready() {
        return;
    }
    for (i, &(n, c, h, w)) in [(2, 3, 8, 8), (1, 2, 7, 5), (3, 1, 2, 2)]
        .iter()
        .enumerate()
    {
        let r = rand_array(&format!("crop/r{i}"), Ix4(n, c, h, w));
        let want = r.slice(s![.., .., 1.., 1..]).to_owned();
        let rf = flat(&r);
        let (planes, oh, ow) = ((n * c) as u64, (h - 1) as u64, (w - 1) as u64);
        let mut got = vec![f32::NAN; want.len()];
        let gp = got.as_mut_ptr();
        k::launch(2, 16, || unsafe {
            k::crop_f32(rf.as_ptr(), gp, planes, h as u64, w as u64, 1, 1, oh, ow)
        });
        assert_bits(&format!("crop {n}x{c}x{h}x{w}"), &got, &flat(&want));
        let d = rand_array(&format!("crop/d{i}"), Ix4(n, c, h - 1, w - 1));
        let mut dr = r.clone();
        ndarray::Zip::from(dr.slice_mut(s![.., .., 1.., 1..]))
            .and(&d)
            .for_each(|a, &b| *a += b);
        let (mut kd, df) = (rf.clone(), flat(&d));
        let kp = kd.as_mut_ptr();
        k::launch(3, 8, || unsafe {
            k::add_crop_into_f32(kp, df.as_ptr(), planes, h as u64, w as u64, 1, 1, oh, ow)
        });
        assert_bits(&format!("add_crop_into {n}x{c}x{h}x{w}"), &kd, &flat(&dr));
    }
}

/// Float bit patterns: every 257th one (16.7 million, all signs and
/// exponents), plus ±2 around every branch threshold of the algorithms.
fn sweep() -> Vec<f32> {
    let mut bits: Vec<u32> = (0..=u32::MAX).step_by(257).collect();
    let edges = [
        0u32,
        1,
        0x0080_0000,
        0x3900_0000,
        0x3eb1_7218,
        0x3f35_04f3,
        0x3f80_0000,
        0x3f85_1592,
        0x42ae_ac50,
        0x42b1_7218,
        0x42cf_f1b5,
        0x7f7f_ffff,
        0x7f80_0000,
        0x7fc0_0000,
    ];
    for e in edges {
        for sign in [0, 0x8000_0000u32] {
            for delta in 0..5u32 {
                bits.push((e | sign).wrapping_add(delta).wrapping_sub(2));
            }
        }
    }
    bits.into_iter().map(f32::from_bits).collect()
}

#[test]
fn exp_and_log_match_libm_bit_for_bit_on_a_sweep_of_all_floats() {
    if !ready() {
        return;
    }
    let x = sweep();
    for (name, f, reference) in [
        (
            "expf",
            k::exp_f32 as unsafe fn(*const f32, *mut f32, u64),
            libm::expf as fn(f32) -> f32,
        ),
        ("logf", k::log_f32, libm::logf),
    ] {
        let mut y = vec![0f32; x.len()];
        let yp = y.as_mut_ptr();
        k::launch(4, 16, || unsafe { f(x.as_ptr(), yp, x.len() as u64) });
        let mut checked = 0usize;
        for (&xi, &yi) in x.iter().zip(&y) {
            let want = reference(xi);
            // NaN results: the payload may differ on a GPU; both must be NaN.
            let same = if want.is_nan() {
                yi.is_nan()
            } else {
                yi.to_bits() == want.to_bits()
            };
            assert!(
                same,
                "{name}({xi:e} = {:#010x}): kernel {yi:e} ({:#010x}) vs libm {want:e} ({:#010x})",
                xi.to_bits(),
                yi.to_bits(),
                want.to_bits()
            );
            checked += 1;
        }
        eprintln!("{name}: {checked} inputs bit-identical to libm");
    }
}
