//! `csnas predict` on `folder:` data, run as a process: the CSV names each
//! image's file, label and predicted class; a checkpoint whose classes or
//! input size do not fit the data is refused in one line naming both.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::TempDir;

fn csnas(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_csnas"))
        .args(args)
        .output()
        .expect("run the csnas binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// An 8×8 grey PNG whose pixels depend on `seed`.
fn write_png(path: &Path, seed: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), 8, 8);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Eight);
    let pixels: Vec<u8> = (0..64u8)
        .map(|i| i.wrapping_mul(seed).wrapping_add(seed))
        .collect();
    enc.write_header()
        .unwrap()
        .write_image_data(&pixels)
        .unwrap();
}

/// The output's one error line, after checking the exit code is 2 (the
/// folder's note on the skipped `.DS_Store` may come before it).
fn refused(out: &Output) -> String {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.contains("skipped 1")).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    lines[0].to_string()
}

#[test]
fn predict_on_a_folder_names_each_file_and_refuses_a_model_that_does_not_fit() {
    let dir = TempDir::new("folder");
    for (class, base) in [("cat", 3u8), ("dog", 101)] {
        for i in 0..6u8 {
            write_png(&dir.0.join(format!("data/{class}/{i}.png")), base + 7 * i);
        }
    }
    std::fs::write(dir.0.join("data/cat/.DS_Store"), b"\0\0\0\x01Bud1").unwrap();
    let data = format!("folder:{}", dir.0.join("data").display());
    let model = dir.0.join("m.safetensors");
    let model_arg = model.to_str().unwrap();
    let train = csnas(&[
        "train",
        "--genotype",
        "DARTS_V2",
        "--data",
        &data,
        "--preset",
        "digits",
        "--channels",
        "4",
        "--layers",
        "3",
        "--epochs",
        "1",
        "--quiet",
        "--out",
        model_arg,
    ]);
    assert_eq!(train.status.code(), Some(0), "{}", text(&train.stderr));
    assert!(
        text(&train.stderr).contains("skipped 1 hidden or non-image entries"),
        "{}",
        text(&train.stderr)
    );

    let out = csnas(&[
        "predict", "--model", model_arg, "--data", &data, "--split", "all",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "index,path,label,predicted,logit_0,logit_1"
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 12);
    for (k, row) in rows.iter().enumerate() {
        let (class, i) = (["cat", "dog"][k / 6], k % 6);
        let file = dir.0.join(format!("data/{class}/{i}.png"));
        assert_eq!(row[0], k.to_string());
        assert_eq!(row[1], file.display().to_string());
        assert_eq!(row[2], (k / 6).to_string());
        let logits: Vec<f32> = row[4..].iter().map(|v| v.parse().unwrap()).collect();
        let first_max = if logits[1] > logits[0] { 1 } else { 0 };
        assert_eq!(row[3], first_max.to_string(), "row {k}");
    }

    // Ten classes in the digits, two in the network.
    let err = refused(&csnas(&[
        "predict", "--model", model_arg, "--data", "digits",
    ]));
    assert!(
        err.contains("m.safetensors") && err.contains("2 classes, digits has 10"),
        "{err}"
    );
    // The same images resized to 16×16 for an 8×8 network.
    let resized = format!("{data}?resize=16");
    let err = refused(&csnas(&[
        "predict", "--model", model_arg, "--data", &resized,
    ]));
    assert!(
        err.contains("m.safetensors")
            && err.contains(&format!("takes 8×8 images, {resized} has 16×16")),
        "{err}"
    );
}
