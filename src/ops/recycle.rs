//! A recycler of the CPU step's large float buffers, so that the same memory
//! serves every training step.
//!
//! Why: a step allocates the same tensors, of the same sizes, in the same
//! order, every time. Fresh allocations of them cost a zero-fill (`calloc`,
//! or `vec![0; n]`) that the op then overwrites, and page faults each time
//! the allocator hands back memory it had returned to the system. An op that
//! writes every element of its output instead [`take`]s a buffer here, whose
//! old contents it overwrites; the network [`give`]s a tensor back
//! (`BackendCore::recycle4`, the batch-norm cache's `Drop`) once nothing
//! reads it any more.
//!
//! Determinism: a buffer's old contents never reach a result, because only
//! ops that overwrite every element take stale buffers ([`take_zeroed`] is
//! for the others). In builds with debug assertions (the tests) every buffer
//! [`take`] returns is filled with NaN first, so an op that read an element
//! it had not written would fail the tests loudly.
//!
//! Memory: the recycler never holds more than the network would have had
//! allocated without it. It takes back only buffers it handed out (not
//! clones made elsewhere). A take reuses a held buffer of (nearly) the same
//! length; when none fits, held buffers of at least the requested size are
//! dropped before a fresh one is allocated. So held + handed out never
//! exceeds the most the step had handed out at once, and the pool does not
//! raise peak memory. Buffers below [`MIN_LEN`] elements are left to the
//! allocator.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use ndarray::{Array4, Dimension, IntoDimension, Ix4};
use rayon::prelude::*;

use crate::parallel::ELEMENTS_PER_TASK;
use crate::real::Real;

/// Buffers shorter than this (elements) are not recycled: the allocator
/// serves small sizes from its own free lists without page faults.
pub const MIN_LEN: usize = 1 << 12;

/// Held buffers of one scalar type, by length.
struct Pool<T> {
    free: BTreeMap<usize, Vec<Vec<T>>>,
    /// Elements of capacity held, over all of `free`.
    held: usize,
    /// Addresses of the buffers handed out and not yet given back. Only
    /// these are taken back: a buffer allocated elsewhere (a clone) that
    /// was given would add to what the pool holds without the step ever
    /// having needed it, so it goes back to the allocator instead.
    lent: BTreeSet<usize>,
}

impl<T> Pool<T> {
    const fn new() -> Self {
        Pool {
            free: BTreeMap::new(),
            held: 0,
            lent: BTreeSet::new(),
        }
    }

    /// Records `v` as handed out.
    fn lend(&mut self, v: &[T]) {
        self.lent.insert(v.as_ptr().addr());
    }

    /// A held buffer of length `len` up to `len + len/8` (truncated to
    /// `len`), the closest fit first.
    fn reuse(&mut self, len: usize) -> Option<Vec<T>> {
        let (&key, list) = self.free.range_mut(len..=len + len / 8).next()?;
        let mut v = list.pop().expect("no empty lists are kept");
        if list.is_empty() {
            self.free.remove(&key);
        }
        self.held -= v.capacity();
        v.truncate(len);
        Some(v)
    }

    /// Drops held buffers, largest first, until at least `len` elements of
    /// capacity are freed or none is left.
    fn evict(&mut self, len: usize) {
        let mut freed = 0;
        while freed < len {
            let Some(mut last) = self.free.last_entry() else {
                return;
            };
            let v = last.get_mut().pop().expect("no empty lists are kept");
            if last.get().is_empty() {
                last.remove();
            }
            freed += v.capacity();
            self.held -= v.capacity();
        }
    }

    /// Holds `v` if it is one of ours, else drops it. (An address whose
    /// buffer was dropped rather than given back may be reused by the
    /// allocator for another buffer, which is then taken in its place: the
    /// memory it stands for was the step's anyway.)
    fn put(&mut self, v: Vec<T>) {
        if self.lent.remove(&v.as_ptr().addr()) {
            self.held += v.capacity();
            self.free.entry(v.len()).or_default().push(v);
        }
    }
}

/// Runs `f` on the pool of `T`, or returns `None` for a type without one.
/// (`u8` holds ReLU masks: [`take_bytes`].)
fn with_pool<T: 'static, R>(f: impl FnOnce(&mut Pool<T>) -> R) -> Option<R> {
    static F32: Mutex<Pool<f32>> = Mutex::new(Pool::new());
    static F64: Mutex<Pool<f64>> = Mutex::new(Pool::new());
    static U8: Mutex<Pool<u8>> = Mutex::new(Pool::new());
    let any: [&dyn Any; 3] = [&F32, &F64, &U8];
    let m = any
        .into_iter()
        .find_map(|p| p.downcast_ref::<Mutex<Pool<T>>>())?;
    // A panic while holding the lock leaves the pool consistent (each
    // method updates `held` with its change), so a poisoned lock is usable.
    let mut pool = m.lock().unwrap_or_else(|e| e.into_inner());
    Some(f(&mut pool))
}

