//! Label-free scores of a trained search network, measured on held-out
//! unlabelled images with fixed views: the held-out contrastive loss,
//! alignment and uniformity (Wang & Isola 2020) and the effective rank of the
//! representations (RankMe, Garrido et al. 2023).
//!
//! Why: the paper's objective (the last epoch's training loss) mixes the
//! network's quality with the noise of that epoch's augmentations and batch
//! order. These scores look at the *trained* network on images it never
//! trained on, with views that are the same for every trial of a search
//! (their stream does not depend on the trial), so genotypes are compared on
//! identical inputs. All come from the one network a trial trains
//! ([`crate::train::contrastive::train_network`]); the study compares them
//! against labels, and a search may use any of them as its objective.
//!
//! # What is measured, in order (evaluation mode: BatchNorm running statistics)
//! The held-out images are cut into chunks by
//! [`batch_sizes`](super::contrastive::batch_sizes)`(n, batch_size)`, in the
//! given order. Per chunk: the `2b` rows of `contrastive_batch(data, chunk,
//! epoch 0, views, augment)` → embeddings `z` (the projection head's output).
//! - **held-out loss**: NT-Xent: `nt_xent_forward(z, τ)` of the chunk. PIRL: the
//!   bank is the held-out originals' embeddings (one chunked pass first), the
//!   view rows are `z[..b]`, the originals' rows the bank's own, `K = 2(b − 1)`
//!   negatives from `views/negatives/<chunk>`; `pirl_nce_forward`. The score
//!   is the mean of the chunk losses (f64 sum over chunks ascending, one
//!   division).
//! - **alignment**: `u = z / max(‖z‖, 1e-12)` (f64); `mean_i ‖u_i − u'_i‖²`
//!   over positive pairs (views 0 and 1 of each image).
//! - **uniformity**: `ln mean_{i<j} exp(−2‖u_i − u_j‖²)` over each view's rows,
//!   the two views averaged (Wang & Isola's `t = 2`).
//! - **RankMe**: the trunk features (pooled, before the head) of the
//!   originals; singular values `σ` from the eigenvalues of the smaller Gram
//!   matrix (cyclic Jacobi, [`super::spectrum`]); `p_k = σ_k / Σσ + 1e-7`;
//!   `exp(−Σ p_k ln p_k)`.
//!
//! Sums run over indices ascending in f64; `exp`/`ln` are `libm`'s.

use ndarray::{Array2, Axis, concatenate, s};

use super::contrastive::{batch_sizes, original_config, train_network};
use super::spectrum::symmetric_eigenvalues;
use super::trial::{ContrastiveSpec, Objective, Progress, TrialEnd, TrialOutcome};
use crate::backend::{Backend, CpuF32};
use crate::data::Dataset;
use crate::data::batch::{batch, contrastive_batch};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::model::Network;
use crate::ops::pirl_nce::{BANK_WEIGHT, MemoryBank, draw_negatives};
use crate::rng::StreamPath;

/// RankMe's ε (Garrido et al. 2023, eq. 1).
pub const RANKME_EPS: f64 = 1e-7;

/// Every label-free score of one trained network (module doc).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelFreeScores {
    pub heldout_loss: f64,
    pub alignment: f64,
    pub uniformity: f64,
    pub rankme: f64,
}

/// A trial's objective: what a search minimises. Every score is spelled so
/// that lower is better (RankMe, where higher is better, is negated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Score {
    /// The last epoch's mean training loss: the paper's objective.
    FinalLoss,
    /// The contrastive loss on held-out images with fixed views.
    HeldoutLoss,
    /// Alignment of positive pairs (Wang & Isola 2020).
    Alignment,
    /// Uniformity of the embeddings (Wang & Isola 2020).
    Uniformity,
    /// Alignment + uniformity (Wang & Isola's combined loss, λ = 1).
    AlignUniform,
    /// −RankMe of the trunk features (Garrido et al. 2023).
    RankMe,
}

impl Score {
    /// Every score, in the order reports list them.
    pub const ALL: [Score; 6] = [
        Score::FinalLoss,
        Score::HeldoutLoss,
        Score::Alignment,
        Score::Uniformity,
        Score::AlignUniform,
        Score::RankMe,
    ];

