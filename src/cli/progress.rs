//! Progress bars for long-running commands: on stderr, with loss and ETA.
//!
//! Why one helper: every training command reports progress the same way.
//! indicatif's stderr target hides itself when stderr is not a terminal
//! (piped or redirected output gets no escape codes); `--quiet` hides it
//! always. Bars never touch stdout, which carries the results.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar of `len` steps labelled `what`, hidden when `quiet`.
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let pb = ProgressBar::with_draw_target(Some(len), target);
    let style = ProgressStyle::with_template(
        "{prefix} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg} (ETA {eta})",
    )
    .expect("valid template");
    pb.set_style(style);
    pb.set_prefix(what.to_string());
    pb
}
