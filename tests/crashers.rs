//! Regression cases for every crashing input of issue #14: each one, run as a
//! process, now exits 2 with one `error:` line that names the flag, setting
//! or file to fix — no panic (101), no abort (134), no hang, no huge
//! allocation, no Rust debug text and no raw control byte.

mod common;
use common::csnas;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use csnas::genotype::builtin;
use csnas::ledger::Ledger;
use csnas::model::checkpoint::{network_metadata, save_checkpoint};
use csnas::model::{Network, NetworkConfig, NetworkKind};
use csnas::rng::StreamPath;
use csnas::search::SearchConfig;

/// Runs `args`, asserts exit 2 within `secs` seconds, one printable
/// `error:` line with no debug text, containing each of `names`; returns it.
fn refused_within(secs: u64, args: &[&str], names: &[&str]) -> String {
    refused_with(2, secs, args, names)
}

/// [`refused_within`] with exit `code` (1: `audit` found the log bad).
fn refused_with(code: i32, secs: u64, args: &[&str], names: &[&str]) -> String {
    let start = Instant::now();
    let out = csnas(args);
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
    assert!(took < Duration::from_secs(secs), "{args:?} took {took:?}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        !err.trim_end().chars().any(char::is_control),
        "control byte in {err:?}"
    );
    for debug in ["Some(", "Error {", "ChunkType", "Count(", "kind:"] {
        assert!(!err.contains(debug), "debug text {debug:?} in {err}");
    }
    for name in names {
        assert!(err.contains(name), "{args:?}: {err} does not name {name}");
    }
    err
}

