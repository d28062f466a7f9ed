//! `csnas show`'s trial table as text (fits 80 columns; `--wide` adds the
//! genotype) and as CSV (every column, one row per trial).
//!
//! Why apart: the table's columns — objective, best so far, wall time — are
//! what a person scans while a search runs and what a script exports; the
//! JSON document of the whole log stays in `show.rs`.

use crate::ledger::{Hash, TrialRecord, TrialStatus};

/// One trial as the table shows it.
pub(crate) struct Row<'a> {
    pub hash: &'a Hash,
    pub trial: &'a TrialRecord,
    /// Lowest objective of the `ok` trials up to and including this one.
    pub best_so_far: Option<f64>,
    pub wall_seconds: Option<f64>,
}

/// The rows of `trials` with their running best and wall times (`walls`
/// aligned with `trials`).
pub(crate) fn rows<'a>(trials: &'a [(Hash, TrialRecord)], walls: &[Option<f64>]) -> Vec<Row<'a>> {
    let mut best: Option<f64> = None;
    trials
        .iter()
        .zip(walls.iter().copied().chain(std::iter::repeat(None)))
        .map(|((hash, trial), wall_seconds)| {
            if trial.status == TrialStatus::Ok
                && let Some(o) = trial.objective.map(|o| o.to_f64())
                && best.is_none_or(|b| o < b)
            {
                best = Some(o);
            }
            Row {
                hash,
                trial,
                best_so_far: best,
                wall_seconds,
            }
        })
        .collect()
}

fn status(s: &TrialStatus) -> (&'static str, &str) {
    match s {
        TrialStatus::Ok => ("ok", ""),
        TrialStatus::Diverged { reason } => ("diverged", reason),
        TrialStatus::Failed { reason } => ("failed", reason),
    }
}

/// Six decimals, or three significant digits in exponent form for values
/// that six decimals would flatten (`1.796e-4`).
fn number(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v != 0.0 && v.abs() < 1e-3 => format!("{v:.3e}"),
        Some(v) => format!("{v:.6}"),
    }
}

/// The text table: a header line, then one line per trial. Without `wide`
/// each line is at most 80 characters (the genotype is named by its hash
/// prefix); with it the DARTS text form follows.
pub(crate) fn text(rows: &[Row<'_>], wide: bool) -> String {
    let mut out = format!(
        "{:>5}  {:<12}  {:>10}  {:>10}  {:<8}  {:>7}  {}\n",
        "index",
        "record",
        "objective",
        "best",
        "status",
        "wall",
        if wide { "genotype" } else { "genotype hash" }
    );
    for r in rows {
        let genotype = if wide {
            r.trial.genotype.clone()
        } else {
            r.trial.genotype_hash.to_hex()[..12].to_string()
        };
        out.push_str(&format!(
            "{:>5}  {:<12}  {:>10}  {:>10}  {:<8}  {:>7}  {genotype}\n",
            r.trial.index,
            &r.hash.to_hex()[..12],
            number(r.trial.objective.map(|o| o.to_f64())),
            number(r.best_so_far),
            status(&r.trial.status).0,
            super::super::progress::duration_text(r.wall_seconds),
        ));
    }
    out
}

/// The CSV header; [`csv`] writes these columns in this order.
pub const CSV_COLUMNS: [&str; 10] = [
    "index",
    "record",
    "objective",
    "best_so_far",
    "status",
    "reason",
    "wall_seconds",
    "genotype_hash",
    "genotype",
    "epoch_losses",
];

/// RFC 4180 CSV: a header, then one line per trial; full hashes, exact
/// values in Rust's shortest round-trip form, empty cells for unknowns,
/// epoch losses joined by `;`.
pub(crate) fn csv(rows: &[Row<'_>]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for r in rows {
        let (status, reason) = status(&r.trial.status);
        let losses: Vec<String> = r
            .trial
            .epoch_losses
            .iter()
            .map(|e| e.to_f64().to_string())
            .collect();
        let cells = [
            r.trial.index.to_string(),
            r.hash.to_hex().to_string(),
            opt(r.trial.objective.map(|o| o.to_f64())),
            opt(r.best_so_far),
            status.to_string(),
            reason.to_string(),
            opt(r.wall_seconds),
            r.trial.genotype_hash.to_hex().to_string(),
            r.trial.genotype.clone(),
            losses.join(";"),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// A CSV cell: quoted (with quotes doubled) when it holds a comma, quote or
/// line break.
pub(crate) fn csv_cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}
