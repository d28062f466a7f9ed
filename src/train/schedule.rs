//! Learning-rate and drop-path schedules, as closed forms of the epoch.
//!
//! Why closed forms: a resumed run must get the same value at epoch `e`
//! without replaying `e` scheduler steps. All arithmetic is in f64 with
//! `libm`'s `cos` and `pow`, in Python's left-to-right order; cast to the
//! training type at use.
//!
//! PyTorch's `CosineAnnealingLR.step()` uses a recursive form that equals the
//! closed form only up to rounding (~1e-17 at lr 0.025); DARTS logs and uses
//! the stepped value, so bit-exact agreement with a PyTorch run is not
//! claimed here — agreement with `_get_closed_form_lr` is.

/// `CosineAnnealingLR`'s closed form:
/// `eta_min + (base − eta_min)·(1 + cos(π·epoch / t_max)) / 2`, evaluated as
/// `eta_min + ((base − eta_min) · (1 + cos((π·epoch) / t_max))) / 2`.
pub fn cosine_lr(base_lr: f64, eta_min: f64, epoch: usize, t_max: usize) -> f64 {
    let angle = std::f64::consts::PI * epoch as f64 / t_max as f64;
    eta_min + (base_lr - eta_min) * (1.0 + libm::cos(angle)) / 2.0
}

/// `StepLR`'s closed form: `base · gamma^(epoch div step_size)` (`libm::pow`).
pub fn step_lr(base_lr: f64, gamma: f64, epoch: usize, step_size: usize) -> f64 {
    base_lr * libm::pow(gamma, (epoch / step_size.max(1)) as f64)
}

/// DARTS's linear drop-path schedule: `drop_prob · epoch / epochs`, left to
/// right (`model.drop_path_prob = args.drop_path_prob * epoch / args.epochs`).
pub fn drop_path_prob(drop_prob: f64, epoch: usize, epochs: usize) -> f64 {
    drop_prob * epoch as f64 / epochs as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_starts_at_base_ends_at_eta_min_and_halves_midway() {
        assert_eq!(cosine_lr(0.025, 0.0, 0, 600), 0.025);
        assert!(cosine_lr(0.025, 0.001, 600, 600) - 0.001 < 1e-18);
        assert!((cosine_lr(0.2, 0.0, 300, 600) - 0.1).abs() < 1e-17);
    }

    #[test]
    fn step_lr_decays_at_each_boundary() {
        assert_eq!(step_lr(0.1, 0.5, 29, 30), 0.1);
        assert_eq!(step_lr(0.1, 0.5, 30, 30), 0.05);
        assert_eq!(step_lr(0.1, 0.5, 65, 30), 0.025);
    }

    #[test]
    fn drop_path_rises_linearly_from_zero() {
        assert_eq!(drop_path_prob(0.2, 0, 600), 0.0);
        assert_eq!(drop_path_prob(0.2, 300, 600), 0.1);
        assert_eq!(drop_path_prob(0.2, 600, 600), 0.2);
    }
}