fn refused(args: &[&str], names: &[&str]) -> String {
    refused_within(60, args, names)
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("csnas-crashers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn write(&self, name: &str, text: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn genotype_show_sizes_beyond_the_bounds_name_the_flag() {
    let show = ["genotype", "show", "DARTS_V2"];
    for (flag, value) in [
        ("--classes", "18446744073709551615"),
        ("--channels", "4000000000"),
        ("--layers", "100000000000"),
        ("--image-size", "4294967296"),
        ("--in-channels", "4294967296"),
    ] {
        let mut args = show.to_vec();
        args.extend([flag, value]);
        refused(&args, &[&format!("{flag} {value}"), "must be at most"]);
    }
    // Each size within its bound, the product beyond the parameter limit.
    refused(
        &[&show[..], &["--channels", "1024", "--layers", "256"]].concat(),
        &["--channels 1024", "parameters"],
    );
}

#[test]
fn train_and_linear_eval_sizes_are_checked_before_any_work() {
    let genotype = ["train", "--genotype", "DARTS_V2"];
    refused(
        &[&genotype[..], &["--epochs", "2147483648"]].concat(),
        &["--epochs 2147483648"],
    );
    refused(
        &[&genotype[..], &["--layers", "100000000000"]].concat(),
        &["--layers"],
    );
    refused(
        &[&genotype[..], &["--batch-size", "4294967296"]].concat(),
        &["--batch-size"],
    );
    refused(&["linear-eval", "--batch-size", "0"], &["--batch-size 0"]);
    refused(
        &["linear-eval", "--channels", "4000000000"],
        &["--channels"],
    );
    refused(
        &["linear-eval", "--linear-epochs", "0"],
        &["--linear-epochs 0"],
    );
    refused(
        &["predict", "--model", "x.safetensors", "--batch-size", "0"],
        &["--batch-size 0"],
    );
}

#[test]
fn a_last_batch_of_one_image_is_refused_before_the_first_epoch() {
    // The digits training part holds 1,438 images: batches of 479 leave 1 over,
    // which batch norm cannot normalise in training (1×1 maps: the auxiliary
    // head, small images' last cells). Refused at once, suggesting a size.
    let e = refused_within(
        30,
        &[
            "train",
            "--genotype",
            "DARTS_V2",
            "--batch-size",
            "479",
            "--quiet",
        ],
        &["--batch-size 479", "1 image", "e.g. 478"],
    );
    assert!(e.contains("1438 training images"), "{e}");
}

#[test]
fn search_config_sizes_name_the_setting() {
    let dir = TempDir::new("config");
    let out = dir.path("log");
    let out = out.to_str().unwrap();
    for (line, name) in [
        ("nodes = 100000000", "nodes = 100000000"),
        (
            "tpe.n_ei_candidates = 4294967296",
            "tpe.n_ei_candidates = 4294967296",
        ),
        ("epochs = 2147483648", "epochs = 2147483648"),
        (
            "network.channels = 4000000000",
            "network.channels = 4000000000",
        ),
        ("batch_size = 1000000000", "batch_size = 1000000000"),
    ] {
        let cfg = dir.write("c.cfg", format!("{line}\n").as_bytes());
        refused(
            &["search", "--config", &cfg, "--out", out, "--quiet"],
            &[name, "c.cfg"],
        );
    }
    refused(
        &["search", "--trials", "0", "--out", out, "--quiet"],
        &["--trials 0"],
    );
}

#[test]
fn control_bytes_from_a_config_file_are_escaped() {
    let dir = TempDir::new("control");
    let cfg = dir.write("c.cfg", b"epochs = \x1b[2J\x07three\r\n");
    let out = dir.path("log");
    let e = refused(
        &["search", "--config", &cfg, "--out", out.to_str().unwrap()],
        &["epochs"],
    );
    assert!(e.contains("\\u{1b}[2J\\u{7}three"), "{e}");
}

#[test]
fn a_subset_larger_than_the_data_names_subset_count() {
    let dir = TempDir::new("subset");
    for class in ["a", "b"] {
        std::fs::create_dir_all(dir.path(class)).unwrap();
        for i in 0..4 {
            write_png(&dir.path(&format!("{class}/{i}.png")), 8, 8);
        }
    }
    let cfg = dir.write(
        "c.cfg",
        b"subset.count = 256\nobjective.holdout = 2\nepochs = 1\n",
    );
    let data = format!("folder:{}", dir.0.display());
    let out = dir.path("log");
    refused(
        &[
            "search",
            "--data",
            &data,
            "--config",
            &cfg,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ],
        &["subset.count = 256", "8 images"],
    );
}

/// A 1-channel 8-bit PNG of `w × h` grey pixels.
fn write_png(path: &Path, w: u32, h: u32) {
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().unwrap();
    writer
        .write_image_data(&vec![128u8; (w * h) as usize])
        .unwrap();
}

#[test]
fn a_png_header_claiming_65536_by_1048576_is_refused_without_allocating() {
    let dir = TempDir::new("png");
    std::fs::create_dir_all(dir.path("a")).unwrap();
    let small = dir.path("a/small.png");
    write_png(&small, 4, 4);
    // Rewrite IHDR's width and height (bytes 16..24) and its CRC (29..33).
    let mut bytes = std::fs::read(&small).unwrap();
    bytes[16..20].copy_from_slice(&65_536u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&1_048_576u32.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    std::fs::write(dir.path("a/huge.png"), &bytes).unwrap();
    let data = format!("folder:{}", dir.0.display());
    refused(
        &[
            "train",
            "--genotype",
            "DARTS_V2",
            "--data",
            &data,
            "--epochs",
            "1",
        ],
        &["huge.png", "65536×1048576"],
    );
    // A truncated PNG: the decoder's message, without its Debug text.
    std::fs::write(dir.path("a/huge.png"), &bytes[..40]).unwrap();
    refused(
        &["train", "--genotype", "DARTS_V2", "--data", &data],
        &["huge.png", "corrupt PNG"],
    );
}

/// CRC-32 (IEEE), as PNG chunks use it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A real evaluation checkpoint (C=4, 3 layers, digits' 1×8×8 input) with
/// `key` of its metadata replaced by `value`.
fn checkpoint_with(dir: &TempDir, key: &str, value: &str) -> String {
    let config = NetworkConfig {
        channels: 4,
        layers: 3,
        classes: 10,
        auxiliary: false,
        in_channels: 1,
        image_size: 8,
    };
    let g = builtin("DARTS_V2").unwrap();
    let dev = csnas::backend::CpuF32::new();
    let mut net = Network::new(&dev, &g, &config, NetworkKind::Eval, &StreamPath::root(0)).unwrap();
    let mut meta = network_metadata(&g, &config, "eval").unwrap();
    meta.insert(key.into(), value.into());
    let path = dir.path(&format!("{key}.safetensors"));
    save_checkpoint(&path, &net.state_dict(), &meta).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn checkpoint_metadata_is_checked_before_anything_is_built() {
    let dir = TempDir::new("checkpoint");
    for (key, value, says) in [
        ("channels", "4294967296", "'channels' = 4294967296"),
        ("layers", "100000000000", "'layers' = 100000000000"),
        ("classes", "4294967296", "'classes' = 4294967296"),
        ("image_size", "4294967296", "'image_size' = 4294967296"),
        ("in_channels", "4294967296", "'in_channels' = 4294967296"),
        ("channels", "0", "'channels' = 0"),
        ("channels", "6", "'channels' is 6"),
        ("classes", "11", "'classes' is 11"),
        ("layers", "4", "'layers' is 4"),
        ("auxiliary", "true", "'auxiliary' is true"),
        ("image_size", "7", "image size 7"),
    ] {
        let file = checkpoint_with(&dir, key, value);
        for cmd in [
            &["predict", "--model", &file][..],
            &["linear-eval", "--model", &file],
        ] {
            refused_within(30, cmd, &[&file, says]);
        }
    }
    let file = checkpoint_with(&dir, "network", "ev\u{1b}[31mal");
    refused(&["predict", "--model", &file], &[&file, "\\u{1b}[31m"]);
}

#[test]
fn a_log_whose_config_record_is_out_of_bounds_is_refused_by_audit() {
    let dir = TempDir::new("log");
    for (edit, name) in [
        ("search_space", "nodes = 18446744073709551615"),
        ("tpe.n_ei_candidates", "tpe.n_ei_candidates = 4294967296"),
    ] {
        let mut record = SearchConfig::default_preset().to_record();
        if edit == "search_space" {
            record.search_space = "darts-18446744073709551615".into();
        } else {
            let slot = record.hyper_parameters.iter_mut().find(|(k, _)| k == edit);
            match slot {
                Some((_, v)) => *v = "4294967296".into(),
                None => record
                    .hyper_parameters
                    .insert(0, (edit.into(), "4294967296".into())),
            }
        }
        let log = dir.path(edit);
        Ledger::create(&log, &record).unwrap();
        let log = log.to_str().unwrap();
        // audit and replay judge the log: it fails (exit 1), naming the key.
        for cmd in ["audit", "replay"] {
            refused_with(1, 30, &[cmd, log], &[name]);
        }
        // show prints the records as they are, without building anything.
        let shown = csnas(&["show", log]);
        assert_eq!(shown.status.code(), Some(0), "{shown:?}");
    }
}

#[test]
fn a_truncated_record_is_named_without_debug_text() {
    let dir = TempDir::new("truncated");
    let record = SearchConfig::default_preset().to_record();
    let log = dir.path("log");
    let ledger = Ledger::create(&log, &record).unwrap();
    let path = ledger.record_path(&ledger.head());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let out = csnas(&["audit", log.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(1 | 2)), "{err}");
    assert!(!err.contains("Io(") && !err.contains("kind:"), "{err}");
}
