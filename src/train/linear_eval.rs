//! Linear evaluation of a frozen encoder: the trunk's pooled features of
//! labelled images, standardised, and a linear classifier trained on them
//! with softmax cross-entropy and SGD; its test accuracy measures how much
//! the (contrastively trained) encoder learned without labels.
//!
//! Why: it is the standard check that a self-supervised encoder is better
//! than chance, and the check behind `csnas linear-eval` (a trained encoder
//! must beat the same encoder at random initialisation).
//!
//! Arithmetic (DESIGN 3.1.2):
//! - features: [`Network::features`] of each image resized to the network's
//!   input size (no random stage), in chunks of 256 rows (rows independent);
//! - standardisation: per feature `j`, `mean_j = (Σ_i x_ij) / n` and
//!   `var_j = (Σ_i (x_ij − mean_j)²) / n`, in f64, `i` ascending from 0,
//!   plain adds; `z_ij = ((x_ij − mean_j) / sqrt(var_j + 1e-10))` rounded to
//!   f32; the training part's statistics are applied to both parts;
//! - classifier: `Linear(D, classes)` starting from zeros (the problem is
//!   convex; no draw), epoch `e` visits the rows in the order
//!   `root/order/e .permutation(n)` in batches of `batch_size` (the last may
//!   be smaller), each batch: the backend's linear forward, cross-entropy (no
//!   smoothing), backward, one SGD update on the weight then the bias;
//! - the epoch loss: batch losses summed in f64 over batches ascending,
//!   divided once by the batch count;
//! - prediction: the first class with the largest logit.

use crate::backend::{Backend, CpuF32, MatmulOps, TensorMut, TensorRef};
use crate::data::Dataset;
use crate::data::augment::AugmentConfig;
use crate::data::batch::batch;
use crate::error::Result;
use crate::invalid;
use crate::model::Network;
use crate::ops::sgd::SgdConfig;
use crate::rng::StreamPath;
use ndarray::{Array1, Array2, Axis, concatenate};

/// Settings of the linear classifier's training.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearConfig {
    pub epochs: usize,
    /// Mini-batch size; at least the number of rows means full batch.
    pub batch_size: usize,
    pub sgd: SgdConfig,
}

impl Default for LinearConfig {
    /// 100 epochs, batches of 64, SGD lr 0.1, momentum 0.9, no weight decay.
    fn default() -> Self {
        LinearConfig {
            epochs: 100,
            batch_size: 64,
            sgd: SgdConfig {
                lr: 0.1,
                momentum: 0.9,
                dampening: 0.0,
                weight_decay: 0.0,
                nesterov: false,
            },
        }
    }
}

/// The frozen encoder's pooled features of `data[indices]` (one row each).
pub fn encoder_features<B: Backend<Elem = f32>>(
    net: &mut Network<B>,
    data: &Dataset,
    indices: &[usize],
) -> Result<Array2<f32>> {
    if indices.is_empty() {
        return Err(invalid!("linear eval: no images to extract features from"));
    }
    let cfg = AugmentConfig::none(net.config().image_size);
    let root = StreamPath::root(0);
    let mut rows = Vec::new();
    for chunk in indices.chunks(256) {
        let x = net
            .device()
            .upload4_owned(batch(data, chunk, 0, &root, &cfg)?);
        let f = net.features(&x)?;
        rows.push(net.device().download2(&f));
    }
    let views: Vec<_> = rows.iter().map(|r| r.view()).collect();
    Ok(concatenate(Axis(0), &views).expect("same widths"))
}

/// Per-feature mean and standard deviation of a training part (module doc).
#[derive(Clone, Debug, PartialEq)]
pub struct Standardizer {
    mean: Vec<f64>,
    std: Vec<f64>,
}

impl Standardizer {
    pub fn fit(x: &Array2<f32>) -> Self {
        let (n, d) = x.dim();
        let mut mean = vec![0.0f64; d];
        let mut std = vec![0.0f64; d];
        for j in 0..d {
            let mut sum = 0.0f64;
            for i in 0..n {
                sum += f64::from(x[[i, j]]);
            }
            mean[j] = sum / n as f64;
            let mut sq = 0.0f64;
            for i in 0..n {
                let c = f64::from(x[[i, j]]) - mean[j];
                sq += c * c;
            }
            std[j] = (sq / n as f64 + 1e-10).sqrt();
        }
        Standardizer { mean, std }
    }

    pub fn apply(&self, x: &Array2<f32>) -> Array2<f32> {
        Array2::from_shape_fn(x.raw_dim(), |(i, j)| {
            ((f64::from(x[[i, j]]) - self.mean[j]) / self.std[j]) as f32
        })
    }
}

/// A trained linear classifier: `logits = x·Wᵀ + b`.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearClassifier {
    pub weight: Array2<f32>,
    pub bias: Array1<f32>,
}

impl LinearClassifier {
    /// The first class with the largest logit, per row.
    pub fn predict(&self, x: &Array2<f32>) -> Vec<usize> {
        let logits = CpuF32::new().linear_forward(x, &self.weight, &self.bias);
        logits
            .rows()
            .into_iter()
            .map(|row| {
                let mut best = 0;
                for (k, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = k;
                    }
                }
                best
            })
            .collect()
    }

    /// Fraction of rows whose prediction equals the label.
    pub fn accuracy(&self, x: &Array2<f32>, labels: &[usize]) -> f64 {
        let hits = self
            .predict(x)
            .iter()
            .zip(labels)
            .filter(|(p, y)| p == y)
            .count();
        hits as f64 / labels.len().max(1) as f64
    }
}

