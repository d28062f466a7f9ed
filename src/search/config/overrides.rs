//! `csnas search --config FILE`: settings written by a person, applied over a
//! preset.
//!
//! Why the config record's own keys: the file uses exactly the names the log
//! records (`csnas show DIR --json` prints them), so a published log's config
//! can be copied into a file and edited, and nothing needs a second schema.
//! Format: one `key = value` per line; `#` starts a comment; blank lines are
//! ignored. Keys are the record's hyper-parameters (`sgd.lr`, `epochs`,
//! `network.channels`, …) plus `encoding`, `objective`, `nodes` and `batch`
//! (recorded only when it is not 1), and the
//! strategy's keys (`strategy = random|tpe`, `tpe.preset`, every `tpe.*`
//! field, also those the record leaves out at hyperopt's value). Fields
//! that come from the data (`data`, `network.in_channels`,
//! `network.classes`) are set from the data afterwards.

use std::path::Path;

use super::SearchConfig;
use crate::error::{Error, Result};
use crate::invalid;

/// One `key = value` line of a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub line: usize,
    pub key: String,
    pub value: String,
}

/// Parses the text of a config file; errors name `source` and the line.
pub fn parse_settings(text: &str, source: &str) -> Result<Vec<Setting>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (key, value) = line.split_once('=').ok_or_else(|| {
            invalid!("{source}:{}: expected 'key = value', found '{line}'", i + 1)
        })?;
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() || value.is_empty() {
            return Err(invalid!(
                "{source}:{}: empty key or value in '{line}'",
                i + 1
            ));
        }
        if let Some(prev) = out.iter().find(|s: &&Setting| s.key == key) {
            return Err(invalid!(
                "{source}:{}: '{key}' is already set on line {}",
                i + 1,
                prev.line
            ));
        }
        out.push(Setting {
            line: i + 1,
            key: key.to_owned(),
            value: value.to_owned(),
        });
    }
    Ok(out)
}

impl SearchConfig {
    /// Reads `path` and applies its settings over `self` ([`Self::with_settings`]).
    pub fn with_config_file(&self, path: &Path) -> Result<SearchConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let source = path.display().to_string();
        self.with_settings(&parse_settings(&text, &source)?, &source)
    }

    /// `self` with each setting replacing the value of the same key in its
    /// config record; the strategy's keys (`strategy`, `tpe.preset`,
    /// `tpe.*`) switch the strategy as [`super::tpe_keys::apply_strategy`]
    /// says. An unknown key or a value that does not parse is an error naming
    /// `source`, the line and the key.
    pub fn with_settings(&self, settings: &[Setting], source: &str) -> Result<SearchConfig> {
        let (strategy, others): (Vec<&Setting>, Vec<&Setting>) = settings
            .iter()
            .partition(|s| super::tpe_keys::is_strategy_key(&s.key));
        let mut record = self.to_record();
        let mut batch = self.batch;
        for s in others {
            if s.key == "batch" {
                // Not in the record at its default 1 (`SearchConfig::batch`).
                batch = (s.value.parse().ok().filter(|&k: &usize| k >= 1)).ok_or_else(|| {
                    invalid!(
                        "{source}:{}: batch: '{}' is not a trial count >= 1",
                        s.line,
                        s.value
                    )
                })?;
                continue;
            }
            let at = |e: Error| invalid!("{source}:{}: {}: {e}", s.line, s.key);
            match s.key.as_str() {
                "encoding" => record.encoding = s.value.clone(),
                "objective" => record.objective = s.value.clone(),
                "nodes" => {
                    let n: usize = s
                        .value
                        .parse()
                        .map_err(|_| at(invalid!("'{}' is not a node count", s.value)))?;
                    record.search_space = format!("darts-{n}");
                }
                key => {
                    let slot = record.hyper_parameters.iter_mut().find(|(k, _)| k == key);
                    let Some((_, v)) = slot else {
                        let mut known = vec!["encoding", "objective", "nodes", "batch", "strategy"];
                        known.extend(super::TPE_KEYS.iter().copied());
                        known.extend(
                            (record.hyper_parameters.iter())
                                .map(|(k, _)| k.as_str())
                                .filter(|k| !super::tpe_keys::is_strategy_key(k)),
                        );
                        return Err(invalid!(
                            "{source}:{}: {}",
                            s.line,
                            super::suggest::unknown_key(key, &known)
                        ));
                    };
                    *v = s.value.clone();
                }
            }
            // Check each setting on its own, so an error names its line.
            Self::read_record(&record).map_err(at)?;
        }
        let mut config = Self::read_record(&record)?;
        config.batch = batch;
        config.strategy = super::tpe_keys::apply_strategy(&config.strategy, &strategy, source)?;
        crate::limits::check_search(&config).map_err(|e| invalid!("{source}: {e}"))?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_replace_preset_values_and_spelling_is_normalised() {
        let base = SearchConfig::default_preset();
        let text = "# a comment\nsgd.lr = 0.010  # trailing comment\n\nepochs = 3\nobjective = pirl-nce\nnodes = 5\n";
        let c = base
            .with_settings(&parse_settings(text, "c.cfg").unwrap(), "c.cfg")
            .unwrap();
        assert_eq!(c.spec.sgd.lr, 0.01);
        assert_eq!(c.spec.epochs, 3);
        assert!(matches!(
            c.spec.objective,
            crate::train::trial::Objective::PirlNce { .. }
        ));
        assert_eq!(c.space.nodes, 5);
        // Everything not named keeps the preset's value.
        assert_eq!(c.trials, base.trials);
        assert_eq!(c.spec.batch_size, base.spec.batch_size);
        // The record of the result is canonical.
        assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
    }

    #[test]
    fn errors_name_the_file_line_and_key() {
        let base = SearchConfig::default_preset();
        let e = parse_settings("epochs 3\n", "c.cfg")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.cfg:1: expected 'key = value'"), "{e}");
        let e = parse_settings("epochs = 3\nepochs = 4\n", "c.cfg")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.cfg:2: 'epochs' is already set on line 1"),
            "{e}"
        );
        let s = parse_settings("\nsgd.rate = 0.1\n", "c.cfg").unwrap();
        let e = base.with_settings(&s, "c.cfg").unwrap_err().to_string();
        assert!(
            e.starts_with("c.cfg:2: unknown key 'sgd.rate'") && e.contains("sgd.lr"),
            "{e}"
        );
        let s = parse_settings("epochs = three\n", "c.cfg").unwrap();
        let e = base.with_settings(&s, "c.cfg").unwrap_err().to_string();
        assert!(
            e.starts_with("c.cfg:1: epochs:") && e.contains("'three'"),
            "{e}"
        );
        let s = parse_settings("objective = triplet\n", "c.cfg").unwrap();
        let e = base.with_settings(&s, "c.cfg").unwrap_err().to_string();
        assert!(
            e.contains("c.cfg:1: objective:") && e.contains("triplet"),
            "{e}"
        );
    }
}
