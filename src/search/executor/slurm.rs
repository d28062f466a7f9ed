//! `--executor slurm`: each batch as one Slurm job array.
//!
//! Why job arrays: one `sbatch --array` per batch is one scheduler request
//! whatever K is, and `SLURM_ARRAY_TASK_ID` is the trial's index, so task
//! `t` runs `csnas trial run` on `work/trial-<t>.spec`. The driver and the
//! tasks share the log's folder (on a cluster: a file system every node
//! mounts). The driver waits for the array to leave the queue, merging each
//! result as it appears; tasks that ended without a result (failed,
//! cancelled, pre-empted, out of time) are submitted again, at most
//! `retries` times, and only those.
//!
//! Resuming: the id of each batch's newest array is kept in
//! `work/batch-<first>.job` (every submission is also appended to
//! `work/batch-<first>.submissions`). A driver restarted while that array is still
//! queued or running waits for it instead of submitting the batch again, and
//! finished results are never recomputed ([`super::WorkDir`]), so killing
//! the driver at any instant costs no finished trial.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::{Executor, WorkDir};
use crate::error::{Error, Result};
use crate::invalid;
use crate::search::runner::SearchObserver;
use crate::search::trial::{TrialResult, TrialSpec, write_file};

/// Submits batches to Slurm with `sbatch`, watches them with `squeue`.
pub struct SlurmArrays {
    /// The csnas binary the tasks run, as the compute nodes see it.
    pub exe: PathBuf,
    /// Threads per task (`--cpus-per-task` and `csnas trial run --threads`).
    pub threads: usize,
    /// The data source, as `--data` takes it, as the compute nodes see it.
    pub data: String,
    pub work: WorkDir,
    /// Passed to `sbatch` as they are, e.g. `--partition=gpu`, `--gres=gpu:1`,
    /// `--time=02:00:00`.
    pub options: Vec<String>,
    /// Submissions of a batch's unfinished tasks after the first.
    pub retries: usize,
    /// How often the queue and the result files are looked at.
    pub poll: Duration,
}

/// Whether Slurm's `sbatch` is on the `PATH`.
pub fn slurm_available() -> bool {
    Command::new("sbatch")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl SlurmArrays {
    fn job_file(&self, first: u64) -> PathBuf {
        self.work.0.join(format!("batch-{first}.job"))
    }

    /// The job script: the array task's id is the trial's index.
    fn script(&self) -> String {
        let w = &self.work;
        format!(
            "#!/bin/sh\n# csnas: one trial of a search per array task (SLURM_ARRAY_TASK_ID = trial index).\n\
             t=\"$SLURM_ARRAY_TASK_ID\"\n\
             exec {} trial run --spec {}/trial-\"$t\".spec --out {}/trial-\"$t\".result --data {} --threads {}\n",
            quote(&self.exe.to_string_lossy()),
            quote(&w.0.to_string_lossy()),
            quote(&w.0.to_string_lossy()),
            quote(&self.data),
            self.threads
        )
    }

    /// Submits the array of `trials`; its job id.
    fn submit(&self, first: u64, trials: &[u64]) -> Result<String> {
        let script = self.work.0.join(format!("batch-{first}.sh"));
        write_file(&script, self.script().as_bytes())?;
        let list: Vec<String> = trials.iter().map(|t| t.to_string()).collect();
        let mut cmd = Command::new("sbatch");
        cmd.arg("--parsable")
            .arg(format!("--array={}", list.join(",")))
            .arg(format!("--job-name=csnas-{first}"))
            .arg(format!("--cpus-per-task={}", self.threads))
            .arg(format!(
                "--output={}",
                self.work.0.join("trial-%a.log").display()
            ))
            .arg("--open-mode=append")
            .args(&self.options)
            .arg(&script);
        let out = cmd
            .output()
            .map_err(|e| invalid!("cannot run sbatch ({e}): is Slurm installed here?"))?;
        if !out.status.success() {
            return Err(invalid!(
                "sbatch refused the array of trials {list:?} (options {:?}): {}",
                self.options,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        // `--parsable` prints `jobid` or `jobid;cluster`.
        let id = text.trim().split(';').next().unwrap_or("").to_owned();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid!("sbatch printed no job id: '{}'", text.trim()));
        }
        write_file(&self.job_file(first), format!("{id}\n").as_bytes())?;
        let log = self.work.0.join(format!("batch-{first}.submissions"));
        let line = format!("{id} array={}\n", list.join(","));
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .map_err(|e| Error::io(&log, e))?;
        Ok(id)
    }

    /// The job recorded for the batch starting at `first`, if it is still
    /// in the queue.
    fn queued_job(&self, first: u64) -> Result<Option<String>> {
        let Ok(text) = std::fs::read_to_string(self.job_file(first)) else {
            return Ok(None);
        };
        let id = text.trim().to_owned();
        Ok(in_queue(&id)?.then_some(id))
    }
}

/// Whether job `id` (any of its array tasks) is still pending or running.
fn in_queue(id: &str) -> Result<bool> {
    let out = Command::new("squeue")
        .args(["-h", "-o", "%i", "-j", id])
        .output()
        .map_err(|e| invalid!("cannot run squeue ({e}): is Slurm installed here?"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        // A job that left the queue long ago is unknown to squeue.
        if stderr.contains("Invalid job id") {
            return Ok(false);
        }
        return Err(invalid!("squeue -j {id} failed: {}", stderr.trim()));
    }
    Ok(!String::from_utf8_lossy(&out.stdout).trim().is_empty())
}

impl Executor for SlurmArrays {
    fn run_batch(
        &self,
        specs: &[TrialSpec],
        observer: &dyn SearchObserver,
        done: &mut dyn FnMut(TrialResult) -> Result<()>,
    ) -> Result<()> {
        let Some(first) = specs.first().map(|s| s.index) else {
            return Ok(());
        };
        let mut missing = Vec::new();
        for spec in specs {
            match self.work.prepare(spec)? {
                Some(result) => done(result)?,
                None => missing.push(spec),
            }
        }
        let mut submissions = 0;
        let mut job = self.queued_job(first)?;
        let mut squeue_errors = 0;
        while !missing.is_empty() {
            let id = match job.take() {
                Some(id) => id,
                None if submissions > self.retries => {
                    let trials: Vec<u64> = missing.iter().map(|s| s.index).collect();
                    return Err(invalid!(
                        "Slurm tasks for trials {trials:?} ended without a result after {} \
                         submissions; their output is in {}/trial-<t>.log",
                        submissions,
                        self.work.0.display()
                    ));
                }
                None => {
                    for spec in &missing {
                        let (_, genotype) = spec.check()?;
                        observer.trial_started(spec.index as usize, &genotype);
                    }
                    let trials: Vec<u64> = missing.iter().map(|s| s.index).collect();
                    submissions += 1;
                    self.submit(first, &trials)?
                }
            };
            loop {
                let queued = match in_queue(&id) {
                    Ok(q) => q,
                    // The controller may be briefly unreachable: try again.
                    Err(e) if squeue_errors < 30 => {
                        squeue_errors += 1;
                        eprintln!("warning: {e}; trying again");
                        true
                    }
                    Err(e) => return Err(e),
                };
                let mut still = Vec::new();
                for spec in missing {
                    match self.work.finished(spec)? {
                        Some(result) => done(result)?,
                        None => still.push(spec),
                    }
                }
                missing = still;
                if !queued || missing.is_empty() {
                    break;
                }
                std::thread::sleep(self.poll);
            }
        }
        Ok(())
    }
}

/// `s` as one word for `sh`: single-quoted, `'` written as `'\''`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
