//! The strategy's keys: how [`Strategy`] is spelled in the config record, and
//! how a config file switches it (`strategy`, `tpe.preset`, `tpe.*`).
//!
//! Why the record writes hyperopt's semantics with the six keys it always
//! had and adds `tpe.split`, `tpe.estimator` and `tpe.multivariate` only where
//! they differ from hyperopt's: the record of every existing config, and so
//! every published log's head, stays byte for byte what it was. A record
//! that spells a default out (`tpe.split = sqrt`) is not what csnas writes,
//! and the canonical-form check refuses it.
//!
//! Why config files go through [`apply_strategy`] rather than replacing
//! record values: switching the strategy adds or removes keys (random has no
//! `tpe.*` keys), which a key-by-key replacement over a preset's record
//! cannot express.

use super::Strategy;
use super::overrides::Setting;
use super::params::{Reader, Writer};
use crate::error::Result;
use crate::invalid;
use crate::search::tpe::{Estimator, Split, TpeSettings};

/// Every `tpe.*` key a config file may set, `tpe.preset` first.
pub const TPE_KEYS: [&str; 10] = [
    "tpe.preset",
    "tpe.n_startup_jobs",
    "tpe.gamma",
    "tpe.gamma_cap",
    "tpe.prior_weight",
    "tpe.linear_forgetting",
    "tpe.n_ei_candidates",
    "tpe.split",
    "tpe.estimator",
    "tpe.multivariate",
];

/// Whether a config-file key belongs to the strategy.
pub(super) fn is_strategy_key(key: &str) -> bool {
    key == "strategy" || key.starts_with("tpe.")
}

fn split_name(s: Split) -> &'static str {
    match s {
        Split::Sqrt => "sqrt",
        Split::Linear => "linear",
        Split::Fixed => "fixed",
    }
}

fn estimator_name(e: Estimator) -> &'static str {
    match e {
        Estimator::Counts => "counts",
        Estimator::Kernels => "kernels",
    }
}

/// The strategy's pairs (module doc).
pub(super) fn write(w: &mut Writer, strategy: &Strategy) {
    match strategy {
        Strategy::Random => w.put("strategy", "random"),
        Strategy::Tpe(t) => {
            w.put("strategy", "tpe");
            w.put("tpe.n_startup_jobs", t.n_startup_jobs);
            w.put("tpe.gamma", t.gamma);
            w.put("tpe.gamma_cap", t.gamma_cap);
            w.put("tpe.prior_weight", t.prior_weight);
            w.put("tpe.linear_forgetting", t.linear_forgetting);
            w.put("tpe.n_ei_candidates", t.n_ei_candidates);
            let h = TpeSettings::hyperopt();
            if t.split != h.split {
                w.put("tpe.split", split_name(t.split));
            }
            if t.estimator != h.estimator {
                w.put("tpe.estimator", estimator_name(t.estimator));
            }
            if t.multivariate != h.multivariate {
                w.put("tpe.multivariate", t.multivariate);
            }
        }
    }
}

/// The inverse of [`write`]; refuses settings TPE cannot run with.
pub(super) fn read(p: &mut Reader<'_>) -> Result<Strategy> {
    match p.text("strategy")?.as_str() {
        "random" => Ok(Strategy::Random),
        "tpe" => {
            let mut t = TpeSettings {
                n_startup_jobs: p.get("tpe.n_startup_jobs")?,
                gamma: p.get("tpe.gamma")?,
                gamma_cap: p.get("tpe.gamma_cap")?,
                prior_weight: p.get("tpe.prior_weight")?,
                linear_forgetting: p.get("tpe.linear_forgetting")?,
                n_ei_candidates: p.get("tpe.n_ei_candidates")?,
                ..TpeSettings::hyperopt()
            };
            for key in ["tpe.split", "tpe.estimator", "tpe.multivariate"] {
                if p.peek_key() == Some(key) {
                    let value = p.text(key)?;
                    set_tpe_key(&mut t, key, &value).map_err(|e| invalid!("config record: {e}"))?;
                }
            }
            t.validate().map_err(|e| invalid!("config record: {e}"))?;
            Ok(Strategy::Tpe(t))
        }
        other => Err(invalid!(
            "config record: unknown strategy '{other}' (expected 'tpe' or 'random')"
        )),
    }
}

