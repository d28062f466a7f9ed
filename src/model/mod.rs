//! Genotype → network.
