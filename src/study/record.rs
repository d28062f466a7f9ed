//! The records of a study log and their one canonical CBOR spelling, built
//! from the search log's pieces (`ledger::record`): fixed-length arrays with
//! a type tag, no maps, floats as exact bits, and a decoder that re-encodes
//! and refuses anything but the canonical bytes.
//!
//! Why records of their own: a study mixes two kinds of measurement — label
//! scores and label-free trials — and each carries a *key*, the hash of
//! everything that determines its result, so another study can reuse it
//! (`--reuse DIR`) without retraining, and an auditor can see that it did.

use ciborium::Value;

use crate::error::Result;
use crate::invalid;
use crate::ledger::record::{Fields, as_exact, as_hash, exact, from_value, hash, text, uint};
use crate::ledger::{ConfigRecord, Exact, Hash, Record};

/// The schema version of study records.
pub const STUDY_SCHEMA: u64 = 1;

const STUDY_TAG: &str = "csnas/study";
const MEASURE_TAG: &str = "csnas/measure";

/// A study's settings: the first record of its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StudyRecord {
    pub schema_version: u64,
    /// Seed of the genotype draws; repetition `r` uses seed `seed + r`.
    pub seed: u64,
    pub genotypes: u64,
    pub repetitions: u64,
    /// The trial settings: a search's config record (its seed is replaced by
    /// each repetition's).
    pub trial: ConfigRecord,
    /// The label score's settings, as name/value text pairs.
    pub label: Vec<(String, String)>,
}

/// What one measurement produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Supervised accuracy: `correct` of `total` test images, and the final
    /// weights of each training (one per fold).
    Label {
        correct: u64,
        total: u64,
        weights: Vec<Hash>,
    },
    /// A label-free trial: the epoch losses, how it ended (`None` = ok, else
    /// the reason it diverged), the final weights, and the held-out scores
    /// (held-out loss, alignment, uniformity, RankMe) when measured.
    Trial {
        epoch_losses: Vec<Exact>,
        diverged: Option<String>,
        weights: Hash,
        scores: Option<[Exact; 4]>,
    },
}

/// One measurement of genotype `genotype` at repetition `repetition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeasureRecord {
    /// 0 for the first measurement.
    pub index: u64,
    pub parent: Hash,
    pub genotype_index: u64,
    pub repetition: u64,
    /// The DARTS text form.
    pub genotype: String,
    pub genotype_hash: Hash,
    /// blake3 of everything the result depends on (see `study::keys`).
    pub key: Hash,
    pub outcome: Outcome,
}

/// Any record of a study log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StudyEntry {
    Study(StudyRecord),
    Measure(MeasureRecord),
}

fn pairs(p: &[(String, String)]) -> Value {
    Value::Array(
        p.iter()
            .map(|(k, v)| Value::Array(vec![text(k), text(v)]))
            .collect(),
    )
}

impl StudyEntry {
    fn to_value(&self) -> Value {
        match self {
            StudyEntry::Study(s) => Value::Array(vec![
                text(STUDY_TAG),
                uint(s.schema_version),
                uint(s.seed),
                uint(s.genotypes),
                uint(s.repetitions),
                Record::Config(s.trial.clone()).to_value(),
                pairs(&s.label),
            ]),
            StudyEntry::Measure(m) => {
                let outcome = match &m.outcome {
                    Outcome::Label {
                        correct,
                        total,
                        weights,
                    } => Value::Array(vec![
                        text("label"),
                        uint(*correct),
                        uint(*total),
                        Value::Array(weights.iter().map(hash).collect()),
                    ]),
                    Outcome::Trial {
                        epoch_losses,
                        diverged,
                        weights,
                        scores,
                    } => Value::Array(vec![
                        text("trial"),
                        Value::Array(epoch_losses.iter().map(exact).collect()),
                        diverged.as_deref().map_or(Value::Null, text),
                        hash(weights),
                        scores
                            .as_ref()
                            .map_or(Value::Null, |s| Value::Array(s.iter().map(exact).collect())),
                    ]),
                };
                Value::Array(vec![
                    text(MEASURE_TAG),
                    uint(m.index),
                    hash(&m.parent),
                    uint(m.genotype_index),
                    uint(m.repetition),
                    text(&m.genotype),
                    hash(&m.genotype_hash),
                    hash(&m.key),
                    outcome,
                ])
            }
        }
    }

    /// The canonical CBOR bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(&self.to_value(), &mut out).expect("writing to a Vec cannot fail");
        out
    }

    /// The record's address: blake3 of [`StudyEntry::to_bytes`].
    pub fn hash(&self) -> Hash {
        blake3::hash(&self.to_bytes())
    }

    /// Decodes canonical bytes; anything else is refused with the reason.
    pub fn from_bytes(bytes: &[u8]) -> Result<StudyEntry> {
        let value: Value = ciborium::from_reader(bytes).map_err(|e| invalid!("not CBOR: {e}"))?;
        let entry = entry_from_value(value)?;
        if entry.to_bytes() != bytes {
            return Err(invalid!("not in canonical form"));
        }
        Ok(entry)
    }
}

