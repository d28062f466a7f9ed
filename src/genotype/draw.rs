//! A cell of a genotype drawn as an SVG picture, as DARTS draws its cells
//! with graphviz (`visualize.py`): the two cell inputs `c_{k-2}` and
//! `c_{k-1}` on the left, the intermediate nodes in order, the output
//! `c_{k}` on the right; one arrow per edge labelled with its op, and the
//! concatenated nodes joined to the output.
//!
//! Why hand-written SVG: the layout is a fixed left-to-right arrangement of
//! a dozen boxes, so a graph-layout dependency would add nothing; written
//! directly, the file is a pure function of the genotype (byte for byte).

use std::fmt::Write;

use super::{Cell, Op};

const NODE_W: f64 = 64.0;
const NODE_H: f64 = 30.0;
const STEP_X: f64 = 150.0;
/// Rows of the two cell inputs, and of the nodes (alternating between them).
const ROW_Y: [f64; 2] = [70.0, 310.0];
const NODE_Y: [f64; 2] = [150.0, 235.0];
const HEIGHT: f64 = 370.0;

/// Fill colour of an op's label, grouped as DARTS groups them.
fn op_colour(op: Op) -> &'static str {
    match op {
        Op::None => "#999999",
        Op::MaxPool3x3 | Op::AvgPool3x3 => "#1f77b4",
        Op::SkipConnect => "#2ca02c",
        Op::SepConv3x3 | Op::SepConv5x5 | Op::SepConv7x7 => "#d62728",
        Op::DilConv3x3 | Op::DilConv5x5 => "#9467bd",
        Op::Conv7x1_1x7 => "#8c564b",
    }
}

/// Centre of state `s`: inputs 0 and 1 in the left column, node `i`
/// (state `i + 2`) in column `i + 1`, alternating rows so arrows between
/// neighbours do not overlap; `out` is the output's column.
fn centre(s: usize, nodes: usize) -> (f64, f64) {
    match s {
        0 => (60.0, ROW_Y[0]),
        1 => (60.0, ROW_Y[1]),
        _ if s < nodes + 2 => {
            let i = s - 2;
            (60.0 + STEP_X * (i + 1) as f64, NODE_Y[i % 2])
        }
        _ => (
            60.0 + STEP_X * (nodes + 1) as f64,
            (ROW_Y[0] + ROW_Y[1]) / 2.0,
        ),
    }
}

fn label(s: usize, nodes: usize) -> String {
    match s {
        0 => "c_{k-2}".into(),
        1 => "c_{k-1}".into(),
        _ if s < nodes + 2 => (s - 2).to_string(),
        _ => "c_{k}".into(),
    }
}

/// The SVG picture of `cell` titled `title` (e.g. `DARTS_V2 normal cell`).
pub fn cell_svg(cell: &Cell, title: &str) -> String {
    let nodes = cell.nodes();
    let out_state = nodes + 2;
    let width = 60.0 + STEP_X * (nodes + 1) as f64 + 60.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{HEIGHT:.0}" viewBox="0 0 {width:.0} {HEIGHT:.0}" font-family="sans-serif">"#
    );
    s.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
         markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">\
         <path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n",
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="24" font-size="16" text-anchor="middle">{}</text>"#,
        width / 2.0,
        xml_escape(title)
    );
    // Edges first, so the boxes sit on top of the lines.
    for (k, &(op, input)) in cell.edges.iter().enumerate() {
        let to = 2 + k / 2;
        let (x0, y0) = centre(input, nodes);
        let (x1, y1) = centre(to, nodes);
        // Bend the two edges into a node apart.
        let bend = if k % 2 == 0 { -28.0 } else { 28.0 };
        let (mx, my) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0 + bend);
        let (ex, ey) = (x1 - NODE_W / 2.0, y1);
        let sx = x0 + NODE_W / 2.0;
        let colour = op_colour(op);
        let _ = writeln!(
            s,
            r#"<path d="M {sx:.1} {y0:.1} Q {mx:.1} {my:.1} {ex:.1} {ey:.1}" fill="none" stroke="{colour}" stroke-width="1.6" marker-end="url(#arrow)"/>"#
        );
        // The label sits on the curve, the two edges into a node at
        // different points so their labels do not overlap.
        let t: f64 = if k % 2 == 0 { 0.4 } else { 0.6 };
        let (a, b, c) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t);
        let (lx, ly) = (a * sx + b * mx + c * ex, a * y0 + b * my + c * ey);
        let _ = writeln!(
            s,
            r##"<text x="{lx:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="{colour}" stroke="white" stroke-width="3" paint-order="stroke">{}</text>"##,
            ly - 3.0,
            op.name()
        );
    }
    for &c in &cell.concat {
        let (x0, y0) = centre(c, nodes);
        let (x1, y1) = centre(out_state, nodes);
        let _ = writeln!(
            s,
            r##"<path d="M {:.1} {y0:.1} L {:.1} {y1:.1}" fill="none" stroke="#888" stroke-dasharray="4 3" marker-end="url(#arrow)"/>"##,
            x0 + NODE_W / 2.0,
            x1 - NODE_W / 2.0
        );
    }
    for state in 0..=out_state {
        let (x, y) = centre(state, nodes);
        let fill = match state {
            0 | 1 => "#a6d5f5",
            _ if state == out_state => "#f5d5a6",
            _ => "#e8e8e8",
        };
        let _ = writeln!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" stroke="#444"/>"##,
            x - NODE_W / 2.0,
            y - NODE_H / 2.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" font-size="13" text-anchor="middle">{}</text>"#,
            y + 4.5,
            label(state, nodes)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// `text` safe inside an SVG text element.
fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::{BUILTIN_NAMES, builtin};

    #[test]
    fn every_edge_and_concat_is_drawn_once_and_labelled() {
        for name in BUILTIN_NAMES {
            let g = builtin(name).unwrap();
            for cell in [&g.normal, &g.reduce] {
                let svg = cell_svg(cell, name);
                assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
                let arrows = svg.matches("marker-end=").count();
                assert_eq!(arrows, cell.edges.len() + cell.concat.len(), "{name}");
                for (op, _) in &cell.edges {
                    assert!(svg.contains(&format!(">{}</text>", op.name())));
                }
                // Boxes: two inputs, the nodes, the output.
                assert_eq!(svg.matches("<rect x=").count(), cell.nodes() + 3);
            }
        }
    }

    #[test]
    fn the_picture_is_a_pure_function_of_the_cell() {
        let g = builtin("DARTS_V2").unwrap();
        assert_eq!(cell_svg(&g.normal, "t"), cell_svg(&g.normal, "t"));
        assert_ne!(cell_svg(&g.normal, "t"), cell_svg(&g.reduce, "t"));
    }
}
