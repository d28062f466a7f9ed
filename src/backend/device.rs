//! The device half of the seam: what a backend's tensors are, how host data
//! gets onto the device and back, and the arithmetic name that a search log
//! hashes.
//!
//! Why a trait of its own: every grouped op trait ([`super::ops`]) names the
//! same tensor types, so they live here once. A backend value is the opened
//! device (the CPU backend is a zero-sized value; a CUDA backend holds its
//! context, stream and library handles) and every op is a method on it, so
//! a device never has to be found inside a tensor, and a wrapper backend (the
//! perturbing one in `backend::hooked`) can intercept any op.
//!
//! Ownership: a tensor owns its storage; cloning one is a deep copy on the
//! same device. Tensors never move between devices on their own: host data
//! enters only through the `upload*` methods and leaves only through the
//! `download*` / [`BackendCore::host_slice`] methods.

use std::borrow::Cow;
use std::fmt::Debug;

use ndarray::{Array1, Array2, Array4};

use super::BackendKind;
use crate::real::Real;

/// Dimensions of an NCHW tensor.
pub type Dims4 = (usize, usize, usize, usize);

/// The types and data movement every backend provides.
pub trait BackendCore: Clone + Debug + Send + Sync + 'static {
    /// The scalar of every float tensor (`f32` or `f64`).
    type Elem: Real;
    /// A rank-1 tensor (biases, batch-norm statistics, flat buffers).
    type T1: Clone + Debug + Send + Sync;
    /// A rank-2 tensor (N, features), row-major.
    type T2: Clone + Debug + Send + Sync;
    /// A rank-4 NCHW tensor, row-major (W fastest).
    type T4: Clone + Debug + Send + Sync;

    /// The arithmetic this device performs, hashed into a search's config
    /// record: `cpu-f32`, `cpu-f64`, later e.g. `cuda-f32`. Two backends with
    /// the same name must give bit-identical results.
    fn arithmetic(&self) -> String;

    /// Which `--backend` value opened it.
    fn kind(&self) -> BackendKind;

    /// Copies host values onto the device.
    fn upload1(&self, host: &Array1<Self::Elem>) -> Self::T1;
    fn upload2(&self, host: &Array2<Self::Elem>) -> Self::T2;
    fn upload4(&self, host: &Array4<Self::Elem>) -> Self::T4;
    /// [`upload4`](BackendCore::upload4) of an array the caller gives away
    /// (the CPU keeps it without a copy).
    fn upload4_owned(&self, host: Array4<Self::Elem>) -> Self::T4 {
        self.upload4(&host)
    }

    /// Copies device values to the host (row-major, standard layout).
    fn download1(&self, t: &Self::T1) -> Array1<Self::Elem>;
    fn download2(&self, t: &Self::T2) -> Array2<Self::Elem>;
    fn download4(&self, t: &Self::T4) -> Array4<Self::Elem>;

    /// The values of any tensor as one row-major slice: borrowed on the CPU,
    /// downloaded elsewhere (used for state dicts and weight digests).
    fn host_slice<'a>(&self, t: TensorRef<'a, Self>) -> Cow<'a, [Self::Elem]>;

    /// Overwrites a tensor with host values (same element count, row-major).
    fn write_host(&self, t: TensorMut<'_, Self>, values: &[Self::Elem]);

    fn dims1(&self, t: &Self::T1) -> usize;
    fn dims2(&self, t: &Self::T2) -> (usize, usize);
    fn dims4(&self, t: &Self::T4) -> Dims4;

    /// A tensor of zeros (`+0.0`).
    fn zeros1(&self, n: usize) -> Self::T1;
    fn zeros2(&self, dims: (usize, usize)) -> Self::T2;
    fn zeros4(&self, dims: Dims4) -> Self::T4;

    /// `(N, C)` → `(N, C, 1, 1)` and back, values unchanged (free on the CPU).
    fn rows_to_nchw(&self, t: Self::T2) -> Self::T4;
    /// `(N, C, H, W)` → `(N, C·H·W)`, values unchanged.
    fn nchw_to_rows(&self, t: Self::T4) -> Self::T2;

    /// Gives up a tensor nothing reads any more, so its memory can serve a
    /// later op of the step (the CPU's [`crate::ops::recycle`]). Default: it
    /// is dropped.
    fn recycle4(&self, t: Self::T4) {
        drop(t);
    }

    /// Frees whatever [`recycle4`](BackendCore::recycle4) kept (when a
    /// network goes). Default: nothing is kept.
    fn release_buffers(&self) {}

    /// `(a(), b())`, possibly side by side (the CPU hands `b` to its rayon
    /// pool). For independent work only: neither result may depend on which
    /// runs first, so this changes no value, only how busy the threads are.
    /// Default: `a` then `b`.
    fn join<RA: Send, RB: Send>(
        &self,
        a: impl FnOnce() -> RA + Send,
        b: impl FnOnce() -> RB + Send,
    ) -> (RA, RB) {
        (a(), b())
    }

    /// `f` of every item, possibly side by side, the results in the items'
    /// order (as [`join`](BackendCore::join), for independent work only).
    /// Default: one after another.
    fn map_independent<I: Send, O: Send>(
        &self,
        items: Vec<I>,
        f: impl Fn(I) -> O + Sync + Send,
    ) -> Vec<O> {
        items.into_iter().map(f).collect()
    }
}

