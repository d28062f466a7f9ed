//! DARTS genotypes: the architecture a search proposes and a network is built from.
//!
//! Why here: the genotype is the interface others depend on (DESIGN 3.3): the
//! DARTS text form is read and written exactly, the published genotypes are
//! built in by name, and a canonical byte encoding gives each genotype a hash
//! that the ledger records.

mod builtin;
pub mod draw;
mod parse;
#[cfg(test)]
mod tests;

pub use builtin::{BUILTIN_NAMES, builtin};

use crate::error::Result;

/// A cell operation. The first eight, in this order, are the DARTS search
/// space (`Op::SEARCH_SPACE`); the last two appear only in published genotypes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    None,
    MaxPool3x3,
    AvgPool3x3,
    SkipConnect,
    SepConv3x3,
    SepConv5x5,
    DilConv3x3,
    DilConv5x5,
    SepConv7x7,
    Conv7x1_1x7,
}

impl Op {
    /// The DARTS search space, in DARTS order (the TPE categories).
    pub const SEARCH_SPACE: [Op; 8] = [
        Op::None,
        Op::MaxPool3x3,
        Op::AvgPool3x3,
        Op::SkipConnect,
        Op::SepConv3x3,
        Op::SepConv5x5,
        Op::DilConv3x3,
        Op::DilConv5x5,
    ];

    /// Every op, search space first.
    pub const ALL: [Op; 10] = [
        Op::None,
        Op::MaxPool3x3,
        Op::AvgPool3x3,
        Op::SkipConnect,
        Op::SepConv3x3,
        Op::SepConv5x5,
        Op::DilConv3x3,
        Op::DilConv5x5,
        Op::SepConv7x7,
        Op::Conv7x1_1x7,
    ];

    /// The DARTS name, e.g. `"sep_conv_3x3"`.
    pub fn name(self) -> &'static str {
        match self {
            Op::None => "none",
            Op::MaxPool3x3 => "max_pool_3x3",
            Op::AvgPool3x3 => "avg_pool_3x3",
            Op::SkipConnect => "skip_connect",
            Op::SepConv3x3 => "sep_conv_3x3",
            Op::SepConv5x5 => "sep_conv_5x5",
            Op::DilConv3x3 => "dil_conv_3x3",
            Op::DilConv5x5 => "dil_conv_5x5",
            Op::SepConv7x7 => "sep_conv_7x7",
            Op::Conv7x1_1x7 => "conv_7x1_1x7",
        }
    }

    /// Parses a DARTS op name.
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Stable one-byte code used in the canonical encoding (the index in `ALL`).
    pub fn code(self) -> u8 {
        Op::ALL.iter().position(|&o| o == self).expect("op in ALL") as u8
    }
}

/// One cell type: `2·nodes` edges `(op, input state)` and the states concatenated
/// at the output. States 0 and 1 are the cell inputs; node `i` is state `i + 2`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cell {
    pub edges: Vec<(Op, usize)>,
    pub concat: Vec<usize>,
}

impl Cell {
    /// Number of intermediate nodes (`edges.len() / 2`).
    pub fn nodes(&self) -> usize {
        self.edges.len() / 2
    }
}

/// A DARTS genotype: a normal and a reduction cell.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Genotype {
    pub normal: Cell,
    pub reduce: Cell,
}

impl Genotype {
    /// Parses the DARTS text form, or a built-in name (`DARTS_V2`, ...).
    /// Text that looks like a call (contains `(`) is parsed, so a malformed
    /// genotype gets a parse error rather than "unknown name".
    pub fn parse_or_builtin(text: &str) -> Result<Genotype> {
        let t = text.trim();
        if t.starts_with("Genotype") || t.contains('(') {
            parse::parse(t)
        } else {
            builtin(t)
        }
    }

    /// Parses the DARTS text form and validates it.
    pub fn parse(text: &str) -> Result<Genotype> {
        parse::parse(text)
    }

    /// The DARTS text form, exactly as Python prints the namedtuple.
    pub fn to_darts_string(&self) -> String {
        parse::print(self)
    }

    /// Checks that every input index and concat index is in range, that each
    /// node has exactly two edges, and names the first bad entry.
    pub fn validate(&self) -> Result<()> {
        parse::validate(self)
    }

    /// Canonical bytes: tag `csnas-genotype-v1`, then for normal and reduce
    /// cells: edge count (u32 LE), each edge as (op code u8, input u32 LE),
    /// concat count (u32 LE), each concat index (u32 LE).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = b"csnas-genotype-v1".to_vec();
        for cell in [&self.normal, &self.reduce] {
            out.extend_from_slice(&(cell.edges.len() as u32).to_le_bytes());
            for &(op, input) in &cell.edges {
                out.push(op.code());
                out.extend_from_slice(&(input as u32).to_le_bytes());
            }
            out.extend_from_slice(&(cell.concat.len() as u32).to_le_bytes());
            for &c in &cell.concat {
                out.extend_from_slice(&(c as u32).to_le_bytes());
            }
        }
        out
    }

    /// blake3 of [`Genotype::canonical_bytes`].
    pub fn hash(&self) -> blake3::Hash {
        blake3::hash(&self.canonical_bytes())
    }
}
