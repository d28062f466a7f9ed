//! One opened GPU: its context, its single stream, every kernel of
//! `kernels/` compiled by NVRTC and loaded, and the launch helper.
//!
//! Why one stream: every op is issued in program order on one stream, so
//! no two kernels ever race on a buffer and the order of all work is the
//! order of the host code, which is what makes a replay bit-identical
//! (DESIGN 3.1.4). Launch shapes come from `backend::cuda_plan` (the kernels
//! are grid-stride loops whose results do not depend on the shape).
//!
//! GPU errors inside an op (out of memory, a failed launch) panic with the
//! kernel's name: the backend traits are infallible by design (as the CPU
//! ops are), and such an error leaves the device unusable anyway.

use std::collections::HashMap;
use std::sync::Arc;

use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, DeviceRepr, LaunchArgs, LaunchConfig,
    PushKernelArg, ValidAsZeroBits,
};

use super::{compile_kernel, kernels};
use crate::backend::cuda_plan::{self, ConvGeom, MatLayout};
use crate::error::{Error, Result};

// SAFETY: plain #[repr(C)] structs of u64, matching the kernels' structs.
unsafe impl DeviceRepr for ConvGeom {}
unsafe impl DeviceRepr for MatLayout {}

/// The opened device with every kernel loaded.
pub struct Gpu {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
    /// Entry point → (function, its parameter count from the source).
    funcs: HashMap<&'static str, (CudaFunction, usize)>,
}

/// A launch being assembled: the entry point, its shape, cudarc's
/// arguments plus a count, checked at [`Launch::go`] against the kernel's
/// parameter count (parsed from its source by `kernels::c_params`), so a
/// call site that pushes too few or too many arguments fails with the
/// kernel's name instead of reading garbage. Every launch of every op goes
/// through it: `gpu.launch(name, n).arg(..)….go()`.
pub struct Launch<'a> {
    inner: LaunchArgs<'a>,
    name: &'static str,
    pushed: usize,
    expected: usize,
    grid: u32,
    block: u32,
}

impl<'a> Launch<'a> {
    /// Pushes one argument (a device buffer or a plain value).
    pub fn arg<T>(&mut self, a: T) -> &mut Self
    where
        LaunchArgs<'a>: PushKernelArg<T>,
    {
        self.inner.arg(a);
        self.pushed += 1;
        self
    }

    /// Pushes each value of `values` in order (the kernels' runs of
    /// `unsigned long long` sizes).
    pub fn args(&mut self, values: &'a [u64]) -> &mut Self {
        for v in values {
            self.arg(v);
        }
        self
    }

    /// Checks the argument count and launches on the backend's stream.
    pub fn go(&mut self) {
        let name = self.name;
        assert_eq!(
            self.pushed, self.expected,
            "CUDA launch of {name}: {} arguments pushed, the kernel takes {}",
            self.pushed, self.expected
        );
        let cfg = LaunchConfig {
            grid_dim: (self.grid, 1, 1),
            block_dim: (self.block, 1, 1),
            shared_mem_bytes: 0,
        };
        // SAFETY: every call site pushes exactly the arguments of the entry
        // point's C signature (checked above against the source; the host
        // tests run the same signatures), with buffers of the sizes the
        // kernel indexes.
        unsafe { self.inner.launch(cfg) }
            .unwrap_or_else(|e| panic!("CUDA launch of {name}: {e:?}"));
    }
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Gpu(cuda:{}, {} kernels)",
            self.ctx.ordinal(),
            self.funcs.len()
        )
    }
}

