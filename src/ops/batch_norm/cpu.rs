//! The CPU reference of batch normalisation: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use super::BatchNormParams;
use crate::ops::recycle;
use crate::real::Real;
use ndarray::{Array1, Array4};
use rayon::prelude::*;

#[cfg(target_arch = "x86_64")]
#[path = "avx512.rs"]
mod avx512;
#[cfg(test)]
#[path = "tests.rs"]
mod tests;

/// What the backward pass needs from a training-mode forward pass.
#[derive(Clone, Debug)]
pub struct BatchNormCache<T: Real> {
    pub x_hat: Array4<T>,
    pub inv_std: Array1<T>,
}

/// The backward pass has read `x_hat` once the cache goes: its buffer serves
/// a later op ([`crate::ops::recycle`]).
impl<T: Real> Drop for BatchNormCache<T> {
    fn drop(&mut self) {
        let empty = Array4::from_shape_vec((0, 0, 0, 0), Vec::new()).expect("empty");
        recycle::give4(std::mem::replace(&mut self.x_hat, empty));
    }
}

/// Checks that the optional affine parameters have one entry per channel.
fn check_affine<T>(c: usize, gamma: Option<&Array1<T>>, beta: Option<&Array1<T>>) {
    assert_eq!(
        gamma.is_some(),
        beta.is_some(),
        "batch_norm: gamma and beta must both be given or both be absent"
    );
    if let (Some(g), Some(b)) = (gamma, beta) {
        assert_eq!(g.len(), c, "batch_norm: gamma length");
        assert_eq!(b.len(), c, "batch_norm: beta length");
    }
}

/// Channels whose reductions run interleaved in one task (scalar path).
const GROUP: usize = 8;
/// Channels per task on the AVX-512 path (one per lane).
const WIDE: usize = 16;

/// What a reduction sums per channel, for the AVX-512 path (the scalar path
/// computes the same terms through its closure).
#[derive(Clone, Copy)]
enum Pass<'a, T> {
    /// `Σ x`.
    Sum(&'a [T]),
    /// `Σ d·d` with `d = x - mean[ch]`.
    Ssd(&'a [T], &'a [T]),
    /// `(Σ dy, Σ dy·x_hat)`.
    DyXhat(&'a [T], &'a [T]),
}

/// The sums of channels `c0..c0 + WIDE` on the AVX-512 path, or `None` where
/// it is not available (not x86_64, no AVX-512F, or `T` is not f32).
fn wide_group<T: Real, const K: usize>(
    pass: Pass<'_, T>,
    dims: (usize, usize, usize),
    c0: usize,
) -> Option<[[T; K]; WIDE]> {
    #[cfg(target_arch = "x86_64")]
    {
        avx512::group_sums(pass, dims, c0)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (pass, dims, c0);
        None
    }
}

/// Per channel `ch`, `K` sequential sums of `f(ch, i)[q]` over the flat
/// indices `i` of that channel in a standard-layout NCHW buffer, `(n, y, x)`
/// ascending, each starting from 0. `pass` names the same terms for the
/// AVX-512 path, which takes groups of `WIDE` channels (one chain per lane)
/// when there are enough groups for the threads; the scalar path takes
/// `GROUP` channels at a time with one independent accumulator per
/// (channel, q). Both for speed only: every chain is still the sequential
/// sum in that order.
fn channel_sums<T: Real, const K: usize>(
    (n, c, plane): (usize, usize, usize),
    pass: Pass<'_, T>,
    f: impl Fn(usize, usize) -> [T; K] + Sync,
) -> Vec<[T; K]> {
    let mut out = vec![[T::ZERO; K]; c];
    let dims = (n, c, plane);
    // At C = 16 and 2 threads, two scalar groups beat one wide group.
    let wide = plane > 0
        && c >= WIDE * rayon::current_num_threads()
        && crate::ops::simd::avx512_f32::<T>();
    let chunk = if wide { WIDE } else { GROUP };
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(gi, accs)| {
            let c0 = gi * chunk;
            if wide
                && accs.len() == WIDE
                && let Some(s) = wide_group(pass, dims, c0)
            {
                accs.copy_from_slice(&s);
                return;
            }
            for (si, sub) in accs.chunks_mut(GROUP).enumerate() {
                scalar_group(dims, &f, c0 + si * GROUP, sub);
            }
        });
    out
}

