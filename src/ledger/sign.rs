//! Signed heads: an author's ed25519 signature over a log's head hash and
//! trial count (`csnas sign`, `csnas audit --key`).
//!
//! Why: the head pins every record, but a published log can still be
//! swapped for another whole log, or truncated back to an earlier head (its
//! records stay valid); neither is visible from the log alone. A signature
//! by the author's key over the head *and* the trial count makes both
//! visible to anyone holding the public key.
//!
//! Formats (text, one `name value` per line, lowercase hex):
//! - secret key file (mode 0600): `ed25519-secret-key <64 hex>` — the
//!   32-byte ed25519 seed;
//! - public key file (`<secret>.pub`): `ed25519-public-key <64 hex>`;
//! - `DIR/SIGNATURE`, next to `DIR/HEAD`:
//!   ```text
//!   csnas-signature v1
//!   head <64 hex>
//!   trials <decimal>
//!   public-key <64 hex>
//!   signature <128 hex>
//!   ```
//!   The signed message is the first three lines exactly as written, each
//!   ending in `\n` ([`message`]); ed25519 as RFC 8032 (`ed25519-dalek`),
//!   verified strictly.

use std::path::{Path, PathBuf};

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::record::Hash;
use super::store::{ChainSummary, Ledger, write_atomic};
use crate::error::{Error, Result};

/// The signature file's name inside a log's directory.
pub const SIGNATURE_FILE: &str = "SIGNATURE";

const SECRET_TAG: &str = "ed25519-secret-key";
const PUBLIC_TAG: &str = "ed25519-public-key";
const VERSION_LINE: &str = "csnas-signature v1";

/// The bytes that are signed: the version line, the head and the trial count.
pub fn message(head: &Hash, trials: u64) -> Vec<u8> {
    format!("{VERSION_LINE}\nhead {}\ntrials {trials}\n", head.to_hex()).into_bytes()
}

/// A parsed `SIGNATURE` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureFile {
    pub head: Hash,
    pub trials: u64,
    pub public_key: [u8; 32],
    pub signature: [u8; 64],
}

impl SignatureFile {
    /// The file's text (see the module doc).
    pub fn to_text(&self) -> String {
        format!(
            "{}public-key {}\nsignature {}\n",
            String::from_utf8(message(&self.head, self.trials)).expect("ASCII"),
            hex(&self.public_key),
            hex(&self.signature)
        )
    }

    /// Parses the file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<SignatureFile> {
        let bad = |what: &str| {
            Error::CheckFailed(format!(
                "{}: not a csnas signature file ({what})",
                path.display()
            ))
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() != 5 || lines[0] != VERSION_LINE {
            return Err(bad(&format!(
                "expected 5 lines, the first `{VERSION_LINE}`"
            )));
        }
        let field = |i: usize, name: &str| {
            lines[i]
                .strip_prefix(name)
                .and_then(|v| v.strip_prefix(' '))
                .ok_or_else(|| bad(&format!("line {} should start with `{name} `", i + 1)))
        };
        let head = Hash::from_hex(field(1, "head")?).map_err(|_| bad("head is not 64 hex"))?;
        let trials = field(2, "trials")?
            .parse::<u64>()
            .map_err(|_| bad("trials is not a count"))?;
        let public_key = unhex::<32>(field(3, "public-key")?).ok_or_else(|| bad("public-key"))?;
        let signature = unhex::<64>(field(4, "signature")?).ok_or_else(|| bad("signature"))?;
        Ok(SignatureFile {
            head,
            trials,
            public_key,
            signature,
        })
    }
}

/// Writes a fresh secret key to `path` (mode 0600, never over an existing
/// file) and its public key to `<path>.pub`; returns the public key and
/// the public key file's path.
pub fn new_key(path: &Path) -> Result<([u8; 32], PathBuf)> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| Error::invalid(format!("no randomness for a new key: {e}")))?;
    let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
    let mut pub_path = path.as_os_str().to_owned();
    pub_path.push(".pub");
    let pub_path = PathBuf::from(pub_path);
    for p in [path, pub_path.as_path()] {
        if p.exists() {
            return Err(Error::invalid(format!(
                "{}: already exists; a key is never overwritten (choose another --new-key FILE)",
                p.display()
            )));
        }
    }
    write_private(path, format!("{SECRET_TAG} {}\n", hex(&seed)).as_bytes())?;
    std::fs::write(&pub_path, format!("{PUBLIC_TAG} {}\n", hex(&public)))
        .map_err(|e| Error::io(&pub_path, e))?;
    Ok((public, pub_path))
}

/// Creates `path` with mode 0600 (on Unix) and writes `bytes`.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(path).map_err(|e| Error::io(path, e))?;
    f.write_all(bytes).map_err(|e| Error::io(path, e))
}

