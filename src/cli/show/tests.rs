use crate::cli::{Cli, run};
use crate::search::runner::fake::FakeRunner;
use crate::search::runner::tests::{TempDir, small_config};
use crate::search::runner::{Silent, run_search};
use clap::Parser;

fn show(args: &[&str]) -> crate::Result<String> {
    let cli = Cli::try_parse_from(["csnas", "show"].iter().chain(args)).unwrap();
    let mut out = Vec::new();
    run(cli, &mut out)?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn show_prints_one_row_per_trial_the_best_and_the_head() {
    let dir = TempDir::new("show-table");
    let s = run_search(&dir.0, &small_config(21), &FakeRunner::new(2), &Silent).unwrap();
    let text = show(&[dir.0.to_str().unwrap()]).unwrap();
    for (h, t) in &s.trials {
        let row = format!("{:>5}  {}", t.index, &h.to_hex()[..12]);
        assert!(text.contains(&row), "no row for trial {}:\n{text}", t.index);
    }
    let (bh, bt) = s.best().unwrap();
    assert!(text.contains(&format!(
        "best: trial {} (record {})",
        bt.index,
        &bh.to_hex()[..12]
    )));
    assert!(
        text.contains(&format!("head: {}", s.head.to_hex())),
        "{text}"
    );
}

#[test]
fn show_json_holds_every_trial_and_names_the_best() {
    let dir = TempDir::new("show-json");
    let s = run_search(&dir.0, &small_config(22), &FakeRunner::new(2), &Silent).unwrap();
    let text = show(&[dir.0.to_str().unwrap(), "--json"]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["head"], s.head.to_hex().as_str());
    assert_eq!(v["trials"].as_array().unwrap().len(), 8);
    assert_eq!(v["best"], s.best().unwrap().0.to_hex().as_str());
    assert_eq!(v["config"]["seed"], 22);
    let t3 = &v["trials"][3];
    let loss = s.trials[3].1.epoch_losses[1];
    assert_eq!(t3["epoch_losses"][1]["value"], loss.to_f64());
}

#[test]
fn show_one_record_by_hash_prefix_and_refuse_an_unknown_one() {
    let dir = TempDir::new("show-one");
    let s = run_search(&dir.0, &small_config(23), &FakeRunner::new(2), &Silent).unwrap();
    let (h, t) = &s.trials[2];
    let d = dir.0.to_str().unwrap();
    let text = show(&[d, &h.to_hex()[..10]]).unwrap();
    assert!(
        text.contains(&format!("genotype: {}", t.genotype)),
        "{text}"
    );
    let e = show(&[d, "zz"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
}
