//! Data sources: the built-in `digits`, CIFAR-10 binary batches, and image
//! folders, each decoded to one in-memory layout with a content digest.
//!
//! Why a digest: a search is determined by its config, seed and data (DESIGN
//! 3.3); recording blake3 over the decoded samples in canonical order lets a
//! log name exactly the data it ran on, whatever file format carried it.

pub mod augment;
pub mod batch;
pub mod cifar10;
pub mod decode;
mod digits;
pub mod folder;
pub mod policy;
pub mod resample;
mod spec;
pub mod split;

pub use spec::DataSpec;

use crate::error::Result;

/// Decoded images (N, C, H, W) as `u8` pixels plus labels, in canonical order.
///
/// Pixels stay integers here; conversion to floats and normalisation happen
/// in the augmentation pipeline, so the digest covers exactly what was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// Source name, e.g. `digits` or `cifar10:/data/cifar-10-batches-bin (train)`.
    pub name: String,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Largest pixel value (16 for digits, 255 for 8-bit images).
    pub max_value: u8,
    /// `len · channels · height · width` pixels, sample-major, then C, H, W.
    pub pixels: Vec<u8>,
    pub labels: Vec<u16>,
    pub classes: usize,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of sample `i` (C·H·W values).
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.channels * self.height * self.width;
        &self.pixels[i * n..(i + 1) * n]
    }

    /// blake3 over `csnas-data-v1`, the shape (channels, height, width,
    /// max value, count as u64 LE) and then each sample's label (u16 LE) and
    /// pixels, in order.
    pub fn digest(&self) -> blake3::Hash {
        let mut h = blake3::Hasher::new();
        h.update(b"csnas-data-v1");
        for v in [
            self.channels,
            self.height,
            self.width,
            self.max_value as usize,
            self.len(),
        ] {
            h.update(&(v as u64).to_le_bytes());
        }
        for i in 0..self.len() {
            h.update(&self.labels[i].to_le_bytes());
            h.update(self.image(i));
        }
        h.finalize()
    }
}

/// The train and test parts of a source (digits has no official split: its
/// split is made by [`crate::data`] users with a seeded stream).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub train: Dataset,
    pub test: Option<Dataset>,
}

/// Loads the data a spec names.
pub fn load(spec: &DataSpec) -> Result<Loaded> {
    match spec {
        DataSpec::Digits => Ok(Loaded {
            train: digits::load_builtin()?,
            test: None,
        }),
        DataSpec::Cifar10(dir) => cifar10::load_dir(dir),
        DataSpec::Folder { dir, resize } => {
            let (loaded, listing) = folder::load_dir(dir, *resize)?;
            if let Some(first) = listing.skipped.first() {
                eprintln!(
                    "{spec}: skipped {} hidden or non-image entries (as torchvision's \
                     ImageFolder does), e.g. {}",
                    listing.skipped.len(),
                    first.strip_prefix(dir).unwrap_or(first).display()
                );
            }
            Ok(loaded)
        }
    }
}
