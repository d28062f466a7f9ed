use super::*;
use crate::ledger::record::{Exact, TrialStatus};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("csnas-ledger-{name}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn config() -> ConfigRecord {
    ConfigRecord {
        schema_version: 1,
        search_space: "darts-4".into(),
        encoding: "csnas".into(),
        objective: "nt-xent".into(),
        hyper_parameters: vec![
            ("lr".into(), "0.001".into()),
            ("epochs".into(), "10".into()),
        ],
        seed: 7,
        data_digest: blake3::hash(b"digits"),
        backend: "cpu-f32".into(),
    }
}

fn trial(index: u64, parent: Hash, status: TrialStatus) -> TrialRecord {
    TrialRecord {
        index,
        parent,
        genotype: format!("genotype {index}"),
        genotype_hash: blake3::hash(&index.to_le_bytes()),
        choices: vec![index, 3, 1],
        streams: vec![format!("7/propose/{index}/random")],
        epoch_losses: vec![Exact::from_f32(6.0 - index as f32)],
        objective: Some(Exact::from_f32(5.0 - index as f32)),
        weights_digest: Some(blake3::hash(b"w")),
        status,
    }
}

/// A log with the config and `n` trials; returns every record hash in order.
fn build(dir: &Path, n: u64) -> (Ledger, Vec<Hash>) {
    let mut l = Ledger::create(dir, &config()).unwrap();
    let mut hashes = vec![l.head()];
    for i in 0..n {
        let status = match i {
            1 => TrialStatus::Diverged {
                reason: "NaN".into(),
            },
            2 => TrialStatus::Failed {
                reason: "oom".into(),
            },
            _ => TrialStatus::Ok,
        };
        hashes.push(l.append(&trial(i, l.head(), status)).unwrap());
    }
    (l, hashes)
}

#[test]
fn a_log_round_trips_through_its_directory() {
    let d = TempDir::new("roundtrip");
    let (l, hashes) = build(&d.0, 3);
    drop(l);
    let l = Ledger::open(&d.0).unwrap();
    assert_eq!(l.head(), hashes[3]);
    assert_eq!(l.next_index(), 3);
    let records = l.records().unwrap();
    assert_eq!(records.iter().map(|r| r.0).collect::<Vec<_>>(), hashes);
    assert_eq!(records[0].1, Record::Config(config()));
    for (h, r) in &records {
        assert_eq!(r.hash(), *h);
    }
    let s = l.verify_chain().unwrap();
    assert_eq!((s.config, s.head, s.trials), (hashes[0], hashes[3], 3));
    assert!(
        d.0.join("meta")
            .join(format!("{}.txt", hashes[1].to_hex()))
            .exists()
    );
}

#[test]
fn flipping_any_byte_of_any_record_names_that_record() {
    let d = TempDir::new("flip");
    let (l, hashes) = build(&d.0, 2);
    for h in &hashes {
        let path = l.record_path(h);
        let good = fs::read(&path).unwrap();
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x01;
            fs::write(&path, &bad).unwrap();
            let err = l.verify_chain().unwrap_err();
            assert_eq!(err.exit_code(), 1);
            assert!(
                err.to_string().contains(&format!("record {}", h.to_hex())),
                "{err}"
            );
        }
        fs::write(&path, &good).unwrap();
    }
    l.verify_chain().unwrap();
}

