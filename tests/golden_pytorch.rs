//! The CPU reference network against PyTorch, in f64.
//!
//! Why: the golden files under `fixtures/golden/` hold a forward and backward
//! pass of DARTS `NetworkCIFAR` (DARTS_V2, C=8, 5 layers, auxiliary head, 32×32
//! input, batch 4) computed by PyTorch in float64 with
//! `fixtures/golden/darts_reference.py` (see `fixtures/README.md`). Loading the
//! same weights into csnas and running the same pass must give the same
//! logits, auxiliary logits, input gradient, every parameter gradient and the
//! updated running statistics, up to summation-order rounding.
//!
//! Tolerance: for each tensor, `max|ours - torch| / max(max|torch|, 1e-30)`
//! must be below 1e-9 (f64 has ~1e-16 resolution; a wrong op is off by far
//! more). On failure the message names the worst tensor.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use csnas::backend::{BackendCore, CpuF64};
use csnas::genotype::builtin;
use csnas::model::checkpoint::{load_checkpoint, read_network_metadata};
use csnas::model::layers::Entry;
use csnas::model::{Network, NetworkKind, StateEntry, StateValue};
use csnas::rng::StreamPath;
use ndarray::{Array2, Array4};

const TOLERANCE: f64 = 1e-9;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/golden")
        .join(name)
}

/// A fixture's tensors by name and its metadata.
struct Fixture {
    path: PathBuf,
    tensors: BTreeMap<String, StateEntry<f64>>,
    metadata: BTreeMap<String, String>,
}

impl Fixture {
    fn load(name: &str) -> Fixture {
        let path = fixture(name);
        let (entries, metadata) = load_checkpoint::<f64>(&path).unwrap();
        let tensors = entries.into_iter().map(|e| (e.name.clone(), e)).collect();
        Fixture {
            path,
            tensors,
            metadata,
        }
    }

    /// The network's state dict: the entries without a `golden.`, `grad.` or
    /// `after.` prefix.
    fn state(&self) -> Vec<StateEntry<f64>> {
        let extra = |n: &str| {
            ["golden.", "grad.", "after."]
                .iter()
                .any(|p| n.starts_with(p))
        };
        self.tensors
            .values()
            .filter(|e| !extra(&e.name))
            .cloned()
            .collect()
    }

    fn floats(&self, name: &str) -> (&[usize], &[f64]) {
        match self.tensors.get(name) {
            Some(StateEntry {
                shape,
                value: StateValue::Float(v),
                ..
            }) => (shape, v),
            _ => panic!("{}: no float tensor '{name}'", self.path.display()),
        }
    }

    fn array4(&self, name: &str) -> Array4<f64> {
        let (s, v) = self.floats(name);
        Array4::from_shape_vec((s[0], s[1], s[2], s[3]), v.to_vec()).unwrap()
    }

    fn array2(&self, name: &str) -> Array2<f64> {
        let (s, v) = self.floats(name);
        Array2::from_shape_vec((s[0], s[1]), v.to_vec()).unwrap()
    }
}

/// Relative error of one tensor (see the module doc).
fn relative_error(name: &str, ours: &[f64], torch: &[f64]) -> f64 {
    assert_eq!(ours.len(), torch.len(), "{name}: length");
    let scale = torch.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
    let worst = ours
        .iter()
        .zip(torch)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    worst / scale
}

/// Collects `(name, error)` per tensor and fails naming the worst one.
#[derive(Default)]
struct Report(Vec<(String, f64)>);

impl Report {
    fn add(&mut self, name: &str, ours: &[f64], torch: &[f64]) {
        let e = relative_error(name, ours, torch);
        let e = if e.is_nan() { f64::INFINITY } else { e };
        self.0.push((name.to_string(), e));
    }

    fn check(self, what: &str) {
        let (name, err) = self
            .0
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
            .expect("something compared");
        assert!(
            err < TOLERANCE,
            "{what}: worst tensor '{name}' has relative error {err:e} (tolerance {TOLERANCE:e}); {} tensors compared",
            self.0.len()
        );
        eprintln!("{what}: {} tensors, worst '{name}' {err:e}", self.0.len());
    }
}