    /// The config spelling (`objective.score`).
    pub fn name(self) -> &'static str {
        match self {
            Score::FinalLoss => "final-loss",
            Score::HeldoutLoss => "heldout-loss",
            Score::Alignment => "alignment",
            Score::Uniformity => "uniformity",
            Score::AlignUniform => "align-uniform",
            Score::RankMe => "rankme",
        }
    }

    /// Parses [`Score::name`].
    pub fn from_name(name: &str) -> Result<Score> {
        Score::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Score::ALL.iter().map(|s| s.name()).collect();
                invalid!(
                    "unknown score '{name}' (expected one of {})",
                    names.join(", ")
                )
            })
    }

    /// Whether the score needs held-out images.
    pub fn needs_holdout(self) -> bool {
        self != Score::FinalLoss
    }

    /// The score's value (lower is better) from a trial's last epoch loss and
    /// its held-out scores; `None` when the scores were not measured.
    pub fn value(self, final_loss: f32, scores: Option<&LabelFreeScores>) -> Option<f64> {
        if self == Score::FinalLoss {
            return Some(f64::from(final_loss));
        }
        let s = scores?;
        Some(match self {
            Score::FinalLoss => unreachable!("handled above"),
            Score::HeldoutLoss => s.heldout_loss,
            Score::Alignment => s.alignment,
            Score::Uniformity => s.uniformity,
            Score::AlignUniform => s.alignment + s.uniformity,
            Score::RankMe => -s.rankme,
        })
    }
}

/// A trial that also measures its label-free scores: [`train_network`], then
/// [`measure`] on `data[holdout]` (skipped when `holdout` is empty or the
/// trial diverged). The same training as
/// [`run_contrastive`](super::trial::run_contrastive), bit for bit.
#[allow(clippy::too_many_arguments)]
pub fn run_scored(
    genotype: &Genotype,
    spec: &ContrastiveSpec,
    data: &Dataset,
    indices: &[usize],
    holdout: &[usize],
    views: &StreamPath,
    root: &StreamPath,
    progress: Progress<'_>,
) -> Result<TrialOutcome> {
    let dev = CpuF32::new();
    run_scored_on(
        &dev, genotype, spec, data, indices, holdout, views, root, progress,
    )
}

/// [`run_scored`] on the backend `dev` (the CPU reference above).
#[allow(clippy::too_many_arguments)]
pub fn run_scored_on<B: Backend<Elem = f32>>(
    dev: &B,
    genotype: &Genotype,
    spec: &ContrastiveSpec,
    data: &Dataset,
    indices: &[usize],
    holdout: &[usize],
    views: &StreamPath,
    root: &StreamPath,
    progress: Progress<'_>,
) -> Result<TrialOutcome> {
    let (mut net, mut outcome) = train_network(dev, genotype, spec, data, indices, root, progress)?;
    if outcome.end == TrialEnd::Ok && !holdout.is_empty() {
        outcome.scores = Some(measure(&mut net, spec, data, holdout, views)?);
    }
    Ok(outcome)
}

/// Measures `net` on `data[holdout]` with views drawn below `views`.
pub fn measure<B: Backend<Elem = f32>>(
    net: &mut Network<B>,
    spec: &ContrastiveSpec,
    data: &Dataset,
    holdout: &[usize],
    views: &StreamPath,
) -> Result<LabelFreeScores> {
    let sizes = batch_sizes(holdout.len(), spec.batch_size);
    if sizes.is_empty() {
        return Err(invalid!(
            "label-free scores: need at least 2 held-out images, got {}",
            holdout.len()
        ));
    }
    let dev = net.device().clone();
    let originals = original_config(&spec.augment);
    let (mut bank_rows, mut features) = (Vec::new(), Vec::new());
    let mut start = 0;
    for &b in &sizes {
        let chunk = &holdout[start..start + b];
        let x = dev.upload4_owned(batch(data, chunk, 0, views, &originals)?);
        let z = net.forward(&x, false, 0.0, views)?.logits;
        bank_rows.push(dev.download2(&z));
        let f = net.features(&x)?;
        features.push(dev.download2(&f));
        start += b;
    }
    let stack = |v: &[Array2<f32>]| {
        let views: Vec<_> = v.iter().map(|a| a.view()).collect();
        concatenate(Axis(0), &views).expect("same widths")
    };
    let bank_rows = stack(&bank_rows);
    let bank = MemoryBank::from_features(bank_rows, BANK_WEIGHT as f32)?;
    let (mut loss_sum, mut u0, mut u1) = (0.0f64, Vec::new(), Vec::new());
    let mut start = 0;
    for (c, &b) in sizes.iter().enumerate() {
        let chunk = &holdout[start..start + b];
        let x = dev.upload4_owned(contrastive_batch(data, chunk, 0, views, &spec.augment)?);
        let z_dev = net.forward(&x, false, 0.0, views)?.logits;
        let loss = match spec.objective {
            Objective::NtXent { temperature } => dev.nt_xent_forward(&z_dev, temperature as f32)?.0,
            Objective::PirlNce { temperature } => {
                let positions: Vec<usize> = (start..start + b).collect();
                let k = crate::ops::pirl_nce::pirl_negative_count(b);
                let mut stream = views.at("negatives", c as u64).stream();
                let negs = draw_negatives(bank.len(), &positions, k, &mut stream)?;
                let (fv, _) = dev.split_rows(&z_dev, b);
                let fo = dev.upload2(&bank_slice(&bank, &positions));
                dev.pirl_nce_forward(&fv, &fo, &positions, &negs, &bank, temperature as f32)?
                    .0
            }
        };
        let z = dev.download2(&z_dev);
        loss_sum += f64::from(loss);
        u0.extend(unit_rows(&z.slice(s![..b, ..]).to_owned()));
        u1.extend(unit_rows(&z.slice(s![b.., ..]).to_owned()));
        start += b;
    }
    Ok(LabelFreeScores {
        heldout_loss: loss_sum / sizes.len() as f64,
        alignment: alignment(&u0, &u1),
        uniformity: 0.5 * (uniformity(&u0) + uniformity(&u1)),
        rankme: rankme(&stack(&features)),
    })
}

