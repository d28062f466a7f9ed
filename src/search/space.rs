//! Encodings of the DARTS cell search space as categorical variables.
//!
//! Why two encodings: `csnas` is the original method's (DESIGN §2), kept so a
//! published search can be reproduced faithfully; `nodes` reaches every
//! genotype exactly once, so TPE's counts are not diluted over many encodings
//! of one architecture (the `csnas` encoding maps many choice vectors to one
//! genotype, e.g. which `none` edges were dropped does not matter).
//!
//! States 0 and 1 are the cell inputs; intermediate node `i` (0-based) is state
//! `i + 2` and may read any of states `0..i+2`. Both encodings list the normal
//! cell's variables, then the reduction cell's. A `nodes` genotype
//! concatenates every intermediate node; a `csnas` genotype the last
//! `min(nodes, 4)`, as the authors' decoding does (DARTS `multiplier = 4`:
//! `search/search.py` line 72 passes `multiplier=4`, and
//! `search/model_generator.py` line 166 sets `concat = range(2 + steps −
//! multiplier, steps + 2)`), so with 5 nodes the first node is computed but
//! only reaches the output through later nodes.

use crate::error::Result;
use crate::genotype::{Cell, Genotype, Op};
use crate::invalid;

/// How a genotype is spelled as a vector of categorical choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// One variable per edge of the DARTS mixed cell, 8 choices each
    /// (`Op::SEARCH_SPACE`, `none` included), decoded as DARTS does.
    Csnas,
    /// Per node: one variable for the unordered pair of distinct inputs, then
    /// one op (7 choices, `none` excluded) for the lower input and one for the
    /// higher input.
    Nodes,
}

impl Encoding {
    /// The name recorded in logs: `"csnas"` or `"nodes"`.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Csnas => "csnas",
            Encoding::Nodes => "nodes",
        }
    }

    /// Parses [`Encoding::name`].
    pub fn from_name(name: &str) -> Result<Encoding> {
        match name {
            "csnas" => Ok(Encoding::Csnas),
            "nodes" => Ok(Encoding::Nodes),
            other => Err(invalid!(
                "unknown encoding '{other}' (expected 'csnas' or 'nodes')"
            )),
        }
    }
}

/// The DARTS cell space with `nodes` intermediate nodes, in one encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SearchSpace {
    pub encoding: Encoding,
    pub nodes: usize,
}

/// The 7 ops a `nodes`-encoded edge may take: the search space without `none`.
fn non_none_ops() -> &'static [Op] {
    &Op::SEARCH_SPACE[1..]
}

/// The `k`-th unordered pair `(lo, hi)`, `lo < hi`, enumerated by `hi` then
/// `lo`: (0,1), (0,2), (1,2), (0,3), ... Node `i` uses the first
/// `(i+2)(i+1)/2` pairs, so each node's list is a prefix of the next one's.
fn pair(k: usize) -> (usize, usize) {
    let mut hi = 1;
    while (hi + 1) * hi / 2 <= k {
        hi += 1;
    }
    (k - hi * (hi - 1) / 2, hi)
}

impl SearchSpace {
    /// The original method's encoding (4 nodes: 28 variables).
    pub fn csnas(nodes: usize) -> Self {
        SearchSpace {
            encoding: Encoding::Csnas,
            nodes,
        }
    }

    /// The one-genotype-one-encoding space (4 nodes: 24 variables).
    pub fn nodes(nodes: usize) -> Self {
        SearchSpace {
            encoding: Encoding::Nodes,
            nodes,
        }
    }

    /// Number of choices of each variable, normal cell then reduction cell.
    pub fn cardinalities(&self) -> Vec<usize> {
        let mut cell = Vec::new();
        for i in 0..self.nodes {
            match self.encoding {
                // Node i has i+2 incoming edges, 8 ops each.
                Encoding::Csnas => cell.extend(std::iter::repeat_n(8, i + 2)),
                Encoding::Nodes => {
                    cell.push((i + 2) * (i + 1) / 2);
                    cell.push(7);
                    cell.push(7);
                }
            }
        }
        let mut all = cell.clone();
        all.extend(cell);
        all
    }

