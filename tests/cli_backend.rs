//! `--backend` on every command that computes: an unknown name is a usage
//! error naming the flag, and `cuda` on a build or machine without a usable
//! CUDA training backend is a clear exit-2 error, never a panic.

mod common;
use common::{csnas, stderr};

fn tmp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("csnas-cli-backend-{}-{name}", std::process::id()));
    dir.to_string_lossy().into_owned()
}

#[test]
fn every_computing_command_takes_backend_and_refuses_an_unknown_one() {
    let log = tmp("log");
    let commands: Vec<Vec<&str>> = vec![
        vec!["search", "--out", &log],
        vec!["replay", &log],
        vec!["audit", &log, "--retrain", "1"],
        vec!["train", "--genotype", "DARTS_V2"],
        vec!["linear-eval"],
        vec!["predict", "--model", "m.safetensors"],
        vec!["bench"],
        vec!["verify"],
        vec!["study", "--out", &log],
    ];
    for cmd in commands {
        let mut args = cmd.clone();
        args.extend(["--backend", "gpu"]);
        let out = csnas(&args);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--backend"),
            "{cmd:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn cuda_without_a_cuda_training_backend_is_a_clear_exit_2() {
    let log = tmp("cuda");
    let commands: Vec<Vec<&str>> = vec![
        vec!["search", "--out", &log, "--trials", "1", "--quiet"],
        vec![
            "train",
            "--genotype",
            "DARTS_V2",
            "--epochs",
            "1",
            "--quiet",
        ],
        vec![
            "linear-eval",
            "--random-init",
            "--linear-epochs",
            "1",
            "--quiet",
        ],
        vec!["bench", "--reps", "1", "--warmup", "0"],
        vec![
            "study",
            "--out",
            &log,
            "--genotypes",
            "2",
            "--seeds",
            "1",
            "--quiet",
        ],
    ];
    for cmd in commands {
        let mut args = cmd.clone();
        args.extend(["--backend", "cuda"]);
        let out = csnas(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {err}");
        assert!(err.to_lowercase().contains("cuda"), "{cmd:?}: {err}");
        assert!(!err.contains("panicked"), "{cmd:?}: {err}");
    }
    assert!(!std::path::Path::new(&log).join("head").exists());
}
