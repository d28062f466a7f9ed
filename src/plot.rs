//! SVG figures of a search log: the optimisation history and the objective
//! against each edge's op, as Optuna's `plot_optimization_history` and
//! `plot_slice` show a study.
//!
//! Why plotters: axes, ticks and legends are what a plotting crate is for;
//! its SVG backend is pure Rust, draws text as `<text>` (no font files), and
//! gives the same bytes for the same log. Only `ok` trials have an
//! objective to plot; diverged and failed trials are counted in the title.

use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::genotype::{Genotype, Op};
use crate::ledger::{TrialRecord, TrialStatus};

/// `(trial index, objective)` of every `ok` trial with a finite objective.
pub fn ok_points(trials: &[TrialRecord]) -> Vec<(u64, f64)> {
    trials
        .iter()
        .filter(|t| t.status == TrialStatus::Ok)
        .filter_map(|t| Some((t.index, t.objective?.to_f64())))
        .filter(|(_, o)| o.is_finite())
        .collect()
}

fn plot_error<E: std::error::Error>(e: E) -> Error {
    Error::invalid(format!("plot: {e}"))
}

/// The y range of `values`, padded by 5% (a unit range around a constant).
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
        (l.min(v), h.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(lo.abs() * 1e-3).max(1e-6);
    (lo - pad, hi + pad)
}

/// The optimisation history: each `ok` trial's objective (dots) and the
/// best so far (a step line), over the trial index.
pub fn history_svg(trials: &[TrialRecord], title: &str) -> Result<String> {
    let points = ok_points(trials);
    let skipped = trials.len() - points.len();
    let mut best = Vec::with_capacity(points.len());
    let mut lowest = f64::INFINITY;
    for &(i, o) in &points {
        if o < lowest {
            if let Some(&(_, prev)) = best.last() {
                best.push((i as f64, prev));
            }
            lowest = o;
        }
        best.push((i as f64, lowest));
    }
    if let (Some(&(_, b)), Some(t)) = (best.last(), trials.last()) {
        best.push((t.index as f64, b));
    }
    let n = trials.last().map_or(1, |t| t.index + 1) as f64;
    let (y0, y1) = padded(points.iter().map(|p| p.1));
    let caption = if skipped > 0 {
        format!("{title} ({skipped} trials without an objective not shown)")
    } else {
        title.to_string()
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 520)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 20))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5..(n - 0.5).max(0.5), y0..y1)
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("trial")
            .y_desc("objective")
            .x_labels((n as usize).clamp(2, 12))
            .x_label_formatter(&|x| whole(*x))
            .draw()
            .map_err(plot_error)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&(i, o)| Circle::new((i as f64, o), 3, BLUE.mix(0.7).filled())),
            )
            .map_err(plot_error)?
            .label("objective")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLUE.filled()));
        chart
            .draw_series(LineSeries::new(best, RED.stroke_width(2)))
            .map_err(plot_error)?
            .label("best so far")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// A deterministic jitter in [-0.3, 0.3] from the trial index, so dots of
/// one op do not hide each other and the figure is the same every time.
fn jitter(index: u64) -> f64 {
    let h = blake3::hash(&index.to_le_bytes());
    (h.as_bytes()[0] as f64 / 255.0 - 0.5) * 0.6
}

