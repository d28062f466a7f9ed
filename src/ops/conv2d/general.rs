//! Convolution for any `groups` by im2col + gemm: one image at a time, the
//! input is unfolded into `col[(ci, ky, kx)][(oy, ox)]` (padding as `+0`), and
//! each group is one gemm whose `k` runs over that group's `(ci, ky, kx)` rows
//! (forward) or over output pixels (backward_filter). The gemm's fma chain over
//! `k` ascending is exactly the order documented in the parent module.
//!
//! A pointwise convolution (1×1, stride 1, no padding) skips the unfolding:
//! the image already is its `col` matrix.

use super::Geometry;
use crate::ops::gemm::{MatRef, gemm};
use crate::ops::recycle;
use crate::real::Real;
use rayon::prelude::*;

/// Input index `o·s + k·d - p` along one axis, or `None` in the padding.
#[inline(always)]
fn source(o: usize, s: usize, k: usize, d: usize, p: usize, size: usize) -> Option<usize> {
    (o * s + k * d).checked_sub(p).filter(|&i| i < size)
}

fn is_pointwise(g: &Geometry) -> bool {
    g.p.kernel == [1, 1] && g.p.stride == [1, 1] && g.p.padding == [0, 0]
}

/// Unfolds one image `(cin, h, w)` into `col` (`cin·kh·kw` rows of `oh·ow`).
fn im2col<T: Real>(g: &Geometry, xb: &[T], col: &mut [T]) {
    let [kh, kw] = g.p.kernel;
    let pix = g.pix();
    for ci in 0..g.cin {
        let plane = &xb[ci * g.h * g.w..(ci + 1) * g.h * g.w];
        for ky in 0..kh {
            for kx in 0..kw {
                let row = &mut col[((ci * kh + ky) * kw + kx) * pix..][..pix];
                for (oy, out) in row.chunks_exact_mut(g.ow).enumerate() {
                    let Some(iy) =
                        source(oy, g.p.stride[0], ky, g.p.dilation[0], g.p.padding[0], g.h)
                    else {
                        out.fill(T::ZERO);
                        continue;
                    };
                    let src = &plane[iy * g.w..(iy + 1) * g.w];
                    for (ox, o) in out.iter_mut().enumerate() {
                        let ix =
                            source(ox, g.p.stride[1], kx, g.p.dilation[1], g.p.padding[1], g.w);
                        *o = ix.map_or(T::ZERO, |ix| src[ix]);
                    }
                }
            }
        }
    }
}

/// Folds `col` back onto one image gradient `dxb` (zeroed by the caller):
/// plain `+` in `(ci, ky, kx, oy, ox)` loop order, padding dropped.
fn col2im<T: Real>(g: &Geometry, col: &[T], dxb: &mut [T]) {
    let [kh, kw] = g.p.kernel;
    let pix = g.pix();
    for ci in 0..g.cin {
        let plane = &mut dxb[ci * g.h * g.w..(ci + 1) * g.h * g.w];
        for ky in 0..kh {
            for kx in 0..kw {
                let row = &col[((ci * kh + ky) * kw + kx) * pix..][..pix];
                for (oy, src) in row.chunks_exact(g.ow).enumerate() {
                    let Some(iy) =
                        source(oy, g.p.stride[0], ky, g.p.dilation[0], g.p.padding[0], g.h)
                    else {
                        continue;
                    };
                    let dst = &mut plane[iy * g.w..(iy + 1) * g.w];
                    for (ox, &v) in src.iter().enumerate() {
                        if let Some(ix) =
                            source(ox, g.p.stride[1], kx, g.p.dilation[1], g.p.padding[1], g.w)
                        {
                            dst[ix] += v;
                        }
                    }
                }
            }
        }
    }
}

/// The `col` matrix of image `xb`: the image itself when pointwise, else
/// unfolded into `buf` (reused across images).
fn columns<'a, T: Real>(g: &Geometry, xb: &'a [T], buf: &'a mut Vec<T>) -> &'a [T] {
    if is_pointwise(g) {
        return xb;
    }
    buf.resize(g.cin * g.p.kernel[0] * g.p.kernel[1] * g.pix(), T::ZERO);
    im2col(g, xb, buf);
    buf
}

