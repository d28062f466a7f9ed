//! Batch-synchronous proposals: K trials proposed at once, from the log as it
//! stood at the batch's start, so they can train side by side.
//!
//! Why this way: a proposal that depends on which trial finished first (Ray
//! Tune, hyperopt's asynchronous trials) cannot be replayed. Here trial `t`
//! belongs to batch `⌊t / K⌋`, which starts at `s = K·⌊t / K⌋`; its proposal
//! is a pure function of the recorded trials `0..s` and of the proposals of
//! the trials `s..t` before it in the same batch. Those pending trials enter
//! the proposer's history with the **constant liar** objective (Optuna's and
//! NNI's device): the worst (largest) finite objective among trials `0..s`,
//! or `+inf` when none is finite — so TPE counts a pending trial as bad and
//! does not propose K copies of one point. The lie is never recorded: each
//! trial's record holds its real objective, and the next batch sees only
//! real objectives.
//!
//! The log and its head therefore do not depend on the number of workers or
//! on the order trials finish in (results enter the log in trial order), and
//! `audit` re-derives each proposal from the recorded history with
//! [`proposal`]. With K = 1 no trial is ever pending and this is exactly
//! the sequential search (the golden log's proposals). Trial counts that are
//! not multiples of K are fine: a search's last batch is shorter, and a grown
//! search continues that batch with the same proposals a longer run makes.

use super::config::{SearchConfig, Strategy};
use super::space::SearchSpace;
use super::tpe::{propose, propose_random};

/// The first trial of `t`'s batch of `k`.
pub fn batch_start(t: usize, k: usize) -> usize {
    t - t % k.max(1)
}

/// The objective pending trials are counted with: the worst finite objective
/// among `observed`, `+inf` if none is finite (or `observed` is empty).
pub fn constant_liar(observed: &[(Vec<usize>, f64)]) -> f64 {
    let finite = observed.iter().map(|h| h.1).filter(|o| o.is_finite());
    finite
        .fold(None, |w: Option<f64>, o| Some(w.map_or(o, |w| w.max(o))))
        .unwrap_or(f64::INFINITY)
}

/// The choices proposed for trial `t`, given the recorded trials' (choices,
/// objective) pairs (at least `t` of them; entries from `t` on are ignored).
/// Pure; batch-aware as the module doc says.
pub fn proposal(config: &SearchConfig, recorded: &[(Vec<usize>, f64)], t: usize) -> Vec<usize> {
    proposal_with(config.batch, recorded, t, &|h, t| {
        sequential_proposal(&config.space, &config.strategy, config.seed, h, t)
    })
}

/// Proposals for trials `from..to`, all in the batch of `from`, given the
/// `from` recorded trials before them (`recorded.len() >= from`) — what a
/// driver hands to its workers.
pub fn batch_proposals(
    config: &SearchConfig,
    recorded: &[(Vec<usize>, f64)],
    from: usize,
    to: usize,
) -> Vec<Vec<usize>> {
    batch_proposals_with(config.batch, recorded, from, to, &|h, t| {
        sequential_proposal(&config.space, &config.strategy, config.seed, h, t)
    })
}

/// A proposer that counts every history entry as observed: `(history, t)`
/// → trial `t`'s choices.
pub type Sequential<'a> = &'a dyn Fn(&[(Vec<usize>, f64)], usize) -> Vec<usize>;

/// [`proposal`] for batches of `k` over any sequential proposer.
pub fn proposal_with(
    k: usize,
    recorded: &[(Vec<usize>, f64)],
    t: usize,
    sequential: Sequential<'_>,
) -> Vec<usize> {
    proposal_in_batch(batch_start(t, k), recorded, t, sequential)
}

/// Trial `t`'s proposal in the batch that starts at trial `start`: trials
/// `0..start` observed, `start..t` pending (counted with the liar).
pub fn proposal_in_batch(
    start: usize,
    recorded: &[(Vec<usize>, f64)],
    t: usize,
    sequential: Sequential<'_>,
) -> Vec<usize> {
    assert!(
        recorded.len() >= t,
        "proposal {t} needs {t} recorded trials"
    );
    if start == t {
        return sequential(&recorded[..t], t);
    }
    let lie = constant_liar(&recorded[..start]);
    let mut history = recorded[..start].to_vec();
    history.extend(recorded[start..t].iter().map(|(c, _)| (c.clone(), lie)));
    sequential(&history, t)
}

/// [`batch_proposals`] for batches of `k` over any sequential proposer.
pub fn batch_proposals_with(
    k: usize,
    recorded: &[(Vec<usize>, f64)],
    from: usize,
    to: usize,
    sequential: Sequential<'_>,
) -> Vec<Vec<usize>> {
    let start = batch_start(from, k);
    assert!(to <= start + k.max(1), "{from}..{to} spans two batches");
    proposals_in_batch(start, recorded, from, to, sequential)
}

/// Proposals for trials `from..to` of the batch that starts at `start`
/// (`start <= from`), given the `from` recorded trials before them.
pub fn proposals_in_batch(
    start: usize,
    recorded: &[(Vec<usize>, f64)],
    from: usize,
    to: usize,
    sequential: Sequential<'_>,
) -> Vec<Vec<usize>> {
    let mut history = recorded[..from].to_vec();
    let mut out = Vec::with_capacity(to - from);
    for t in from..to {
        let choices = proposal_in_batch(start, &history, t, sequential);
        // The objective is never read: trials of the batch count as the lie.
        history.push((choices.clone(), f64::NAN));
        out.push(choices);
    }
    out
}

/// The proposal of `strategy` for `t` from `history` (every entry counts as
/// observed): the sequential search.
pub fn sequential_proposal(
    space: &SearchSpace,
    strategy: &Strategy,
    seed: u64,
    history: &[(Vec<usize>, f64)],
    t: usize,
) -> Vec<usize> {
    match strategy {
        Strategy::Random => propose_random(space, t, seed),
        Strategy::Tpe(s) => propose(space, history, t, seed, s),
    }
}

#[cfg(test)]
mod tests;
