//! 2-D convolution (cross-correlation, as PyTorch), with stride, padding,
//! dilation and groups (depthwise when `groups == channels`), no bias.
//!
//! Why here: every DARTS operation with weights (ReLU-Conv-BN, separable and
//! dilated convolutions, factorized reduce, the stem) is built on this op.
//!
//! Two kernels, one arithmetic:
//! - general groups: im2col of one image, then one [`gemm`](crate::ops::gemm)
//!   per group ([`general`]);
//! - depthwise (`groups == Cin == Cout`, the DARTS sep/dil convs): a direct
//!   kernel over one channel plane ([`depthwise`]).
//!
//! Both follow the orders documented on each public function, so the depthwise
//! kernel gives bit for bit what the im2col path would give. Padded input
//! positions take part in the chains as the value `+0` (a product with zero
//! is still fused in), so a GPU kernel must include them too.
//!
//! Parallelism: over batch items (forward, backward_data), over rows of the
//! gemm = output channels (backward_filter, general), or over channel planes
//! (depthwise). Never over a reduction.

mod cpu;

pub use cpu::*;

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
