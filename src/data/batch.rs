//! Batches of augmented images, and seeded train/test splits and subsets.
//!
//! Why here: a batch must be the same bits at any thread count (DESIGN 3.1.1).
//! Each sample's views draw from their own [`view_stream`], and rayon writes
//! each sample into its own slot of the output, so threads only change speed.

use super::Dataset;
use super::augment::{AugmentConfig, Image, view_stream};
use crate::error::Result;
use crate::invalid;
use crate::rng::{Stream, StreamPath};
use ndarray::Array4;
use rayon::prelude::*;

/// One augmented view (view 0) of each sample in `indices`, as an
/// (N, C, size, size) array, row k being sample `indices[k]`.
pub fn batch(
    ds: &Dataset,
    indices: &[usize],
    epoch: u64,
    root: &StreamPath,
    cfg: &AugmentConfig,
) -> Result<Array4<f32>> {
    build(ds, indices, epoch, root, cfg, 1)
}

/// Two augmented views of each sample, as a (2N, C, size, size) array:
/// rows `0..N` are view 0 of `indices[0..N]`, rows `N..2N` view 1 of the same
/// samples in the same order, so rows `k` and `N + k` are a positive pair
/// (the SimCLR layout).
pub fn contrastive_batch(
    ds: &Dataset,
    indices: &[usize],
    epoch: u64,
    root: &StreamPath,
    cfg: &AugmentConfig,
) -> Result<Array4<f32>> {
    build(ds, indices, epoch, root, cfg, 2)
}

fn build(
    ds: &Dataset,
    indices: &[usize],
    epoch: u64,
    root: &StreamPath,
    cfg: &AugmentConfig,
    views: usize,
) -> Result<Array4<f32>> {
    cfg.validate(ds.channels, ds.height, ds.width)?;
    if let Some(&bad) = indices.iter().find(|&&i| i >= ds.len()) {
        return Err(invalid!(
            "batch: sample index {bad} is out of range for {} ({} samples)",
            ds.name,
            ds.len()
        ));
    }
    let n = indices.len();
    let per = ds.channels * cfg.size * cfg.size;
    let mut data = vec![0.0f32; views * n * per];
    data.par_chunks_mut(per.max(1))
        .enumerate()
        .for_each(|(row, out)| {
            let (view, k) = (row / n, row % n);
            let i = indices[k];
            let mut stream = view_stream(root, epoch, i as u64, view as u64);
            let img = cfg.apply(&Image::from_dataset(ds, i), &mut stream);
            out.copy_from_slice(&img.data);
        });
    Ok(
        Array4::from_shape_vec((views * n, ds.channels, cfg.size, cfg.size), data)
            .expect("shape matches the buffer"),
    )
}

/// A part of a data set: a fraction of it or a number of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Portion {
    /// `round(f · len)` samples (to nearest, half away from zero), f in (0, 1].
    Fraction(f64),
    Count(usize),
}

/// `count 256` or `fraction 0.25`, as a message shows it.
impl std::fmt::Display for Portion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Portion::Fraction(x) => write!(f, "fraction {x}"),
            Portion::Count(k) => write!(f, "count {k}"),
        }
    }
}

impl Portion {
    /// The setting that holds this portion under `prefix`, with its value:
    /// `subset.count = 256`.
    pub fn setting(&self, prefix: &str) -> String {
        match self {
            Portion::Fraction(x) => format!("{prefix}.fraction = {x}"),
            Portion::Count(k) => format!("{prefix}.count = {k}"),
        }
    }

    fn count(self, len: usize) -> Result<usize> {
        let k = match self {
            Portion::Fraction(f) if f > 0.0 && f <= 1.0 => (f * len as f64).round() as usize,
            Portion::Fraction(f) => return Err(invalid!("fraction {f} is not in (0, 1]")),
            Portion::Count(k) => k,
        };
        if k == 0 || k > len {
            return Err(invalid!(
                "{self} of {len} images is {k}; it must be between 1 and {len}"
            ));
        }
        Ok(k)
    }
}

/// Splits `0..len` into (train, test): the test part is the first `k` of
/// `stream.permutation(len)`, the train part the rest, each sorted ascending
/// (so only membership is random; the per-epoch order is drawn elsewhere).
/// Both parts must be non-empty.
pub fn split(len: usize, test: Portion, stream: &mut Stream) -> Result<(Vec<usize>, Vec<usize>)> {
    let k = test.count(len)?;
    if k == len {
        return Err(invalid!(
            "split: test part {test} takes all {len} samples, leaving none to train on"
        ));
    }
    let perm = stream.permutation(len);
    let mut test_idx = perm[..k].to_vec();
    let mut train_idx = perm[k..].to_vec();
    test_idx.sort_unstable();
    train_idx.sort_unstable();
    Ok((train_idx, test_idx))
}

/// A random subset of `0..len` (e.g. the unlabelled search subset): the first
/// `k` of `stream.permutation(len)`, sorted ascending.
pub fn subset(len: usize, part: Portion, stream: &mut Stream) -> Result<Vec<usize>> {
    let k = part.count(len)?;
    let mut idx = stream.permutation(len)[..k].to_vec();
    idx.sort_unstable();
    Ok(idx)
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
