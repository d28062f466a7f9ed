//! Ctrl-C: stop long work at a safe point and say how to resume.
//!
//! Why: a search or a training run takes hours, and a person presses Ctrl-C.
//! A search's log is safe at every instant (atomic appends), so `search`
//! stops at once, saying that the finished trials are kept and which
//! command resumes. `train` with `--checkpoint` finishes the epoch it is in,
//! saves its state and stops; a second Ctrl-C stops at once. The handler is
//! installed once per process ([`install`]); each command sets what the
//! interruption does ([`on_interrupt`]).

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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

/// `csnas ARGS…` of this process, quoted where needed, to repeat in a
/// message ("resume with: …").
pub fn this_command() -> String {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| {
            if a.is_empty()
                || a.contains(|c: char| c.is_whitespace() || "'\"$`\\|&;<>()*?".contains(c))
            {
                format!("'{}'", a.replace('\'', "'\\''"))
            } else {
                a
            }
        })
        .collect();
    format!("csnas {}", args.join(" "))
}