impl Gpu {
    /// Compiles (NVRTC) and loads every kernel of [`kernels::KERNELS`] on
    /// `ctx`, resolving every entry point.
    pub fn new(ctx: Arc<CudaContext>) -> Result<Gpu> {
        let stream = ctx.default_stream();
        let mut funcs = HashMap::new();
        for k in kernels::KERNELS {
            let ptx = compile_kernel(k)?;
            let module = ctx
                .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
                .map_err(|e| Error::CheckFailed(format!("kernels/{}.cu: load: {e:?}", k.name)))?;
            let src = k.full_source();
            for entry in k.entry_points {
                let f = module.load_function(entry).map_err(|e| {
                    Error::CheckFailed(format!("kernels/{}.cu: {entry}: {e:?}", k.name))
                })?;
                let params = kernels::c_params(&src, entry).map_or(0, |p| p.len());
                funcs.insert(*entry, (f, params));
            }
        }
        Ok(Gpu { ctx, stream, funcs })
    }

    /// Number of loaded entry points.
    pub fn kernel_count(&self) -> usize {
        self.funcs.len()
    }

    /// A launch of entry point `name` over `n` items, in the grid-stride
    /// shape of `cuda_plan::grid_for` (the kernels' results do not depend on
    /// it); push the arguments, then [`Launch::go`]. (`n` is taken first so
    /// a call can size the launch from a buffer it then borrows mutably.)
    pub fn launch(&self, name: &'static str, n: usize) -> Launch<'_> {
        self.launch_with(name, cuda_plan::grid_for(n), cuda_plan::BLOCK)
    }

    /// A launch with an explicit grid and block (block-order reductions).
    pub fn launch_with(&self, name: &'static str, grid: u32, block: u32) -> Launch<'_> {
        let (f, expected) = self
            .funcs
            .get(name)
            .unwrap_or_else(|| panic!("CUDA kernel {name} is not registered in kernels.rs"));
        Launch {
            inner: self.stream.launch_builder(f),
            name,
            pushed: 0,
            expected: *expected,
            grid,
            block,
        }
    }

    /// Copies host values to a new device buffer.
    pub fn upload<T: DeviceRepr>(&self, host: &[T]) -> CudaSlice<T> {
        self.stream
            .clone_htod(host)
            .unwrap_or_else(|e| panic!("CUDA upload of {} values: {e:?}", host.len()))
    }

    /// Copies a device buffer to the host.
    pub fn download<T: DeviceRepr + Default + Clone>(&self, dev: &CudaSlice<T>) -> Vec<T> {
        self.stream
            .clone_dtoh(dev)
            .unwrap_or_else(|e| panic!("CUDA download of {} values: {e:?}", dev.len()))
    }

    /// A new buffer of `n` zeros (all bits zero: `+0.0`).
    pub fn zeros<T: DeviceRepr + ValidAsZeroBits>(&self, n: usize) -> CudaSlice<T> {
        self.stream
            .alloc_zeros(n.max(1))
            .unwrap_or_else(|e| panic!("CUDA allocation of {n} values: {e:?}"))
    }

    /// Overwrites the first `values.len()` elements of `buf`.
    pub fn write(&self, buf: &mut CudaSlice<f32>, values: &[f32]) {
        self.stream
            .memcpy_htod(values, buf)
            .unwrap_or_else(|e| panic!("CUDA write of {} values: {e:?}", values.len()));
    }

    /// Copies `n` values from `src[from..]` to `dst[to..]` on the device.
    pub fn copy(
        &self,
        src: &CudaSlice<f32>,
        from: usize,
        dst: &mut CudaSlice<f32>,
        to: usize,
        n: usize,
    ) {
        if n == 0 {
            return;
        }
        let s = src.slice(from..from + n);
        let mut d = dst.slice_mut(to..to + n);
        self.stream
            .memcpy_dtod(&s, &mut d)
            .unwrap_or_else(|e| panic!("CUDA device copy of {n} values: {e:?}"));
    }

    /// Sets every element of `buf` to zero bits.
    pub fn fill_zero<T: DeviceRepr + ValidAsZeroBits>(&self, buf: &mut CudaSlice<T>) {
        self.stream
            .memset_zeros(buf)
            .unwrap_or_else(|e| panic!("CUDA memset: {e:?}"));
    }
}
