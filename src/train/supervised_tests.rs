//! Tests of the supervised loop: determinism across runs and thread counts,
//! the seed's effect, the auxiliary-head and drop-path paths, and input checks.

use super::*;
use crate::data::{self, DataSpec};
use crate::genotype::builtin;
use crate::parallel::with_threads;

fn digits() -> Dataset {
    data::load(&DataSpec::Digits).unwrap().train
}

/// A tiny run: C=4, 3 layers, 48 training and 24 test images, 2 epochs.
fn tiny() -> SupervisedConfig {
    let mut cfg = SupervisedConfig::digits();
    cfg.network.channels = 4;
    cfg.network.layers = 3;
    cfg.epochs = 2;
    cfg.batch_size = 16;
    cfg
}

/// The tiny run at 32×32 (resized) with the auxiliary head and drop path.
fn tiny_aux() -> SupervisedConfig {
    let mut cfg = tiny();
    cfg.network.auxiliary = true;
    cfg.network.image_size = 32;
    cfg.augment = AugmentConfig {
        cutout: Some(8),
        ..AugmentConfig::cifar_supervised(32, None)
    };
    cfg.augment.geometry = crate::data::augment::Geometry::Resize;
    cfg.drop_path = 0.3;
    cfg.epochs = 2;
    cfg
}

fn run(cfg: &SupervisedConfig, seed: u64, threads: usize) -> SupervisedOutcome {
    let ds = digits();
    let train: Vec<usize> = (0..48).collect();
    let test: Vec<usize> = (100..124).collect();
    let g = builtin("DARTS_V2").unwrap();
    let root = StreamPath::root(seed);
    with_threads(threads, || {
        let dev = crate::backend::CpuF32::new();
        train_supervised(&dev, &g, cfg, &ds, &train, &ds, &test, &root, &mut |_| {}).map(|(_, o)| o)
    })
    .unwrap()
    .unwrap()
}

#[test]
fn same_seed_gives_identical_losses_and_weights() {
    let a = run(&tiny(), 5, 1);
    let b = run(&tiny(), 5, 1);
    assert_eq!(a.epochs.len(), 2);
    let bits = |o: &SupervisedOutcome| -> Vec<u32> {
        o.epochs.iter().map(|e| e.train_loss.to_bits()).collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a.weights_digest, b.weights_digest);
    assert!(a.epochs.iter().all(|e| e.train_loss.is_finite()));
}

#[test]
fn another_seed_gives_other_weights() {
    assert_ne!(
        run(&tiny(), 5, 1).weights_digest,
        run(&tiny(), 6, 1).weights_digest
    );
}

#[test]
fn one_and_two_threads_give_identical_results_with_aux_and_drop_path() {
    let a = run(&tiny_aux(), 3, 1);
    let b = run(&tiny_aux(), 3, 2);
    assert_eq!(a, b);
    assert_eq!(a.epochs[1].drop_path, 0.15);
}

#[test]
fn aux_weight_changes_the_training_loss() {
    let mut no_aux_weight = tiny_aux();
    no_aux_weight.aux_weight = 0.0;
    let a = run(&tiny_aux(), 3, 1);
    let b = run(&no_aux_weight, 3, 1);
    // Epoch 0 has drop path 0 and the same draws: only the aux term differs.
    assert!(a.epochs[0].train_loss > b.epochs[0].train_loss);
}

#[test]
fn learning_rate_follows_the_cosine_schedule() {
    let out = run(&tiny(), 1, 1);
    assert_eq!(out.epochs[0].lr, 0.05);
    assert_eq!(out.epochs[1].lr, cosine_lr(0.05, 0.0, 1, 2));
    assert_eq!(out.test_accuracy, out.epochs[1].test_accuracy);
}

#[test]
fn a_network_that_does_not_fit_the_data_is_rejected() {
    let mut cfg = tiny();
    cfg.network.in_channels = 3;
    let e = cfg.validate(&digits()).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.to_string().contains("1-channel"), "{e}");
    let mut cfg = tiny();
    cfg.epochs = 0;
    assert!(cfg.validate(&digits()).is_err());
}

#[test]
fn darts_preset_is_the_published_protocol() {
    let c = SupervisedConfig::darts();
    assert_eq!((c.network.channels, c.network.layers), (36, 20));
    assert!(c.network.auxiliary);
    assert_eq!((c.epochs, c.batch_size, c.grad_clip), (600, 96, Some(5.0)));
    assert_eq!(
        (c.sgd.lr, c.sgd.momentum, c.sgd.weight_decay),
        (0.025, 0.9, 3e-4)
    );
    assert_eq!(
        (c.aux_weight, c.drop_path, c.augment.cutout),
        (0.4, 0.2, Some(16))
    );
}

#[test]
fn argmax_takes_the_first_largest() {
    assert_eq!(argmax(&[0.0, 2.0, 2.0, 1.0]), 1);
    assert_eq!(argmax(&[f32::NAN, 1.0]), 0);
    assert_eq!(argmax(&[-1.0, f32::NAN, 3.0]), 2);
}
