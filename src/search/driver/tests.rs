use super::*;
use crate::check::audit;
use crate::ledger::TrialRecord;
use crate::search::runner::fake::FakeRunner;
use crate::search::runner::tests::{TempDir, small_config};
use crate::search::runner::{Silent, run_search};
use crate::search::trial::run_spec;

fn fake() -> FakeRunner {
    FakeRunner::new(2)
}

/// K = 4, 12 trials (3 start-up), as the tests ask.
fn batch_config(seed: u64) -> SearchConfig {
    let mut c = small_config(seed);
    c.batch = 4;
    c.trials = 12;
    c
}

/// Runs each batch's trials in this process, but hands the results back in
/// reverse order, as workers that finish late-first would.
struct Reversed;

impl Executor for Reversed {
    fn run_batch(
        &self,
        specs: &[TrialSpec],
        _observer: &dyn SearchObserver,
        done: &mut dyn FnMut(TrialResult) -> Result<()>,
    ) -> Result<()> {
        let results: Vec<TrialResult> = (specs.iter())
            .map(|s| run_spec(s, &fake(), &mut |_, _, _, _| {}))
            .collect::<Result<_>>()?;
        for r in results.into_iter().rev() {
            done(r)?;
        }
        Ok(())
    }
}

#[test]
fn the_head_does_not_depend_on_the_order_results_arrive_in() {
    let (a, b) = (TempDir::new("order-a"), TempDir::new("order-b"));
    let config = batch_config(1);
    let inline = run_search(&a.0, &config, &fake(), &Silent).unwrap();
    let reversed = run_search_on(&b.0, &config, &Reversed, &Silent).unwrap();
    assert_eq!(inline.head, reversed.head);
    assert_eq!(inline.trials.len(), 12);
    let mut sequential = config.clone();
    sequential.batch = 1;
    let c = TempDir::new("order-c");
    let k1 = run_search(&c.0, &sequential, &fake(), &Silent).unwrap();
    assert_ne!(k1.head, inline.head, "K is part of the search's identity");
}

#[test]
fn k_1_writes_no_batch_key_and_k_4_records_it() {
    let keys = |c: &SearchConfig| -> Vec<String> {
        (c.to_record().hyper_parameters.into_iter())
            .map(|(k, _)| k)
            .collect()
    };
    assert!(!keys(&small_config(1)).contains(&"batch".to_owned()));
    let record = batch_config(1).to_record();
    assert!(
        record
            .hyper_parameters
            .contains(&("batch".into(), "4".into()))
    );
    assert_eq!(SearchConfig::from_record(&record).unwrap().batch, 4);
}

#[test]
fn a_batch_search_stopped_inside_a_batch_resumes_to_the_same_head() {
    let whole = TempDir::new("batch-whole");
    let expected = run_search(&whole.0, &batch_config(2), &fake(), &Silent).unwrap();
    for k in [1, 5, 6, 11] {
        let dir = TempDir::new("batch-resumed");
        let crashing = FakeRunner {
            fail_at: Some(k),
            ..fake()
        };
        let e = run_search(&dir.0, &batch_config(2), &crashing, &Silent).unwrap_err();
        assert!(e.to_string().contains("fake crash"), "{e}");
        let resumed = run_search(&dir.0, &batch_config(2), &fake(), &Silent).unwrap();
        assert_eq!(resumed.head, expected.head, "stopped at trial {k}");
    }
}

