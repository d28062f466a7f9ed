//! Tests of the bounds: messages name the label, the parameter bound is a
//! true upper bound on the built networks' counts (and not a loose one), and
//! escaping keeps a message on one printable line.

use super::*;
use crate::genotype::{BUILTIN_NAMES, builtin};
use crate::model::{HeadConfig, Network, count_parameters};
use crate::rng::StreamPath;

fn cfg(channels: usize, layers: usize, auxiliary: bool) -> NetworkConfig {
    NetworkConfig {
        channels,
        layers,
        classes: 10,
        auxiliary,
        in_channels: 3,
        image_size: 32,
    }
}

#[test]
fn a_bound_names_the_flag_or_setting_and_its_value() {
    let e = CLASSES.check("--classes", usize::MAX).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(
        e.to_string(),
        "--classes 18446744073709551615: must be at most 100000 (number of classes; csnas's limit)"
    );
    let e = NODES.check("nodes", 100_000_000).unwrap_err().to_string();
    assert!(
        e.starts_with("nodes = 100000000: must be at most 16"),
        "{e}"
    );
    let e = BATCH_SIZE.check("--batch-size", 0).unwrap_err().to_string();
    assert!(e.starts_with("--batch-size 0: must be at least 1"), "{e}");
    assert_eq!(CHANNELS.check("--channels", 36).unwrap(), 36);
}

#[test]
fn the_parameter_bound_covers_every_builtin_within_a_factor_of_three() {
    // The exact counts come from building the network (count_parameters),
    // whose DARTS_V2 figure matches PyTorch's (DESIGN §2: 3,349,342).
    for name in BUILTIN_NAMES {
        let g = builtin(name).unwrap();
        for (c, l, aux) in [
            (36, 20, false),
            (36, 20, true),
            (8, 5, false),
            (16, 3, true),
        ] {
            let config = cfg(c, l, aux);
            let exact = count_parameters(&g, &config, aux).unwrap() as u64;
            let bound = parameter_bound(&g, &config, NetworkKind::Eval);
            assert!(exact <= bound, "{name} C={c} L={l}: {exact} > {bound}");
            assert!(bound <= 3 * exact, "{name} C={c} L={l}: {bound} vs {exact}");
        }
    }
}

#[test]
fn the_parameter_bound_covers_the_search_network_with_its_head() {
    let g = builtin("DARTS_V2").unwrap();
    for head in [
        HeadConfig::default(),
        HeadConfig {
            hidden: Some(64),
            out_dim: 32,
        },
    ] {
        let kind = NetworkKind::Search(head);
        let config = cfg(8, 5, false);
        let dev = crate::backend::CpuF32::new();
        let mut net = Network::new(&dev, &g, &config, kind, &StreamPath::root(0)).unwrap();
        let exact: u64 = net
            .state_dict()
            .iter()
            .filter(|e| !e.name.contains("running") && !e.name.contains("num_batches"))
            .map(|e| e.shape.iter().product::<usize>() as u64)
            .sum();
        let bound = parameter_bound(&g, &config, kind);
        assert!(
            exact <= bound && bound <= 3 * exact,
            "{head:?}: {exact} vs {bound}"
        );
    }
}

#[test]
fn a_network_over_the_parameter_limit_is_refused_before_it_is_built() {
    let g = builtin("NASNet").unwrap();
    let e = check_network(
        &cfg(1024, 256, true),
        Some(&g),
        NetworkKind::Eval,
        &flag_names,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("--channels 1024, --layers 256: the network would have up to"),
        "{e}"
    );
    check_network(&cfg(36, 20, true), Some(&g), NetworkKind::Eval, &flag_names).unwrap();
}

#[test]
fn batches_over_the_float_limit_are_refused() {
    check_batch("--batch-size", 256, 3, 32).unwrap();
    let e = check_batch("--batch-size", 65_536, 64, 2048)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("--batch-size 65536: a batch of 65536 images"),
        "{e}"
    );
}

#[test]
fn escape_keeps_control_bytes_out_of_messages() {
    assert_eq!(escape("a\u{1b}[2Jb\r\nc\u{7}"), "a\\u{1b}[2Jb\\r\\nc\\u{7}");
    assert_eq!(escape("plain · text"), "plain · text");
}
