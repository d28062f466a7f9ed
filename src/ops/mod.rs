//! CPU reference ops, forward and backward, on ndarray (NCHW, standard layout).
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
pub mod concat;
pub mod conv2d;
pub mod crop;
pub mod drop_path;
pub mod gemm;
pub mod global_avg_pool;
pub mod linear;
pub mod pool;
pub mod profile;
pub mod relu;
pub(crate) mod transpose;
pub mod zero;

#[cfg(test)]
pub(crate) mod testing;
