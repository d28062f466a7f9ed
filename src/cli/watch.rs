//! Watching a search: bars on a terminal, one line per trial elsewhere.
//!
//! Why: a search runs for hours, often under `nohup` or a scheduler whose
//! log is a file. Progress bars hide themselves there, which left such a
//! log silent until the end. So when stderr is not a terminal, each
//! finished trial prints one plain line — index, objective, best so far,
//! the trial's wall time and the ETA of the rest — and on a terminal the
//! bars show the same ETA and best. Nothing here touches stdout or the log.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use super::progress::duration_text as show_duration;
use crate::genotype::Genotype;
use crate::ledger::{Hash, TrialRecord, TrialStatus};
use crate::search::runner::SearchObserver;

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Nothing (`--quiet`).
    Quiet,
    /// Progress bars (stderr is a terminal).
    Bars,
    /// One line per finished trial on stderr (stderr is a file or pipe).
    Lines,
}

impl Mode {
    /// Bars on a terminal, lines otherwise, nothing when `quiet`.
    pub fn for_stderr(quiet: bool) -> Mode {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        }
    }
}

/// What the watcher counts.
#[derive(Debug)]
struct Tally {
    total: usize,
    done: usize,
    /// Trials finished by this process (the ETA's sample).
    ran: usize,
    since: Instant,
    /// Start of each trial still running (several with workers in parallel).
    started: std::collections::BTreeMap<u64, Instant>,
    best: Option<(u64, f64)>,
}

/// A [`SearchObserver`] that shows progress as [`Mode`] says, writing lines
/// to `sink` (stderr in the CLI).
pub struct Watch {
    mode: Mode,
    tally: Mutex<Tally>,
    bars: Option<(ProgressBar, ProgressBar, MultiProgress)>,
    sink: Mutex<Box<dyn Write + Send>>,
}

impl Watch {
    /// A watcher in `mode` writing its lines to stderr.
    pub fn new(mode: Mode) -> Watch {
        Watch::with_sink(mode, Box::new(std::io::stderr()))
    }

    /// A watcher writing its lines to `sink`.
    pub fn with_sink(mode: Mode, sink: Box<dyn Write + Send>) -> Watch {
        let bars = (mode == Mode::Bars).then(|| {
            let multi = MultiProgress::new();
            let style = |t: &str| ProgressStyle::with_template(t).expect("valid template");
            let search = multi.add(ProgressBar::new(0));
            search.set_style(style(
                "trials {pos}/{len} [{bar:30}] {elapsed} (ETA {eta}) {msg}",
            ));
            let trial = multi.add(ProgressBar::new(0));
            trial.set_style(style("  epoch {msg} [{bar:30}] {pos}/{len} batches"));
            (search, trial, multi)
        });
        let now = Instant::now();
        Watch {
            mode,
            tally: Mutex::new(Tally {
                total: 0,
                done: 0,
                ran: 0,
                since: now,
                started: Default::default(),
                best: None,
            }),
            bars,
            sink: Mutex::new(sink),
        }
    }

    /// Clears the bars at the end of the search.
    pub fn finish(&self) {
        if let Some((search, trial, _)) = &self.bars {
            trial.finish_and_clear();
            search.finish();
        }
    }
}

/// `trial 17/120: objective 4.158883, best 3.9 (trial 12), 41.2s, ETA 1h10m`.
pub fn trial_line(
    record: &TrialRecord,
    total: usize,
    best: Option<(u64, f64)>,
    seconds: f64,
    eta: Option<f64>,
) -> String {
    let objective = match (&record.status, record.objective) {
        (TrialStatus::Ok, Some(o)) => format!("objective {:.6}", o.to_f64()),
        (TrialStatus::Diverged { .. }, _) => "diverged".into(),
        (TrialStatus::Failed { reason }, _) => format!("failed ({reason})"),
        (TrialStatus::Ok, None) => "no objective".into(),
    };
    let best = best.map_or("best -".into(), |(i, b)| format!("best {b:.6} (trial {i})"));
    format!(
        "trial {}/{total}: {objective}, {best}, {}, ETA {}",
        record.index + 1,
        show_duration(Some(seconds)),
        show_duration(eta)
    )
}

