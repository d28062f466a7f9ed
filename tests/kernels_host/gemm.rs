//! Exact-mode matrix product (`gemm.cu`) and the linear layer's bias and
//! bias-gradient kernels (`linear.cu`) against the CPU, bit for bit. The
//! shapes cross the CPU gemm's paths: the scalar one (m·n·k ≤ 4096), the
//! packed one with ragged panels (m not a multiple of 6, n not of 16), a
//! depth over one KC block (k > 256), and transposed (strided) operands.

use crate::common::{assert_bits, flat, rand_array, rand_vec, ready};
use csnas::ops::gemm::{MatRef, gemm};
use csnas::ops::linear;
use csnas_kernel_host as k;
use ndarray::{Ix1, Ix2};

fn layout(m: &MatRef<'_, f32>) -> k::MatLayout {
    k::MatLayout {
        rows: m.rows as u64,
        cols: m.cols as u64,
        rs: m.row_stride as u64,
        cs: m.col_stride as u64,
    }
}

#[test]
fn gemm_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    let shapes = [
        (1, 1, 1),
        (3, 5, 7),
        (13, 300, 17),
        (7, 33, 70),
        (20, 9, 290),
    ];
    for (si, &(m, kk, n)) in shapes.iter().enumerate() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            for accumulate in [false, true] {
                let a = rand_vec(&format!("gemm/a{si}"), m * kk);
                let b = rand_vec(&format!("gemm/b{si}"), kk * n);
                let am = if ta {
                    MatRef::row_major(&a, kk, m).t()
                } else {
                    MatRef::row_major(&a, m, kk)
                };
                let bm = if tb {
                    MatRef::row_major(&b, n, kk).t()
                } else {
                    MatRef::row_major(&b, kk, n)
                };
                let c0 = rand_vec(&format!("gemm/c{si}"), m * n);
                let mut want = c0.clone();
                gemm(am, bm, &mut want, accumulate);
                let mut got = c0.clone();
                let (la, lb) = (layout(&am), layout(&bm));
                let got_ptr = got.as_mut_ptr();
                k::launch(3, 64, || unsafe {
                    k::gemm_exact_f32(a.as_ptr(), la, b.as_ptr(), lb, got_ptr, accumulate as i32)
                });
                assert_bits(
                    &format!("gemm {m}x{kk}x{n} ta={ta} tb={tb} acc={accumulate}"),
                    &got,
                    &want,
                );
            }
        }
    }
}

#[test]
fn linear_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    for (i, &(n, fin, fout)) in [(4, 3, 2), (7, 33, 10), (16, 256, 17)].iter().enumerate() {
        let x = rand_array(&format!("linear/x{i}"), Ix2(n, fin));
        let w = rand_array(&format!("linear/w{i}"), Ix2(fout, fin));
        let b = rand_array(&format!("linear/b{i}"), Ix1(fout));
        let dy = rand_array(&format!("linear/dy{i}"), Ix2(n, fout));
        let y = linear::linear_forward(&x, &w, Some(&b));
        let (dx, dw, db) = linear::linear_backward(&x, &w, &dy);
        let (xf, wf, bf, dyf) = (flat(&x), flat(&w), flat(&b), flat(&dy));
        let (xm, wm, dym) = (
            MatRef::row_major(&xf, n, fin),
            MatRef::row_major(&wf, fout, fin),
            MatRef::row_major(&dyf, n, fout),
        );
        let run = |a: MatRef<'_, f32>, bm: MatRef<'_, f32>, out: &mut Vec<f32>| {
            let (la, lb) = (layout(&a), layout(&bm));
            let (ap, bp, op) = (a.data.as_ptr(), bm.data.as_ptr(), out.as_mut_ptr());
            k::launch(2, 32, || unsafe {
                k::gemm_exact_f32(ap, la, bp, lb, op, 0)
            });
        };
        let mut ky = vec![f32::NAN; n * fout];
        run(xm, wm.t(), &mut ky);
        let ky_ptr = ky.as_mut_ptr();
        k::launch(2, 32, || unsafe {
            k::linear_bias_f32(ky_ptr, bf.as_ptr(), n as u64, fout as u64)
        });
        assert_bits(&format!("linear {n}x{fin}->{fout} forward"), &ky, &flat(&y));
        let mut kdx = vec![f32::NAN; n * fin];
        run(dym, wm, &mut kdx);
        assert_bits(&format!("linear {n}x{fin}->{fout} dx"), &kdx, &flat(&dx));
        let mut kdw = vec![f32::NAN; fout * fin];
        run(dym.t(), xm, &mut kdw);
        assert_bits(&format!("linear {n}x{fin}->{fout} dw"), &kdw, &flat(&dw));
        let mut kdb = vec![f32::NAN; fout];
        let kdb_ptr = kdb.as_mut_ptr();
        k::launch(1, 8, || unsafe {
            k::column_sum_f32(dyf.as_ptr(), kdb_ptr, n as u64, fout as u64)
        });
        assert_bits(&format!("linear {n}x{fin}->{fout} db"), &kdb, &flat(&db));
    }
}
