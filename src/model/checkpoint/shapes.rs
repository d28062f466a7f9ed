//! What a checkpoint's tensor shapes say about its network, checked against
//! its metadata before anything is built.
//!
//! Why: metadata is text that anyone can edit. `channels = 2^32` in a
//! checkpoint used to panic or abort `predict` before a single tensor shape
//! was looked at, and `layers = 1e11` spun in the spatial checks. The
//! shapes of `stem.0.weight`, the `cells.<i>.` prefixes, the classifier and
//! the heads fix `C`, the input channels, the layer count, the class count,
//! the auxiliary head and the projection head's widths; if the metadata
//! disagrees with them, the checkpoint is refused naming the file and the
//! key, and nothing is allocated. The same reading serves PyTorch DARTS
//! files that carry no csnas metadata ([`infer_network`]).

use std::collections::BTreeSet;
use std::path::Path;

use super::metadata::NetworkMetadata;
use crate::error::Result;
use crate::invalid;
use crate::model::{HeadConfig, StateEntry};

/// The network sizes the tensor shapes determine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShapeFacts {
    /// Initial channels `C` (`stem.0.weight` is `[3C, in_channels, 3, 3]`).
    pub channels: usize,
    pub in_channels: usize,
    /// `1 + ` the highest `cells.<i>.` index (every index below present).
    pub layers: usize,
    /// Rows of `classifier.weight`; `None` for a search network.
    pub classes: Option<usize>,
    /// Any `auxiliary_head.` tensor present.
    pub auxiliary: bool,
    /// The projection head (`head.0.weight`, `head.2.weight`) of a search network.
    pub head: Option<HeadConfig>,
}

/// Reads [`ShapeFacts`] from the tensors of `file`; fails naming the file
/// and the tensor whose shape does not fit a DARTS network.
pub fn shape_facts<T>(file: &Path, entries: &[StateEntry<T>]) -> Result<ShapeFacts> {
    let shown = file.display();
    let shape = |name: &str| entries.iter().find(|e| e.name == name).map(|e| &e.shape);
    let stem = shape("stem.0.weight")
        .ok_or_else(|| invalid!("{shown}: no tensor 'stem.0.weight' (not a DARTS network)"))?;
    let (channels, in_channels) = match stem.as_slice() {
        &[c3, i, 3, 3] if c3 > 0 && c3 % 3 == 0 && i > 0 => (c3 / 3, i),
        other => {
            return Err(invalid!(
                "{shown}: tensor 'stem.0.weight' has shape {other:?}, expected [3·C, \
                 in_channels, 3, 3]"
            ));
        }
    };
    let mut cells = BTreeSet::new();
    for e in entries {
        if let Some(rest) = e.name.strip_prefix("cells.")
            && let Some((index, _)) = rest.split_once('.')
        {
            let i: usize = index
                .parse()
                .map_err(|_| invalid!("{shown}: tensor '{}' has no cell number", e.name))?;
            cells.insert(i);
        }
    }
    let layers = cells.last().map_or(0, |&i| i.saturating_add(1));
    if layers == 0 || cells.len() != layers {
        return Err(invalid!(
            "{shown}: the 'cells.<i>.' tensors name {} cells numbered up to {} (expected cells \
             0 to {} each present)",
            cells.len(),
            layers.saturating_sub(1),
            layers.saturating_sub(1)
        ));
    }
    let matrix = |name: &str| -> Result<Option<(usize, usize)>> {
        match shape(name).map(Vec::as_slice) {
            None => Ok(None),
            Some(&[rows, cols]) => Ok(Some((rows, cols))),
            Some(other) => Err(invalid!(
                "{shown}: tensor '{name}' has shape {other:?}, expected a matrix"
            )),
        }
    };
    let classes = matrix("classifier.weight")?.map(|(rows, _)| rows);
    let head = match (matrix("head.0.weight")?, matrix("head.2.weight")?) {
        (Some((hidden, _)), Some((out_dim, _))) => Some(HeadConfig {
            hidden: Some(hidden),
            out_dim,
        }),
        (None, None) => None,
        _ => {
            return Err(invalid!(
                "{shown}: the projection head needs both 'head.0.weight' and 'head.2.weight'"
            ));
        }
    };
    let auxiliary = entries
        .iter()
        .any(|e| e.name.starts_with("auxiliary_head."));
    Ok(ShapeFacts {
        channels,
        in_channels,
        layers,
        classes,
        auxiliary,
        head,
    })
}

