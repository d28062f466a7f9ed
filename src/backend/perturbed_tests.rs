//! Proof that the seam is used end to end: perturbing any one op of the
//! [`Perturbed`] backend changes a whole trial's result, and perturbing none
//! changes no bit.

use super::CpuF32;
use super::perturbed::{OPS, Perturbed};
use crate::backend::Backend;
use crate::data::augment::AugmentConfig;
use crate::data::{DataSpec, Dataset, load};
use crate::model::tests::all_ops;
use crate::model::{HeadConfig, Network, NetworkConfig, NetworkKind};
use crate::ops::sgd::SgdConfig;
use crate::rng::StreamPath;
use crate::train::contrastive::train_network;
use crate::train::optim::Optimizer;
use crate::train::supervised::{StepConfig, evaluate, train_step};
use crate::train::trial::{ContrastiveSpec, Objective};
use std::collections::BTreeSet;

fn digits() -> Dataset {
    load(&DataSpec::Digits).unwrap().train
}

/// What a run produced, to the bit: losses and the final weights' digest.
type Result = (Vec<u32>, blake3::Hash);

fn spec(objective: Objective) -> ContrastiveSpec {
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
            out_dim: 8,
        },
        objective,
        epochs: 1,
        batch_size: 8,
        sgd: SgdConfig {
            lr: 0.05,
            momentum: 0.9,
            dampening: 0.0,
            weight_decay: 3e-4,
            nesterov: false,
        },
        augment: AugmentConfig::none(8),
        // Small enough to clip, so the norm and the scaling both matter.
        grad_clip: Some(0.01),
    }
}

fn trial<B: Backend<Elem = f32>>(dev: &B, objective: Objective, data: &Dataset) -> Result {
    let indices: Vec<usize> = (0..16).collect();
    let root = StreamPath::root(3).child("trial");
    let (_, out) = train_network(
        dev,
        &all_ops(),
        &spec(objective),
        data,
        &indices,
        &root,
        &mut |_, _, _, _| {},
    )
    .unwrap();
    let losses = out.epoch_losses.iter().map(|l| l.to_bits()).collect();
    (losses, out.weights_digest)
}

/// Two supervised steps of the evaluation network with the auxiliary head
/// and drop path, then an evaluation-mode accuracy pass.
fn supervised<B: Backend<Elem = f32>>(dev: &B, data: &Dataset) -> Result {
    let cfg = NetworkConfig {
        channels: 4,
        layers: 3,
        classes: 10,
        auxiliary: true,
        in_channels: 1,
        image_size: 32,
    };
    let root = StreamPath::root(5);
    let mut net = Network::new(dev, &all_ops(), &cfg, NetworkKind::Eval, &root).unwrap();
    let step = StepConfig {
        sgd: SgdConfig::darts(0.05),
        grad_clip: Some(0.01),
        aux_weight: 0.4,
        label_smoothing: 0.1,
        drop_path: 0.3,
    };
    let augment = AugmentConfig::none(32);
    let mut opt = Optimizer::new();
    let mut losses = Vec::new();
    for s in 0..2u64 {
        let idx: Vec<usize> = (4 * s as usize..4 * s as usize + 4).collect();
        let x = crate::data::batch::batch(data, &idx, 0, &root, &augment).unwrap();
        let labels: Vec<usize> = idx.iter().map(|&i| data.labels[i] as usize).collect();
        let path = root.at("drop_path", s);
        let loss = train_step(&mut net, &x, &labels, &step, &mut opt, &path).unwrap();
        losses.push(loss.to_bits());
    }
    let accuracy = evaluate(&mut net, data, &[8, 9, 10, 11], &augment, 4).unwrap();
    losses.push((accuracy as f32).to_bits());
    // The evaluation pass's logits feed only the accuracy; digest them too.
    let mut logits = Vec::new();
    crate::train::supervised::for_each_logits(&mut net, data, &[8, 9], &augment, 2, &mut |_, r| {
        logits.extend(r.iter().map(|v| v.to_bits()))
    })
    .unwrap();
    losses.extend(logits);
    (losses, net.weights_digest())
}

type Scenario = fn(&Perturbed<CpuF32>, &Dataset) -> Result;

fn scenarios() -> Vec<(&'static str, Scenario)> {
    vec![
        ("nt-xent trial", |d, data| {
            trial(d, Objective::NtXent { temperature: 0.5 }, data)
        }),
        ("pirl trial", |d, data| {
            trial(d, Objective::PirlNce { temperature: 0.07 }, data)
        }),
        ("supervised steps", |d, data| supervised(d, data)),
    ]
}

#[test]
fn the_wrapper_unperturbed_changes_no_bit() {
    let data = digits();
    let cpu = CpuF32::new();
    let same = Perturbed::new(cpu, None);
    let nt = Objective::NtXent { temperature: 0.5 };
    assert_eq!(trial(&cpu, nt.clone(), &data), trial(&same, nt, &data));
    assert_eq!(supervised(&cpu, &data), supervised(&same, &data));
}

#[test]
fn perturbing_any_op_by_one_ulp_changes_a_whole_run_naming_the_op() {
    let data = digits();
    let cpu = CpuF32::new();
    let mut reached = BTreeSet::new();
    for (what, run) in scenarios() {
        let reference = run(&Perturbed::new(cpu, None), &data);
        for &op in OPS {
            if run(&Perturbed::new(cpu, Some(op)), &data) != reference {
                reached.insert(op);
            }
        }
        eprintln!("{what}: {} ops reached so far", reached.len());
    }
    let missed: Vec<&str> = OPS
        .iter()
        .copied()
        .filter(|o| !reached.contains(o))
        .collect();
    assert!(
        missed.is_empty(),
        "ops whose perturbation changed no result (not reached through the seam): {missed:?}"
    );
}

#[test]
fn an_unknown_op_name_is_refused() {
    let r = std::panic::catch_unwind(|| Perturbed::new(CpuF32::new(), Some("conv3d")));
    assert!(r.is_err());
}