pub(super) fn forward<T: Real>(g: &Geometry, x: &[T], w: &[T]) -> Vec<T> {
    let (kk, pix, img) = (g.kk(), g.pix(), g.cin * g.h * g.w);
    // The gemms (not accumulating) write every element.
    let mut y = recycle::take(g.n * g.cout * pix);
    if y.is_empty() {
        return y;
    }
    y.par_chunks_mut(g.cout * pix)
        .enumerate()
        .for_each_init(Vec::new, |buf, (b, yb)| {
            let col = columns(g, &x[b * img..(b + 1) * img], buf);
            for gi in 0..g.p.groups {
                let a = MatRef::row_major(&w[gi * g.cog * kk..][..g.cog * kk], g.cog, kk);
                let bm = MatRef::row_major(&col[gi * kk * pix..][..kk * pix], kk, pix);
                gemm(a, bm, &mut yb[gi * g.cog * pix..][..g.cog * pix], false);
            }
        });
    y
}

pub(super) fn backward_data<T: Real>(g: &Geometry, dy: &[T], w: &[T]) -> Vec<T> {
    let (kk, pix, img) = (g.kk(), g.pix(), g.cin * g.h * g.w);
    // Written whole per image below: by the gemms when pointwise, else
    // zeroed and folded onto.
    let mut dx = recycle::take(g.n * img);
    if dx.is_empty() {
        return dx;
    }
    dx.par_chunks_mut(img)
        .enumerate()
        .for_each_init(Vec::new, |dcol: &mut Vec<T>, (b, dxb)| {
            let dyb = &dy[b * g.cout * pix..(b + 1) * g.cout * pix];
            let pointwise = is_pointwise(g);
            if !pointwise {
                dcol.resize(g.p.groups * kk * pix, T::ZERO);
            }
            for gi in 0..g.p.groups {
                let wt = MatRef::row_major(&w[gi * g.cog * kk..][..g.cog * kk], g.cog, kk).t();
                let dyg = MatRef::row_major(&dyb[gi * g.cog * pix..][..g.cog * pix], g.cog, pix);
                // Pointwise: `col` is the image, so each `dcol` entry is the
                // one term of its input element; written in place.
                let out = if pointwise {
                    &mut dxb[..]
                } else {
                    &mut dcol[..]
                };
                gemm(wt, dyg, &mut out[gi * kk * pix..][..kk * pix], false);
            }
            if pointwise {
                // `+0 + dcol`, as col2im would do it (turns a -0 into +0).
                dxb.iter_mut().for_each(|v| *v = T::ZERO + *v);
            } else {
                dxb.fill(T::ZERO);
                col2im(g, dcol, dxb);
            }
        });
    dx
}

pub(super) fn backward_filter<T: Real>(g: &Geometry, x: &[T], dy: &[T]) -> Vec<T> {
    let (kk, pix, img) = (g.kk(), g.pix(), g.cin * g.h * g.w);
    // The gemm reads its A in place and transposes (packs) its B. Both
    // operands are contiguous along the output pixels, so whichever is B is
    // transposed: take the one with fewer rows (a 1×1 preprocessing
    // convolution has 4C inputs and C outputs). `dwᵀ = col · dyᵀ` has the
    // same chains as `dw = dy · colᵀ`: `fma(col, dy, acc)` and
    // `fma(dy, col, acc)` round the same exact product.
    let swap = g.cog < kk;
    let mut dw = vec![T::ZERO; g.cout * kk];
    let mut buf = Vec::new();
    for b in 0..g.n {
        let col = columns(g, &x[b * img..(b + 1) * img], &mut buf);
        let dyb = &dy[b * g.cout * pix..(b + 1) * g.cout * pix];
        for gi in 0..g.p.groups {
            let dyg = MatRef::row_major(&dyb[gi * g.cog * pix..][..g.cog * pix], g.cog, pix);
            let colg = MatRef::row_major(&col[gi * kk * pix..][..kk * pix], kk, pix);
            let out = &mut dw[gi * g.cog * kk..][..g.cog * kk];
            // Accumulating from the second image on continues each chain over n.
            if swap {
                gemm(colg, dyg.t(), out, b > 0);
            } else {
                gemm(dyg, colg.t(), out, b > 0);
            }
        }
    }
    if swap {
        // Each group's block holds dwᵀ (kk × cog): put it back as cog × kk.
        for blk in dw.chunks_exact_mut(g.cog * kk) {
            let t = blk.to_vec();
            for (k, row) in t.chunks_exact(g.cog).enumerate() {
                for (co, &v) in row.iter().enumerate() {
                    blk[co * kk + k] = v;
                }
            }
        }
    }
    dw
}