    /// Human-readable variable names, e.g. `normal/node0/edge1` or
    /// `reduce/node2/inputs`, in variable order.
    pub fn variable_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        for cell in ["normal", "reduce"] {
            for i in 0..self.nodes {
                match self.encoding {
                    Encoding::Csnas => {
                        for j in 0..i + 2 {
                            names.push(format!("{cell}/node{i}/edge{j}"));
                        }
                    }
                    Encoding::Nodes => {
                        for v in ["inputs", "op_lo", "op_hi"] {
                            names.push(format!("{cell}/node{i}/{v}"));
                        }
                    }
                }
            }
        }
        names
    }

    /// Decodes a choice vector into a genotype; rejects a vector of the wrong
    /// length or with a choice out of range, naming the variable.
    pub fn decode(&self, choices: &[usize]) -> Result<Genotype> {
        let cards = self.cardinalities();
        if choices.len() != cards.len() {
            return Err(invalid!(
                "{} choices for the {} space with {} nodes, expected {}",
                choices.len(),
                self.encoding.name(),
                self.nodes,
                cards.len()
            ));
        }
        if let Some(v) = (0..cards.len()).find(|&v| choices[v] >= cards[v]) {
            return Err(invalid!(
                "choice {} for variable {} is out of range (0..{})",
                choices[v],
                self.variable_names()[v],
                cards[v]
            ));
        }
        let (normal, reduce) = choices.split_at(cards.len() / 2);
        let cell = |c: &[usize]| match self.encoding {
            Encoding::Csnas => decode_csnas_cell(c, self.nodes),
            Encoding::Nodes => decode_nodes_cell(c, self.nodes),
        };
        Ok(Genotype {
            normal: cell(normal),
            reduce: cell(reduce),
        })
    }

    /// The `nodes` encoding of a genotype, if it has one: each node's two
    /// inputs distinct, no `none` op, every op in the search space. Edge order
    /// within a node does not matter. Errors for the `csnas` encoding, whose
    /// decoding is many-to-one.
    pub fn encode_nodes(&self, g: &Genotype) -> Result<Vec<usize>> {
        if self.encoding != Encoding::Nodes {
            return Err(invalid!("only the 'nodes' encoding can encode a genotype"));
        }
        let mut out = Vec::new();
        for (name, cell) in [("normal", &g.normal), ("reduce", &g.reduce)] {
            if cell.edges.len() != 2 * self.nodes {
                return Err(invalid!("{name} cell has {} edges", cell.edges.len()));
            }
            for i in 0..self.nodes {
                let (mut a, mut b) = (cell.edges[2 * i], cell.edges[2 * i + 1]);
                if a.1 > b.1 {
                    std::mem::swap(&mut a, &mut b);
                }
                let op = |o: Op| non_none_ops().iter().position(|&x| x == o);
                match (op(a.0), op(b.0)) {
                    (Some(oa), Some(ob)) if a.1 < b.1 && b.1 < i + 2 => {
                        out.extend([b.1 * (b.1 - 1) / 2 + a.1, oa, ob]);
                    }
                    _ => return Err(invalid!("{name} node {i} is outside the 'nodes' space")),
                }
            }
        }
        Ok(out)
    }
}

/// DARTS's `genotype()` applied to one-hot alphas (the original method).
///
/// DARTS ranks node `i`'s incoming edges by their strongest non-`none` weight
/// and keeps the top two, with Python's stable sort. With one-hot alphas an
/// edge whose choice is not `none` has strength 1 and a `none` edge has 0, so:
/// - ties are broken by input index, the earlier input first;
/// - if fewer than two edges are non-`none`, the earliest `none` edges fill
///   the remaining places, and their op is DARTS's argmax over the non-`none`
///   weights, all zero, hence the first non-`none` op, `max_pool_3x3`;
/// - the two kept edges are listed strongest first, as DARTS lists them: the
///   non-`none` ones (ascending input), then any filler.
fn decode_csnas_cell(choices: &[usize], nodes: usize) -> Cell {
    let mut edges = Vec::with_capacity(2 * nodes);
    let mut start = 0;
    for i in 0..nodes {
        let incoming = &choices[start..start + i + 2];
        start += i + 2;
        let strong = (0..i + 2).filter(|&j| incoming[j] != 0);
        let weak = (0..i + 2).filter(|&j| incoming[j] == 0);
        for j in strong.chain(weak).take(2) {
            let op = if incoming[j] == 0 {
                Op::SEARCH_SPACE[1]
            } else {
                Op::SEARCH_SPACE[incoming[j]]
            };
            edges.push((op, j));
        }
    }
    Cell {
        edges,
        concat: (2 + nodes.saturating_sub(CSNAS_MULTIPLIER)..nodes + 2).collect(),
    }
}

/// The number of nodes a `csnas` cell concatenates (DARTS's `multiplier`).
pub const CSNAS_MULTIPLIER: usize = 4;

/// `nodes` decoding: edges listed lower input first.
fn decode_nodes_cell(choices: &[usize], nodes: usize) -> Cell {
    let mut edges = Vec::with_capacity(2 * nodes);
    for i in 0..nodes {
        let c = &choices[3 * i..3 * i + 3];
        let (lo, hi) = pair(c[0]);
        edges.push((non_none_ops()[c[1]], lo));
        edges.push((non_none_ops()[c[2]], hi));
    }
    Cell {
        edges,
        concat: (2..nodes + 2).collect(),
    }
}

#[cfg(test)]
mod tests;
