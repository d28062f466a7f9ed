//! `--json` and `--csv` of every reporting command, parsed and checked
//! against the same command's text output (README, "Export formats").

use std::path::Path;

use serde_json::Value;

mod common;
use common::{TempDir, csnas};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/golden/search-default-seed0"
);

/// Stdout of a run that must succeed.
fn ok(args: &[&str]) -> String {
    let o = csnas(args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    let text = ok(args);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"))
}

/// A CSV's header and rows (no cell in these tests holds a comma unquoted;
/// quoted cells are not split).
fn csv(args: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
    let text = ok(args);
    let mut lines = text.lines().map(split_csv);
    let header = lines.next().expect("a header");
    let rows: Vec<Vec<String>> = lines.collect();
    for r in &rows {
        assert_eq!(r.len(), header.len(), "{text}");
    }
    (header, rows)
}

/// One RFC 4180 line into cells.
fn split_csv(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cells.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(String::new()),
            (c, _) => cells.last_mut().unwrap().push(c),
        }
    }
    cells
}

/// The value after `key` on the first text line that starts with it.
fn after<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no '{key}' line in {text}"))
        .trim()
}

fn column<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

#[test]
fn genotype_show_json_and_csv_agree_with_its_text() {
    let args = ["genotype", "show", "DARTS_V2", "--auxiliary"];
    let text = ok(&args);
    let j = json(&[&args[..], &["--json"]].concat());
    assert_eq!(j["genotype"], text.lines().next().unwrap());
    assert_eq!(j["hash"], after(&text, "hash:"));
    assert_eq!(j["parameters"].to_string(), after(&text, "parameters:"));
    // DARTS_V2 at C=36, 20 layers, with its auxiliary head (DESIGN 2, from PyTorch DARTS).
    assert_eq!(j["parameters"], 3_825_768);
    assert_eq!(j["channels"], 36);
    assert_eq!(j["auxiliary"], true);
    assert_eq!(j["normal"][0]["op"], "sep_conv_3x3");
    assert_eq!(j["normal"][0]["input"], 0);
    assert_eq!(j["reduce_concat"], serde_json::json!([2, 3, 4, 5]));
    let (h, rows) = csv(&[&args[..], &["--csv"]].concat());
    assert_eq!(rows.len(), 1);
    assert_eq!(column(&h, &rows[0], "hash"), after(&text, "hash:"));
    assert_eq!(
        column(&h, &rows[0], "parameters"),
        after(&text, "parameters:")
    );
    assert_eq!(
        column(&h, &rows[0], "genotype"),
        text.lines().next().unwrap()
    );
}

/// A copy of the golden log (HEAD and records) in `dir`.
fn copy_golden(dir: &Path) {
    std::fs::create_dir_all(dir.join("records")).unwrap();
    std::fs::copy(Path::new(GOLDEN).join("HEAD"), dir.join("HEAD")).unwrap();
    for e in std::fs::read_dir(Path::new(GOLDEN).join("records")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("records").join(e.file_name())).unwrap();
    }
}

#[test]
fn audit_json_and_csv_agree_with_its_text_and_a_failure_is_reported_in_json() {
    let log = TempDir::new("audit");
    copy_golden(&log.0);
    let args = [
        "audit",
        log.arg(),
        "--nonce",
        "n1",
        "--forged",
        "1",
        "--forged",
        "4",
    ];
    let text = ok(&args);
    let j = json(&[&args[..], &["--json"]].concat());
    assert_eq!(j["passed"], true);
    let head = after(&text, "audit passed: 16 trials, head");
    assert_eq!(j["head"], head);
    assert_eq!(j["trials"], 16);
    assert_eq!(j["retrained"], serde_json::json!([]));
    assert_eq!(j["nonce"], "n1");
    assert_eq!(j["signed_by"], Value::Null);
    let checks = j["checks"].as_array().unwrap();
    let text_checks: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("audit passed"))
        .collect();
    assert_eq!(checks.len(), text_checks.len());
    for (c, line) in checks.iter().zip(&text_checks) {
        assert!(
            line.ends_with(c["message"].as_str().unwrap()),
            "{c} vs {line}"
        );
        assert!(
            line.starts_with(c["status"].as_str().unwrap()),
            "{c} vs {line}"
        );
    }
    // No retraining: any forgery passes, with probability 1 (= 1/1).
    let forgery = j["forgery"].as_array().unwrap();
    assert_eq!(forgery.len(), 2);
    assert_eq!(forgery[1]["forged"], 4);
    assert_eq!(forgery[1]["probability"], 1.0);
    assert_eq!(forgery[1]["numerator"], "1");
    let (h, rows) = csv(&[&args[..], &["--csv"]].concat());
    assert_eq!(rows.len(), 2, "one row per forged count");
    assert_eq!(column(&h, &rows[0], "head"), head);
    assert_eq!(column(&h, &rows[0], "passed"), "true");
    assert_eq!(column(&h, &rows[1], "forged"), "4");
    assert_eq!(column(&h, &rows[1], "pass_probability"), "1");

    // A flipped byte: exit 1, the error on stderr and in the JSON.
    let records = log.0.join("records");
    let first = std::fs::read_dir(&records)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&first).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&first, &bytes).unwrap();
    let o = csnas(&["audit", log.arg(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["passed"], false);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(j["error"].as_str().unwrap()),
        "{stderr} vs {j}"
    );
}

