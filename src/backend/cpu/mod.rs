//! The CPU reference backend: ndarray arrays on the host, the ops of
//! [`crate::ops`] and the losses and optimiser of [`crate::train`].
//!
//! Why a thin wrapper: the reference arithmetic is written once, beside each
//! op's documented order (`src/ops/<op>/`); this backend only routes the seam's
//! methods to it, so going through the seam changes no bit. `Cpu<f32>` is the
//! training reference (arithmetic `cpu-f32`, the name hashed into every search
//! log so far); `Cpu<f64>` serves gradient checks and golden comparisons.

mod ops;

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use ndarray::{Array1, Array2, Array4};

use super::BackendKind;
use super::device::{BackendCore, Dims4, TensorMut, TensorRef};
use crate::ops::profile;
use crate::ops::recycle;
use crate::real::Real;

/// The CPU reference backend over the scalar `T` (zero-sized).
pub struct Cpu<T>(PhantomData<fn() -> T>);

/// The training reference.
pub type CpuF32 = Cpu<f32>;
/// The gradient-check reference.
pub type CpuF64 = Cpu<f64>;

impl<T> Cpu<T> {
    pub const fn new() -> Self {
        Cpu(PhantomData)
    }
}

impl<T> Default for Cpu<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Clone for Cpu<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Cpu<T> {}

impl<T: Real> fmt::Debug for Cpu<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cpu<{}>", T::DTYPE)
    }
}

impl<T: Real> BackendCore for Cpu<T> {
    type Elem = T;
    type T1 = Array1<T>;
    type T2 = Array2<T>;
    type T4 = Array4<T>;

    fn arithmetic(&self) -> String {
        format!("cpu-{}", T::DTYPE)
    }

    fn kind(&self) -> BackendKind {
        BackendKind::Cpu
    }

    fn upload1(&self, host: &Array1<T>) -> Array1<T> {
        host.as_standard_layout().into_owned()
    }
    fn upload2(&self, host: &Array2<T>) -> Array2<T> {
        host.as_standard_layout().into_owned()
    }
    fn upload4(&self, host: &Array4<T>) -> Array4<T> {
        host.as_standard_layout().into_owned()
    }

    fn upload4_owned(&self, host: Array4<T>) -> Array4<T> {
        if host.is_standard_layout() {
            host
        } else {
            host.as_standard_layout().into_owned()
        }
    }

    fn download1(&self, t: &Array1<T>) -> Array1<T> {
        t.clone()
    }
    fn download2(&self, t: &Array2<T>) -> Array2<T> {
        t.clone()
    }
    fn download4(&self, t: &Array4<T>) -> Array4<T> {
        t.clone()
    }

    fn host_slice<'a>(&self, t: TensorRef<'a, Self>) -> Cow<'a, [T]> {
        Cow::Borrowed(flat(t))
    }

    fn write_host(&self, t: TensorMut<'_, Self>, values: &[T]) {
        flat_mut(t).copy_from_slice(values);
    }

    fn dims1(&self, t: &Array1<T>) -> usize {
        t.len()
    }
    fn dims2(&self, t: &Array2<T>) -> (usize, usize) {
        t.dim()
    }
    fn dims4(&self, t: &Array4<T>) -> Dims4 {
        t.dim()
    }

    fn zeros1(&self, n: usize) -> Array1<T> {
        Array1::from_elem(n, T::ZERO)
    }
    fn zeros2(&self, dims: (usize, usize)) -> Array2<T> {
        Array2::from_elem(dims, T::ZERO)
    }
    fn zeros4(&self, dims: Dims4) -> Array4<T> {
        recycle::zeros4(dims)
    }

    fn rows_to_nchw(&self, t: Array2<T>) -> Array4<T> {
        let (n, c) = t.dim();
        t.into_shape_with_order((n, c, 1, 1)).expect("same size")
    }
    fn nchw_to_rows(&self, t: Array4<T>) -> Array2<T> {
        let (n, c, h, w) = t.dim();
        t.into_shape_with_order((n, c * h * w)).expect("same size")
    }

    fn recycle4(&self, t: Array4<T>) {
        recycle::give4(t);
    }

    fn release_buffers(&self) {
        recycle::release::<T>();
    }

    /// One `rayon::join`: a thread that finishes its half early steals work
    /// from inside the other half's ops. With op timing on, each half is
    /// timed where it runs ([`profile::timed`]).
    fn join<RA: Send, RB: Send>(
        &self,
        a: impl FnOnce() -> RA + Send,
        b: impl FnOnce() -> RB + Send,
    ) -> (RA, RB) {
        if !profile::is_outermost() {
            return rayon::join(a, b);
        }
        let ((ra, ta), (rb, tb)) = rayon::join(|| profile::timed(a), || profile::timed(b));
        profile::add(ta);
        profile::add(tb);
        (ra, rb)
    }

    /// A rayon parallel iterator over the items, collected in order: whole
    /// ops (a cell's edges) per thread, instead of every op's short parallel
    /// regions one after another. Timed as [`join`](Self::join).
    fn map_independent<I: Send, O: Send>(
        &self,
        items: Vec<I>,
        f: impl Fn(I) -> O + Sync + Send,
    ) -> Vec<O> {
        use rayon::prelude::*;
        let items = items.into_par_iter().with_max_len(1);
        if !profile::is_outermost() {
            return items.map(f).collect();
        }
        let timed: Vec<(O, profile::OpTimes)> = items.map(|i| profile::timed(|| f(i))).collect();
        timed
            .into_iter()
            .map(|(o, t)| {
                profile::add(t);
                o
            })
            .collect()
    }
}

