//! Channel concatenation and its backward (a split).
//!
//! Why: a DARTS cell's output concatenates its intermediate nodes along the
//! channel axis. Pure copies, no arithmetic.

mod cpu;

pub use cpu::*;
