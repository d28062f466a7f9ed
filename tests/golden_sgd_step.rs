//! Two full supervised SGD steps of a tiny DARTS network against PyTorch, in f64.
//!
//! Why: the supervised loop's arithmetic (cross-entropy, backward through the
//! whole network, clipping by global norm, SGD with momentum and weight decay,
//! BatchNorm running statistics) must match PyTorch's training step. The
//! fixture `fixtures/golden/train/sgd_step_f64.safetensors` was written by
//! `fixtures/golden/train/sgd_step_golden.py` (see `fixtures/README.md`):
//! DARTS_V2, C=4, 3 layers, 1×8×8 inputs, batch 6, no auxiliary head, two steps
//! of `SGD(lr=0.1, momentum=0.9, weight_decay=3e-4)` with `clip_grad_norm_(…, 1)`
//! (active on both steps: the norms are 23.5 and 18.1).
//!
//! Tolerance: every state-dict entry after the two steps within 1e-10 of
//! PyTorch's, relative to the tensor's largest magnitude (f64 resolves 1e-16;
//! the summation orders differ, so bits do not; 2.2e-16 worst when written);
//! the counters exactly.

use std::collections::BTreeMap;
use std::path::Path;

use csnas::backend::CpuF64;
use csnas::genotype::Genotype;
use csnas::model::checkpoint::{load_checkpoint, read_network_metadata};
use csnas::model::{Network, NetworkKind, StateEntry, StateValue};
use csnas::ops::sgd::SgdConfig;
use csnas::rng::StreamPath;
use csnas::train::optim::Optimizer;
use csnas::train::supervised::{StepConfig, train_step_exact};
use ndarray::Array4;

const TOLERANCE: f64 = 1e-10;

#[test]
fn two_sgd_steps_match_pytorch_within_1e_10() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/golden/train/sgd_step_f64.safetensors");
    let (entries, meta) = load_checkpoint::<f64>(&path).unwrap();
    let net_meta = read_network_metadata(&path, &meta).unwrap();
    let genotype: Genotype = net_meta.genotype;
    let by_name: BTreeMap<String, StateEntry<f64>> =
        entries.into_iter().map(|e| (e.name.clone(), e)).collect();
    let floats = |name: &str| match &by_name[name].value {
        StateValue::Float(v) => v.clone(),
        StateValue::Int(v) => v.iter().map(|&i| i as f64).collect(),
    };
    let initial: Vec<StateEntry<f64>> = by_name
        .values()
        .filter(|e| !e.name.starts_with("golden.") && !e.name.starts_with("after."))
        .cloned()
        .collect();
    let mut net = Network::new(
        &CpuF64::new(),
        &genotype,
        &net_meta.config,
        NetworkKind::Eval,
        &StreamPath::root(0).child("init"),
    )
    .unwrap();
    net.load_state_dict(&initial).unwrap();

    let number = |key: &str| meta[key].parse::<f64>().unwrap();
    let cfg = StepConfig {
        sgd: SgdConfig {
            lr: number("lr"),
            momentum: number("momentum"),
            dampening: 0.0,
            weight_decay: number("weight_decay"),
            nesterov: false,
        },
        grad_clip: Some(number("grad_clip")),
        aux_weight: 0.4,
        label_smoothing: 0.0,
        drop_path: 0.0,
    };
    let mut opt = Optimizer::new();
    let golden_loss = floats("golden.loss");
    for step in 0..2 {
        let shape = by_name[&format!("golden.x{step}")].shape.clone();
        let x = Array4::from_shape_vec(
            (shape[0], shape[1], shape[2], shape[3]),
            floats(&format!("golden.x{step}")),
        )
        .unwrap();
        let labels: Vec<usize> = floats(&format!("golden.y{step}"))
            .iter()
            .map(|&y| y as usize)
            .collect();
        let root = StreamPath::root(0).at("drop_path", step);
        let loss = train_step_exact(&mut net, &x, &labels, &cfg, &mut opt, &root).unwrap();
        let want = golden_loss[step as usize];
        assert!(
            (loss - want).abs() <= TOLERANCE * want.abs(),
            "step {step}: loss {loss} vs PyTorch {want}"
        );
    }

    let mut worst = (0.0f64, String::new());
    for entry in net.state_dict() {
        let want = &by_name[&format!("after.{}", entry.name)];
        assert_eq!(want.shape, entry.shape, "{}", entry.name);
        match (&entry.value, &want.value) {
            (StateValue::Int(a), StateValue::Int(b)) => assert_eq!(a, b, "{}", entry.name),
            (StateValue::Float(a), StateValue::Float(b)) => {
                let scale = b.iter().fold(1e-30f64, |m, v| m.max(v.abs()));
                let diff = a
                    .iter()
                    .zip(b)
                    .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
                if diff / scale > worst.0 {
                    worst = (diff / scale, entry.name.clone());
                }
            }
            _ => panic!("{}: kinds differ", entry.name),
        }
    }
    eprintln!("worst relative difference {:e} in {}", worst.0, worst.1);
    assert!(
        worst.0 <= TOLERANCE,
        "worst relative difference {:e} in {} (tolerance {TOLERANCE:e})",
        worst.0,
        worst.1
    );
}
