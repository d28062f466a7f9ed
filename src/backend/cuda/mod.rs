//! The CUDA backend (cargo feature `cuda`): device, library probe, NVRTC.
//!
//! Why a probe first: cudarc opens its libraries lazily by `dlopen` and
//! *panics* when one is missing. Before the first real cudarc call we ask
//! cudarc's own `sys::is_culib_present()` for each library we use (driver,
//! NVRTC, cuBLAS, cuDNN): it tries the very names and the very `dlopen` search
//! (`LD_LIBRARY_PATH`, the loader cache, RPATH) that the real load will, but
//! returns `false` instead of panicking. This is more faithful than scanning
//! directories ourselves, which would miss the loader cache. A missing
//! library becomes [`Error::Unsupported`] (exit 2) naming the library and the
//! fix. As a second guard, opening the context runs inside
//! `std::panic::catch_unwind`, so a driver too old for a symbol we call is an
//! error too, not an abort.
//!
//! The module has a stand-in with the same names (`backend/cuda_stub.rs`)
//! for builds without the feature. The backend itself ([`CudaBackend`],
//! fast and exact modes) is in `tensor.rs` (the value, its tensors), `core.rs`
//! (data movement) and `ops.rs` (the op traits, each method one line into
//! the op's own `src/ops/<op>/cuda.rs`, where its launches live), over
//! `runtime.rs` (kernels, the one launch helper), `blas.rs` (cuBLAS) and
//! `cudnn.rs` (cuDNN with pinned deterministic algorithms); the decisions
//! that need no GPU are in `backend::cuda_plan`, tested in every build.

use std::sync::Arc;

use cudarc::driver::CudaContext;
use cudarc::nvrtc::{CompileError, CompileOptions};

use crate::error::{Error, Result};

pub mod blas;
mod core;
pub mod cudnn;
pub mod kernels;
mod ops;
pub mod runtime;
pub mod tensor;

pub use tensor::{CudaBackend, GpuTensor};

/// Whether this build has the CUDA backend.
pub const COMPILED: bool = true;

/// What the user must fix, per library: (cudarc's name, the file, the hint).
const LIBRARIES: [(&str, &str, &str); 4] = [
    ("driver", "libcuda.so.1", "no CUDA driver found"),
    ("nvrtc", "libnvrtc.so.13", "no NVRTC found"),
    ("cublas", "libcublas.so.13", "no cuBLAS found"),
    ("cudnn", "libcudnn.so.9", "no cuDNN found"),
];

fn is_present(lib: &str) -> bool {
    // SAFETY: each call only dlopens and closes the library; no symbol is
    // called. Loading a CUDA library runs no user-visible initialisation.
    unsafe {
        match lib {
            "driver" => cudarc::driver::sys::is_culib_present(),
            "nvrtc" => cudarc::nvrtc::sys::is_culib_present(),
            "cublas" => cudarc::cublas::sys::is_culib_present(),
            _ => cudarc::cudnn::sys::is_culib_present(),
        }
    }
}

fn missing(file: &str, hint: &str) -> Error {
    Error::Unsupported(format!(
        "{hint} ({file}): cannot load it from LD_LIBRARY_PATH or the system library path; \
         install it or add its directory to LD_LIBRARY_PATH (this needs a CUDA 13 install \
         and an NVIDIA GPU)"
    ))
}

/// Checks that the driver, NVRTC, cuBLAS and cuDNN can all be loaded.
pub fn probe_libraries() -> Result<()> {
    for (lib, file, hint) in LIBRARIES {
        if !is_present(lib) {
            return Err(missing(file, hint));
        }
    }
    Ok(())
}

/// Checks that NVRTC alone can be loaded (enough to compile kernels).
pub fn probe_nvrtc() -> Result<()> {
    let (lib, file, hint) = LIBRARIES[1];
    if is_present(lib) {
        Ok(())
    } else {
        Err(missing(file, hint))
    }
}

