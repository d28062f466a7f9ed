//! The search log: content-addressed, hash-chained records (DESIGN 3.2).
//!
//! Why: a search must be auditable by someone who does not trust its author,
//! and resumable after a crash to the same final head. Each record is stored
//! under the blake3 hash of its canonical bytes and names its parent, so one
//! hash (the head) pins the whole history; writes are atomic, so a crash
//! leaves either the old log or the new one.
//!
//! - [`record`]: the record types and their canonical CBOR bytes.
//! - [`store`]: the on-disk log (records, HEAD, LOCK, meta) and chain checks.
//! - [`replay`]: recompute every trial and name the first difference.
//! - [`audit`]: check hashes, links, genotypes and proposals; retrain a few.
//! - [`audit_pick`]: which trials `audit --retrain` picks (head and nonce),
//!   and the chance that a forged log passes.
//! - [`facts`]: the unhashed facts beside each record; trials' wall times.

pub mod audit;
pub mod audit_pick;
pub mod facts;
pub mod record;
pub mod replay;
pub mod store;

pub use audit::{AuditOptions, AuditReport, audit, audit_with};
pub use record::{ConfigRecord, Exact, Hash, Record, SCHEMA_VERSION, TrialRecord, TrialStatus};
pub use replay::{ReplayReport, read_config, replay};
pub use store::{ChainSummary, Ledger};

#[cfg(test)]
mod audit_tests;
