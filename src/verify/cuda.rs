//! The CUDA backend as an [`OpBackend`] — not implemented yet.
//!
//! Why it exists already: `csnas verify --backend cuda` must reach a clear
//! answer today. On a machine without CUDA, opening the device fails first
//! (exit 2); where a device opens, every op reports "GPU op X not implemented
//! yet" (exit 2) — never a silent stub or a fake success. The kernels these
//! ops will launch are in `kernels/` and compile (see
//! `examples/compile_kernels.rs`); the host side that launches them needs a
//! GPU to develop and test.

use super::{OpBackend, OpCase, Tensor};
use crate::backend::cuda::CudaDevice;
use crate::error::{Error, Result};

/// Runs verify cases on a CUDA device.
#[derive(Debug)]
pub struct CudaOps {
    device: CudaDevice,
}

impl CudaOps {
    pub fn new(device: CudaDevice) -> Self {
        CudaOps { device }
    }
}

impl OpBackend for CudaOps {
    fn name(&self) -> String {
        format!("cuda:{}", self.device.ordinal())
    }

    fn run(&self, case: &OpCase) -> Result<Vec<(&'static str, Tensor)>> {
        Err(Error::Unsupported(format!(
            "GPU op {} not implemented yet (on {})",
            case.op.name(),
            self.device.describe()
        )))
    }
}
