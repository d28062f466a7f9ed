//! Direct depthwise convolution (`groups == Cin == Cout`), the kernel under
//! the DARTS separable and dilated convolutions.
//!
//! Why not im2col: with one input channel per group each gemm is a single row,
//! so unfolding costs more than the arithmetic. Here each channel plane is
//! copied once into a zero-padded buffer and the loops run over it directly.
//! The arithmetic is the one documented on the public functions (the same
//! chains, operands and zeros as the im2col path), so results are bit-identical
//! to what the general path would produce.

use super::Geometry;
use crate::real::Real;
use rayon::prelude::*;

/// Planes handed to one rayon task at least (a plane is small work).
const MIN_PLANES: usize = 4;

/// Copies an `h × w` plane into `out`, zero-padded by `(py, px)`.
fn pad_plane<T: Real>(g: &Geometry, src: &[T], out: &mut Vec<T>) {
    let (py, px) = (g.p.padding[0], g.p.padding[1]);
    let wp = g.w + 2 * px;
    out.clear();
    out.resize((g.h + 2 * py) * wp, T::ZERO);
    for (iy, row) in src.chunks_exact(g.w).enumerate() {
        out[(iy + py) * wp + px..][..g.w].copy_from_slice(row);
    }
}

pub(super) fn forward<T: Real>(g: &Geometry, x: &[T], w: &[T]) -> Vec<T> {
    let ([kh, kw], [sy, sx], [dy, dx]) = (g.p.kernel, g.p.stride, g.p.dilation);
    let (pix, wp) = (g.pix(), g.w + 2 * g.p.padding[1]);
    let mut y = vec![T::ZERO; g.n * g.cout * pix];
    if y.is_empty() {
        return y;
    }
    let planes = y.par_chunks_mut(pix).enumerate().with_min_len(MIN_PLANES);
    planes.for_each_init(Vec::new, |xp, (plane, yp)| {
        let c = plane % g.cout;
        pad_plane(g, &x[plane * g.h * g.w..(plane + 1) * g.h * g.w], xp);
        let wk = &w[c * kh * kw..(c + 1) * kh * kw];
        for (oy, yrow) in yp.chunks_exact_mut(g.ow).enumerate() {
            // Per element: fma chain over (ky, kx) ascending, from +0.
            for ky in 0..kh {
                let base = (oy * sy + ky * dy) * wp;
                for kx in 0..kw {
                    let wv = wk[ky * kw + kx];
                    let xrow = &xp[base + kx * dx..];
                    if sx == 1 {
                        for (acc, &xv) in yrow.iter_mut().zip(&xrow[..g.ow]) {
                            *acc = wv.mul_add(xv, *acc);
                        }
                    } else {
                        for (ox, acc) in yrow.iter_mut().enumerate() {
                            *acc = wv.mul_add(xrow[ox * sx], *acc);
                        }
                    }
                }
            }
        }
    });
    y
}

pub(super) fn backward_data<T: Real>(g: &Geometry, dyv: &[T], w: &[T]) -> Vec<T> {
    let ([kh, kw], [sy, sx], [dy, dx]) = (g.p.kernel, g.p.stride, g.p.dilation);
    let (py, px) = (g.p.padding[0], g.p.padding[1]);
    let (pix, wp, plane_len) = (g.pix(), g.w + 2 * px, g.h * g.w);
    let mut dxv = vec![T::ZERO; g.n * g.cin * plane_len];
    if dxv.is_empty() {
        return dxv;
    }
    let planes = dxv
        .par_chunks_mut(plane_len)
        .enumerate()
        .with_min_len(MIN_PLANES);
    planes.for_each_init(Vec::new, |dxp: &mut Vec<T>, (plane, out)| {
        let c = plane % g.cin;
        dxp.clear();
        dxp.resize((g.h + 2 * py) * wp, T::ZERO);
        let dyp = &dyv[plane * pix..(plane + 1) * pix];
        let wk = &w[c * kh * kw..(c + 1) * kh * kw];
        // (ky, kx) outermost: each input element receives its terms in
        // (ky, kx) ascending order; w·dy is rounded, then added (not fused),
        // exactly as fma(w, dy, +0) followed by col2im's `+`.
        for ky in 0..kh {
            for kx in 0..kw {
                let wv = wk[ky * kw + kx];
                for (oy, dyrow) in dyp.chunks_exact(g.ow).enumerate() {
                    let base = (oy * sy + ky * dy) * wp + kx * dx;
                    if sx == 1 {
                        for (t, &gv) in dxp[base..base + g.ow].iter_mut().zip(dyrow) {
                            *t += wv * gv;
                        }
                    } else {
                        for (ox, &gv) in dyrow.iter().enumerate() {
                            dxp[base + ox * sx] += wv * gv;
                        }
                    }
                }
            }
        }
        for (iy, row) in out.chunks_exact_mut(g.w).enumerate() {
            row.copy_from_slice(&dxp[(iy + py) * wp + px..][..g.w]);
        }
    });
    dxv
}

pub(super) fn backward_filter<T: Real>(g: &Geometry, x: &[T], dyv: &[T]) -> Vec<T> {
    let ([kh, kw], [sy, sx], [dy, dx]) = (g.p.kernel, g.p.stride, g.p.dilation);
    let (pix, wp, plane_len) = (g.pix(), g.w + 2 * g.p.padding[1], g.h * g.w);
    let mut dw = vec![T::ZERO; g.cout * kh * kw];
    if dw.is_empty() {
        return dw;
    }
    // Offset of tap (ky, kx) from a window's origin in the padded plane.
    let taps: Vec<usize> = (0..kh)
        .flat_map(|ky| (0..kw).map(move |kx| ky * dy * wp + kx * dx))
        .collect();
    let span = taps.last().copied().unwrap_or(0) + 1;
    dw.par_chunks_mut(kh * kw)
        .enumerate()
        .for_each_init(Vec::new, |xp, (c, acc)| {
            // Per weight element: fma chain over (n, oy, ox) ascending, from +0.
            // The kh·kw chains are independent and interleaved for speed only.
            for b in 0..g.n {
                let plane = b * g.cin + c;
                pad_plane(g, &x[plane * plane_len..(plane + 1) * plane_len], xp);
                let dyp = &dyv[plane * pix..(plane + 1) * pix];
                for (oy, dyrow) in dyp.chunks_exact(g.ow).enumerate() {
                    for (ox, &gv) in dyrow.iter().enumerate() {
                        let origin = oy * sy * wp + ox * sx;
                        let window = &xp[origin..origin + span];
                        for (a, &t) in acc.iter_mut().zip(&taps) {
                            *a = gv.mul_add(window[t], *a);
                        }
                    }
                }
            }
        });
    dw
}
