//! `csnas search --workers N` (the local executor: worker processes running
//! `csnas trial run`) on the quick trial of `tests/small-trial.cfg`: with
//! K = 4 the head is the same for 1 worker (in the driver's process) and 2
//! worker processes; the driver killed with SIGKILL mid-batch and run again
//! reaches the same head, and no trial is trained twice.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{TempDir, csnas};

/// 6 trials in batches of 4 (the second batch is short).
fn search_args(dir: &TempDir, workers: &str) -> Vec<String> {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/small-trial.cfg");
    [
        "search",
        "--config",
        cfg,
        "--quiet",
        "--seed",
        "5",
        "--trials",
        "6",
        "--batch",
        "4",
        "--threads",
        "1",
        "--workers",
        workers,
        "--out",
        dir.arg(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Runs the search to the end; its `head:` line.
fn head(dir: &TempDir, workers: &str) -> String {
    let out = csnas(&search_args(dir, workers));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    stdout.lines().next().unwrap().to_owned()
}

/// Training starts recorded per trial by `csnas trial run`.
fn starts(work: &Path, t: usize) -> usize {
    std::fs::read_to_string(work.join(format!("trial-{t}.result.runs")))
        .map_or(0, |s| s.lines().count())
}

#[test]
fn one_worker_and_two_worker_processes_give_the_same_head() {
    let (a, b) = (TempDir::new("one"), TempDir::new("two"));
    let one = head(&a, "1");
    let two = head(&b, "2");
    assert!(one.starts_with("head: "), "{one}");
    assert_eq!(one, two);
    for t in 0..6 {
        assert_eq!(starts(&b.0.join("work"), t), 1, "trial {t}");
    }
    let audit = csnas(&["audit", b.arg()]);
    assert_eq!(
        audit.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
}

#[test]
fn a_driver_killed_mid_batch_resumes_to_the_same_head_without_training_twice() {
    let whole = TempDir::new("whole");
    let expected = head(&whole, "2");
    let dir = TempDir::new("killed");
    let mut driver = Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(search_args(&dir, "2"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let work = dir.0.join("work");
    let deadline = Instant::now() + Duration::from_secs(300);
    // Kill once some trial of the first batch has finished and others have not.
    while !(0..4).any(|t| work.join(format!("trial-{t}.result")).exists()) {
        assert!(Instant::now() < deadline, "no trial finished in 300 s");
        assert!(
            driver.try_wait().unwrap().is_none(),
            "the driver ended first"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    driver.kill().unwrap(); // SIGKILL
    driver.wait().unwrap();
    assert!(
        !work.join("trial-5.result").exists(),
        "killed too late to test anything"
    );
    assert_eq!(head(&dir, "2"), expected);
    for t in 0..6 {
        assert_eq!(
            starts(&work, t),
            1,
            "trial {t} trained {} times",
            starts(&work, t)
        );
    }
}