/// The bank's current entries for `positions` (the originals' embeddings).
fn bank_slice(bank: &MemoryBank<f32>, positions: &[usize]) -> Array2<f32> {
    let mut out = Array2::zeros((positions.len(), bank.dim()));
    for (r, &p) in positions.iter().enumerate() {
        out.row_mut(r).assign(&bank.entry(p));
    }
    out
}

/// Rows of `z` in f64, each divided by `max(‖row‖, 1e-12)`.
pub fn unit_rows(z: &Array2<f32>) -> Vec<Vec<f64>> {
    z.rows()
        .into_iter()
        .map(|r| {
            let v: Vec<f64> = r.iter().map(|&x| f64::from(x)).collect();
            let norm = v.iter().fold(0.0, |a, x| x.mul_add(*x, a)).sqrt();
            v.iter().map(|x| x / norm.max(1e-12)).collect()
        })
        .collect()
}

fn squared_distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .fold(0.0, |acc, (x, y)| (x - y).mul_add(x - y, acc))
}

/// `mean_i ‖a_i − b_i‖²` (Wang & Isola's alignment with α = 2).
pub fn alignment(a: &[Vec<f64>], b: &[Vec<f64>]) -> f64 {
    let sum: f64 = a.iter().zip(b).map(|(x, y)| squared_distance(x, y)).sum();
    sum / a.len() as f64
}

/// `ln mean_{i<j} exp(−2‖u_i − u_j‖²)` (Wang & Isola's uniformity, t = 2).
pub fn uniformity(u: &[Vec<f64>]) -> f64 {
    let (mut sum, mut pairs) = (0.0f64, 0usize);
    for i in 0..u.len() {
        for j in i + 1..u.len() {
            sum += libm::exp(-2.0 * squared_distance(&u[i], &u[j]));
            pairs += 1;
        }
    }
    libm::log(sum / pairs as f64)
}

/// RankMe of the rows of `f` (N × D): `exp(entropy)` of the normalised
/// singular values plus ε.
pub fn rankme(f: &Array2<f32>) -> f64 {
    let (n, d) = f.dim();
    let x: Vec<f64> = f.iter().map(|&v| f64::from(v)).collect();
    // The smaller Gram matrix has the same non-zero eigenvalues (σ²).
    let (m, gram) = if n <= d {
        (n, gram(&x, n, d, true))
    } else {
        (d, gram(&x, n, d, false))
    };
    let sigma: Vec<f64> = symmetric_eigenvalues(gram, m)
        .into_iter()
        .map(|l| l.max(0.0).sqrt())
        .collect();
    let total: f64 = sigma.iter().sum();
    if total <= 0.0 {
        return 1.0;
    }
    let entropy: f64 = sigma
        .iter()
        .map(|s| {
            let p = s / total + RANKME_EPS;
            -p * libm::log(p)
        })
        .sum();
    libm::exp(entropy)
}

/// `X Xᵀ` (rows, `n × n`) or `Xᵀ X` (columns, `d × d`) of the row-major
/// `n × d` matrix `x`, each entry a sum over the other index ascending.
fn gram(x: &[f64], n: usize, d: usize, rows: bool) -> Vec<f64> {
    let m = if rows { n } else { d };
    let mut g = vec![0.0; m * m];
    for a in 0..m {
        for b in a..m {
            let mut acc = 0.0f64;
            if rows {
                for k in 0..d {
                    acc = x[a * d + k].mul_add(x[b * d + k], acc);
                }
            } else {
                for k in 0..n {
                    acc = x[k * d + a].mul_add(x[k * d + b], acc);
                }
            }
            g[a * m + b] = acc;
            g[b * m + a] = acc;
        }
    }
    g
}

#[cfg(test)]
#[path = "label_free_tests.rs"]
mod tests;
