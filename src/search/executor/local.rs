//! `--executor local --workers N`: N worker processes on this machine.
//!
//! Why processes, not threads: each trial already parallelises its ops over
//! a thread pool; separate processes give each worker its own pool of a
//! fixed size (`--threads` per worker), its own memory, and the same unit of
//! work a Slurm task runs (`csnas trial run`), so the local executor tests
//! the cluster path on one machine. Results are files in the work folder
//! ([`super::WorkDir`]); a driver killed and restarted reuses the finished
//! ones, and a worker orphaned by the kill holds its trial's lock, so the
//! restarted driver's worker waits for it instead of training again.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{Executor, WorkDir};
use crate::error::{Error, Result};
use crate::invalid;
use crate::search::runner::SearchObserver;
use crate::search::trial::{TrialResult, TrialSpec};

/// Runs each trial as `<exe> trial run` in a child process, `workers` at once.
pub struct LocalWorkers {
    /// The csnas binary the workers run.
    pub exe: PathBuf,
    pub workers: usize,
    /// Threads per worker.
    pub threads: usize,
    /// The data source, as `--data` takes it (its digest is checked by each worker).
    pub data: String,
    pub work: WorkDir,
}

impl LocalWorkers {
    fn spawn(&self, spec: &TrialSpec) -> Result<Child> {
        let t = spec.index;
        let log = self.work.output(t);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(|e| Error::io(&log, e))?;
        let err = file.try_clone().map_err(|e| Error::io(&log, e))?;
        Command::new(&self.exe)
            .arg("trial")
            .arg("run")
            .arg("--spec")
            .arg(self.work.spec(t))
            .arg("--out")
            .arg(self.work.result(t))
            .arg("--data")
            .arg(&self.data)
            .arg("--threads")
            .arg(self.threads.to_string())
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| Error::io(&self.exe, e))
    }
}

impl Executor for LocalWorkers {
    fn run_batch(
        &self,
        specs: &[TrialSpec],
        observer: &dyn SearchObserver,
        done: &mut dyn FnMut(TrialResult) -> Result<()>,
    ) -> Result<()> {
        let mut queue = Vec::new();
        for spec in specs {
            match self.work.prepare(spec)? {
                Some(result) => done(result)?,
                None => queue.push(spec),
            }
        }
        queue.reverse();
        let mut running: Vec<(&TrialSpec, Child)> = Vec::new();
        let mut failure: Option<Error> = None;
        while !queue.is_empty() || !running.is_empty() {
            while failure.is_none() && running.len() < self.workers.max(1) {
                let Some(spec) = queue.pop() else { break };
                let (_, genotype) = spec.check()?;
                observer.trial_started(spec.index as usize, &genotype);
                running.push((spec, self.spawn(spec)?));
            }
            if failure.is_some() {
                queue.clear();
            }
            let mut i = 0;
            while i < running.len() {
                let status = (running[i].1.try_wait()).map_err(|e| Error::io(&self.exe, e))?;
                let Some(status) = status else {
                    i += 1;
                    continue;
                };
                let (spec, _) = running.swap_remove(i);
                let outcome = match self.work.finished(spec)? {
                    Some(result) if status.success() => done(result),
                    _ => Err(invalid!(
                        "trial {} failed in its worker ({status}); its output is in {}",
                        spec.index,
                        self.work.output(spec.index).display()
                    )),
                };
                if let Err(e) = outcome {
                    // Let the other workers finish: their results are kept.
                    failure.get_or_insert(e);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        failure.map_or(Ok(()), Err)
    }
}
