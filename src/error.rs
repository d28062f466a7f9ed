//! One error type for the library, carrying the exit code the CLI should use.
//!
//! Why: DESIGN asks for one-line errors that name the file, flag or value to
//! fix, with exit code 2 for bad usage or bad input and 1 for a failed check.
//! Keeping that classification in the error itself lets `main.rs` stay thin.

use std::fmt;
use std::path::{Path, PathBuf};

/// Library result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every way a csnas call can fail.
#[derive(Debug)]
pub enum Error {
    /// Bad input or usage: a malformed genotype, an unknown name, a file that
    /// does not fit. Exit code 2.
    Invalid(String),
    /// An I/O failure on a named file. Exit code 2.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A check ran and failed (audit, replay, verify). Exit code 1.
    CheckFailed(String),
    /// The build lacks a capability (e.g. the `cuda` feature). Exit code 2.
    Unsupported(String),
    /// Stopped by Ctrl-C at a safe point; the message says what was kept and
    /// how to resume. Exit code 130 (the shell's code for SIGINT).
    Interrupted(String),
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl AsRef<Path>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// The process exit code the CLI uses for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CheckFailed(_) => 1,
            Error::Interrupted(_) => 130,
            _ => 2,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(m)
            | Error::CheckFailed(m)
            | Error::Unsupported(m)
            | Error::Interrupted(m) => f.write_str(m),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `bail!`-style helper: `return Err(invalid!("bad {x}"))`.
#[macro_export]
macro_rules! invalid {
    ($($arg:tt)*) => { $crate::error::Error::Invalid(format!($($arg)*)) };
}
