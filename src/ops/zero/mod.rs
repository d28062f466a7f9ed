//! DARTS `none`: zeros shaped like the strided input.
//!
//! Why: the `none` candidate operation contributes nothing to a node but must
//! still have the shape of its siblings (halved on reduction edges). Its
//! backward is zero, so the model need not call anything.

mod cpu;

pub use cpu::*;
