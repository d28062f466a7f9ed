//! The per-source and per-preset data policies: the normalisation a source
//! is trained and evaluated with, and the contrastive augmentation a preset
//! uses.
//!
//! Why one module: the same images must be normalised the same way by
//! `train`, `predict` and a study, and a search preset and `linear-eval`
//! must not grow two copies of "which augmentation for which images".

use crate::data::DataSpec;
use crate::data::augment::{AugmentConfig, Normalize};

/// The normalisation a data source is trained and evaluated with: the CIFAR-10
/// statistics for `cifar10:`, none otherwise (pixels in [0, 1]).
pub fn normalization(spec: &DataSpec) -> Option<Normalize> {
    matches!(spec, DataSpec::Cifar10(_)).then(Normalize::cifar10)
}

/// The smallest crop scale of the default search preset's grey views
/// (`SearchConfig::default_preset`, the built-in digits).
pub const SEARCH_GREY_SCALE_MIN: f64 = 0.5;

/// The smallest crop scale of `csnas linear-eval`'s grey views.
pub const LINEAR_EVAL_GREY_SCALE_MIN: f64 = 0.3;

/// The contrastive augmentation for `channels`-channel images of `size`:
/// small grey images (digits): crops from `grey_scale_min` and contrast
/// changes, no flips (a mirrored digit is another symbol); colour images:
/// SimCLR's pipeline.
pub fn contrastive(channels: usize, size: usize, grey_scale_min: f64) -> AugmentConfig {
    if channels == 1 {
        AugmentConfig::grey_contrastive(size, grey_scale_min)
    } else {
        AugmentConfig::simclr(size)
    }
}
