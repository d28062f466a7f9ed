//! The CUDA side of NT-Xent: `kernels/nt_xent.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//! Inputs are validated on the host with the CPU's rules before anything
//! is launched; row normalisation is `ops::rows`' kernel.
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/nt_xent.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "nt_xent",
    rust_op: "ops::nt_xent",
    source: include_str!("../../../kernels/nt_xent.cu"),
    entry_points: &[
        "nt_xent_sim_f32",
        "nt_xent_rows_f32",
        "nt_xent_grad_f32",
        "nt_xent_dzhat_f32",
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
    use crate::ops::nt_xent::NORMALIZE_EPS;
    use crate::ops::rows::cuda::{Normalized, mean_of, normalize, normalize_backward, positive};

    pub struct GpuNtXentCache {
        z: Normalized,
        probs: CudaSlice<f32>,
        temperature: f32,
    }

    pub fn nt_xent_forward(
        b: &CudaBackend,
        z: &GpuTensor,
        temperature: f32,
    ) -> Result<(f32, GpuNtXentCache)> {
        let (rows, d) = z.d2();
        if rows < 4 || !rows.is_multiple_of(2) || d == 0 {
            return Err(invalid!(
                "nt_xent: z must be (2N, D) with N ≥ 2 and D ≥ 1, got {:?}",
                z.dims
            ));
        }
        positive(temperature, "nt_xent")?;
        let zn = normalize(b, z, NORMALIZE_EPS as f32);
        let (mut sim, mut probs, mut rl) = (
            b.gpu.zeros::<f32>(rows * rows),
            b.gpu.zeros::<f32>(rows * rows),
            b.gpu.zeros::<f32>(rows),
        );
        let (r, dd) = (rows as u64, d as u64);
        b.gpu
            .launch("nt_xent_sim_f32", rows * rows)
            .arg(&zn.hat.buf)
            .arg(&mut sim)
            .arg(&r)
            .arg(&dd)
            .arg(&temperature)
            .go();
        b.gpu
            .launch("nt_xent_rows_f32", rows)
            .arg(&sim)
            .arg(&mut probs)
            .arg(&mut rl)
            .arg(&r)
            .go();
        let loss = mean_of(b, &rl, rows);
        Ok((
            loss,
            GpuNtXentCache {
                z: zn,
                probs,
                temperature,
            },
        ))
    }

    pub fn nt_xent_backward(b: &CudaBackend, c: &GpuNtXentCache, dloss: f32) -> GpuTensor {
        let (rows, d) = c.z.hat.d2();
        let scale = dloss / rows as f32;
        let mut g = b.gpu.zeros::<f32>(rows * rows);
        let (r, dd) = (rows as u64, d as u64);
        b.gpu
            .launch("nt_xent_grad_f32", rows * rows)
            .arg(&c.probs)
            .arg(&mut g)
            .arg(&r)
            .arg(&scale)
            .go();
        let mut dzh = b.zeros(&[rows, d]);
        b.gpu
            .launch("nt_xent_dzhat_f32", rows * d)
            .arg(&g)
            .arg(&c.z.hat.buf)
            .arg(&mut dzh.buf)
            .arg(&r)
            .arg(&dd)
            .arg(&c.temperature)
            .go();
        normalize_backward(b, &c.z, &dzh, NORMALIZE_EPS as f32)
    }
}