/// A buffer of `len` elements whose contents are unspecified (NaN in builds
/// with debug assertions): for an output the caller overwrites entirely.
pub fn take<T: Real>(len: usize) -> Vec<T> {
    let fresh = || {
        if cfg!(debug_assertions) {
            vec![T::from_f64(f64::NAN); len]
        } else {
            vec![T::ZERO; len]
        }
    };
    match take_with(len, fresh) {
        (mut v, true) => {
            if cfg!(debug_assertions) {
                v.fill(T::from_f64(f64::NAN));
            }
            v
        }
        (v, false) => v,
    }
}

/// A buffer of `len` elements, every one `+0.0`.
pub fn take_zeroed<T: Real>(len: usize) -> Vec<T> {
    match take_with(len, || vec![T::ZERO; len]) {
        (mut v, true) => {
            v.par_chunks_mut(ELEMENTS_PER_TASK)
                .for_each(|c| c.fill(T::ZERO));
            v
        }
        (v, false) => v,
    }
}

/// A held buffer for `len` (and `true`), or `fresh()` after making room for
/// it (and `false`); either way recorded as lent.
fn take_with<T: 'static>(len: usize, fresh: impl FnOnce() -> Vec<T>) -> (Vec<T>, bool) {
    if len < MIN_LEN {
        return (fresh(), false);
    }
    let mut fresh = Some(fresh);
    let mut alloc = || (fresh.take().expect("called once"))();
    with_pool::<T, _>(|p| {
        let (v, reused) = match p.reuse(len) {
            Some(v) => (v, true),
            None => {
                p.evict(len);
                (alloc(), false)
            }
        };
        p.lend(&v);
        (v, reused)
    })
    .unwrap_or_else(|| (alloc(), false))
}

/// A byte buffer of `len` whose contents are unspecified (`0xA5` in builds
/// with debug assertions, a value no mask writes): for a ReLU mask, which
/// the caller overwrites entirely. Given back with [`give_bytes`].
pub fn take_bytes(len: usize) -> Vec<u8> {
    const POISON: u8 = 0xA5;
    let fresh = || vec![if cfg!(debug_assertions) { POISON } else { 0 }; len];
    match take_with(len, fresh) {
        (mut v, true) => {
            if cfg!(debug_assertions) {
                v.fill(POISON);
            }
            v
        }
        (v, false) => v,
    }
}

/// Hands a [`take_bytes`] buffer back (small ones are dropped).
pub fn give_bytes(v: Vec<u8>) {
    if v.len() >= MIN_LEN {
        with_pool::<u8, _>(|p| p.put(v));
    }
}

/// Drops every held buffer and forgets those handed out (which, given back
/// later, are then dropped): called when a network goes.
pub fn release<T: Real>() {
    with_pool::<T, _>(|p| *p = Pool::new());
    with_pool::<u8, _>(|p| *p = Pool::new());
}

/// Hands a buffer back for a later [`take`] (small ones are dropped).
pub fn give<T: Real>(v: Vec<T>) {
    if v.len() >= MIN_LEN {
        with_pool::<T, _>(|p| p.put(v));
    }
}

/// Hands an array's buffer back (one that is not a whole standard-layout
/// buffer is dropped).
pub fn give4<T: Real>(a: Array4<T>) {
    if let Some(v) = whole_buffer(a) {
        give(v);
    }
}

/// The array's buffer when the array is all of it, in standard layout.
fn whole_buffer<T: Real>(a: Array4<T>) -> Option<Vec<T>> {
    if !a.is_standard_layout() {
        return None;
    }
    let len = a.len();
    match a.into_raw_vec_and_offset() {
        (v, Some(0)) if v.len() == len => Some(v),
        _ => None,
    }
}

/// `f` of every element of `xs`, in parallel, on a [`take`]n buffer (as
/// [`crate::parallel::map_collect`], whose fresh vector it replaces).
pub fn map<A: Sync, T: Real>(xs: &[A], f: impl Fn(&A) -> T + Sync + Send) -> Vec<T> {
    let mut out = take(xs.len());
    out.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(xs.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|(o, x)| o.iter_mut().zip(x).for_each(|(o, x)| *o = f(x)));
    out
}

