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

#[test]
fn show_table_fits_80_columns_and_wide_adds_the_genotype() {
    let dir = TempDir::new("show-wide");
    let s = run_search(&dir.0, &small_config(24), &FakeRunner::new(2), &Silent).unwrap();
    let d = dir.0.to_str().unwrap();
    let text = show(&[d]).unwrap();
    let table: Vec<&str> = text.lines().skip(1).take(1 + s.trials.len()).collect();
    assert!(table[0].starts_with("index  record"), "{text}");
    for line in &table {
        assert!(line.chars().count() <= 80, "{} chars: {line}", line.len());
    }
    // Every trial was written by this process: all but the first have a wall time.
    let (_, t1) = &s.trials[1];
    assert!(
        table[2].contains(&t1.genotype_hash.to_hex()[..12]),
        "{text}"
    );
    assert!(
        table[2].contains('s') && !table[2].contains(" - "),
        "{text}"
    );
    let wide = show(&[d, "--wide"]).unwrap();
    assert!(wide.contains(&format!("  {}\n", t1.genotype)), "{wide}");
}

#[test]
fn show_csv_has_one_row_per_trial_with_the_running_best() {
    let dir = TempDir::new("show-csv");
    let s = run_search(&dir.0, &small_config(25), &FakeRunner::new(2), &Silent).unwrap();
    let text = show(&[dir.0.to_str().unwrap(), "--csv"]).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), super::table::CSV_COLUMNS.join(","));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), s.trials.len());
    let mut best = f64::INFINITY;
    for ((h, t), row) in s.trials.iter().zip(&rows) {
        assert!(
            row.starts_with(&format!("{},{},", t.index, h.to_hex())),
            "{row}"
        );
        // The genotype holds commas: quoted.
        assert!(row.contains(&format!("\"{}\"", t.genotype)), "{row}");
        if let Some(o) = t
            .objective
            .filter(|_| t.status == crate::ledger::TrialStatus::Ok)
        {
            best = best.min(o.to_f64());
        }
        let cell = row.split(',').nth(3).unwrap();
        assert_eq!(
            cell.parse::<f64>().ok(),
            best.is_finite().then_some(best),
            "{row}"
        );
    }
}
