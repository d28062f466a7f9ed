//! `csnas search`, `audit`, `replay` run as processes with the real trial
//! runner on the default preset with a quick trial (`tests/small-trial.cfg`), 2 trials: determinism across runs
//! and thread counts, and a SIGKILL in the middle of a trial resumed to the
//! uninterrupted head.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{TempDir, csnas};

/// A tiny search: 2 trials of the quick trial in `tests/small-trial.cfg`.
const SEARCH: [&str; 9] = [
    "search",
    "--config",
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/small-trial.cfg"),
    "--quiet",
    "--seed",
    "5",
    "--trials",
    "2",
    "--out",
];

/// Runs the tiny search into `dir` with `threads`; returns its `head:` line.
fn search(dir: &TempDir, threads: &str) -> String {
    let out = csnas(&[&SEARCH[..], &[dir.arg(), "--threads", threads]].concat());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = stdout.lines().next().unwrap();
    assert!(head.starts_with("head: "), "{stdout}");
    head.to_owned()
}

fn trial_records(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("records")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".cbor"))
            .count()
    })
}

#[test]
fn the_same_seed_gives_the_same_head_on_one_and_two_threads_and_audits_clean() {
    let (a, b) = (TempDir::new("one-thread"), TempDir::new("two-threads"));
    let head = search(&a, "1");
    assert_eq!(search(&b, "2"), head);
    let audit = csnas(&["audit", a.arg(), "--retrain", "1", "--threads", "2"]);
    assert_eq!(audit.status.code(), Some(0), "{audit:?}");
    let replay = csnas(&["replay", b.arg(), "--quiet", "--threads", "2"]);
    assert_eq!(replay.status.code(), Some(0), "{replay:?}");
    assert!(String::from_utf8_lossy(&replay.stdout).contains(&head));
}

#[test]
fn a_search_killed_during_a_trial_resumes_to_the_uninterrupted_head() {
    let whole = TempDir::new("whole");
    let expected = search(&whole, "2");
    let dir = TempDir::new("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args([&SEARCH[..], &[dir.arg(), "--threads", "2"]].concat())
        .spawn()
        .expect("start csnas search");
    // Config record + trial 0's record: trial 1 is now training.
    let start = Instant::now();
    while trial_records(&dir.0) < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no trial record appeared"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix.
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the search finished before it was killed"
    );
    // The OS released the killed writer's lock: the search resumes as is.
    assert_eq!(search(&dir, "2"), expected);
}

#[test]
fn show_and_audit_of_a_missing_log_are_bad_input() {
    for cmd in ["show", "audit", "replay"] {
        let out = csnas(&[cmd, "/nonexistent/csnas-log"]);
        assert_eq!(out.status.code(), Some(2), "{cmd}: {out:?}");
    }
}

/// The digest REPRODUCE.md publishes for the built-in digits.
#[test]
fn the_digits_digest_in_reproduce_md_is_the_built_in_data_digest() {
    let data = csnas::data::load(&csnas::data::DataSpec::Digits)
        .unwrap()
        .train;
    let digest = data.digest().to_hex().to_string();
    let reproduce = include_str!("../REPRODUCE.md");
    assert!(reproduce.contains(&format!(
        "| `digits` (built in, 1,797 images) | `{digest}` |"
    )));
}
