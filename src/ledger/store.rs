//! The on-disk search log: one directory, safe against crashes and rivals.
//!
//! Layout:
//! - `records/<hex>.cbor`: each record's canonical bytes, named by their blake3;
//! - `HEAD`: the hex hash of the newest record and a newline;
//! - `LOCK`: the lock file; while a writer holds it, it names the writer's
//!   pid and host;
//! - `meta/<hex>.txt`: `key=value` facts about a record that are not
//!   deterministic (time, host, version); never hashed (DESIGN 3.1.5).
//!
//! Crash safety: every file is written to a temporary name, fsynced, renamed
//! over its final name, and the directory fsynced. An append writes the record
//! first and HEAD last, so until HEAD's rename the log is the old one (an
//! orphan record file is harmless, and rewritten identically on retry), and
//! after it the new one. A writer that opens the log deletes leftover `*.tmp`.
//!
//! Locking: a writer holds an exclusive advisory lock on `LOCK`
//! (`File::try_lock`, i.e. `flock` on Linux), so of two processes exactly one
//! gets it; the other gets an error naming the holder. The operating system
//! releases the lock when the holder exits in any way, SIGKILL included, so a
//! crashed search resumes without anyone deleting files, and no pid has to be
//! guessed at (pids are reused, and cannot be checked from another host). The
//! file itself stays; only the lock on it matters. Network file systems that
//! do not honour `flock` are not supported for concurrent writers.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::record::{ConfigRecord, Hash, Record, TrialRecord};
use crate::error::{Error, Result};
use crate::invalid;

/// An open log. A writer (from `create`/`open`) holds the lock until dropped.
#[derive(Debug)]
pub struct Ledger {
    dir: PathBuf,
    head: Hash,
    next_index: u64,
    lock: Option<Lock>,
}

/// What a successful [`Ledger::verify_chain`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSummary {
    pub config: Hash,
    pub head: Hash,
    pub trials: u64,
}

