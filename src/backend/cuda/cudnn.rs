//! Convolutions on cuDNN (fast mode) with the algorithm pinned to a
//! deterministic one (DESIGN 3.1.4).
//!
//! Why not cudarc's safe `ConvForward::pick_algorithm()`: it returns the
//! heuristic's first result whatever its `determinism` field, and some of
//! cuDNN's fastest backward-filter and backward-data algorithms accumulate
//! with atomics. Here every direction queries `cudnnGet*Algorithm_v7`, keeps
//! the first result that succeeded, is `CUDNN_DETERMINISTIC`, uses no
//! tensor-op (TF32) math and fits
//! [`WORKSPACE_BYTES`] (`cuda_plan::choose_deterministic`), and records it
//! per geometry in [`Dnn::pinned`] for the verify/bench reports. (The
//! heuristic query runs on every call: it is cheap, and for one geometry,
//! GPU and library version it returns the same list, so the same algorithm.)
//! Math type `CUDNN_FMA_MATH`: no TF32 tensor-core path for f32 data.
//! Results agree with the CPU reference to rounding (their order is
//! cuDNN's), never bit for bit; exact mode uses `kernels/conv2d.cu`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cudarc::cudnn::{result as dnn, sys};
use cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DevicePtrMut};

use crate::backend::cuda_plan::{AlgoPerf, ConvGeom, choose_deterministic};
use crate::error::{Error, Result};

/// The fixed workspace every convolution shares (and the most an algorithm
/// may ask for).
pub const WORKSPACE_BYTES: usize = 256 << 20;

/// Direction of a convolution call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dir {
    Forward,
    BackwardData,
    BackwardFilter,
}

/// (direction, geometry key) → (geometry, algorithm).
type Pinned = BTreeMap<(Dir, [u64; 16]), (ConvGeom, u32)>;

/// A cuDNN handle on the backend's stream, its workspace and the pinned
/// algorithms.
pub struct Dnn {
    handle: Mutex<Handle>,
    stream: Arc<CudaStream>,
    workspace: Mutex<CudaSlice<u8>>,
    /// (direction, geometry key) → the geometry and the pinned algorithm's
    /// enum value.
    pinned: Mutex<Pinned>,
}

struct Handle(sys::cudnnHandle_t);
// SAFETY: the handle is only used under `Dnn::handle`'s lock, on one stream.
unsafe impl Send for Handle {}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: created by create_handle, destroyed once.
        let _ = unsafe { dnn::destroy_handle(self.0) };
    }
}

fn dnn_err(what: &str, e: impl std::fmt::Debug) -> Error {
    Error::CheckFailed(format!("cuDNN {what}: {e:?}"))
}

/// The three descriptors of one geometry (destroyed on drop).
struct Descs {
    x: sys::cudnnTensorDescriptor_t,
    w: sys::cudnnFilterDescriptor_t,
    conv: sys::cudnnConvolutionDescriptor_t,
    y: sys::cudnnTensorDescriptor_t,
}

impl Descs {
    fn new(g: &ConvGeom) -> Result<Descs> {
        let i = |v: u64| v as std::ffi::c_int;
        let f32t = sys::cudnnDataType_t::CUDNN_DATA_FLOAT;
        let nchw = sys::cudnnTensorFormat_t::CUDNN_TENSOR_NCHW;
        let d = Descs {
            x: dnn::create_tensor_descriptor().map_err(|e| dnn_err("descriptor", e))?,
            w: dnn::create_filter_descriptor().map_err(|e| dnn_err("descriptor", e))?,
            conv: dnn::create_convolution_descriptor().map_err(|e| dnn_err("descriptor", e))?,
            y: dnn::create_tensor_descriptor().map_err(|e| dnn_err("descriptor", e))?,
        };
        // SAFETY: fresh descriptors, set once with valid sizes.
        unsafe {
            dnn::set_tensor4d_descriptor(d.x, nchw, f32t, [i(g.n), i(g.cin), i(g.h), i(g.w)])
                .map_err(|e| dnn_err("x descriptor", e))?;
            let cig = g.cin / g.groups.max(1);
            dnn::set_filter4d_descriptor(d.w, f32t, nchw, [i(g.cout), i(cig), i(g.kh), i(g.kw)])
                .map_err(|e| dnn_err("w descriptor", e))?;
            dnn::set_convolution2d_descriptor(
                d.conv,
                i(g.py),
                i(g.px),
                i(g.sy),
                i(g.sx),
                i(g.dy),
                i(g.dx),
                sys::cudnnConvolutionMode_t::CUDNN_CROSS_CORRELATION,
                f32t,
            )
            .map_err(|e| dnn_err("conv descriptor", e))?;
            dnn::set_convolution_group_count(d.conv, i(g.groups))
                .map_err(|e| dnn_err("group count", e))?;
            dnn::set_convolution_math_type(d.conv, sys::cudnnMathType_t::CUDNN_FMA_MATH)
                .map_err(|e| dnn_err("math type", e))?;
            dnn::set_tensor4d_descriptor(d.y, nchw, f32t, [i(g.n), i(g.cout), i(g.oh), i(g.ow)])
                .map_err(|e| dnn_err("y descriptor", e))?;
        }
        Ok(d)
    }
}

