//! Genotype → network: the DARTS evaluation network (`NetworkCIFAR`) and the
//! search network (same trunk, projection head), forward and backward, with
//! PyTorch state-dict names, parameter counts and seeded initialisation.

mod cell;
pub mod checkpoint;
mod head;
mod init;
pub mod layers;
mod network;
mod primitives;
mod state;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_cell;
#[cfg(test)]
mod tests_grad;

pub use head::HeadConfig;
pub use network::{Network, NetworkKind, Output};
pub use state::StateRef;

use crate::error::Result;
use crate::genotype::Genotype;

/// Settings of a network, as recorded in checkpoint metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    /// Initial channels `C` (DARTS `init_channels`).
    pub channels: usize,
    /// Number of cells (DARTS `layers`).
    pub layers: usize,
    /// Number of classes of the classifier (ignored by the search network).
    pub classes: usize,
    /// Auxiliary head after cell `2·layers/3` (evaluation network only).
    pub auxiliary: bool,
    /// Input channels (3 for CIFAR, 1 for digits).
    pub in_channels: usize,
    /// Input height = width.
    pub image_size: usize,
}

/// One entry of a state dict: PyTorch name, shape and value.
#[derive(Clone, Debug, PartialEq)]
pub struct StateEntry<T> {
    pub name: String,
    pub shape: Vec<usize>,
    pub value: StateValue<T>,
}

/// Float parameters and running statistics, or the integer
/// `num_batches_tracked` counters (int64 in PyTorch).
#[derive(Clone, Debug, PartialEq)]
pub enum StateValue<T> {
    Float(Vec<T>),
    Int(Vec<i64>),
}

/// Number of parameters of the evaluation network, counted as DARTS counts
/// (`utils.count_parameters_in_MB`): parameters only, no buffers, the
/// auxiliary head excluded unless `include_auxiliary`.
///
/// Computed from shapes: the network is built with zero weights (no random
/// draws) and without the image-size checks.
pub fn count_parameters(
    genotype: &Genotype,
    config: &NetworkConfig,
    include_auxiliary: bool,
) -> Result<usize> {
    let cfg = NetworkConfig {
        auxiliary: include_auxiliary,
        ..config.clone()
    };
    let mut net = Network::build(
        &crate::backend::CpuF32::new(),
        genotype,
        &cfg,
        NetworkKind::Eval,
        &init::Init::Zeros,
    )?;
    Ok(net.parameter_count(include_auxiliary))
}
