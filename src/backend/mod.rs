//! Compute backends: which device runs the arithmetic, picked at run time.
//!
//! Why here: DESIGN 4 asks for one place where the CPU reference and the GPU
//! path meet, and (as candle does) no `#[cfg]` anywhere else. The [`cuda`]
//! module exists in every build: with the `cuda` cargo feature it is the real
//! cudarc-backed device; without it, a stand-in with the same type names whose
//! every constructor returns [`Error::Unsupported`] ("built without CUDA
//! support"). Code that picks a device therefore compiles the same way in both
//! builds, and `--backend cuda` on a build or a machine without CUDA is a
//! one-line error with exit code 2, never a panic.
//!
//! The CPU reference is not wrapped here: the ops in [`crate::ops`] are it.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

pub mod cpu;
pub mod cuda_plan;
pub mod device;
pub mod ops;
pub mod perturbed;
#[cfg(test)]
mod perturbed_tests;

pub use cpu::{Cpu, CpuF32, CpuF64};
pub use device::{BackendCore, Dims4, TensorMut, TensorRef};
pub use ops::{
    Backend, BatchNormOps, ConvOps, ElementwiseOps, LayoutOps, LossOps, MatmulOps, OptimOps,
    PoolOps,
};

#[cfg(feature = "cuda")]
#[path = "cuda/mod.rs"]
pub mod cuda;

#[cfg(not(feature = "cuda"))]
#[path = "cuda_stub.rs"]
pub mod cuda;

/// The kind of backend a command was asked for: `--backend cpu|cuda[:N]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// The CPU reference (ndarray ops).
    Cpu,
    /// The CUDA device with this ordinal (`cuda` means `cuda:0`).
    Cuda(usize),
    /// The CUDA device in exact mode (`cuda-exact[:N]`).
    CudaExact(usize),
}

impl FromStr for BackendKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(BackendKind::Cpu),
            "cuda" => Ok(BackendKind::Cuda(0)),
            "cuda-exact" => Ok(BackendKind::CudaExact(0)),
            _ => match (
                s.strip_prefix("cuda:").map(str::parse::<usize>),
                s.strip_prefix("cuda-exact:").map(str::parse::<usize>),
            ) {
                (Some(Ok(n)), _) => Ok(BackendKind::Cuda(n)),
                (_, Some(Ok(n))) => Ok(BackendKind::CudaExact(n)),
                _ => Err(Error::invalid(format!(
                    "--backend: unknown backend {s:?}; expected cpu, cuda, cuda:N, cuda-exact or \
                     cuda-exact:N (N a device ordinal)"
                ))),
            },
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackendKind::Cpu => f.write_str("cpu"),
            BackendKind::Cuda(n) => write!(f, "cuda:{n}"),
            BackendKind::CudaExact(n) => write!(f, "cuda-exact:{n}"),
        }
    }
}

impl BackendKind {
    /// Opens the device: always succeeds for the CPU; for CUDA, probes the
    /// driver and libraries first (see [`cuda::probe_libraries`]).
    pub fn open(self) -> Result<Device> {
        match self {
            BackendKind::Cpu => Ok(Device::Cpu),
            BackendKind::Cuda(n) | BackendKind::CudaExact(n) => {
                Ok(Device::Cuda(cuda::CudaDevice::open(n)?))
            }
        }
    }
}

/// A computation written once over the seam, run on whichever backend a
/// command's `--backend` opened (Rust has no generic closures, so a job is a
/// value with a generic method).
pub trait OnBackend {
    type Output;
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<Self::Output>;
}

impl BackendKind {
    /// Opens the device and runs `job` on its training backend. The CPU
    /// reference always opens; `cuda` opens the device first (so a missing
    /// driver or a build without the feature is the usual exit-2 error), then
    /// reports that the CUDA backend does not implement the training ops yet.
    /// When it does (issue #12), its arm calls `job.run(&cuda_backend)`.
    pub fn run<J: OnBackend>(self, job: J) -> Result<J::Output> {
        match self.open()? {
            Device::Cpu => job.run(&CpuF32::new()),
            Device::Cuda(_) => Err(Error::Unsupported(format!(
                "--backend {self}: the CUDA device opened, but this build's CUDA backend does not \
                 implement the training ops yet (only `csnas verify` reaches it); use --backend cpu"
            ))),
        }
    }

    /// The arithmetic name a log made on this backend records (`cpu-f32`
    /// for the CPU reference), without running anything.
    pub fn arithmetic(self) -> Result<String> {
        struct Name;
        impl OnBackend for Name {
            type Output = String;
            fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<String> {
                Ok(dev.arithmetic())
            }
        }
        self.run(Name)
    }
}

/// An opened device.
#[derive(Debug)]
pub enum Device {
    Cpu,
    Cuda(cuda::CudaDevice),
}

impl Device {
    /// What was opened, e.g. `cpu` or `cuda:0`.
    pub fn kind(&self) -> BackendKind {
        match self {
            Device::Cpu => BackendKind::Cpu,
            Device::Cuda(d) => BackendKind::Cuda(d.ordinal()),
        }
    }

    /// A human description (never hashed: DESIGN 3.1.5), e.g. the GPU name.
    pub fn describe(&self) -> String {
        match self {
            Device::Cpu => "cpu (reference)".to_string(),
            Device::Cuda(d) => d.describe(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_flag_parses_cpu_cuda_and_cuda_with_ordinal() {
        assert_eq!("cpu".parse::<BackendKind>().unwrap(), BackendKind::Cpu);
        assert_eq!("cuda".parse::<BackendKind>().unwrap(), BackendKind::Cuda(0));
        assert_eq!(
            "cuda:3".parse::<BackendKind>().unwrap(),
            BackendKind::Cuda(3)
        );
        assert_eq!(BackendKind::Cuda(3).to_string(), "cuda:3");
    }

    #[test]
    fn backend_flag_rejects_unknown_names_naming_the_flag() {
        for bad in ["gpu", "cuda:", "cuda:x", "cuda:-1", "CPU", ""] {
            let e = bad.parse::<BackendKind>().unwrap_err();
            assert_eq!(e.exit_code(), 2);
            assert!(e.to_string().starts_with("--backend"), "{e}");
        }
    }

    #[test]
    fn every_registered_kernel_file_exists_and_every_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".cu"))
            .collect();
        on_disk.sort();
        let mut registered: Vec<String> = cuda::kernels::KERNELS
            .iter()
            .map(|k| format!("{}.cu", k.name))
            .collect();
        registered.sort();
        assert_eq!(on_disk, registered);
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        for k in cuda::kernels::KERNELS {
            assert!(
                readme.contains(&format!("`{}.cu`", k.name)),
                "{} not in README",
                k.name
            );
            assert!(
                k.source.starts_with("//"),
                "{}.cu must open with its order comment",
                k.name
            );
        }
    }
}
