//! The search: its space of architectures, the proposers that walk it, and
//! the loop that trains and records each proposal.
//!
//! Why a module of its own: a proposal must be a pure function of (seed, trial
//! index, earlier (choices, objective) pairs), with no training involved, so
//! that `audit` can re-derive every proposal in a log quickly (DESIGN 3.2).
//!
//! - [`space`]: the encodings of DARTS cells as categorical variables.
//! - [`tpe`]: the Tree-structured Parzen Estimator (hyperopt's semantics,
//!   Optuna's split, kernels and multivariate mode, presets) and the
//!   random-search baseline.
//! - [`config`]: a search's settings, presets, and their config record.
//! - [`runner`]: the trial runner interface and the resumable search loop.
//! - [`batch`]: batch-synchronous proposals (K at once, constant liar).
//! - [`trial`]: a trial as a spec file in, a result file out (`csnas trial run`).
//! - [`driver`]: proposes batches, runs them on an [`executor`], merges the
//!   results in trial order; resumes and grows a search.
//! - [`executor`]: in this process, local worker processes, Slurm job arrays.
//! - [`open`]: a config's data kind, a log's data and runner on a backend.
//! - [`synthetic`]: synthetic objectives and a runner for any proposer (the
//!   TPE benchmark, `benches/tpe/`).

pub mod batch;
pub mod config;
pub mod driver;
pub mod executor;
pub mod open;
pub mod runner;
pub mod space;
pub mod synthetic;
pub mod tpe;
pub mod trial;

pub use config::{SearchConfig, Strategy};
pub use runner::{ContrastiveRunner, SearchObserver, TrialRunner, run_search};
pub use space::{Encoding, SearchSpace};
pub use tpe::{TpeSettings, propose, propose_random};
