//! Tests of the networks: parameter counts against PyTorch DARTS, state-dict
//! names and order, loading, digests, output shapes and errors. Gradient and
//! thread-count checks are in `tests_grad.rs`.

use super::*;
use crate::backend::CpuF32;
use crate::genotype::{Cell, Op};
use crate::rng::StreamPath;

fn cell(edges: &[(Op, usize)]) -> Cell {
    Cell {
        edges: edges.to_vec(),
        concat: vec![2, 3, 4, 5],
    }
}

/// A published genotype, built in by name (`quark0/darts` `cnn/genotypes.py`).
fn published(name: &str) -> Genotype {
    crate::genotype::builtin(name).unwrap()
}

/// A genotype using every op, each with stride 1 and stride 2 somewhere.
pub(crate) fn all_ops() -> Genotype {
    use Op::*;
    Genotype {
        normal: cell(&[
            (SepConv3x3, 0),
            (DilConv3x3, 1),
            (SkipConnect, 0),
            (AvgPool3x3, 2),
            (MaxPool3x3, 1),
            (SepConv5x5, 3),
            (DilConv5x5, 0),
            (None, 4),
        ]),
        reduce: cell(&[
            (SkipConnect, 0),
            (SepConv7x7, 1),
            (Conv7x1_1x7, 0),
            (None, 1),
            (MaxPool3x3, 0),
            (AvgPool3x3, 1),
            (DilConv3x3, 2),
            (SepConv3x3, 4),
        ]),
    }
}

fn darts_config(auxiliary: bool) -> NetworkConfig {
    NetworkConfig {
        channels: 36,
        layers: 20,
        classes: 10,
        auxiliary,
        in_channels: 3,
        image_size: 32,
    }
}

/// C=4, 3 layers (reductions at cells 1 and 2), 10 classes.
pub(super) fn tiny_config(in_channels: usize, image_size: usize, auxiliary: bool) -> NetworkConfig {
    NetworkConfig {
        channels: 4,
        layers: 3,
        classes: 10,
        auxiliary,
        in_channels,
        image_size,
    }
}

#[test]
fn darts_v2_parameter_counts_match_pytorch_darts() {
    let g = published("DARTS_V2");
    assert_eq!(
        count_parameters(&g, &darts_config(false), false).unwrap(),
        3_349_342
    );
    assert_eq!(
        count_parameters(&g, &darts_config(true), true).unwrap(),
        3_825_768
    );
    // The auxiliary head is left out of the count unless asked for.
    assert_eq!(
        count_parameters(&g, &darts_config(true), false).unwrap(),
        3_349_342
    );
}

#[test]
fn darts_v1_parameter_count_matches_pytorch_darts() {
    assert_eq!(
        count_parameters(&published("DARTS_V1"), &darts_config(false), false).unwrap(),
        3_169_414
    );
}

fn tiny(kind: NetworkKind, image: usize, aux: bool, seed: u64) -> Network<CpuF32> {
    let cfg = tiny_config(1, image, aux);
    Network::new(
        &CpuF32::new(),
        &all_ops(),
        &cfg,
        kind,
        &StreamPath::root(seed).child("init"),
    )
    .unwrap()
}

fn shape_of<T>(sd: &[StateEntry<T>], name: &str) -> (usize, Vec<usize>) {
    let i = sd
        .iter()
        .position(|e| e.name == name)
        .unwrap_or_else(|| panic!("no entry {name}"));
    (i, sd[i].shape.clone())
}

