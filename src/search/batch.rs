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
    assert!(
        recorded.len() >= t,
        "proposal {t} needs {t} recorded trials"
    );
    let start = batch_start(t, config.batch);
    if start == t {
        return sequential_proposal(config, &recorded[..t], t);
    }
    let lie = constant_liar(&recorded[..start]);
    let mut history = recorded[..start].to_vec();
    history.extend(recorded[start..t].iter().map(|(c, _)| (c.clone(), lie)));
    sequential_proposal(config, &history, t)
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
    let start = batch_start(from, config.batch);
    assert!(
        to <= start + config.batch.max(1),
        "{from}..{to} spans two batches"
    );
    let lie = constant_liar(&recorded[..start]);
    let mut history = recorded[..from].to_vec();
    let mut out = Vec::with_capacity(to - from);
    for t in from..to {
        let choices = proposal(config, &history, t);
        history.push((choices.clone(), lie));
        out.push(choices);
    }
    out
}

/// The proposal for `t` from `history` (every entry counts as observed).
fn sequential_proposal(
    config: &SearchConfig,
    history: &[(Vec<usize>, f64)],
    t: usize,
) -> Vec<usize> {
    match &config.strategy {
        Strategy::Random => propose_random(&config.space, t, config.seed),
        Strategy::Tpe(s) => propose(&config.space, history, t, config.seed, s),
    }
}

#[cfg(test)]
mod tests;