fn network_for(fx: &Fixture) -> Network<CpuF64> {
    // The genotype and settings come from the metadata PyTorch wrote.
    let meta = read_network_metadata(&fx.path, &fx.metadata).unwrap();
    assert_eq!(meta.genotype, builtin("DARTS_V2").unwrap());
    assert_eq!(meta.kind, "eval");
    let init = StreamPath::root(0);
    let mut net = Network::new(
        &CpuF64::new(),
        &meta.genotype,
        &meta.config,
        NetworkKind::Eval,
        &init,
    )
    .unwrap();
    net.load_state_dict(&fx.state()).unwrap();
    net
}

#[test]
fn train_step_matches_pytorch_logits_gradients_and_running_stats() {
    let fx = Fixture::load("darts_v2_c8_l5_f64.safetensors");
    let mut net = network_for(&fx);
    let rng = StreamPath::root(0);
    let out = net
        .forward(&fx.array4("golden.input"), true, 0.0, &rng)
        .unwrap();
    let aux = out.aux_logits.expect("auxiliary logits in training mode");
    let mut report = Report::default();
    let logits = out.logits.as_slice().unwrap();
    report.add("golden.logits", logits, fx.floats("golden.logits").1);
    let aux_logits = aux.as_slice().unwrap();
    report.add(
        "golden.logits_aux",
        aux_logits,
        fx.floats("golden.logits_aux").1,
    );

    net.zero_grad();
    let d_aux = fx.array2("golden.d_logits_aux");
    let d_logits = fx.array2("golden.d_logits");
    let d_input = net.backward(&d_logits, Some(&d_aux)).unwrap();
    let d_input = d_input.as_slice().unwrap();
    report.add("golden.d_input", d_input, fx.floats("golden.d_input").1);
    let mut grads = 0;
    let dev = *net.device();
    net.walk(&mut |name, e| {
        if let Entry::Param { grad, .. } = e {
            let key = format!("grad.{name}");
            report.add(&key, &dev.host_slice(grad.as_ref()), fx.floats(&key).1);
            grads += 1;
        }
    });
    let torch_grads = fx.tensors.keys().filter(|k| k.starts_with("grad.")).count();
    assert_eq!(
        grads, torch_grads,
        "parameters visited vs gradients in the fixture"
    );

    // Buffers after the step: every `after.` entry of the fixture.
    let mut buffers = 0;
    for entry in net.state_dict() {
        let key = format!("after.{}", entry.name);
        let Some(after) = fx.tensors.get(&key) else {
            continue; // a parameter: unchanged by the forward pass
        };
        buffers += 1;
        match (&entry.value, &after.value) {
            (StateValue::Float(ours), StateValue::Float(torch)) => report.add(&key, ours, torch),
            (StateValue::Int(ours), StateValue::Int(torch)) => assert_eq!(ours, torch, "{key}"),
            _ => panic!("{key}: float/int kind differs from the fixture"),
        }
    }
    let torch_buffers = fx
        .tensors
        .keys()
        .filter(|k| k.starts_with("after."))
        .count();
    assert_eq!(
        buffers, torch_buffers,
        "buffers vs `after.` entries in the fixture"
    );
    report.check("train step vs PyTorch");
}

#[test]
fn eval_forward_matches_pytorch_logits_with_running_stats() {
    let weights = Fixture::load("darts_v2_c8_l5_f64.safetensors");
    let fx = Fixture::load("darts_v2_c8_l5_eval_f64.safetensors");
    let mut net = network_for(&weights);
    let rng = StreamPath::root(0);
    let out = net
        .forward(&fx.array4("golden.input"), false, 0.0, &rng)
        .unwrap();
    assert!(out.aux_logits.is_none(), "no auxiliary logits in eval mode");
    let mut report = Report::default();
    let logits = out.logits.as_slice().unwrap();
    report.add("golden.logits", logits, fx.floats("golden.logits").1);
    report.check("eval forward vs PyTorch");
}
