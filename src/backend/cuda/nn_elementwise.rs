//! Elementwise and layout ops of the CUDA backend: one kernel launch each,
//! no reduction, bit-identical to the CPU in both modes (see each `.cu`).

use super::super::runtime::go;
use super::super::tensor::{CudaBackend, GpuTensor};
use super::{GpuReluMask, tensor_mut, tensor_ref};
use crate::backend::device::{TensorMut, TensorRef};
use crate::backend::ops::{ElementwiseOps, LayoutOps};

impl ElementwiseOps for CudaBackend {
    type ReluMask = GpuReluMask;

    fn relu_forward_masked(&self, x: &GpuTensor) -> (GpuTensor, GpuReluMask) {
        let mut y = self.zeros(&x.dims);
        let mut bytes = self.gpu.zeros::<u8>(x.len());
        let n = x.len() as u64;
        let name = "relu_forward_mask_f32";
        go(
            x.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mut y.buf)
                .arg(&mut bytes)
                .arg(&n),
        );
        (
            y,
            GpuReluMask {
                bytes,
                dims: x.dims.clone(),
            },
        )
    }

    fn relu_backward_masked(&self, mask: &GpuReluMask, dy: &GpuTensor) -> GpuTensor {
        assert_eq!(mask.dims, dy.dims, "relu_backward: shapes");
        let mut dx = self.zeros(&dy.dims);
        let n = dy.len() as u64;
        let name = "relu_backward_mask_f32";
        go(
            dy.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&mask.bytes)
                .arg(&dy.buf)
                .arg(&mut dx.buf)
                .arg(&n),
        );
        dx
    }

    fn relu_forward(&self, x: &GpuTensor) -> GpuTensor {
        let mut y = self.zeros(&x.dims);
        let n = x.len() as u64;
        let name = "relu_forward_f32";
        go(
            x.len(),
            name,
            self.gpu.kernel(name).arg(&x.buf).arg(&mut y.buf).arg(&n),
        );
        y
    }

    fn relu_backward(&self, x: &GpuTensor, dy: &GpuTensor) -> GpuTensor {
        let mut dx = self.zeros(&dy.dims);
        let n = dy.len() as u64;
        let name = "relu_backward_f32";
        go(
            dy.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&dy.buf)
                .arg(&mut dx.buf)
                .arg(&n),
        );
        dx
    }

    fn drop_path_forward(&self, x: &GpuTensor, keep: &[bool], drop_prob: f64) -> GpuTensor {
        drop_path(self, x, keep, drop_prob)
    }

    fn drop_path_backward(&self, dy: &GpuTensor, keep: &[bool], drop_prob: f64) -> GpuTensor {
        drop_path(self, dy, keep, drop_prob)
    }

    /// Zeros of shape `(N, C, ceil(H/s), ceil(W/s))` (`+0.0`, as the CPU).
    fn zero_forward(&self, x: &GpuTensor, stride: usize) -> GpuTensor {
        assert!(stride > 0, "zero: stride must be positive");
        let (n, c, h, w) = x.d4();
        self.zeros(&[n, c, h.div_ceil(stride), w.div_ceil(stride)])
    }

    fn add(&self, a: &GpuTensor, b: &GpuTensor) -> GpuTensor {
        assert_eq!(a.dims, b.dims, "add: shapes");
        let mut y = self.zeros(&a.dims);
        let n = a.len() as u64;
        go(
            a.len(),
            "add_f32",
            self.gpu
                .kernel("add_f32")
                .arg(&a.buf)
                .arg(&b.buf)
                .arg(&mut y.buf)
                .arg(&n),
        );
        y
    }

    fn add_assign(&self, mut acc: TensorMut<'_, Self>, g: TensorRef<'_, Self>) {
        let (acc, g) = (tensor_mut(&mut acc), tensor_ref(g));
        assert_eq!(acc.len(), g.len(), "add_assign: sizes");
        let n = g.len() as u64;
        let name = "add_into_f32";
        go(
            g.len(),
            name,
            self.gpu.kernel(name).arg(&mut acc.buf).arg(&g.buf).arg(&n),
        );
    }
}

/// `(x / keep_prob)·m` per sample; `keep_prob = 1 − p` in f64, then f32.
fn drop_path(b: &CudaBackend, x: &GpuTensor, keep: &[bool], drop_prob: f64) -> GpuTensor {
    let (n, c, h, w) = x.d4();
    assert_eq!(keep.len(), n, "drop_path: one keep flag per sample");
    assert!(
        (0.0..1.0).contains(&drop_prob),
        "drop_path: drop_prob {drop_prob} outside [0, 1)"
    );
    let flags: Vec<u8> = keep.iter().map(|&k| u8::from(k)).collect();
    let flags = b.gpu.upload(&flags);
    let mut y = b.zeros(&x.dims);
    let (kp, sample, total) = ((1.0 - drop_prob) as f32, (c * h * w) as u64, x.len() as u64);
    let name = "drop_path_f32";
    go(
        x.len(),
        name,
        b.gpu
            .kernel(name)
            .arg(&x.buf)
            .arg(&flags)
            .arg(&kp)
            .arg(&sample)
            .arg(&mut y.buf)
            .arg(&total),
    );
    y
}

