//! A PyTorch DARTS state dict saved as safetensors *without* csnas metadata
//! loads when its genotype is given, and computes PyTorch's logits.
//!
//! The file: the PyTorch golden checkpoint (`fixtures/golden/
//! darts_v2_c8_l5_f64.safetensors`, written by `fixtures/golden/
//! darts_reference.py` with DARTS `cnn/model.py` state-dict names: DARTS_V2,
//! C=8, 5 layers, auxiliary head, 10 classes, 3 input channels) re-written
//! here with its state dict only, as f32, and no metadata but safetensors'
//! `format: pt` — what `safetensors.torch.save_file(torch.load("weights.pt"),
//! ...)` gives. Channels, layers, classes, input channels and the auxiliary
//! head are inferred from the shapes; the logits are compared with the ones
//! PyTorch computed in eval mode (`golden.logits` of the eval fixture, f64 on
//! the same f32-valued weights) within 1e-5 relative (csnas computes in
//! f32 here; a wrong op is off by far more).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use csnas::backend::CpuF32;
use csnas::genotype::builtin;
use csnas::model::checkpoint::{
    describe_network, fill_num_batches_tracked, load_checkpoint, match_state, save_checkpoint,
};
use csnas::model::{Network, NetworkConfig, NetworkKind, StateEntry, StateValue};
use csnas::rng::StreamPath;
use ndarray::Array4;

mod common;
use common::TempDir;

const TOLERANCE: f64 = 1e-5;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/golden")
        .join(name)
}

/// The golden checkpoint's state dict (no `golden.`, `grad.`, `after.`
/// entries), without `num_batches_tracked` when `old_pytorch`.
fn state_dict(old_pytorch: bool) -> Vec<StateEntry<f32>> {
    let (entries, meta) =
        load_checkpoint::<f32>(&fixture("darts_v2_c8_l5_f64.safetensors")).unwrap();
    assert!(
        meta.contains_key("genotype"),
        "the fixture itself has metadata"
    );
    entries
        .into_iter()
        .filter(|e| {
            !["golden.", "grad.", "after."]
                .iter()
                .any(|p| e.name.starts_with(p))
        })
        .filter(|e| !(old_pytorch && e.name.ends_with("num_batches_tracked")))
        .collect()
}

/// Writes the state dict with no metadata to `dir/weights.safetensors`.
fn write_bare(dir: &Path, old_pytorch: bool) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("weights.safetensors");
    save_checkpoint::<f32>(&path, &state_dict(old_pytorch), &BTreeMap::new()).unwrap();
    path
}

fn eval_golden() -> (Array4<f32>, Vec<f64>) {
    let (entries, _) =
        load_checkpoint::<f64>(&fixture("darts_v2_c8_l5_eval_f64.safetensors")).unwrap();
    let floats = |name: &str| {
        let e = entries.iter().find(|e| e.name == name).unwrap();
        match &e.value {
            StateValue::Float(v) => (e.shape.clone(), v.clone()),
            StateValue::Int(_) => panic!("{name} is not float"),
        }
    };
    let (s, input) = floats("golden.input");
    let input = Array4::from_shape_vec(
        (s[0], s[1], s[2], s[3]),
        input.iter().map(|&x| x as f32).collect(),
    )
    .unwrap();
    (input, floats("golden.logits").1)
}

fn logits_of(path: &Path) -> Vec<f64> {
    let (mut entries, meta) = load_checkpoint::<f32>(path).unwrap();
    let genotype = builtin("DARTS_V2").unwrap();
    let desc = describe_network(path, &meta, &entries, Some(&genotype), 32).unwrap();
    assert_eq!(
        desc.config,
        NetworkConfig {
            channels: 8,
            layers: 5,
            classes: 10,
            auxiliary: true,
            in_channels: 3,
            image_size: 32,
        },
        "inferred from the shapes"
    );
    assert_eq!(desc.kind, "eval");
    let dev = CpuF32::new();
    let mut net = Network::new(
        &dev,
        &desc.genotype,
        &desc.config,
        NetworkKind::Eval,
        &StreamPath::root(0),
    )
    .unwrap();
    let expected: Vec<(String, Vec<usize>)> = net
        .state_dict()
        .into_iter()
        .map(|e| (e.name, e.shape))
        .collect();
    fill_num_batches_tracked(&expected, &mut entries);
    net.load_state_dict(&match_state(path, &expected, entries).unwrap())
        .unwrap();
    let (input, _) = eval_golden();
    let out = net
        .forward(&input, false, 0.0, &StreamPath::root(0))
        .unwrap();
    out.logits.iter().map(|&x| f64::from(x)).collect()
}

