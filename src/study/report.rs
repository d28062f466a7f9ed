//! A study's findings, computed from its log alone: Kendall τ-b between each
//! label-free objective and the seed-averaged label score, with bootstrap
//! intervals and permutation p-values, the noise ceiling of each side, the
//! parameter-count baseline, and τ partial on parameter count.
//!
//! Why from the log: anyone holding the log can recompute the table (every
//! resample and permutation is drawn from `seed/study/<statistic>/<row>`),
//! so a reported τ is as auditable as the measurements behind it.
//!
//! Sign convention: objectives are minimised, so each is compared as
//! `−objective` against the label score (higher is better); τ > 0 means the
//! objective ranks genotypes as labels do.

use serde_json::{Value, json};

use super::StudySettings;
use super::record::{MeasureRecord, Outcome};
use super::stats::{
    bootstrap_ci, column_means, kendall_tau_b, pairwise_tau, partial_tau, permutation_p, pick,
};
use crate::error::Result;
use crate::model::count_parameters;
use crate::rng::StreamPath;
use crate::train::label_free::{LabelFreeScores, Score};

/// The measurements, arranged: `[repetition][genotype]`.
#[derive(Clone, Debug)]
pub struct StudyData {
    pub genotypes: Vec<String>,
    pub params: Vec<f64>,
    /// Label accuracy in [0, 1], complete repetitions only.
    pub labels: Vec<Vec<f64>>,
    /// Per score: objective values (lower is better), complete repetitions.
    pub objectives: Vec<(Score, Vec<Vec<f64>>)>,
}

/// One trial as the report sees it: last epoch loss, diverged, held-out scores.
type TrialScores = (f32, bool, Option<LabelFreeScores>);

/// Arranges a study's measurements; repetitions not complete on a side are
/// left out of that side.
pub fn collect(settings: &StudySettings, measures: &[MeasureRecord]) -> Result<StudyData> {
    let n = settings.genotypes;
    let reps = settings.repetitions;
    let mut genotypes = Vec::with_capacity(n);
    let mut params = Vec::with_capacity(n);
    for g in 0..n {
        let genotype = settings.genotype(g)?;
        params.push(count_parameters(&genotype, settings.label.network(), false)? as f64);
        genotypes.push(genotype.to_darts_string());
    }
    let mut labels = vec![vec![f64::NAN; n]; reps];
    let mut trials: Vec<Vec<Option<TrialScores>>> = vec![vec![None; n]; reps];
    for m in measures {
        let (g, r) = (m.genotype_index as usize, m.repetition as usize);
        match &m.outcome {
            Outcome::Label { correct, total, .. } => {
                labels[r][g] = *correct as f64 / *total as f64;
            }
            Outcome::Trial {
                epoch_losses,
                diverged,
                scores,
                ..
            } => {
                let last = epoch_losses.last().map_or(f32::NAN, |e| e.to_f64() as f32);
                let s = scores.map(|s| LabelFreeScores {
                    heldout_loss: s[0].to_f64(),
                    alignment: s[1].to_f64(),
                    uniformity: s[2].to_f64(),
                    rankme: s[3].to_f64(),
                });
                trials[r][g] = Some((last, diverged.is_some(), s));
            }
        }
    }
    labels.retain(|row| row.iter().all(|v| !v.is_nan()));
    trials.retain(|row| row.iter().all(Option::is_some));
    let mut objectives = Vec::new();
    for score in Score::ALL {
        let rows: Option<Vec<Vec<f64>>> = trials
            .iter()
            .map(|row| {
                row.iter()
                    .map(|t| {
                        let (last, diverged, s) = t.as_ref().expect("complete");
                        if *diverged {
                            Some(f64::INFINITY)
                        } else {
                            score.value(*last, s.as_ref())
                        }
                    })
                    .collect()
            })
            .collect();
        if let Some(rows) = rows.filter(|r| !r.is_empty()) {
            objectives.push((score, rows));
        }
    }
    Ok(StudyData {
        genotypes,
        params,
        labels,
        objectives,
    })
}

/// A τ with its bootstrap 95% interval and permutation p-value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tau {
    pub tau: f64,
    pub ci: (f64, f64),
    pub p: f64,
}

/// One objective's line of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub score: Score,
    /// τ of one seed's objective (what a search sees), averaged over seeds.
    pub single: Tau,
    /// τ of the seed-averaged objective.
    pub mean: Tau,
    /// Seed-to-seed τ of the objective: (mean, min, max).
    pub ceiling: Option<(f64, f64, f64)>,
    /// τ of −objective with parameter count.
    pub with_params: f64,
    /// τ(−objective, label) partial on parameter count.
    pub partial: f64,
    /// Label rank (1 = best) of the genotype with the best mean objective.
    pub best_label_rank: usize,
}

/// The whole table.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub genotypes: usize,
    pub label_reps: usize,
    pub trial_reps: usize,
    pub label_ceiling: Option<(f64, f64, f64)>,
    pub params: Tau,
    pub rows: Vec<Row>,
}

