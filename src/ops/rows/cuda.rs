//! The CUDA side of the row-wise helpers: `kernels/rows.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/rows.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "rows",
    rust_op: "ops::rows (normalize_rows, means)",
    source: include_str!("../../../kernels/rows.cu"),
    entry_points: &[
        "rows_normalize_f32",
        "rows_normalize_backward_f32",
        "sum_div_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use cudarc::driver::CudaSlice;

    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::error::Result;
    use crate::invalid;

    /// Row-normalised features and their norms.
    pub struct Normalized {
        pub hat: GpuTensor,
        pub norms: CudaSlice<f32>,
    }

    /// `x̂_i = x_i / max(‖x_i‖, eps)` per row.
    pub fn normalize(b: &CudaBackend, x: &GpuTensor, eps: f32) -> Normalized {
        let (rows, d) = x.d2();
        let mut hat = b.zeros(&[rows, d]);
        let mut norms = b.gpu.zeros::<f32>(rows);
        let (r, dd) = (rows as u64, d as u64);
        b.gpu
            .launch("rows_normalize_f32", rows)
            .arg(&x.buf)
            .arg(&mut hat.buf)
            .arg(&mut norms)
            .arg(&r)
            .arg(&dd)
            .arg(&eps)
            .go();
        Normalized { hat, norms }
    }

    pub fn normalize_backward(
        b: &CudaBackend,
        n: &Normalized,
        dhat: &GpuTensor,
        eps: f32,
    ) -> GpuTensor {
        let (rows, d) = n.hat.d2();
        let mut dx = b.zeros(&[rows, d]);
        let (r, dd) = (rows as u64, d as u64);
        b.gpu
            .launch("rows_normalize_backward_f32", rows)
            .arg(&n.hat.buf)
            .arg(&n.norms)
            .arg(&dhat.buf)
            .arg(&mut dx.buf)
            .arg(&r)
            .arg(&dd)
            .arg(&eps)
            .go();
        dx
    }

    /// `(+0 + v_0 + …) / n`, downloaded.
    pub fn mean_of(b: &CudaBackend, v: &CudaSlice<f32>, n: usize) -> f32 {
        let mut out = b.gpu.zeros::<f32>(1);
        let (len, div) = (n as u64, n as f32);
        b.gpu
            .launch("sum_div_f32", 1)
            .arg(v)
            .arg(&len)
            .arg(&div)
            .arg(&mut out)
            .go();
        b.scalar(&out)
    }

    /// The losses' temperature check, with the CPU's rule and wording.
    pub fn positive(t: f32, what: &str) -> Result<()> {
        if t.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater) {
            Ok(())
        } else {
            Err(invalid!("{what}: temperature must be > 0, got {t}"))
        }
    }
}