/// Sets one `tpe.*` field (not `tpe.preset`) from its text; the error names
/// the key, the value and what is expected.
pub fn set_tpe_key(t: &mut TpeSettings, key: &str, value: &str) -> Result<()> {
    fn num<T: std::str::FromStr>(key: &str, value: &str, what: &str) -> Result<T> {
        value
            .parse()
            .map_err(|_| invalid!("{key} = '{value}' is not {what}"))
    }
    let count = "a whole number";
    match key {
        "tpe.n_startup_jobs" => t.n_startup_jobs = num(key, value, count)?,
        "tpe.gamma" => t.gamma = num(key, value, "a number")?,
        "tpe.gamma_cap" => t.gamma_cap = num(key, value, count)?,
        "tpe.prior_weight" => t.prior_weight = num(key, value, "a number")?,
        "tpe.linear_forgetting" => t.linear_forgetting = num(key, value, count)?,
        "tpe.n_ei_candidates" => t.n_ei_candidates = num(key, value, count)?,
        "tpe.split" => {
            t.split = match value {
                "sqrt" => Split::Sqrt,
                "linear" => Split::Linear,
                "fixed" => Split::Fixed,
                _ => {
                    return Err(invalid!(
                        "{key} = '{value}': expected 'sqrt' (hyperopt), 'linear' (Optuna) \
                         or 'fixed'"
                    ));
                }
            }
        }
        "tpe.estimator" => {
            t.estimator = match value {
                "counts" => Estimator::Counts,
                "kernels" => Estimator::Kernels,
                _ => {
                    return Err(invalid!(
                        "{key} = '{value}': expected 'counts' (hyperopt) or 'kernels' (Optuna)"
                    ));
                }
            }
        }
        "tpe.multivariate" => t.multivariate = num(key, value, "'true' or 'false'")?,
        _ => {
            return Err(invalid!("{}", super::suggest::unknown_key(key, &TPE_KEYS)));
        }
    }
    Ok(())
}

/// A config file's strategy settings (`strategy`, `tpe.preset`, `tpe.*`,
/// in any order) applied over `base`:
/// - `strategy = random` drops the TPE settings; a `tpe.*` key beside it is
///   an error;
/// - `strategy = tpe` keeps `base`'s TPE settings, or starts from hyperopt's
///   when `base` is random;
/// - `tpe.preset = NAME` replaces the TPE settings with that preset, and
///   the other `tpe.*` keys then change single fields, whatever their line
///   order;
/// - a `tpe.*` key needs the strategy to be TPE (from `base` or the file).
///
/// Errors name `source`, the line, the key and the value.
pub(super) fn apply_strategy(
    base: &Strategy,
    settings: &[&Setting],
    source: &str,
) -> Result<Strategy> {
    let at = |s: &Setting, msg: String| invalid!("{source}:{}: {msg}", s.line);
    let strategy_line = settings.iter().find(|s| s.key == "strategy");
    let mut tpe = match (strategy_line, base) {
        (None, Strategy::Tpe(t)) => Some(t.clone()),
        (None, Strategy::Random) => None,
        (Some(s), _) if s.value == "random" => None,
        (Some(s), Strategy::Tpe(t)) if s.value == "tpe" => Some(t.clone()),
        (Some(s), Strategy::Random) if s.value == "tpe" => Some(TpeSettings::hyperopt()),
        (Some(s), _) => {
            let msg = format!("strategy = '{}': expected 'tpe' or 'random'", s.value);
            return Err(at(s, msg));
        }
    };
    let tpe_keys = settings.iter().filter(|s| s.key != "strategy");
    let (presets, fields): (Vec<&&Setting>, Vec<&&Setting>) =
        tpe_keys.partition(|s| s.key == "tpe.preset");
    for s in presets.iter().chain(&fields) {
        let Some(t) = tpe.as_mut() else {
            let why = match strategy_line {
                Some(l) => format!("the file sets strategy = random on line {}", l.line),
                None => "the strategy is random; add 'strategy = tpe'".to_owned(),
            };
            return Err(at(s, format!("{} applies to TPE only: {why}", s.key)));
        };
        if s.key == "tpe.preset" {
            *t = TpeSettings::preset(&s.value).map_err(|e| at(s, format!("tpe.preset: {e}")))?;
            continue;
        }
        set_tpe_key(t, &s.key, &s.value).map_err(|e| at(s, e.to_string()))?;
    }
    match tpe {
        None => Ok(Strategy::Random),
        Some(t) => {
            t.validate().map_err(|e| invalid!("{source}: {e}"))?;
            Ok(Strategy::Tpe(t))
        }
    }
}

#[cfg(test)]
mod tests;
