//! The unhashed facts beside each record (`meta/<hex>.txt`), and the wall
//! time of each trial derived from them.
//!
//! Why: wall time, host and version are not deterministic, so they are never
//! hashed (DESIGN 3.1.5), but a person watching or comparing runs wants
//! them: `csnas show` lists each trial's wall time. A trial's wall time is
//! its `wall_seconds` fact when the writer recorded one; otherwise the time
//! between its record and the previous record (the config record, for the
//! first trial) written by the same process
//! (same `pid` and `host`), from `unix_time_ms` (or the older whole-second
//! `unix_time`). A trial that follows a resume, or whose facts are missing,
//! has no wall time rather than a wrong one.

use std::path::Path;

use super::record::Hash;

/// The `key=value` facts of the record `hash` in the log at `dir`, in file
/// order; empty when the file is missing or unreadable (facts are optional).
pub fn read_facts(dir: &Path, hash: &Hash) -> Vec<(String, String)> {
    let path = dir.join("meta").join(format!("{}.txt", hash.to_hex()));
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn fact<'a>(facts: &'a [(String, String)], key: &str) -> Option<&'a str> {
    facts
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// When the record was written, in milliseconds since the Unix epoch.
fn written_ms(facts: &[(String, String)]) -> Option<u64> {
    let ms = fact(facts, "unix_time_ms").and_then(|v| v.parse().ok());
    ms.or_else(|| {
        fact(facts, "unix_time")
            .and_then(|v| v.parse::<u64>().ok())
            .map(|s| s.saturating_mul(1000))
    })
}

/// The wall time in seconds of each record of `chain` (config record
/// first, as [`super::Ledger::records`] gives them), by the rule in the
/// module doc; `None` for the config record and where it is unknown.
pub fn wall_seconds(dir: &Path, chain: &[Hash]) -> Vec<Option<f64>> {
    let facts: Vec<Vec<(String, String)>> = chain.iter().map(|h| read_facts(dir, h)).collect();
    let writer = |f: &[(String, String)]| {
        (
            fact(f, "pid").map(str::to_owned),
            fact(f, "host").map(str::to_owned),
        )
    };
    (0..facts.len())
        .map(|i| {
            if let Some(s) = fact(&facts[i], "wall_seconds").and_then(|v| v.parse().ok()) {
                return Some(s);
            }
            let prev = facts.get(i.checked_sub(1)?)?;
            if writer(prev).0.is_none() || writer(prev) != writer(&facts[i]) {
                return None;
            }
            let (a, b) = (written_ms(prev)?, written_ms(&facts[i])?);
            Some(b.checked_sub(a)? as f64 / 1000.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, h: &Hash, text: &str) {
        std::fs::create_dir_all(dir.join("meta")).unwrap();
        std::fs::write(dir.join("meta").join(format!("{}.txt", h.to_hex())), text).unwrap();
    }

    #[test]
    fn wall_time_is_the_fact_or_the_gap_to_the_same_writers_previous_record() {
        let dir = std::env::temp_dir().join(format!("csnas-facts-{}", std::process::id()));
        let h: Vec<Hash> = (0..6u8).map(|i| blake3::hash(&[i])).collect();
        write(&dir, &h[0], "unix_time_ms=1000\npid=7\nhost=a\n");
        // The first trial's start is its config record's write.
        write(&dir, &h[1], "unix_time_ms=5000\npid=7\nhost=a\n");
        write(&dir, &h[2], "unix_time_ms=7500\npid=7\nhost=a\n");
        // A resumed run (another pid): unknown; then whole seconds only.
        write(&dir, &h[3], "unix_time=20\npid=8\nhost=a\n");
        write(
            &dir,
            &h[4],
            "unix_time=23\npid=8\nhost=a\nwall_seconds=2.25\n",
        );
        let got = wall_seconds(&dir, &h);
        // h[5] has no facts at all.
        assert_eq!(got, [None, Some(4.0), Some(2.5), None, Some(2.25), None]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