/// The scalar path of [`channel_sums`] for channels `c0..c0 + accs.len()`:
/// `GROUP` chains interleaved when the group is whole, else one at a time.
fn scalar_group<T: Real, const K: usize>(
    (n, c, plane): (usize, usize, usize),
    f: &impl Fn(usize, usize) -> [T; K],
    c0: usize,
    accs: &mut [[T; K]],
) {
    if accs.len() == GROUP {
        let mut acc = [[T::ZERO; K]; GROUP];
        for ni in 0..n {
            let base = (ni * c + c0) * plane;
            for i in base..base + plane {
                for (j, a) in acc.iter_mut().enumerate() {
                    let v = f(c0 + j, i + j * plane);
                    for q in 0..K {
                        a[q] += v[q];
                    }
                }
            }
        }
        accs.copy_from_slice(&acc);
    } else {
        for (j, a) in accs.iter_mut().enumerate() {
            for ni in 0..n {
                let base = (ni * c + c0 + j) * plane;
                for i in base..base + plane {
                    let v = f(c0 + j, i);
                    for q in 0..K {
                        a[q] += v[q];
                    }
                }
            }
        }
    }
}

/// Training mode: normalises with the batch statistics (biased variance) and
/// updates `running_mean`/`running_var` (unbiased variance) with `momentum`.
/// `gamma`/`beta` are `None` when non-affine. Panics when a channel has a
/// single value (as PyTorch refuses to train then).
pub fn batch_norm_train_forward<T: Real>(
    x: &Array4<T>,
    gamma: Option<&Array1<T>>,
    beta: Option<&Array1<T>>,
    running_mean: &mut Array1<T>,
    running_var: &mut Array1<T>,
    p: &BatchNormParams,
) -> (Array4<T>, BatchNormCache<T>) {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::BatchNorm);
    let (n, c, h, w) = x.dim();
    check_affine(c, gamma, beta);
    assert_eq!(running_mean.len(), c, "batch_norm: running_mean length");
    assert_eq!(running_var.len(), c, "batch_norm: running_var length");
    let plane = h * w;
    let count = n * plane;
    assert!(
        count > 1,
        "batch_norm: training needs more than one value per channel"
    );
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let dims = (n, c, plane);
    let cnt = T::from_usize(count);
    // (mean, ssd) per channel.
    let mean: Vec<T> = channel_sums(dims, Pass::Sum(xs), |_, i| [xs[i]])
        .into_iter()
        .map(|[s]| s / cnt)
        .collect();
    let stats: Vec<(T, T)> = channel_sums(dims, Pass::Ssd(xs, &mean), |ch, i| {
        let d = xs[i] - mean[ch];
        [d * d]
    })
    .into_iter()
    .zip(&mean)
    .map(|([ssd], &mu)| (mu, ssd))
    .collect();
    let eps = T::from_f64(p.eps);
    let m = T::from_f64(p.momentum);
    let one_minus_m = T::from_f64(1.0 - p.momentum);
    let unbiased_div = T::from_usize(count - 1);
    let inv_std: Vec<T> = stats
        .iter()
        .map(|&(_, ssd)| T::ONE / (ssd / cnt + eps).sqrt())
        .collect();
    for (ch, &(mu, ssd)) in stats.iter().enumerate() {
        running_mean[ch] = m * mu + one_minus_m * running_mean[ch];
        running_var[ch] = m * (ssd / unbiased_div) + one_minus_m * running_var[ch];
    }

    // Both written whole below.
    let mut x_hat = recycle::array4::<T>((n, c, h, w));
    let mut y = recycle::array4::<T>((n, c, h, w));
    if plane > 0 {
        x_hat
            .as_slice_mut()
            .expect("fresh array")
            .par_chunks_mut(plane)
            .zip(y.as_slice_mut().expect("fresh array").par_chunks_mut(plane))
            .zip(xs.par_chunks(plane))
            .enumerate()
            .for_each(|(pi, ((xh, yp), xp))| {
                let ch = pi % c;
                let (mu, is) = (mean[ch], inv_std[ch]);
                let affine = gamma.zip(beta).map(|(g, b)| (g[ch], b[ch]));
                for ((xh, yv), &xv) in xh.iter_mut().zip(yp.iter_mut()).zip(xp) {
                    *xh = (xv - mu) * is;
                    *yv = match affine {
                        Some((g, b)) => *xh * g + b,
                        None => *xh,
                    };
                }
            });
    }
    let cache = BatchNormCache {
        x_hat,
        inv_std: Array1::from(inv_std),
    };
    (y, cache)
}