#[test]
fn a_crash_before_head_is_renamed_leaves_the_old_log() {
    let d = TempDir::new("crash");
    let (mut l, hashes) = build(&d.0, 1);
    // Simulate a crash in the middle of appending trial 1: the record file is
    // written, HEAD.tmp names it, but the rename never happened. A second
    // temporary is half-written.
    let next = trial(1, l.head(), TrialStatus::Ok);
    let rec = Record::Trial(next.clone());
    fs::write(l.record_path(&rec.hash()), rec.to_bytes()).unwrap();
    fs::write(d.0.join("HEAD.tmp"), format!("{}\n", rec.hash().to_hex())).unwrap();
    fs::write(d.0.join("records").join("x.cbor.tmp"), [0x8b]).unwrap();
    drop(l);
    let ro = Ledger::open_read_only(&d.0).unwrap();
    assert_eq!(ro.head(), hashes[1]);
    assert_eq!(ro.verify_chain().unwrap().trials, 1);
    l = Ledger::open(&d.0).unwrap();
    assert!(
        !d.0.join("HEAD.tmp").exists(),
        "leftover temporaries are removed"
    );
    assert_eq!(l.head(), hashes[1]);
    // Resuming writes the same record again, to the same hash.
    assert_eq!(l.append(&next).unwrap(), rec.hash());
    assert_eq!(l.verify_chain().unwrap().trials, 2);
}

#[test]
fn a_second_writer_is_refused_while_the_lock_is_held() {
    let d = TempDir::new("lock");
    let (l, _) = build(&d.0, 1);
    let err = Ledger::open(&d.0).unwrap_err().to_string();
    assert!(
        err.contains("locked by pid") && err.contains("LOCK"),
        "{err}"
    );
    // Readers need no lock.
    Ledger::open_read_only(&d.0)
        .unwrap()
        .verify_chain()
        .unwrap();
    drop(l);
    let l = Ledger::open(&d.0).unwrap();
    drop(l);
    // A LOCK file left by a writer that died holds no lock: the OS released
    // it with the process, so the log opens without anyone deleting files.
    fs::write(d.0.join("LOCK"), "pid 999999 on host gone\n").unwrap();
    Ledger::open(&d.0).unwrap();
}

#[test]
fn append_refuses_a_trial_that_does_not_extend_the_head() {
    let d = TempDir::new("extend");
    let (mut l, hashes) = build(&d.0, 1);
    assert!(l.append(&trial(1, hashes[0], TrialStatus::Ok)).is_err());
    assert!(l.append(&trial(2, hashes[1], TrialStatus::Ok)).is_err());
    let held = Ledger::create(&d.0, &config()).unwrap_err().to_string();
    assert!(held.contains("locked"), "{held}");
    drop(l);
    assert!(
        Ledger::create(&d.0, &config())
            .unwrap_err()
            .to_string()
            .contains("already")
    );
    let mut ro = Ledger::open_read_only(&d.0).unwrap();
    assert!(ro.append(&trial(1, hashes[1], TrialStatus::Ok)).is_err());
}

#[test]
fn a_bad_link_or_index_is_named() {
    let d = TempDir::new("link");
    let (l, hashes) = build(&d.0, 1);
    drop(l);
    // A well-formed record whose parent does not exist.
    let orphan = Record::Trial(trial(1, blake3::hash(b"nowhere"), TrialStatus::Ok));
    let ro = Ledger::open_read_only(&d.0).unwrap();
    fs::write(ro.record_path(&orphan.hash()), orphan.to_bytes()).unwrap();
    fs::write(d.0.join("HEAD"), format!("{}\n", orphan.hash().to_hex())).unwrap();
    let err = Ledger::open_read_only(&d.0)
        .unwrap()
        .verify_chain()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&blake3::hash(b"nowhere").to_hex().to_string()) && err.contains("bad link"),
        "{err}"
    );
    // A record with the right parent but a skipped index.
    let skip = Record::Trial(trial(5, hashes[1], TrialStatus::Ok));
    fs::write(ro.record_path(&skip.hash()), skip.to_bytes()).unwrap();
    fs::write(d.0.join("HEAD"), format!("{}\n", skip.hash().to_hex())).unwrap();
    let err = Ledger::open(&d.0).unwrap_err().to_string();
    assert!(
        err.contains(&skip.hash().to_hex().to_string()) && err.contains("index"),
        "{err}"
    );
}
