//! The CPU reference of the 2-D convolution: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

#[path = "depthwise.rs"]
mod depthwise;
#[path = "general.rs"]
mod general;
#[cfg(test)]
#[path = "golden.rs"]
mod golden;
#[cfg(test)]
#[path = "tests.rs"]
mod tests;

use super::Conv2dParams;
use crate::real::Real;
use ndarray::Array4;

/// Every size a kernel needs, checked once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub n: usize,
    pub cin: usize,
    pub h: usize,
    pub w: usize,
    pub cout: usize,
    /// Input channels per group.
    pub cig: usize,
    /// Output channels per group.
    pub cog: usize,
    pub oh: usize,
    pub ow: usize,
    pub p: Conv2dParams,
}

impl Geometry {
    /// Panics (a programming error, not a user error) when the shapes disagree.
    fn new(
        n: usize,
        cin: usize,
        hw: (usize, usize),
        wdim: (usize, usize, usize, usize),
        p: &Conv2dParams,
    ) -> Self {
        let (cout, cig, kh, kw) = wdim;
        let g = p.groups;
        assert!(
            g > 0 && cin.is_multiple_of(g) && cout % g == 0,
            "conv2d: groups {g} must divide Cin {cin} and Cout {cout}"
        );
        assert_eq!(
            cig,
            cin / g,
            "conv2d: weight has {cig} input channels per group, expected {}",
            cin / g
        );
        assert_eq!(
            [kh, kw],
            p.kernel,
            "conv2d: weight kernel size differs from params"
        );
        assert!(
            p.stride[0] > 0 && p.stride[1] > 0 && p.dilation[0] > 0 && p.dilation[1] > 0,
            "conv2d: stride and dilation must be positive"
        );
        for d in 0..2 {
            let extent = p.dilation[d] * (p.kernel[d] - 1) + 1;
            let size = [hw.0, hw.1][d] + 2 * p.padding[d];
            assert!(
                p.kernel[d] > 0 && extent <= size,
                "conv2d: kernel larger than padded input"
            );
        }
        let (oh, ow) = p.out_hw(hw.0, hw.1);
        Geometry {
            n,
            cin,
            h: hw.0,
            w: hw.1,
            cout,
            cig,
            cog: cout / g,
            oh,
            ow,
            p: *p,
        }
    }

    fn is_depthwise(&self) -> bool {
        self.cig == 1 && self.cog == 1
    }

    /// The class `csnas bench` times this convolution under.
    fn profile_class(&self) -> crate::ops::profile::OpClass {
        if self.is_depthwise() {
            crate::ops::profile::OpClass::ConvDepthwise
        } else {
            crate::ops::profile::OpClass::ConvDense
        }
    }

    /// Rows of the im2col matrix per group: `cig · kh · kw`.
    pub fn kk(&self) -> usize {
        self.cig * self.p.kernel[0] * self.p.kernel[1]
    }

    /// Output pixels per image: `oh · ow`.
    pub fn pix(&self) -> usize {
        self.oh * self.ow
    }
}

/// Forward: `y[n][co][oy][ox] = Σ_{ci, ky, kx} w[co][ci][ky][kx] · x[n][g·cig+ci][oy·sy+ky·dy-py][ox·sx+kx·dx-px]`.
/// x: (N, Cin, H, W); w: (Cout, Cin/groups, kh, kw) → y: (N, Cout, OH, OW).
///
/// Order: per output element, a sequential fused multiply-add chain
/// `acc = w.mul_add(x, acc)` over `(ci, ky, kx)` ascending (lexicographic,
/// `ci` slowest) within the element's group, starting from `+0`.
pub fn conv2d_forward<T: Real>(x: &Array4<T>, w: &Array4<T>, p: &Conv2dParams) -> Array4<T> {
    let (n, cin, h, wd) = x.dim();
    let g = Geometry::new(n, cin, (h, wd), w.dim(), p);
    let _prof = crate::ops::profile::scope(g.profile_class());
    let xs = x.as_standard_layout();
    let ws = w.as_standard_layout();
    let (xs, ws) = (
        xs.as_slice().expect("standard"),
        ws.as_slice().expect("standard"),
    );
    let y = if g.is_depthwise() {
        depthwise::forward(&g, xs, ws)
    } else {
        general::forward(&g, xs, ws)
    };
    Array4::from_shape_vec((n, g.cout, g.oh, g.ow), y).expect("shape")
}

