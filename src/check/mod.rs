//! Checking a search log without trusting its author: `audit` (hashes,
//! links, every TPE proposal, retrained trials picked from the head and a
//! nonce, the author's signature) and `replay` (every trial recomputed).
//!
//! Why a module of its own: checking a log needs both the log format
//! ([`crate::ledger`]) and the search that wrote it ([`crate::search`]: its
//! proposals and trial runner), while the search writes through the ledger.
//! Kept inside `ledger`, the two modules depended on each other; here the
//! dependencies run one way: `check` → `search` → `ledger`.

pub mod audit;
pub mod audit_pick;
pub mod replay;

pub use audit::{AuditOptions, AuditReport, audit, audit_with};
pub use replay::{ReplayReport, replay};

#[cfg(test)]
mod audit_tests;
