//! SimCLR's NT-Xent loss (normalised temperature-scaled cross-entropy), the
//! in-batch contrastive objective DESIGN §2 requires beside the PIRL NCE.
//!
//! Definition, for `z` of shape `(2N, D)` whose rows `i` and `i + N` are the
//! two views of image `i`:
//! 1. `ẑ_i = z_i / max(‖z_i‖, 1e-12)` — PyTorch `F.normalize` (eps
//!    [`NORMALIZE_EPS`]); a row with norm below eps is divided by eps, and its
//!    gradient is `dẑ/eps` (the clamp passes no gradient to the norm).
//! 2. `S_ij = dot(ẑ_i, ẑ_j) / τ` (τ = [`NT_XENT_TEMPERATURE`] by default).
//! 3. Row `i` is a softmax over `j ≠ i` (the diagonal is masked out), the
//!    positive is `p(i) = (i + N) mod 2N`, the other `2N − 2` rows are
//!    negatives: `ℓ_i = lse_{j≠i}(S_ij) − S_{i,p(i)}`.
//! 4. `L = (Σ_i ℓ_i) / 2N`.
//!
//! Accumulation orders (DESIGN 3.1.2):
//! - norms and `S_ij`: sequential fused multiply-add over the feature index
//!   ascending from 0, then `sqrt` / division by τ;
//! - log-sum-exp of row `i`: max over `j ≠ i` ascending, then
//!   `Σ exp(S_ij − max)` over `j ≠ i` ascending from 0, `lse = max + ln(sum)`;
//! - `L`: `ℓ_i` summed over `i` ascending from 0, then one division by `2N`;
//! - backward: `G_ij = (P_ij − [j = p(i)]) · (dL / 2N)` with
//!   `P_ij = exp(S_ij − max_i) / sum_i`; `dẑ_i = Σ_j (G_ij + G_ji)·ẑ_j / τ`,
//!   sequential fused multiply-add over `j` ascending (the diagonal term is 0
//!   and is skipped), then the normalisation backward of `rows`.
//!
//! Single-threaded: the work is `(2N)²·D`, small beside the network.

mod cpu;

pub use cpu::*;

/// SimCLR's default temperature.
pub const NT_XENT_TEMPERATURE: f64 = 0.5;

/// PyTorch `F.normalize`'s default eps: `ẑ = z / max(‖z‖, eps)`.
pub const NORMALIZE_EPS: f64 = 1e-12;