/// Checks `m` (read from the metadata of `file`) against the tensor shapes:
/// each disagreement names the file and the metadata key.
pub fn check_metadata<T>(
    file: &Path,
    m: &NetworkMetadata,
    entries: &[StateEntry<T>],
) -> Result<()> {
    let facts = shape_facts(file, entries)?;
    let c = &m.config;
    let shown = file.display();
    for (key, meta, tensors, from) in [
        (
            "channels",
            c.channels,
            facts.channels,
            "tensor 'stem.0.weight'",
        ),
        (
            "in_channels",
            c.in_channels,
            facts.in_channels,
            "tensor 'stem.0.weight'",
        ),
        ("layers", c.layers, facts.layers, "the cells.<i> tensors"),
    ] {
        if meta != tensors {
            return Err(invalid!(
                "{shown}: metadata '{key}' is {meta}, but {from} says {tensors}"
            ));
        }
    }
    match m.kind.as_str() {
        "eval" => {
            let classes = facts.classes.ok_or_else(|| {
                invalid!(
                    "{shown}: metadata 'network' is 'eval' but there is no 'classifier.weight'"
                )
            })?;
            if classes != c.classes {
                return Err(invalid!(
                    "{shown}: metadata 'classes' is {}, but tensor 'classifier.weight' has {classes} rows",
                    c.classes
                ));
            }
            if facts.auxiliary != c.auxiliary {
                return Err(invalid!(
                    "{shown}: metadata 'auxiliary' is {}, but the file {} auxiliary_head tensors",
                    c.auxiliary,
                    if facts.auxiliary { "has" } else { "has no" }
                ));
            }
        }
        _ => {
            if facts.head.is_none() {
                return Err(invalid!(
                    "{shown}: metadata 'network' is '{}' but there is no projection head \
                     ('head.0.weight', 'head.2.weight')",
                    m.kind
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::builtin;
    use crate::model::{Network, NetworkConfig, NetworkKind};
    use crate::rng::StreamPath;

    fn eval_state(aux: bool) -> (NetworkMetadata, Vec<StateEntry<f32>>) {
        let config = NetworkConfig {
            channels: 4,
            layers: 3,
            classes: 7,
            auxiliary: aux,
            in_channels: 1,
            image_size: 32,
        };
        let genotype = builtin("DARTS_V2").unwrap();
        let dev = crate::backend::CpuF32::new();
        let mut net = Network::new(
            &dev,
            &genotype,
            &config,
            NetworkKind::Eval,
            &StreamPath::root(0),
        )
        .unwrap();
        let m = NetworkMetadata {
            genotype,
            config,
            kind: "eval".into(),
        };
        (m, net.state_dict())
    }

    #[test]
    fn facts_of_a_built_network_are_its_settings() {
        let (m, entries) = eval_state(true);
        let f = shape_facts(Path::new("m.safetensors"), &entries).unwrap();
        assert_eq!((f.channels, f.in_channels, f.layers), (4, 1, 3));
        assert_eq!((f.classes, f.auxiliary, f.head), (Some(7), true, None));
        check_metadata(Path::new("m.safetensors"), &m, &entries).unwrap();
    }

    #[test]
    fn each_metadata_disagreement_names_the_file_and_key() {
        let (m, entries) = eval_state(false);
        type Edit = fn(&mut NetworkConfig);
        let cases: [(&str, Edit); 5] = [
            ("'channels' is 4294967296", |c| c.channels = 1 << 32),
            ("'layers' is 100000000000", |c| c.layers = 100_000_000_000),
            ("'classes' is 8", |c| c.classes = 8),
            ("'in_channels' is 3", |c| c.in_channels = 3),
            ("'auxiliary' is true", |c| c.auxiliary = true),
        ];
        for (want, edit) in cases {
            let mut bad = m.clone();
            edit(&mut bad.config);
            let e = check_metadata(Path::new("m.safetensors"), &bad, &entries)
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("m.safetensors: metadata ") && e.contains(want),
                "{e}"
            );
        }
    }

    #[test]
    fn odd_shapes_are_refused_not_indexed() {
        let (_, mut entries) = eval_state(false);
        entries[0].shape = vec![];
        let e = shape_facts(Path::new("m.safetensors"), &entries).unwrap_err();
        assert!(
            e.to_string().contains("'stem.0.weight' has shape []"),
            "{e}"
        );
        let (_, mut entries) = eval_state(false);
        entries.retain(|e| !e.name.starts_with("cells.1."));
        let e = shape_facts(Path::new("m.safetensors"), &entries).unwrap_err();
        assert!(e.to_string().contains("2 cells numbered up to 2"), "{e}");
    }
}
