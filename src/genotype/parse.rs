//! The DARTS text form: a small recursive-descent parser, the printer, and validation.
//!
//! Why here: DESIGN 3.3 makes the text form an interface — a genotype printed by
//! PyTorch DARTS must load, and what we print must be what Python prints for the
//! same namedtuple (a list-valued concat), byte for byte, so `print(parse(s)) == s`.
//!
//! Accepted input, beyond the printed form: single or double quotes, any
//! whitespace (newlines included), trailing commas, and a concat written as a
//! list, a tuple or `range(start, stop[, step])` (what Python 3 prints for the
//! `range(2, 6)` of DARTS' `genotypes.py`). Keyword arguments are required, in
//! namedtuple order: `normal`, `normal_concat`, `reduce`, `reduce_concat`.

use super::{Cell, Genotype, Op};
use crate::error::{Error, Result};
use crate::invalid;

/// Longest concat a `range(...)` may expand to; far above any real cell, it
/// only stops a hostile `range(0, 4000000000)` from allocating gigabytes.
const MAX_RANGE_LEN: usize = 4096;

/// Parses the DARTS text form, then validates it.
pub fn parse(text: &str) -> Result<Genotype> {
    let mut p = Parser { text, pos: 0 };
    p.expect_word("Genotype")?;
    p.expect('(')?;
    let normal_edges = p.keyword_arg("normal", |p| p.edges("normal"))?;
    p.expect(',')?;
    let normal_concat = p.keyword_arg("normal_concat", |p| p.concat("normal_concat"))?;
    p.expect(',')?;
    let reduce_edges = p.keyword_arg("reduce", |p| p.edges("reduce"))?;
    p.expect(',')?;
    let reduce_concat = p.keyword_arg("reduce_concat", |p| p.concat("reduce_concat"))?;
    p.eat(',');
    p.expect(')')?;
    if p.peek().is_some() {
        return Err(p.error("unexpected text after the closing ')' of the genotype"));
    }
    let genotype = Genotype {
        normal: Cell {
            edges: normal_edges,
            concat: normal_concat,
        },
        reduce: Cell {
            edges: reduce_edges,
            concat: reduce_concat,
        },
    };
    validate(&genotype)?;
    Ok(genotype)
}

/// Prints exactly as Python prints the namedtuple whose concats are lists:
/// `Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...], reduce_concat=[...])`.
pub fn print(g: &Genotype) -> String {
    fn edges(out: &mut String, edges: &[(Op, usize)]) {
        out.push('[');
        for (i, (op, input)) in edges.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&format!("('{}', {input})", op.name()));
        }
        out.push(']');
    }
    fn concat(out: &mut String, concat: &[usize]) {
        let items: Vec<String> = concat.iter().map(usize::to_string).collect();
        out.push_str(&format!("[{}]", items.join(", ")));
    }
    let mut out = String::from("Genotype(normal=");
    edges(&mut out, &g.normal.edges);
    out.push_str(", normal_concat=");
    concat(&mut out, &g.normal.concat);
    out.push_str(", reduce=");
    edges(&mut out, &g.reduce.edges);
    out.push_str(", reduce_concat=");
    concat(&mut out, &g.reduce.concat);
    out.push(')');
    out
}

/// Checks both cells and names the first bad entry (normal cell first; within a
/// cell: edge count, then edges in order, then the concat).
pub fn validate(g: &Genotype) -> Result<()> {
    validate_cell(&g.normal, "normal")?;
    validate_cell(&g.reduce, "reduce")
}

/// Rules (DARTS `Cell._compile`): an even, non-zero number of edges, two per
/// node; edge `e` belongs to node state `s = e/2 + 2` and may read states
/// `0..=s-1`; the concat is non-empty and names node states `2..=nodes+1`.
fn validate_cell(cell: &Cell, name: &str) -> Result<()> {
    let n = cell.edges.len();
    if n == 0 {
        return Err(invalid!(
            "{name}: no edges; a cell needs at least one node (two edges)"
        ));
    }
    if !n.is_multiple_of(2) {
        return Err(invalid!(
            "{name}: odd number of edges ({n}); each node takes exactly two"
        ));
    }
    for (e, &(_, input)) in cell.edges.iter().enumerate() {
        let state = e / 2 + 2;
        if input >= state {
            return Err(invalid!(
                "{name} edge {e} (node {state}): input {input} out of range 0..={}",
                state - 1
            ));
        }
    }
    if cell.concat.is_empty() {
        return Err(invalid!(
            "{name}_concat: empty; a cell must concatenate at least one node"
        ));
    }
    let last = cell.nodes() + 1;
    for &c in &cell.concat {
        if !(2..=last).contains(&c) {
            return Err(invalid!("{name}_concat: index {c} out of range 2..={last}"));
        }
    }
    Ok(())
}

