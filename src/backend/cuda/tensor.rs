//! The CUDA backend value and its tensors: [`CudaBackend`] implements
//! `BackendCore` (data movement, shapes) over one [`Gpu`], one cuBLAS and
//! one cuDNN handle, in fast or exact mode.
//!
//! Modes (DESIGN 3.1.4, issue #12):
//! - fast (`--backend cuda`): convolutions on cuDNN with pinned
//!   deterministic algorithms, matrix products on cuBLAS, block-order batch
//!   norm; everything else on our kernels. Replays bit for bit on one GPU
//!   model/driver/library set; agrees with the CPU to rounding. Its
//!   arithmetic name is `cuda-f32` (a search log made with it replays only
//!   on it).
//! - exact (`--backend cuda-exact`): our kernels for every op, each
//!   reproducing the CPU's documented chains, so it claims the CPU's
//!   arithmetic name `cpu-f32`: a search on it must end at the CPU's head
//!   hash (that claim is what `csnas verify` and `benches/gpu_check.sh`
//!   check; the host tests prove each kernel's arithmetic in CI).
//!
//! A tensor is one device buffer of f32 and its shape; the three ranks share
//! the type ([`GpuTensor`]), so a reshape is free.

use std::sync::Arc;

use cudarc::driver::CudaSlice;

use super::blas::Blas;
use super::cudnn::Dnn;
use super::runtime::Gpu;
use crate::backend::device::{TensorMut, TensorRef};
use crate::error::Result;

/// f32 values on the device and their shape (row-major).
pub struct GpuTensor {
    pub buf: CudaSlice<f32>,
    pub dims: Vec<usize>,
}

impl GpuTensor {
    pub fn len(&self) -> usize {
        self.dims.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(N, C, H, W)`; panics on another rank (a programming error).
    pub fn d4(&self) -> (usize, usize, usize, usize) {
        match self.dims[..] {
            [n, c, h, w] => (n, c, h, w),
            _ => panic!("expected an NCHW tensor, got shape {:?}", self.dims),
        }
    }

    /// `(rows, cols)`; panics on another rank.
    pub fn d2(&self) -> (usize, usize) {
        match self.dims[..] {
            [r, c] => (r, c),
            _ => panic!("expected a matrix, got shape {:?}", self.dims),
        }
    }
}

impl Clone for GpuTensor {
    /// A device-to-device copy on the backend's stream.
    fn clone(&self) -> Self {
        GpuTensor {
            buf: self.buf.clone(),
            dims: self.dims.clone(),
        }
    }
}

impl std::fmt::Debug for GpuTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuTensor{:?}", self.dims)
    }
}

/// The CUDA backend (see the module doc for the two modes).
#[derive(Clone)]
pub struct CudaBackend {
    pub gpu: Arc<Gpu>,
    pub blas: Arc<Blas>,
    pub dnn: Arc<Dnn>,
    pub exact: bool,
}

impl std::fmt::Debug for CudaBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = if self.exact { "exact" } else { "fast" };
        write!(f, "CudaBackend({:?}, {mode})", self.gpu)
    }
}

impl CudaBackend {
    /// Opens the libraries' handles on `gpu`'s stream.
    pub fn new(gpu: Gpu, exact: bool) -> Result<CudaBackend> {
        let blas = Blas::new(gpu.stream.clone())?;
        let dnn = Dnn::new(gpu.stream.clone())?;
        Ok(CudaBackend {
            gpu: Arc::new(gpu),
            blas: Arc::new(blas),
            dnn: Arc::new(dnn),
            exact,
        })
    }

    /// The arithmetic name hashed into a search's config record.
    pub fn arithmetic_name(&self) -> &'static str {
        crate::backend::cuda_plan::arithmetic_name(self.exact)
    }

    /// A tensor of zeros of shape `dims`.
    pub fn zeros(&self, dims: &[usize]) -> GpuTensor {
        GpuTensor {
            buf: self.gpu.zeros(dims.iter().product()),
            dims: dims.to_vec(),
        }
    }

    /// Uploads host values with shape `dims`.
    pub fn upload(&self, values: &[f32], dims: &[usize]) -> GpuTensor {
        assert_eq!(
            values.len(),
            dims.iter().product::<usize>(),
            "upload: shape {dims:?}"
        );
        let buf = if values.is_empty() {
            self.gpu.zeros(1)
        } else {
            self.gpu.upload(values)
        };
        GpuTensor {
            buf,
            dims: dims.to_vec(),
        }
    }

    /// Downloads one f32 from a device buffer.
    pub fn scalar(&self, buf: &CudaSlice<f32>) -> f32 {
        self.gpu.download(buf)[0]
    }

    /// One elementwise kernel `name(in_0, …, in_k, out, n)` over inputs of
    /// one shape; the output (returned) takes the last input's shape.
    pub fn map(&self, name: &'static str, inputs: &[&GpuTensor]) -> GpuTensor {
        let mut y = self.zeros(&inputs.last().expect("map: no input").dims);
        let n = y.len() as u64;
        {
            let mut l = self.gpu.launch(name, y.len());
            for x in inputs {
                l.arg(&x.buf);
            }
            l.arg(&mut y.buf).arg(&n).go();
        }
        y
    }

    /// Downloads a tensor's values (row-major).
    pub fn download(&self, t: &GpuTensor) -> Vec<f32> {
        let mut v = self.gpu.download(&t.buf);
        v.truncate(t.len());
        v
    }
}

/// The device tensor behind a rank-erased mutable borrow.
pub fn tensor_mut<'a>(t: &'a mut TensorMut<'_, CudaBackend>) -> &'a mut GpuTensor {
    match t {
        TensorMut::R1(t) => t,
        TensorMut::R2(t) => t,
        TensorMut::R4(t) => t,
    }
}

/// The device tensor behind a rank-erased borrow.
pub fn tensor_ref<'a>(t: TensorRef<'a, CudaBackend>) -> &'a GpuTensor {
    match t {
        TensorRef::R1(t) => t,
        TensorRef::R2(t) => t,
        TensorRef::R4(t) => t,
    }
}
