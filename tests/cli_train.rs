//! `csnas train` and `csnas predict` run as processes: exit codes and one-line
//! errors for bad input, a checkpoint that does not fit its metadata, and the
//! exact round trip of the logits CSV.

mod common;
use common::{csnas, stderr};

use std::path::{Path, PathBuf};

use csnas::data::augment::AugmentConfig;
use csnas::data::{self, DataSpec};
use csnas::model::checkpoint::{
    load_checkpoint, match_state, read_network_metadata, save_checkpoint,
};
use csnas::model::{Network, NetworkKind};
use csnas::rng::StreamPath;
use csnas::train::supervised::for_each_logits;

/// Asserts exit code 2 and a single `error: ...` line on stderr; returns it.
fn assert_bad_input(args: &[&str]) -> String {
    let out = csnas(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("csnas-cli-train-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Trains the smallest network for one epoch and saves it to `path`.
fn train_tiny(path: &Path) -> String {
    let out = csnas(&[
        "train",
        "--genotype",
        "DARTS_V2",
        "--channels",
        "4",
        "--layers",
        "3",
        "--epochs",
        "1",
        "--seed",
        "3",
        "--quiet",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn unknown_data_spec_exits_2_naming_it() {
    let err = assert_bad_input(&["train", "--genotype", "DARTS_V2", "--data", "mnist"]);
    assert!(err.contains("'mnist'"), "{err}");
}

#[test]
fn missing_folder_exits_2_naming_it() {
    let err = assert_bad_input(&[
        "train",
        "--genotype",
        "DARTS_V2",
        "--data",
        "folder:/nonexistent",
    ]);
    assert!(err.contains("/nonexistent"), "{err}");
}

#[test]
fn unknown_preset_and_odd_channels_exit_2_naming_the_flag() {
    let err = assert_bad_input(&["train", "--genotype", "DARTS_V2", "--preset", "imagenet"]);
    assert!(err.contains("--preset imagenet"), "{err}");
    let err = assert_bad_input(&["train", "--genotype", "DARTS_V2", "--channels", "5"]);
    assert!(err.contains("--channels 5"), "{err}");
}

#[test]
fn predict_csv_round_trips_the_logits_bit_for_bit_and_a_mismatched_checkpoint_exits_2() {
    let dir = temp_dir("predict");
    let model = dir.join("tiny.safetensors");
    let report = train_tiny(&model);
    assert!(
        report
            .lines()
            .last()
            .unwrap()
            .starts_with("test accuracy: "),
        "{report}"
    );
    assert!(report.contains("epoch 1/1: loss "), "{report}");

    let out = csnas(&["predict", "--model", model.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let csv = String::from_utf8(out.stdout).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        header[..5],
        ["index", "path", "label", "predicted", "logit_0"]
    );
    assert_eq!(header.len(), 14);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 359, "20% of the 1,797 digits");

    // The same logits from the library: the CSV must parse back to their exact bits.
    let (entries, meta) = load_checkpoint::<f32>(&model).unwrap();
    let desc = read_network_metadata(&model, &meta).unwrap();
    let mut net = Network::new(
        &csnas::backend::CpuF32::new(),
        &desc.genotype,
        &desc.config,
        NetworkKind::Eval,
        &StreamPath::root(9),
    )
    .unwrap();
    let expected: Vec<_> = net
        .state_dict()
        .into_iter()
        .map(|e| (e.name, e.shape))
        .collect();
    net.load_state_dict(&match_state(&model, &expected, entries).unwrap())
        .unwrap();
    let ds = data::load(&DataSpec::Digits).unwrap().train;
    let indices: Vec<usize> = rows.iter().map(|r| r[0].parse().unwrap()).collect();
    let mut k = 0;
    for_each_logits(
        &mut net,
        &ds,
        &indices,
        &AugmentConfig::none(8),
        7,
        &mut |i, logits| {
            let row = &rows[k];
            assert_eq!(row[1], "", "digits have no files");
            assert_eq!(row[2], ds.labels[i].to_string());
            assert_eq!(row[3], csnas::train::supervised::argmax(logits).to_string());
            for (text, v) in row[4..].iter().zip(logits) {
                assert_eq!(
                    text.parse::<f32>().unwrap().to_bits(),
                    v.to_bits(),
                    "row {k}: {text}"
                );
            }
            k += 1;
        },
    )
    .unwrap();
    assert_eq!(k, rows.len());

    // Metadata that claims C=6 for tensors of C=4: exit 2 naming the file and a tensor.
    let (entries, mut meta) = load_checkpoint::<f32>(&model).unwrap();
    meta.insert("channels".into(), "6".into());
    let bad = dir.join("mismatched.safetensors");
    save_checkpoint(&bad, &entries, &meta).unwrap();
    let err = assert_bad_input(&["predict", "--model", bad.to_str().unwrap()]);
    assert!(
        err.contains("mismatched.safetensors") && err.contains("tensor 'stem.0.weight'"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