/// Eval mode: normalises with the running statistics.
pub fn batch_norm_eval_forward<T: Real>(
    x: &Array4<T>,
    gamma: Option<&Array1<T>>,
    beta: Option<&Array1<T>>,
    running_mean: &Array1<T>,
    running_var: &Array1<T>,
    p: &BatchNormParams,
) -> Array4<T> {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::BatchNorm);
    let (n, c, h, w) = x.dim();
    check_affine(c, gamma, beta);
    assert_eq!(running_mean.len(), c, "batch_norm: running_mean length");
    assert_eq!(running_var.len(), c, "batch_norm: running_var length");
    let plane = h * w;
    let eps = T::from_f64(p.eps);
    let inv_std: Vec<T> = running_var
        .iter()
        .map(|&v| T::ONE / (v + eps).sqrt())
        .collect();
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    let mut y = recycle::array4::<T>((n, c, h, w));
    if plane > 0 {
        y.as_slice_mut()
            .expect("fresh array")
            .par_chunks_mut(plane)
            .zip(xs.par_chunks(plane))
            .enumerate()
            .for_each(|(pi, (yp, xp))| {
                let ch = pi % c;
                let (mu, is) = (running_mean[ch], inv_std[ch]);
                let affine = gamma.zip(beta).map(|(g, b)| (g[ch], b[ch]));
                for (yv, &xv) in yp.iter_mut().zip(xp) {
                    let xh = (xv - mu) * is;
                    *yv = match affine {
                        Some((g, b)) => xh * g + b,
                        None => xh,
                    };
                }
            });
    }
    y
}

/// Training-mode backward: returns (dx, dgamma, dbeta) (dgamma/dbeta are
/// computed even when non-affine; callers ignore them).
pub fn batch_norm_backward<T: Real>(
    dy: &Array4<T>,
    gamma: Option<&Array1<T>>,
    cache: &BatchNormCache<T>,
) -> (Array4<T>, Array1<T>, Array1<T>) {
    let _prof = crate::ops::profile::scope(crate::ops::profile::OpClass::BatchNorm);
    let (n, c, h, w) = dy.dim();
    assert_eq!(cache.x_hat.dim(), dy.dim(), "batch_norm: dy shape");
    assert_eq!(cache.inv_std.len(), c, "batch_norm: cache channels");
    if let Some(g) = gamma {
        assert_eq!(g.len(), c, "batch_norm: gamma length");
    }
    let plane = h * w;
    let count = n * plane;
    let dims = (n, c, plane);
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let xhs = cache.x_hat.as_standard_layout();
    let xhs = xhs.as_slice().expect("standard layout");
    // (sum_dy, sum_dy_xhat) per channel.
    let sums: Vec<(T, T)> = channel_sums(dims, Pass::DyXhat(dys, xhs), |_, i| {
        [dys[i], dys[i] * xhs[i]]
    })
    .into_iter()
    .map(|[sdy, sdyx]| (sdy, sdyx))
    .collect();
    let cnt = T::from_usize(count);
    let k: Vec<T> = (0..c)
        .map(|ch| {
            let g = gamma.map_or(T::ONE, |g| g[ch]);
            (g * cache.inv_std[ch]) / cnt
        })
        .collect();
    let mut dx = recycle::array4::<T>((n, c, h, w));
    if plane > 0 {
        dx.as_slice_mut()
            .expect("fresh array")
            .par_chunks_mut(plane)
            .zip(dys.par_chunks(plane))
            .zip(xhs.par_chunks(plane))
            .enumerate()
            .for_each(|(pi, ((dxp, dyp), xhp))| {
                let ch = pi % c;
                let (sdy, sdyx) = sums[ch];
                for ((d, &g), &xh) in dxp.iter_mut().zip(dyp).zip(xhp) {
                    *d = k[ch] * ((g * cnt - sdy) - xh * sdyx);
                }
            });
    }
    let dgamma = Array1::from_iter(sums.iter().map(|s| s.1));
    let dbeta = Array1::from_iter(sums.iter().map(|s| s.0));
    (dx, dgamma, dbeta)
}
