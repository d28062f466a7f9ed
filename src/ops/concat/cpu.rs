//! The CPU reference of channel concatenation: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::ops::recycle;
use crate::real::Real;
use ndarray::{Array4, Axis};
use rayon::prelude::*;

/// Concatenates along channels; all inputs must share N, H and W.
/// Written image by image, each input's block copied whole (one pass, no
/// zero-filling of the output first).
pub fn concat_channels<T: Real>(xs: &[&Array4<T>]) -> Array4<T> {
    assert!(!xs.is_empty(), "concat_channels: no inputs");
    let (n, _, h, w) = xs[0].dim();
    let total: usize = xs.iter().map(|x| x.dim().1).sum();
    let parts: Vec<_> = xs
        .iter()
        .map(|x| {
            let (xn, xc, xh, xw) = x.dim();
            assert_eq!((xn, xh, xw), (n, h, w), "concat_channels: N, H, W differ");
            (x.as_standard_layout(), xc * h * w)
        })
        .collect();
    // Every element is copied over (a recycled buffer: no zero-fill first).
    let mut y = recycle::take(n * total * h * w);
    let mut at = 0;
    for b in 0..n {
        for (x, len) in &parts {
            y[at..at + len]
                .copy_from_slice(&x.as_slice().expect("standard layout")[b * len..][..*len]);
            at += len;
        }
    }
    Array4::from_shape_vec((n, total, h, w), y).expect("shape")
}

/// Splits `dy` into pieces of the given channel counts, the pieces copied
/// side by side (copies: the thread count changes no value).
pub fn split_channels<T: Real>(dy: &Array4<T>, channels: &[usize]) -> Vec<Array4<T>> {
    let total: usize = channels.iter().sum();
    assert_eq!(total, dy.len_of(Axis(1)), "split_channels: channel counts");
    let (n, _, h, w) = dy.dim();
    let dys = dy.as_standard_layout();
    let dys = dys.as_slice().expect("standard layout");
    let starts: Vec<(usize, usize)> = channels
        .iter()
        .scan(0, |c0, &c| {
            *c0 += c;
            Some((*c0 - c, c))
        })
        .collect();
    starts
        .into_par_iter()
        .map(|(c0, c)| {
            let block = c * h * w;
            let mut piece = recycle::take(n * block);
            for (b, dst) in piece.chunks_exact_mut(block.max(1)).enumerate() {
                dst.copy_from_slice(&dys[(b * total + c0) * h * w..][..block]);
            }
            Array4::from_shape_vec((n, c, h, w), piece).expect("shape")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_stacks_channels_in_order_and_split_inverts_it() {
        let a = Array4::from_shape_fn((2, 1, 2, 2), |(n, _, y, x)| (n * 100 + y * 2 + x) as f32);
        let b = Array4::from_shape_fn((2, 2, 2, 2), |(n, c, y, x)| {
            -((n * 100 + c * 10 + y * 2 + x) as f32)
        });
        let y = concat_channels(&[&a, &b]);
        assert_eq!(y.dim(), (2, 3, 2, 2));
        // Sample 1, channel 2 is b's channel 1: -(100 + 10 + y·2 + x).
        assert_eq!(y[[1, 2, 1, 0]], -112.0);
        assert_eq!(y[[1, 0, 1, 1]], 103.0);
        let parts = split_channels(&y, &[1, 2]);
        assert_eq!(parts, vec![a, b]);
    }

    #[test]
    fn split_is_the_same_at_any_thread_count() {
        // Ragged widths; each piece copied by whichever thread takes it.
        let y = Array4::from_shape_fn((3, 12, 5, 3), |(n, c, i, j)| {
            (n * 1000 + c * 100 + i * 10 + j) as f32
        });
        let widths = [1, 4, 2, 5];
        let one = crate::parallel::with_threads(1, || split_channels(&y, &widths)).unwrap();
        let mut c0 = 0;
        for (piece, &c) in one.iter().zip(&widths) {
            assert_eq!(piece, &y.slice(ndarray::s![.., c0..c0 + c, .., ..]));
            c0 += c;
        }
        for t in [2, 3] {
            let got = crate::parallel::with_threads(t, || split_channels(&y, &widths)).unwrap();
            assert_eq!(got, one, "{t} threads");
        }
    }
}
