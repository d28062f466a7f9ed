//! Checkpoint round trips, name/shape matching, the PyTorch golden file, and
//! errors that name the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::*;
use crate::model::{NetworkConfig, StateEntry, StateValue};

/// A fresh path under the system temp folder, unique per test and process.
fn temp_path(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("csnas-checkpoint-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("model.safetensors")
}

fn golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/golden/darts_v2_c8_l5_f64.safetensors")
}

fn float<T>(name: &str, shape: &[usize], v: Vec<T>) -> StateEntry<T> {
    StateEntry {
        name: name.into(),
        shape: shape.to_vec(),
        value: StateValue::Float(v),
    }
}

fn int<T>(name: &str, v: i64) -> StateEntry<T> {
    StateEntry {
        name: name.into(),
        shape: vec![],
        value: StateValue::Int(vec![v]),
    }
}

fn sample<T: Real>() -> Vec<StateEntry<T>> {
    let w: Vec<T> = (0..24)
        .map(|i| T::from_f64(i as f64 * 0.37 - 4.1))
        .collect();
    vec![
        float("stem.0.weight", &[2, 3, 2, 2], w),
        float(
            "stem.1.weight",
            &[2],
            vec![T::from_f64(1.5), T::from_f64(-0.25)],
        ),
        float(
            "stem.1.running_var",
            &[2],
            vec![T::from_f64(0.1), T::from_f64(3.0)],
        ),
        int("stem.1.num_batches_tracked", 7),
        float(
            "classifier.bias",
            &[3],
            vec![T::from_f64(1e-30), T::from_f64(-0.0), T::from_f64(7.0)],
        ),
    ]
}

fn expected_of<T>(entries: &[StateEntry<T>]) -> Vec<(String, Vec<usize>)> {
    entries
        .iter()
        .map(|e| (e.name.clone(), e.shape.clone()))
        .collect()
}

fn round_trip<T: Real>(test: &str) {
    let path = temp_path(test);
    let entries = sample::<T>();
    let meta: BTreeMap<String, String> =
        [("note".to_string(), "a \"quoted\" \\ value\n".to_string())].into();
    save_checkpoint(&path, &entries, &meta).unwrap();
    let (got, got_meta) = load_checkpoint::<T>(&path).unwrap();
    let got = match_state(&path, &expected_of(&entries), got).unwrap();
    assert_eq!(got, entries);
    assert_eq!(got_meta.get("note"), meta.get("note"));
    assert_eq!(got_meta.get("format").map(String::as_str), Some("pt"));
}

#[test]
fn f32_checkpoint_round_trips_floats_ints_and_metadata() {
    round_trip::<f32>("rt32");
}

#[test]
fn f64_checkpoint_round_trips_floats_ints_and_metadata() {
    round_trip::<f64>("rt64");
}

#[test]
fn saving_twice_gives_identical_bytes_with_f32_on_disk_for_f32() {
    let path = temp_path("bytes");
    let meta: BTreeMap<String, String> = [
        ("b".to_string(), "1".to_string()),
        ("a".to_string(), "2".to_string()),
    ]
    .into();
    save_checkpoint(&path, &sample::<f32>(), &meta).unwrap();
    let first = std::fs::read(&path).unwrap();
    save_checkpoint(&path, &sample::<f32>(), &meta).unwrap();
    assert_eq!(first, std::fs::read(&path).unwrap());
    let text = String::from_utf8_lossy(&first);
    assert!(text.contains("\"dtype\":\"F32\"") && text.contains("\"dtype\":\"I64\""));
    assert!(!text.contains("F64"));
    // f32 values read into f64 exactly.
    let (got, _) = load_checkpoint::<f64>(&path).unwrap();
    let w = got.iter().find(|e| e.name == "stem.1.weight").unwrap();
    assert_eq!(w.value, StateValue::Float(vec![1.5, -0.25]));
}

#[test]
fn match_state_names_the_first_missing_tensor() {
    let entries = sample::<f64>();
    let mut expected = expected_of(&entries);
    expected.insert(
        1,
        ("cells.0.preprocess0.op.1.weight".into(), vec![8, 24, 1, 1]),
    );
    let err = match_state(Path::new("m.safetensors"), &expected, entries)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("m.safetensors")
            && err.contains("'cells.0.preprocess0.op.1.weight' is missing"),
        "{err}"
    );
}

#[test]
fn match_state_names_the_first_extra_tensor() {
    let entries = sample::<f64>();
    let expected: Vec<_> = expected_of(&entries)
        .into_iter()
        .filter(|(n, _)| n != "stem.1.running_var")
        .collect();
    let err = match_state(Path::new("m.safetensors"), &expected, entries)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("m.safetensors")
            && err.contains("'stem.1.running_var' is not part of the network"),
        "{err}"
    );
}

#[test]
fn match_state_names_a_mis_shaped_tensor_with_both_shapes() {
    let entries = sample::<f64>();
    let mut expected = expected_of(&entries);
    expected[0].1 = vec![2, 3, 4, 1];
    let err = match_state(Path::new("m.safetensors"), &expected, entries)
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "m.safetensors: tensor 'stem.0.weight' has shape [2, 3, 2, 2], the network expects [2, 3, 4, 1]"
    );
}