#[test]
fn state_dict_has_pytorch_names_shapes_and_order() {
    let mut net = tiny(NetworkKind::Eval, 32, true, 1);
    let sd = net.state_dict();
    let names: Vec<&str> = sd.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names[..7],
        [
            "stem.0.weight",
            "stem.1.weight",
            "stem.1.bias",
            "stem.1.running_mean",
            "stem.1.running_var",
            "stem.1.num_batches_tracked",
            "cells.0.preprocess0.op.1.weight",
        ]
    );
    assert_eq!(*names.last().unwrap(), "classifier.bias");
    // (name, shape) worked out by hand: C=4, stem 3C=12; cell 0 normal C=4 (out 16);
    // cell 1 reduction C=8 (out 32); cell 2 reduction C=16 (out 64), after a reduction.
    let expected: [(&str, &[usize]); 16] = [
        ("stem.0.weight", &[12, 1, 3, 3]),
        ("stem.1.num_batches_tracked", &[]),
        ("cells.0.preprocess0.op.1.weight", &[4, 12, 1, 1]),
        ("cells.0.preprocess0.op.2.weight", &[4]),
        ("cells.0.preprocess1.op.2.running_var", &[4]),
        ("cells.0._ops.0.op.1.weight", &[4, 1, 3, 3]),
        ("cells.0._ops.0.op.6.weight", &[4, 4, 1, 1]),
        ("cells.0._ops.1.op.1.weight", &[4, 1, 3, 3]),
        ("cells.1._ops.0.conv_1.weight", &[4, 8, 1, 1]),
        ("cells.1._ops.1.op.1.weight", &[8, 1, 7, 7]),
        ("cells.1._ops.2.1.weight", &[8, 8, 1, 7]),
        ("cells.1._ops.2.2.weight", &[8, 8, 7, 1]),
        ("cells.2.preprocess0.conv_1.weight", &[8, 16, 1, 1]),
        ("auxiliary_head.features.2.weight", &[128, 64, 1, 1]),
        ("auxiliary_head.features.5.weight", &[768, 128, 2, 2]),
        ("classifier.weight", &[10, 64]),
    ];
    let mut last = 0;
    for (name, shape) in expected {
        let (i, s) = shape_of(&sd, name);
        assert_eq!(s, shape, "{name}");
        assert!(i >= last, "{name} out of order");
        last = i;
    }
    let (i, s) = shape_of(&sd, "auxiliary_head.classifier.weight");
    assert_eq!(s, [10, 768]);
    assert!(
        i < shape_of(&sd, "classifier.weight").0,
        "auxiliary head before classifier"
    );
    // Ops without parameters have no entries; every name is unique.
    assert!(
        !names.iter().any(|n| n.starts_with("cells.0._ops.3.")),
        "avg_pool has no state"
    );
    let unique: std::collections::HashSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len());
}

#[test]
fn search_network_has_projection_head_and_no_classifier() {
    let mut net = tiny(NetworkKind::Search(HeadConfig::default()), 8, false, 1);
    let sd = net.state_dict();
    assert_eq!(shape_of(&sd, "head.0.weight").1, [64, 64]);
    assert_eq!(shape_of(&sd, "head.2.weight").1, [128, 64]);
    assert_eq!(sd.last().unwrap().name, "head.2.bias");
    assert!(
        !sd.iter()
            .any(|e| e.name.starts_with("classifier") || e.name.starts_with("aux"))
    );
    let cfg = HeadConfig {
        hidden: Some(32),
        out_dim: 16,
    };
    let sd = tiny(NetworkKind::Search(cfg), 8, false, 1).state_dict();
    assert_eq!(shape_of(&sd, "head.0.weight").1, [32, 64]);
    assert_eq!(shape_of(&sd, "head.2.bias").1, [16]);
}

fn floats(sd: &[StateEntry<f32>], name: &str) -> Vec<f32> {
    match &sd[shape_of(sd, name).0].value {
        StateValue::Float(v) => v.clone(),
        StateValue::Int(_) => panic!("{name} is an integer"),
    }
}

#[test]
fn init_follows_pytorch_defaults_and_is_per_parameter() {
    let sd = tiny(NetworkKind::Eval, 8, false, 3).state_dict();
    // Linear(64, 10): U(±1/8) for weight and bias; stem conv fan_in 9: U(±1/3).
    let w = floats(&sd, "classifier.weight");
    assert!(w.iter().all(|x| x.abs() <= 0.125) && w.iter().any(|x| x.abs() > 0.1));
    assert!(
        floats(&sd, "classifier.bias")
            .iter()
            .all(|x| x.abs() <= 0.125)
    );
    assert!(
        floats(&sd, "stem.0.weight")
            .iter()
            .all(|x| x.abs() <= 1.0 / 3.0)
    );
    assert!(floats(&sd, "stem.1.weight").iter().all(|&x| x == 1.0));
    assert!(floats(&sd, "stem.1.running_var").iter().all(|&x| x == 1.0));
    // A deeper network shares the values of the parameters both have.
    let cfg = NetworkConfig {
        layers: 4,
        ..tiny_config(1, 8, false)
    };
    let mut deeper = Network::new(
        &CpuF32::new(),
        &all_ops(),
        &cfg,
        NetworkKind::Eval,
        &StreamPath::root(3).child("init"),
    )
    .unwrap();
    let dsd = deeper.state_dict();
    for name in [
        "stem.0.weight",
        "cells.0._ops.0.op.1.weight",
        "cells.0.preprocess1.op.1.weight",
    ] {
        assert_eq!(floats(&sd, name), floats(&dsd, name), "{name}");
    }
}

#[test]
fn weights_digest_depends_on_seed_only() {
    let a = tiny(NetworkKind::Eval, 8, false, 5).weights_digest();
    assert_eq!(a, tiny(NetworkKind::Eval, 8, false, 5).weights_digest());
    assert_ne!(a, tiny(NetworkKind::Eval, 8, false, 6).weights_digest());
}

