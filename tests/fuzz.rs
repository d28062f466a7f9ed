//! Property-based fuzzing of every reader of outside input: the genotype
//! parser, the search config parser, checkpoint loading, the CIFAR-10 and
//! PNG readers and the log reader. Each target starts from a valid input
//! and applies random mutations (flipped and inserted bytes, deletions,
//! truncation, and hostile tokens such as `18446744073709551615`, `1e11` or
//! an escape sequence); the property is that the reader returns `Ok` or a
//! clean `Err`, never panics, aborts or hangs, and that what it accepts is
//! within [`csnas::limits`].
//!
//! Run by `cargo test` within a small budget: `CSNAS_FUZZ_CASES` cases per
//! target (default 192, a few seconds each); set it higher for a longer
//! campaign, e.g. `CSNAS_FUZZ_CASES=20000 cargo test --test fuzz`. The
//! crashing inputs that issue #14 found are kept as regression cases in
//! `tests/crashers.rs`.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use csnas::data::cifar10;
use csnas::genotype::{Genotype, builtin};
use csnas::ledger::{Record, TrialRecord, TrialStatus};
use csnas::limits;
use csnas::model::checkpoint::{
    check_metadata, load_checkpoint, match_state, network_metadata, read_network_metadata,
    save_checkpoint,
};
use csnas::model::{Network, NetworkConfig, NetworkKind};
use csnas::rng::StreamPath;
use csnas::search::SearchConfig;

/// Tokens that broke readers before: huge and odd numbers, control bytes,
/// unbalanced brackets, non-UTF-8.
const HOSTILE: [&[u8]; 14] = [
    b"18446744073709551615",
    b"4294967296",
    b"2147483648",
    b"100000000000",
    b"1e11",
    b"-1",
    b"0",
    b"NaN",
    b"inf",
    b"\x1b[2J\x07",
    b"((((((((",
    b"]]]]",
    b"\xff\xfe\x00",
    b"\n = \n",
];

/// One mutation of a byte string; positions are taken modulo its length.
#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Set(usize, u8),
    Insert(usize, Vec<u8>),
    Hostile(usize, usize, bool),
    Delete(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 0..HOSTILE.len(), any::<bool>())
            .prop_map(|(i, k, replace)| Mutation::Hostile(i, k, replace)),
        (any::<usize>(), 1..16usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies `mutations` to `seed` in order.
fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let at = |i: usize, b: &Vec<u8>| if b.is_empty() { 0 } else { i % b.len() };
        match m {
            Mutation::Flip(i, x) if !b.is_empty() => {
                let i = at(*i, &b);
                b[i] ^= x;
            }
            Mutation::Set(i, x) if !b.is_empty() => {
                let i = at(*i, &b);
                b[i] = *x;
            }
            Mutation::Insert(i, v) => {
                let i = at(*i, &b);
                b.splice(i..i, v.iter().copied());
            }
            Mutation::Hostile(i, k, replace) => {
                let i = at(*i, &b);
                // Replace the run of digits (or letters) at i, or insert before it.
                let end = if *replace {
                    let kind = |c: u8| c.is_ascii_alphanumeric() || c == b'.';
                    (i..b.len()).find(|&j| !kind(b[j])).unwrap_or(b.len())
                } else {
                    i
                };
                b.splice(i..end, HOSTILE[*k].iter().copied());
            }
            Mutation::Delete(i, n) if !b.is_empty() => {
                let i = at(*i, &b);
                let end = (i + n).min(b.len());
                b.drain(i..end);
            }
            Mutation::Truncate(i) => {
                let i = if b.is_empty() { 0 } else { i % (b.len() + 1) };
                b.truncate(i);
            }
            _ => {}
        }
    }
    b
}