/// Reads a secret key file; refuses one that others can read (as ssh does).
pub fn read_secret_key(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(Error::invalid(format!(
                "{}: secret key readable by others (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let seed = tagged::<32>(&text, SECRET_TAG).ok_or_else(|| {
        Error::invalid(format!(
            "{}: not a secret key file (one line `{SECRET_TAG} <64 hex>`, from csnas sign --new-key)",
            path.display()
        ))
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A public key given as `--key`: a public key file, or the 64 hex digits.
pub fn read_public_key(arg: &str) -> Result<VerifyingKey> {
    let bytes = match std::fs::read_to_string(arg) {
        Ok(text) => tagged::<32>(&text, PUBLIC_TAG).ok_or_else(|| {
            Error::invalid(format!(
                "--key {arg}: not a public key file (one line `{PUBLIC_TAG} <64 hex>`)"
            ))
        })?,
        Err(e) => unhex::<32>(arg.trim()).ok_or_else(|| {
            Error::invalid(format!(
                "--key {arg}: neither a readable public key file ({e}) nor 64 hex digits"
            ))
        })?,
    };
    VerifyingKey::from_bytes(&bytes)
        .map_err(|_| Error::invalid(format!("--key {arg}: not a valid ed25519 public key")))
}

/// Signs the log in `dir` (its chain checked first): writes
/// `dir/SIGNATURE` atomically and returns what was signed.
pub fn sign(dir: &Path, key: &SigningKey) -> Result<SignatureFile> {
    let summary = Ledger::open_read_only(dir)?.verify_chain()?;
    let file = SignatureFile {
        head: summary.head,
        trials: summary.trials,
        public_key: key.verifying_key().to_bytes(),
        signature: key.sign(&message(&summary.head, summary.trials)).to_bytes(),
    };
    write_atomic(dir, SIGNATURE_FILE, file.to_text().as_bytes())?;
    Ok(file)
}

/// Checks `dir/SIGNATURE` against `key` and the log's verified chain: the
/// signature must verify with `key`, over exactly the log's head and trial
/// count. Each failure is a one-line `CheckFailed` that says which.
pub fn check(dir: &Path, summary: &ChainSummary, key: &VerifyingKey) -> Result<SignatureFile> {
    let path = dir.join(SIGNATURE_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        Error::CheckFailed(format!(
            "{}: no signature to check against --key ({e}); the author signs with csnas sign",
            path.display()
        ))
    })?;
    let file = SignatureFile::parse(&text, &path)?;
    let given = hex(&key.to_bytes());
    if file.public_key != key.to_bytes() {
        return Err(Error::CheckFailed(format!(
            "{}: signed by key {}, not by the --key given ({given})",
            path.display(),
            hex(&file.public_key)
        )));
    }
    let signature = Signature::from_bytes(&file.signature);
    key.verify_strict(&message(&file.head, file.trials), &signature)
        .map_err(|_| {
            Error::CheckFailed(format!(
                "{}: the signature does not verify with key {given}: the file was edited",
                path.display()
            ))
        })?;
    if (file.head, file.trials) != (summary.head, summary.trials) {
        let what = match summary.trials.cmp(&file.trials) {
            std::cmp::Ordering::Less => "truncated after signing",
            std::cmp::Ordering::Greater => "grown after signing (the author signs it again)",
            std::cmp::Ordering::Equal => "a record was changed or the log swapped",
        };
        return Err(Error::CheckFailed(format!(
            "the log does not match its signature: signed head {} with {} trials, the log's head is {} with {} trials ({what})",
            file.head.to_hex(),
            file.trials,
            summary.head.to_hex(),
            summary.trials
        )));
    }
    Ok(file)
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `N` bytes from exactly `2N` hex digits.
fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The key in a one-line `<tag> <hex>` key file.
fn tagged<const N: usize>(text: &str, tag: &str) -> Option<[u8; N]> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let line = lines.next()?;
    if lines.next().is_some() {
        return None;
    }
    unhex::<N>(line.trim().strip_prefix(tag)?.strip_prefix(' ')?.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_8032_test_vector_1_signs_as_published() {
        // RFC 8032 section 7.1, TEST 1: the empty message.
        let seed = unhex::<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap();
        let key = SigningKey::from_bytes(&seed);
        assert_eq!(
            hex(&key.verifying_key().to_bytes()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        assert_eq!(
            hex(&key.sign(b"").to_bytes()),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
             5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
    }

    #[test]
    fn the_signature_file_round_trips_and_signs_the_documented_message() {
        let head = blake3::hash(b"head");
        assert_eq!(
            message(&head, 16),
            format!("csnas-signature v1\nhead {}\ntrials 16\n", head.to_hex()).into_bytes()
        );
        let key = SigningKey::from_bytes(&[7; 32]);
        let file = SignatureFile {
            head,
            trials: 16,
            public_key: key.verifying_key().to_bytes(),
            signature: key.sign(&message(&head, 16)).to_bytes(),
        };
        let text = file.to_text();
        assert!(text.starts_with("csnas-signature v1\nhead "), "{text}");
        let path = Path::new("SIGNATURE");
        assert_eq!(SignatureFile::parse(&text, path).unwrap(), file);
        let e = SignatureFile::parse(&text.replace("trials 16", "trials x"), path).unwrap_err();
        assert!(e.to_string().contains("trials is not a count"), "{e}");
        assert!(SignatureFile::parse("", path).is_err());
    }

    #[test]
    fn key_files_are_one_tagged_hex_line() {
        let k = "ab".repeat(32);
        assert_eq!(
            tagged::<32>(&format!("{PUBLIC_TAG} {k}\n"), PUBLIC_TAG),
            Some([0xab; 32])
        );
        assert_eq!(
            tagged::<32>(&format!("{SECRET_TAG} {k}\n"), PUBLIC_TAG),
            None
        );
        assert_eq!(
            tagged::<32>(&format!("{PUBLIC_TAG} {k}\nmore\n"), PUBLIC_TAG),
            None
        );
        assert_eq!(unhex::<2>("abc"), None);
        assert_eq!(unhex::<2>("zzzz"), None);
    }
}
