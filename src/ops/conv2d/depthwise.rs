//! Direct depthwise convolution (`groups == Cin == Cout`), the kernel under
//! the DARTS separable and dilated convolutions.
//!
//! Why not im2col: with one input channel per group each gemm is a single row,
//! so unfolding costs more than the arithmetic. Here each channel plane is
//! copied once into a zero-padded buffer and the loops run over it directly.
//! The filter gradient is the exception: each weight element is one long
//! chain over `(n, oy, ox)`, which cannot be split, so 8 channels are
//! interleaved and each vector lane carries one channel's chain.
//! The arithmetic is the one documented on the public functions (the same
//! chains, operands and zeros as the im2col path), so results are bit-identical
//! to what the general path would produce.

use super::Geometry;
use crate::ops::transpose;
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
    let kk = kh * kw;
    let mut dw = vec![T::ZERO; g.cout * kk];
    if dw.is_empty() {
        return dw;
    }
    let wp = g.w + 2 * g.p.padding[1];
    // Offset of tap (ky, kx) from a window's origin in the padded plane.
    let taps: Vec<usize> = (0..kh)
        .flat_map(|ky| (0..kw).map(move |kx| ky * dy * wp + kx * dx))
        .collect();
    // Taps per pass: the largest of these that divides kh·kw, so a pass's
    // accumulators have a size known at compile time (kept in registers).
    let group = [9, 5, 3, 1]
        .into_iter()
        .find(|gs| kk % gs == 0)
        .expect("1 divides");
    dw.par_chunks_mut(LANES * kk).enumerate().for_each_init(
        || (Vec::new(), Vec::new(), vec![[T::ZERO; LANES]; kk]),
        |(xi, di, acc), (blk, out)| {
            let c0 = blk * LANES;
            let lanes = out.len() / kk;
            acc.fill([T::ZERO; LANES]);
            for b in 0..g.n {
                interleave_x(g, x, b, c0, lanes, xi);
                interleave_dy(g, dyv, b, c0, lanes, di);
                let planes = Planes {
                    xi,
                    di,
                    wp,
                    ow: g.ow,
                    stride: (sy, sx),
                };
                for (t, a) in taps.chunks(group).zip(acc.chunks_mut(group)) {
                    match group {
                        9 => planes.chains::<9>(t, a),
                        5 => planes.chains::<5>(t, a),
                        3 => planes.chains::<3>(t, a),
                        _ => planes.chains::<1>(t, a),
                    }
                }
            }
            for (l, row) in out.chunks_exact_mut(kk).enumerate() {
                for (o, a) in row.iter_mut().zip(acc.iter()) {
                    *o = a[l];
                }
            }
        },
    );
    dw
}

/// Channels whose filter gradients are computed together, one per lane:
/// each lane is a separate chain, so vectorising over lanes keeps every
/// chain's order.
const LANES: usize = 8;

/// One image's padded input and output gradient for `LANES` channels,
/// interleaved (element `(pixel, lane)` at `pixel * LANES + lane`).
struct Planes<'a, T> {
    xi: &'a [T],
    di: &'a [T],
    /// Padded row length.
    wp: usize,
    /// Output row length.
    ow: usize,
    stride: (usize, usize),
}

impl<T: Real> Planes<'_, T> {
    /// Continues the chains of `G` taps over this image's `(oy, ox)` ascending:
    /// `acc[t][l] = dy[l].mul_add(x[origin + tap t][l], acc[t][l])`.
    #[inline(never)]
    fn chains<const G: usize>(&self, taps: &[usize], acc: &mut [[T; LANES]]) {
        let taps: &[usize; G] = taps.try_into().expect("tap group");
        let mut a: [[T; LANES]; G] = (&*acc).try_into().expect("acc group");
        let (sy, sx) = self.stride;
        for (oy, drow) in self.di.chunks_exact(self.ow * LANES).enumerate() {
            for (ox, gv) in drow.chunks_exact(LANES).enumerate() {
                let gv: &[T; LANES] = gv.try_into().expect("lanes");
                let origin = oy * sy * self.wp + ox * sx;
                for (at, &t) in a.iter_mut().zip(taps) {
                    let xv: &[T; LANES] = self.xi[(origin + t) * LANES..][..LANES]
                        .try_into()
                        .expect("lanes");
                    for l in 0..LANES {
                        at[l] = gv[l].mul_add(xv[l], at[l]);
                    }
                }
            }
        }
        acc.copy_from_slice(&a);
    }
}

/// Image `b`'s planes of channels `c0..c0+lanes`, zero-padded and
/// interleaved into `out`; missing lanes are zero. `out` is reused across
/// images: only the interior is written, so the zeros of the padding (and of
/// missing lanes) from its first filling stay.
fn interleave_x<T: Real>(
    g: &Geometry,
    x: &[T],
    b: usize,
    c0: usize,
    lanes: usize,
    out: &mut Vec<T>,
) {
    let (py, px) = (g.p.padding[0], g.p.padding[1]);
    let wp = g.w + 2 * px;
    let len = (g.h + 2 * py) * wp * LANES;
    if out.len() != len {
        out.clear();
        out.resize(len, T::ZERO);
    }
    let plane = g.h * g.w;
    let first = &x[((b * g.cin) + c0) * plane..];
    for iy in 0..g.h {
        let base = (iy + py) * wp + px;
        let dst = &mut out[base * LANES..(base + g.w) * LANES];
        transpose::rows_to_interleaved::<T, LANES>(&first[iy * g.w..], plane, lanes, g.w, dst);
    }
}

/// Image `b`'s output-gradient planes of channels `c0..c0+lanes`,
/// interleaved into `out`; missing lanes are zero (reused as in
/// [`interleave_x`]).
fn interleave_dy<T: Real>(
    g: &Geometry,
    dyv: &[T],
    b: usize,
    c0: usize,
    lanes: usize,
    out: &mut Vec<T>,
) {
    let pix = g.pix();
    if out.len() != pix * LANES {
        out.clear();
        out.resize(pix * LANES, T::ZERO);
    }
    let first = &dyv[((b * g.cout) + c0) * pix..];
    transpose::rows_to_interleaved::<T, LANES>(first, pix, lanes, pix, out);
}
