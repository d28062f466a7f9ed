//! The records of a search log and their one canonical CBOR spelling.
//!
//! Why canonical: a record is addressed by the blake3 hash of its bytes, and
//! anyone must be able to re-derive those bytes from the record's content. So
//! every record has exactly one byte string:
//! - a record is a CBOR array of fixed length whose positions are fixed by
//!   this schema (first the type tag, `"csnas/config"` or `"csnas/trial"`);
//!   there are no maps, so no key order to agree on;
//! - the leaves are unsigned integers, text strings, byte strings, `null` and
//!   nested arrays, all with definite lengths; integers and lengths use the
//!   shortest head (`ciborium-ll` always writes the shortest form);
//! - there are no CBOR floats (whose width an encoder may shrink): a float is
//!   stored as its exact IEEE bits, `[32, u32 bits]` or `[64, u64 bits]`;
//! - decoding re-encodes and demands the same bytes, so a non-shortest integer,
//!   an indefinite length or trailing bytes are refused, not silently accepted.

use ciborium::Value;

use crate::error::Result;
use crate::invalid;

/// The schema version written into every config record.
pub const SCHEMA_VERSION: u64 = 1;

/// A record's address: blake3 of its canonical bytes.
pub type Hash = blake3::Hash;

/// The search's configuration: the first record of every log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRecord {
    pub schema_version: u64,
    /// E.g. `"darts-4"` (the DARTS cell space with 4 nodes).
    pub search_space: String,
    /// `"csnas"` or `"nodes"` ([`crate::search::Encoding::name`]).
    pub encoding: String,
    /// E.g. `"nt-xent"` or `"pirl-nce"`.
    pub objective: String,
    /// Name/value pairs in the order the caller gives them; values are text
    /// (floats in Rust's shortest round-trip form, which parses back exactly).
    pub hyper_parameters: Vec<(String, String)>,
    pub seed: u64,
    /// blake3 of the search data.
    pub data_digest: Hash,
    /// E.g. `"cpu-f32"`.
    pub backend: String,
}

/// A float stored by its exact bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exact {
    F32(u32),
    F64(u64),
}

impl Exact {
    pub fn from_f32(x: f32) -> Self {
        Exact::F32(x.to_bits())
    }
    pub fn from_f64(x: f64) -> Self {
        Exact::F64(x.to_bits())
    }
    /// The value, widened to f64 (exact for both widths).
    pub fn to_f64(self) -> f64 {
        match self {
            Exact::F32(b) => f32::from_bits(b) as f64,
            Exact::F64(b) => f64::from_bits(b),
        }
    }
}

/// `5 (f32 bits 0x40a00000)`: the value and its exact bits.
impl std::fmt::Display for Exact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Exact::F32(b) => write!(f, "{} (f32 bits 0x{b:08x})", f32::from_bits(b)),
            Exact::F64(b) => write!(f, "{} (f64 bits 0x{b:016x})", f64::from_bits(b)),
        }
    }
}

/// How a trial ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrialStatus {
    Ok,
    Diverged { reason: String },
    Failed { reason: String },
}

/// One trial: what was proposed, from which streams, and what training gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrialRecord {
    /// 0 for the first trial.
    pub index: u64,
    /// The previous record (the config record for trial 0).
    pub parent: Hash,
    /// The DARTS text form.
    pub genotype: String,
    /// [`crate::Genotype::hash`].
    pub genotype_hash: Hash,
    /// The encoded choices TPE proposed.
    pub choices: Vec<u64>,
    /// Display forms of the RNG streams the trial drew from.
    pub streams: Vec<String>,
    pub epoch_losses: Vec<Exact>,
    /// `None` when the trial produced no objective.
    pub objective: Option<Exact>,
    /// blake3 of the final weights, if training finished.
    pub weights_digest: Option<Hash>,
    pub status: TrialStatus,
}

/// Any record of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    Config(ConfigRecord),
    Trial(TrialRecord),
}

const CONFIG_TAG: &str = "csnas/config";
const TRIAL_TAG: &str = "csnas/trial";

