//! `csnas study` at the command line: help with defaults and an example, one
//! clear line and exit code 2 for bad input, and a tiny study whose report
//! files are written beside its log and whose head is the same at 1 and 2
//! threads.

mod common;
use common::csnas;

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("csnas-cli-study-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[test]
fn help_gives_defaults_and_an_example() {
    let out = csnas(&["study", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "[default: 40]",
        "[default: 3]",
        "--reuse",
        "Example",
        "csnas study",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
}

#[test]
fn bad_input_is_one_line_naming_the_flag_with_exit_2() {
    let dir = temp("bad");
    let d = dir.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["study", "--genotypes", "1", "--out", d],
            "--genotypes 1",
        ),
        (vec!["study", "--seeds", "0", "--out", d], "--seeds 0"),
        (
            vec!["study", "--label-channels", "3", "--out", d],
            "--label-channels 3",
        ),
        (
            vec!["study", "--config", "/no/such.cfg", "--out", d],
            "/no/such.cfg",
        ),
        (
            vec!["study", "--reuse", "/no/such/dir", "--out", d],
            "--reuse /no/such/dir",
        ),
    ] {
        let out = csnas(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_tiny_study_reports_and_has_the_same_head_at_1_and_2_threads() {
    let cfg = temp("cfg");
    std::fs::create_dir_all(&cfg).unwrap();
    let file = cfg.join("t.cfg");
    std::fs::write(
        &file,
        "epochs = 1\nsubset.count = 16\nobjective.holdout = 8\nbatch_size = 8\nnetwork.channels = 2\nnetwork.layers = 2\n",
    )
    .unwrap();
    let mut heads = Vec::new();
    for threads in ["1", "2"] {
        let dir = temp(&format!("tiny{threads}"));
        let out = csnas(&[
            "study",
            "--config",
            file.to_str().unwrap(),
            "--genotypes",
            "3",
            "--seeds",
            "1",
            "--label-channels",
            "2",
            "--label-layers",
            "2",
            "--label-epochs",
            "1",
            "--bootstrap",
            "50",
            "--permutations",
            "50",
            "--threads",
            threads,
            "--quiet",
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            text.contains("final-loss") && text.contains("rankme"),
            "{text}"
        );
        for f in ["report.txt", "report.json", "scatter.svg"] {
            assert!(dir.join(f).exists(), "{f}");
        }
        heads.push(text.lines().next().unwrap().to_owned());
        let _ = std::fs::remove_dir_all(dir);
    }
    assert_eq!(heads[0], heads[1]);
    let _ = std::fs::remove_dir_all(cfg);
}
