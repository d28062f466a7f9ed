//! Seeded, PyTorch-default-like initialisation.
//!
//! Why its own module: DESIGN 3.1.3 requires every random draw to come from a
//! derived stream and adding a draw to shift no other. Each parameter therefore
//! draws from its own stream `init/<PyTorch parameter name>`, so adding a
//! layer never changes the values of the others.

use crate::real::Real;
use crate::rng::StreamPath;
use ndarray::{Array, Dimension};

/// Where initial parameter values come from.
#[derive(Clone, Debug)]
pub enum Init {
    /// Seeded PyTorch-default-like values, one stream per parameter name.
    Seeded(StreamPath),
    /// All zeros (shapes only: parameter counting, or before a state-dict load).
    Zeros,
}

impl Init {
    /// `U(-bound, bound)` with `bound = 1/sqrt(fan_in)`: PyTorch's default for
    /// conv and linear weights (`kaiming_uniform_(a=√5)`) and linear biases.
    /// Each value is `-bound + 2·bound·u` computed in f64 (`Stream::uniform_range`)
    /// from the stream `init.child(name)`, in row-major order, then rounded to `T`.
    pub fn fan_in_uniform<T: Real, D: Dimension>(
        &self,
        name: &str,
        shape: D,
        fan_in: usize,
    ) -> Array<T, D> {
        match self {
            Init::Zeros => Array::from_elem(shape, T::ZERO),
            Init::Seeded(path) => {
                let bound = 1.0 / (fan_in as f64).sqrt();
                let mut s = path.child(name).stream();
                let n = shape.size();
                let data: Vec<T> = (0..n)
                    .map(|_| T::from_f64(s.uniform_range(-bound, bound)))
                    .collect();
                Array::from_shape_vec(shape, data).expect("shape matches its size")
            }
        }
    }
}