fn text_pairs(v: Vec<Value>) -> Result<Vec<(String, String)>> {
    v.into_iter()
        .map(|p| {
            let mut kv = Fields::of(p, 2, "label setting")?;
            Ok((kv.text("name")?, kv.text("value")?))
        })
        .collect()
}

fn entry_from_value(v: Value) -> Result<StudyEntry> {
    let tag = match &v {
        Value::Array(a) => a.first().and_then(|t| t.as_text()).unwrap_or(""),
        _ => "",
    };
    match tag {
        STUDY_TAG => {
            let mut f = Fields::of(v, 7, "study record")?;
            f.next();
            let (schema_version, seed) = (f.uint("schema_version")?, f.uint("seed")?);
            let (genotypes, repetitions) = (f.uint("genotypes")?, f.uint("repetitions")?);
            let Record::Config(trial) = from_value(f.next())? else {
                return Err(invalid!(
                    "study record: trial settings are not a config record"
                ));
            };
            let label = text_pairs(f.array("label")?)?;
            Ok(StudyEntry::Study(StudyRecord {
                schema_version,
                seed,
                genotypes,
                repetitions,
                trial,
                label,
            }))
        }
        MEASURE_TAG => {
            let mut f = Fields::of(v, 9, "measure record")?;
            f.next();
            let index = f.uint("index")?;
            let parent = f.hash("parent")?;
            let genotype_index = f.uint("genotype_index")?;
            let repetition = f.uint("repetition")?;
            let genotype = f.text("genotype")?;
            let genotype_hash = f.hash("genotype_hash")?;
            let key = f.hash("key")?;
            let outcome = outcome_from_value(f.next())?;
            Ok(StudyEntry::Measure(MeasureRecord {
                index,
                parent,
                genotype_index,
                repetition,
                genotype,
                genotype_hash,
                key,
                outcome,
            }))
        }
        _ => Err(invalid!("not a csnas study record (no known type tag)")),
    }
}

fn outcome_from_value(v: Value) -> Result<Outcome> {
    let kind = match &v {
        Value::Array(a) => a.first().and_then(|t| t.as_text()).unwrap_or(""),
        _ => "",
    };
    match kind {
        "label" => {
            let mut f = Fields::of(v, 4, "label outcome")?;
            f.next();
            let (correct, total) = (f.uint("correct")?, f.uint("total")?);
            let weights = (f.array("weights")?.into_iter())
                .map(|h| as_hash(h, "weights"))
                .collect::<Result<_>>()?;
            Ok(Outcome::Label {
                correct,
                total,
                weights,
            })
        }
        "trial" => {
            let mut f = Fields::of(v, 5, "trial outcome")?;
            f.next();
            let epoch_losses = (f.array("epoch_losses")?.into_iter())
                .map(|e| as_exact(e, "epoch_loss"))
                .collect::<Result<_>>()?;
            let diverged = match f.next() {
                Value::Null => None,
                Value::Text(t) => Some(t),
                _ => return Err(invalid!("diverged: expected null or text")),
            };
            let weights = f.hash("weights")?;
            let scores = match f.next() {
                Value::Null => None,
                Value::Array(a) if a.len() == 4 => {
                    let mut out = [Exact::F64(0); 4];
                    for (slot, e) in out.iter_mut().zip(a) {
                        *slot = as_exact(e, "score")?;
                    }
                    Some(out)
                }
                _ => return Err(invalid!("scores: expected null or 4 exact floats")),
            };
            Ok(Outcome::Trial {
                epoch_losses,
                diverged,
                weights,
                scores,
            })
        }
        _ => Err(invalid!("measure outcome: unknown kind")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::SearchConfig;

    fn h(b: u8) -> Hash {
        Hash::from_bytes([b; 32])
    }

    #[test]
    fn every_record_kind_round_trips_through_its_canonical_bytes() {
        let entries = [
            StudyEntry::Study(StudyRecord {
                schema_version: STUDY_SCHEMA,
                seed: 3,
                genotypes: 40,
                repetitions: 3,
                trial: SearchConfig::default_preset().to_record(),
                label: vec![("label.epochs".into(), "5".into())],
            }),
            StudyEntry::Measure(MeasureRecord {
                index: 0,
                parent: h(1),
                genotype_index: 7,
                repetition: 2,
                genotype: "G".into(),
                genotype_hash: h(2),
                key: h(3),
                outcome: Outcome::Label {
                    correct: 350,
                    total: 359,
                    weights: vec![h(4), h(5)],
                },
            }),
            StudyEntry::Measure(MeasureRecord {
                index: 1,
                parent: h(6),
                genotype_index: 0,
                repetition: 0,
                genotype: "G".into(),
                genotype_hash: h(2),
                key: h(7),
                outcome: Outcome::Trial {
                    epoch_losses: vec![Exact::from_f32(3.5)],
                    diverged: Some("epoch 0, batch 1: NaN".into()),
                    weights: h(8),
                    scores: Some([Exact::from_f64(1.0); 4]),
                },
            }),
        ];
        for e in entries {
            let bytes = e.to_bytes();
            assert_eq!(StudyEntry::from_bytes(&bytes).unwrap(), e);
            let mut longer = bytes.clone();
            longer.push(0);
            assert!(StudyEntry::from_bytes(&longer).is_err());
        }
    }
}
