//! The DARTS text form.

use super::Genotype;
use crate::error::Result;

pub fn parse(text: &str) -> Result<Genotype> {
    let _ = text;
    todo!()
}

pub fn print(g: &Genotype) -> String {
    let _ = g;
    todo!()
}

pub fn validate(g: &Genotype) -> Result<()> {
    let _ = g;
    todo!()
}
