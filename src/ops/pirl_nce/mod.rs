//! The PIRL-style noise-contrastive loss with a memory bank that the CSNAS
//! authors' search code trains every trial with (DESIGN §2).
//!
//! Based on reading `search/ssl_utils.py` and `search/search.py` of
//! github.com/namnguyen0510/CSNAS (classes `Memory` and
//! `NoiseContrastiveEstimator`; not copied). What they do, and what we keep:
//! - **Score.** For a network feature `x_i` of image `i` (the view's, or the
//!   original's), the positive is the bank entry `m_{idx_i}` of the same
//!   image; the negatives are `K = 2(B − 1)` other bank entries
//!   ([`pirl_negative_count`]). Logits are cosine similarities over the
//!   temperature 0.07, positive first: `s_i0 = cos(x_i, m_{idx_i}) / τ`,
//!   `s_ik = cos(x_i, m_{neg_ik}) / τ`, and the loss is the cross-entropy with
//!   target 0 (an InfoNCE / softmax form), `ℓ_i = lse_k(s_ik) − s_i0`,
//!   averaged over the batch: `NCE(X) = (Σ_i ℓ_i) / B`.
//! - **Total.** `L = w·NCE(view) + (1 − w)·NCE(original)`, `w = 0.5`
//!   ([`VIEW_LOSS_WEIGHT`]), each product rounded, then added.
//! - **Cosine.** PyTorch `nn.CosineSimilarity` (eps 1e-8) divides each vector
//!   by `max(‖v‖, 1e-8)` and takes the dot product; we do the same
//!   ([`COSINE_EPS`]). Bank entries are constants: no gradient reaches them.
//! - **Negatives.** The original draws, per row, `K` bank indices uniformly
//!   *without replacement* from the bank minus the row's own image (with
//!   Python's `random`, reseeded to 7 on every call, so the view and the
//!   original terms see the same set). We draw from a [`Stream`] with Robert
//!   Floyd's algorithm ([`draw_negatives`]) and share each row's set between
//!   the two terms.
//! - **Bank.** `Memory` keeps a weighted sum `S_j` per image and a count `c`:
//!   at the start of each epoch `c ← 1 + (1 − λ)·c`; after each step, for each
//!   image of the batch `S_j ← f_j + (1 − λ)·S_j` with the *original* image's
//!   feature `f_j`; the entry is `m_j = S_j / c`, an exponentially weighted
//!   mean with `λ = 0.5` ([`BANK_WEIGHT`]), not renormalised. The bank starts
//!   as the features of all originals (`c = 1`, [`MemoryBank::from_features`]);
//!   [`MemoryBank::random_unit`] gives a seeded random start for tests.
//!
//! Accumulation orders (DESIGN 3.1.2): cosine as in `rows` (fused
//! multiply-add over the feature index ascending; division by the clamped
//! norm); for each row `i`, the logits in the order `[positive, neg_i0, …,
//! neg_i(K−1)]` with the log-sum-exp of `rows::log_sum_exp` over that order;
//! `ℓ_i` summed over `i` ascending from 0, divided once by `B`. Backward:
//! `dx̂_i = Σ_k g_ik·m̂_k`, fused multiply-add over `k` in the logit order
//! from 0, with `g_ik = (P_ik − [k = 0])·(w·dL / B) / τ` evaluated left to
//! right (`(1 − w)` in place of `w` for the original), then the
//! normalisation backward of `rows`.

mod cpu;
pub mod cuda;

pub use cpu::*;

/// The temperature of the authors' NCE.
pub const PIRL_TEMPERATURE: f64 = 0.07;

/// The feature width of the authors' memory bank.
pub const PIRL_FEATURE_DIM: usize = 256;

/// `λ` of the bank's exponential average (`Memory(weight=0.5)`).
pub const BANK_WEIGHT: f64 = 0.5;

/// `w` in `w·NCE(view) + (1 − w)·NCE(original)` (`loss_weight = 0.5`).
pub const VIEW_LOSS_WEIGHT: f64 = 0.5;

/// `nn.CosineSimilarity`'s default eps.
pub const COSINE_EPS: f64 = 1e-8;

/// `2(B − 1)`, the authors' negative count for batch size `B`.
pub fn pirl_negative_count(batch: usize) -> usize {
    2 * batch.saturating_sub(1)
}

/// Every backend's check of a batch's bank indices: each image's own index
/// and each of its negatives lie inside a bank of `bank_len` entries, and no
/// row names its own image as a negative.
pub(crate) fn check_indices(
    indices: &[usize],
    negatives: &ndarray::Array2<usize>,
    bank_len: usize,
) -> crate::error::Result<()> {
    for (i, &own) in indices.iter().enumerate() {
        if own >= bank_len || negatives.row(i).iter().any(|&j| j >= bank_len || j == own) {
            return Err(crate::invalid!(
                "pirl nce: row {i} has an index outside the bank or its own image as a negative"
            ));
        }
    }
    Ok(())
}
