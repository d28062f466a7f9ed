//! safetensors checkpoints with PyTorch DARTS state-dict names.
//!
//! Why: DESIGN 3.3 makes checkpoints an interface — a PyTorch DARTS
//! `NetworkCIFAR` state dict saved with `safetensors.torch.save_file` loads
//! into csnas, and a csnas checkpoint loads into PyTorch. Tensor names and
//! shapes are the PyTorch ones; the genotype and network settings ride in the
//! file's metadata (see [`metadata`]).
//!
//! Reading goes through the `safetensors` crate (which validates the header,
//! offsets and sizes). Writing builds the header here, because the crate
//! serialises its metadata map in hash-map order, so the same checkpoint would
//! not give the same bytes twice; ours does: metadata keys in sorted order,
//! tensors in the caller's order (8-byte dtypes first so that every tensor is
//! aligned to its element size), then the data. Files are written atomically
//! (temporary file in the same folder, fsync, rename, fsync of the folder).

pub mod foreign;
pub mod metadata;
pub mod rebuild;
pub mod shapes;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors};

use super::{StateEntry, StateValue};
use crate::error::{Error, Result};
use crate::invalid;
use crate::real::Real;

pub use foreign::{describe_network, fill_num_batches_tracked, has_network_metadata};
pub use metadata::{
    NETWORK_KINDS, NetworkMetadata, network_metadata, read_config, read_network_metadata,
};
pub use rebuild::load_network;
pub use shapes::{ShapeFacts, check_metadata, shape_facts};

/// A checkpoint's metadata: string keys and values, kept sorted.
pub type Metadata = BTreeMap<String, String>;

/// Writes `entries` and `metadata` to `path` as a safetensors file, atomically.
///
/// Float entries are stored as `F32` when `T` is `f32` and `F64` when `T` is
/// `f64`; [`StateValue::Int`] entries as `I64`. A `"format": "pt"` metadata
/// entry is added unless present (PyTorch tools look for it). The bytes are a
/// pure function of the arguments.
pub fn save_checkpoint<T: Real>(
    path: &Path,
    entries: &[StateEntry<T>],
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let bytes = encode(path, entries, metadata)?;
    write_atomically(path, &bytes)
}

/// Reads a safetensors file: its tensors, converted to `T` (F64, F32, F16 and
/// BF16 become [`StateValue::Float`]; I64 becomes [`StateValue::Int`]), in the
/// file's data order, and its metadata. Use [`match_state`] to put the entries
/// in the order a network expects and check their shapes.
pub fn load_checkpoint<T: Real>(path: &Path) -> Result<(Vec<StateEntry<T>>, Metadata)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bad = |e: safetensors::SafeTensorError| {
        invalid!("{}: not a valid safetensors file: {e}", path.display())
    };
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(bad)?;
    let file = SafeTensors::deserialize(&bytes).map_err(bad)?;
    let mut entries = Vec::with_capacity(file.len());
    for name in header.offset_keys() {
        let view = file.tensor(&name).map_err(bad)?;
        let value = decode::<T>(view.dtype(), view.data()).ok_or_else(|| {
            invalid!(
                "{}: tensor '{name}' has dtype {:?}, which csnas cannot load",
                path.display(),
                view.dtype()
            )
        })?;
        entries.push(StateEntry {
            name,
            shape: view.shape().to_vec(),
            value,
        });
    }
    let metadata = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    Ok((entries, metadata))
}

/// Puts `got` (e.g. from [`load_checkpoint`] of `file`) in the order of
/// `expected` (name, shape), checking that the names match exactly and the
/// shapes agree. Fails naming `file` and the first tensor (in `expected`
/// order, then in `got` order) that is missing, extra or mis-shaped.
pub fn match_state<T>(
    file: &Path,
    expected: &[(String, Vec<usize>)],
    got: Vec<StateEntry<T>>,
) -> Result<Vec<StateEntry<T>>> {
    let shown = file.display();
    let mut by_name: BTreeMap<String, StateEntry<T>> = BTreeMap::new();
    let mut got_order = Vec::with_capacity(got.len());
    for entry in got {
        got_order.push(entry.name.clone());
        if let Some(dup) = by_name.insert(entry.name.clone(), entry) {
            return Err(invalid!("{shown}: tensor '{}' appears twice", dup.name));
        }
    }
    let mut wanted = BTreeSet::new();
    for (name, _) in expected {
        if !wanted.insert(name.as_str()) {
            return Err(invalid!("{shown}: the network lists tensor '{name}' twice"));
        }
    }
    if let Some((name, _)) = expected.iter().find(|(n, _)| !by_name.contains_key(n)) {
        return Err(invalid!(
            "{shown}: tensor '{name}' is missing (the network expects {} tensors)",
            expected.len()
        ));
    }
    if let Some(name) = got_order.iter().find(|n| !wanted.contains(n.as_str())) {
        return Err(invalid!(
            "{shown}: tensor '{name}' is not part of the network"
        ));
    }
    let mut out = Vec::with_capacity(expected.len());
    for (name, shape) in expected {
        let entry = by_name.remove(name).expect("presence checked above");
        if &entry.shape != shape {
            return Err(invalid!(
                "{shown}: tensor '{name}' has shape {:?}, the network expects {shape:?}",
                entry.shape
            ));
        }
        out.push(entry);
    }
    Ok(out)
}

