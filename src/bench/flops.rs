//! Floating-point operation counts of a training step, counted from the
//! shapes each op is called with, and the machine's fused-multiply-add peak:
//! how far `csnas bench` is from the limit of the core, and which op class
//! wastes it.
//!
//! Why a wrapper backend: the ops are the only place that knows every shape
//! a step really uses (which convolutions a genotype has, their strides and
//! groups), so [`Counting`] wraps any backend, forwards every op unchanged
//! and adds the op's count to a tally. A counting run gives the same bits as
//! a plain one (it only reads shapes), and the count does not depend on the
//! thread count or the device.
//!
//! # Convention (what one "flop" is)
//! A multiply-add is 2 flops; an addition, multiplication, division,
//! comparison, `exp`, `ln` or `sqrt` is 1. Per op:
//! - convolution, each of forward, backward-data and backward-filter:
//!   `2·N·C_out·H_out·W_out·(C_in/groups)·kh·kw` (the multiply-adds of the
//!   direct form; what im2col + gemm performs);
//! - linear: forward `2·N·in·out + N·out` (bias), backward
//!   `2·N·in·out` (dx) `+ 2·N·in·out` (dw) `+ N·out` (db);
//! - batch norm: training forward 8 per element (mean: 1; variance:
//!   subtract + multiply-add, 3; normalise and affine: subtract, multiply,
//!   multiply-add, 4), evaluation 4, backward 9;
//! - max pool: one comparison per window tap; average pool: one addition per
//!   tap and one division per output; global average pool: one addition per
//!   input and one division per output; backward passes one per input;
//! - ReLU, drop path, add, shift-add, add-assign, scale: one per element;
//!   zero, concat, split, crop, fill: none (data movement);
//! - NT-Xent on `R` rows of `D`: `2·R²·D` (similarities) `+ 3·R²`
//!   (exp, sum, scale) forward, twice the similarity term backward;
//!   PIRL NCE on `B` rows with `K` negatives: `2·B·(K+1)·D + 3·B·(K+1)`
//!   forward, twice backward; cross-entropy `4·N·C` each way;
//! - SGD: 6 per parameter (weight decay, momentum and update as multiply-adds);
//!   the clipping norm 2 per element.
//!
//! Convolutions and linear layers carry almost all of a step's flops; the
//! other counts are there so the per-class table shows their time against a
//! small amount of arithmetic.

use std::sync::{Arc, Mutex};

use crate::backend::BackendKind;
use crate::backend::device::{BackendCore, Dims4, TensorMut, TensorRef};
use crate::backend::ops::{
    BatchNormOps, ConvOps, ElementwiseOps, LayoutOps, LossOps, MatmulOps, OptimOps, PoolOps,
};
use crate::error::Result;
use crate::ops::batch_norm::BatchNormParams;
use crate::ops::conv2d::Conv2dParams;
use crate::ops::pirl_nce::MemoryBank;
use crate::ops::pool::PoolParams;
use crate::ops::profile::OpClass;
use crate::ops::sgd::SgdConfig;

mod peak;
#[cfg(test)]
mod tests;

pub use peak::{FmaPeak, detect_peak};

/// Flops per op class ([`OpClass::ALL`] order) and of everything else.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlopCount {
    pub per_class: [u64; 6],
    /// Losses, optimiser, elementwise adds and scaling.
    pub other: u64,
}

impl FlopCount {
    pub fn total(&self) -> u64 {
        self.per_class.iter().sum::<u64>() + self.other
    }

    /// The count of one class.
    pub fn class(&self, class: OpClass) -> u64 {
        self.per_class[class_index(class)]
    }

    fn add(&mut self, class: Option<OpClass>, flops: u64) {
        match class {
            Some(c) => self.per_class[class_index(c)] += flops,
            None => self.other += flops,
        }
    }
}

fn class_index(class: OpClass) -> usize {
    OpClass::ALL
        .iter()
        .position(|&c| c == class)
        .expect("OpClass::ALL lists every class")
}

/// Any backend, with every op's flops added to a shared tally.
#[derive(Clone, Debug)]
pub struct Counting<B> {
    pub inner: B,
    tally: Arc<Mutex<FlopCount>>,
}

impl<B: BackendCore> Counting<B> {
    pub fn new(inner: B) -> Self {
        Counting {
            inner,
            tally: Arc::new(Mutex::new(FlopCount::default())),
        }
    }

    /// The flops counted so far.
    pub fn count(&self) -> FlopCount {
        *self.tally.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts counting from zero again.
    pub fn reset(&self) {
        *self.tally.lock().unwrap_or_else(|e| e.into_inner()) = FlopCount::default();
    }

    fn tally(&self, class: Option<OpClass>, flops: usize) {
        self.tally
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(class, flops as u64);
    }

    fn n4(&self, t: &B::T4) -> usize {
        let (n, c, h, w) = self.inner.dims4(t);
        n * c * h * w
    }

    fn n_any(&self, t: TensorRef<'_, B>) -> usize {
        match t {
            TensorRef::R1(t) => self.inner.dims1(t),
            TensorRef::R2(t) => {
                let (a, b) = self.inner.dims2(t);
                a * b
            }
            TensorRef::R4(t) => self.n4(t),
        }
    }

    /// One pass of a convolution whose input is `x_dims` (module doc).
    fn conv(&self, x_dims: Dims4, c_out: usize, p: &Conv2dParams) {
        let (n, c_in, h, w) = x_dims;
        let (ho, wo) = p.out_hw(h, w);
        let class = if p.groups > 1 && p.groups == c_in && c_in == c_out {
            OpClass::ConvDepthwise
        } else {
            OpClass::ConvDense
        };
        let flops = 2 * n * c_out * ho * wo * (c_in / p.groups) * p.kernel[0] * p.kernel[1];
        self.tally(Some(class), flops);
    }
}

/// The wrapper's borrows, typed for the inner backend (same tensor types).
fn inner_mut<'a, B: BackendCore>(t: TensorMut<'a, Counting<B>>) -> TensorMut<'a, B> {
    t.retype()
}

fn inner_ref<'a, B: BackendCore>(t: TensorRef<'a, Counting<B>>) -> TensorRef<'a, B> {
    t.retype()
}

mod delegate;
