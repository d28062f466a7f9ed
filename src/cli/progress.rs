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

/// `41.2s`, `12m05s`, `3h02m`; `-` when unknown.
pub fn duration_text(seconds: Option<f64>) -> String {
    let Some(s) = seconds.filter(|s| s.is_finite() && *s >= 0.0) else {
        return "-".into();
    };
    if s < 60.0 {
        format!("{s:.1}s")
    } else if s < 3600.0 {
        format!("{}m{:02}s", (s / 60.0) as u64, s as u64 % 60)
    } else {
        format!("{}h{:02}m", (s / 3600.0) as u64, (s as u64 % 3600) / 60)
    }
}