impl Ledger {
    /// Starts a new log in `dir` (created if missing; must not hold a log)
    /// with `config` as its first record, and holds its lock.
    pub fn create(dir: impl AsRef<Path>, config: &ConfigRecord) -> Result<Ledger> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let lock = Lock::acquire(&dir)?;
        if dir.join("HEAD").exists() {
            return Err(invalid!("{} already holds a log", dir.display()));
        }
        for sub in ["records", "meta"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        }
        let mut ledger = Ledger {
            dir,
            head: Hash::from_bytes([0; 32]),
            next_index: 0,
            lock: Some(lock),
        };
        ledger.write_record(&Record::Config(config.clone()), &[])?;
        Ok(ledger)
    }

    /// Opens an existing log for appending: takes the lock, removes leftover
    /// temporary files, and verifies the whole chain.
    pub fn open(dir: impl AsRef<Path>) -> Result<Ledger> {
        let dir = dir.as_ref().to_path_buf();
        let lock = Lock::acquire(&dir)?;
        for d in [dir.clone(), dir.join("records"), dir.join("meta")] {
            remove_temporaries(&d)?;
        }
        let mut ledger = Ledger::open_read_only(&dir)?;
        ledger.next_index = ledger.verify_chain()?.trials;
        ledger.lock = Some(lock);
        Ok(ledger)
    }

    /// Opens a log for reading only (no lock, no check; `append` refuses).
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<Ledger> {
        let dir = dir.as_ref().to_path_buf();
        let path = dir.join("HEAD");
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let head = Hash::from_hex(text.trim())
            .map_err(|_| invalid!("{}: does not name a record", path.display()))?;
        Ok(Ledger {
            dir,
            head,
            next_index: 0,
            lock: None,
        })
    }

    /// The newest record's hash: the parent the next trial must name.
    pub fn head(&self) -> Hash {
        self.head
    }

    /// The index the next trial must carry (writers only; 0 when read-only).
    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// The path of a record's file.
    pub fn record_path(&self, hash: &Hash) -> PathBuf {
        self.dir
            .join("records")
            .join(format!("{}.cbor", hash.to_hex()))
    }

    /// Appends a trial, which must name the head as parent and carry
    /// [`Ledger::next_index`]; returns its hash.
    pub fn append(&mut self, trial: &TrialRecord) -> Result<Hash> {
        self.append_with_meta(trial, &[])
    }

    /// [`Ledger::append`], recording extra unhashed facts in `meta/`.
    pub fn append_with_meta(
        &mut self,
        trial: &TrialRecord,
        facts: &[(&str, &str)],
    ) -> Result<Hash> {
        if self.lock.is_none() {
            return Err(invalid!("{}: opened read-only", self.dir.display()));
        }
        if trial.parent != self.head || trial.index != self.next_index {
            return Err(invalid!(
                "trial {} with parent {} does not extend the log (next index {}, head {})",
                trial.index,
                trial.parent.to_hex(),
                self.next_index,
                self.head.to_hex()
            ));
        }
        self.write_record(&Record::Trial(trial.clone()), facts)?;
        self.next_index += 1;
        Ok(self.head)
    }

    /// Record file, then meta, then HEAD (the commit point).
    fn write_record(&mut self, record: &Record, facts: &[(&str, &str)]) -> Result<()> {
        let bytes = record.to_bytes();
        let hash = blake3::hash(&bytes);
        let hex = hash.to_hex();
        write_atomic(&self.dir.join("records"), &format!("{hex}.cbor"), &bytes)?;
        let mut meta = default_meta();
        for (k, v) in facts {
            meta.push_str(&format!("{k}={v}\n"));
        }
        write_atomic(
            &self.dir.join("meta"),
            &format!("{hex}.txt"),
            meta.as_bytes(),
        )?;
        write_atomic(&self.dir, "HEAD", format!("{hex}\n").as_bytes())?;
        self.head = hash;
        Ok(())
    }

    /// The verified chain, config record first, head last.
    pub fn records(&self) -> Result<Vec<(Hash, Record)>> {
        let mut chain = Vec::new();
        let mut at = self.head;
        let mut named_by = "HEAD".to_owned();
        loop {
            let record = self.read_checked(&at, &named_by)?;
            let parent = match &record {
                Record::Trial(t) => Some(t.parent),
                Record::Config(_) => None,
            };
            chain.push((at, record));
            match parent {
                Some(p) => {
                    named_by = format!("record {}", at.to_hex());
                    at = p;
                }
                None => break,
            }
        }
        chain.reverse();
        for (i, (h, r)) in chain.iter().enumerate() {
            let ok = match r {
                Record::Trial(t) => i > 0 && t.index == i as u64 - 1,
                Record::Config(_) => i == 0,
            };
            if !ok {
                return Err(Error::CheckFailed(format!(
                    "record {}: bad link: expected trial index {} at position {i}",
                    h.to_hex(),
                    i as i64 - 1
                )));
            }
        }
        Ok(chain)
    }

    /// Checks every hash and link from HEAD back to the config record; the
    /// error (`CheckFailed`) names the first bad record met on that walk.
    pub fn verify_chain(&self) -> Result<ChainSummary> {
        let chain = self.records()?;
        Ok(ChainSummary {
            config: chain[0].0,
            head: self.head,
            trials: chain.len() as u64 - 1,
        })
    }

    fn read_checked(&self, hash: &Hash, named_by: &str) -> Result<Record> {
        let path = self.record_path(hash);
        let fail = |what: String| {
            Error::CheckFailed(format!(
                "record {} ({}): {what}",
                hash.to_hex(),
                path.display()
            ))
        };
        let bytes = fs::read(&path).map_err(|e| fail(format!("bad link from {named_by}: {e}")))?;
        let actual = blake3::hash(&bytes);
        if actual != *hash {
            return Err(fail(format!(
                "hash mismatch: the bytes hash to {}",
                actual.to_hex()
            )));
        }
        Record::from_bytes(&bytes).map_err(|e| fail(format!("undecodable: {e}")))
    }
}

/// Writes `dir/name` so that a crash leaves either the old file or the new.
pub(crate) fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| Error::io(&tmp, e))?;
    f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    let dest = dir.join(name);
    fs::rename(&tmp, &dest).map_err(|e| Error::io(&dest, e))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

pub(crate) fn remove_temporaries(dir: &Path) -> Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().ends_with(".tmp") {
            let p = entry.path();
            fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
        }
    }
    Ok(())
}

pub(crate) fn host_name() -> String {
    fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".into())
}

pub(crate) fn default_meta() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, ms) = (now.as_secs(), now.as_millis());
    format!(
        "unix_time={secs}\nunix_time_ms={ms}\nhost={}\ncsnas_version={}\npid={}\n",
        host_name(),
        env!("CARGO_PKG_VERSION"),
        std::process::id()
    )
}

/// The writer's lock: an exclusive advisory lock on `LOCK`, released by the
/// operating system when the file is closed or the process dies.
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
}

impl Lock {
    pub(crate) fn acquire(dir: &Path) -> Result<Lock> {
        let path = dir.join("LOCK");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {
                let who = format!("pid {} on host {}\n", std::process::id(), host_name());
                file.set_len(0)
                    .and_then(|()| file.write_all(who.as_bytes()))
                    .and_then(|()| file.sync_all())
                    .map_err(|e| Error::io(&path, e))?;
                Ok(Lock { _file: file })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                Err(invalid!(
                    "{} is locked by {} (another csnas is writing this log; {} is released \
                     when that process ends)",
                    dir.display(),
                    holder.trim(),
                    path.display()
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
        }
    }
}

#[cfg(test)]
mod tests;