pub(crate) fn uint(x: u64) -> Value {
    Value::Integer(x.into())
}
pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}
pub(crate) fn hash(h: &Hash) -> Value {
    Value::Bytes(h.as_bytes().to_vec())
}
pub(crate) fn exact(e: &Exact) -> Value {
    match *e {
        Exact::F32(b) => Value::Array(vec![uint(32), uint(b as u64)]),
        Exact::F64(b) => Value::Array(vec![uint(64), uint(b)]),
    }
}

impl Record {
    pub(crate) fn to_value(&self) -> Value {
        let fields = match self {
            Record::Config(c) => vec![
                text(CONFIG_TAG),
                uint(c.schema_version),
                text(&c.search_space),
                text(&c.encoding),
                text(&c.objective),
                Value::Array(
                    (c.hyper_parameters.iter())
                        .map(|(k, v)| Value::Array(vec![text(k), text(v)]))
                        .collect(),
                ),
                uint(c.seed),
                hash(&c.data_digest),
                text(&c.backend),
            ],
            Record::Trial(t) => vec![
                text(TRIAL_TAG),
                uint(t.index),
                hash(&t.parent),
                text(&t.genotype),
                hash(&t.genotype_hash),
                Value::Array(t.choices.iter().map(|&c| uint(c)).collect()),
                Value::Array(t.streams.iter().map(|s| text(s)).collect()),
                Value::Array(t.epoch_losses.iter().map(exact).collect()),
                t.objective.as_ref().map_or(Value::Null, exact),
                t.weights_digest.as_ref().map_or(Value::Null, hash),
                match &t.status {
                    TrialStatus::Ok => Value::Array(vec![uint(0)]),
                    TrialStatus::Diverged { reason } => Value::Array(vec![uint(1), text(reason)]),
                    TrialStatus::Failed { reason } => Value::Array(vec![uint(2), text(reason)]),
                },
            ],
        };
        Value::Array(fields)
    }

    /// The canonical CBOR bytes (see the module doc).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(&self.to_value(), &mut out).expect("writing to a Vec cannot fail");
        out
    }

    /// The record's address: blake3 of [`Record::to_bytes`].
    pub fn hash(&self) -> Hash {
        blake3::hash(&self.to_bytes())
    }

    /// Decodes canonical bytes; anything else (other CBOR spellings of the
    /// same content included) is refused with the reason.
    pub fn from_bytes(bytes: &[u8]) -> Result<Record> {
        let value: Value = ciborium::from_reader(bytes).map_err(cbor_error)?;
        let record = from_value(value)?;
        if record.to_bytes() != bytes {
            return Err(invalid!("not in canonical form"));
        }
        Ok(record)
    }
}

/// A CBOR decoding error in words (ciborium's `Display` is its `Debug`).
fn cbor_error(e: ciborium::de::Error<std::io::Error>) -> crate::error::Error {
    use ciborium::de::Error as E;
    match e {
        E::Io(_) => invalid!("not CBOR: the bytes end in the middle of a value"),
        E::Syntax(at) => invalid!("not CBOR: malformed at byte {at}"),
        E::Semantic(Some(at), m) => invalid!("not CBOR: byte {at}: {}", crate::limits::escape(&m)),
        E::Semantic(None, m) => invalid!("not CBOR: {}", crate::limits::escape(&m)),
        E::RecursionLimitExceeded => invalid!("not CBOR: nested too deeply"),
    }
}

/// Reads the fields of one array in order, naming the field that fails.
pub(crate) struct Fields {
    items: std::vec::IntoIter<Value>,
}

impl Fields {
    pub(crate) fn of(v: Value, len: usize, what: &str) -> Result<Fields> {
        match v {
            Value::Array(a) if a.len() == len => Ok(Fields {
                items: a.into_iter(),
            }),
            _ => Err(invalid!("{what}: expected an array of {len}")),
        }
    }
    pub(crate) fn next(&mut self) -> Value {
        self.items.next().expect("length checked")
    }
    pub(crate) fn uint(&mut self, name: &str) -> Result<u64> {
        as_uint(self.next(), name)
    }
    pub(crate) fn text(&mut self, name: &str) -> Result<String> {
        as_text(self.next(), name)
    }
    pub(crate) fn hash(&mut self, name: &str) -> Result<Hash> {
        as_hash(self.next(), name)
    }
    pub(crate) fn array(&mut self, name: &str) -> Result<Vec<Value>> {
        match self.next() {
            Value::Array(a) => Ok(a),
            _ => Err(invalid!("{name}: expected an array")),
        }
    }
}

