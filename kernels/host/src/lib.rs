//! csnas's CUDA kernels (`kernels/*.cu`) compiled for the host, so `cargo
//! test` checks their arithmetic against the CPU reference on every commit,
//! without a GPU (DESIGN §5: "its kernels proven on the host in CI before any
//! GPU runs them").
//!
//! Test-only: csnas depends on this crate as a dev-dependency, so the default
//! build stays pure Rust. `build.rs` compiles each `.cu` with g++ against
//! `cuda_host.h` (CUDA's thread indices, `__shared__` and `__syncthreads()`
//! mapped onto C++; see that file for what the emulation can and cannot
//! show). [`launch`] runs a grid: blocks one after another, the threads of a
//! block as coroutines with a real barrier.
//!
//! Usage, from a test:
//! ```ignore
//! if !csnas_kernel_host::available() { return; }
//! csnas_kernel_host::launch(4, 64, || unsafe {
//!     csnas_kernel_host::relu_forward_f32(x.as_ptr(), y.as_mut_ptr(), n)
//! });
//! ```

mod kernels;

pub use kernels::*;

/// A grid or block extent (CUDA's `dim3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dim3 {
    pub x: u32,
    pub y: u32,
    pub z: u32,
}

impl From<u32> for Dim3 {
    fn from(x: u32) -> Self {
        Dim3 { x, y: 1, z: 1 }
    }
}

impl From<(u32, u32)> for Dim3 {
    fn from((x, y): (u32, u32)) -> Self {
        Dim3 { x, y, z: 1 }
    }
}

impl From<(u32, u32, u32)> for Dim3 {
    fn from((x, y, z): (u32, u32, u32)) -> Self {
        Dim3 { x, y, z }
    }
}

/// Whether the kernels were compiled for this host. When not (no C++
/// compiler), prints why to stderr, so a test that returns early says so.
/// Panics instead when `CSNAS_REQUIRE_HOST_KERNELS=1` (CI must run them).
pub fn available() -> bool {
    if cfg!(csnas_no_host_kernels) {
        assert!(
            std::env::var("CSNAS_REQUIRE_HOST_KERNELS").map_or(true, |v| v != "1"),
            "CSNAS_REQUIRE_HOST_KERNELS=1 but csnas_kernel_host was built without a C++ compiler"
        );
        eprintln!(
            "skipped: kernels/*.cu were not compiled for the host (no g++ when \
             csnas_kernel_host was built); install g++ and rebuild to run this test"
        );
        false
    } else {
        true
    }
}

#[cfg(not(csnas_no_host_kernels))]
unsafe extern "C" {
    fn csnas_host_launch(
        grid: *const u32,
        block: *const u32,
        body: extern "C" fn(*mut std::ffi::c_void),
        ctx: *mut std::ffi::c_void,
    ) -> i32;
}

extern "C" fn trampoline<F: Fn()>(ctx: *mut std::ffi::c_void) {
    // SAFETY: ctx is the &F that `launch` passed, alive for the whole launch.
    let f = unsafe { &*(ctx as *const F) };
    f();
}

/// Runs `body` once per GPU thread of a `grid × block` launch; `body` calls
/// one kernel entry point (which reads the emulated `threadIdx` etc.).
/// Blocks run one after another on the calling thread.
///
/// Panics when the block is empty or over 1024 threads, when the threads of a
/// block disagree on a `__syncthreads()`, or when the kernels were not built
/// (check [`available`] first).
pub fn launch<F: Fn()>(grid: impl Into<Dim3>, block: impl Into<Dim3>, body: F) {
    let (g, b) = (grid.into(), block.into());
    let grid = [g.x, g.y, g.z];
    let block = [b.x, b.y, b.z];
    #[cfg(not(csnas_no_host_kernels))]
    {
        // SAFETY: grid/block point to 3 u32 each; ctx is a live &F and the
        // trampoline is instantiated for that F.
        let rc = unsafe {
            csnas_host_launch(
                grid.as_ptr(),
                block.as_ptr(),
                trampoline::<F>,
                &body as *const F as *mut std::ffi::c_void,
            )
        };
        match rc {
            0 => {}
            1 => panic!("launch {grid:?}x{block:?}: threads disagree on __syncthreads()"),
            _ => panic!("launch {grid:?}x{block:?}: a block must have 1..=1024 threads"),
        }
    }
    #[cfg(csnas_no_host_kernels)]
    {
        let _ = (grid, block, &body, trampoline::<F> as extern "C" fn(_));
        panic!("csnas_kernel_host: kernels not compiled for this host (no g++)");
    }
}
