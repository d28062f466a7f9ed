//! The ordered name/value text pairs of a config record, written and read in
//! one fixed order; the augmentation pipeline's spelling in them; and the
//! field-by-field difference of two config records.
//!
//! Why a strict reader: the record must round-trip exactly, so values are
//! read in the order they were written, each must parse, and nothing may be
//! left over; the caller then re-writes the result and compares.

use std::fmt::Display;
use std::str::FromStr;

use crate::data::augment::{AugmentConfig, ColorJitter, Geometry, Normalize};
use crate::error::Result;
use crate::invalid;
use crate::ledger::ConfigRecord;

/// Collects pairs; floats use `Display` (Rust's shortest round-trip form).
#[derive(Default)]
pub(super) struct Writer(Vec<(String, String)>);

impl Writer {
    pub(super) fn put(&mut self, key: &str, value: impl Display) {
        self.0.push((key.to_owned(), value.to_string()));
    }
    /// `none` or the value.
    pub(super) fn put_opt<T: Display>(&mut self, key: &str, value: Option<T>) {
        match value {
            Some(v) => self.put(key, v),
            None => self.put(key, "none"),
        }
    }
    fn put_list(&mut self, key: &str, values: &[f32]) {
        let text: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        self.put(key, text.join(","));
    }
    pub(super) fn finish(self) -> Vec<(String, String)> {
        self.0
    }
}

/// Reads pairs in order, naming the pair that does not fit.
pub(super) struct Reader<'a> {
    pairs: &'a [(String, String)],
    at: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(pairs: &'a [(String, String)]) -> Self {
        Reader { pairs, at: 0 }
    }
    pub(super) fn peek_key(&self) -> Option<&'a str> {
        self.pairs.get(self.at).map(|(k, _)| k.as_str())
    }
    pub(super) fn text(&mut self, key: &str) -> Result<String> {
        match self.pairs.get(self.at) {
            Some((k, v)) if k == key => {
                self.at += 1;
                Ok(v.clone())
            }
            Some((k, _)) => Err(invalid!(
                "config record: hyper-parameter {} is '{k}', expected '{key}'",
                self.at
            )),
            None => Err(invalid!(
                "config record: hyper-parameter '{key}' is missing"
            )),
        }
    }
    pub(super) fn get<T: FromStr>(&mut self, key: &str) -> Result<T> {
        let v = self.text(key)?;
        v.parse()
            .map_err(|_| invalid!("config record: {key} = '{v}' does not parse"))
    }
    pub(super) fn opt<T: FromStr>(&mut self, key: &str) -> Result<Option<T>> {
        if self.peek_key() == Some(key) && self.pairs[self.at].1 == "none" {
            self.at += 1;
            return Ok(None);
        }
        self.get(key).map(Some)
    }
    fn list(&mut self, key: &str) -> Result<Vec<f32>> {
        let v = self.text(key)?;
        (v.split(','))
            .map(|x| x.parse())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| invalid!("config record: {key} = '{v}' is not a list of numbers"))
    }
    pub(super) fn finish(self) -> Result<()> {
        match self.pairs.get(self.at) {
            Some((k, _)) => Err(invalid!("config record: unexpected hyper-parameter '{k}'")),
            None => Ok(()),
        }
    }
}

/// Every field of the pipeline, `augment.*`.
pub(super) fn write_augment(w: &mut Writer, a: &AugmentConfig) {
    w.put("augment.size", a.size);
    match a.geometry {
        Geometry::Resize => w.put("augment.geometry", "resize"),
        Geometry::ResizedCrop { scale, ratio } => {
            w.put("augment.geometry", "resized-crop");
            w.put("augment.scale_min", scale.0);
            w.put("augment.scale_max", scale.1);
            w.put("augment.ratio_min", ratio.0);
            w.put("augment.ratio_max", ratio.1);
        }
        Geometry::PaddedCrop { padding } => {
            w.put("augment.geometry", "padded-crop");
            w.put("augment.padding", padding);
        }
    }
    w.put("augment.hflip", a.hflip);
    w.put("augment.vflip", a.vflip);
    match &a.jitter {
        None => w.put("augment.jitter", "none"),
        Some(j) => {
            w.put("augment.jitter", "on");
            w.put("augment.jitter.brightness", j.brightness);
            w.put("augment.jitter.contrast", j.contrast);
            w.put("augment.jitter.saturation", j.saturation);
            w.put("augment.jitter.hue", j.hue);
            w.put("augment.jitter.p", j.p);
        }
    }
    w.put("augment.grayscale", a.grayscale);
    match &a.normalize {
        None => w.put("augment.normalize", "none"),
        Some(n) => {
            w.put("augment.normalize", "on");
            w.put_list("augment.normalize.mean", &n.mean);
            w.put_list("augment.normalize.std", &n.std);
        }
    }
    w.put_opt("augment.cutout", a.cutout);
}

