//! Executors: the engines that run a batch's trial specs.
//!
//! Why a seam here: the driver ([`super::driver`]) owns the log and the
//! order results enter it; an executor only turns specs into results, in any
//! order. So the same search gives the same head in this process, in N local
//! worker processes ([`local`]) or as a Slurm job array ([`slurm`]).
//!
//! The process executors share one layout in a work folder (`<log>/work/`,
//! [`WorkDir`]): `trial-<t>.spec` (written by the driver), `trial-<t>.result`
//! (written atomically by `csnas trial run`), and beside the result its
//! `.lock` and `.runs` ([`super::trial::run_spec_file`]) and the worker's
//! output `trial-<t>.log`. A result already there for the same spec is used
//! as it is: this is how a restarted driver skips finished trials.

use std::path::{Path, PathBuf};

use super::runner::{SearchObserver, TrialRunner};
use super::trial::{TrialResult, TrialSpec, read_result, run_spec, write_file};
use crate::error::{Error, Result};

pub mod local;
pub mod slurm;

/// Runs trial specs; see the module doc.
pub trait Executor {
    /// Runs `specs` (trials of one batch, ascending index) and calls `done`
    /// with each result as it arrives, in any order; an error from `done`
    /// stops the batch.
    fn run_batch(
        &self,
        specs: &[TrialSpec],
        observer: &dyn SearchObserver,
        done: &mut dyn FnMut(TrialResult) -> Result<()>,
    ) -> Result<()>;
}

/// Runs each trial in this process, one after the other, with the search's
/// thread pool: the embedded default, and the only executor that reports
/// progress within a trial.
pub struct InProcess<'a> {
    pub runner: &'a dyn TrialRunner,
}

impl Executor for InProcess<'_> {
    fn run_batch(
        &self,
        specs: &[TrialSpec],
        observer: &dyn SearchObserver,
        done: &mut dyn FnMut(TrialResult) -> Result<()>,
    ) -> Result<()> {
        for spec in specs {
            let (_, genotype) = spec.check()?;
            observer.trial_started(spec.index as usize, &genotype);
            let mut progress = |e, b, n, l| observer.trial_progress(e, b, n, l);
            done(run_spec(spec, self.runner, &mut progress)?)?;
        }
        Ok(())
    }
}

/// The shared work folder of the process executors (module doc).
#[derive(Clone, Debug)]
pub struct WorkDir(pub PathBuf);

impl WorkDir {
    /// `<log>/work`, created if missing, as an absolute path (Slurm tasks
    /// may start in another folder).
    pub fn of_log(log: &Path) -> Result<WorkDir> {
        let dir = log.join("work");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let dir = std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(WorkDir(dir))
    }
    pub fn spec(&self, t: u64) -> PathBuf {
        self.0.join(format!("trial-{t}.spec"))
    }
    pub fn result(&self, t: u64) -> PathBuf {
        self.0.join(format!("trial-{t}.result"))
    }
    pub fn output(&self, t: u64) -> PathBuf {
        self.0.join(format!("trial-{t}.log"))
    }

    /// Writes `spec`'s file (unless it already holds these bytes) and returns
    /// the finished result for it, if there is one.
    pub fn prepare(&self, spec: &TrialSpec) -> Result<Option<TrialResult>> {
        let path = self.spec(spec.index);
        let bytes = spec.to_bytes();
        if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            write_file(&path, &bytes)?;
        }
        self.finished(spec)
    }

    /// The result file of `spec`'s trial, if it holds a result for this spec.
    pub fn finished(&self, spec: &TrialSpec) -> Result<Option<TrialResult>> {
        let result = read_result(&self.result(spec.index))?;
        Ok(result.filter(|r| r.spec == spec.hash()))
    }
}
