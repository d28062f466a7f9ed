//! The CPU reference of channel concatenation: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::real::Real;
use ndarray::{Array4, Axis, s};

/// Concatenates along channels; all inputs must share N, H and W.
pub fn concat_channels<T: Real>(xs: &[&Array4<T>]) -> Array4<T> {
    assert!(!xs.is_empty(), "concat_channels: no inputs");
    let (n, _, h, w) = xs[0].dim();
    let total: usize = xs.iter().map(|x| x.dim().1).sum();
    let mut y = Array4::<T>::zeros((n, total, h, w));
    let mut c0 = 0;
    for x in xs {
        let (xn, xc, xh, xw) = x.dim();
        assert_eq!((xn, xh, xw), (n, h, w), "concat_channels: N, H, W differ");
        y.slice_mut(s![.., c0..c0 + xc, .., ..]).assign(x);
        c0 += xc;
    }
    y
}

/// Splits `dy` into pieces of the given channel counts.
pub fn split_channels<T: Real>(dy: &Array4<T>, channels: &[usize]) -> Vec<Array4<T>> {
    let total: usize = channels.iter().sum();
    assert_eq!(total, dy.len_of(Axis(1)), "split_channels: channel counts");
    let mut c0 = 0;
    channels
        .iter()
        .map(|&c| {
            let piece = dy.slice(s![.., c0..c0 + c, .., ..]).to_owned();
            c0 += c;
            piece
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
}