#[test]
fn a_larger_trials_grows_a_finished_log_with_the_longer_runs_trials() {
    for batch in [1, 4] {
        let mut short = batch_config(3);
        short.batch = batch;
        short.trials = 6;
        let mut long = short.clone();
        long.trials = 10;
        let (grown, fresh) = (TempDir::new("grown"), TempDir::new("fresh"));
        let first = run_search(&grown.0, &short, &fake(), &Silent).unwrap();
        let g = run_search(&grown.0, &long, &fake(), &Silent).unwrap();
        let f = run_search(&fresh.0, &long, &fake(), &Silent).unwrap();
        assert_eq!(g.trials.len(), 10);
        assert_eq!(
            g.trials[..6],
            first.trials[..],
            "the short run's records stay"
        );
        // Every trial's content is the longer run's; only the parents differ
        // (the config record keeps the `trials` the log started with).
        for (a, b) in g.trials.iter().zip(&f.trials) {
            assert_eq!(
                TrialRecord {
                    parent: b.1.parent,
                    ..a.1.clone()
                },
                b.1,
                "batch {batch}, trial {}",
                a.1.index
            );
        }
        audit::audit(&grown.0, 0, None, &mut |_| {}).unwrap();
        // Running the shorter count again changes nothing.
        let again = run_search(&grown.0, &short, &fake(), &Silent).unwrap();
        assert_eq!(again.head, g.head);
    }
}

#[test]
fn any_difference_but_trials_is_refused_with_the_list_of_differences() {
    let dir = TempDir::new("refused");
    run_search(&dir.0, &batch_config(4), &fake(), &Silent).unwrap();
    let mut other = batch_config(4);
    other.trials = 20;
    other.batch = 2;
    other.spec.batch_size = 32;
    let e = run_search(&dir.0, &other, &fake(), &Silent).unwrap_err();
    let e = e.to_string();
    assert!(e.contains("batch: log has 4, this run has 2"), "{e}");
    assert!(e.contains("batch_size: log has 64, this run has 32"), "{e}");
    assert!(!e.contains("trials:"), "{e}");
}

#[test]
fn audit_passes_a_batch_log_and_names_an_altered_batch_proposal() {
    let src = TempDir::new("batch-audit-src");
    let config = batch_config(5);
    let summary = run_search(&src.0, &config, &fake(), &Silent).unwrap();
    let report = audit::audit(&src.0, 0, None, &mut |_| {}).unwrap();
    assert!(
        report.lines.iter().any(|l| l.contains("proposals: all 12")),
        "{:?}",
        report.lines
    );
    // Trial 6 (the third of batch 4..8, a TPE proposal) takes another valid
    // choice vector; the chain is re-hashed, so only the proposal is wrong.
    let victim = 6;
    let dst = TempDir::new("batch-audit-dst");
    let mut out = Ledger::create(&dst.0, &config.to_record()).unwrap();
    for (_, mut t) in summary.trials {
        if t.index == victim {
            let mut choices: Vec<usize> = t.choices.iter().map(|&c| c as usize).collect();
            let cards = config.space.cardinalities();
            choices[1] = (choices[1] + 1) % cards[1];
            let g = config.space.decode(&choices).unwrap();
            t.choices = choices.iter().map(|&c| c as u64).collect();
            t.genotype = g.to_darts_string();
            t.genotype_hash = g.hash();
        }
        t.parent = out.head();
        out.append(&t).unwrap();
    }
    drop(out);
    let e = audit::audit(&dst.0, 0, None, &mut |_| {}).unwrap_err();
    let trials = read_log(&Ledger::open_read_only(&dst.0).unwrap())
        .unwrap()
        .2;
    let named = format!("record {} (trial {victim}): proposal", trials[6].0.to_hex());
    assert!(e.to_string().contains(&named), "{e}");
}

#[test]
fn a_result_that_does_not_answer_its_spec_is_refused() {
    struct Wrong;
    impl Executor for Wrong {
        fn run_batch(
            &self,
            specs: &[TrialSpec],
            _o: &dyn SearchObserver,
            done: &mut dyn FnMut(TrialResult) -> Result<()>,
        ) -> Result<()> {
            let mut r = run_spec(&specs[0], &fake(), &mut |_, _, _, _| {})?;
            r.trial.choices[0] ^= 1;
            done(r)
        }
    }
    let dir = TempDir::new("wrong");
    let e = run_search_on(&dir.0, &batch_config(6), &Wrong, &Silent).unwrap_err();
    assert!(e.to_string().contains("does not answer its spec"), "{e}");
}