fn relative_error(ours: &[f64], torch: &[f64]) -> f64 {
    assert_eq!(ours.len(), torch.len());
    let scale = torch.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let worst = ours
        .iter()
        .zip(torch)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    worst / scale
}

#[test]
fn a_bare_pytorch_darts_state_dict_loads_with_its_genotype_and_matches_pytorch_logits() {
    let dir = TempDir::new("bare");
    let path = write_bare(&dir.0, false);
    let (_, meta) = load_checkpoint::<f32>(&path).unwrap();
    assert_eq!(
        meta.keys().collect::<Vec<_>>(),
        ["format"],
        "no csnas metadata"
    );
    let (_, torch) = eval_golden();
    let err = relative_error(&logits_of(&path), &torch);
    eprintln!("bare checkpoint: logits relative error {err:e}");
    assert!(err < TOLERANCE, "relative error {err:e}");
}

#[test]
fn a_state_dict_from_pytorch_before_0_4_1_loads_without_num_batches_tracked() {
    let dir = TempDir::new("old");
    let path = write_bare(&dir.0, true);
    let (entries, _) = load_checkpoint::<f32>(&path).unwrap();
    assert!(
        !entries
            .iter()
            .any(|e| e.name.ends_with("num_batches_tracked"))
    );
    let (_, torch) = eval_golden();
    assert!(relative_error(&logits_of(&path), &torch) < TOLERANCE);
}

#[test]
fn without_its_genotype_a_bare_file_is_refused_naming_the_flag() {
    let dir = TempDir::new("nogenotype");
    let path = write_bare(&dir.0, false);
    let (entries, meta) = load_checkpoint::<f32>(&path).unwrap();
    let e = describe_network(&path, &meta, &entries, None, 32).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let e = e.to_string();
    assert!(
        e.contains("weights.safetensors") && e.contains("--genotype"),
        "{e}"
    );
    // Through the CLI: one line, exit 2.
    let o = Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(["predict", "--model", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("--genotype"), "{stderr}");
}

#[test]
fn a_csnas_checkpoint_with_another_genotype_given_is_refused() {
    let path = fixture("darts_v2_c8_l5_f64.safetensors");
    let (entries, meta) = load_checkpoint::<f32>(&path).unwrap();
    let v1 = builtin("DARTS_V1").unwrap();
    let e = describe_network(&path, &meta, &entries, Some(&v1), 32).unwrap_err();
    assert!(
        e.to_string()
            .contains("differs from the checkpoint's metadata"),
        "{e}"
    );
    let v2 = builtin("DARTS_V2").unwrap();
    describe_network(&path, &meta, &entries, Some(&v2), 32).unwrap();
}

/// Ten class folders of one 32×32 RGB PNG each, under `dir`.
fn rgb_folder(dir: &Path) {
    for class in 0..10u8 {
        let sub = dir.join(format!("class{class}"));
        std::fs::create_dir_all(&sub).unwrap();
        let pixels: Vec<u8> = (0..32 * 32 * 3)
            .map(|i| (i as u8).wrapping_mul(7).wrapping_add(class * 25))
            .collect();
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, 32, 32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        enc.write_header()
            .unwrap()
            .write_image_data(&pixels)
            .unwrap();
        std::fs::write(sub.join("a.png"), out).unwrap();
    }
}

#[test]
fn predict_runs_a_bare_pytorch_checkpoint_given_its_genotype() {
    let dir = TempDir::new("predict");
    let path = write_bare(&dir.0, false);
    let images = dir.0.join("images");
    rgb_folder(&images);
    let data = format!("folder:{}", images.display());
    let o = Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args([
            "predict",
            "--model",
            path.to_str().unwrap(),
            "--genotype",
            "DARTS_V2",
        ])
        .args(["--data", &data, "--split", "all"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let mut lines = stdout.lines();
    let header = lines.next().unwrap();
    assert_eq!(header.matches("logit_").count(), 10, "{header}");
    assert_eq!(lines.count(), 10, "{stdout}");
}