/// Compiles one kernel with NVRTC and [`kernels::NVRTC_OPTIONS`]; returns
/// the PTX. A compile error names the file and carries NVRTC's log.
pub fn compile_kernel(kernel: &kernels::KernelSource) -> Result<String> {
    probe_nvrtc()?;
    let opts = CompileOptions {
        options: kernels::NVRTC_OPTIONS
            .iter()
            .map(|s| s.to_string())
            .collect(),
        name: Some(format!("{}.cu", kernel.name)),
        ..Default::default()
    };
    match cudarc::nvrtc::compile_ptx_with_opts(kernel.full_source(), opts) {
        Ok(ptx) => Ok(ptx.to_src()),
        Err(CompileError::CompileError { log, .. }) => Err(Error::CheckFailed(format!(
            "kernels/{}.cu: NVRTC compile error:\n{}",
            kernel.name,
            log.to_string_lossy()
        ))),
        Err(e) => Err(Error::CheckFailed(format!(
            "kernels/{}.cu: NVRTC failed: {e}",
            kernel.name
        ))),
    }
}

/// An opened CUDA device (a primary context on one GPU).
pub struct CudaDevice {
    ctx: Arc<CudaContext>,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaDevice(cuda:{})", self.ctx.ordinal())
    }
}

impl CudaDevice {
    /// Probes the libraries, then opens device `ordinal`.
    pub fn open(ordinal: usize) -> Result<CudaDevice> {
        probe_libraries()?;
        let opened = std::panic::catch_unwind(|| -> Result<Arc<CudaContext>> {
            let count = CudaContext::device_count()
                .map_err(|e| Error::Unsupported(format!("CUDA driver: {e:?}")))?;
            if ordinal >= count.max(0) as usize {
                return Err(Error::Unsupported(format!(
                    "--backend cuda:{ordinal}: this machine has {count} CUDA device(s)"
                )));
            }
            CudaContext::new(ordinal)
                .map_err(|e| Error::Unsupported(format!("cuda:{ordinal}: {e:?}")))
        });
        let ctx = opened.unwrap_or_else(|_| {
            Err(Error::Unsupported(
                "the CUDA driver is older than this build needs (CUDA 13)".to_string(),
            ))
        })?;
        Ok(CudaDevice { ctx })
    }

    pub fn ordinal(&self) -> usize {
        self.ctx.ordinal()
    }

    /// `cuda:N (GPU name)`; not hashed (DESIGN 3.1.5).
    pub fn describe(&self) -> String {
        let name = self.ctx.name().unwrap_or_else(|e| format!("{e:?}"));
        format!("cuda:{} ({name})", self.ordinal())
    }

    /// The backend on this device: every kernel compiled (NVRTC) and loaded,
    /// cuBLAS and cuDNN handles on one stream; `exact` selects exact mode
    /// (our kernels for every op, the CPU's bits) over fast mode.
    ///
    /// The kernels are compiled once per device and process: later calls
    /// (a search opens the backend per trial) share the loaded modules and
    /// library handles, whatever their mode.
    pub fn backend(&self, exact: bool) -> Result<CudaBackend> {
        static OPENED: std::sync::Mutex<Vec<(usize, CudaBackend)>> =
            std::sync::Mutex::new(Vec::new());
        let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.ordinal();
        if let Some((_, b)) = opened.iter().find(|(m, _)| *m == n) {
            return Ok(CudaBackend { exact, ..b.clone() });
        }
        let gpu = runtime::Gpu::new(self.ctx.clone())?;
        let b = CudaBackend::new(gpu, exact)?;
        opened.push((n, b.clone()));
        Ok(b)
    }

    /// Compiles every kernel and loads it, resolving each entry point;
    /// returns the number of entry points.
    pub fn load_kernels(&self) -> Result<usize> {
        let mut loaded = 0;
        for k in kernels::KERNELS {
            let ptx = compile_kernel(k)?;
            let module = self
                .ctx
                .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
                .map_err(|e| Error::CheckFailed(format!("kernels/{}.cu: load: {e:?}", k.name)))?;
            for entry in k.entry_points {
                module.load_function(entry).map_err(|e| {
                    Error::CheckFailed(format!("kernels/{}.cu: {entry}: {e:?}", k.name))
                })?;
                loaded += 1;
            }
        }
        Ok(loaded)
    }
}
