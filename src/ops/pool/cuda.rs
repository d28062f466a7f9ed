//! The CUDA side of max and average pooling: `kernels/pool.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/pool.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "pool",
    rust_op: "ops::pool",
    source: include_str!("../../../kernels/pool.cu"),
    entry_points: &[
        "max_pool2d_forward_f32",
        "max_pool2d_backward_f32",
        "avg_pool2d_forward_f32",
        "avg_pool2d_backward_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use cudarc::driver::{CudaSlice, DeviceRepr};

    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::ops::pool::PoolParams;

    /// `struct PoolParams` of `kernels/pool.cu`.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct PoolArgs {
        pub kernel: u64,
        pub stride: u64,
        pub padding: u64,
    }

    // SAFETY: #[repr(C)], three u64, as the kernel's struct.
    unsafe impl DeviceRepr for PoolArgs {}

    impl From<&PoolParams> for PoolArgs {
        fn from(p: &PoolParams) -> Self {
            PoolArgs {
                kernel: p.kernel as u64,
                stride: p.stride as u64,
                padding: p.padding as u64,
            }
        }
    }

    /// A max pool's argmax (flat index within the input plane) per output,
    /// and the window parameters the backward's gather needs.
    pub struct GpuPoolIndex {
        argmax: CudaSlice<u32>,
        out_dims: Vec<usize>,
        p: PoolArgs,
    }

    /// `(planes, h, w, oh, ow)` of a pooling of `x` into `out_dims`.
    fn pool_dims(n: usize, c: usize, hw: (usize, usize), ohw: (usize, usize)) -> [u64; 5] {
        [
            (n * c) as u64,
            hw.0 as u64,
            hw.1 as u64,
            ohw.0 as u64,
            ohw.1 as u64,
        ]
    }

    pub fn max_pool2d_forward(
        b: &CudaBackend,
        x: &GpuTensor,
        p: &PoolParams,
    ) -> (GpuTensor, GpuPoolIndex) {
        let (n, c, h, w) = x.d4();
        let (oh, ow) = p.out_hw(h, w);
        let mut y = b.zeros(&[n, c, oh, ow]);
        let mut argmax = b.gpu.zeros::<u32>(y.len());
        let (pa, d) = (PoolArgs::from(p), pool_dims(n, c, (h, w), (oh, ow)));
        b.gpu
            .launch("max_pool2d_forward_f32", y.len())
            .arg(&x.buf)
            .arg(&mut y.buf)
            .arg(&mut argmax)
            .arg(&pa)
            .args(&d)
            .go();
        let out_dims = y.dims.clone();
        (
            y,
            GpuPoolIndex {
                argmax,
                out_dims,
                p: pa,
            },
        )
    }

    /// A gather per input element in the CPU's scatter order (no atomics).
    pub fn max_pool2d_backward(
        b: &CudaBackend,
        dy: &GpuTensor,
        index: &GpuPoolIndex,
        hw: (usize, usize),
    ) -> GpuTensor {
        let (n, c, oh, ow) = dy.d4();
        assert_eq!(dy.dims, index.out_dims, "max_pool2d: argmax shape");
        let mut dx = b.zeros(&[n, c, hw.0, hw.1]);
        let d = pool_dims(n, c, hw, (oh, ow));
        b.gpu
            .launch("max_pool2d_backward_f32", dx.len())
            .arg(&dy.buf)
            .arg(&index.argmax)
            .arg(&mut dx.buf)
            .arg(&index.p)
            .args(&d)
            .go();
        dx
    }

    pub fn avg_pool2d_forward(b: &CudaBackend, x: &GpuTensor, p: &PoolParams) -> GpuTensor {
        let (n, c, h, w) = x.d4();
        let (oh, ow) = p.out_hw(h, w);
        let mut y = b.zeros(&[n, c, oh, ow]);
        let (pa, d) = (PoolArgs::from(p), pool_dims(n, c, (h, w), (oh, ow)));
        b.gpu
            .launch("avg_pool2d_forward_f32", y.len())
            .arg(&x.buf)
            .arg(&mut y.buf)
            .arg(&pa)
            .args(&d)
            .go();
        y
    }

    pub fn avg_pool2d_backward(
        b: &CudaBackend,
        dy: &GpuTensor,
        p: &PoolParams,
        hw: (usize, usize),
    ) -> GpuTensor {
        let (n, c, oh, ow) = dy.d4();
        let mut dx = b.zeros(&[n, c, hw.0, hw.1]);
        let (pa, d) = (PoolArgs::from(p), pool_dims(n, c, hw, (oh, ow)));
        b.gpu
            .launch("avg_pool2d_backward_f32", dx.len())
            .arg(&dy.buf)
            .arg(&mut dx.buf)
            .arg(&pa)
            .args(&d)
            .go();
        dx
    }
}