#[test]
fn load_state_dict_round_trips_and_names_the_bad_entry() {
    let mut src = tiny(NetworkKind::Eval, 8, false, 1);
    let mut dst = tiny(NetworkKind::Eval, 8, false, 2);
    let sd = src.state_dict();
    dst.load_state_dict(&sd).unwrap();
    assert_eq!(dst.weights_digest(), src.weights_digest());

    let before = dst.weights_digest();
    let err = |entries: &[StateEntry<f32>], dst: &mut Network<CpuF32>| {
        dst.load_state_dict(entries).unwrap_err().to_string()
    };
    let missing: Vec<_> = sd
        .iter()
        .filter(|e| e.name != "cells.1._ops.0.bn.running_mean")
        .cloned()
        .collect();
    assert!(err(&missing, &mut dst).contains("missing entry cells.1._ops.0.bn.running_mean"));
    let mut extra = sd.clone();
    extra.push(StateEntry {
        name: "bogus.weight".into(),
        shape: vec![1],
        value: StateValue::Float(vec![0.0]),
    });
    assert!(err(&extra, &mut dst).contains("unexpected entry bogus.weight"));
    let mut bad = sd.clone();
    let i = shape_of(&bad, "classifier.weight").0;
    bad[i].shape = vec![64, 10];
    assert!(err(&bad, &mut dst).contains("classifier.weight has shape [64, 10]"));
    assert_eq!(
        dst.weights_digest(),
        before,
        "a failed load changes nothing"
    );
}

#[test]
fn image_sizes_the_network_cannot_take_are_rejected_clearly() {
    let init = StreamPath::root(0);
    let msg = Network::new(
        &CpuF32::new(),
        &all_ops(),
        &tiny_config(1, 8, true),
        NetworkKind::Eval,
        &init,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        msg.contains("auxiliary head") && msg.contains("2×2"),
        "{msg}"
    );
    let msg = Network::new(
        &CpuF32::new(),
        &all_ops(),
        &tiny_config(1, 6, false),
        NetworkKind::Eval,
        &init,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(msg.contains("even input"), "{msg}");
    // The search network has no auxiliary head, so 8×8 is fine even if asked for one.
    assert!(
        Network::new(
            &CpuF32::new(),
            &all_ops(),
            &tiny_config(1, 8, true),
            NetworkKind::Search(HeadConfig::default()),
            &init
        )
        .is_ok()
    );
}

#[test]
fn factorized_reduce_needs_an_even_channel_count() {
    let cfg = NetworkConfig {
        channels: 3,
        ..tiny_config(1, 8, false)
    };
    // Reduction cells double C to 6 and 12 (even), so C=3 builds; a genotype whose
    // skip_connect reduces in a normal cell cannot exist, so test the layer directly.
    assert!(
        Network::new(
            &CpuF32::new(),
            &all_ops(),
            &cfg,
            NetworkKind::Eval,
            &StreamPath::root(0)
        )
        .is_ok()
    );
    let err = primitives::FactorizedReduce::new(&CpuF32::new(), 4, 5, &init::Init::Zeros, "x")
        .err()
        .unwrap();
    assert!(err.to_string().contains("even channel count"));
}

#[test]
fn forward_output_shapes_for_digits_and_cifar_sizes() {
    let x8 = ndarray::Array4::<f32>::from_elem((2, 1, 8, 8), 0.5);
    let rng = StreamPath::root(0).child("step");
    let mut net = tiny(NetworkKind::Eval, 8, false, 1);
    let out = net.forward(&x8, true, 0.0, &rng).unwrap();
    assert_eq!(out.logits.dim(), (2, 10));
    assert!(out.aux_logits.is_none());
    let mut search = tiny(NetworkKind::Search(HeadConfig::default()), 8, false, 1);
    assert_eq!(
        search.forward(&x8, true, 0.0, &rng).unwrap().logits.dim(),
        (2, 128)
    );

    let cfg = tiny_config(3, 32, true);
    let mut net = Network::new(
        &CpuF32::new(),
        &all_ops(),
        &cfg,
        NetworkKind::Eval,
        &StreamPath::root(1),
    )
    .unwrap();
    let x32 =
        crate::ops::testing::random_array("x32", ndarray::Ix4(2, 3, 32, 32)).mapv(|v| v as f32);
    let out = net.forward(&x32, true, 0.2, &rng).unwrap();
    assert_eq!(out.logits.dim(), (2, 10));
    assert_eq!(out.aux_logits.unwrap().dim(), (2, 10));
    let out = net.forward(&x32, false, 0.0, &rng).unwrap();
    assert!(out.aux_logits.is_none(), "no auxiliary logits in eval mode");
    let err = net
        .forward(&x8, false, 0.0, &rng)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("(N>0, 3, 32, 32)"), "{err}");
}
