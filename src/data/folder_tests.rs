//! Tests for the `folder:` loader, on tiny PNGs written by the `png` encoder
//! and the JPEG fixtures of `fixtures/jpeg/` (written and decoded by PIL:
//! `tests/jpeg_fixtures.py`).

use super::*;

/// A fresh, empty temp directory unique to this test process and `tag`.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("csnas-folder-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Encodes interleaved samples as a PNG with the given colour type and depth.
fn png_bytes(w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, data: &[u8]) -> Vec<u8> {
    png_with_palette(w, h, color, depth, data, None)
}

fn png_with_palette(
    w: u32,
    h: u32,
    color: png::ColorType,
    depth: png::BitDepth,
    data: &[u8],
    palette: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if let Some(p) = palette {
            enc.set_palette(p.to_vec());
        }
        let mut writer = enc.write_header().unwrap();
        writer.write_image_data(data).unwrap();
    }
    out
}

fn gray8(w: u32, h: u32, data: &[u8]) -> Vec<u8> {
    png_bytes(w, h, png::ColorType::Grayscale, png::BitDepth::Eight, data)
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn classes_and_files_follow_sorted_name_order() {
    let dir = temp_dir("order");
    // Created out of order; "cat" < "dog", "a.png" < "b.png".
    write(&dir.join("dog/b.png"), &gray8(1, 1, &[40]));
    write(&dir.join("dog/a.png"), &gray8(1, 1, &[30]));
    write(&dir.join("cat/z.png"), &gray8(1, 1, &[20]));
    write(
        &dir.join("README.txt"),
        b"files at the top level are ignored",
    );
    let d = load_dir(&dir, Some(1)).unwrap().0.train;
    assert_eq!((d.classes, d.channels, d.height, d.width), (2, 1, 1, 1));
    assert_eq!(d.labels, vec![0, 1, 1]);
    assert_eq!(d.pixels, vec![20, 30, 40]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_colour_image_makes_every_image_rgb() {
    let dir = temp_dir("rgb");
    write(&dir.join("a/grey.png"), &gray8(1, 1, &[77]));
    let rgb = png_bytes(1, 1, png::ColorType::Rgb, png::BitDepth::Eight, &[1, 2, 3]);
    write(&dir.join("b/colour.png"), &rgb);
    let d = load_dir(&dir, Some(1)).unwrap().0.train;
    assert_eq!(d.channels, 3);
    assert_eq!(d.image(0), &[77, 77, 77], "grey replicated into R, G, B");
    assert_eq!(d.image(1), &[1, 2, 3]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn palette_alpha_and_16_bit_images_are_converted_to_8_bit_planes() {
    let dir = temp_dir("convert");
    // Palette: index 0 = (10, 20, 30), index 1 = (200, 100, 0); pixels [1, 0].
    let pal = png_with_palette(
        2,
        1,
        png::ColorType::Indexed,
        png::BitDepth::Eight,
        &[1, 0],
        Some(&[10, 20, 30, 200, 100, 0]),
    );
    write(&dir.join("a/pal.png"), &pal);
    // RGBA: alpha dropped without compositing.
    let rgba = [5, 6, 7, 0, 8, 9, 10, 255];
    write(
        &dir.join("a/rgba.png"),
        &png_bytes(2, 1, png::ColorType::Rgba, png::BitDepth::Eight, &rgba),
    );
    // 16-bit RGB, big-endian, rounded as v·255/65535 = v/257: 65535 → 255,
    // 32896 = 128·257 → 128, 0 → 0, and 255 → 0.99 → 1 (taking the high byte
    // would give 0).
    let mut rgb16 = Vec::new();
    for v in [65535u16, 32896, 0, 255, 255, 255] {
        rgb16.extend_from_slice(&v.to_be_bytes());
    }
    write(
        &dir.join("b/deep.png"),
        &png_bytes(2, 1, png::ColorType::Rgb, png::BitDepth::Sixteen, &rgb16),
    );
    // Size 2: the single row is sampled twice (both taps on row 0), columns
    // are copied, so each plane is its row written twice.
    let d = load_dir(&dir, Some(2)).unwrap().0.train;
    assert_eq!((d.channels, d.labels.clone()), (3, vec![0, 0, 1]));
    assert_eq!(
        d.image(0),
        &[200, 10, 200, 10, 100, 20, 100, 20, 0, 30, 0, 30]
    );
    assert_eq!(d.image(1), &[5, 8, 5, 8, 6, 9, 6, 9, 7, 10, 7, 10]);
    assert_eq!(d.image(2), &[255, 1, 255, 1, 128, 1, 128, 1, 0, 1, 0, 1]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resizes_with_half_pixel_bilinear_and_rounds_half_away_from_zero() {
    let dir = temp_dir("resize");
    // [[0, 100], [200, 250]] → 3x3 (taps as in resample's 2x2 test):
    // row 0 = [0, 50, 100]; row 2 = [200, 225, 250];
    // row 1 = their mean = [100, 137.5, 175] → 137.5 rounds to 138.
    write(&dir.join("a/x.png"), &gray8(2, 2, &[0, 100, 200, 250]));
    let d = load_dir(&dir, Some(3)).unwrap().0.train;
    assert_eq!(d.pixels, vec![0, 50, 100, 100, 138, 175, 200, 225, 250]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_bad_input_is_named_in_its_error() {
    let dir = temp_dir("errors");
    let err = |d: &Path| load_dir(d, Some(4)).unwrap_err().to_string();

    let e = err(&dir.join("missing"));
    assert!(
        e.contains("missing") && e.contains("not a directory"),
        "{e}"
    );

    let e = err(&dir);
    assert!(e.contains("no class folders"), "{e}");

    std::fs::create_dir_all(dir.join("empty_class")).unwrap();
    write(&dir.join("full/a.png"), &gray8(1, 1, &[0]));
    let e = err(&dir);
    assert!(e.contains("empty_class") && e.contains("empty"), "{e}");
    std::fs::remove_dir_all(dir.join("empty_class")).unwrap();

    write(
        &dir.join("full/notes.png"),
        b"GIF89a pretending to be a png",
    );
    let e = err(&dir);
    assert!(e.contains("notes.png") && e.contains("not a PNG"), "{e}");
    std::fs::remove_file(dir.join("full/notes.png")).unwrap();

    let good = gray8(4, 4, &[9; 16]);
    write(&dir.join("full/cut.png"), &good[..good.len() - 20]);
    let e = err(&dir);
    assert!(e.contains("cut.png") && e.contains("corrupt PNG"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hidden_files_and_non_images_are_skipped_and_nested_folders_read_as_image_folder() {
    let dir = temp_dir("skip");
    write(&dir.join("cat/b.png"), &gray8(1, 1, &[2]));
    write(&dir.join("cat/a.PNG"), &gray8(1, 1, &[1]));
    // Below the class folder, after its own files (sorted(os.walk(...))).
    write(&dir.join("cat/sub/c.png"), &gray8(1, 1, &[3]));
    write(&dir.join("cat/.hidden.png"), &gray8(1, 1, &[99]));
    write(&dir.join("cat/.DS_Store"), b"\0\0\0\x01Bud1");
    write(&dir.join("cat/notes.txt"), b"not an image");
    write(&dir.join("cat/.thumbs/d.png"), &gray8(1, 1, &[98]));
    write(&dir.join(".ipynb_checkpoints/e.png"), &gray8(1, 1, &[97]));
    write(&dir.join("dog/x.png"), &gray8(1, 1, &[4]));
    let (loaded, listing) = load_dir(&dir, None).unwrap();
    let d = loaded.train;
    assert_eq!(d.pixels, vec![1, 2, 3, 4]);
    assert_eq!(d.labels, vec![0, 0, 0, 1]);
    assert_eq!(listing.classes, vec!["cat", "dog"]);
    let names: Vec<String> = listing
        .skipped
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    assert_eq!(
        names,
        [
            ".ipynb_checkpoints",
            "cat/.DS_Store",
            "cat/.hidden.png",
            "cat/.thumbs",
            "cat/notes.txt"
        ]
    );
    let files: Vec<&Path> = listing.files.iter().map(|(p, _)| p.as_path()).collect();
    assert_eq!(files[2], dir.join("cat/sub/c.png"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn mixed_sizes_are_refused_naming_two_files_unless_resized() {
    let dir = temp_dir("mixed");
    write(&dir.join("a/one.png"), &gray8(2, 2, &[0; 4]));
    write(&dir.join("b/two.png"), &gray8(3, 2, &[0; 6]));
    let e = load_dir(&dir, None).unwrap_err().to_string();
    assert!(
        e.contains("one.png is 2×2") && e.contains("two.png is 3×2") && e.contains("?resize="),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    let d = load_dir(&dir, Some(4)).unwrap().0.train;
    assert_eq!((d.len(), d.height, d.width), (2, 4, 4));
    // One size: kept as it is, not square either.
    std::fs::remove_file(dir.join("a/one.png")).unwrap();
    write(&dir.join("a/one.png"), &gray8(3, 2, &[7; 6]));
    let d = load_dir(&dir, None).unwrap().0.train;
    assert_eq!((d.height, d.width, d.pixels[0]), (2, 3, 7));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A JPEG fixture and PIL's decoding of it (rows of interleaved pixels).
fn fixture(name: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/jpeg");
    let read = |ext: &str| std::fs::read(dir.join(format!("{name}.{ext}"))).unwrap();
    (read("jpg"), read("pil"))
}

/// Loads one JPEG through the folder loader; returns the data set and, per
/// row, the largest difference from PIL's pixels, and the mean difference.
fn against_pil(name: &str) -> (Dataset, Vec<u8>, f64) {
    let dir = temp_dir(&format!("jpeg-{name}"));
    let (jpeg, pil) = fixture(name);
    write(&dir.join("a/x.jpg"), &jpeg);
    let d = load_dir(&dir, None).unwrap().0.train;
    std::fs::remove_dir_all(&dir).unwrap();
    let (c, h, w) = (d.channels, d.height, d.width);
    assert_eq!(pil.len(), c * h * w, "{name}: PIL's size");
    let mut rows = vec![0u8; h];
    let mut sum = 0u64;
    for y in 0..h {
        for x in 0..w {
            for k in 0..c {
                let ours = d.pixels[(k * h + y) * w + x];
                let diff = ours.abs_diff(pil[(y * w + x) * c + k]);
                rows[y] = rows[y].max(diff);
                sum += u64::from(diff);
            }
        }
    }
    (d, rows, sum as f64 / pil.len() as f64)
}

#[test]
fn jpeg_pixels_match_pil_within_the_decoders_rounding() {
    // Grey: one channel, IDCT rounding only.
    let (d, rows, _) = against_pil("grey8");
    assert_eq!((d.channels, d.height, d.width), (1, 8, 8));
    assert!(rows.iter().all(|&r| r <= 1), "grey8: {rows:?}");
    // 4:4:4 colour: IDCT and YCbCr→RGB rounding.
    let (d, rows, _) = against_pil("rgb444");
    assert_eq!((d.channels, d.height, d.width), (3, 12, 12));
    assert!(rows.iter().all(|&r| r <= 2), "rgb444: {rows:?}");
    // 4:2:0: both decoders use the triangle ("fancy") chroma upsampling but
    // round it differently (≤ 3); a last row ending inside a block (12 of
    // 16) is padded differently (measured: 11 on its sharp blue stripes).
    let (d, rows, mean) = against_pil("rgb420");
    assert_eq!((d.channels, d.height, d.width), (3, 12, 16));
    assert!(rows[..11].iter().all(|&r| r <= 3), "rgb420: {rows:?}");
    assert!(
        rows[11] <= 11 && mean < 0.7,
        "rgb420: {rows:?}, mean {mean}"
    );
    let (d, rows, mean) = against_pil("rgb420_progressive");
    assert_eq!((d.channels, d.height, d.width), (3, 16, 16));
    assert!(
        rows.iter().all(|&r| r <= 3) && mean < 0.3,
        "{rows:?} {mean}"
    );
}

#[test]
fn truncated_or_unreadable_images_are_named() {
    let dir = temp_dir("bad-jpeg");
    let (jpeg, _) = fixture("rgb420");
    write(&dir.join("a/cut.jpg"), &jpeg[..jpeg.len() - 40]);
    let e = load_dir(&dir, None).unwrap_err().to_string();
    assert!(e.contains("cut.jpg: corrupt JPEG: truncated"), "{e}");
    std::fs::remove_file(dir.join("a/cut.jpg")).unwrap();
    write(&dir.join("a/old.bmp"), b"BM\x3a\0\0\0 a bitmap");
    let e = load_dir(&dir, None).unwrap_err().to_string();
    assert!(e.contains("old.bmp: not a PNG or JPEG file"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