/// The objective against the op on each edge of the decoded genotypes: one
/// panel per edge (normal cell first, then reduction), ops on the x axis
/// in DARTS order. Trials whose genotype does not parse or whose cells have
/// another edge count than the first are left out.
pub fn ops_svg(trials: &[TrialRecord], title: &str) -> Result<String> {
    let mut rows: Vec<(u64, f64, Genotype)> = Vec::new();
    for t in trials {
        if t.status != TrialStatus::Ok {
            continue;
        }
        let Some(o) = t.objective.map(|o| o.to_f64()).filter(|o| o.is_finite()) else {
            continue;
        };
        if let Ok(g) = Genotype::parse(&t.genotype) {
            rows.push((t.index, o, g));
        }
    }
    let Some((_, _, first)) = rows.first() else {
        return Err(Error::invalid(
            "plot: no trial ended ok, so there is no objective to plot against the ops",
        ));
    };
    let (normal, reduce) = (first.normal.edges.len(), first.reduce.edges.len());
    rows.retain(|(_, _, g)| g.normal.edges.len() == normal && g.reduce.edges.len() == reduce);
    let panels = normal + reduce;
    let cols = 4;
    let grid_rows = panels.div_ceil(cols);
    let (y0, y1) = padded(rows.iter().map(|r| r.1));
    let ops = Op::ALL.len();
    let mut svg = String::new();
    {
        let size = (1200u32, 40 + 230 * grid_rows as u32);
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let root = root.titled(title, ("sans-serif", 20)).map_err(plot_error)?;
        let areas = root.split_evenly((grid_rows, cols));
        for (p, area) in areas.iter().enumerate().take(panels) {
            let (cell, edge) = if p < normal {
                ("normal", p)
            } else {
                ("reduce", p - normal)
            };
            let caption = format!("{cell} node {} edge {}", edge / 2, edge % 2);
            let mut chart = ChartBuilder::on(area)
                .caption(caption, ("sans-serif", 13))
                .margin(6)
                .x_label_area_size(48)
                .y_label_area_size(52)
                .build_cartesian_2d(-0.5..(ops as f64 - 0.5), y0..y1)
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .x_labels(ops)
                .x_label_formatter(&|x| {
                    let k = x.round();
                    if (x - k).abs() < 1e-6 && k >= 0.0 && (k as usize) < ops {
                        short_name(Op::ALL[k as usize]).to_string()
                    } else {
                        String::new()
                    }
                })
                .x_label_style(("sans-serif", 10))
                .y_label_style(("sans-serif", 10))
                .disable_x_mesh()
                .draw()
                .map_err(plot_error)?;
            let dots = rows.iter().map(|(i, o, g)| {
                let e = if p < normal {
                    g.normal.edges[edge].0
                } else {
                    g.reduce.edges[edge].0
                };
                let x = op_index(e) as f64 + jitter(*i);
                Circle::new((x, *o), 2, BLUE.mix(0.6).filled())
            });
            chart.draw_series(dots).map_err(plot_error)?;
        }
        root.present().map_err(plot_error)?;
    }
    Ok(svg)
}

/// A tick label for whole trial indices only.
fn whole(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 && x >= 0.0 {
        format!("{}", x.round() as u64)
    } else {
        String::new()
    }
}

fn op_index(op: Op) -> usize {
    Op::ALL.iter().position(|&o| o == op).unwrap_or(0)
}

/// Short axis labels: `sep3`, `dil5`, `max`, `skip`, …
fn short_name(op: Op) -> &'static str {
    match op {
        Op::None => "none",
        Op::MaxPool3x3 => "max",
        Op::AvgPool3x3 => "avg",
        Op::SkipConnect => "skip",
        Op::SepConv3x3 => "sep3",
        Op::SepConv5x5 => "sep5",
        Op::DilConv3x3 => "dil3",
        Op::DilConv5x5 => "dil5",
        Op::SepConv7x7 => "sep7",
        Op::Conv7x1_1x7 => "c7x1",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::builtin;
    use crate::ledger::Exact;

    fn trial(index: u64, objective: f32, status: TrialStatus) -> TrialRecord {
        let g = builtin(if index.is_multiple_of(2) {
            "DARTS_V2"
        } else {
            "PDARTS"
        })
        .unwrap();
        TrialRecord {
            index,
            parent: blake3::hash(b""),
            genotype: g.to_darts_string(),
            genotype_hash: g.hash(),
            choices: vec![],
            streams: vec![],
            epoch_losses: vec![Exact::from_f32(objective)],
            objective: Some(Exact::from_f32(objective)),
            weights_digest: None,
            status,
        }
    }

    #[test]
    fn history_draws_one_dot_per_ok_trial_and_counts_the_others() {
        let diverged = TrialStatus::Diverged {
            reason: "nan".into(),
        };
        let trials = [
            trial(0, 3.0, TrialStatus::Ok),
            trial(1, 2.0, TrialStatus::Ok),
            trial(2, f32::INFINITY, diverged),
            trial(3, 2.5, TrialStatus::Ok),
        ];
        assert_eq!(ok_points(&trials), [(0, 3.0), (1, 2.0), (3, 2.5)]);
        let svg = history_svg(&trials, "t").unwrap();
        // Three trial dots and the legend's dot.
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        assert!(svg.contains("1 trials without an objective not shown"));
        assert_eq!(svg, history_svg(&trials, "t").unwrap(), "not deterministic");
    }

    #[test]
    fn ops_draws_a_panel_per_edge_and_refuses_a_log_without_ok_trials() {
        let trials = [
            trial(0, 3.0, TrialStatus::Ok),
            trial(1, 2.0, TrialStatus::Ok),
        ];
        let svg = ops_svg(&trials, "t").unwrap();
        // 8 edges per cell, 2 cells, 2 trials: one dot per trial per panel.
        assert_eq!(svg.matches("<circle").count(), 32);
        assert!(svg.contains("reduce node 3 edge 1"));
        let failed = TrialStatus::Failed { reason: "x".into() };
        let e = ops_svg(&[trial(0, 1.0, failed)], "t").unwrap_err();
        assert!(e.to_string().contains("no trial ended ok"), "{e}");
    }
}