/// Element count of a shape (1 for a scalar `[]`).
fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The safetensors bytes: 8-byte little-endian header length, the JSON header
/// padded with spaces to a multiple of 8, then the tensor data.
fn encode<T: Real>(
    path: &Path,
    entries: &[StateEntry<T>],
    metadata: &BTreeMap<String, String>,
) -> Result<Vec<u8>> {
    let float_dtype = if T::BYTES == 8 { "F64" } else { "F32" };
    // 8-byte dtypes first (stable, so the caller's order is kept within each group).
    let mut order: Vec<&StateEntry<T>> = entries.iter().collect();
    let width = |e: &StateEntry<T>| match e.value {
        StateValue::Int(_) => 8,
        StateValue::Float(_) => T::BYTES,
    };
    order.sort_by_key(|e| std::cmp::Reverse(width(e)));

    let mut meta = metadata.clone();
    meta.entry("format".into()).or_insert_with(|| "pt".into());
    let mut header = String::from("{\"__metadata__\":{");
    for (i, (k, v)) in meta.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        header.push_str(&format!("{sep}{}:{}", json_string(k), json_string(v)));
    }
    header.push('}');

    let mut data = Vec::new();
    let mut names = BTreeSet::new();
    for e in order {
        if !names.insert(e.name.as_str()) {
            return Err(invalid!(
                "{}: tensor '{}' given twice",
                path.display(),
                e.name
            ));
        }
        let (dtype, len) = match &e.value {
            StateValue::Float(v) => (float_dtype, v.len()),
            StateValue::Int(v) => ("I64", v.len()),
        };
        if len != numel(&e.shape) {
            return Err(invalid!(
                "{}: tensor '{}' has {len} values for shape {:?}",
                path.display(),
                e.name,
                e.shape
            ));
        }
        let start = data.len();
        match &e.value {
            StateValue::Float(v) => v.iter().for_each(|x| x.write_le(&mut data)),
            StateValue::Int(v) => v
                .iter()
                .for_each(|x| data.extend_from_slice(&x.to_le_bytes())),
        }
        let shape: Vec<String> = e.shape.iter().map(|d| d.to_string()).collect();
        header.push_str(&format!(
            ",{}:{{\"dtype\":\"{}\",\"shape\":[{}],\"data_offsets\":[{start},{}]}}",
            json_string(&e.name),
            dtype,
            shape.join(","),
            data.len()
        ));
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&data);
    Ok(out)
}

/// A JSON string literal: `"` and `\` escaped, control characters as `\u00XX`.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Converts little-endian tensor bytes of `dtype` to a state value.
fn decode<T: Real>(dtype: Dtype, bytes: &[u8]) -> Option<StateValue<T>> {
    fn chunks<const N: usize, X>(bytes: &[u8], f: impl Fn([u8; N]) -> X) -> Vec<X> {
        bytes
            .chunks_exact(N)
            .map(|c| f(c.try_into().expect("chunk of N bytes")))
            .collect()
    }
    let float = |v: Vec<f64>| Some(StateValue::Float(v.into_iter().map(T::from_f64).collect()));
    match dtype {
        Dtype::F64 => float(chunks(bytes, f64::from_le_bytes)),
        Dtype::F32 => float(chunks(bytes, |b| f32::from_le_bytes(b) as f64)),
        Dtype::F16 => float(chunks(bytes, |b| half::f16::from_le_bytes(b).to_f64())),
        Dtype::BF16 => float(chunks(bytes, |b| half::bf16::from_le_bytes(b).to_f64())),
        Dtype::I64 => Some(StateValue::Int(chunks(bytes, i64::from_le_bytes))),
        _ => None,
    }
}

/// Writes `bytes` to a temporary file beside `path`, syncs it, renames it over
/// `path` and syncs the folder, so a crash leaves the old file or the new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| invalid!("{}: not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
