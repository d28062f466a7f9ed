//! Synthetic categorical objectives with pairwise interactions, and a
//! benchmark runner that takes any proposer: the Rust side of the TPE
//! benchmark (`benches/tpe/`, `cargo bench --bench tpe`).
//!
//! Why synthetic: a real trial costs minutes, so comparing proposers over
//! 30 seeds × many instances × 100 trials needs an objective that costs
//! nothing, yet is shaped like the search's: 28 or 40 categorical variables
//! of 8 choices (the `csnas` encoding at 4 or 5 nodes), with pairwise
//! interactions that make the best choice of one variable depend on others.
//! The instances are read from the committed JSON file that the Python
//! reference (hyperopt, Optuna) reads too, and their coefficients are
//! integers, so both sides compute the very same objective values.
//!
//! Why a [`Proposer`] trait with a batch size: [`run`] hands each proposer
//! whole batches, and [`StrategyProposer`] proposes them exactly as a search
//! with `batch = K` does ([`super::batch`]: K proposals from the history at
//! the batch's start, pending ones counted by the constant liar), so the
//! benchmark measures what batches cost in quality.

use std::path::Path;

use serde::Deserialize;

use super::batch::{proposals_in_batch, sequential_proposal};
use super::config::Strategy;
use super::space::SearchSpace;
use crate::error::{Error, Result};
use crate::invalid;

/// One objective: `f(x) = Σ_v unary[v][x_v] + Σ_pairs table[x_u][x_v]`
/// (lower is better).
#[derive(Clone, Debug, Deserialize)]
pub struct Instance {
    pub name: String,
    /// `tune` (the improved preset was tuned on it) or `held-out`.
    pub role: String,
    pub cardinalities: Vec<usize>,
    pub unary: Vec<Vec<i64>>,
    pub pairs: Vec<Interaction>,
}

/// One pairwise term: `table[x_u][x_v]`.
#[derive(Clone, Debug, Deserialize)]
pub struct Interaction {
    pub u: usize,
    pub v: usize,
    pub table: Vec<Vec<i64>>,
}

#[derive(Deserialize)]
struct InstanceFile {
    instances: Vec<Instance>,
}

/// Reads and checks the instances of a benchmark file (`benches/tpe/instances.json`).
pub fn read_instances(path: &Path) -> Result<Vec<Instance>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let file: InstanceFile = serde_json::from_str(&text)
        .map_err(|e| invalid!("{}: not a benchmark instance file: {e}", path.display()))?;
    for inst in &file.instances {
        inst.check()
            .map_err(|e| invalid!("{}: instance {}: {e}", path.display(), inst.name))?;
    }
    Ok(file.instances)
}

impl Instance {
    fn check(&self) -> Result<()> {
        let cards = &self.cardinalities;
        let fits = |row: &[i64], c: usize| row.len() == c;
        if self.unary.len() != cards.len()
            || !(self.unary.iter().zip(cards)).all(|(r, &c)| fits(r, c))
        {
            return Err(invalid!("unary terms do not match the cardinalities"));
        }
        for p in &self.pairs {
            let ok = p.u < cards.len()
                && p.v < cards.len()
                && p.table.len() == cards[p.u]
                && p.table.iter().all(|r| fits(r, cards[p.v]));
            if !ok {
                return Err(invalid!("pair ({}, {}) does not fit", p.u, p.v));
            }
        }
        self.space().map(|_| ())
    }

    /// The `csnas` search space with these cardinalities (28 variables: 4
    /// nodes, 40: 5 nodes), so the proposers run on the search's own space.
    pub fn space(&self) -> Result<SearchSpace> {
        (1..=8)
            .map(SearchSpace::csnas)
            .find(|s| s.cardinalities() == self.cardinalities)
            .ok_or_else(|| {
                invalid!(
                    "no csnas search space has cardinalities {:?}",
                    self.cardinalities
                )
            })
    }

    /// The objective at `x`, summed exactly in integers.
    pub fn value(&self, x: &[usize]) -> f64 {
        let mut s: i64 = 0;
        for (v, &c) in x.iter().enumerate() {
            s += self.unary[v][c];
        }
        for p in &self.pairs {
            s += p.table[x[p.u]][x[p.v]];
        }
        s as f64
    }
}

/// Anything that proposes choice vectors from a history.
pub trait Proposer: Sync {
    /// The row label in the results, e.g. `csnas-hyperopt`.
    fn name(&self) -> &str;
    /// The choices of trials `first .. first + count`, from the `first`
    /// earlier trials in `history` alone (a batch: none of the `count`
    /// results is known yet).
    fn propose_batch(
        &self,
        space: &SearchSpace,
        history: &[(Vec<usize>, f64)],
        first: usize,
        count: usize,
        seed: u64,
    ) -> Result<Vec<Vec<usize>>>;
}

/// A search strategy as the search uses it ([`Strategy`]), one trial at a time.
pub struct StrategyProposer {
    pub name: String,
    pub strategy: Strategy,
}

impl Proposer for StrategyProposer {
    fn name(&self) -> &str {
        &self.name
    }

    fn propose_batch(
        &self,
        space: &SearchSpace,
        history: &[(Vec<usize>, f64)],
        first: usize,
        count: usize,
        seed: u64,
    ) -> Result<Vec<Vec<usize>>> {
        // Batch-synchronous, as the search proposes one batch of `count`
        // (the constant liar for pending trials); count 1 is sequential.
        let sequential = |h: &[(Vec<usize>, f64)], t: usize| {
            sequential_proposal(space, &self.strategy, seed, h, t)
        };
        Ok(proposals_in_batch(
            first,
            history,
            first,
            first + count,
            &sequential,
        ))
    }
}

/// Runs `proposer` on `instance` for `trials` trials in batches of `batch`
/// (the last batch may be shorter); returns each trial's objective, in trial
/// order.
pub fn run(
    instance: &Instance,
    proposer: &dyn Proposer,
    seed: u64,
    trials: usize,
    batch: usize,
) -> Result<Vec<f64>> {
    if batch == 0 {
        return Err(invalid!("batch size must be at least 1"));
    }
    let space = instance.space()?;
    let mut history: Vec<(Vec<usize>, f64)> = Vec::with_capacity(trials);
    while history.len() < trials {
        let first = history.len();
        let count = batch.min(trials - first);
        let xs = proposer.propose_batch(&space, &history, first, count, seed)?;
        if xs.len() != count {
            return Err(invalid!(
                "{} proposed {} choice vectors for a batch of {count}",
                proposer.name(),
                xs.len()
            ));
        }
        for x in xs {
            space.decode(&x)?;
            let y = instance.value(&x);
            history.push((x, y));
        }
    }
    Ok(history.into_iter().map(|h| h.1).collect())
}

/// The best (lowest) of the first `n` objectives.
pub fn best_after(values: &[f64], n: usize) -> f64 {
    values[..n.min(values.len())]
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests;
