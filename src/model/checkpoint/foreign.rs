//! Checkpoints without csnas metadata: a PyTorch DARTS state dict saved as
//! safetensors, its network described by the genotype the user names.
//!
//! Why: a DARTS user's `weights.pt` is a bare `NetworkCIFAR` state dict; the
//! tensor names and shapes are already csnas's checkpoint contract
//! (DESIGN 3.3), but nothing in the file says which genotype it is. Given
//! the genotype (`--genotype`), everything else follows from the shapes
//! ([`shape_facts`]): `C` and the input channels from `stem.0.weight`, the
//! layers from the `cells.<i>.` prefixes, the classes from
//! `classifier.weight`, the auxiliary head from any `auxiliary_head.`
//! tensor. The image size is not in the shapes (global pooling); the caller
//! gives it (DARTS' CIFAR networks: 32).
//!
//! PyTorch before 0.4.1 (the original DARTS code) wrote no
//! `num_batches_tracked` buffers; like PyTorch's own loader, a missing one
//! is taken as 0 ([`fill_num_batches_tracked`]).

use std::path::Path;

use super::Metadata;
use super::metadata::{NetworkMetadata, read_network_metadata};
use super::shapes::{check_metadata, shape_facts};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::{NetworkConfig, NetworkKind, StateEntry, StateValue};

/// Whether `meta` carries csnas's network description (any of its keys).
pub fn has_network_metadata(meta: &Metadata) -> bool {
    ["genotype", "network", "channels", "layers"]
        .iter()
        .any(|k| meta.contains_key(*k))
}

/// The evaluation network the checkpoint `file` holds. With csnas metadata:
/// read and checked against the shapes (`genotype`, when given, must be the
/// metadata's). Without: built from `genotype` (required then) and the
/// tensor shapes, with `image_size`; each size checked against csnas's
/// bounds before anything is allocated. Errors name the file and what to fix.
pub fn describe_network<T>(
    file: &Path,
    meta: &Metadata,
    entries: &[StateEntry<T>],
    genotype: Option<&Genotype>,
    image_size: usize,
) -> Result<NetworkMetadata> {
    let shown = file.display();
    if has_network_metadata(meta) {
        let desc = read_network_metadata(file, meta)?;
        check_metadata(file, &desc, entries)?;
        if let Some(g) = genotype
            && *g != desc.genotype
        {
            return Err(invalid!(
                "{shown}: --genotype differs from the checkpoint's metadata genotype {} \
                 (leave --genotype out for a csnas checkpoint)",
                desc.genotype.to_darts_string()
            ));
        }
        return Ok(desc);
    }
    let genotype = genotype.ok_or_else(|| {
        invalid!(
            "{shown}: no csnas metadata (a PyTorch DARTS state dict?): name its genotype with \
             --genotype NAME|TEXT; channels, layers, classes and the auxiliary head are read \
             from the tensor shapes"
        )
    })?;
    let facts = shape_facts(file, entries)?;
    if facts.head.is_some() {
        return Err(invalid!(
            "{shown}: holds a projection head ('head.0.weight'), not a DARTS evaluation \
             network; only an evaluation network loads without csnas metadata"
        ));
    }
    let classes = facts.classes.ok_or_else(|| {
        invalid!("{shown}: no tensor 'classifier.weight' (not a DARTS evaluation network)")
    })?;
    let config = NetworkConfig {
        channels: facts.channels,
        layers: facts.layers,
        classes,
        auxiliary: facts.auxiliary,
        in_channels: facts.in_channels,
        image_size,
    };
    let name = |key: &str| match key {
        "image_size" => format!("{shown}: image size"),
        _ => format!("{shown}: '{key}' read from the tensor shapes"),
    };
    crate::limits::check_network(&config, Some(genotype), NetworkKind::Eval, &name)?;
    Ok(NetworkMetadata {
        genotype: genotype.clone(),
        config,
        kind: "eval".into(),
    })
}

/// Adds a zero `num_batches_tracked` for each one `expected` lists that
/// `entries` lacks (a state dict from PyTorch before 0.4.1), as PyTorch's
/// `BatchNorm` loader does; returns how many were added.
pub fn fill_num_batches_tracked<T>(
    expected: &[(String, Vec<usize>)],
    entries: &mut Vec<StateEntry<T>>,
) -> usize {
    let missing: Vec<&(String, Vec<usize>)> = expected
        .iter()
        .filter(|(n, _)| n.ends_with(".num_batches_tracked"))
        .filter(|(n, _)| !entries.iter().any(|e| &e.name == n))
        .collect();
    for (name, shape) in &missing {
        entries.push(StateEntry {
            name: name.clone(),
            shape: shape.clone(),
            value: StateValue::Int(vec![0; shape.iter().product()]),
        });
    }
    missing.len()
}
