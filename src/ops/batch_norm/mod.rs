//! 2-D batch normalisation, PyTorch semantics (training with batch statistics
//! and the running-statistics update; eval with running statistics).

use crate::real::Real;
use ndarray::{Array1, Array4};

/// `#[repr(C)]` parameters.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormParams {
    pub eps: f64,
    pub momentum: f64,
}

impl Default for BatchNormParams {
    fn default() -> Self {
        BatchNormParams {
            eps: 1e-5,
            momentum: 0.1,
        }
    }
}

/// What the backward pass needs from a training-mode forward pass.
#[derive(Clone, Debug)]
pub struct BatchNormCache<T> {
    pub x_hat: Array4<T>,
    pub inv_std: Array1<T>,
}

/// Training mode: normalises with the batch statistics (biased variance) and
/// updates `running_mean`/`running_var` (unbiased variance) with `momentum`.
/// `gamma`/`beta` are `None` when non-affine.
pub fn batch_norm_train_forward<T: Real>(
    x: &Array4<T>,
    gamma: Option<&Array1<T>>,
    beta: Option<&Array1<T>>,
    running_mean: &mut Array1<T>,
    running_var: &mut Array1<T>,
    p: &BatchNormParams,
) -> (Array4<T>, BatchNormCache<T>) {
    let _ = (x, gamma, beta, running_mean, running_var, p);
    todo!()
}

/// Eval mode: normalises with the running statistics.
pub fn batch_norm_eval_forward<T: Real>(
    x: &Array4<T>,
    gamma: Option<&Array1<T>>,
    beta: Option<&Array1<T>>,
    running_mean: &Array1<T>,
    running_var: &Array1<T>,
    p: &BatchNormParams,
) -> Array4<T> {
    let _ = (x, gamma, beta, running_mean, running_var, p);
    todo!()
}

/// Training-mode backward: returns (dx, dgamma, dbeta) (dgamma/dbeta are
/// computed even when non-affine; callers ignore them).
pub fn batch_norm_backward<T: Real>(
    dy: &Array4<T>,
    gamma: Option<&Array1<T>>,
    cache: &BatchNormCache<T>,
) -> (Array4<T>, Array1<T>, Array1<T>) {
    let _ = (dy, gamma, cache);
    todo!()
}
