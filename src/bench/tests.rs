//! Tests of the bench step: timing must not change a single bit.

use super::*;
use crate::genotype::builtin;
use crate::ops::profile;

fn tiny(genotype: Genotype) -> StepConfig {
    StepConfig {
        genotype,
        channels: 4,
        layers: 3,
        batch: 6,
        image_size: 8,
        seed: 7,
        loss: crate::bench::BenchLoss::NtXent,
    }
}

fn losses_and_digest(cfg: &StepConfig, steps: usize) -> (Vec<u32>, blake3::Hash) {
    let mut b = BenchStep::new(cfg).unwrap();
    let losses = (0..steps)
        .map(|_| b.step().unwrap().loss_value.to_bits())
        .collect();
    (losses, b.weights_digest())
}

#[test]
fn profiled_steps_give_bit_identical_losses_and_weights_to_unprofiled_steps() {
    let cfg = tiny(builtin("DARTS_V2").unwrap());
    profile::disable();
    let plain = losses_and_digest(&cfg, 3);
    profile::enable();
    let timed = losses_and_digest(&cfg, 3);
    let times = profile::disable();
    assert_eq!(plain, timed);
    // The hook did run: the network is mostly convolutions.
    assert!(times.get(profile::OpClass::ConvDense) > Duration::ZERO);
    assert!(times.get(profile::OpClass::ConvDepthwise) > Duration::ZERO);
    // The loss moves: the SGD step changed the weights.
    assert_ne!(plain.0[0], plain.0[2]);
}

#[test]
fn run_at_reports_the_same_losses_at_one_and_two_threads() {
    let cfg = tiny(random_genotype(3).unwrap());
    let reps = Repetitions {
        warmup: 1,
        reps: 2,
        profile: true,
    };
    let one = run_at(&cfg, 1, &reps).unwrap();
    let two = run_at(&cfg, 2, &reps).unwrap();
    assert_eq!(one.losses.len(), 3);
    let bits = |r: &ThreadReport| r.losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&one), bits(&two));
    assert_eq!((one.threads, two.threads), (1, 2));
    let share_sum: f64 = one.op_shares.iter().map(|&(_, s)| s).sum();
    assert!(
        (share_sum - 1.0).abs() < 1e-9 || share_sum > 1.0,
        "{share_sum}"
    );
    assert_eq!(one.op_shares.last().unwrap().0, "other");
}

#[test]
fn random_genotype_is_fixed_by_its_seed_and_valid() {
    let a = random_genotype(0).unwrap();
    assert_eq!(a, random_genotype(0).unwrap());
    assert_ne!(a, random_genotype(1).unwrap());
    a.validate().unwrap();
}

#[test]
fn odd_batch_is_rejected_with_the_flag_named() {
    let mut cfg = tiny(builtin("DARTS_V2").unwrap());
    cfg.batch = 5;
    let err = BenchStep::new(&cfg).err().unwrap().to_string();
    assert!(err.contains("--batch"), "{err}");
}

#[test]
fn median_of_even_count_is_the_mean_of_the_middle_pair() {
    let d = Duration::from_millis;
    assert_eq!(median(&[d(5), d(1), d(3)]), d(3));
    assert_eq!(median(&[d(4), d(1), d(2), d(9)]), d(3));
}

#[test]
fn pirl_nce_step_gives_the_same_bits_at_one_and_two_threads_and_learns() {
    let mut cfg = tiny(builtin("DARTS_V2").unwrap());
    cfg.loss = BenchLoss::PirlNce { bank: 20 };
    let reps = Repetitions {
        warmup: 1,
        reps: 3,
        profile: false,
    };
    let one = run_at(&cfg, 1, &reps).unwrap();
    let two = run_at(&cfg, 2, &reps).unwrap();
    let bits = |r: &ThreadReport| r.losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&one), bits(&two));
    assert!(one.losses.iter().all(|l| l.is_finite()), "{:?}", one.losses);
    // The weights and the bank move, so the loss does.
    assert_ne!(bits(&one)[0], bits(&one)[3]);
    // NT-Xent on the same network and input is another loss.
    let nt = run_at(&tiny(builtin("DARTS_V2").unwrap()), 1, &reps).unwrap();
    assert_ne!(bits(&one)[0], nt.losses[0].to_bits());
}

#[test]
fn pirl_nce_bank_too_small_for_the_batch_is_rejected_with_the_flag_named() {
    let mut cfg = tiny(builtin("DARTS_V2").unwrap());
    // batch 6 = 3 images: 4 negatives + the image itself need 5 entries.
    cfg.loss = BenchLoss::PirlNce { bank: 4 };
    let err = BenchStep::new(&cfg).err().unwrap().to_string();
    assert!(
        err.contains("--bank 4") && err.contains("at least 5"),
        "{err}"
    );
    cfg.loss = BenchLoss::PirlNce { bank: 5 };
    BenchStep::new(&cfg).unwrap();
}
