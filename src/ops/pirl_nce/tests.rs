//! Tests of the PIRL NCE (kept apart so `pirl_nce.rs` stays readable).

use super::*;
use crate::ops::pirl_nce::{PIRL_FEATURE_DIM, pirl_negative_count};
use crate::ops::testing::{check_gradient, dyn_of, random_array};
use crate::rng::StreamPath;
use ndarray::{ArrayD, Ix2, arr2};

/// A fixed bank of 10 entries in 4 dimensions, not unit-norm.
fn bank() -> MemoryBank<f64> {
    MemoryBank::from_features(random_array("pirl/bank", Ix2(10, 4)) * 2.0, 0.5).unwrap()
}

fn negatives() -> Array2<usize> {
    arr2(&[[0, 2, 5, 9], [1, 3, 4, 8], [6, 0, 2, 1]])
}

const INDICES: [usize; 3] = [7, 5, 3];

#[test]
fn pirl_nce_gradients_match_finite_differences() {
    let bank = bank();
    let view = random_array("pirl/view", Ix2(3, 4));
    let orig = random_array("pirl/orig", Ix2(3, 4));
    let neg = negatives();
    let tau = 0.3;
    let (_, cache) = pirl_nce_forward(&view, &orig, &INDICES, &neg, &bank, tau).unwrap();
    let (dv, dorig) = pirl_nce_backward(&cache, &bank, 1.0).unwrap();
    let as2 = |a: &ArrayD<f64>| a.clone().into_dimensionality::<Ix2>().unwrap();
    let by_view = |a: &ArrayD<f64>| {
        pirl_nce_forward(&as2(a), &orig, &INDICES, &neg, &bank, tau)
            .unwrap()
            .0
    };
    check_gradient(
        "pirl/view",
        &dyn_of(&view),
        &dyn_of(&dv),
        by_view,
        100,
        1e-7,
    );
    let by_orig = |a: &ArrayD<f64>| {
        pirl_nce_forward(&view, &as2(a), &INDICES, &neg, &bank, tau)
            .unwrap()
            .0
    };
    check_gradient(
        "pirl/orig",
        &dyn_of(&orig),
        &dyn_of(&dorig),
        by_orig,
        100,
        1e-7,
    );
}

#[test]
fn pirl_nce_with_one_negative_is_a_logistic_loss() {
    // Hand value: bank e0, e1; x = e0 for both terms, negative = 1. Logits
    // [1/τ, 0], so ℓ = ln(1 + e^{−1/τ}) for each term and for the total.
    let bank = MemoryBank::from_features(arr2(&[[1.0, 0.0], [0.0, 1.0]]), 0.5).unwrap();
    let x = arr2(&[[3.0, 0.0]]);
    let neg = arr2(&[[1usize]]);
    let (loss, _) = pirl_nce_forward(&x, &x, &[0], &neg, &bank, 0.5).unwrap();
    let expected = (1.0 + (-2.0f64).exp()).ln();
    assert!((loss - expected).abs() < 1e-15, "{loss} vs {expected}");
}

#[test]
fn bank_update_is_the_authors_exponential_average() {
    // Hand values with λ = 0.5: S = f + 0.5·S; epoch start c = 1 + 0.5·c.
    let mut bank = MemoryBank::from_features(arr2(&[[2.0, 0.0], [4.0, 4.0]]), 0.5).unwrap();
    bank.start_epoch(); // c = 1.5
    bank.update(&[1], &arr2(&[[1.0, -2.0]])).unwrap(); // S1 = (3, 0)
    assert_eq!(bank.entry(1).to_vec(), vec![2.0, 0.0]); // (3, 0) / 1.5
    assert_eq!(bank.entry(0).to_vec(), vec![2.0 / 1.5, 0.0]);
    bank.start_epoch(); // c = 1.75
    bank.update(&[1], &arr2(&[[0.25, 1.0]])).unwrap(); // S1 = (1.75, 1)
    assert_eq!(bank.entry(1).to_vec(), vec![1.0, 1.0 / 1.75]);
}

#[test]
fn backward_refuses_a_bank_updated_after_forward() {
    let mut bank = bank();
    let x = random_array("pirl/x", Ix2(3, 4));
    let (_, cache) = pirl_nce_forward(&x, &x, &INDICES, &negatives(), &bank, 0.07).unwrap();
    bank.update(&INDICES, &x).unwrap();
    assert!(pirl_nce_backward(&cache, &bank, 1.0).is_err());
}

#[test]
fn forward_rejects_own_image_as_negative_and_bad_shapes() {
    let bank = bank();
    let x = random_array("pirl/x2", Ix2(3, 4));
    let mut neg = negatives();
    neg[[0, 1]] = INDICES[0];
    assert!(pirl_nce_forward(&x, &x, &INDICES, &neg, &bank, 0.07).is_err());
    let wide = random_array("pirl/x3", Ix2(3, 5));
    assert!(pirl_nce_forward(&wide, &wide, &INDICES, &negatives(), &bank, 0.07).is_err());
    assert!(pirl_nce_forward(&x, &x, &INDICES, &negatives(), &bank, 0.0).is_err());
}

#[test]
fn negatives_are_distinct_exclude_own_image_and_cover_the_bank() {
    let mut s = StreamPath::root(1)
        .child("test")
        .child("negatives")
        .stream();
    let own = [0usize, 4, 9];
    let mut seen = [0usize; 10];
    for _ in 0..200 {
        let neg = draw_negatives(10, &own, 6, &mut s).unwrap();
        for (r, row) in neg.rows().into_iter().enumerate() {
            let mut v = row.to_vec();
            v.sort();
            v.dedup();
            assert_eq!(v.len(), 6, "duplicates in {row:?}");
            assert!(!v.contains(&own[r]) && v.iter().all(|&j| j < 10));
            for j in v {
                seen[j] += 1;
            }
        }
    }
    // Each index is excluded by one of the 3 rows at most: expected counts
    // are 200·6/9 per row that may draw it, ≥ 266; allow wide slack.
    assert!(seen.iter().all(|&c| c > 150), "{seen:?}");
}

#[test]
fn negatives_replay_from_the_same_stream_and_take_all_when_k_is_full() {
    let path = StreamPath::root(2).child("test").child("neg");
    let a = draw_negatives(50, &[3, 17], 20, &mut path.stream()).unwrap();
    let b = draw_negatives(50, &[3, 17], 20, &mut path.stream()).unwrap();
    assert_eq!(a, b);
    let full = draw_negatives(5, &[2], 4, &mut path.stream()).unwrap();
    let mut v = full.row(0).to_vec();
    v.sort();
    assert_eq!(v, vec![0, 1, 3, 4]);
    assert!(draw_negatives(5, &[2], 5, &mut path.stream()).is_err());
    assert_eq!(pirl_negative_count(256), 510);
}

#[test]
fn random_unit_bank_has_unit_rows() {
    let mut s = StreamPath::root(3).child("test").child("bank").stream();
    let bank = MemoryBank::<f32>::random_unit(8, PIRL_FEATURE_DIM, 0.5, &mut s).unwrap();
    for j in 0..bank.len() {
        let e = bank.entry(j);
        let n: f32 = e.iter().fold(0.0, |a, &v| v.mul_add(v, a));
        assert!((n - 1.0).abs() < 1e-5, "row {j}: {n}");
    }
}
