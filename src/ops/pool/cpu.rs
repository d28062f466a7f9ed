//! The CPU reference of max and average pooling: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use super::PoolParams;
use crate::ops::recycle;
use crate::real::Real;
use ndarray::Array4;
use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
#[path = "avx512.rs"]
mod avx512;
#[cfg(test)]
#[path = "tests.rs"]
mod tests;

/// Returns the output and, per output element, the flat index (`iy·W + ix`)
/// within its input plane of the element chosen.
pub fn max_pool2d_forward<T: Real>(x: &Array4<T>, p: &PoolParams) -> (Array4<T>, Array4<u32>) {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Pool);
    let (n, c, h, w) = x.dim();
    p.validate(h, w);
    assert!(h * w <= u32::MAX as usize, "max_pool2d: plane too large");
    let (oh, ow) = p.out_hw(h, w);
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    // `y` is written whole below.
    let mut y = recycle::array4::<T>((n, c, oh, ow));
    let mut arg = Array4::<u32>::zeros((n, c, oh, ow));
    if n * c == 0 {
        return (y, arg);
    }
    let s2 = p.stride == 2 && crate::ops::simd::avx512_f32::<T>();
    y.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(oh * ow)
        .zip(
            arg.as_slice_mut()
                .expect("fresh array")
                .par_chunks_mut(oh * ow),
        )
        .zip(xs.par_chunks(h * w))
        .for_each(|((yp, ap), xp)| {
            for oy in 0..oh {
                let rows = p.window(oy, h);
                let yr = &mut yp[oy * ow..(oy + 1) * ow];
                let ar = &mut ap[oy * ow..(oy + 1) * ow];
                // Columns whose window lies wholly inside the row (stride 1):
                // done tap by tap across the run, so the loop vectorises.
                // At stride 2 on AVX-512, 16 outputs at once.
                let run = if p.stride == 1 && w + p.padding >= p.kernel {
                    p.padding.min(ow)..(w + p.padding + 1 - p.kernel).min(ow)
                } else if s2 && w + p.padding >= p.kernel {
                    let start = p.padding.div_ceil(2).min(ow);
                    start..((w + p.padding - p.kernel) / 2 + 1).clamp(start, ow)
                } else {
                    0..0
                };
                for ox in (0..run.start).chain(run.end..ow) {
                    (yr[ox], ar[ox]) = max_window(xp, w, rows, p.window(ox, w));
                }
                if !run.is_empty() && p.stride == 2 {
                    let x0 = 2 * run.start - p.padding;
                    let (yr, ar) = (&mut yr[run.clone()], &mut ar[run]);
                    run_s2(xp, w, rows, (x0, p.kernel), yr, ar);
                } else if !run.is_empty() {
                    max_run(
                        xp,
                        w,
                        rows,
                        p,
                        run.clone(),
                        &mut yr[run.clone()],
                        &mut ar[run],
                    );
                }
            }
        });
    (y, arg)
}

/// Max and flat index of one window: scanned in `(iy, ix)` ascending order,
/// a later element replaces the best when it is greater or NaN.
fn max_window<T: Real>(
    xp: &[T],
    w: usize,
    (y0, y1): (usize, usize),
    (x0, x1): (usize, usize),
) -> (T, u32) {
    let mut best_i = y0 * w + x0;
    let mut best = xp[best_i];
    for iy in y0..y1 {
        for ix in x0..x1 {
            let i = iy * w + ix;
            let v = xp[i];
            #[allow(clippy::eq_op)]
            let is_nan = v != v;
            if v > best || is_nan {
                best = v;
                best_i = i;
            }
        }
    }
    (best, best_i as u32)
}

/// [`max_window`] for the output columns `run` of one row at stride 1, all
/// with full-width windows: the same comparisons in the same order per
/// element, but tap by tap across the run.
fn max_run<T: Real>(
    xp: &[T],
    w: usize,
    (y0, y1): (usize, usize),
    p: &PoolParams,
    run: std::ops::Range<usize>,
    yr: &mut [T],
    ar: &mut [u32],
) {
    let x0 = run.start - p.padding;
    let first = &xp[y0 * w + x0..][..run.len()];
    yr.copy_from_slice(first);
    for (j, a) in ar.iter_mut().enumerate() {
        *a = (y0 * w + x0 + j) as u32;
    }
    for iy in y0..y1 {
        for kx in 0..p.kernel {
            let base = iy * w + x0 + kx;
            let src = &xp[base..base + run.len()];
            for (j, ((b, a), &v)) in yr.iter_mut().zip(ar.iter_mut()).zip(src).enumerate() {
                #[allow(clippy::eq_op)]
                let take = v > *b || v != v;
                *b = if take { v } else { *b };
                *a = if take { (base + j) as u32 } else { *a };
            }
        }
    }
}

