//! Stand-in for the CUDA backend in builds without the `cuda` feature.
//!
//! Why: code that picks a device must not need `#[cfg]` (DESIGN 4); this
//! module has the same type and function names as the real one
//! (`backend/cuda/mod.rs`), and every way in returns a clear
//! [`Error::Unsupported`] (exit code 2) instead of failing to compile.

use crate::error::{Error, Result};

#[path = "cuda/kernels.rs"]
pub mod kernels;

/// Whether this build has the CUDA backend.
pub const COMPILED: bool = false;

fn not_compiled() -> Error {
    Error::Unsupported(
        "csnas was built without CUDA support; rebuild with --features cuda".to_string(),
    )
}

/// Always fails: this build has no CUDA backend.
pub fn probe_libraries() -> Result<()> {
    Err(not_compiled())
}

/// Always fails: this build has no NVRTC.
pub fn probe_nvrtc() -> Result<()> {
    Err(not_compiled())
}

/// Always fails: this build has no NVRTC.
pub fn compile_kernel(_kernel: &kernels::KernelSource) -> Result<String> {
    Err(not_compiled())
}

/// A CUDA device; never constructed in this build.
#[derive(Debug)]
pub struct CudaDevice {
    never: std::convert::Infallible,
}

impl CudaDevice {
    /// Always fails: this build has no CUDA backend.
    pub fn open(_ordinal: usize) -> Result<CudaDevice> {
        Err(not_compiled())
    }

    pub fn ordinal(&self) -> usize {
        match self.never {}
    }

    pub fn describe(&self) -> String {
        match self.never {}
    }

    /// The CUDA backend on this device; never reached in this build (the
    /// device never opens), so it names the CPU type only to type-check the
    /// caller's `job.run(&d.backend(exact)?)`.
    pub fn backend(&self, _exact: bool) -> Result<crate::backend::CpuF32> {
        match self.never {}
    }

    /// Loads every kernel of [`kernels::KERNELS`] into the device.
    pub fn load_kernels(&self) -> Result<usize> {
        match self.never {}
    }
}
