//! Which trials `audit --retrain K` recomputes, and the chance that a forged
//! log passes anyway.
//!
//! Why: plain `audit` cannot catch a trial record whose losses, objective,
//! weights digest or status were edited and consistently re-hashed — only
//! retraining it can. If the retrained trials followed from something the
//! author fixes in advance (the seed), a forger would leave exactly those
//! trials honest. So the pick is keyed by the log's **head hash**, which
//! changes with every record (a forger who edits a trial moves the head and
//! so the pick), and by an optional **auditor's nonce**, which the author
//! cannot know at all: with a fresh nonce the author cannot grind forged
//! logs until the pick misses their forgeries.
//!
//! The pick, as a spec (so anyone can recompute it):
//! 1. key = `blake3::derive_key("csnas audit retrain v1", head ‖ nonce)`,
//!    where `head` is the 32 bytes of the head hash and `nonce` the UTF-8
//!    bytes of `--nonce` (empty when not given);
//! 2. a ChaCha20 stream keyed by `key` ([`Stream::from_key`]);
//! 3. a partial Fisher–Yates shuffle of `0..n`: for `i` in `0..K`, swap
//!    position `i` with position `i + below(n − i)`
//!    ([`Stream::below`]: unbiased, Lemire's multiply-shift);
//! 4. the first `K` positions, sorted ascending, are the trials retrained.
//!
//! A log with `m` forged trials out of `n` then passes only when none of the
//! `K` picked is forged: the hypergeometric `C(n−m, K) / C(n, K)`
//! ([`pass_chance`]).

use crate::ledger::record::Hash;
use crate::rng::Stream;

/// The blake3 key-derivation context of the retrain pick.
pub const PICK_CONTEXT: &str = "csnas audit retrain v1";

/// The ChaCha20 key of the pick: `derive_key(PICK_CONTEXT, head ‖ nonce)`.
pub fn pick_key(head: &Hash, nonce: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key(PICK_CONTEXT);
    h.update(head.as_bytes());
    h.update(nonce.as_bytes());
    *h.finalize().as_bytes()
}

/// The `k` trials (of `n`) that `audit --retrain k` recomputes for the log
/// whose head is `head`, with the auditor's `nonce`; ascending, without
/// repeats, all `n` when `k >= n`.
pub fn retrain_choice(head: &Hash, nonce: &str, n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    let mut stream = Stream::from_key(pick_key(head, nonce));
    let mut order: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + stream.below((n - i) as u64) as usize;
        order.swap(i, j);
    }
    order.truncate(k);
    order.sort_unstable();
    order
}

/// The chance that a log with `m` forged trials out of `n` passes
/// `audit --retrain k`: `C(n−m, k) / C(n, k)`.
#[derive(Clone, Debug, PartialEq)]
pub struct PassChance {
    pub n: usize,
    pub k: usize,
    pub m: usize,
    /// The exact fraction in lowest terms, `(numerator, denominator)`; `None`
    /// when it does not fit in 128 bits (then only `p` is given).
    pub exact: Option<(u128, u128)>,
    /// The probability as f64: the exact fraction divided once, or, when that
    /// overflows, the product of the `k` ratios `(n−m−i)/(n−i)`, each in
    /// `[0, 1]` (relative error below `2k·2⁻⁵³`).
    pub p: f64,
}

