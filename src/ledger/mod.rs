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
//! - checking a log (audit, replay) lives above both this module and the
//!   search, in [`crate::check`].
//! - [`sign`]: an author's ed25519 signature over the head and trial count.
//! - [`facts`]: the unhashed facts beside each record; trials' wall times.

pub mod facts;
pub mod record;
pub mod sign;
pub mod store;

pub use record::{ConfigRecord, Exact, Hash, Record, SCHEMA_VERSION, TrialRecord, TrialStatus};
pub use store::{ChainSummary, Ledger};
