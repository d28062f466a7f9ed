//! `csnas train --checkpoint` / `--resume`: a run killed with SIGKILL after
//! its first epoch, or stopped with Ctrl-C (SIGINT), and resumed ends at the
//! same weights digest as the run never stopped — also when the parts run
//! at different thread counts; a state file of other settings is refused
//! with one line naming the flag. `csnas search` stopped with Ctrl-C ends
//! after the trial in progress is in its log, and the command it prints
//! resumes it to the uninterrupted head.

mod common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::TempDir;

/// A small run: 3 epochs of a 3-cell C=4 network on the built-in digits
/// (seconds per epoch).
const TINY: [&str; 10] = [
    "train",
    "--genotype",
    "DARTS_V2",
    "--channels",
    "4",
    "--layers",
    "3",
    "--epochs",
    "3",
    "--quiet",
];

fn csnas(threads: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_csnas"));
    c.args(TINY).args(["--threads", threads]);
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The `weights: <hex>` line of a finished run's stdout.
fn weights(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = text(&out.stdout);
    stdout
        .lines()
        .find(|l| l.starts_with("weights: "))
        .unwrap_or_else(|| panic!("no weights line in {stdout}"))
        .to_string()
}

/// Waits until `path` exists (the first epoch's state), up to 5 minutes.
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no checkpoint {path:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn file(dir: &TempDir, name: &str) -> PathBuf {
    std::fs::create_dir_all(&dir.0).unwrap();
    dir.0.join(name)
}

#[test]
fn killed_or_interrupted_runs_resume_to_the_uninterrupted_weights() {
    let dir = TempDir::new("runs");
    let expected = weights(&csnas("2").output().unwrap());

    // SIGKILL once the first epoch's state is saved (at any later instant),
    // then resume at another thread count.
    let ck = file(&dir, "kill.safetensors");
    let mut child = csnas("1")
        .arg("--checkpoint")
        .arg(&ck)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&ck);
    child.kill().unwrap();
    child.wait().unwrap();
    let resumed = csnas("2").arg("--resume").arg(&ck).output().unwrap();
    assert!(
        text(&resumed.stdout).contains("resumed from"),
        "{resumed:?}"
    );
    assert_eq!(weights(&resumed), expected, "SIGKILL and --resume");

    // Ctrl-C (SIGINT) once epoch 1 is reported: the epoch in progress
    // finishes, its state is saved, exit 130 with the command that resumes.
    let ck = file(&dir, "int.safetensors");
    let mut child = csnas("1")
        .arg("--checkpoint")
        .arg(&ck)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("epoch 1/3") {
        line.clear();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "no epoch line");
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    let last = err.lines().last().unwrap_or_default();
    // The first epoch end after the signal: epoch 1's when the signal came
    // before the run checked it, else epoch 2's.
    let epoch = ["1/3", "2/3"]
        .into_iter()
        .find(|k| last.starts_with(&format!("interrupted after epoch {k}: its state is in ")))
        .unwrap_or_else(|| panic!("{err}"));
    // The line ends with the command that resumes: run it as it says.
    let command = last.split("resume with: csnas ").nth(1).expect(last);
    let resume_args: Vec<&str> = command.split(' ').collect();
    assert!(resume_args.ends_with(&["--resume", ck.to_str().unwrap()]));
    let resumed = Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(&resume_args)
        .output()
        .unwrap();
    assert!(
        text(&resumed.stdout).contains(&format!("after epoch {epoch}")),
        "{resumed:?}"
    );
    assert_eq!(weights(&resumed), expected, "Ctrl-C and --resume");
}

/// A 1-epoch run of `genotype` with `extra` flags.
fn one_epoch(genotype: &str, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_csnas"));
    c.args(["train", "--genotype", genotype])
        .args(&TINY[3..7])
        .args(["--epochs", "1", "--quiet"])
        .args(extra);
    c
}

#[test]
fn a_state_file_of_other_settings_is_refused_naming_the_flag() {
    let dir = TempDir::new("refused");
    let ck = file(&dir, "one.safetensors");
    // A 1-epoch run leaves its final state.
    weights(
        &one_epoch("DARTS_V2", &[])
            .arg("--checkpoint")
            .arg(&ck)
            .output()
            .unwrap(),
    );
    let refused = |genotype: &str, extra: &[&str]| {
        let out = one_epoch(genotype, extra)
            .arg("--resume")
            .arg(&ck)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        err
    };
    let err = refused("DARTS_V2", &["--seed", "1"]);
    assert!(
        err.contains("other --seed ('seed = 0'), this run has 'seed = 1'"),
        "{err}"
    );
    let err = refused("DARTS_V1", &[]);
    assert!(err.contains("another --genotype"), "{err}");
    let err = refused("DARTS_V2", &["--lr", "0.1"]);
    assert!(err.contains("other --lr"), "{err}");
}

/// Records in a search log (the config record and one per trial).
fn records(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("records")).map_or(0, |d| {
        d.flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".cbor"))
            .count()
    })
}

/// The `head: <hex>` line of a finished search's stdout.
fn head(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = text(&out.stdout);
    stdout.lines().next().unwrap_or_default().to_string()
}

#[test]
fn an_interrupted_search_stops_after_the_trial_and_resumes_to_the_same_head() {
    // The quick trial of the command-line search tests, 2 trials.
    let search = |dir: &TempDir| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_csnas"));
        c.args(["search", "--config"])
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/small-trial.cfg"
            ))
            .args(["--quiet", "--seed", "5", "--trials", "2", "--threads", "2"])
            .args(["--out", dir.arg()]);
        c
    };
    let whole = TempDir::new("whole-search");
    let expected = head(&search(&whole).output().unwrap());
    assert!(expected.starts_with("head: "), "{expected}");

    let dir = TempDir::new("interrupted-search");
    let child = search(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The config record is written: trial 0 is training.
    let start = Instant::now();
    while records(&dir.0) < 1 {
        assert!(start.elapsed() < Duration::from_secs(120), "no log");
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert_eq!(records(&dir.0), 2, "trial 0 finished and is in the log");
    let last = err.lines().last().unwrap_or_default();
    let prefix = format!(
        "interrupted after trial 1/2: every finished trial is in {}; resume with: csnas ",
        dir.arg()
    );
    assert!(last.starts_with(&prefix), "{err}");
    let command: Vec<&str> = last[prefix.len()..].split(' ').collect();
    let resumed = Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(&command)
        .output()
        .unwrap();
    assert_eq!(head(&resumed), expected, "Ctrl-C and the same command");
}
