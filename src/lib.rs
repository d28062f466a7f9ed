//! csnas: contrastive self-supervised neural architecture search, built as a
//! deterministic reproducibility engine.
//!
//! # Crate map
//! - [`rng`]: derived ChaCha streams, the one source of randomness.
//! - [`real`]: the scalar trait ops are generic over (`f32`, `f64`), with `libm`.
//! - [`parallel`]: thread-count control.
//! - [`ops`]: CPU reference ops, forward and backward, one folder per op.
//! - [`genotype`]: DARTS genotypes, text form, built-ins, canonical hash.
//! - [`model`]: genotype → network (cells, heads, init), state-dict names,
//!   parameter counts, safetensors checkpoints.
//! - [`data`]: data sources (`digits`, `cifar10:PATH`, `folder:PATH`), digests,
//!   seeded augmentations and batches.
//! - [`train`]: losses (NT-Xent, PIRL NCE, cross-entropy), SGD, schedules.
//! - [`search`]: search-space encodings, TPE and random search.
//! - [`ledger`]: the content-addressed, hash-chained trial log.
//! - [`limits`]: documented upper bounds on every size a user or file can set.
//! - [`plot`]: SVG figures of a search log (history, objective per op).
//! - [`study`]: rank studies of label-free objectives against labels.
//! - [`backend`]: the seam every device plugs into (tensor types, grouped op
//!   traits, `docs/backend.md`), the CPU reference backend, device choice
//!   (`cpu`, `cuda[:N]`), the CUDA backend and its kernels.
//! - [`verify`]: per-op comparison of two backends with stated tolerances.
//! - [`bench`]: timing of the search network's training step (`csnas bench`).
//! - [`cli`]: the command line, a thin layer over the library.
//!
//! # The determinism contract (DESIGN 3.1)
//! 1. The same binary, config, seed and data give bit-identical results —
//!    every tensor, loss and hash — at any thread count. Parallel work is split
//!    over independent outputs only; every reduction has one fixed order.
//! 2. Each op documents its accumulation order, so a GPU kernel can reproduce it.
//! 3. Every random draw comes from a stream derived from the master seed and a
//!    purpose/index path ([`rng::StreamPath`]); opening a new stream shifts no
//!    other stream's draws.
//! 4. Elementary functions come from the pinned `libm`; fused multiply-adds are
//!    written as `mul_add`.
//! 5. Non-deterministic facts (time, host, versions) are never hashed.

pub mod backend;
pub mod bench;
pub mod check;
pub mod cli;
pub mod data;
pub mod error;
pub mod genotype;
pub mod ledger;
pub mod limits;
pub mod model;
pub mod ops;
pub mod parallel;
pub mod plot;
pub mod real;
pub mod rng;
pub mod search;
pub mod study;
pub mod train;
pub mod verify;

pub use error::{Error, Result};
pub use genotype::{Cell, Genotype, Op};
pub use real::Real;
