//! Evaluation of a trained classifier: logits over a data set in evaluation
//! mode, and accuracy.
//!
//! Why apart from the training loop: `csnas train` (test accuracy after each
//! epoch) and `csnas predict` (per-image logits) both read logits the same
//! way, and neither needs the optimiser.

use crate::backend::Backend;
use crate::data::Dataset;
use crate::data::augment::AugmentConfig;
use crate::data::batch::batch;
use crate::error::Result;
use crate::model::Network;
use crate::rng::StreamPath;

/// Fraction of `data[indices]` that the network (evaluation mode) classifies
/// correctly; batches of `batch_size` in the given order.
pub fn evaluate<B: Backend<Elem = f32>>(
    net: &mut Network<B>,
    data: &Dataset,
    indices: &[usize],
    augment: &AugmentConfig,
    batch_size: usize,
) -> Result<f64> {
    let mut correct = 0usize;
    for_each_logits(net, data, indices, augment, batch_size, &mut |i, row| {
        if argmax(row) == data.labels[i] as usize {
            correct += 1;
        }
    })?;
    Ok(correct as f64 / indices.len().max(1) as f64)
}

/// Runs the network in evaluation mode over `data[indices]` (batches of
/// `batch_size`, the augmentation's streams unused as long as it draws
/// nothing) and calls `f(index, logits)` for each sample in order.
pub fn for_each_logits<B: Backend<Elem = f32>>(
    net: &mut Network<B>,
    data: &Dataset,
    indices: &[usize],
    augment: &AugmentConfig,
    batch_size: usize,
    f: &mut dyn FnMut(usize, &[f32]),
) -> Result<()> {
    let root = StreamPath::root(0).child("eval");
    for chunk in indices.chunks(batch_size.max(1)) {
        let x = net
            .device()
            .upload4_owned(batch(data, chunk, 0, &root, augment)?);
        let out = net.forward(&x, false, 0.0, &root)?;
        let logits = net.device().download2(&out.logits);
        for (k, &i) in chunk.iter().enumerate() {
            let row = logits.row(k);
            f(i, row.as_slice().expect("logits rows are contiguous"));
        }
    }
    Ok(())
}

/// The first index of the largest value, by `>` comparisons from index 0
/// (a NaN never replaces the current best).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (k, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = k;
        }
    }
    best
}
