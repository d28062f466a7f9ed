//! Helpers shared by the integration tests that include this module
//! (`mod common;`): running the binary and one temporary-directory type,
//! instead of a copy per file.
#![allow(dead_code)] // each test binary uses its own subset

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `csnas` binary built for this test run with `args`; waits for it.
pub fn csnas<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(args)
        .output()
        .expect("run the csnas binary")
}

/// A finished run's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh directory path under the system temp dir, named after the test
/// binary, `name` and the process id; any stale copy is removed first and the
/// directory is removed on drop. The directory itself is not created (the
/// commands under test create their output directories).
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "csnas-{}-{name}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        TempDir(p)
    }

    /// The path as a command-line argument.
    pub fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
