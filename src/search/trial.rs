//! A trial as a unit any engine can run: a spec file in, a result file out.
//!
//! Why: a trial is a pure function of its hashed spec — the search's config
//! record, the trial's index, its proposed choices and genotype, and the ids
//! of the streams it draws from — so any engine (a local worker process, a
//! Slurm array task, another machine) can run it, and the driver merges the
//! results into the log in trial order, whoever finished first.
//!
//! Files (canonical CBOR, like the log's records, `crate::ledger::record`):
//! - spec: `["csnas/trial-spec", config record, index, [choices], genotype,
//!   [streams]]`;
//! - result: `["csnas/trial-result", spec hash, trial record, [[key, value]]]`:
//!   the trial record holds exactly the fields the log hashes, its `parent`
//!   all zero (a worker cannot know it: the driver sets it when it merges);
//!   the pairs are facts that are not deterministic (host, pid, threads, wall
//!   time, Slurm job), which the log keeps beside the record, never in it.
//!
//! [`run_spec_file`] is what `csnas trial run` does. Every write is atomic
//! (temporary file, fsync, rename), so a result file is either absent or
//! whole: on shared storage it is the durable unit of a search. An exclusive
//! lock on `<out>.lock` makes a second runner of the same trial (a driver
//! restarted while an orphaned worker still runs) wait, then find the
//! result and not train again; every training start is appended to
//! `<out>.runs`, so tests can count them.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use ciborium::Value;

use super::config::SearchConfig;
use super::runner::{TrialRunner, trial_record, trial_root, trial_streams};
use crate::error::{Error, Result};
use crate::genotype::Genotype;
use crate::invalid;
use crate::ledger::record::{Fields, as_text, as_uint, from_value, hash, text, uint};
use crate::ledger::{ConfigRecord, Hash, Record, TrialRecord};
use crate::train::trial::Progress;

const SPEC_TAG: &str = "csnas/trial-spec";
const RESULT_TAG: &str = "csnas/trial-result";

/// What a worker needs to run trial `index` of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialSpec {
    /// The search's config record, as its log holds it.
    pub config: ConfigRecord,
    pub index: u64,
    /// The proposed choices (the log's `choices`).
    pub choices: Vec<u64>,
    /// The genotype they decode to, DARTS text form.
    pub genotype: String,
    /// The stream ids the trial draws from (the log's `streams`).
    pub streams: Vec<String>,
}

/// What a worker hands back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialResult {
    /// [`TrialSpec::hash`] of the spec it ran.
    pub spec: Hash,
    /// The trial's record with `parent` all zero.
    pub trial: TrialRecord,
    /// Unhashed facts about the run, e.g. `host`, `wall_seconds`.
    pub facts: Vec<(String, String)>,
}

impl TrialSpec {
    /// The spec of trial `t` of the search whose log starts with `record`
    /// (`config` decoded from it), proposing `choices`.
    pub fn new(
        config: &SearchConfig,
        record: &ConfigRecord,
        t: usize,
        choices: &[usize],
    ) -> Result<TrialSpec> {
        let genotype = config.space.decode(choices)?;
        Ok(TrialSpec {
            config: record.clone(),
            index: t as u64,
            choices: choices.iter().map(|&c| c as u64).collect(),
            genotype: genotype.to_darts_string(),
            streams: trial_streams(config, t),
        })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let value = Value::Array(vec![
            text(SPEC_TAG),
            Record::Config(self.config.clone()).to_value(),
            uint(self.index),
            Value::Array(self.choices.iter().map(|&c| uint(c)).collect()),
            text(&self.genotype),
            Value::Array(self.streams.iter().map(|s| text(s)).collect()),
        ]);
        to_cbor(&value)
    }