/// A tiny search: 2 trials of the quick trial in `tests/small-trial.cfg`.
fn search_args(out: &str) -> Vec<&str> {
    vec![
        "search",
        "--config",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/small-trial.cfg"),
        "--quiet",
        "--seed",
        "3",
        "--trials",
        "2",
        "--threads",
        "2",
        "--out",
        out,
    ]
}

#[test]
fn search_summary_and_replay_json_and_csv_agree_with_their_text() {
    let log = TempDir::new("search");
    let text = ok(&search_args(log.arg()));
    // A second run of a finished search resumes nothing and reports again.
    let j = json(&[&search_args(log.arg())[..], &["--json"]].concat());
    let head = after(&text, "head:");
    assert_eq!(j["head"], head);
    assert_eq!(j["trials"], 2);
    let best = after(&text, "best: trial ");
    let index: u64 = best.split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(j["best"]["index"], index);
    assert!(best.contains(&format!(
        "(record {})",
        &j["best"]["record"].as_str().unwrap()[..12]
    )));
    let objective = best.rsplit("objective ").next().unwrap();
    assert_eq!(
        j["best"]["objective"].as_f64().unwrap(),
        objective.parse::<f64>().unwrap()
    );
    let genotype = text.lines().last().unwrap();
    assert_eq!(j["best"]["genotype"], genotype);
    let (h, rows) = csv(&[&search_args(log.arg())[..], &["--csv"]].concat());
    assert_eq!(rows.len(), 1);
    assert_eq!(column(&h, &rows[0], "head"), head);
    assert_eq!(column(&h, &rows[0], "best_objective"), objective);

    let replay = ["replay", log.arg(), "--quiet", "--threads", "2"];
    let text = ok(&replay);
    let j = json(&[&replay[..], &["--json"]].concat());
    assert_eq!(j["passed"], true);
    assert_eq!(j["head"], after(&text, "head:"));
    assert_eq!(j["head"], head);
    assert_eq!(j["trials"], 2);
    assert!(text.contains("replayed 2 trials"));
    let (h, rows) = csv(&[&replay[..], &["--csv"]].concat());
    assert_eq!(column(&h, &rows[0], "head"), head);
    assert_eq!(column(&h, &rows[0], "trials"), "2");
}

#[test]
fn verify_csv_has_the_json_rows() {
    let args = ["verify", "--backend", "cpu"];
    let j = json(&[&args[..], &["--json"]].concat());
    let (h, rows) = csv(&[&args[..], &["--csv"]].concat());
    let outputs = j["outputs"].as_array().unwrap();
    assert_eq!(rows.len(), outputs.len());
    for (r, o) in rows.iter().zip(outputs) {
        assert_eq!(column(&h, r, "op"), o["op"]);
        assert_eq!(column(&h, r, "output"), o["output"]);
        assert_eq!(column(&h, r, "ok"), o["ok"].to_string());
    }
    let text = ok(&args);
    assert_eq!(
        text.lines().count(),
        outputs.len() + 2,
        "title, header, one line per output"
    );
}

#[test]
fn linear_eval_json_and_csv_agree_with_its_text() {
    let args = [
        "linear-eval",
        "--random-init",
        "--channels",
        "4",
        "--layers",
        "3",
        "--linear-epochs",
        "2",
        "--quiet",
    ];
    let text = ok(&args);
    let j = json(&[&args[..], &["--json"]].concat());
    // The text shows 4 decimals; the JSON the full value of the same run.
    let shown = |key: &str| after(&text, key).to_string();
    assert_eq!(
        format!("{:.4}", j["test_accuracy"].as_f64().unwrap()),
        shown("test accuracy:")
    );
    assert_eq!(
        format!("{:.4}", j["train_accuracy"].as_f64().unwrap()),
        shown("train accuracy:")
    );
    assert_eq!(j["encoder"], shown("encoder:"));
    assert!(shown("data:").starts_with(j["data"].as_str().unwrap()));
    assert!(shown("data:").contains(&format!(
        "({} train, {} test)",
        j["train_images"], j["test_images"]
    )));
    let (h, rows) = csv(&[&args[..], &["--csv"]].concat());
    assert_eq!(rows.len(), 1);
    assert_eq!(
        column(&h, &rows[0], "test_accuracy")
            .parse::<f64>()
            .unwrap(),
        j["test_accuracy"].as_f64().unwrap()
    );
}
