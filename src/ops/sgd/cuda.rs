//! The CUDA side of the SGD step: `kernels/sgd.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/sgd.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "sgd",
    rust_op: "ops::sgd",
    source: include_str!("../../../kernels/sgd.cu"),
    entry_points: &["sgd_step_f32"],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::ops::sgd::SgdConfig;

    /// `sgd_step_f32`; the momentum buffer is created (zeros, then set by
    /// the first step's `buf = d`) when momentum is on and it is `None`.
    pub fn sgd_update(
        b: &CudaBackend,
        cfg: &SgdConfig,
        param: &mut GpuTensor,
        grad: &GpuTensor,
        momentum: &mut Option<GpuTensor>,
    ) {
        assert_eq!(param.len(), grad.len(), "sgd: parameter and gradient sizes");
        let has_momentum = cfg.momentum != 0.0;
        let first = has_momentum && momentum.is_none();
        if first {
            *momentum = Some(b.zeros(&[param.len()]));
        }
        let mut dummy = None;
        let buf = match momentum.as_mut() {
            Some(m) if has_momentum => m,
            _ => dummy.insert(b.zeros(&[1])),
        };
        let (wd, mu, keep, neg_lr) = (
            cfg.weight_decay as f32,
            cfg.momentum as f32,
            (1.0 - cfg.dampening) as f32,
            (-cfg.lr) as f32,
        );
        let flags = [
            i32::from(cfg.weight_decay != 0.0),
            i32::from(has_momentum),
            i32::from(first),
            i32::from(cfg.nesterov),
        ];
        let n = param.len() as u64;
        b.gpu
            .launch("sgd_step_f32", param.len())
            .arg(&mut param.buf)
            .arg(&grad.buf)
            .arg(&mut buf.buf)
            .arg(&wd)
            .arg(&mu)
            .arg(&keep)
            .arg(&neg_lr)
            .arg(&flags[0])
            .arg(&flags[1])
            .arg(&flags[2])
            .arg(&flags[3])
            .arg(&n)
            .go();
    }
}