/// Row copies for `LayoutOps::{split_rows, concat_rows}` (methods the
/// seam adds with a through-the-host default; these stay on the device).
impl CudaBackend {
    /// Rows `..at` and `at..`: two device-to-device copies.
    pub fn split_rows_on_device(&self, x: &GpuTensor, at: usize) -> (GpuTensor, GpuTensor) {
        let (rows, cols) = x.d2();
        assert!(at <= rows, "split_rows: {at} > {rows} rows");
        let (mut top, mut bottom) = (self.zeros(&[at, cols]), self.zeros(&[rows - at, cols]));
        self.gpu.copy(&x.buf, 0, &mut top.buf, 0, at * cols);
        self.gpu
            .copy(&x.buf, at * cols, &mut bottom.buf, 0, (rows - at) * cols);
        (top, bottom)
    }

    /// `a` over `b`: two device-to-device copies.
    pub fn concat_rows_on_device(&self, a: &GpuTensor, b: &GpuTensor) -> GpuTensor {
        let ((ra, ca), (rb, cb)) = (a.d2(), b.d2());
        assert_eq!(ca, cb, "concat_rows: widths {ca} and {cb}");
        let mut y = self.zeros(&[ra + rb, ca]);
        self.gpu.copy(&a.buf, 0, &mut y.buf, 0, ra * ca);
        self.gpu.copy(&b.buf, 0, &mut y.buf, ra * ca, rb * cb);
        y
    }
}

impl LayoutOps for CudaBackend {
    fn concat_channels(&self, xs: &[&GpuTensor]) -> GpuTensor {
        let (n, _, h, w) = xs[0].d4();
        let total: usize = xs.iter().map(|x| x.d4().1).sum();
        let mut y = self.zeros(&[n, total, h, w]);
        let mut c0 = 0u64;
        for x in xs {
            let (xn, c, xh, xw) = x.d4();
            assert_eq!(
                (xn, xh, xw),
                (n, h, w),
                "concat: shapes differ beyond channels"
            );
            copy_channels(self, x, (c as u64, 0), &mut y, (total as u64, c0), c);
            c0 += c as u64;
        }
        y
    }

    fn split_channels(&self, dy: &GpuTensor, channels: &[usize]) -> Vec<GpuTensor> {
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
                let mut part = self.zeros(&[n, c, h, w]);
                copy_channels(self, dy, (total as u64, c0), &mut part, (c as u64, 0), c);
                c0 += c as u64;
                part
            })
            .collect()
    }

    fn crop_top_left(&self, x: &GpuTensor) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        let mut y = self.zeros(&[n, c, h.saturating_sub(1), w.saturating_sub(1)]);
        let d = [
            (n * c) as u64,
            h as u64,
            w as u64,
            1,
            1,
            (h.max(1) - 1) as u64,
            (w.max(1) - 1) as u64,
        ];
        let name = "crop_f32";
        go(
            y.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mut y.buf)
                .arg(&d[0])
                .arg(&d[1])
                .arg(&d[2])
                .arg(&d[3])
                .arg(&d[4])
                .arg(&d[5])
                .arg(&d[6]),
        );
        y
    }

    fn shift_add(&self, acc: &mut GpuTensor, g: &GpuTensor) {
        let (n, c, h, w) = acc.d4();
        assert_eq!(g.dims, vec![n, c, h - 1, w - 1], "shift_add: shapes");
        let d = [
            (n * c) as u64,
            h as u64,
            w as u64,
            1,
            1,
            (h - 1) as u64,
            (w - 1) as u64,
        ];
        let name = "add_crop_into_f32";
        go(
            g.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&mut acc.buf)
                .arg(&g.buf)
                .arg(&d[0])
                .arg(&d[1])
                .arg(&d[2])
                .arg(&d[3])
                .arg(&d[4])
                .arg(&d[5])
                .arg(&d[6]),
        );
    }
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
    let name = "copy_channels_f32";
    go(
        n * chans * h * w,
        name,
        b.gpu
            .kernel(name)
            .arg(&src.buf)
            .arg(&s.0)
            .arg(&s.1)
            .arg(&mut dst.buf)
            .arg(&d.0)
            .arg(&d.1)
            .arg(&batch)
            .arg(&ch)
            .arg(&plane),
    );
}
