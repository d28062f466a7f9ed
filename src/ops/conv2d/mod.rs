//! 2-D convolution (cross-correlation, as PyTorch), with stride, padding,
//! dilation and groups (depthwise when `groups == channels`), no bias.
//!
//! Accumulation order: see the functions.

use crate::real::Real;
use ndarray::Array4;

/// Parameters of a convolution; `#[repr(C)]` so a GPU kernel can take it as is.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dParams {
    /// (kh, kw)
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

impl Conv2dParams {
    /// Square kernel `k`, stride `s`, padding `p`, dilation 1, one group.
    pub fn square(k: usize, s: usize, p: usize) -> Self {
        Conv2dParams {
            kernel: [k, k],
            stride: [s, s],
            padding: [p, p],
            dilation: [1, 1],
            groups: 1,
        }
    }

    /// Output spatial size for an `h × w` input (PyTorch's formula).
    pub fn out_hw(&self, h: usize, w: usize) -> (usize, usize) {
        let o = |i: usize, d: usize| {
            (i + 2 * self.padding[d] - self.dilation[d] * (self.kernel[d] - 1) - 1) / self.stride[d]
                + 1
        };
        (o(h, 0), o(w, 1))
    }
}

/// `y[n][co][oy][ox] = Σ_{ci in group, ky, kx} w[co][ci][ky][kx] · x[n][g·cig+ci][oy·s+ky·d-p][ox·s+kx·d-p]`.
/// x: (N, Cin, H, W); w: (Cout, Cin/groups, kh, kw) → y: (N, Cout, OH, OW).
pub fn conv2d_forward<T: Real>(x: &Array4<T>, w: &Array4<T>, p: &Conv2dParams) -> Array4<T> {
    let _ = (x, w, p);
    todo!("conv2d_forward")
}

/// Gradient with respect to the input, shape (N, Cin, h, w).
pub fn conv2d_backward_data<T: Real>(
    dy: &Array4<T>,
    w: &Array4<T>,
    p: &Conv2dParams,
    hw: (usize, usize),
) -> Array4<T> {
    let _ = (dy, w, p, hw);
    todo!("conv2d_backward_data")
}

/// Gradient with respect to the weight, shape of `w`: (Cout, Cin/groups, kh, kw).
pub fn conv2d_backward_filter<T: Real>(
    x: &Array4<T>,
    dy: &Array4<T>,
    p: &Conv2dParams,
) -> Array4<T> {
    let _ = (x, dy, p);
    todo!("conv2d_backward_filter")
}