/// [`max_window`] for the outputs of one row at stride 2 whose windows lie
/// wholly inside it (output `j` at columns `x0 + 2j ..`), 16 at a time on
/// AVX-512: the same comparisons in the same order per output. Only called
/// where [`crate::ops::simd::avx512_f32`] holds.
fn run_s2<T: Real>(
    xp: &[T],
    w: usize,
    rows: (usize, usize),
    taps: (usize, usize),
    yr: &mut [T],
    ar: &mut [u32],
) {
    #[cfg(target_arch = "x86_64")]
    avx512::max_run_s2(xp, w, rows, taps, yr, ar);
    #[cfg(not(target_arch = "x86_64"))]
    unreachable!(
        "run_s2 without AVX-512 {:?}",
        (xp.len(), w, rows, taps, yr.len(), ar.len())
    );
}

/// Scatters `dy` to the argmax positions of an input of spatial size `hw`.
pub fn max_pool2d_backward<T: Real>(
    dy: &Array4<T>,
    argmax: &Array4<u32>,
    hw: (usize, usize),
) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Pool);
    let (n, c, oh, ow) = dy.dim();
    assert_eq!(argmax.dim(), dy.dim(), "max_pool2d: argmax shape");
    let (h, w) = hw;
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let args = argmax.as_standard_layout();
    let args = args.as_slice().expect("standard layout");
    // Each plane is zeroed by its task before the scatter.
    let mut dx = recycle::array4::<T>((n, c, h, w));
    if n * c == 0 || h * w == 0 || oh * ow == 0 {
        dx.fill(T::ZERO);
        return dx;
    }
    dx.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(h * w)
        .zip(dys.par_chunks(oh * ow))
        .zip(args.par_chunks(oh * ow))
        .for_each(|((dxp, dyp), ap)| {
            dxp.fill(T::ZERO);
            for (&g, &a) in dyp.iter().zip(ap) {
                dxp[a as usize] += g;
            }
        });
    dx
}

/// Average pooling, `count_include_pad=False`.
pub fn avg_pool2d_forward<T: Real>(x: &Array4<T>, p: &PoolParams) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Pool);
    let (n, c, h, w) = x.dim();
    p.validate(h, w);
    let (oh, ow) = p.out_hw(h, w);
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    // Written whole below.
    let mut y = recycle::array4::<T>((n, c, oh, ow));
    if n * c == 0 {
        return y;
    }
    y.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(oh * ow)
        .zip(xs.par_chunks(h * w))
        .for_each(|(yp, xp)| {
            for oy in 0..oh {
                let (y0, y1) = p.window(oy, h);
                for ox in 0..ow {
                    let (x0, x1) = p.window(ox, w);
                    let mut sum = T::ZERO;
                    for iy in y0..y1 {
                        for ix in x0..x1 {
                            sum += xp[iy * w + ix];
                        }
                    }
                    yp[oy * ow + ox] = sum / T::from_usize((y1 - y0) * (x1 - x0));
                }
            }
        });
    y
}

/// Backward of [`avg_pool2d_forward`] for an input of spatial size `hw`.
pub fn avg_pool2d_backward<T: Real>(
    dy: &Array4<T>,
    p: &PoolParams,
    hw: (usize, usize),
) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::Pool);
    let (n, c, oh, ow) = dy.dim();
    let (h, w) = hw;
    p.validate(h, w);
    assert_eq!(p.out_hw(h, w), (oh, ow), "avg_pool2d: dy shape");
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    // Each plane is zeroed by its task before the scatter.
    let mut dx = recycle::array4::<T>((n, c, h, w));
    if n * c == 0 {
        return dx;
    }
    dx.as_slice_mut()
        .expect("fresh array")
        .par_chunks_mut(h * w)
        .zip(dys.par_chunks(oh * ow))
        .for_each(|(dxp, dyp)| {
            dxp.fill(T::ZERO);
            for oy in 0..oh {
                let (y0, y1) = p.window(oy, h);
                for ox in 0..ow {
                    let (x0, x1) = p.window(ox, w);
                    let g = dyp[oy * ow + ox] / T::from_usize((y1 - y0) * (x1 - x0));
                    for iy in y0..y1 {
                        for ix in x0..x1 {
                            dxp[iy * w + ix] += g;
                        }
                    }
                }
            }
        });
    dx
}