/// `f` of every pair `(xs[i], ys[i])`, as [`map`].
pub fn zip_map<A: Sync, B: Sync, T: Real>(
    xs: &[A],
    ys: &[B],
    f: impl Fn(&A, &B) -> T + Sync + Send,
) -> Vec<T> {
    assert_eq!(xs.len(), ys.len(), "zip_map: lengths differ");
    let mut out = take(xs.len());
    out.par_chunks_mut(ELEMENTS_PER_TASK)
        .zip(xs.par_chunks(ELEMENTS_PER_TASK))
        .zip(ys.par_chunks(ELEMENTS_PER_TASK))
        .for_each(|((o, x), y)| {
            for ((o, x), y) in o.iter_mut().zip(x).zip(y) {
                *o = f(x, y);
            }
        });
    out
}

/// An array of shape `dim` on a [`take`]n buffer (contents unspecified).
pub fn array4<T: Real>(dim: impl IntoDimension<Dim = Ix4>) -> Array4<T> {
    let dim = dim.into_dimension();
    Array4::from_shape_vec(dim, take(dim.size())).expect("len is the shape's size")
}

/// An array of `+0.0` of shape `dim` on a [`take_zeroed`] buffer.
pub fn zeros4<T: Real>(dim: impl IntoDimension<Dim = Ix4>) -> Array4<T> {
    let dim = dim.into_dimension();
    Array4::from_shape_vec(dim, take_zeroed(dim.size())).expect("len is the shape's size")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_reuses_a_buffer_of_the_same_or_slightly_larger_length() {
        let mut p = Pool::<f32>::new();
        let v = vec![1.0f32; 1000];
        let ptr = v.as_ptr();
        p.lend(&v);
        p.put(v);
        assert_eq!(p.held, 1000);
        assert!(p.reuse(1001).is_none(), "shorter than asked");
        let r = p.reuse(900).expect("within an eighth");
        assert_eq!((r.len(), r.as_ptr()), (900, ptr));
        assert_eq!(p.held, 0);
        let w = vec![0.0; 2000];
        p.lend(&w);
        p.put(w);
        assert!(p.reuse(1000).is_none(), "too much larger");
        p.put(vec![0.0; 3000]);
        assert_eq!(p.held, 2000, "a buffer not lent is not held");
    }

    #[test]
    fn pool_evicts_largest_first_until_enough_is_freed() {
        let mut p = Pool::<f64>::new();
        for len in [100, 300, 200, 300] {
            let v = vec![0.0; len];
            p.lend(&v);
            p.put(v);
        }
        p.evict(500);
        // Both 300s went (600 ≥ 500); 100 and 200 stay.
        assert_eq!(p.held, 300);
        assert_eq!(p.free.keys().copied().collect::<Vec<_>>(), vec![100, 200]);
        p.evict(10_000);
        assert_eq!((p.held, p.free.len()), (0, 0));
    }

    #[test]
    fn take_poisons_in_debug_and_take_zeroed_gives_positive_zeros() {
        // The pool is shared with the other tests: check only what holds
        // whichever buffer comes back.
        let len = MIN_LEN + 7;
        let mut v = take::<f32>(len);
        assert_eq!(v.len(), len);
        if cfg!(debug_assertions) {
            assert!(v.iter().all(|x| x.is_nan()));
        }
        v.fill(-0.0);
        give(v);
        let z = take_zeroed::<f32>(len);
        assert_eq!(z.len(), len);
        assert!(z.iter().all(|x| x.to_bits() == 0));
        give(z);
        let t = take::<f32>(len);
        if cfg!(debug_assertions) {
            assert!(t.iter().all(|x| x.is_nan()));
        }
        let s = take::<f64>(10);
        assert_eq!(s.len(), 10);
    }

    #[test]
    fn byte_buffers_come_back_poisoned_in_debug() {
        // A mask written as 0/1 and given back is not what the next take
        // sees (tests would catch a mask byte left unwritten).
        let len = MIN_LEN + 3;
        let mut v = take_bytes(len);
        assert_eq!(v.len(), len);
        v.fill(1);
        give_bytes(v);
        let w = take_bytes(len);
        assert_eq!(w.len(), len);
        if cfg!(debug_assertions) {
            assert!(w.iter().all(|&b| b == 0xA5));
        }
    }

    #[test]
    fn only_whole_standard_layout_buffers_go_back() {
        let a = Array4::<f64>::zeros((1, 1, 3, 5));
        let ptr = a.as_ptr();
        let v = whole_buffer(a).expect("whole");
        assert_eq!((v.len(), v.as_ptr()), (15, ptr));
        let t = Array4::<f64>::zeros((1, 1, 3, 5)).reversed_axes();
        assert!(whole_buffer(t).is_none());
        let mut s = Array4::<f64>::zeros((1, 1, 3, 5));
        s.slice_collapse(ndarray::s![.., .., 1.., ..]);
        assert!(whole_buffer(s).is_none());
    }
}