/// Trains the classifier (module doc); `progress(epoch, epoch loss)` after
/// each epoch. Returns the classifier and every epoch's mean loss.
pub fn train_linear<B: Backend<Elem = f32>>(
    dev: &B,
    x: &Array2<f32>,
    labels: &[usize],
    classes: usize,
    cfg: &LinearConfig,
    root: &StreamPath,
    progress: &mut dyn FnMut(usize, f32),
) -> Result<(LinearClassifier, Vec<f32>)> {
    let (n, d) = x.dim();
    if n == 0 || labels.len() != n || classes == 0 || cfg.batch_size == 0 {
        return Err(invalid!(
            "linear eval: {n} rows, {} labels, {classes} classes, batch size {}",
            labels.len(),
            cfg.batch_size
        ));
    }
    cfg.sgd.validate()?;
    let mut weight = dev.zeros2((classes, d));
    let mut bias = dev.zeros1(classes);
    let (mut mw, mut mb) = (None, None);
    let mut losses = Vec::with_capacity(cfg.epochs);
    for e in 0..cfg.epochs {
        let order = root.at("order", e as u64).stream().permutation(n);
        let mut sum = 0.0f64;
        let chunks: Vec<&[usize]> = order.chunks(cfg.batch_size).collect();
        for rows in &chunks {
            let xb = dev.upload2(&x.select(Axis(0), rows));
            let yb: Vec<usize> = rows.iter().map(|&r| labels[r]).collect();
            let logits = dev.linear_forward(&xb, &weight, &bias);
            let (loss, cache) = dev.cross_entropy_forward(&logits, &yb, 0.0)?;
            let dlogits = dev.cross_entropy_backward(&cache, 1.0);
            let (_, dw, db) = dev.linear_backward(&xb, &weight, &dlogits);
            let w = TensorMut::R2(&mut weight);
            dev.sgd_update(&cfg.sgd, w, TensorRef::R2(&dw), &mut mw);
            dev.sgd_update(
                &cfg.sgd,
                TensorMut::R1(&mut bias),
                TensorRef::R1(&db),
                &mut mb,
            );
            sum += f64::from(loss);
        }
        let mean = (sum / chunks.len() as f64) as f32;
        losses.push(mean);
        progress(e, mean);
    }
    let clf = LinearClassifier {
        weight: dev.download2(&weight),
        bias: dev.download1(&bias),
    };
    Ok((clf, losses))
}

/// What a linear evaluation measured.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearEvalReport {
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    /// The last epoch's mean training loss.
    pub final_loss: f32,
}

/// Features of both parts, standardised with the training part's
/// statistics, a classifier trained on the training part, both accuracies.
#[allow(clippy::too_many_arguments)]
pub fn linear_eval<B: Backend<Elem = f32>>(
    net: &mut Network<B>,
    train: (&Dataset, &[usize]),
    test: (&Dataset, &[usize]),
    cfg: &LinearConfig,
    root: &StreamPath,
    progress: &mut dyn FnMut(usize, f32),
) -> Result<LinearEvalReport> {
    let labels = |ds: &Dataset, idx: &[usize]| -> Vec<usize> {
        idx.iter().map(|&i| usize::from(ds.labels[i])).collect()
    };
    let (xtr, xte) = (
        encoder_features(net, train.0, train.1)?,
        encoder_features(net, test.0, test.1)?,
    );
    let st = Standardizer::fit(&xtr);
    let (xtr, xte) = (st.apply(&xtr), st.apply(&xte));
    let (ytr, yte) = (labels(train.0, train.1), labels(test.0, test.1));
    let classes = train.0.classes.max(test.0.classes);
    let dev = net.device().clone();
    let (clf, losses) = train_linear(&dev, &xtr, &ytr, classes, cfg, root, progress)?;
    Ok(LinearEvalReport {
        train_accuracy: clf.accuracy(&xtr, &ytr),
        test_accuracy: clf.accuracy(&xte, &yte),
        final_loss: losses.last().copied().unwrap_or(f32::NAN),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standardizer_centres_and_scales_by_hand() {
        // Column 0: 1, 3 → mean 2, std 1; column 1: constant 5 → 0.
        let x = Array2::from_shape_vec((2, 2), vec![1.0f32, 5.0, 3.0, 5.0]).unwrap();
        let z = Standardizer::fit(&x).apply(&x);
        assert_eq!(z[[0, 1]], 0.0);
        assert!((z[[0, 0]] + 1.0).abs() < 1e-6 && (z[[1, 0]] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn linear_classifier_learns_separable_classes() {
        // Class = sign of feature 0; feature 1 is noise-free zero.
        let x = Array2::from_shape_fn((40, 2), |(i, j)| if j == 0 { i as f32 - 19.5 } else { 0.0 });
        let labels: Vec<usize> = (0..40).map(|i| usize::from(i >= 20)).collect();
        let cfg = LinearConfig {
            epochs: 20,
            batch_size: 8,
            ..LinearConfig::default()
        };
        let (clf, losses) = train_linear(
            &CpuF32::new(),
            &x,
            &labels,
            2,
            &cfg,
            &StreamPath::root(1),
            &mut |_, _| {},
        )
        .unwrap();
        assert_eq!(clf.accuracy(&x, &labels), 1.0);
        assert!(losses[19] < losses[0], "{losses:?}");
    }
}