#[test]
fn match_state_returns_entries_in_the_expected_order() {
    let entries = sample::<f32>();
    let mut expected = expected_of(&entries);
    expected.reverse();
    let got = match_state(Path::new("m"), &expected, entries).unwrap();
    let names: Vec<_> = got.iter().map(|e| e.name.clone()).collect();
    assert_eq!(
        names,
        expected.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()
    );
}

#[test]
fn saving_a_value_count_that_does_not_fit_the_shape_fails() {
    let path = temp_path("badlen");
    let bad = vec![float("x", &[2, 2], vec![1.0f64; 3])];
    let err = save_checkpoint(&path, &bad, &BTreeMap::new())
        .unwrap_err()
        .to_string();
    assert!(err.contains("'x' has 3 values for shape [2, 2]"), "{err}");
}

#[test]
fn truncated_file_gives_an_error_naming_the_file() {
    let path = temp_path("trunc");
    save_checkpoint(&path, &sample::<f32>(), &BTreeMap::new()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 5]).unwrap();
    let err = load_checkpoint::<f32>(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&path.display().to_string()) && err.contains("not a valid safetensors"),
        "{err}"
    );
}

#[test]
fn missing_file_gives_an_error_naming_the_file() {
    let err = load_checkpoint::<f32>(Path::new("/nonexistent/csnas.safetensors")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("/nonexistent/csnas.safetensors"),
        "{err}"
    );
}

#[test]
fn pytorch_golden_file_loads_with_darts_names_shapes_and_dtypes() {
    let path = golden_path();
    let (entries, meta) = load_checkpoint::<f64>(&path).unwrap();
    let find = |n: &str| {
        entries
            .iter()
            .find(|e| e.name == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    // C=8: stem has 3C = 24 channels; cell 0 (normal) has C=8; cell 2 follows
    // the reduction cell 1 (C=16, FactorizedReduce from cell 0's 4·8 = 32 channels);
    // the classifier sees cell 4's 4·32 = 128 channels.
    assert_eq!(find("stem.0.weight").shape, vec![24, 3, 3, 3]);
    assert_eq!(
        find("cells.0.preprocess0.op.1.weight").shape,
        vec![8, 24, 1, 1]
    );
    assert_eq!(
        find("cells.2.preprocess0.conv_1.weight").shape,
        vec![8, 32, 1, 1]
    );
    assert_eq!(find("cells.0._ops.0.op.1.weight").shape, vec![8, 1, 3, 3]);
    assert_eq!(
        find("auxiliary_head.features.5.weight").shape,
        vec![768, 128, 2, 2]
    );
    assert_eq!(find("classifier.weight").shape, vec![10, 128]);
    let nbt = find("stem.1.num_batches_tracked");
    assert_eq!(
        (nbt.shape.clone(), nbt.value.clone()),
        (vec![], StateValue::Int(vec![0]))
    );
    assert_eq!(
        find("after.stem.1.num_batches_tracked").value,
        StateValue::Int(vec![1])
    );
    assert_eq!(find("golden.logits").shape, vec![4, 10]);
    let config = read_config(&path, &meta).unwrap();
    let want = NetworkConfig {
        channels: 8,
        layers: 5,
        classes: 10,
        auxiliary: true,
        in_channels: 3,
        image_size: 32,
    };
    assert_eq!(config, want);
    assert!(meta["genotype"].starts_with("Genotype(normal=[('sep_conv_3x3', 0)"));
}

#[test]
fn metadata_errors_name_the_file_and_the_key() {
    let file = Path::new("c.safetensors");
    let mut meta: BTreeMap<String, String> = [
        ("channels", "8"),
        ("layers", "5"),
        ("classes", "10"),
        ("auxiliary", "True"),
        ("in_channels", "3"),
        ("image_size", "32"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert!(read_config(file, &meta).unwrap().auxiliary);
    meta.insert("layers".into(), "five".into());
    let err = read_config(file, &meta).unwrap_err().to_string();
    assert_eq!(
        err,
        "c.safetensors: metadata 'layers' is 'five', expected a whole number"
    );
    meta.insert("layers".into(), "5".into());
    meta.remove("classes");
    let err = read_config(file, &meta).unwrap_err().to_string();
    assert_eq!(err, "c.safetensors: metadata has no 'classes' entry");
}

#[test]
fn network_metadata_round_trips_genotype_config_and_kind() {
    let genotype = crate::genotype::builtin("DARTS_V2").unwrap();
    let config = NetworkConfig {
        channels: 36,
        layers: 20,
        classes: 10,
        auxiliary: false,
        in_channels: 1,
        image_size: 8,
    };
    let meta = network_metadata(&genotype, &config, "search").unwrap();
    let back = read_network_metadata(Path::new("x"), &meta).unwrap();
    assert_eq!(
        (&back.genotype, &back.config, back.kind.as_str()),
        (&genotype, &config, "search")
    );
    let err = network_metadata(&genotype, &config, "cifar")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown network kind 'cifar'"), "{err}");
}
