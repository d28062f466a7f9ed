//! The CUDA side of channel concatenation: `kernels/concat.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//! Also the row copies of the seam's `split_rows` / `concat_rows` (no
//! kernel: device-to-device copies).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/concat.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "concat",
    rust_op: "ops::concat",
    source: include_str!("../../../kernels/concat.cu"),
    entry_points: &["copy_channels_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    pub fn concat_channels(b: &CudaBackend, xs: &[&GpuTensor]) -> GpuTensor {
        let (n, _, h, w) = xs[0].d4();
        let total: usize = xs.iter().map(|x| x.d4().1).sum();
        let mut y = b.zeros(&[n, total, h, w]);
        let mut c0 = 0u64;
        for x in xs {
            let (xn, c, xh, xw) = x.d4();
            assert_eq!(
                (xn, xh, xw),
                (n, h, w),
                "concat: shapes differ beyond channels"
            );
            copy_channels(b, x, (c as u64, 0), &mut y, (total as u64, c0), c);
            c0 += c as u64;
        }
        y
    }

    pub fn split_channels(b: &CudaBackend, dy: &GpuTensor, channels: &[usize]) -> Vec<GpuTensor> {
        let (n, total, h, w) = dy.d4();
        assert_eq!(
            channels.iter().sum::<usize>(),
            total,
            "split: channel widths"
        );
        let mut c0 = 0u64;
        channels
            .iter()
            .map(|&c| {
                let mut part = b.zeros(&[n, c, h, w]);
                copy_channels(b, dy, (total as u64, c0), &mut part, (c as u64, 0), c);
                c0 += c as u64;
                part
            })
            .collect()
    }

    /// `copy_channels_f32`: `chans` channels from `src` at `(src_c, src_c0)`
    /// into `dst` at `(dst_c, dst_c0)` (channel counts and first channels).
    fn copy_channels(
        b: &CudaBackend,
        src: &GpuTensor,
        s: (u64, u64),
        dst: &mut GpuTensor,
        d: (u64, u64),
        chans: usize,
    ) {
        let (n, _, h, w) = src.d4();
        let (batch, ch, plane) = (n as u64, chans as u64, (h * w) as u64);
        b.gpu
            .launch("copy_channels_f32", n * chans * h * w)
            .arg(&src.buf)
            .arg(&s.0)
            .arg(&s.1)
            .arg(&mut dst.buf)
            .arg(&d.0)
            .arg(&d.1)
            .arg(&batch)
            .arg(&ch)
            .arg(&plane)
            .go();
    }

    /// Rows `..at` and `at..` of a matrix: two device-to-device copies (the
    /// seam's `LayoutOps::split_rows`, kept on the device).
    pub fn split_rows(b: &CudaBackend, x: &GpuTensor, at: usize) -> (GpuTensor, GpuTensor) {
        let (rows, cols) = x.d2();
        assert!(at <= rows, "split_rows: {at} > {rows} rows");
        let (mut top, mut bottom) = (b.zeros(&[at, cols]), b.zeros(&[rows - at, cols]));
        b.gpu.copy(&x.buf, 0, &mut top.buf, 0, at * cols);
        b.gpu
            .copy(&x.buf, at * cols, &mut bottom.buf, 0, (rows - at) * cols);
        (top, bottom)
    }

    /// `x` over `y`: two device-to-device copies.
    pub fn concat_rows(b: &CudaBackend, x: &GpuTensor, y: &GpuTensor) -> GpuTensor {
        let ((ra, ca), (rb, cb)) = (x.d2(), y.d2());
        assert_eq!(ca, cb, "concat_rows: widths {ca} and {cb}");
        let mut out = b.zeros(&[ra + rb, ca]);
        b.gpu.copy(&x.buf, 0, &mut out.buf, 0, ra * ca);
        b.gpu.copy(&y.buf, 0, &mut out.buf, ra * ca, rb * cb);
        out
    }
}