impl Drop for Descs {
    fn drop(&mut self) {
        // SAFETY: each descriptor was created in `new` and is freed once.
        unsafe {
            let _ = dnn::destroy_tensor_descriptor(self.x);
            let _ = dnn::destroy_filter_descriptor(self.w);
            let _ = dnn::destroy_convolution_descriptor(self.conv);
            let _ = dnn::destroy_tensor_descriptor(self.y);
        }
    }
}

/// The fields of one of cuDNN's three `*AlgoPerf_t` structs that
/// `choose_deterministic` reads.
trait Perf: Copy {
    fn perf(&self) -> AlgoPerf;
}

macro_rules! impl_perf {
    ($($t:ty),*) => {$(
        impl Perf for $t {
            fn perf(&self) -> AlgoPerf {
                AlgoPerf {
                    algo: self.algo as i32,
                    ok: self.status == sys::cudnnStatus_t::CUDNN_STATUS_SUCCESS,
                    deterministic: self.determinism
                        == sys::cudnnDeterminism_t::CUDNN_DETERMINISTIC,
                    memory: self.memory,
                    tensor_op: matches!(
                        self.mathType,
                        sys::cudnnMathType_t::CUDNN_TENSOR_OP_MATH
                            | sys::cudnnMathType_t::CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION
                    ),
                }
            }
        }
    )*};
}

impl_perf!(
    sys::cudnnConvolutionFwdAlgoPerf_t,
    sys::cudnnConvolutionBwdDataAlgoPerf_t,
    sys::cudnnConvolutionBwdFilterAlgoPerf_t
);

/// The one algorithm picker of the three directions: `query` fills up to
/// `N` results of a `_v7` heuristic query (`(requested, returned, out)`);
/// returns the entry `choose_deterministic` pins, if any.
fn pick<P: Perf, const N: usize>(
    query: impl FnOnce(
        std::ffi::c_int,
        *mut std::ffi::c_int,
        *mut P,
    ) -> std::result::Result<(), dnn::CudnnError>,
) -> Result<Option<P>> {
    let mut n: std::ffi::c_int = 0;
    // SAFETY: zeroed perf structs are valid (plain data), filled by cuDNN.
    let mut out: [P; N] = unsafe { std::mem::zeroed() };
    query(N as std::ffi::c_int, &mut n, out.as_mut_ptr())
        .map_err(|e| dnn_err("algorithm query", e))?;
    let list = &out[..(n.max(0) as usize).min(N)];
    let perfs: Vec<AlgoPerf> = list.iter().map(Perf::perf).collect();
    let chosen = choose_deterministic(&perfs, WORKSPACE_BYTES);
    Ok(chosen.and_then(|c| list.iter().find(|p| p.perf().algo == c.algo).copied()))
}

impl Dnn {
    /// A cuDNN handle on `stream` with a fixed workspace.
    pub fn new(stream: Arc<CudaStream>) -> Result<Dnn> {
        let h = dnn::create_handle().map_err(|e| dnn_err("handle", e))?;
        let handle = Handle(h);
        // SAFETY: a live handle and the backend's live stream.
        unsafe { dnn::set_stream(h, stream.cu_stream() as sys::cudaStream_t) }
            .map_err(|e| dnn_err("stream", e))?;
        let workspace = stream
            .alloc_zeros::<u8>(WORKSPACE_BYTES)
            .map_err(|e| dnn_err("workspace", e))?;
        Ok(Dnn {
            handle: Mutex::new(handle),
            stream,
            workspace: Mutex::new(workspace),
            pinned: Mutex::new(BTreeMap::new()),
        })
    }

    /// Every pinned algorithm so far: `(direction, geometry, algorithm)`.
    pub fn pinned(&self) -> Vec<(Dir, ConvGeom, u32)> {
        let p = self.pinned.lock().expect("pinned");
        p.iter().map(|(&(d, _), &(g, a))| (d, g, a)).collect()
    }

    fn remember(&self, dir: Dir, g: &ConvGeom, algo: u32) {
        self.pinned
            .lock()
            .expect("pinned")
            .insert((dir, key(g)), (*g, algo));
    }

