//! `csnas search --executor slurm` on a real Slurm cluster (CI starts a
//! one-node cluster with `.ci/slurm-up.sh` and sets `CSNAS_REQUIRE_SLURM`;
//! elsewhere, where `sbatch` is missing, these tests say so and pass without
//! running): with K = 4 the head is the one
//! the in-process search gives (and `tests/workers.rs` gives for 2 local
//! workers, same arguments); a task cancelled mid-trial with `scancel` is
//! submitted again and the head is unchanged, no finished trial trained
//! twice; the driver killed with SIGKILL and run again waits for its array
//! instead of submitting it twice, and reaches the same head.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod common;
use common::{TempDir, csnas};

/// Whether a Slurm cluster is reachable; if not, says why these tests do nothing.
fn slurm(test: &str) -> bool {
    let ok = Command::new("sbatch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CSNAS_REQUIRE_SLURM").is_none(),
            "{test}: sbatch is missing but CSNAS_REQUIRE_SLURM is set (.ci/slurm-up.sh failed?)"
        );
        eprintln!("skipping {test}: sbatch is not installed (CI runs .ci/slurm-up.sh first)");
    }
    ok
}

/// The search of `tests/workers.rs`: 6 trials of the quick trial in batches of 4.
fn search_args(dir: &TempDir, executor: &[&str]) -> Vec<String> {
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/small-trial.cfg");
    let mut args: Vec<String> = [
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
        "--out",
        dir.arg(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(executor.iter().map(|s| s.to_string()));
    args
}

const SLURM: [&str; 4] = ["--executor", "slurm", "--retries", "2"];

/// Runs the search to the end; its `head:` line.
fn head(dir: &TempDir, executor: &[&str]) -> String {
    let out = csnas(&search_args(dir, executor));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    stdout.lines().next().unwrap().to_owned()
}

/// The head of the same search run in this process (computed once).
fn expected() -> &'static str {
    static HEAD: OnceLock<String> = OnceLock::new();
    HEAD.get_or_init(|| head(&TempDir::new("inline"), &["--workers", "1"]))
}

/// Training starts recorded per trial by `csnas trial run`.
fn starts(work: &Path, t: usize) -> usize {
    std::fs::read_to_string(work.join(format!("trial-{t}.result.runs")))
        .map_or(0, |s| s.lines().count())
}

/// Arrays submitted for the batch starting at `first`.
fn submissions(work: &Path, first: usize) -> usize {
    std::fs::read_to_string(work.join(format!("batch-{first}.submissions")))
        .map_or(0, |s| s.lines().count())
}

/// Waits until `ready` holds (panics after 5 minutes or if `driver` ends).
fn wait_for(driver: &mut std::process::Child, what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        assert!(
            driver.try_wait().unwrap().is_none(),
            "the driver ended before {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn spawn(args: Vec<String>) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn slurm_gives_the_head_of_the_in_process_search() {
    if !slurm("slurm_gives_the_head_of_the_in_process_search") {
        return;
    }
    let b = TempDir::new("array");
    assert_eq!(head(&b, &SLURM), expected());
    for t in 0..6 {
        assert_eq!(starts(&b.0.join("work"), t), 1, "trial {t}");
    }
}

#[test]
fn a_task_cancelled_mid_trial_is_run_again_and_the_head_is_unchanged() {
    if !slurm("a_task_cancelled_mid_trial_is_run_again_and_the_head_is_unchanged") {
        return;
    }
    let dir = TempDir::new("cancel");
    let work = dir.0.join("work");
    let mut driver = spawn(search_args(&dir, &SLURM));
    // Trial 1 has started training and not finished: cancel its task.
    wait_for(&mut driver, "trial 1 to start", || starts(&work, 1) == 1);
    assert!(
        !work.join("trial-1.result").exists(),
        "trial 1 finished too fast to cancel"
    );
    let job = std::fs::read_to_string(work.join("batch-0.job")).unwrap();
    let cancel = Command::new("scancel")
        .arg(format!("{}_1", job.trim()))
        .output()
        .unwrap();
    assert!(
        cancel.status.success(),
        "{}",
        String::from_utf8_lossy(&cancel.stderr)
    );
    let out = driver.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(stdout.lines().next().unwrap(), expected());
    assert_eq!(starts(&work, 1), 2, "the cancelled trial runs again");
    assert_eq!(
        submissions(&work, 0),
        2,
        "the first batch's array, then trial 1 alone"
    );
    for t in [0, 2, 3, 4, 5] {
        assert_eq!(starts(&work, t), 1, "trial {t}");
    }
}

#[test]
fn a_driver_killed_mid_batch_waits_for_its_array_and_reaches_the_same_head() {
    if !slurm("a_driver_killed_mid_batch_waits_for_its_array_and_reaches_the_same_head") {
        return;
    }
    let dir = TempDir::new("kill");
    let work = dir.0.join("work");
    let mut driver = spawn(search_args(&dir, &SLURM));
    wait_for(&mut driver, "a trial to start", || {
        (0..4).any(|t| starts(&work, t) > 0)
    });
    driver.kill().unwrap(); // SIGKILL
    driver.wait().unwrap();
    assert!(
        !work.join("trial-5.result").exists(),
        "killed too late to test anything"
    );
    assert_eq!(head(&dir, &SLURM), expected());
    for t in 0..6 {
        assert_eq!(
            starts(&work, t),
            1,
            "trial {t} trained {} times",
            starts(&work, t)
        );
    }
    // One array for the first batch: the restarted driver waited for it.
    assert_eq!(submissions(&work, 0), 1);
}