    /// Decodes canonical bytes (anything else is refused, with the reason).
    pub fn from_bytes(bytes: &[u8]) -> Result<TrialSpec> {
        let mut f = Fields::of(read_tagged(bytes, SPEC_TAG)?, 6, "trial spec")?;
        f.next();
        let config = match from_value(f.next())? {
            Record::Config(c) => c,
            Record::Trial(_) => return Err(invalid!("trial spec: expected a config record")),
        };
        let spec = TrialSpec {
            config,
            index: f.uint("index")?,
            choices: (f.array("choices")?.into_iter())
                .map(|c| as_uint(c, "choice"))
                .collect::<Result<_>>()?,
            genotype: f.text("genotype")?,
            streams: (f.array("streams")?.into_iter())
                .map(|s| as_text(s, "stream"))
                .collect::<Result<_>>()?,
        };
        if spec.to_bytes() != bytes {
            return Err(invalid!("trial spec: not in canonical form"));
        }
        Ok(spec)
    }

    /// blake3 of [`Self::to_bytes`].
    pub fn hash(&self) -> Hash {
        blake3::hash(&self.to_bytes())
    }

    /// The config and genotype, after checking that the spec is one the
    /// search writes: a canonical config record, choices that decode to the
    /// genotype, the trial's own streams.
    pub fn check(&self) -> Result<(SearchConfig, Genotype)> {
        let config = SearchConfig::from_record(&self.config)?;
        let choices: Vec<usize> = self.choices.iter().map(|&c| c as usize).collect();
        let genotype = config.space.decode(&choices)?;
        let t = self.index as usize;
        if genotype.to_darts_string() != self.genotype {
            return Err(invalid!(
                "trial spec {t}: genotype '{}' is not what its choices decode to",
                self.genotype
            ));
        }
        if self.streams != trial_streams(&config, t) {
            return Err(invalid!(
                "trial spec {t}: streams {:?}, expected {:?}",
                self.streams,
                trial_streams(&config, t)
            ));
        }
        Ok((config, genotype))
    }
}

impl TrialResult {
    pub fn to_bytes(&self) -> Vec<u8> {
        let value = Value::Array(vec![
            text(RESULT_TAG),
            hash(&self.spec),
            Record::Trial(self.trial.clone()).to_value(),
            Value::Array(
                (self.facts.iter())
                    .map(|(k, v)| Value::Array(vec![text(k), text(v)]))
                    .collect(),
            ),
        ]);
        to_cbor(&value)
    }

    /// Decodes canonical bytes (anything else is refused, with the reason).
    pub fn from_bytes(bytes: &[u8]) -> Result<TrialResult> {
        let mut f = Fields::of(read_tagged(bytes, RESULT_TAG)?, 4, "trial result")?;
        f.next();
        let spec = f.hash("spec")?;
        let trial = match from_value(f.next())? {
            Record::Trial(t) => t,
            Record::Config(_) => return Err(invalid!("trial result: expected a trial record")),
        };
        let facts = (f.array("facts")?.into_iter())
            .map(|p| {
                let mut kv = Fields::of(p, 2, "fact")?;
                Ok((kv.text("key")?, kv.text("value")?))
            })
            .collect::<Result<_>>()?;
        let result = TrialResult { spec, trial, facts };
        if result.to_bytes() != bytes {
            return Err(invalid!("trial result: not in canonical form"));
        }
        Ok(result)
    }

    /// The log's record: the result's trial with its parent set.
    pub fn into_record(self, parent: Hash) -> TrialRecord {
        TrialRecord {
            parent,
            ..self.trial
        }
    }
}

/// Runs `spec` with `runner` (checked first with [`TrialSpec::check`]).
pub fn run_spec(
    spec: &TrialSpec,
    runner: &dyn TrialRunner,
    progress: Progress<'_>,
) -> Result<TrialResult> {
    let (config, genotype) = spec.check()?;
    let t = spec.index as usize;
    let started = SystemTime::now();
    let clock = Instant::now();
    let outcome = runner.run(t, &genotype, &trial_root(config.seed, t), progress)?;
    let choices: Vec<usize> = spec.choices.iter().map(|&c| c as usize).collect();
    let zero = Hash::from_bytes([0; 32]);
    let trial = trial_record(&config, t, zero, &choices, &genotype, &outcome);
    let mut facts = vec![
        ("host".to_owned(), crate::ledger::store::host_name()),
        ("pid".to_owned(), std::process::id().to_string()),
        (
            "threads".to_owned(),
            crate::parallel::current_threads().to_string(),
        ),
        (
            "started_unix".to_owned(),
            started
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
                .to_string(),
        ),
        (
            "wall_seconds".to_owned(),
            format!("{:.3}", clock.elapsed().as_secs_f64()),
        ),
    ];
    for var in ["SLURM_JOB_ID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID"] {
        if let Ok(v) = std::env::var(var) {
            facts.push((var.to_ascii_lowercase(), v));
        }
    }
    Ok(TrialResult {
        spec: spec.hash(),
        trial,
        facts,
    })
}

