//! The committed golden log (`fixtures/golden/search-default-seed0/`, made by
//! `csnas search --seed 0` on the built-in digits, REPRODUCE.md): `audit`
//! accepts it and retrains two of its trials (picked from its head hash) to the
//! same bits, its head and config record are the ones REPRODUCE.md publishes,
//! and (ignored by default: the whole default search, minutes on 2 cores)
//! `replay` recomputes every trial. A change that alters a trial's arithmetic
//! or draws fails here first, and must say why and update both.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/golden/search-default-seed0"
);

fn csnas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(args)
        .output()
        .expect("run the csnas binary")
}

/// A copy of the golden log in a fresh temp dir (replay takes the writer's
/// lock, which must not touch the checkout), removed on drop.
struct Copy(PathBuf);

impl Copy {
    fn of(src: &Path, name: &str) -> Copy {
        let dst = std::env::temp_dir().join(format!("csnas-golden-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dst);
        std::fs::create_dir_all(dst.join("records")).unwrap();
        std::fs::copy(src.join("HEAD"), dst.join("HEAD")).unwrap();
        for e in std::fs::read_dir(src.join("records")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dst.join("records").join(e.file_name())).unwrap();
        }
        Copy(dst)
    }
    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The first `key:` line of REPRODUCE.md (the default preset's section).
fn published(key: &str) -> String {
    let reproduce = include_str!("../REPRODUCE.md");
    let line = reproduce
        .lines()
        .find(|l| l.trim_start().starts_with(key))
        .unwrap_or_else(|| panic!("REPRODUCE.md publishes no '{key}'"));
    line.trim_start().trim_start_matches(key).trim().to_owned()
}

#[test]
fn golden_log_head_and_config_are_the_ones_reproduce_md_publishes() {
    let head = std::fs::read_to_string(Path::new(GOLDEN).join("HEAD")).unwrap();
    assert_eq!(head.trim(), published("head:"));
    let show = csnas(&["show", "--json", GOLDEN]);
    let doc: serde_json::Value = serde_json::from_slice(&show.stdout).expect("show --json");
    assert_eq!(doc["config"]["hash"], published("config record:").as_str());
}

#[test]
fn golden_log_passes_audit_and_two_retrained_trials_reproduce() {
    let log = Copy::of(Path::new(GOLDEN), "audit");
    let audit = csnas(&["audit", "--retrain", "2", log.arg()]);
    assert_eq!(
        audit.status.code(),
        Some(0),
        "audit: {}{}",
        String::from_utf8_lossy(&audit.stdout),
        String::from_utf8_lossy(&audit.stderr)
    );
}

#[test]
#[ignore = "replays the whole default search (minutes on 2 cores): cargo test -- --ignored"]
fn golden_log_replays_bit_for_bit() {
    let log = Copy::of(Path::new(GOLDEN), "replay");
    let replay = csnas(&["replay", "--quiet", log.arg()]);
    assert_eq!(
        replay.status.code(),
        Some(0),
        "replay: {}{}",
        String::from_utf8_lossy(&replay.stdout),
        String::from_utf8_lossy(&replay.stderr)
    );
}

#[test]
fn a_flipped_byte_in_the_golden_log_fails_audit_and_names_the_record() {
    let log = Copy::of(Path::new(GOLDEN), "flip");
    let head = std::fs::read_to_string(log.0.join("HEAD")).unwrap();
    let record = log.0.join("records").join(format!("{}.cbor", head.trim()));
    let mut bytes = std::fs::read(&record).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(&record, bytes).unwrap();
    let audit = csnas(&["audit", log.arg()]);
    assert_eq!(audit.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&audit.stderr);
    assert!(stderr.contains(&head.trim()[..12]), "{stderr}");
}
