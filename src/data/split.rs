//! The train/test split of a data source: its official test part when it
//! has one (CIFAR-10), else [`TEST_FRACTION`] held out by a seeded stream.
//!
//! Why in `data/`: `csnas train`, `csnas predict` and a study's label side
//! must hold out the same images for the same seed; one definition keeps
//! them so (the split is part of what a checkpoint's `seed` metadata
//! reproduces).

use crate::data::batch::{Portion, split};
use crate::data::{DataSpec, Dataset, Loaded, load};
use crate::error::Result;
use crate::rng::StreamPath;

/// Fraction of a data set without an official test part (digits, folders)
/// held out for testing.
pub const TEST_FRACTION: f64 = 0.2;

/// `(train, test)` indices of `n` samples: [`TEST_FRACTION`] held out by
/// [`split`] with the stream `root/split`.
pub fn held_out(n: usize, root: &StreamPath) -> Result<(Vec<usize>, Vec<usize>)> {
    let mut stream = root.child("split").stream();
    split(n, Portion::Fraction(TEST_FRACTION), &mut stream)
}

/// A data source with its train and test indices.
pub struct SplitData {
    pub loaded: Loaded,
    pub train_idx: Vec<usize>,
    /// Indices into [`SplitData::test`].
    pub test_idx: Vec<usize>,
}

impl SplitData {
    /// The data set the test indices refer to.
    pub fn test(&self) -> &Dataset {
        self.loaded.test.as_ref().unwrap_or(&self.loaded.train)
    }
}

/// Loads `spec` and splits it: an official test part is used whole; otherwise
/// [`TEST_FRACTION`] of the samples is held out by [`split`] with the stream
/// `seed/split`.
pub fn load_split(spec: &DataSpec, seed: u64) -> Result<SplitData> {
    let loaded = load(spec)?;
    let n = loaded.train.len();
    let (train_idx, test_idx) = match &loaded.test {
        Some(test) => ((0..n).collect(), (0..test.len()).collect()),
        None => held_out(n, &StreamPath::root(seed))?,
    };
    Ok(SplitData {
        loaded,
        train_idx,
        test_idx,
    })
}
