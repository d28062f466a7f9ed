//! Row-wise helpers the contrastive losses share: dot products, L2
//! normalisation with PyTorch's clamp, and its backward.
//!
//! Why a module of its own: NT-Xent and the PIRL NCE both compare rows by
//! cosine similarity, and both must round the same way for a GPU kernel to
//! reproduce them; one definition keeps them identical.

mod cpu;

pub(crate) use cpu::*;
