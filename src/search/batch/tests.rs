use super::*;
use crate::search::runner::tests::small_config;
use crate::search::tpe::propose;

/// A recorded history of `n` random proposals with objectives 1.0, 2.0, …
fn history(config: &SearchConfig, n: usize) -> Vec<(Vec<usize>, f64)> {
    (0..n)
        .map(|t| (propose_random(&config.space, t, 99), (t + 1) as f64))
        .collect()
}

#[test]
fn batch_start_rounds_down_to_a_multiple_of_k() {
    assert_eq!(
        (0..9).map(|t| batch_start(t, 4)).collect::<Vec<_>>(),
        [0, 0, 0, 0, 4, 4, 4, 4, 8]
    );
    assert_eq!(batch_start(7, 1), 7);
}

#[test]
fn the_liar_is_the_worst_finite_objective_or_inf() {
    let h = |o: &[f64]| o.iter().map(|&x| (vec![0], x)).collect::<Vec<_>>();
    assert_eq!(constant_liar(&h(&[0.5, 3.0, f64::INFINITY, 2.0])), 3.0);
    assert_eq!(constant_liar(&h(&[f64::INFINITY, f64::NAN])), f64::INFINITY);
    assert_eq!(constant_liar(&[]), f64::INFINITY);
}

#[test]
fn with_k_1_every_proposal_is_the_sequential_one() {
    let config = small_config(4);
    let Strategy::Tpe(s) = &config.strategy else {
        unreachable!()
    };
    let h = history(&config, 8);
    for t in 0..8 {
        let direct = propose(&config.space, &h[..t], t, config.seed, s);
        assert_eq!(proposal(&config, &h, t), direct, "trial {t}");
    }
}

#[test]
fn a_batch_ignores_the_objectives_of_its_own_trials_and_counts_them_as_the_lie() {
    let mut config = small_config(4);
    config.batch = 4;
    let Strategy::Tpe(s) = &config.strategy else {
        unreachable!()
    };
    let h = history(&config, 8);
    // Trial 6 is in batch 4..8: trials 4 and 5 are pending, counted as 4.0
    // (the worst of trials 0..4), whatever they scored.
    let mut lied = h[..6].to_vec();
    lied[4].1 = 4.0;
    lied[5].1 = 4.0;
    let expected = propose(&config.space, &lied, 6, config.seed, s);
    assert_eq!(proposal(&config, &h, 6), expected);
    let mut other = h.clone();
    other[4].1 = -50.0;
    other[5].1 = 1e9;
    assert_eq!(proposal(&config, &other, 6), expected);
    // The first trial of a batch sees every earlier objective.
    assert_eq!(
        proposal(&config, &h, 4),
        propose(&config.space, &h[..4], 4, config.seed, s)
    );
}

#[test]
fn batch_proposals_are_the_proposals_audit_rederives() {
    for k in [2, 3, 4] {
        let mut config = small_config(6);
        config.batch = k;
        let mut recorded = history(&config, 4);
        let mut t = 4;
        while t < 13 {
            let end = batch_start(t, k) + k;
            let batch = batch_proposals(&config, &recorded, t, end);
            for (i, c) in batch.into_iter().enumerate() {
                recorded.push((c, (20 - t - i) as f64));
            }
            t = end;
        }
        for t in 4..recorded.len() {
            assert_eq!(
                proposal(&config, &recorded, t),
                recorded[t].0,
                "k {k}, trial {t}"
            );
        }
        // Resuming in the middle of a batch proposes the same rest.
        let start = batch_start(9, k);
        let rest = batch_proposals(&config, &recorded[..9], 9, start + k);
        assert_eq!(rest[0], recorded[9].0, "k {k}");
    }
}

#[test]
fn the_benchmark_proposes_batches_as_the_search_does() {
    use crate::search::synthetic::{Proposer, StrategyProposer};
    let mut config = small_config(7);
    config.batch = 4;
    let proposer = StrategyProposer {
        name: "tpe".into(),
        strategy: config.strategy.clone(),
    };
    let h = history(&config, 8);
    let bench = proposer
        .propose_batch(&config.space, &h, 8, 4, config.seed)
        .unwrap();
    assert_eq!(bench, batch_proposals(&config, &h, 8, 12));
}
