//! The search: its space of architectures and the proposers that walk it.
//!
//! Why a module of its own: a proposal must be a pure function of (seed, trial
//! index, earlier (choices, objective) pairs), with no training involved, so
//! that `audit` can re-derive every proposal in a log quickly (DESIGN 3.2).
//! Training a proposed genotype lives elsewhere; this module only encodes,
//! decodes and proposes.
//!
//! - [`space`]: the encodings of DARTS cells as categorical variables.
//! - [`tpe`]: the Tree-structured Parzen Estimator (hyperopt's semantics) and
//!   the random-search baseline.

pub mod space;
pub mod tpe;

pub use space::{Encoding, SearchSpace};
pub use tpe::{TpeSettings, propose, propose_random};