pub(crate) fn as_uint(v: Value, name: &str) -> Result<u64> {
    match v {
        Value::Integer(i) => u64::try_from(i).map_err(|_| invalid!("{name}: negative")),
        _ => Err(invalid!("{name}: expected an unsigned integer")),
    }
}
pub(crate) fn as_text(v: Value, name: &str) -> Result<String> {
    match v {
        Value::Text(s) => Ok(s),
        _ => Err(invalid!("{name}: expected text")),
    }
}
pub(crate) fn as_hash(v: Value, name: &str) -> Result<Hash> {
    match v {
        Value::Bytes(b) if b.len() == 32 => Ok(Hash::from_bytes(b.try_into().expect("32"))),
        _ => Err(invalid!("{name}: expected 32 bytes")),
    }
}
pub(crate) fn as_exact(v: Value, name: &str) -> Result<Exact> {
    let mut f = Fields::of(v, 2, name)?;
    match (f.uint(name)?, f.uint(name)?) {
        (32, b) if b <= u32::MAX as u64 => Ok(Exact::F32(b as u32)),
        (64, b) => Ok(Exact::F64(b)),
        _ => Err(invalid!("{name}: expected [32, u32] or [64, u64]")),
    }
}

pub(crate) fn from_value(v: Value) -> Result<Record> {
    let tag = match &v {
        Value::Array(a) => a.first().and_then(|t| t.as_text()).unwrap_or(""),
        _ => "",
    };
    match tag {
        CONFIG_TAG => {
            let mut f = Fields::of(v, 9, "config record")?;
            f.next();
            Ok(Record::Config(ConfigRecord {
                schema_version: f.uint("schema_version")?,
                search_space: f.text("search_space")?,
                encoding: f.text("encoding")?,
                objective: f.text("objective")?,
                hyper_parameters: (f.array("hyper_parameters")?.into_iter())
                    .map(|p| {
                        let mut kv = Fields::of(p, 2, "hyper_parameter")?;
                        Ok((kv.text("name")?, kv.text("value")?))
                    })
                    .collect::<Result<_>>()?,
                seed: f.uint("seed")?,
                data_digest: f.hash("data_digest")?,
                backend: f.text("backend")?,
            }))
        }
        TRIAL_TAG => {
            let mut f = Fields::of(v, 11, "trial record")?;
            f.next();
            let index = f.uint("index")?;
            let parent = f.hash("parent")?;
            let genotype = f.text("genotype")?;
            let genotype_hash = f.hash("genotype_hash")?;
            let choices = (f.array("choices")?.into_iter())
                .map(|c| as_uint(c, "choice"))
                .collect::<Result<_>>()?;
            let streams = (f.array("streams")?.into_iter())
                .map(|s| as_text(s, "stream"))
                .collect::<Result<_>>()?;
            let epoch_losses = (f.array("epoch_losses")?.into_iter())
                .map(|e| as_exact(e, "epoch_loss"))
                .collect::<Result<_>>()?;
            let objective = match f.next() {
                Value::Null => None,
                e => Some(as_exact(e, "objective")?),
            };
            let weights_digest = match f.next() {
                Value::Null => None,
                h => Some(as_hash(h, "weights_digest")?),
            };
            let status = match f.array("status")?.as_slice() {
                [Value::Integer(i)] if u64::try_from(*i) == Ok(0) => TrialStatus::Ok,
                [Value::Integer(i), Value::Text(r)] => match u64::try_from(*i) {
                    Ok(1) => TrialStatus::Diverged { reason: r.clone() },
                    Ok(2) => TrialStatus::Failed { reason: r.clone() },
                    _ => return Err(invalid!("status: unknown kind")),
                },
                _ => return Err(invalid!("status: expected [0], [1, text] or [2, text]")),
            };
            Ok(Record::Trial(TrialRecord {
                index,
                parent,
                genotype,
                genotype_hash,
                choices,
                streams,
                epoch_losses,
                objective,
                weights_digest,
                status,
            }))
        }
        _ => Err(invalid!("not a csnas record (no known type tag)")),
    }
}

#[cfg(test)]
mod tests;
