//! `csnas sign` and `csnas audit --key`, on copies of the golden log: a
//! signed log audits; a truncated log, a log with one record changed and
//! re-hashed, an edited signature file and the wrong key each fail with
//! exit 1 and one line that says which.

use std::path::Path;
use std::process::Output;

use csnas::ledger::Ledger;
use csnas::search::runner::read_log;

mod common;
use common::{TempDir, csnas};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/golden/search-default-seed0"
);

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A copy of the golden log's HEAD and records in `dir`.
fn copy_golden(dir: &Path) {
    std::fs::create_dir_all(dir.join("records")).unwrap();
    std::fs::copy(Path::new(GOLDEN).join("HEAD"), dir.join("HEAD")).unwrap();
    for e in std::fs::read_dir(Path::new(GOLDEN).join("records")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("records").join(e.file_name())).unwrap();
    }
}

/// A key pair under `keys`: (secret key path, public key path).
fn new_key(keys: &Path, name: &str) -> (String, String) {
    std::fs::create_dir_all(keys).unwrap();
    let secret = keys.join(name);
    let o = csnas(&["sign", "--new-key", secret.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let public = format!("{}.pub", secret.display());
    let hexkey = std::fs::read_to_string(&public).unwrap();
    assert!(
        text(&o).contains(hexkey.trim().trim_start_matches("ed25519-public-key ")),
        "the public key is printed: {}",
        text(&o)
    );
    (secret.to_str().unwrap().to_owned(), public)
}

/// Runs `audit DIR --key KEY`, expecting exit 1 and one error line holding `why`.
fn fails(dir: &str, key: &str, why: &str) {
    let o = csnas(&["audit", dir, "--key", key]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(why), "expected '{why}': {err}");
}

#[test]
fn a_signed_log_audits_and_truncation_rehashing_editing_and_the_wrong_key_fail() {
    let keys = TempDir::new("keys");
    let (secret, public) = new_key(&keys.0, "author");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let log = TempDir::new("signed");
    copy_golden(&log.0);
    let o = csnas(&["sign", log.arg(), "--key", &secret]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let head = std::fs::read_to_string(log.0.join("HEAD")).unwrap();
    assert!(text(&o).contains(head.trim()), "{}", text(&o));
    assert!(text(&o).contains("(16 trials)"), "{}", text(&o));

    // sign → audit --key passes (the key as a file and as hex).
    let o = csnas(&["audit", log.arg(), "--key", &public]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("signature"), "{}", text(&o));
    let hexkey = std::fs::read_to_string(&public).unwrap();
    let hexkey = hexkey.trim().trim_start_matches("ed25519-public-key ");
    let o = csnas(&["audit", log.arg(), "--key", hexkey]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // The wrong key.
    let (_, other) = new_key(&keys.0, "someone-else");
    fails(log.arg(), &other, "not by the --key given");

    // Truncated: HEAD moved back to the 15th trial (every record still valid,
    // so plain audit passes).
    let truncated = TempDir::new("truncated");
    copy_golden(&truncated.0);
    std::fs::copy(log.0.join("SIGNATURE"), truncated.0.join("SIGNATURE")).unwrap();
    let (_, _, trials) = read_log(&Ledger::open_read_only(&truncated.0).unwrap()).unwrap();
    std::fs::write(
        truncated.0.join("HEAD"),
        format!("{}\n", trials[14].0.to_hex()),
    )
    .unwrap();
    assert_eq!(csnas(&["audit", truncated.arg()]).status.code(), Some(0));
    fails(truncated.arg(), &public, "truncated after signing");

    // One record changed and the log re-hashed consistently: plain audit
    // passes (a weights digest is only checked by retraining), the
    // signature does not.
    let rehashed = TempDir::new("rehashed");
    let (_, config, trials) = read_log(&Ledger::open_read_only(&log.0).unwrap()).unwrap();
    let mut out = Ledger::create(&rehashed.0, &config).unwrap();
    for (_, mut t) in trials {
        if t.index == 9 {
            t.weights_digest = Some(blake3::hash(b"forged"));
        }
        t.parent = out.head();
        out.append(&t).unwrap();
    }
    drop(out);
    std::fs::copy(log.0.join("SIGNATURE"), rehashed.0.join("SIGNATURE")).unwrap();
    assert_eq!(csnas(&["audit", rehashed.arg()]).status.code(), Some(0));
    fails(rehashed.arg(), &public, "a record was changed");

    // An edited signature file (its trial count lowered to match a
    // truncation) no longer verifies.
    let sig = std::fs::read_to_string(log.0.join("SIGNATURE")).unwrap();
    let edited = sig.replace("trials 16\n", "trials 15\n");
    assert_ne!(sig, edited);
    std::fs::write(truncated.0.join("SIGNATURE"), edited).unwrap();
    fails(truncated.arg(), &public, "does not verify");

    // No signature at all.
    std::fs::remove_file(truncated.0.join("SIGNATURE")).unwrap();
    fails(truncated.arg(), &public, "no signature");
}

#[test]
fn keys_are_never_overwritten_and_a_readable_secret_key_is_refused() {
    let keys = TempDir::new("keys-refused");
    let (secret, _) = new_key(&keys.0, "k");
    let o = csnas(&["sign", "--new-key", &secret]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("already exists"), "{}", text(&o));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let log = TempDir::new("unsigned");
        copy_golden(&log.0);
        let o = csnas(&["sign", log.arg(), "--key", &secret]);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert!(text(&o).contains("chmod 600"), "{}", text(&o));
    }
}