/// A borrowed tensor of any rank (the optimiser and the state walker treat
/// parameters of every rank alike).
pub enum TensorRef<'a, B: BackendCore> {
    R1(&'a B::T1),
    R2(&'a B::T2),
    R4(&'a B::T4),
}

/// A mutably borrowed tensor of any rank.
pub enum TensorMut<'a, B: BackendCore> {
    R1(&'a mut B::T1),
    R2(&'a mut B::T2),
    R4(&'a mut B::T4),
}

impl<B: BackendCore> TensorMut<'_, B> {
    /// Reborrows as read-only.
    pub fn as_ref(&self) -> TensorRef<'_, B> {
        match self {
            TensorMut::R1(t) => TensorRef::R1(&**t),
            TensorMut::R2(t) => TensorRef::R2(&**t),
            TensorMut::R4(t) => TensorRef::R4(&**t),
        }
    }

    /// Reborrows for a shorter time.
    pub fn reborrow(&mut self) -> TensorMut<'_, B> {
        match self {
            TensorMut::R1(t) => TensorMut::R1(&mut **t),
            TensorMut::R2(t) => TensorMut::R2(&mut **t),
            TensorMut::R4(t) => TensorMut::R4(&mut **t),
        }
    }
}

impl<'a, W: BackendCore> TensorRef<'a, W> {
    /// The same borrow, typed for a backend with the same tensor types (a
    /// wrapper backend handing a tensor to the backend it wraps).
    pub fn retype<B: BackendCore<T1 = W::T1, T2 = W::T2, T4 = W::T4>>(self) -> TensorRef<'a, B> {
        match self {
            TensorRef::R1(x) => TensorRef::R1(x),
            TensorRef::R2(x) => TensorRef::R2(x),
            TensorRef::R4(x) => TensorRef::R4(x),
        }
    }
}

impl<'a, W: BackendCore> TensorMut<'a, W> {
    /// The same borrow, typed for a backend with the same tensor types.
    pub fn retype<B: BackendCore<T1 = W::T1, T2 = W::T2, T4 = W::T4>>(self) -> TensorMut<'a, B> {
        match self {
            TensorMut::R1(x) => TensorMut::R1(x),
            TensorMut::R2(x) => TensorMut::R2(x),
            TensorMut::R4(x) => TensorMut::R4(x),
        }
    }
}

impl<B: BackendCore> Clone for TensorRef<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: BackendCore> Copy for TensorRef<'_, B> {}

impl<B: BackendCore> TensorRef<'_, B> {
    /// Its shape, e.g. `[c_out, c_in, kh, kw]`.
    pub fn shape(&self, dev: &B) -> Vec<usize> {
        match self {
            TensorRef::R1(t) => vec![dev.dims1(t)],
            TensorRef::R2(t) => {
                let (a, b) = dev.dims2(t);
                vec![a, b]
            }
            TensorRef::R4(t) => {
                let (a, b, c, d) = dev.dims4(t);
                vec![a, b, c, d]
            }
        }
    }

    /// Number of elements.
    pub fn len(&self, dev: &B) -> usize {
        self.shape(dev).iter().product()
    }

    /// Never true for a parameter; here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self, dev: &B) -> bool {
        self.len(dev) == 0
    }
}
