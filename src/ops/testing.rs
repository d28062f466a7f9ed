//! Test helpers shared by the op tests: finite differences in f64, random inputs.
