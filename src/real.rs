//! The scalar type every CPU op is generic over: `f32` for training, `f64` for
//! gradient checks and golden comparisons.
//!
//! Why our own trait instead of `num_traits::Float`: DESIGN 3.1.1 requires every
//! elementary function to come from the pinned `libm` crate, never from the
//! platform's C library, and `Float::exp` and friends call the latter. Here
//! `exp`, `ln`, `tanh` and `powf` are `libm`'s; `sqrt` and `mul_add` are IEEE
//! correctly rounded operations, identical on every implementation.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, Neg, SubAssign};

/// A real floating-point scalar with deterministic elementary functions.
pub trait Real:
    ndarray::LinalgScalar
    + ndarray::ScalarOperand
    + Debug
    + Display
    + Default
    + PartialOrd
    + Send
    + Sync
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    const ZERO: Self;
    const ONE: Self;
    /// Size in bytes (4 or 8).
    const BYTES: usize;
    /// Name used in checkpoints and logs (`"f32"` or `"f64"`).
    const DTYPE: &'static str;

    fn from_f64(x: f64) -> Self;
    fn to_f64(self) -> f64;
    fn from_usize(n: usize) -> Self {
        Self::from_f64(n as f64)
    }
    /// Fused multiply-add `self * a + b`, rounded once.
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn sqrt(self) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn tanh(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn abs(self) -> Self;
    fn is_finite(self) -> bool;
    /// IEEE maximum that propagates neither NaN nor order ambiguity: returns
    /// `self` when `self >= other`, else `other`.
    fn max_of(self, other: Self) -> Self {
        if self >= other { self } else { other }
    }
    /// Little-endian bytes, for hashing exact values.
    fn write_le(self, out: &mut Vec<u8>);
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const BYTES: usize = 4;
    const DTYPE: &'static str = "f32";
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn exp(self) -> Self {
        libm::expf(self)
    }
    fn ln(self) -> Self {
        libm::logf(self)
    }
    fn tanh(self) -> Self {
        libm::tanhf(self)
    }
    fn powf(self, e: Self) -> Self {
        libm::powf(self, e)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const BYTES: usize = 8;
    const DTYPE: &'static str = "f64";
    fn from_f64(x: f64) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn exp(self) -> Self {
        libm::exp(self)
    }
    fn ln(self) -> Self {
        libm::log(self)
    }
    fn tanh(self) -> Self {
        libm::tanh(self)
    }
    fn powf(self, e: Self) -> Self {
        libm::pow(self, e)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn write_le(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elementary_functions_come_from_libm() {
        // libm's values, not the platform's: compare against the crate directly.
        assert_eq!(Real::exp(0.5f32).to_bits(), libm::expf(0.5).to_bits());
        assert_eq!(Real::ln(3.0f64).to_bits(), libm::log(3.0).to_bits());
    }

    #[test]
    fn mul_add_rounds_once() {
        // 0.1*10 - 1 is exactly 5.55e-17 when fused, 0 when rounded twice.
        let fused = Real::mul_add(0.1f64, 10.0, -1.0);
        assert_eq!(fused, 5.551115123125783e-17);
    }
}
