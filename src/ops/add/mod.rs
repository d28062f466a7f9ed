//! Elementwise addition: a cell node's `op1(h1) + op2(h2)` and every
//! gradient accumulation (`grad += g`, a state's gradient from several
//! readers).
//!
//! Why an op of its own: it was once written inline in the cell and the
//! layers; as an op it goes through the backend like every other, so a GPU
//! kernel (`kernels/add.cu`) can be checked against it.
//!
//! Order: one IEEE addition per element, `a + b` (or `acc + g`); no
//! accumulation across elements, so nothing else to state.

mod cpu;

pub use cpu::*;
