//! `csnas show DIR [HASH] [--json|--csv] [--wide]`: print a search log.
//!
//! Why here: a table of the trials (index, record hash prefix, objective,
//! best so far, status, wall time, genotype hash; `--wide` adds the
//! genotype) and the best trial, or one record in full, or the whole log as
//! JSON or CSV for other tools. The chain is verified while it is read.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use serde_json::{Value, json};

use super::write_out;
use crate::error::Result;
use crate::invalid;
use crate::ledger::facts::wall_seconds;
use crate::ledger::{ConfigRecord, Exact, Hash, Ledger, TrialRecord, TrialStatus};
use crate::search::runner::{best_trial, read_log};

mod table;

/// Arguments of `csnas show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The search log's directory.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Show only the record whose hash starts with this (hex) prefix.
    #[arg(value_name = "HASH")]
    pub hash: Option<String>,
    /// Print the whole log as JSON instead of text (schema in README).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the trials as CSV, one row each (columns in README).
    #[arg(long)]
    pub csv: bool,
    /// Show each trial's genotype in DARTS text form, not its hash prefix.
    #[arg(long)]
    pub wide: bool,
}

fn exact_json(e: &Exact) -> Value {
    let bits = match *e {
        Exact::F32(b) => format!("f32:{b:08x}"),
        Exact::F64(b) => format!("f64:{b:016x}"),
    };
    // JSON has no infinity or NaN: those values are null, their bits say which.
    json!({ "value": e.to_f64(), "bits": bits })
}

fn status_parts(s: &TrialStatus) -> (&'static str, Option<&str>) {
    match s {
        TrialStatus::Ok => ("ok", None),
        TrialStatus::Diverged { reason } => ("diverged", Some(reason)),
        TrialStatus::Failed { reason } => ("failed", Some(reason)),
    }
}

fn trial_json(hash: &Hash, t: &TrialRecord, wall_seconds: Option<f64>) -> Value {
    let (status, reason) = status_parts(&t.status);
    json!({
        "wall_seconds": wall_seconds,
        "hash": hash.to_hex().to_string(),
        "index": t.index,
        "parent": t.parent.to_hex().to_string(),
        "genotype": t.genotype,
        "genotype_hash": t.genotype_hash.to_hex().to_string(),
        "choices": t.choices,
        "streams": t.streams,
        "epoch_losses": t.epoch_losses.iter().map(exact_json).collect::<Vec<_>>(),
        "objective": t.objective.as_ref().map(exact_json),
        "weights_digest": t.weights_digest.map(|h| h.to_hex().to_string()),
        "status": status,
        "reason": reason,
    })
}

fn config_json(hash: &Hash, c: &ConfigRecord) -> Value {
    let hp: serde_json::Map<String, Value> = (c.hyper_parameters.iter())
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({
        "hash": hash.to_hex().to_string(),
        "schema_version": c.schema_version,
        "search_space": c.search_space,
        "encoding": c.encoding,
        "objective": c.objective,
        "hyper_parameters": hp,
        "seed": c.seed,
        "data_digest": c.data_digest.to_hex().to_string(),
        "backend": c.backend,
    })
}

fn objective_text(t: &TrialRecord) -> String {
    t.objective
        .map_or("-".into(), |o| format!("{:.6}", o.to_f64()))
}

/// Runs `csnas show`.
pub fn run(args: ShowArgs, out: &mut dyn Write) -> Result<()> {
    let ledger = Ledger::open_read_only(&args.dir)?;
    let (config_hash, config, trials) = read_log(&ledger)?;
    let chain: Vec<Hash> = std::iter::once(config_hash)
        .chain(trials.iter().map(|(h, _)| *h))
        .collect();
    let walls = wall_seconds(&args.dir, &chain)[1..].to_vec();
    if let Some(prefix) = &args.hash {
        let prefix = prefix.to_ascii_lowercase();
        let matches = |h: &Hash| h.to_hex().starts_with(prefix.as_str());
        let found = if matches(&config_hash) {
            Some(config_json(&config_hash, &config))
        } else {
            (trials.iter().zip(&walls).find(|((h, _), _)| matches(h)))
                .map(|((h, t), w)| trial_json(h, t, *w))
        };
        let Some(found) = found else {
            return Err(invalid!(
                "no record of {} starts with '{prefix}'",
                args.dir.display()
            ));
        };
        let text = if args.json {
            serde_json::to_string_pretty(&found).expect("JSON values serialise")
        } else {
            record_text(&found)
        };
        return write_out(out, &format!("{text}\n"));
    }
    let best = best_trial(&trials);
    let rows = table::rows(&trials, &walls);
    if args.csv {
        return write_out(out, &table::csv(&rows));
    }
    if args.json {
        let doc = json!({
            "head": ledger.head().to_hex().to_string(),
            "config": config_json(&config_hash, &config),
            "trials": trials.iter().zip(&walls).map(|((h, t), w)| trial_json(h, t, *w)).collect::<Vec<_>>(),
            "best": best.map(|(h, _)| h.to_hex().to_string()),
        });
        let text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
        return write_out(out, &format!("{text}\n"));
    }
    let mut text = format!(
        "config {}  seed {}  {} encoding, {}  {}  {} trials\n",
        &config_hash.to_hex()[..12],
        config.seed,
        config.encoding,
        config.search_space,
        config.objective,
        trials.len()
    );
    text.push_str(&table::text(&rows, args.wide));
    match best {
        Some((h, t)) => text.push_str(&format!(
            "best: trial {} (record {}), objective {}\n{}\n",
            t.index,
            &h.to_hex()[..12],
            objective_text(t),
            t.genotype
        )),
        None => text.push_str("best: none (no trial ended ok)\n"),
    }
    text.push_str(&format!("head: {}\n", ledger.head().to_hex()));
    write_out(out, &text)
}

/// One record as `key: value` lines.
fn record_text(v: &Value) -> String {
    let Value::Object(map) = v else {
        return v.to_string();
    };
    (map.iter())
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}: {s}"),
            other => format!("{k}: {other}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests;