/// Cases per target: `CSNAS_FUZZ_CASES`, default 192.
fn runner() -> TestRunner {
    let cases = std::env::var("CSNAS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(192);
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

/// Runs `property` on mutations of `seed` (1 to 6 mutations a case).
fn fuzz(seed: &[u8], property: impl Fn(&[u8]) -> Result<(), TestCaseError>) {
    let strategy = prop::collection::vec(mutation(), 1..6);
    runner()
        .run(&strategy, |ms| property(&mutate(seed, &ms)))
        .unwrap();
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("csnas-fuzz-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn fuzz_genotype_parser() {
    for name in ["DARTS_V2", "NASNet"] {
        let seed = builtin(name).unwrap().to_darts_string();
        fuzz(seed.as_bytes(), |bytes| {
            let text = String::from_utf8_lossy(bytes);
            if let Ok(g) = Genotype::parse_or_builtin(&text) {
                // What parses is valid, within the node bound, and round-trips.
                prop_assert!(g.validate().is_ok());
                prop_assert!(g.normal.nodes() <= limits::NODES.max);
                prop_assert_eq!(Genotype::parse(&g.to_darts_string()).unwrap(), g);
            }
            Ok(())
        });
    }
}

#[test]
fn fuzz_search_config_parser() {
    let dir = TempDir::new("config");
    let file = dir.path("c.cfg");
    let seed = b"# quick\nepochs = 2\nsubset.count = 256\nobjective.holdout = 64\nnodes = 5\n\
                 network.channels = 8\nbatch_size = 32\ntpe.n_ei_candidates = 24\n\
                 strategy = tpe\nsgd.lr = 0.01\n";
    let base = SearchConfig::default_preset();
    fuzz(seed, |bytes| {
        std::fs::write(&file, bytes).unwrap();
        if let Ok(c) = base.with_config_file(&file) {
            prop_assert!(limits::check_search(&c).is_ok());
            let _ = c.validate();
            // An accepted config round-trips through its record.
            prop_assert_eq!(SearchConfig::from_record(&c.to_record()).unwrap(), c);
        }
        Ok(())
    });
}

fn tiny_checkpoint(path: &Path) {
    let config = NetworkConfig {
        channels: 2,
        layers: 3,
        classes: 3,
        auxiliary: false,
        in_channels: 1,
        image_size: 8,
    };
    let g = builtin("DARTS_V2").unwrap();
    let dev = csnas::backend::CpuF32::new();
    let mut net = Network::new(&dev, &g, &config, NetworkKind::Eval, &StreamPath::root(0)).unwrap();
    let meta = network_metadata(&g, &config, "eval").unwrap();
    save_checkpoint(path, &net.state_dict(), &meta).unwrap();
}

#[test]
fn fuzz_checkpoint_loading() {
    let dir = TempDir::new("checkpoint");
    let file = dir.path("m.safetensors");
    tiny_checkpoint(&file);
    let seed = std::fs::read(&file).unwrap();
    // Most mutations of the tensor data are harmless; aim half of them at
    // the JSON header, where the metadata and shapes are.
    let header_len = 8 + u64::from_le_bytes(seed[..8].try_into().unwrap()) as usize;
    let (header, data) = seed.split_at(header_len);
    fuzz(header, |head| {
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(data);
        load_everything(&file, &bytes)
    });
    fuzz(&seed, |bytes| load_everything(&file, bytes));
}

/// What `predict` does with a checkpoint, up to loading the state.
fn load_everything(file: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    std::fs::write(file, bytes).unwrap();
    let Ok((entries, meta)) = load_checkpoint::<f32>(file) else {
        return Ok(());
    };
    let Ok(m) = read_network_metadata(file, &meta) else {
        return Ok(());
    };
    if check_metadata(file, &m, &entries).is_err() {
        return Ok(());
    }
    if let Ok(mut net) = Network::new(
        &csnas::backend::CpuF32::new(),
        &m.genotype,
        &m.config,
        NetworkKind::Eval,
        &StreamPath::root(0),
    ) {
        let expected: Vec<(String, Vec<usize>)> = net
            .state_dict()
            .into_iter()
            .map(|e| (e.name, e.shape))
            .collect();
        if let Ok(state) = match_state(file, &expected, entries) {
            let _ = net.load_state_dict(&state);
        }
    }
    Ok(())
}

#[test]
fn fuzz_cifar10_reader() {
    let dir = TempDir::new("cifar");
    let file = dir.path("data_batch_1.bin");
    let mut seed = Vec::new();
    for r in 0..3u8 {
        seed.push(r);
        seed.extend((0..3072).map(|i| (i % 251) as u8 ^ r));
    }
    fuzz(&seed, |bytes| {
        std::fs::write(&file, bytes).unwrap();
        if let Ok(ds) = cifar10::load_files(std::slice::from_ref(&file), "fuzz") {
            prop_assert_eq!(ds.pixels.len(), ds.len() * 3072);
            prop_assert!(ds.labels.iter().all(|&l| l < 10));
        }
        Ok(())
    });
}

/// An 8×8 PNG: RGB if `rgb`, else grey.
fn png_bytes(rgb: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, 8, 8);
    let (color, n) = if rgb {
        (png::ColorType::Rgb, 3)
    } else {
        (png::ColorType::Grayscale, 1)
    };
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().unwrap();
    let pixels: Vec<u8> = (0..64 * n).map(|i| (i * 7) as u8).collect();
    w.write_image_data(&pixels).unwrap();
    drop(w);
    out
}

#[test]
fn fuzz_png_reader() {
    let dir = TempDir::new("png");
    std::fs::create_dir_all(dir.path("a")).unwrap();
    let file = dir.path("a/x.png");
    let spec: csnas::data::DataSpec = format!("folder:{}", dir.0.display()).parse().unwrap();
    for rgb in [false, true] {
        fuzz(&png_bytes(rgb), |bytes| {
            std::fs::write(&file, bytes).unwrap();
            if let Ok(loaded) = csnas::data::load(&spec) {
                let ds = loaded.train;
                prop_assert_eq!(ds.len(), 1);
                prop_assert_eq!(ds.pixels.len(), ds.channels * ds.height * ds.width);
            }
            Ok(())
        });
    }
}

#[test]
fn fuzz_log_reader() {
    let config = SearchConfig::default_preset().to_record();
    let trial = TrialRecord {
        index: 3,
        parent: blake3::hash(b"parent"),
        genotype: builtin("DARTS_V2").unwrap().to_darts_string(),
        genotype_hash: builtin("DARTS_V2").unwrap().hash(),
        choices: vec![1, 4, 0, 7],
        streams: vec!["0/trial/3".into()],
        epoch_losses: vec![csnas::ledger::Exact::from_f32(2.5)],
        objective: Some(csnas::ledger::Exact::from_f32(2.5)),
        weights_digest: Some(blake3::hash(b"w")),
        status: TrialStatus::Diverged {
            reason: "loss is NaN".into(),
        },
    };
    for seed in [Record::Config(config), Record::Trial(trial)] {
        fuzz(&seed.to_bytes(), |bytes| {
            if let Ok(r) = Record::from_bytes(bytes) {
                // Canonical: what decodes re-encodes to the same bytes.
                prop_assert_eq!(r.to_bytes(), bytes);
                if let Record::Config(c) = &r
                    && let Ok(s) = SearchConfig::from_record(c)
                {
                    prop_assert!(limits::check_search(&s).is_ok());
                }
            }
            Ok(())
        });
    }
}
