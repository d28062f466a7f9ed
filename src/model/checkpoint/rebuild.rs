//! Rebuilding the network a checkpoint describes, on any backend.
//!
//! Why here, not in a command: `linear-eval --model` (and any later reader of
//! a checkpoint) needs the same rule — genotype and settings from the
//! metadata, a search network's projection-head sizes from its `head.*`
//! tensor shapes — and the rule belongs to the checkpoint format.

use std::path::Path;

use super::shape_facts;
use super::{
    Metadata, NetworkMetadata, describe_network, fill_num_batches_tracked, load_checkpoint,
};
use crate::backend::Backend;
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::{Network, NetworkKind};
use crate::rng::StreamPath;

/// Reads the checkpoint at `path`, rebuilds its network on `dev` (a search
/// network with its projection head when it has one, else an evaluation
/// network) and loads its state; returns the network, its description and
/// the raw metadata. A checkpoint without csnas metadata (a PyTorch DARTS
/// state dict) is the evaluation network of `genotype` taking
/// `image_size`-pixel images, its sizes read from the tensor shapes
/// ([`describe_network`]). Errors name the file.
pub fn load_network<B: Backend<Elem = f32>>(
    dev: &B,
    path: &Path,
    genotype: Option<&Genotype>,
    image_size: usize,
) -> Result<(Network<B>, NetworkMetadata, Metadata)> {
    let (mut entries, meta) = load_checkpoint::<f32>(path)?;
    let m = describe_network(path, &meta, &entries, genotype, image_size)?;
    let kind = match shape_facts(path, &entries)?.head {
        Some(head) if m.kind == "search" => NetworkKind::Search(head),
        _ => NetworkKind::Eval,
    };
    let mut net = Network::new(dev, &m.genotype, &m.config, kind, &StreamPath::root(0))
        .map_err(|e| invalid!("{}: {e}", path.display()))?;
    let expected: Vec<(String, Vec<usize>)> = (net.state_dict().into_iter())
        .map(|e| (e.name, e.shape))
        .collect();
    fill_num_batches_tracked(&expected, &mut entries);
    net.load_state_dict(&entries)
        .map_err(|e| invalid!("{}: {e}", path.display()))?;
    Ok((net, m, meta))
}