/// Cursor over the text; `pos` is a byte offset on a char boundary.
struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Skips whitespace and returns the next char without consuming it.
    fn peek(&mut self) -> Option<char> {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(&format!("expected '{c}'")))
        }
    }

    /// A Python identifier (ASCII), or `None` when the next char cannot start one.
    fn word(&mut self) -> Option<&'a str> {
        self.peek()?;
        let rest = self.rest();
        let len = rest
            .char_indices()
            .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
            .map_or(rest.len(), |(i, _)| i);
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(&rest[..len])
    }

    fn expect_word(&mut self, word: &str) -> Result<()> {
        self.peek();
        let start = self.pos;
        match self.word() {
            Some(w) if w == word => Ok(()),
            _ => {
                self.pos = start;
                Err(self.error(&format!("expected '{word}'")))
            }
        }
    }

    /// `name = <value>`, the value read by `value`.
    fn keyword_arg<T>(
        &mut self,
        name: &str,
        value: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.peek();
        let start = self.pos;
        if self.word() != Some(name) {
            self.pos = start;
            return Err(self.error(&format!("expected keyword argument '{name}='")));
        }
        self.expect('=')?;
        value(self)
    }

    /// A quoted string without escapes: `'...'` or `"..."`.
    fn string(&mut self) -> Result<&'a str> {
        let quote = match self.peek() {
            Some(q @ ('\'' | '"')) => q,
            _ => return Err(self.error("expected a quoted op name")),
        };
        let body = &self.rest()[1..];
        match body.find([quote, '\\', '\n']) {
            Some(end) if body[end..].starts_with(quote) => {
                self.pos += 1 + end + 1;
                Ok(&body[..end])
            }
            _ => Err(self.error("unterminated or escaped string")),
        }
    }

    /// A non-negative decimal integer that fits in `u32` (the canonical encoding's width).
    fn uint(&mut self) -> Result<usize> {
        self.peek();
        let rest = self.rest();
        let len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("expected a non-negative integer"));
        }
        let value = rest[..len]
            .parse::<u32>()
            .map_err(|_| self.error("integer too large"))?;
        self.pos += len;
        Ok(value as usize)
    }

    /// `[(op, input), ...]`; `field` names the cell in messages.
    fn edges(&mut self, field: &str) -> Result<Vec<(Op, usize)>> {
        let mut edges = Vec::new();
        self.expect('[')?;
        while !self.eat(']') {
            self.expect('(')?;
            let name = self.string()?;
            let op = Op::from_name(name).ok_or_else(|| unknown_op(field, edges.len(), name))?;
            self.expect(',')?;
            let input = self.uint()?;
            self.eat(',');
            self.expect(')')?;
            edges.push((op, input));
            if !self.eat(',') && self.peek() != Some(']') {
                return Err(self.error("expected ',' or ']'"));
            }
        }
        Ok(edges)
    }

    /// A list `[2, 3]`, a tuple `(2, 3)` or `range(start, stop[, step])`.
    fn concat(&mut self, field: &str) -> Result<Vec<usize>> {
        let close = match self.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return self.range(field),
        };
        self.pos += 1;
        let mut items = Vec::new();
        while !self.eat(close) {
            items.push(self.uint()?);
            if !self.eat(',') && self.peek() != Some(close) {
                return Err(self.error(&format!("expected ',' or '{close}'")));
            }
        }
        Ok(items)
    }

    /// `range(stop)`, `range(start, stop)` or `range(start, stop, step)`, step > 0.
    fn range(&mut self, field: &str) -> Result<Vec<usize>> {
        self.peek();
        let start_pos = self.pos;
        if self.word() != Some("range") {
            self.pos = start_pos;
            return Err(self.error(&format!("{field}: expected a list, a tuple or range(...)")));
        }
        self.expect('(')?;
        let mut args = vec![self.uint()?];
        while args.len() < 3 && self.eat(',') {
            if self.peek() == Some(')') {
                break;
            }
            args.push(self.uint()?);
        }
        self.expect(')')?;
        let (start, stop, step) = match args[..] {
            [stop] => (0, stop, 1),
            [start, stop] => (start, stop, 1),
            [start, stop, step] => (start, stop, step),
            _ => unreachable!("one to three arguments"),
        };
        if step == 0 {
            self.pos = start_pos;
            return Err(self.error(&format!("{field}: range() step must not be zero")));
        }
        if stop.saturating_sub(start).div_ceil(step) > MAX_RANGE_LEN {
            self.pos = start_pos;
            return Err(self.error(&format!("{field}: range() longer than {MAX_RANGE_LEN}")));
        }
        Ok((start..stop).step_by(step).collect())
    }

    /// "genotype text, line L, column C: MSG, near '…'" — one line, the fragment escaped.
    fn error(&self, msg: &str) -> Error {
        let before = &self.text[..self.pos];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let near: String = self.rest().chars().take(24).collect();
        let near = if near.is_empty() {
            "end of text".to_string()
        } else {
            format!("'{}'", near.escape_debug())
        };
        invalid!("genotype text, line {line}, column {column}: {msg}, near {near}")
    }
}

fn unknown_op(field: &str, edge: usize, name: &str) -> Error {
    let known: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
    invalid!(
        "{field} edge {edge}: unknown op '{}' (known: {})",
        name.escape_debug(),
        known.join(", ")
    )
}
