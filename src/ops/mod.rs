//! The ops, forward and backward: each folder `ops/<op>/` holds the op's
//! parameters and its documented accumulation order (`mod.rs`) and the CPU
//! reference on ndarray, NCHW standard layout (`cpu.rs`, re-exported by
//! `mod.rs`, so `ops::conv2d::conv2d_forward` is the CPU reference) and the
//! CUDA side (`cuda.rs`: `KERNEL`, its `kernels/<op>.cu`, in every build, and
//! the launches, the one part behind the `cuda` feature). The losses
//! (`nt_xent`, `pirl_nce`, `cross_entropy`) and the optimiser update (`sgd`,
//! `clip_grad_norm`) are ops too. The backends reach them through
//! `backend/{cpu,cuda}/ops.rs`; docs/backend.md has the map.
//!
//! Why one folder per op: each op's parameters, accumulation order, reference
//! kernel and (with the `cuda` feature) GPU kernel sit side by side, so the
//! order a GPU kernel must reproduce is written next to the code it mirrors
//! (DESIGN 3.1.2). Every op documents how it accumulates.
//!
//! Rules every op keeps (DESIGN 3.1.1):
//! - parallelism (rayon) only over independent outputs; every reduction runs
//!   in one documented order, whatever the thread count;
//! - no `ndarray::dot`, `sum` or `mean` (their order is not ours to state);
//!   products go through [`gemm`];
//! - fused multiply-adds are written as `mul_add` and documented as such.

pub mod add;
pub mod batch_norm;
pub mod clip_grad_norm;
pub mod concat;
pub mod conv2d;
pub mod crop;
pub mod cross_entropy;
pub mod drop_path;
pub mod gemm;
pub mod global_avg_pool;
pub mod linear;
pub mod nt_xent;
pub mod pirl_nce;
pub mod pool;
pub mod profile;
pub mod recycle;
pub mod relu;
pub(crate) mod rows;
pub mod sgd;
pub mod simd;
pub(crate) mod transpose;
pub mod zero;

#[cfg(test)]
pub(crate) mod testing;
