//! The CUDA side of the 2-D convolution: `kernels/conv2d.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//! Fast mode runs cuDNN (`backend/cuda/cudnn.rs`, pinned deterministic
//! algorithms); exact mode runs the kernel.
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/conv2d.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "conv2d",
    rust_op: "ops::conv2d (exact mode)",
    source: include_str!("../../../kernels/conv2d.cu"),
    entry_points: &[
        "conv2d_forward_exact_f32",
        "conv2d_backward_data_exact_f32",
        "conv2d_backward_filter_exact_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::backend::cuda_plan::ConvGeom;
    use crate::ops::conv2d::Conv2dParams;

    /// A cuDNN failure inside an op: the traits are infallible (as the CPU
    /// ops are), and such an error leaves the device unusable anyway.
    fn fail(e: crate::error::Error) -> ! {
        panic!("{e}")
    }

    /// Exact: `conv2d_forward_exact_f32`. Fast: cuDNN, pinned algorithm.
    pub fn conv2d_forward(
        b: &CudaBackend,
        x: &GpuTensor,
        w: &GpuTensor,
        p: &Conv2dParams,
    ) -> GpuTensor {
        let (n, cin, h, wd) = x.d4();
        let g = ConvGeom::new(n, cin, (h, wd), w.d4().0, p);
        let mut y = b.zeros(&[n, w.d4().0, g.oh as usize, g.ow as usize]);
        if y.is_empty() || x.is_empty() {
            return y;
        }
        if b.exact {
            b.gpu
                .launch("conv2d_forward_exact_f32", y.len())
                .arg(&x.buf)
                .arg(&w.buf)
                .arg(&mut y.buf)
                .arg(&g)
                .go();
        } else {
            b.dnn
                .forward(&g, &x.buf, &w.buf, &mut y.buf)
                .unwrap_or_else(|e| fail(e));
        }
        y
    }

    /// Exact: `conv2d_backward_data_exact_f32` (a gather). Fast: cuDNN.
    pub fn conv2d_backward_data(
        b: &CudaBackend,
        dy: &GpuTensor,
        w: &GpuTensor,
        p: &Conv2dParams,
        hw: (usize, usize),
    ) -> GpuTensor {
        let (n, cout, _, _) = dy.d4();
        let cin = w.d4().1 * p.groups;
        let g = ConvGeom::new(n, cin, hw, cout, p);
        let mut dx = b.zeros(&[n, cin, hw.0, hw.1]);
        if dx.is_empty() || dy.is_empty() {
            return dx;
        }
        if b.exact {
            b.gpu
                .launch("conv2d_backward_data_exact_f32", dx.len())
                .arg(&dy.buf)
                .arg(&w.buf)
                .arg(&mut dx.buf)
                .arg(&g)
                .go();
        } else {
            b.dnn
                .backward_data(&g, &dy.buf, &w.buf, &mut dx.buf)
                .unwrap_or_else(|e| fail(e));
        }
        dx
    }

    /// Exact: `conv2d_backward_filter_exact_f32`. Fast: cuDNN.
    pub fn conv2d_backward_filter(
        b: &CudaBackend,
        x: &GpuTensor,
        dy: &GpuTensor,
        p: &Conv2dParams,
    ) -> GpuTensor {
        let (n, cin, h, wd) = x.d4();
        let cout = dy.d4().1;
        let g = ConvGeom::new(n, cin, (h, wd), cout, p);
        let mut dw = b.zeros(&[cout, cin / p.groups, p.kernel[0], p.kernel[1]]);
        if dw.is_empty() || x.is_empty() || dy.is_empty() {
            return dw;
        }
        if b.exact {
            b.gpu
                .launch("conv2d_backward_filter_exact_f32", dw.len())
                .arg(&x.buf)
                .arg(&dy.buf)
                .arg(&mut dw.buf)
                .arg(&g)
                .go();
        } else {
            b.dnn
                .backward_filter(&g, &x.buf, &dy.buf, &mut dw.buf)
                .unwrap_or_else(|e| fail(e));
        }
        dw
    }
}
