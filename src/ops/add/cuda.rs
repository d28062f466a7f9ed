//! The CUDA side of elementwise addition: `kernels/add.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/add.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "add",
    rust_op: "model::cell (node sum, add_into)",
    source: include_str!("../../../kernels/add.cu"),
    entry_points: &["add_f32", "add_into_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};

    pub fn add(b: &CudaBackend, x: &GpuTensor, y: &GpuTensor) -> GpuTensor {
        assert_eq!(x.dims, y.dims, "add: shapes");
        b.map("add_f32", &[x, y])
    }

    /// `acc += g`, elementwise (sizes must agree; shapes may differ).
    pub fn add_assign(b: &CudaBackend, acc: &mut GpuTensor, g: &GpuTensor) {
        assert_eq!(acc.len(), g.len(), "add_assign: sizes");
        let n = g.len() as u64;
        b.gpu
            .launch("add_into_f32", g.len())
            .arg(&mut acc.buf)
            .arg(&g.buf)
            .arg(&n)
            .go();
    }
}
