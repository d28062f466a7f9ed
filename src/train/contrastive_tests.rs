//! Tests of the contrastive trial: determinism (same seed, any thread count),
//! seed sensitivity, divergence without panic, batching.

use super::batch_sizes;
use crate::data::augment::{AugmentConfig, ColorJitter, Geometry};
use crate::data::{DataSpec, Dataset, load};
use crate::genotype::builtin;
use crate::model::{HeadConfig, NetworkConfig};
use crate::ops::sgd::SgdConfig;
use crate::parallel::with_threads;
use crate::rng::StreamPath;
use crate::train::trial::{ContrastiveSpec, Objective, TrialEnd, TrialOutcome, run_contrastive};

fn digits() -> Dataset {
    load(&DataSpec::Digits).unwrap().train
}

fn spec(objective: Objective, lr: f64) -> ContrastiveSpec {
    ContrastiveSpec {
        network: NetworkConfig {
            channels: 4,
            layers: 3,
            classes: 10,
            auxiliary: false,
            in_channels: 1,
            image_size: 8,
        },
        head: HeadConfig {
            hidden: None,
            out_dim: 16,
        },
        objective,
        epochs: 2,
        batch_size: 16,
        sgd: SgdConfig {
            lr,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
        },
        augment: AugmentConfig {
            geometry: Geometry::ResizedCrop {
                scale: (0.5, 1.0),
                ratio: (0.75, 4.0 / 3.0),
            },
            jitter: Some(ColorJitter {
                brightness: 0.4,
                contrast: 0.4,
                saturation: 0.0,
                hue: 0.0,
                p: 0.8,
            }),
            ..AugmentConfig::none(8)
        },
        grad_clip: Some(5.0),
    }
}

const NT_XENT: Objective = Objective::NtXent { temperature: 0.5 };
const PIRL: Objective = Objective::PirlNce { temperature: 0.07 };

fn run(spec: &ContrastiveSpec, seed: u64, images: usize) -> TrialOutcome {
    let data = digits();
    let indices: Vec<usize> = (0..images).map(|i| i * 3).collect();
    let mut calls = 0;
    let out = run_contrastive(
        &builtin("DARTS_V2").unwrap(),
        spec,
        &data,
        &indices,
        &StreamPath::root(seed).child("trial"),
        &mut |_, _, _, _| calls += 1,
    )
    .unwrap();
    if out.end == TrialEnd::Ok {
        let per_epoch = batch_sizes(images, spec.batch_size).len();
        assert_eq!(calls, spec.epochs * per_epoch, "progress after every batch");
    }
    out
}

fn bits(out: &TrialOutcome) -> Vec<u32> {
    out.epoch_losses.iter().map(|l| l.to_bits()).collect()
}

#[test]
fn batches_drop_only_a_lone_remainder() {
    assert_eq!(batch_sizes(64, 16), vec![16; 4]);
    assert_eq!(batch_sizes(66, 16), vec![16, 16, 16, 16, 2]);
    assert_eq!(batch_sizes(65, 16), vec![16; 4]);
    assert_eq!(batch_sizes(5, 16), vec![5]);
}

#[test]
fn same_seed_gives_identical_losses_and_digest_for_both_objectives() {
    for objective in [NT_XENT, PIRL] {
        let s = spec(objective.clone(), 0.05);
        let (a, b) = (run(&s, 7, 64), run(&s, 7, 64));
        assert_eq!(a.end, TrialEnd::Ok, "{objective:?}");
        assert_eq!(a.epoch_losses.len(), 2);
        assert!(a.epoch_losses.iter().all(|l| l.is_finite()), "{a:?}");
        assert_eq!(bits(&a), bits(&b), "{objective:?}");
        assert_eq!(a.weights_digest, b.weights_digest, "{objective:?}");
    }
}

#[test]
fn one_and_two_threads_give_the_same_bits() {
    for objective in [NT_XENT, PIRL] {
        let s = spec(objective.clone(), 0.05);
        let one = with_threads(1, || run(&s, 11, 64)).unwrap();
        let two = with_threads(2, || run(&s, 11, 64)).unwrap();
        assert_eq!(bits(&one), bits(&two), "{objective:?}");
        assert_eq!(one.weights_digest, two.weights_digest, "{objective:?}");
    }
}

#[test]
fn a_different_seed_gives_different_losses_and_weights() {
    let s = spec(NT_XENT, 0.05);
    let (a, b) = (run(&s, 1, 32), run(&s, 2, 32));
    assert_ne!(bits(&a), bits(&b));
    assert_ne!(a.weights_digest, b.weights_digest);
}

#[test]
fn a_huge_learning_rate_ends_as_diverged_not_a_panic() {
    for objective in [NT_XENT, PIRL] {
        let mut s = spec(objective.clone(), 1e30);
        s.grad_clip = None;
        s.epochs = 4;
        let out = run(&s, 3, 32);
        let TrialEnd::Diverged { epoch, .. } = out.end else {
            panic!("{objective:?}: expected divergence, got {out:?}");
        };
        assert_eq!(out.epoch_losses.len(), epoch + 1);
        assert!(!out.epoch_losses[epoch].is_finite());
        assert!(out.epoch_losses[..epoch].iter().all(|l| l.is_finite()));
    }
}

#[test]
fn bad_settings_are_errors_naming_the_problem() {
    let data = digits();
    let g = builtin("DARTS_V2").unwrap();
    let root = StreamPath::root(0);
    let mut s = spec(NT_XENT, 0.05);
    s.batch_size = 1;
    let e = run_contrastive(&g, &s, &data, &[0, 1, 2], &root, &mut |_, _, _, _| {});
    assert!(e.unwrap_err().to_string().contains("batch size"));
    let s = spec(PIRL, 0.05);
    let few: Vec<usize> = (0..20).collect();
    let e = run_contrastive(&g, &s, &data, &few, &root, &mut |_, _, _, _| {});
    assert!(e.unwrap_err().to_string().contains("negatives"));
}