/// What [`run_spec_file`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecRun {
    /// Trained and wrote the result.
    Ran,
    /// A result for this very spec was already there; nothing was trained.
    AlreadyDone,
}

/// `csnas trial run`: reads the spec at `spec_path`, and unless `out`
/// already holds its result, builds a runner with `make_runner` (given the
/// spec's config), runs the trial and writes the result atomically. Holds
/// the lock `<out>.lock` throughout and appends one line per training start
/// to `<out>.runs` (module doc).
pub fn run_spec_file(
    spec_path: &Path,
    out: &Path,
    make_runner: &dyn Fn(&SearchConfig) -> Result<Box<dyn TrialRunner>>,
    progress: Progress<'_>,
) -> Result<SpecRun> {
    let bytes = std::fs::read(spec_path).map_err(|e| Error::io(spec_path, e))?;
    let spec =
        TrialSpec::from_bytes(&bytes).map_err(|e| invalid!("{}: {e}", spec_path.display()))?;
    let (config, _) = spec
        .check()
        .map_err(|e| invalid!("{}: {e}", spec_path.display()))?;
    let lock_path = suffixed(out, ".lock");
    let lock = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    lock.lock().map_err(|e| Error::io(&lock_path, e))?;
    if read_result(out)?.is_some_and(|r| r.spec == spec.hash()) {
        return Ok(SpecRun::AlreadyDone);
    }
    let runs = suffixed(out, ".runs");
    let mut journal = OpenOptions::new()
        .append(true)
        .create(true)
        .open(&runs)
        .map_err(|e| Error::io(&runs, e))?;
    let line = format!(
        "start trial {} pid {} host {}\n",
        spec.index,
        std::process::id(),
        crate::ledger::store::host_name()
    );
    journal
        .write_all(line.as_bytes())
        .and_then(|()| journal.sync_all())
        .map_err(|e| Error::io(&runs, e))?;
    let runner = make_runner(&config)?;
    let result = run_spec(&spec, runner.as_ref(), progress)?;
    write_file(out, &result.to_bytes())?;
    Ok(SpecRun::Ran)
}

/// The result in `path`; `None` when there is no file (a partial file cannot
/// exist: writes are atomic). A file that does not decode is an error naming it.
pub fn read_result(path: &Path) -> Result<Option<TrialResult>> {
    match std::fs::read(path) {
        Ok(bytes) => TrialResult::from_bytes(&bytes)
            .map(Some)
            .map_err(|e| invalid!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, e)),
    }
}

/// Writes `path` atomically (temporary name, fsync, rename, fsync the folder).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| invalid!("{}: not a file name", path.display()))?;
    crate::ledger::store::write_atomic(dir, &name.to_string_lossy(), bytes)
}

/// `path` with `suffix` appended to its file name.
pub fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn to_cbor(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing to a Vec cannot fail");
    out
}

/// The CBOR value in `bytes`, an array whose first item is `tag`.
fn read_tagged(bytes: &[u8], tag: &str) -> Result<Value> {
    let value: Value = ciborium::from_reader(bytes).map_err(|e| invalid!("not CBOR: {e}"))?;
    match &value {
        Value::Array(a) if a.first().and_then(Value::as_text) == Some(tag) => Ok(value),
        _ => Err(invalid!("not a {tag} file (no such type tag)")),
    }
}

#[cfg(test)]
mod tests;
