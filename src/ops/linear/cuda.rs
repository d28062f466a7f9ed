//! The CUDA side of the fully connected layer: `kernels/linear.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/linear.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "linear",
    rust_op: "ops::linear (bias, bias gradient)",
    source: include_str!("../../../kernels/linear.cu"),
    entry_points: &["linear_bias_f32", "column_sum_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::backend::cuda_plan::MatLayout;
    use crate::ops::gemm::cuda::matmul;

    /// `x·wᵀ` (cuBLAS or exact chain), then `linear_bias_f32` (`+ b`).
    pub fn linear_forward(
        b: &CudaBackend,
        x: &GpuTensor,
        w: &GpuTensor,
        bias: &GpuTensor,
    ) -> GpuTensor {
        let ((n, fin), (fout, win)) = (x.d2(), w.d2());
        assert_eq!(fin, win, "linear: x has {fin} features, w expects {win}");
        let mut y = matmul(
            b,
            x,
            MatLayout::row_major(n, fin),
            w,
            MatLayout::row_major(fout, fin).t(),
        );
        let (rows, cols) = (n as u64, fout as u64);
        b.gpu
            .launch("linear_bias_f32", y.len())
            .arg(&mut y.buf)
            .arg(&bias.buf)
            .arg(&rows)
            .arg(&cols)
            .go();
        y
    }

    /// `dx = dy·w`, `dw = dyᵀ·x`, `db` = `column_sum_f32(dy)` (rows ascending).
    pub fn linear_backward(
        b: &CudaBackend,
        x: &GpuTensor,
        w: &GpuTensor,
        dy: &GpuTensor,
    ) -> (GpuTensor, GpuTensor, GpuTensor) {
        let ((n, fin), (fout, _)) = (x.d2(), w.d2());
        assert_eq!(dy.d2(), (n, fout), "linear: dy must be (N, out)");
        let (lx, lw, ldy) = (
            MatLayout::row_major(n, fin),
            MatLayout::row_major(fout, fin),
            MatLayout::row_major(n, fout),
        );
        let dx = matmul(b, dy, ldy, w, lw);
        let dw = matmul(b, dy, ldy.t(), x, lx);
        let mut db = b.zeros(&[fout]);
        let (rows, cols) = (n as u64, fout as u64);
        b.gpu
            .launch("column_sum_f32", fout)
            .arg(&dy.buf)
            .arg(&mut db.buf)
            .arg(&rows)
            .arg(&cols)
            .go();
        (dx, dw, db)
    }
}
