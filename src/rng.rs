//! Derived random streams: the one source of randomness (DESIGN 3.1.3).
//!
//! Every random draw in csnas comes from a ChaCha20 stream whose key is derived
//! from the master seed and a *path* of purposes and indices, e.g.
//! `seed → "trial" 17 → "epoch" 3 → "augment"`. The key is
//! `blake3::derive_key("csnas rng v1", seed ‖ encoded path)`, so streams for
//! different paths are independent, and a consumer that opens a new path shifts
//! no other consumer's draws: nothing is shared, nothing is consumed in order.
//!
//! The conversions from bits to numbers (uniform floats, bounded integers,
//! normals, shuffles) are defined here rather than taken from `rand`, so the
//! mapping from seed to value is part of our spec and cannot drift with a
//! dependency upgrade.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

/// One component of a stream path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    Label(String),
    Index(u64),
}

/// A purpose/index path that names a stream, below the master seed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StreamPath {
    seed: u64,
    parts: Vec<Part>,
}

impl StreamPath {
    /// The root of all streams for `seed`.
    pub fn root(seed: u64) -> Self {
        StreamPath {
            seed,
            parts: Vec::new(),
        }
    }

    /// The master seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// A child path with a purpose label appended.
    pub fn child(&self, label: &str) -> Self {
        let mut p = self.clone();
        p.parts.push(Part::Label(label.to_owned()));
        p
    }

    /// A child path with an index appended.
    pub fn index(&self, i: u64) -> Self {
        let mut p = self.clone();
        p.parts.push(Part::Index(i));
        p
    }

    /// `child(label).index(i)`.
    pub fn at(&self, label: &str, i: u64) -> Self {
        self.child(label).index(i)
    }

    /// Canonical bytes: seed (u64 LE), then each part as a tag byte (`L` or
    /// `I`), a u64 LE length or value, and the label's UTF-8 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.parts.len() * 16);
        out.extend_from_slice(&self.seed.to_le_bytes());
        for part in &self.parts {
            match part {
                Part::Label(s) => {
                    out.push(b'L');
                    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
                Part::Index(i) => {
                    out.push(b'I');
                    out.extend_from_slice(&i.to_le_bytes());
                }
            }
        }
        out
    }

    /// Human-readable form, e.g. `7/trial/17/augment`, as recorded in logs.
    pub fn display(&self) -> String {
        let mut s = self.seed.to_string();
        for part in &self.parts {
            s.push('/');
            match part {
                Part::Label(l) => s.push_str(l),
                Part::Index(i) => s.push_str(&i.to_string()),
            }
        }
        s
    }

    /// Opens the stream this path names, at its first draw.
    pub fn stream(&self) -> Stream {
        let key = blake3::derive_key("csnas rng v1", &self.encode());
        Stream {
            rng: ChaCha20Rng::from_seed(key),
        }
    }
}

/// A seeded ChaCha20 stream with csnas's own bit-to-number conversions.
#[derive(Clone, Debug)]
pub struct Stream {
    rng: ChaCha20Rng,
}

impl Stream {
    /// The ChaCha20 stream keyed by `key` directly, for draws that are not
    /// below a master seed (e.g. `audit --retrain`'s pick, keyed by a log's
    /// head and an auditor's nonce).
    pub fn from_key(key: [u8; 32]) -> Self {
        Stream {
            rng: ChaCha20Rng::from_seed(key),
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }

    pub fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    /// Uniform in `[0, 1)` with 24 random bits: `(u32 >> 8) · 2⁻²⁴`.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// Uniform in `[0, 1)` with 53 random bits: `(u64 >> 11) · 2⁻⁵³`.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform in `[lo, hi)`, computed in f64 as `lo + (hi - lo) · u`.
    pub fn uniform_range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform_f64()
    }

    /// Uniform integer in `[0, n)`, unbiased: Lemire's multiply-shift with
    /// rejection on 64-bit draws. Panics if `n == 0`.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Stream::below(0)");
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// `true` with probability `p` (`uniform_f64() < p`).
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform_f64() < p
    }

    /// Standard normal by the Box–Muller transform (one pair per call, the
    /// cosine branch kept): `sqrt(-2 ln(1-u1)) · cos(2π u2)`, with `libm`.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        libm::sqrt(-2.0 * libm::log(1.0 - u1)) * libm::cos(2.0 * std::f64::consts::PI * u2)
    }

    /// Fisher–Yates shuffle, from the last position down to 1.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }

    /// A permutation of `0..n` (a shuffle of the identity).
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        self.shuffle(&mut v);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(p: &StreamPath, n: usize) -> Vec<u64> {
        let mut s = p.stream();
        (0..n).map(|_| s.next_u64()).collect()
    }

    #[test]
    fn same_path_gives_same_stream() {
        let p = StreamPath::root(7).at("trial", 3).child("init");
        assert_eq!(draws(&p, 64), draws(&p.clone(), 64));
    }

    #[test]
    fn different_paths_give_different_streams() {
        let root = StreamPath::root(7);
        let a = draws(&root.at("trial", 3), 64);
        let b = draws(&root.at("trial", 4), 64);
        let c = draws(&root.child("trial").child("3"), 64);
        let d = draws(&StreamPath::root(8).at("trial", 3), 64);
        assert_ne!(a, b);
        assert_ne!(a, c, "a label '3' must not alias the index 3");
        assert_ne!(a, d);
        // Independence, crudely: no position agrees between the two streams.
        assert!(a.iter().zip(&b).all(|(x, y)| x != y));
    }

    #[test]
    fn label_boundaries_do_not_alias() {
        let root = StreamPath::root(1);
        assert_ne!(
            root.child("ab").child("c").encode(),
            root.child("a").child("bc").encode()
        );
    }

    #[test]
    fn a_new_consumer_does_not_shift_other_draws() {
        let root = StreamPath::root(42);
        let before = draws(&root.child("augment"), 32);
        // Another consumer opens and drains its own stream in between.
        let _ = draws(&root.child("init"), 1000);
        let _ = draws(&root.child("a-new-purpose"), 1000);
        let after = draws(&root.child("augment"), 32);
        assert_eq!(before, after);
    }

    #[test]
    fn uniform_is_in_unit_interval_and_roughly_uniform() {
        let mut s = StreamPath::root(5).stream();
        let n = 20_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = s.uniform_f64();
            assert!((0.0..1.0).contains(&u));
            sum += u;
        }
        let mean = sum / n as f64;
        // Standard error of the mean is 0.29/sqrt(n) = 0.002; allow 5 sigma.
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }

    #[test]
    fn below_is_in_range_and_covers_every_value() {
        let mut s = StreamPath::root(9).stream();
        let mut seen = [0usize; 7];
        for _ in 0..7000 {
            seen[s.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }

    #[test]
    fn normal_has_unit_variance() {
        let mut s = StreamPath::root(11).stream();
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.05,
            "{mean} {var}"
        );
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = StreamPath::root(3).stream().permutation(100);
        p.sort();
        assert_eq!(p, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn display_names_the_path() {
        assert_eq!(
            StreamPath::root(7)
                .at("trial", 17)
                .child("augment")
                .display(),
            "7/trial/17/augment"
        );
    }
}
