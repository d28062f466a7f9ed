//! `BackendCore` for the CUDA backend: data movement between host arrays
//! and device tensors, shapes, zeros and free reshapes.

use std::borrow::Cow;

use ndarray::{Array1, Array2, Array4};

use super::tensor::{CudaBackend, GpuTensor, tensor_mut, tensor_ref};
use crate::backend::BackendKind;
use crate::backend::device::{BackendCore, Dims4, TensorMut, TensorRef};

impl BackendCore for CudaBackend {
    type Elem = f32;
    type T1 = GpuTensor;
    type T2 = GpuTensor;
    type T4 = GpuTensor;

    /// `cpu-f32` in exact mode (it reproduces the CPU's chains), `cuda-f32`
    /// in fast mode (see `cuda_plan::arithmetic_name`).
    fn arithmetic(&self) -> String {
        self.arithmetic_name().to_string()
    }

    fn kind(&self) -> BackendKind {
        let n = self.gpu.ctx.ordinal();
        if self.exact {
            BackendKind::CudaExact(n)
        } else {
            BackendKind::Cuda(n)
        }
    }

    fn upload1(&self, host: &Array1<f32>) -> GpuTensor {
        self.upload(&host.iter().copied().collect::<Vec<_>>(), &[host.len()])
    }

    fn upload2(&self, host: &Array2<f32>) -> GpuTensor {
        let (r, c) = host.dim();
        self.upload(&host.iter().copied().collect::<Vec<_>>(), &[r, c])
    }

    fn upload4(&self, host: &Array4<f32>) -> GpuTensor {
        let (n, c, h, w) = host.dim();
        self.upload(&host.iter().copied().collect::<Vec<_>>(), &[n, c, h, w])
    }

    fn download1(&self, t: &GpuTensor) -> Array1<f32> {
        Array1::from(self.download(t))
    }

    fn download2(&self, t: &GpuTensor) -> Array2<f32> {
        Array2::from_shape_vec(t.d2(), self.download(t)).expect("shape")
    }

    fn download4(&self, t: &GpuTensor) -> Array4<f32> {
        Array4::from_shape_vec(t.d4(), self.download(t)).expect("shape")
    }

    fn host_slice<'a>(&self, t: TensorRef<'a, Self>) -> Cow<'a, [f32]> {
        Cow::Owned(self.download(tensor_ref(t)))
    }

    fn write_host(&self, mut t: TensorMut<'_, Self>, values: &[f32]) {
        let t = tensor_mut(&mut t);
        assert_eq!(
            t.len(),
            values.len(),
            "write_host: {} values for shape {:?}",
            values.len(),
            t.dims
        );
        if !values.is_empty() {
            self.gpu.write(&mut t.buf, values);
        }
    }

    fn dims1(&self, t: &GpuTensor) -> usize {
        t.dims[0]
    }

    fn dims2(&self, t: &GpuTensor) -> (usize, usize) {
        t.d2()
    }

    fn dims4(&self, t: &GpuTensor) -> Dims4 {
        t.d4()
    }

    fn zeros1(&self, n: usize) -> GpuTensor {
        self.zeros(&[n])
    }

    fn zeros2(&self, dims: (usize, usize)) -> GpuTensor {
        self.zeros(&[dims.0, dims.1])
    }

    fn zeros4(&self, dims: Dims4) -> GpuTensor {
        self.zeros(&[dims.0, dims.1, dims.2, dims.3])
    }

    fn rows_to_nchw(&self, t: GpuTensor) -> GpuTensor {
        let (n, c) = t.d2();
        GpuTensor {
            buf: t.buf,
            dims: vec![n, c, 1, 1],
        }
    }

    fn nchw_to_rows(&self, t: GpuTensor) -> GpuTensor {
        let (n, c, h, w) = t.d4();
        GpuTensor {
            buf: t.buf,
            dims: vec![n, c * h * w],
        }
    }
}