/// Gradient with respect to the input, shape (N, Cin, h, w).
///
/// Order: first, per image and group, `dcol[(ci, ky, kx)][(oy, ox)] =` fma
/// chain `acc = w[co][ci][ky][kx].mul_add(dy[n][co][oy][ox], acc)` over the
/// group's `co` ascending, starting from `+0`. Then each input element is
/// `dx = +0`, plus (plain `+`, not fused) each `dcol` entry that lands on it,
/// in `(ky, kx)` ascending order (`ky` slowest); entries that land in the
/// padding are dropped. For one input element and one `(ky, kx)` at most one
/// `(oy, ox)` contributes, so this order is total.
pub fn conv2d_backward_data<T: Real>(
    dy: &Array4<T>,
    w: &Array4<T>,
    p: &Conv2dParams,
    hw: (usize, usize),
) -> Array4<T> {
    let (n, cout, oh, ow) = dy.dim();
    let cin = w.dim().1 * p.groups;
    let g = Geometry::new(n, cin, hw, w.dim(), p);
    let _prof = crate::ops::profile::scope(g.profile_class());
    assert_eq!(
        (cout, oh, ow),
        (g.cout, g.oh, g.ow),
        "conv2d: dy shape differs from the output shape"
    );
    let dys = dy.as_standard_layout();
    let ws = w.as_standard_layout();
    let (dys, ws) = (
        dys.as_slice().expect("standard"),
        ws.as_slice().expect("standard"),
    );
    let dx = if g.is_depthwise() {
        depthwise::backward_data(&g, dys, ws)
    } else {
        general::backward_data(&g, dys, ws)
    };
    Array4::from_shape_vec((n, cin, hw.0, hw.1), dx).expect("shape")
}

/// Gradient with respect to the weight, shape of `w`: (Cout, Cin/groups, kh, kw).
///
/// Order: per weight element `dw[co][ci][ky][kx]`, one sequential fused
/// multiply-add chain `acc = dy.mul_add(x, acc)` over `(n, oy, ox)` ascending
/// (`n` slowest), starting from `+0`, with padded `x` taken as `+0`.
pub fn conv2d_backward_filter<T: Real>(
    x: &Array4<T>,
    dy: &Array4<T>,
    p: &Conv2dParams,
) -> Array4<T> {
    let (n, cin, h, wd) = x.dim();
    let (ndy, cout, oh, ow) = dy.dim();
    assert!(cin % p.groups.max(1) == 0, "conv2d: groups must divide Cin");
    let wdim = (cout, cin / p.groups.max(1), p.kernel[0], p.kernel[1]);
    let g = Geometry::new(n, cin, (h, wd), wdim, p);
    let _prof = crate::ops::profile::scope(g.profile_class());
    assert_eq!(
        (ndy, oh, ow),
        (n, g.oh, g.ow),
        "conv2d: dy shape differs from the output shape"
    );
    let xs = x.as_standard_layout();
    let dys = dy.as_standard_layout();
    let (xs, dys) = (
        xs.as_slice().expect("standard"),
        dys.as_slice().expect("standard"),
    );
    let dw = if g.is_depthwise() {
        depthwise::backward_filter(&g, xs, dys)
    } else {
        general::backward_filter(&g, xs, dys)
    };
    Array4::from_shape_vec(wdim, dw).expect("shape")
}
