use super::*;
use crate::search::runner::fake::FakeRunner;
use crate::search::runner::tests::{TempDir, small_config};
use crate::search::tpe::propose_random;

fn spec(t: usize) -> TrialSpec {
    let config = small_config(3);
    let choices = propose_random(&config.space, t, 3);
    TrialSpec::new(&config, &config.to_record(), t, &choices).unwrap()
}

#[test]
fn spec_and_result_files_round_trip_and_refuse_other_bytes() {
    let s = spec(2);
    assert_eq!(TrialSpec::from_bytes(&s.to_bytes()).unwrap(), s);
    let r = run_spec(&s, &FakeRunner::new(2), &mut |_, _, _, _| {}).unwrap();
    assert_eq!(TrialResult::from_bytes(&r.to_bytes()).unwrap(), r);
    assert_eq!(r.spec, s.hash());
    assert_eq!(r.trial.parent, Hash::from_bytes([0; 32]));
    assert!(r.facts.iter().any(|(k, _)| k == "wall_seconds"));
    let e = TrialResult::from_bytes(&s.to_bytes()).unwrap_err();
    assert!(e.to_string().contains("csnas/trial-result"), "{e}");
    let mut trailing = s.to_bytes();
    trailing.push(0);
    assert!(TrialSpec::from_bytes(&trailing).is_err());
}

#[test]
fn a_result_is_the_record_the_in_process_search_writes() {
    let config = small_config(3);
    let s = spec(1);
    let r = run_spec(&s, &FakeRunner::new(2), &mut |_, _, _, _| {}).unwrap();
    let choices: Vec<usize> = s.choices.iter().map(|&c| c as usize).collect();
    let genotype = config.space.decode(&choices).unwrap();
    let outcome = FakeRunner::new(2)
        .run(1, &genotype, &trial_root(3, 1), &mut |_, _, _, _| {})
        .unwrap();
    let parent = blake3::hash(b"parent");
    let direct = trial_record(&config, 1, parent, &choices, &genotype, &outcome);
    assert_eq!(r.into_record(parent), direct);
}

#[test]
fn a_spec_whose_genotype_or_streams_do_not_follow_is_refused() {
    let mut s = spec(1);
    s.genotype = spec(2).genotype;
    assert!(s.check().unwrap_err().to_string().contains("genotype"));
    let mut s = spec(1);
    s.streams = spec(2).streams;
    assert!(s.check().unwrap_err().to_string().contains("streams"));
}

#[test]
fn a_spec_file_runs_once_and_a_second_run_finds_its_result() {
    let dir = TempDir::new("spec-file");
    std::fs::create_dir_all(&dir.0).unwrap();
    let (spec_path, out) = (dir.0.join("t.spec"), dir.0.join("t.result"));
    write_file(&spec_path, &spec(4).to_bytes()).unwrap();
    let make =
        |_: &SearchConfig| -> Result<Box<dyn TrialRunner>> { Ok(Box::new(FakeRunner::new(2))) };
    let first = run_spec_file(&spec_path, &out, &make, &mut |_, _, _, _| {}).unwrap();
    let second = run_spec_file(&spec_path, &out, &make, &mut |_, _, _, _| {}).unwrap();
    assert_eq!((first, second), (SpecRun::Ran, SpecRun::AlreadyDone));
    let runs = std::fs::read_to_string(suffixed(&out, ".runs")).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
    assert_eq!(read_result(&out).unwrap().unwrap().spec, spec(4).hash());
    // A result left by another spec is not taken for this one's.
    write_file(&spec_path, &spec(5).to_bytes()).unwrap();
    let third = run_spec_file(&spec_path, &out, &make, &mut |_, _, _, _| {}).unwrap();
    assert_eq!(third, SpecRun::Ran);
}