    /// `y = conv(x, w)` (y overwritten).
    pub fn forward(
        &self,
        g: &ConvGeom,
        x: &CudaSlice<f32>,
        w: &CudaSlice<f32>,
        y: &mut CudaSlice<f32>,
    ) -> Result<()> {
        let d = Descs::new(g)?;
        let h = self.handle.lock().expect("cudnn handle");
        let algo = pick::<sys::cudnnConvolutionFwdAlgoPerf_t, 8>(|req, got, out| {
            // SAFETY: live handle and descriptors; `out` holds `req` structs.
            unsafe {
                dnn::get_convolution_forward_algorithm(h.0, d.x, d.w, d.conv, d.y, req, got, out)
            }
        })?
        .ok_or_else(|| no_algo("forward", g))?
        .algo;
        self.remember(Dir::Forward, g, algo as u32);
        let mut ws = self.workspace.lock().expect("workspace");
        let s = &self.stream;
        let ((px, _a), (pw, _b), (py, _c)) =
            (x.device_ptr(s), w.device_ptr(s), y.device_ptr_mut(s));
        let (pws, _d) = ws.device_ptr_mut(s);
        let (one, zero) = (1f32, 0f32);
        // SAFETY: buffers sized for the descriptors' shapes; workspace fixed.
        unsafe {
            dnn::convolution_forward(
                h.0,
                (&one as *const f32).cast(),
                d.x,
                px as *const _,
                d.w,
                pw as *const _,
                d.conv,
                algo,
                pws as *mut _,
                WORKSPACE_BYTES,
                (&zero as *const f32).cast(),
                d.y,
                py as *mut _,
            )
        }
        .map_err(|e| dnn_err("convolution forward", e))
    }

    /// `dx` from `dy` and `w` (dx overwritten).
    pub fn backward_data(
        &self,
        g: &ConvGeom,
        dy: &CudaSlice<f32>,
        w: &CudaSlice<f32>,
        dx: &mut CudaSlice<f32>,
    ) -> Result<()> {
        let d = Descs::new(g)?;
        let h = self.handle.lock().expect("cudnn handle");
        let algo = pick::<sys::cudnnConvolutionBwdDataAlgoPerf_t, 6>(|req, got, out| {
            // SAFETY: live handle and descriptors; `out` holds `req` structs.
            unsafe {
                dnn::get_convolution_backward_data_algorithm(
                    h.0, d.w, d.y, d.conv, d.x, req, got, out,
                )
            }
        })?
        .ok_or_else(|| no_algo("backward data", g))?
        .algo;
        self.remember(Dir::BackwardData, g, algo as u32);
        let mut ws = self.workspace.lock().expect("workspace");
        let s = &self.stream;
        let ((pdy, _a), (pw, _b), (pdx, _c)) =
            (dy.device_ptr(s), w.device_ptr(s), dx.device_ptr_mut(s));
        let (pws, _d) = ws.device_ptr_mut(s);
        let (one, zero) = (1f32, 0f32);
        // SAFETY: as in `forward`.
        unsafe {
            dnn::convolution_backward_data(
                h.0,
                (&one as *const f32).cast(),
                d.w,
                pw as *const _,
                d.y,
                pdy as *const _,
                d.conv,
                algo,
                pws as *mut _,
                WORKSPACE_BYTES,
                (&zero as *const f32).cast(),
                d.x,
                pdx as *mut _,
            )
        }
        .map_err(|e| dnn_err("convolution backward data", e))
    }

    /// `dw` from `x` and `dy` (dw overwritten).
    pub fn backward_filter(
        &self,
        g: &ConvGeom,
        x: &CudaSlice<f32>,
        dy: &CudaSlice<f32>,
        dw: &mut CudaSlice<f32>,
    ) -> Result<()> {
        let d = Descs::new(g)?;
        let h = self.handle.lock().expect("cudnn handle");
        let algo = pick::<sys::cudnnConvolutionBwdFilterAlgoPerf_t, 7>(|req, got, out| {
            // SAFETY: live handle and descriptors; `out` holds `req` structs.
            unsafe {
                dnn::get_convolution_backward_filter_algorithm(
                    h.0, d.x, d.y, d.conv, d.w, req, got, out,
                )
            }
        })?
        .ok_or_else(|| no_algo("backward filter", g))?
        .algo;
        self.remember(Dir::BackwardFilter, g, algo as u32);
        let mut ws = self.workspace.lock().expect("workspace");
        let s = &self.stream;
        let ((px, _a), (pdy, _b), (pdw, _c)) =
            (x.device_ptr(s), dy.device_ptr(s), dw.device_ptr_mut(s));
        let (pws, _d) = ws.device_ptr_mut(s);
        let (one, zero) = (1f32, 0f32);
        // SAFETY: as in `forward`.
        unsafe {
            dnn::convolution_backward_filter(
                h.0,
                (&one as *const f32).cast(),
                d.x,
                px as *const _,
                d.y,
                pdy as *const _,
                d.conv,
                algo,
                pws as *mut _,
                WORKSPACE_BYTES,
                (&zero as *const f32).cast(),
                d.w,
                pdw as *mut _,
            )
        }
        .map_err(|e| dnn_err("convolution backward filter", e))
    }
}

fn no_algo(dir: &str, g: &ConvGeom) -> Error {
    Error::Unsupported(format!(
        "cuDNN offers no deterministic {dir} algorithm within {} MiB of workspace for {g:?}",
        WORKSPACE_BYTES >> 20
    ))
}

fn key(g: &ConvGeom) -> [u64; 16] {
    [
        g.n, g.cin, g.h, g.w, g.cout, g.oh, g.ow, g.kh, g.kw, g.sy, g.sx, g.py, g.px, g.dy, g.dx,
        g.groups,
    ]
}
