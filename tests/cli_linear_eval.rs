//! `csnas linear-eval` run as a process: exit codes and one-line errors on
//! bad input, and the report of a small run.

mod common;
use common::csnas;

/// Asserts exit code 2 and a single `error: ...` line on stderr; returns it.
fn assert_bad_input(args: &[&str]) -> String {
    let out = csnas(args);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

#[test]
fn an_unknown_data_spec_exits_2_naming_it() {
    let err = assert_bad_input(&["linear-eval", "--data", "mnist", "--quiet"]);
    assert!(err.contains("'mnist'"), "{err}");
}

#[test]
fn a_missing_model_file_exits_2_naming_it() {
    let err = assert_bad_input(&[
        "linear-eval",
        "--model",
        "/nonexistent/encoder.safetensors",
        "--quiet",
    ]);
    assert!(err.contains("/nonexistent/encoder.safetensors"), "{err}");
}

#[test]
fn a_model_together_with_random_init_is_a_usage_error() {
    let out = csnas(&["linear-eval", "--model", "m.safetensors", "--random-init"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_random_init_run_reports_accuracies_above_chance() {
    let out = csnas(&[
        "linear-eval",
        "--random-init",
        "--channels",
        "4",
        "--layers",
        "3",
        "--linear-epochs",
        "5",
        "--quiet",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let acc: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("test accuracy: "))
        .expect("a test accuracy line")
        .parse()
        .unwrap();
    // Ten classes: chance is 0.1; even random features separate digits better.
    assert!(acc > 0.2 && acc <= 1.0, "{stdout}");
}
