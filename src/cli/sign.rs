//! `csnas sign DIR --key KEYFILE` and `csnas sign --new-key FILE`: an
//! author's ed25519 signature over a log's head and trial count.
//!
//! Why here: key files and the signature file are formats of
//! [`crate::ledger::sign`]; this file only picks between making a key and
//! signing, and says where each file went.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::write_out;
use crate::error::{Error, Result};
use crate::ledger::sign::{self, SIGNATURE_FILE, hex};

/// Arguments of `csnas sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// The search log's directory to sign (its chain is checked first).
    #[arg(value_name = "DIR", required_unless_present = "new_key")]
    pub dir: Option<PathBuf>,
    /// The secret key file to sign with (from --new-key; mode 0600)
    /// [default: none; required with DIR].
    #[arg(long, value_name = "KEYFILE", requires = "dir")]
    pub key: Option<PathBuf>,
    /// Make a new key pair: the secret key in FILE (mode 0600), the public
    /// key in FILE.pub and on stdout; never overwrites [default: none].
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dir", "key"])]
    pub new_key: Option<PathBuf>,
}

/// Runs `csnas sign`.
pub fn run(args: SignArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(path) = &args.new_key {
        let (public, pub_path) = sign::new_key(path)?;
        return write_out(
            out,
            &format!(
                "secret key: {} (mode 0600; keep it private)\npublic key: {} ({})\n",
                path.display(),
                hex(&public),
                pub_path.display()
            ),
        );
    }
    let (Some(dir), Some(key)) = (&args.dir, &args.key) else {
        return Err(Error::invalid(
            "csnas sign DIR needs --key KEYFILE (make one with csnas sign --new-key FILE)",
        ));
    };
    let key = sign::read_secret_key(key)?;
    let file = sign::sign(dir, &key)?;
    write_out(
        out,
        &format!(
            "signed head {} ({} trials) with public key {}: {}\n",
            file.head.to_hex(),
            file.trials,
            hex(&file.public_key),
            dir.join(SIGNATURE_FILE).display()
        ),
    )
}
