//! The network description that rides in a checkpoint's metadata.
//!
//! Why: a checkpoint must say which network its tensors belong to, so that
//! `csnas predict` or `linear-eval` can rebuild it from the file alone. The
//! keys are plain strings (safetensors metadata is a string map), readable by
//! PyTorch tools:
//!
//! | key           | value                                         |
//! |---------------|-----------------------------------------------|
//! | `genotype`    | DARTS text form (`Genotype(normal=[...], ...)`) |
//! | `network`     | `eval` (NetworkCIFAR) or `search` (contrastive head) |
//! | `channels`    | initial channels `C`                          |
//! | `layers`      | number of cells                               |
//! | `classes`     | classifier outputs                            |
//! | `auxiliary`   | `true` or `false`                             |
//! | `in_channels` | input channels                                |
//! | `image_size`  | input height = width                          |

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::{NetworkConfig, NetworkKind};

/// The network kinds a checkpoint can name under the `network` key.
pub const NETWORK_KINDS: [&str; 2] = ["eval", "search"];

/// Everything needed to rebuild the network a checkpoint belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkMetadata {
    pub genotype: Genotype,
    pub config: NetworkConfig,
    /// One of [`NETWORK_KINDS`].
    pub kind: String,
}

/// The metadata entries describing a network (keys in the module table).
/// Fails if `kind` is not one of [`NETWORK_KINDS`].
pub fn network_metadata(
    genotype: &Genotype,
    config: &NetworkConfig,
    kind: &str,
) -> Result<BTreeMap<String, String>> {
    if !NETWORK_KINDS.contains(&kind) {
        return Err(invalid!(
            "unknown network kind '{kind}' (expected one of {NETWORK_KINDS:?})"
        ));
    }
    let pairs = [
        ("genotype", genotype.to_darts_string()),
        ("network", kind.to_string()),
        ("channels", config.channels.to_string()),
        ("layers", config.layers.to_string()),
        ("classes", config.classes.to_string()),
        ("auxiliary", config.auxiliary.to_string()),
        ("in_channels", config.in_channels.to_string()),
        ("image_size", config.image_size.to_string()),
    ];
    Ok(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Reads back what [`network_metadata`] wrote; errors name `file` and the key.
/// `auxiliary` accepts `true`/`false` and Python's `True`/`False`.
pub fn read_network_metadata(
    file: &Path,
    meta: &BTreeMap<String, String>,
) -> Result<NetworkMetadata> {
    let config = read_config(file, meta)?;
    let kind = get(file, meta, "network")?;
    if !NETWORK_KINDS.contains(&kind) {
        return Err(invalid!(
            "{}: metadata 'network' is '{}', expected one of {NETWORK_KINDS:?}",
            file.display(),
            crate::limits::escape(kind)
        ));
    }
    let genotype = Genotype::parse(get(file, meta, "genotype")?)
        .map_err(|e| invalid!("{}: metadata 'genotype': {e}", file.display()))?;
    let eval = NetworkKind::Eval;
    crate::limits::check_network(&config, Some(&genotype), eval, &metadata_key(file))?;
    Ok(NetworkMetadata {
        genotype,
        config,
        kind: kind.to_string(),
    })
}

/// The [`NetworkConfig`] part of the metadata (no genotype needed).
pub fn read_config(file: &Path, meta: &BTreeMap<String, String>) -> Result<NetworkConfig> {
    let auxiliary = match get(file, meta, "auxiliary")? {
        "true" | "True" => true,
        "false" | "False" => false,
        other => {
            return Err(invalid!(
                "{}: metadata 'auxiliary' is '{}', expected true or false",
                file.display(),
                crate::limits::escape(other)
            ));
        }
    };
    let config = NetworkConfig {
        channels: get_usize(file, meta, "channels")?,
        layers: get_usize(file, meta, "layers")?,
        classes: get_usize(file, meta, "classes")?,
        auxiliary,
        in_channels: get_usize(file, meta, "in_channels")?,
        image_size: get_usize(file, meta, "image_size")?,
    };
    crate::limits::check_network(&config, None, NetworkKind::Eval, &metadata_key(file))?;
    Ok(config)
}

/// Names a field as `FILE: metadata 'key'`.
fn metadata_key(file: &Path) -> impl Fn(&str) -> String + '_ {
    move |key| format!("{}: metadata '{key}'", file.display())
}

fn get<'a>(file: &Path, meta: &'a BTreeMap<String, String>, key: &str) -> Result<&'a str> {
    meta.get(key)
        .map(String::as_str)
        .ok_or_else(|| invalid!("{}: metadata has no '{key}' entry", file.display()))
}

fn get_usize(file: &Path, meta: &BTreeMap<String, String>, key: &str) -> Result<usize> {
    let text = get(file, meta, key)?;
    text.parse().map_err(|_| {
        invalid!(
            "{}: metadata '{key}' is '{}', expected a whole number",
            file.display(),
            crate::limits::escape(text)
        )
    })
}
