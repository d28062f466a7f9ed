//! Ctrl-C: stop long work at a safe point and say how to resume.
//!
//! Why: a search or a training run takes hours, and a person presses Ctrl-C.
//! `search` stops once the trial in progress is in the log
//! ([`StopAfterTrial`]; the log is whole at every instant, atomic appends),
//! saying which command resumes it. `train` with `--checkpoint` finishes the
//! epoch it is in, saves its state and stops. Either way the last line is
//! the exact command that continues the run, and the exit code is 130; a
//! second Ctrl-C stops at once. The handler is installed once per process;
//! each command sets what the interruption does ([`on_interrupt`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::genotype::Genotype;
use crate::ledger::{Hash, TrialRecord};
use crate::search::runner::SearchObserver;

/// What a Ctrl-C does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnInterrupt {
    /// Print the message and exit with code 130 at once.
    Exit(String),
    /// Print the message and let the work stop at its next safe point
    /// ([`requested`]); a second Ctrl-C exits at once.
    AtSafePoint(String),
}

static ACTION: Mutex<Option<OnInterrupt>> = Mutex::new(None);
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the process's Ctrl-C handler (once; later calls do nothing)
/// and sets what it does.
pub fn on_interrupt(action: OnInterrupt) {
    *ACTION.lock().expect("interrupt lock") = Some(action);
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // A handler that cannot be installed (another one is) leaves the
        // default: the process ends, and logs and checkpoints are still
        // whole because every write is atomic.
        let _ = ctrlc::set_handler(handle);
    });
}

fn handle() {
    let action = ACTION.lock().map(|a| a.clone()).unwrap_or(None);
    let again = REQUESTED.swap(true, Ordering::SeqCst);
    match action {
        Some(OnInterrupt::AtSafePoint(message)) if !again => {
            eprintln!("\ninterrupted: {message} (Ctrl-C again to stop now)");
        }
        Some(OnInterrupt::Exit(message)) => {
            eprintln!("\ninterrupted: {message}");
            std::process::exit(130);
        }
        _ => {
            eprintln!("\ninterrupted");
            std::process::exit(130);
        }
    }
}

/// Whether a Ctrl-C asked the work to stop at its next safe point.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// This process's arguments, without the program.
pub fn this_args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// `csnas ARGS…` of this process, quoted where needed, to repeat in a
/// message ("resume with: …").
pub fn this_command() -> String {
    command_line(&this_args())
}

/// `csnas` followed by `args`, each quoted for a POSIX shell where needed.
pub fn command_line(args: &[String]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.is_empty()
                || a.contains(|c: char| c.is_whitespace() || "'\"$`\\|&;<>()*?!#~".contains(c))
            {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a.clone()
            }
        })
        .collect();
    format!("csnas {}", args.join(" "))
}

/// A search observer that, once a Ctrl-C asked for it, stops the process
/// right after a trial's record is appended to the log (exit 130), with the
/// message `interrupted after trial K/N: …; resume with: COMMAND`.
pub struct StopAfterTrial<'a> {
    pub inner: &'a dyn SearchObserver,
    /// Trials in the search.
    pub total: usize,
    /// What follows `interrupted after trial K/N: `.
    pub kept: String,
    /// Run just before exiting (e.g. clear the progress bars).
    pub before_exit: &'a (dyn Fn() + Sync),
}

impl<'a> StopAfterTrial<'a> {
    /// Sets Ctrl-C to stop the search whose log is `log` once the trial in
    /// progress is in it, and returns the observer that does it.
    pub fn install(
        inner: &'a dyn SearchObserver,
        log: &std::path::Path,
        total: usize,
        before_exit: &'a (dyn Fn() + Sync),
    ) -> Self {
        let kept = format!(
            "every finished trial is in {}; resume with: {}",
            log.display(),
            this_command()
        );
        *KEPT.lock().expect("interrupt lock") = Some(kept.clone());
        on_interrupt(OnInterrupt::AtSafePoint(
            "stopping once the trial in progress is in the log".into(),
        ));
        StopAfterTrial {
            inner,
            total,
            kept,
            before_exit,
        }
    }
}

/// What a search interrupted by Ctrl-C kept ([`StopAfterTrial::install`]).
static KEPT: Mutex<Option<String>> = Mutex::new(None);

/// A search's error after a Ctrl-C (worker processes get the terminal's
/// Ctrl-C too and fail their trial) said as the interruption it is: the
/// log still holds every finished trial.
pub fn explain<T>(result: crate::error::Result<T>) -> crate::error::Result<T> {
    let kept = KEPT.lock().ok().and_then(|k| k.clone());
    match (result, kept) {
        (Err(e), Some(kept)) if requested() => Err(crate::error::Error::Interrupted(format!(
            "interrupted ({e}): {kept}"
        ))),
        (result, _) => result,
    }
}

impl SearchObserver for StopAfterTrial<'_> {
    fn resumed(&self, done: usize, total: usize) {
        self.inner.resumed(done, total);
    }
    fn trial_started(&self, t: usize, genotype: &Genotype) {
        self.inner.trial_started(t, genotype);
    }
    fn trial_progress(&self, epoch: usize, batch: usize, batches: usize, loss: f32) {
        self.inner.trial_progress(epoch, batch, batches, loss);
    }
    fn trial_finished(&self, record: &TrialRecord, hash: &Hash) {
        self.inner.trial_finished(record, hash);
        let done = record.index as usize + 1;
        if requested() && done < self.total {
            (self.before_exit)();
            eprintln!(
                "interrupted after trial {done}/{}: {}",
                self.total, self.kept
            );
            std::process::exit(130);
        }
    }
}