/// The values of a CPU tensor as one mutable slice.
pub(crate) fn flat_mut<T: Real>(t: TensorMut<'_, Cpu<T>>) -> &mut [T] {
    let s = match t {
        TensorMut::R1(a) => a.as_slice_mut(),
        TensorMut::R2(a) => a.as_slice_mut(),
        TensorMut::R4(a) => a.as_slice_mut(),
    };
    s.expect("CPU tensors are in standard layout")
}

/// The values of a CPU tensor as one slice.
pub(crate) fn flat<T: Real>(t: TensorRef<'_, Cpu<T>>) -> &[T] {
    let s = match t {
        TensorRef::R1(a) => a.as_slice(),
        TensorRef::R2(a) => a.as_slice(),
        TensorRef::R4(a) => a.as_slice(),
    };
    s.expect("CPU tensors are in standard layout")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::ops::{ElementwiseOps, LayoutOps, OptimOps};
    use crate::ops::sgd::{ParamRef, SgdConfig, SgdState, sgd_step};

    #[test]
    fn cpu_arithmetic_names_are_the_hashed_ones() {
        // `cpu-f32` is the literal every search log so far hashed.
        assert_eq!(CpuF32::new().arithmetic(), "cpu-f32");
        assert_eq!(CpuF64::new().arithmetic(), "cpu-f64");
    }

    #[test]
    fn sgd_update_through_the_seam_matches_sgd_step_over_three_steps() {
        let cfg = SgdConfig {
            nesterov: true,
            dampening: 0.0,
            ..SgdConfig::darts(0.3)
        };
        let dev = CpuF32::new();
        let init: Vec<f32> = (0..7).map(|i| 0.37 * i as f32 - 1.1).collect();
        let (mut a, mut b) = (Array1::from(init.clone()), init);
        let mut buf = None;
        let mut st = SgdState::default();
        for step in 0..3 {
            let g: Vec<f32> = (0..7).map(|i| ((i + step) as f32).sin()).collect();
            let ga = Array1::from(g.clone());
            dev.sgd_update(&cfg, TensorMut::R1(&mut a), TensorRef::R1(&ga), &mut buf);
            let mut prs = [ParamRef {
                name: "w",
                param: &mut b,
                grad: &g,
                state: &mut st,
            }];
            sgd_step(&cfg, &mut prs).unwrap();
            assert_eq!(a.to_vec(), b, "step {step}");
            assert_eq!(
                buf.as_ref().unwrap().to_vec(),
                st.momentum_buffer.clone().unwrap()
            );
        }
    }

    #[test]
    fn shift_add_and_add_assign_accumulate_in_place() {
        let dev = CpuF64::new();
        let mut acc = Array4::from_elem((1, 1, 2, 2), 1.0);
        dev.shift_add(&mut acc, &Array4::from_elem((1, 1, 1, 1), 2.0));
        let g = Array4::from_elem((1, 1, 2, 2), 0.5);
        dev.add_assign(TensorMut::R4(&mut acc), TensorRef::R4(&g));
        assert_eq!(acc.into_raw_vec_and_offset().0, vec![1.5, 1.5, 1.5, 3.5]);
    }
}
