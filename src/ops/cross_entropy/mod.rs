//! Softmax cross-entropy over logits with integer labels and optional label
//! smoothing, as PyTorch's `F.cross_entropy(logits, labels,
//! label_smoothing=ε)` with mean reduction; and the auxiliary-head weighting
//! of the DARTS evaluation protocol (DESIGN §2).
//!
//! Definition, for logits `x` of shape `(N, K)` and labels `y_i ∈ [0, K)`:
//! `lse_i = log-sum-exp_k x_ik`, `nll_i = lse_i − x_{i,y_i}`,
//! `smooth_i = Σ_k (lse_i − x_ik)`, and
//! `ℓ_i = (1 − ε)·nll_i + (ε / K)·smooth_i` — the loss against the target
//! `t = (1 − ε)·onehot + ε/K`. `L = (Σ_i ℓ_i) / N`. With `ε = 0` the smoothing
//! term is skipped and `ℓ_i = nll_i` exactly.
//!
//! Accumulation orders (DESIGN 3.1.2): `lse_i` as in `rows::log_sum_exp`
//! (max over k ascending, then `Σ exp(x − max)` over k ascending from 0);
//! `smooth_i` over k ascending from 0; `ℓ_i` evaluated as written, unfused;
//! `L` over i ascending from 0, then one division by `N`.
//! Backward: `dx_ik = (p_ik − t_ik) · (dL / N)` with
//! `p_ik = exp(x_ik − max_i) / sum_i` and `t_ik = (1 − ε)·[k = y_i] + ε/K`.

mod cpu;

pub use cpu::*;

/// DARTS's auxiliary-head loss weight (`--auxiliary_weight 0.4`).
pub const AUX_WEIGHT: f64 = 0.4;
