//! Progress bars on stderr, shared by the long-running commands.
//!
//! Why one place: every command shows progress the same way (ripgrep and
//! hyperfine habit): on stderr, never mixed into results on stdout, and hidden
//! when stderr is not a terminal or the user asked for quiet.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `len` steps titled `prefix`, with a message slot (e.g. the running
/// loss) and the ETA; hidden when `quiet` or stderr is not a terminal.
pub fn bar(len: u64, prefix: String, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ETA {eta}")
        .expect("a valid template")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(prefix);
    bar
}