impl SearchObserver for Watch {
    fn resumed(&self, done: usize, total: usize) {
        let mut t = self.tally.lock().expect("tally lock");
        t.total = total;
        t.done = done;
        t.since = Instant::now();
        if let Some((search, _, _)) = &self.bars {
            search.set_length(total as u64);
            search.set_position(done as u64);
        }
        if self.mode == Mode::Lines && done > 0 {
            let mut sink = self.sink.lock().expect("sink lock");
            let _ = writeln!(sink, "resumed: {done} of {total} trials already in the log");
        }
    }

    fn trial_started(&self, index: usize, _genotype: &Genotype) {
        let mut t = self.tally.lock().expect("tally lock");
        t.started.insert(index as u64, Instant::now());
        drop(t);
        if let Some((search, trial, _)) = &self.bars {
            search.set_message(format!("trial {index}"));
            trial.set_position(0);
        }
    }

    fn trial_progress(&self, epoch: usize, batch: usize, batches: usize, loss: f32) {
        if let Some((_, trial, _)) = &self.bars {
            trial.set_length(batches as u64);
            trial.set_position(batch as u64 + 1);
            trial.set_message(format!("{epoch}, loss {loss:.4}"));
        }
    }

    fn trial_finished(&self, record: &TrialRecord, _hash: &Hash) {
        let mut t = self.tally.lock().expect("tally lock");
        t.done += 1;
        t.ran += 1;
        if record.status == TrialStatus::Ok
            && let Some(o) = record.objective.map(|o| o.to_f64())
            && t.best.is_none_or(|(_, b)| o < b)
        {
            t.best = Some((record.index, o));
        }
        let started = t.started.remove(&record.index).unwrap_or(t.since);
        let seconds = started.elapsed().as_secs_f64();
        let per_trial = t.since.elapsed().as_secs_f64() / t.ran as f64;
        let left = t.total.saturating_sub(t.done);
        let eta = Some(per_trial * left as f64);
        match self.mode {
            Mode::Quiet => {}
            Mode::Bars => {
                if let Some((search, _, _)) = &self.bars {
                    search.inc(1);
                    let best = t
                        .best
                        .map_or("-".into(), |(i, b)| format!("{b:.4} (trial {i})"));
                    search.set_message(format!("best {best}"));
                }
            }
            Mode::Lines => {
                let line = trial_line(record, t.total, t.best, seconds, eta);
                let mut sink = self.sink.lock().expect("sink lock");
                let _ = writeln!(sink, "{line}");
                let _ = sink.flush();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Exact;
    use std::sync::Arc;

    /// A sink the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn record(index: u64, objective: f32, status: TrialStatus) -> TrialRecord {
        TrialRecord {
            index,
            parent: blake3::hash(b""),
            genotype: String::new(),
            genotype_hash: blake3::hash(b"g"),
            choices: vec![],
            streams: vec![],
            epoch_losses: vec![Exact::from_f32(objective)],
            objective: Some(Exact::from_f32(objective)),
            weights_digest: None,
            status,
        }
    }

    #[test]
    fn lines_mode_prints_one_line_per_trial_with_best_and_eta() {
        let sink = Shared::default();
        let w = Watch::with_sink(Mode::Lines, Box::new(sink.clone()));
        w.resumed(1, 4);
        let h = blake3::hash(b"");
        w.trial_finished(&record(1, 2.5, TrialStatus::Ok), &h);
        w.trial_finished(&record(2, 3.0, TrialStatus::Ok), &h);
        let diverged = TrialStatus::Diverged {
            reason: "nan".into(),
        };
        w.trial_finished(&record(3, f32::INFINITY, diverged), &h);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "resumed: 1 of 4 trials already in the log");
        assert!(
            lines[1].starts_with("trial 2/4: objective 2.500000, best 2.500000 (trial 1), "),
            "{text}"
        );
        assert!(lines[2].contains("objective 3.000000, best 2.500000 (trial 1)"));
        assert!(lines[3].starts_with("trial 4/4: diverged, best 2.500000 (trial 1)"));
        assert!(lines[3].ends_with("ETA 0.0s"), "{text}");
    }

    #[test]
    fn quiet_mode_writes_nothing() {
        let sink = Shared::default();
        let w = Watch::with_sink(Mode::Quiet, Box::new(sink.clone()));
        w.resumed(0, 2);
        w.trial_finished(&record(0, 1.0, TrialStatus::Ok), &blake3::hash(b""));
        assert!(sink.0.lock().unwrap().is_empty());
    }
}