/// `C(n−m, k) / C(n, k) = ∏_{i<k} (n−m−i)/(n−i)`, exactly where it fits in
/// u128 (reduced by the gcd at each step); `k` and `m` are clamped to `n`.
pub fn pass_chance(n: usize, k: usize, m: usize) -> PassChance {
    let (k, m) = (k.min(n), m.min(n));
    let mut exact = Some((1u128, 1u128));
    let mut p = 1.0f64;
    for i in 0..k {
        let (a, b) = ((n - i).saturating_sub(m) as u128, (n - i) as u128);
        p *= a as f64 / b as f64;
        exact = exact.and_then(|(num, den)| {
            let (num, den) = (num.checked_mul(a)?, den.checked_mul(b)?);
            let g = gcd(num, den);
            Some((num / g, den / g))
        });
    }
    if let Some((num, den)) = exact {
        p = num as f64 / den as f64;
    }
    PassChance { n, k, m, exact, p }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// The forged counts the report shows by default: 1 and 10% of `n`
/// (rounded up), without repeats.
pub fn default_forged(n: usize) -> Vec<usize> {
    let mut v = vec![1, n.div_ceil(10).max(1)];
    v.dedup();
    v
}

impl PassChance {
    /// One line: `a log with m forged trials of n passes --retrain k with
    /// probability a/b (x%)`.
    pub fn line(&self) -> String {
        let plural = if self.m == 1 { "" } else { "s" };
        let fraction = match self.exact {
            Some((num, den)) if den <= 1_000_000_000_000 => format!("{num}/{den} = "),
            _ => String::new(),
        };
        let percent = 100.0 * self.p;
        let shown = if percent == 0.0 || percent >= 0.01 {
            format!("{percent:.2}%")
        } else {
            format!("{percent:.2e}%")
        };
        format!(
            "a log with {} forged trial{plural} of {} passes --retrain {} with probability {fraction}{shown}",
            self.m, self.n, self.k
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_chance_matches_hand_computed_hypergeometric_values() {
        // By hand: C(15,2)/C(16,2) = 105/120 = 7/8.
        let c = pass_chance(16, 2, 1);
        assert_eq!(c.exact, Some((7, 8)));
        assert_eq!(c.p, 0.875);
        // C(14,2)/C(16,2) = 91/120 (gcd 1).
        assert_eq!(pass_chance(16, 2, 2).exact, Some((91, 120)));
        // C(9,3)/C(10,3) = 84/120 = 7/10.
        assert_eq!(pass_chance(10, 3, 1).exact, Some((7, 10)));
        // C(90,5)/C(100,5) = 43,949,268 / 75,287,520 (= 90·89·88·87·86 /
        // 100·99·98·97·96), both divisible by 396: 110,983 / 190,120.
        let c = pass_chance(100, 5, 10);
        assert_eq!(c.exact, Some((110_983, 190_120)));
        assert!((c.p - 0.583_752_366_926).abs() < 1e-12, "{}", c.p);
        // More forged trials than unpicked ones: some pick must hit one.
        assert_eq!(pass_chance(10, 3, 8).p, 0.0);
        // Nothing forged, or nothing retrained: the log always passes.
        assert_eq!(pass_chance(10, 3, 0).exact, Some((1, 1)));
        assert_eq!(pass_chance(10, 0, 4).exact, Some((1, 1)));
    }

    #[test]
    fn pass_chance_beyond_u128_falls_back_to_the_ratio_product() {
        // C(500000,40)/C(1000000,40): the reduced denominator has 321 bits.
        // Reference 9.087855445009407e-13 from Python's exact
        // `Fraction(comb(500000, 40), comb(1000000, 40))`.
        let c = pass_chance(1_000_000, 40, 500_000);
        assert!(c.exact.is_none());
        let reference = 9.087_855_445_009_407e-13;
        assert!((c.p - reference).abs() < 1e-14 * reference, "{}", c.p);
        // A product that telescopes stays exact: C(n−1,k)/C(n,k) = (n−k)/n.
        assert_eq!(pass_chance(1_000_000, 40, 1).exact, Some((24_999, 25_000)));
    }

    #[test]
    fn the_pick_depends_on_head_and_nonce_and_samples_without_replacement() {
        let head = blake3::hash(b"a head");
        let a = retrain_choice(&head, "", 50, 5);
        assert_eq!(a, retrain_choice(&head, "", 50, 5), "deterministic");
        assert_eq!(a.len(), 5);
        assert!(a.windows(2).all(|w| w[0] < w[1]), "{a:?}");
        assert!(a.iter().all(|&t| t < 50));
        assert_eq!(
            retrain_choice(&head, "x", 10, 20),
            (0..10).collect::<Vec<_>>()
        );
        // Another nonce or another head gives another pick (of C(50,5) ≈ 2e6).
        assert_ne!(a, retrain_choice(&head, "auditor 1", 50, 5));
        assert_ne!(a, retrain_choice(&blake3::hash(b"other"), "", 50, 5));
    }

    #[test]
    fn the_pick_key_is_the_documented_derivation() {
        let head = blake3::hash(b"h");
        let mut input = head.as_bytes().to_vec();
        input.extend_from_slice(b"nonce");
        assert_eq!(
            pick_key(&head, "nonce"),
            blake3::derive_key("csnas audit retrain v1", &input)
        );
    }

    #[test]
    fn the_default_forged_counts_are_one_and_a_tenth_rounded_up() {
        assert_eq!(default_forged(16), vec![1, 2]);
        assert_eq!(default_forged(8), vec![1]);
        assert_eq!(default_forged(120), vec![1, 12]);
    }

    #[test]
    fn the_report_line_shows_the_fraction_and_the_percentage() {
        assert_eq!(
            pass_chance(16, 2, 1).line(),
            "a log with 1 forged trial of 16 passes --retrain 2 with probability 7/8 = 87.50%"
        );
    }
}
