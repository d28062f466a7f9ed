//! Matrix products on cuBLAS (fast mode), deterministic by construction:
//! one handle on the backend's single stream, a fixed workspace set with
//! `cublasSetWorkspace` (so cuBLAS never picks a size at run time), and
//! `CUBLAS_PEDANTIC_MATH` (no TF32, no reduced-precision reductions).
//! cuBLAS documents bit-wise identical results on every run on GPUs of one
//! architecture with one toolkit under these conditions. Its order is not
//! the CPU's fma chain, so results agree with the CPU to rounding; exact
//! mode uses `kernels/gemm.cu`. Row-major operands map onto one
//! column-major call by `cuda_plan::blas_gemm`.

use std::sync::{Arc, Mutex};

use cudarc::cublas::{result as blas, sys};
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DevicePtrMut};

use crate::backend::cuda_plan::{MatLayout, blas_gemm};
use crate::error::{Error, Result};

/// cuBLAS's workspace (its recommendation for Hopper is 32 MiB).
pub const WORKSPACE_BYTES: usize = 32 << 20;

struct Handle(sys::cublasHandle_t);
// SAFETY: used only under `Blas::handle`'s lock, on one stream.
unsafe impl Send for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: created by create_handle, destroyed once.
        let _ = unsafe { blas::destroy_handle(self.0) };
    }
}

/// A cuBLAS handle with its fixed workspace.
pub struct Blas {
    handle: Mutex<Handle>,
    stream: Arc<CudaStream>,
    _workspace: CudaSlice<u8>,
}

fn err(what: &str, e: impl std::fmt::Debug) -> Error {
    Error::CheckFailed(format!("cuBLAS {what}: {e:?}"))
}

impl Blas {
    pub fn new(stream: Arc<CudaStream>) -> Result<Blas> {
        let h = blas::create_handle().map_err(|e| err("handle", e))?;
        let handle = Handle(h);
        let mut workspace = stream
            .alloc_zeros::<u8>(WORKSPACE_BYTES)
            .map_err(|e| err("workspace", e))?;
        // SAFETY: a live handle, the live stream, a workspace kept alive as
        // long as the handle (both owned by `Blas`).
        unsafe {
            blas::set_stream(h, stream.cu_stream() as sys::cudaStream_t)
                .map_err(|e| err("stream", e))?;
            let (ptr, _sync) = workspace.device_ptr_mut(&stream);
            sys::cublasSetWorkspace_v2(h, ptr as *mut _, WORKSPACE_BYTES)
                .result()
                .map_err(|e| err("workspace", e))?;
            sys::cublasSetMathMode(h, sys::cublasMath_t::CUBLAS_PEDANTIC_MATH)
                .result()
                .map_err(|e| err("math mode", e))?;
        }
        Ok(Blas {
            handle: Mutex::new(handle),
            stream,
            _workspace: workspace,
        })
    }

    /// `C = A·B`, `C` row-major `a.rows × b.cols`, overwritten.
    pub fn gemm(
        &self,
        a: &CudaSlice<f32>,
        la: MatLayout,
        b: &CudaSlice<f32>,
        lb: MatLayout,
        c: &mut CudaSlice<f32>,
    ) -> Result<()> {
        let g = blas_gemm(la, lb).ok_or_else(|| err("layout", (la, lb)))?;
        if g.m == 0 || g.n == 0 {
            return Ok(());
        }
        let op = |t: bool| {
            if t {
                sys::cublasOperation_t::CUBLAS_OP_T
            } else {
                sys::cublasOperation_t::CUBLAS_OP_N
            }
        };
        let h = self.handle.lock().expect("cublas handle");
        let s = &self.stream;
        let ((pa, _x), (pb, _y), (pc, _z)) =
            (a.device_ptr(s), b.device_ptr(s), c.device_ptr_mut(s));
        let (one, zero) = (1f32, 0f32);
        // SAFETY: sizes checked by blas_gemm against the layouts the caller
        // built from the tensors' shapes; cuBLAS's A' is our B (see
        // cuda_plan::blas_gemm).
        unsafe {
            blas::sgemm(
                h.0,
                op(g.trans_a),
                op(g.trans_b),
                g.m,
                g.n,
                g.k,
                &one,
                pb as *const f32,
                g.lda,
                pa as *const f32,
                g.ldb,
                &zero,
                pc as *mut f32,
                g.ldc,
            )
        }
        .map_err(|e| err("sgemm", e))
    }
}
