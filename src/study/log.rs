//! The on-disk study log: the search log's layout and machinery (records
//! named by their blake3, `HEAD` written last, every file written atomically
//! and fsynced, an OS advisory `LOCK`, unhashed facts in `meta/`), holding
//! study records instead of search records.
//!
//! Why the same machinery: a study costs hours of training, so a crash at any
//! instant must leave the old log or the new one, and `csnas study` must
//! resume from it to the same head as an uninterrupted run; the pieces that
//! guarantee this for searches are reused, not rewritten
//! (`ledger::store::{write_atomic, Lock}`).

use std::fs;
use std::path::{Path, PathBuf};

use super::record::{MeasureRecord, StudyEntry, StudyRecord};
use crate::error::{Error, Result};
use crate::invalid;
use crate::ledger::Hash;
use crate::ledger::store::{Lock, default_meta, remove_temporaries, write_atomic};

/// An open study log; a writer holds the lock until dropped.
pub struct StudyLog {
    dir: PathBuf,
    head: Hash,
    next_index: u64,
    _lock: Option<Lock>,
}

impl StudyLog {
    /// Starts a new log in `dir` with `study` as its first record.
    pub fn create(dir: &Path, study: &StudyRecord) -> Result<StudyLog> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let lock = Lock::acquire(dir)?;
        if dir.join("HEAD").exists() {
            return Err(invalid!("{} already holds a log", dir.display()));
        }
        for sub in ["records", "meta"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        }
        let mut log = StudyLog {
            dir: dir.to_path_buf(),
            head: Hash::from_bytes([0; 32]),
            next_index: 0,
            _lock: Some(lock),
        };
        log.write(&StudyEntry::Study(study.clone()))?;
        Ok(log)
    }

    /// Opens a log for appending: takes the lock, removes leftover
    /// temporaries, verifies the chain; returns the log and its records.
    pub fn open(dir: &Path) -> Result<(StudyLog, StudyRecord, Vec<MeasureRecord>)> {
        let lock = Lock::acquire(dir)?;
        for d in [dir.to_path_buf(), dir.join("records"), dir.join("meta")] {
            remove_temporaries(&d)?;
        }
        let (head, study, measures) = read_chain(dir)?;
        let log = StudyLog {
            dir: dir.to_path_buf(),
            head,
            next_index: measures.len() as u64,
            _lock: Some(lock),
        };
        Ok((log, study, measures))
    }

    pub fn head(&self) -> Hash {
        self.head
    }

    pub fn next_index(&self) -> u64 {
        self.next_index
    }

    /// Appends a measurement, which must extend the head; returns its hash.
    pub fn append(&mut self, m: &MeasureRecord, facts: &[(&str, String)]) -> Result<Hash> {
        if m.parent != self.head || m.index != self.next_index {
            return Err(invalid!(
                "measurement {} does not extend the study log (next index {})",
                m.index,
                self.next_index
            ));
        }
        let mut meta = default_meta();
        for (k, v) in facts {
            meta.push_str(&format!("{k}={v}\n"));
        }
        self.write_with_meta(&StudyEntry::Measure(m.clone()), &meta)?;
        self.next_index += 1;
        Ok(self.head)
    }

    fn write(&mut self, e: &StudyEntry) -> Result<()> {
        self.write_with_meta(e, &default_meta())
    }

    /// Record, then meta, then HEAD (the commit point).
    fn write_with_meta(&mut self, e: &StudyEntry, meta: &str) -> Result<()> {
        let bytes = e.to_bytes();
        let hash = blake3::hash(&bytes);
        let hex = hash.to_hex();
        write_atomic(&self.dir.join("records"), &format!("{hex}.cbor"), &bytes)?;
        write_atomic(
            &self.dir.join("meta"),
            &format!("{hex}.txt"),
            meta.as_bytes(),
        )?;
        write_atomic(&self.dir, "HEAD", format!("{hex}\n").as_bytes())?;
        self.head = hash;
        Ok(())
    }
}

/// Reads and verifies a study log without locking it: every record's bytes
/// hash to its name, decode canonically, and link in index order back to the
/// study record. Errors are `CheckFailed`, naming the first bad record.
pub fn read_chain(dir: &Path) -> Result<(Hash, StudyRecord, Vec<MeasureRecord>)> {
    let path = dir.join("HEAD");
    let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let head = Hash::from_hex(text.trim())
        .map_err(|_| invalid!("{}: does not name a record", path.display()))?;
    let mut measures = Vec::new();
    let mut at = head;
    let study = loop {
        let file = dir.join("records").join(format!("{}.cbor", at.to_hex()));
        let fail = |what: String| {
            Error::CheckFailed(format!(
                "record {} ({}): {what}",
                at.to_hex(),
                file.display()
            ))
        };
        let bytes = fs::read(&file).map_err(|e| fail(format!("unreadable: {e}")))?;
        if blake3::hash(&bytes) != at {
            return Err(fail("hash mismatch".into()));
        }
        match StudyEntry::from_bytes(&bytes).map_err(|e| fail(format!("undecodable: {e}")))? {
            StudyEntry::Study(s) => break s,
            StudyEntry::Measure(m) => {
                at = m.parent;
                measures.push(m);
            }
        }
    };
    measures.reverse();
    for (i, m) in measures.iter().enumerate() {
        if m.index != i as u64 {
            return Err(Error::CheckFailed(format!(
                "study log {}: measurement at position {i} has index {}",
                dir.display(),
                m.index
            )));
        }
    }
    Ok((head, study, measures))
}
