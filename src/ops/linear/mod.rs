//! Fully connected layer `y = x·Wᵀ + b` (PyTorch `nn.Linear` layout): the
//! classifier of the evaluation network and the contrastive projection head.
//!
//! Every product goes through [`gemm`], so each dot product is a sequential
//! fused multiply-add chain over its inner index ascending, from `+0`.

mod cpu;

pub use cpu::*;
