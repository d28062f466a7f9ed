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
use crate::ops::{recycle, transpose};
use crate::real::Real;
use rayon::prelude::*;

/// Planes handed to one rayon task at least (a plane is small work).
const MIN_PLANES: usize = 4;

/// Copies an `h × w` plane into `out`, zero-padded by `(py, px)`. `out` is
/// reused across the planes of one call: only the interior is written, so
/// the zeros of the border from its first filling stay.
fn pad_plane<T: Real>(
    src: &[T],
    (h, w): (usize, usize),
    (py, px): (usize, usize),
    out: &mut Vec<T>,
) {
    let wp = w + 2 * px;
    let len = (h + 2 * py) * wp;
    if out.len() != len {
        out.clear();
        out.resize(len, T::ZERO);
    }
    for (iy, row) in src.chunks_exact(w).enumerate() {
        out[(iy + py) * wp + px..][..w].copy_from_slice(row);
    }
}

/// Output columns computed together (accumulators kept in registers).
const V: usize = 8;

/// Forward of one plane at column stride 1: per block of `V` outputs of a
/// row, the chains over `(ky, kx)` ascending run in registers, from +0.
fn forward_unit_stride<T: Real>(g: &Geometry, xp: &[T], wk: &[T], yp: &mut [T]) {
    let ([kh, kw], [sy, _], [dy, dx]) = (g.p.kernel, g.p.stride, g.p.dilation);
    let wp = g.w + 2 * g.p.padding[1];
    let full = g.ow / V * V;
    for (oy, yrow) in yp.chunks_exact_mut(g.ow).enumerate() {
        let (blocks, tail) = yrow.split_at_mut(full);
        for (bi, out) in blocks.chunks_exact_mut(V).enumerate() {
            let mut acc = [T::ZERO; V];
            for ky in 0..kh {
                let base = (oy * sy + ky * dy) * wp + bi * V;
                for kx in 0..kw {
                    let wv = wk[ky * kw + kx];
                    let xv: &[T; V] = xp[base + kx * dx..][..V].try_into().expect("V");
                    for i in 0..V {
                        acc[i] = wv.mul_add(xv[i], acc[i]);
                    }
                }
            }
            out.copy_from_slice(&acc);
        }
        for (t, out) in tail.iter_mut().enumerate() {
            let mut acc = T::ZERO;
            for ky in 0..kh {
                let base = (oy * sy + ky * dy) * wp + full + t;
                for kx in 0..kw {
                    acc = wk[ky * kw + kx].mul_add(xp[base + kx * dx], acc);
                }
            }
            *out = acc;
        }
    }
}

/// Backward-data of one plane at stride 1 with finite weights, written
/// straight into the input-gradient plane `out`: per input element, the
/// terms `w · dy` in `(ky, kx)` ascending order added to +0 — the order of
/// the scattering loop in [`backward_data`], gathered. `dyp` is the plane
/// `dy` zero-padded by `(kh - 1)·dy` rows and `(kw - 1)·dx` columns, so a
/// tap with no output element reads a zero: `w · 0` is ±0 for a finite `w`,
/// and adding ±0 to a sum that started at +0 never changes it (such a sum is
/// never -0), so the extra terms leave every bit as the scatter has it.
fn backward_data_unit_stride<T: Real>(g: &Geometry, dyp: &[T], wk: &[T], out: &mut [T]) {
    let ([kh, kw], [dy, dx]) = (g.p.kernel, g.p.dilation);
    let (py, px) = (g.p.padding[0], g.p.padding[1]);
    let (ty, tx) = ((kh - 1) * dy, (kw - 1) * dx);
    let wq = g.ow + 2 * tx;
    let full = g.w / V * V;
    // Input (iy, ix), tap (ky, kx) reads dy[iy + py - ky·dy][ix + px - kx·dx],
    // at dyp[(iy + py + ty - ky·dy) · wq + ix + px + tx - kx·dx].
    for (iy, orow) in out.chunks_exact_mut(g.w).enumerate() {
        let (blocks, tail) = orow.split_at_mut(full);
        for (bi, o) in blocks.chunks_exact_mut(V).enumerate() {
            let mut acc = [T::ZERO; V];
            for ky in 0..kh {
                let row = (iy + py + ty - ky * dy) * wq + bi * V + px + tx;
                for kx in 0..kw {
                    let wv = wk[ky * kw + kx];
                    let gv: &[T; V] = dyp[row - kx * dx..][..V].try_into().expect("V");
                    for i in 0..V {
                        acc[i] += wv * gv[i];
                    }
                }
            }
            o.copy_from_slice(&acc);
        }
        for (t, o) in tail.iter_mut().enumerate() {
            let mut acc = T::ZERO;
            for ky in 0..kh {
                let row = (iy + py + ty - ky * dy) * wq + full + t + px + tx;
                for kx in 0..kw {
                    acc += wk[ky * kw + kx] * dyp[row - kx * dx];
                }
            }
            *o = acc;
        }
    }
}

pub(super) fn forward<T: Real>(g: &Geometry, x: &[T], w: &[T]) -> Vec<T> {
    let ([kh, kw], [sy, sx], [dy, dx]) = (g.p.kernel, g.p.stride, g.p.dilation);
    let (pix, wp) = (g.pix(), g.w + 2 * g.p.padding[1]);
    // Every element is written below (the strided rows zero their chains first).
    let mut y = recycle::take(g.n * g.cout * pix);
    if y.is_empty() {
        return y;
    }
    let planes = y.par_chunks_mut(pix).enumerate().with_min_len(MIN_PLANES);
    let pad = (g.p.padding[0], g.p.padding[1]);
    planes.for_each_init(Vec::new, |xp, (plane, yp)| {
        let c = plane % g.cout;
        pad_plane(
            &x[plane * g.h * g.w..(plane + 1) * g.h * g.w],
            (g.h, g.w),
            pad,
            xp,
        );
        let wk = &w[c * kh * kw..(c + 1) * kh * kw];
        if sx == 1 {
            forward_unit_stride(g, xp, wk, yp);
            return;
        }
        for (oy, yrow) in yp.chunks_exact_mut(g.ow).enumerate() {
            // Per element: fma chain over (ky, kx) ascending, from +0.
            yrow.fill(T::ZERO);
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
    // Every plane is written whole below.
    let mut dxv = recycle::take(g.n * g.cin * plane_len);
    if dxv.is_empty() {
        return dxv;
    }
    let planes = dxv
        .par_chunks_mut(plane_len)
        .enumerate()
        .with_min_len(MIN_PLANES);
    let unit = sy == 1 && sx == 1;
    let tap_pad = ((kh - 1) * dy, (kw - 1) * dx);
    let bufs = || (Vec::new(), Vec::new());
    planes.for_each_init(
        bufs,
        |(dxp, padded_dy): &mut (Vec<T>, Vec<T>), (plane, out)| {
            let c = plane % g.cin;
            let wk = &w[c * kh * kw..(c + 1) * kh * kw];
            if unit && wk.iter().all(|v| v.is_finite()) {
                let dyp = &dyv[plane * pix..(plane + 1) * pix];
                pad_plane(dyp, (g.oh, g.ow), tap_pad, padded_dy);
                backward_data_unit_stride(g, padded_dy, wk, out);
                return;
            }
            dxp.clear();
            dxp.resize((g.h + 2 * py) * wp, T::ZERO);
            let dyp = &dyv[plane * pix..(plane + 1) * pix];
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
        },
    );
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