/// Computes the table with `resamples` bootstrap draws and `permutations`.
pub fn analyse(data: &StudyData, seed: u64, resamples: usize, permutations: usize) -> Report {
    let n = data.genotypes.len();
    let label = column_means(&data.labels);
    let root = StreamPath::root(seed).child("study");
    let tau_of = |name: &str, reps: &[Vec<f64>]| -> Tau {
        let stat = |idx: &[usize]| {
            let l = pick(&label, idx);
            reps.iter()
                .map(|x| kendall_tau_b(&pick(x, idx), &l))
                .sum::<f64>()
                / reps.len() as f64
        };
        let identity: Vec<usize> = (0..n).collect();
        let perm = |p: &[usize]| {
            let l = pick(&label, p);
            reps.iter().map(|x| kendall_tau_b(x, &l)).sum::<f64>() / reps.len() as f64
        };
        Tau {
            tau: stat(&identity),
            ci: bootstrap_ci(n, resamples, &root.child("bootstrap").child(name), &stat),
            p: permutation_p(
                n,
                permutations,
                &root.child("permutation").child(name),
                &perm,
            ),
        }
    };
    let params = tau_of("params", std::slice::from_ref(&data.params));
    let tau_label_params = kendall_tau_b(&label, &data.params);
    let rank_of = |g: usize| 1 + (0..n).filter(|&h| label[h] > label[g]).count();
    let rows = (data.objectives.iter())
        .map(|(score, reps)| {
            let neg: Vec<Vec<f64>> = reps
                .iter()
                .map(|r| r.iter().map(|v| -v).collect())
                .collect();
            let mean = column_means(&neg);
            let with_params = kendall_tau_b(&mean, &data.params);
            let m = tau_of(
                &format!("{}/mean", score.name()),
                std::slice::from_ref(&mean),
            );
            let best = (0..n).fold(0, |b, g| if mean[g] > mean[b] { g } else { b });
            Row {
                score: *score,
                single: tau_of(&format!("{}/single", score.name()), &neg),
                ceiling: pairwise_tau(&neg),
                with_params,
                partial: partial_tau(m.tau, with_params, tau_label_params),
                best_label_rank: rank_of(best),
                mean: m,
            }
        })
        .collect();
    Report {
        genotypes: n,
        label_reps: data.labels.len(),
        trial_reps: data.objectives.first().map_or(0, |o| o.1.len()),
        label_ceiling: pairwise_tau(&data.labels),
        params,
        rows,
    }
}

fn ceiling_text(c: Option<(f64, f64, f64)>) -> String {
    c.map_or("n/a".into(), |(m, lo, hi)| {
        format!("{m:+.2} [{lo:+.2}, {hi:+.2}]")
    })
}

fn tau_text(t: &Tau) -> String {
    format!("{:+.3} [{:+.2}, {:+.2}]", t.tau, t.ci.0, t.ci.1)
}

/// The table as text.
pub fn table(r: &Report) -> String {
    let mut s = format!(
        "{} genotypes; label score: {} seed(s), seed-to-seed τ {}; objective: {} seed(s)\n",
        r.genotypes,
        r.label_reps,
        ceiling_text(r.label_ceiling),
        r.trial_reps
    );
    s.push_str(&format!(
        "baseline, parameter count: τ {} p {:.4}\n\n",
        tau_text(&r.params),
        r.params.p
    ));
    s.push_str(&format!(
        "{:<14} {:>24} {:>24} {:>7} {:>22} {:>9} {:>9} {:>5}\n",
        "objective",
        "τ 1 seed [95% CI]",
        "τ seed-mean [95% CI]",
        "p",
        "ceiling (seed-seed τ)",
        "τ params",
        "partial",
        "best"
    ));
    for row in &r.rows {
        s.push_str(&format!(
            "{:<14} {:>24} {:>24} {:>7.4} {:>22} {:>+9.3} {:>+9.3} {:>5}\n",
            row.score.name(),
            tau_text(&row.single),
            tau_text(&row.mean),
            row.mean.p,
            ceiling_text(row.ceiling),
            row.with_params,
            row.partial,
            row.best_label_rank
        ));
    }
    s.push_str(
        "\nτ: Kendall τ-b of −objective with the seed-averaged label score (bootstrap 95% CI over\n\
         genotypes; p: permutation, two-sided); ceiling: the objective's τ between seeds; partial:\n\
         τ partial on parameter count; best: label rank of the genotype with the best mean objective.\n",
    );
    s
}

fn tau_json(t: &Tau) -> Value {
    json!({"tau": t.tau, "ci95": [t.ci.0, t.ci.1], "p": t.p})
}

fn ceiling_json(c: Option<(f64, f64, f64)>) -> Value {
    c.map_or(
        Value::Null,
        |(m, lo, hi)| json!({"mean": m, "min": lo, "max": hi}),
    )
}

/// The report, plus the per-genotype values, as JSON.
pub fn to_json(r: &Report, data: &StudyData, head: &str) -> Value {
    let rows: Vec<Value> = (r.rows.iter())
        .map(|row| {
            json!({
                "objective": row.score.name(),
                "tau_single_seed": tau_json(&row.single),
                "tau_seed_mean": tau_json(&row.mean),
                "noise_ceiling": ceiling_json(row.ceiling),
                "tau_with_params": row.with_params,
                "partial_tau_on_params": row.partial,
                "best_label_rank": row.best_label_rank,
            })
        })
        .collect();
    let objectives: Vec<Value> = (data.objectives.iter())
        .map(|(s, reps)| json!({"objective": s.name(), "values": reps}))
        .collect();
    json!({
        "head": head,
        "genotypes": r.genotypes,
        "label_repetitions": r.label_reps,
        "trial_repetitions": r.trial_reps,
        "label_noise_ceiling": ceiling_json(r.label_ceiling),
        "params_baseline": tau_json(&r.params),
        "rows": rows,
        "data": {
            "genotypes": data.genotypes,
            "params": data.params,
            "label_accuracy": data.labels,
            "objectives": objectives,
        },
    })
}
