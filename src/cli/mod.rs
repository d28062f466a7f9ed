//! Command line: parses arguments into validated options and calls the library.

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    0
}
