//! stub
pub struct ChainSummary;
pub struct Ledger;
