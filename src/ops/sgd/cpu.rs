//! The CPU reference of the SGD step: the definition and the accumulation
//! order it follows are documented in the parent module ([`super`]).

use super::SgdConfig;
use crate::error::Result;
use crate::invalid;
use crate::real::Real;

/// Per-parameter optimiser state: PyTorch's `momentum_buffer`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SgdState<T> {
    pub momentum_buffer: Option<Vec<T>>,
}

/// One parameter tensor, flattened, with its gradient and state.
pub struct ParamRef<'a, T> {
    /// Its state-dict name, for error messages.
    pub name: &'a str,
    pub param: &'a mut [T],
    pub grad: &'a [T],
    pub state: &'a mut SgdState<T>,
}

/// One SGD step over `params`, in the order given (see the module doc).
pub fn sgd_step<T: Real>(cfg: &SgdConfig, params: &mut [ParamRef<'_, T>]) -> Result<()> {
    cfg.validate()?;
    for pr in params.iter() {
        let buf_len = pr.state.momentum_buffer.as_ref().map(Vec::len);
        if pr.grad.len() != pr.param.len() || buf_len.is_some_and(|n| n != pr.param.len()) {
            return Err(invalid!(
                "sgd: parameter {} has {} values, gradient {}, momentum buffer {buf_len:?}",
                pr.name,
                pr.param.len(),
                pr.grad.len()
            ));
        }
    }
    for pr in params.iter_mut() {
        let fresh = sgd_update_slice(
            cfg,
            pr.param,
            pr.grad,
            pr.state.momentum_buffer.as_deref_mut(),
        );
        if let Some(buf) = fresh {
            pr.state.momentum_buffer = Some(buf);
        }
    }
    Ok(())
}

/// One parameter's SGD step (see the module doc for the order); `cfg` must
/// be valid ([`SgdConfig::validate`]) and the lengths equal. `momentum`: the
/// buffer, `None` before the first step. Returns the new buffer when this
/// step created one (the first step with momentum), else `None`.
pub fn sgd_update_slice<T: Real>(
    cfg: &SgdConfig,
    param: &mut [T],
    grad: &[T],
    momentum: Option<&mut [T]>,
) -> Option<Vec<T>> {
    let wd = T::from_f64(cfg.weight_decay);
    let mu = T::from_f64(cfg.momentum);
    let keep = T::from_f64(1.0 - cfg.dampening);
    let neg_lr = T::from_f64(-cfg.lr);
    let mut d: Vec<T> = if cfg.weight_decay != 0.0 {
        grad.iter()
            .zip(param.iter())
            .map(|(&g, &p)| wd.mul_add(p, g))
            .collect()
    } else {
        grad.to_vec()
    };
    let mut fresh = None;
    if cfg.momentum != 0.0 {
        let buf: &[T] = match momentum {
            None => fresh.insert(d.clone()),
            Some(buf) => {
                for (b, &dv) in buf.iter_mut().zip(d.iter()) {
                    *b = keep.mul_add(dv, *b * mu);
                }
                buf
            }
        };
        if cfg.nesterov {
            for (dv, &b) in d.iter_mut().zip(buf.iter()) {
                *dv = mu.mul_add(b, *dv);
            }
        } else {
            d.copy_from_slice(buf);
        }
    }
    for (p, &dv) in param.iter_mut().zip(d.iter()) {
        *p = neg_lr.mul_add(dv, *p);
    }
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sgd_is_p_minus_lr_g() {
        // Hand values: no momentum, no decay: p = p − lr·g.
        let mut p = vec![1.0f64, -2.0];
        let mut st = SgdState::default();
        let cfg = SgdConfig {
            lr: 0.5,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        };
        let mut prs = [ParamRef {
            name: "w",
            param: &mut p,
            grad: &[2.0, 4.0],
            state: &mut st,
        }];
        sgd_step(&cfg, &mut prs).unwrap();
        assert_eq!(p, vec![0.0, -4.0]);
        assert!(st.momentum_buffer.is_none());
    }

    #[test]
    fn nesterov_momentum_by_hand() {
        // μ = 0.5, lr = 1, g = 1 twice: step 1 buf = 1, d = 1 + 0.5 = 1.5,
        // p = −1.5; step 2 buf = 0.5 + 1 = 1.5, d = 1 + 0.75 = 1.75, p = −3.25.
        let cfg = SgdConfig {
            lr: 1.0,
            momentum: 0.5,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: true,
        };
        let mut p = vec![0.0f64];
        let mut st = SgdState::default();
        for _ in 0..2 {
            let mut prs = [ParamRef {
                name: "w",
                param: &mut p,
                grad: &[1.0],
                state: &mut st,
            }];
            sgd_step(&cfg, &mut prs).unwrap();
        }
        assert_eq!(p, vec![-3.25]);
    }

    #[test]
    fn sgd_rejects_mismatched_lengths_and_bad_nesterov() {
        let mut p = vec![0.0f64; 2];
        let mut st = SgdState::default();
        let mut prs = [ParamRef {
            name: "w",
            param: &mut p,
            grad: &[1.0],
            state: &mut st,
        }];
        assert!(sgd_step(&SgdConfig::darts(0.1), &mut prs).is_err());
        let bad = SgdConfig {
            dampening: 0.1,
            nesterov: true,
            ..SgdConfig::darts(0.1)
        };
        assert!(bad.validate().is_err());
    }
}