/// The inverse of [`write_augment`].
pub(super) fn read_augment(p: &mut Reader<'_>) -> Result<AugmentConfig> {
    let size = p.get("augment.size")?;
    let geometry = match p.text("augment.geometry")?.as_str() {
        "resize" => Geometry::Resize,
        "resized-crop" => Geometry::ResizedCrop {
            scale: (p.get("augment.scale_min")?, p.get("augment.scale_max")?),
            ratio: (p.get("augment.ratio_min")?, p.get("augment.ratio_max")?),
        },
        "padded-crop" => Geometry::PaddedCrop {
            padding: p.get("augment.padding")?,
        },
        other => return Err(invalid!("config record: unknown geometry '{other}'")),
    };
    let hflip = p.get("augment.hflip")?;
    let vflip = p.get("augment.vflip")?;
    let jitter = match p.text("augment.jitter")?.as_str() {
        "none" => None,
        "on" => Some(ColorJitter {
            brightness: p.get("augment.jitter.brightness")?,
            contrast: p.get("augment.jitter.contrast")?,
            saturation: p.get("augment.jitter.saturation")?,
            hue: p.get("augment.jitter.hue")?,
            p: p.get("augment.jitter.p")?,
        }),
        other => return Err(invalid!("config record: augment.jitter = '{other}'")),
    };
    let grayscale = p.get("augment.grayscale")?;
    let normalize = match p.text("augment.normalize")?.as_str() {
        "none" => None,
        "on" => Some(Normalize {
            mean: p.list("augment.normalize.mean")?,
            std: p.list("augment.normalize.std")?,
        }),
        other => return Err(invalid!("config record: augment.normalize = '{other}'")),
    };
    let cutout = p.opt("augment.cutout")?;
    Ok(AugmentConfig {
        size,
        geometry,
        hflip,
        vflip,
        jitter,
        grayscale,
        normalize,
        cutout,
    })
}

/// What differs between two config records, one line per field, e.g.
/// `seed: log has 1, this run has 2`; empty when they are equal.
pub fn config_differences(log: &ConfigRecord, new: &ConfigRecord) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = |name: &str, a: String, b: String| {
        if a != b {
            out.push(format!("{name}: log has {a}, this run has {b}"));
        }
    };
    field(
        "schema_version",
        log.schema_version.to_string(),
        new.schema_version.to_string(),
    );
    field(
        "search_space",
        log.search_space.clone(),
        new.search_space.clone(),
    );
    field("encoding", log.encoding.clone(), new.encoding.clone());
    field("objective", log.objective.clone(), new.objective.clone());
    field("seed", log.seed.to_string(), new.seed.to_string());
    field(
        "data_digest",
        log.data_digest.to_hex().to_string(),
        new.data_digest.to_hex().to_string(),
    );
    field("backend", log.backend.clone(), new.backend.clone());
    let value = |hp: &[(String, String)], k: &str| {
        (hp.iter().find(|(name, _)| name == k)).map_or("(absent)".to_owned(), |(_, v)| v.clone())
    };
    let mut keys: Vec<&String> = log.hyper_parameters.iter().map(|(k, _)| k).collect();
    for (k, _) in &new.hyper_parameters {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        field(
            k,
            value(&log.hyper_parameters, k),
            value(&new.hyper_parameters, k),
        );
    }
    if out.is_empty() && log != new {
        out.push("hyper-parameters: same values in a different order".into());
    }
    out
}
