//! `csnas train --checkpoint` / `--resume`: a run killed with SIGKILL, or
//! stopped with Ctrl-C (SIGINT) after an epoch, and resumed ends at the same
//! weights digest as the run never stopped; a state file of other settings
//! is refused naming the setting.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

fn csnas() -> Command {
    Command::new(env!("CARGO_BIN_EXE_csnas"))
}

fn temp(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "csnas-resume-{name}-{}.safetensors",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&p);
    p
}

/// The `weights: <hex>` line of a finished run's stdout.
fn weights(stdout: &[u8]) -> String {
    let text = String::from_utf8_lossy(stdout);
    text.lines()
        .find(|l| l.starts_with("weights: "))
        .unwrap_or_else(|| panic!("no weights line in {text}"))
        .to_string()
}

/// Waits until `path` exists (the first epoch's checkpoint), up to 5 minutes.
fn wait_for(path: &PathBuf) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "no checkpoint {path:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killed_or_interrupted_runs_resume_to_the_uninterrupted_weights() {
    let full = csnas().args(TINY).output().unwrap();
    assert_eq!(full.status.code(), Some(0), "{full:?}");
    let expected = weights(&full.stdout);

    // SIGKILL once the first epoch's state is saved (at any later instant).
    let ck = temp("kill");
    let mut child = csnas()
        .args(TINY)
        .arg("--checkpoint")
        .arg(&ck)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&ck);
    child.kill().unwrap();
    child.wait().unwrap();
    let resumed = csnas()
        .args(TINY)
        .arg("--checkpoint")
        .arg(&ck)
        .arg("--resume")
        .arg(&ck)
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{resumed:?}");
    assert!(String::from_utf8_lossy(&resumed.stdout).contains("resumed from"));
    assert_eq!(weights(&resumed.stdout), expected, "SIGKILL and --resume");

    // Ctrl-C (SIGINT) once epoch 1 is reported: the epoch in progress
    // finishes, its state is saved, exit 130 naming the command that resumes.
    let ck = temp("int");
    let mut child = csnas()
        .args(TINY)
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
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted after epoch") && err.contains("--resume"),
        "{err}"
    );
    let resumed = csnas()
        .args(TINY)
        .arg("--resume")
        .arg(&ck)
        .output()
        .unwrap();
    assert_eq!(resumed.status.code(), Some(0), "{resumed:?}");
    assert_eq!(weights(&resumed.stdout), expected, "Ctrl-C and --resume");

    // Another setting: refused, naming it.
    let other = csnas()
        .args([
            "train",
            "--genotype",
            "DARTS_V2",
            "--channels",
            "4",
            "--layers",
            "3",
            "--epochs",
            "4",
            "--quiet",
            "--resume",
        ])
        .arg(&ck)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(2), "{err}");
    assert!(
        err.contains("'epochs = 3'") && err.contains("'epochs = 4'"),
        "{err}"
    );
    for f in [temp("kill"), temp("int")] {
        let _ = std::fs::remove_file(f);
    }
}
