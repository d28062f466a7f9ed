//! The study's scatter plots as one SVG: for each objective (and parameter
//! count), the seed-averaged label score against the seed-averaged
//! −objective (for `rankme`, whose objective is −RankMe: RankMe), one dot
//! per genotype, the seed-mean τ in the panel's title.
//!
//! Why hand-written SVG: a scatter is a few dozen elements; writing them
//! directly keeps the default build free of a plotting stack and the file
//! byte-for-byte reproducible.

use std::fmt::Write;

use super::report::{Report, StudyData};
use super::stats::column_means;

const PANEL_W: f64 = 300.0;
const PANEL_H: f64 = 240.0;
const MARGIN: f64 = 58.0;
const COLUMNS: usize = 3;

fn range(v: &[f64]) -> (f64, f64) {
    let finite = v.iter().copied().filter(|x| x.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9);
    (lo - pad, hi + pad)
}

/// A tick label: whole numbers for large values, 3 decimals otherwise.
fn tick(v: f64) -> String {
    if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn panel(out: &mut String, k: usize, title: &str, x: &[f64], y: &[f64], ylabel: &str) {
    let (ox, oy) = (
        (k % COLUMNS) as f64 * PANEL_W,
        (k / COLUMNS) as f64 * PANEL_H,
    );
    let (x0, x1) = range(x);
    let (y0, y1) = range(y);
    let (w, h) = (PANEL_W - MARGIN - 12.0, PANEL_H - MARGIN - 24.0);
    let px = |v: f64| ox + MARGIN + (v - x0) / (x1 - x0) * w;
    let py = |v: f64| oy + 24.0 + h - (v - y0) / (y1 - y0) * h;
    let _ = writeln!(
        out,
        r#"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="none" stroke="grey"/>"#,
        ox + MARGIN,
        oy + 24.0
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle">{title}</text>"#,
        ox + MARGIN + w / 2.0,
        oy + 16.0
    );
    for (v, anchor) in [(x0, "start"), (x1, "end")] {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="{anchor}">{}</text>"#,
            px(v),
            oy + 24.0 + h + 11.0,
            tick(v)
        );
    }
    for v in [y0, y1] {
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="9" text-anchor="end">{}</text>"#,
            ox + MARGIN - 3.0,
            py(v) + 3.0,
            tick(v)
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">label accuracy (seed mean)</text>"#,
        ox + MARGIN + w / 2.0,
        oy + 24.0 + h + 24.0
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle" transform="rotate(-90 {:.1} {:.1})">{ylabel}</text>"#,
        ox + 12.0,
        oy + 24.0 + h / 2.0,
        ox + 12.0,
        oy + 24.0 + h / 2.0
    );
    for (&a, &b) in x.iter().zip(y) {
        if a.is_finite() && b.is_finite() {
            let _ = writeln!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="steelblue" fill-opacity="0.7"/>"#,
                px(a),
                py(b)
            );
        }
    }
}

/// The SVG document.
pub fn scatter_svg(report: &Report, data: &StudyData) -> String {
    let label = column_means(&data.labels);
    let panels = 1 + data.objectives.len();
    let rows = panels.div_ceil(COLUMNS);
    let mut out = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif">"#,
        COLUMNS as f64 * PANEL_W,
        rows as f64 * PANEL_H
    );
    out.push('\n');
    out.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    out.push('\n');
    let title = format!("parameter count (τ {:+.3})", report.params.tau);
    panel(&mut out, 0, &title, &label, &data.params, "parameters");
    for (k, (score, reps)) in data.objectives.iter().enumerate() {
        let neg: Vec<Vec<f64>> = reps
            .iter()
            .map(|r| r.iter().map(|v| -v).collect())
            .collect();
        let tau = report
            .rows
            .iter()
            .find(|r| r.score == *score)
            .map_or(f64::NAN, |r| r.mean.tau);
        let title = format!("{} (τ {:+.3})", score.name(), tau);
        let ylabel = "−objective (seed mean)";
        panel(&mut out, k + 1, &title, &label, &column_means(&neg), ylabel);
    }
    out.push_str("</svg>\n");
    out
}
