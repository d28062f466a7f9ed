//! `folder:PATH` data sources: one sub-folder of PNG or JPEG images per
//! class, read as torchvision's `ImageFolder` reads them.
//!
//! Which files (as `ImageFolder` picks them): the classes are the
//! sub-folders of `PATH`; a class holds every file under its folder, at any
//! depth, whose name ends (in any case) with one of torchvision's
//! `IMG_EXTENSIONS` ([`IMAGE_EXTENSIONS`]). Other files (`.DS_Store`,
//! `notes.txt`), hidden files and hidden folders (names starting with `.`,
//! e.g. `.ipynb_checkpoints`, which `ImageFolder` would take as a class) are
//! skipped and counted; plain files directly in `PATH` are ignored. A file
//! with an image extension must be a PNG or JPEG file (told by its first
//! bytes; csnas does not read BMP, PPM, PGM, TIFF or WebP).
//!
//! Canonical order (what the digest covers): classes in byte order of their
//! names (class index = position); inside a class, its folders in byte order
//! of their paths and each folder's files in byte order of their names
//! (`sorted(os.walk(...))`, then `sorted(fnames)`, as `ImageFolder`).
//!
//! Sizes: without a resize, every image must have the size of the first (a
//! data set has one shape); mixed sizes are refused, naming two files with
//! their sizes. With `folder:PATH?resize=N` every image is resampled to
//! `N × N` with the bilinear convention of [`super::resample`] (half-pixel
//! centres, no anti-aliasing) on the 0..255 values as f32, then rounded to
//! the nearest integer (half away from zero); images already `N × N` are
//! copied unchanged. If every image is grey the data set has 1 channel;
//! otherwise 3, and grey images are replicated into R, G and B. Decoding:
//! [`super::decode`].

use super::decode::{Decoded, decode};
use super::resample;
use super::{Dataset, Loaded};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// torchvision's `IMG_EXTENSIONS` (`torchvision/datasets/folder.py`): the
/// file names `ImageFolder` takes as images, compared in lower case.
pub const IMAGE_EXTENSIONS: [&str; 9] = [
    "jpg", "jpeg", "png", "ppm", "bmp", "pgm", "tif", "tiff", "webp",
];

/// Folders below a class folder followed at most (a symlink loop stops here).
const MAX_DEPTH: usize = 32;

/// The image files of a `folder:` source, in canonical order.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    /// The class folders' names, in class-index order.
    pub classes: Vec<String>,
    /// Every image file with its class index, in canonical order (sample
    /// `i` of the data set is `files[i]`).
    pub files: Vec<(PathBuf, u16)>,
    /// Hidden entries and files that are not images, skipped.
    pub skipped: Vec<PathBuf>,
}

/// Lists the class folders of `dir` and their image files (module doc).
pub fn list(dir: &Path) -> Result<Listing> {
    let shown = dir.display();
    if !dir.is_dir() {
        return Err(Error::invalid(format!("folder:{shown}: not a directory")));
    }
    let mut listing = Listing::default();
    let mut class_dirs = Vec::new();
    for (name, path) in sorted_entries(dir)? {
        if !path.is_dir() {
            continue;
        }
        if is_hidden(&name) {
            listing.skipped.push(path);
        } else {
            listing.classes.push(name.to_string_lossy().into_owned());
            class_dirs.push(path);
        }
    }
    if class_dirs.is_empty() {
        return Err(Error::invalid(format!(
            "folder:{shown}: no class folders (expected one sub-folder of PNG or JPEG images \
             per class)"
        )));
    }
    if class_dirs.len() > u16::MAX as usize + 1 {
        return Err(Error::invalid(format!(
            "folder:{shown}: {} class folders is more than the {} supported",
            class_dirs.len(),
            u16::MAX as usize + 1
        )));
    }
    for (label, class_dir) in class_dirs.iter().enumerate() {
        let mut folders = Vec::new();
        walk(class_dir, 0, &mut folders, &mut listing.skipped)?;
        folders.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        let before = listing.files.len();
        for (_, files) in folders {
            listing
                .files
                .extend(files.into_iter().map(|f| (f, label as u16)));
        }
        if listing.files.len() == before {
            return Err(Error::invalid(format!(
                "{}: class folder has no images (every class needs at least one PNG or JPEG \
                 file)",
                class_dir.display()
            )));
        }
    }
    Ok(listing)
}

/// Collects `(folder, its image files in name order)` for `dir` and every
/// folder below it; hidden entries and non-images go to `skipped`.
fn walk(
    dir: &Path,
    depth: usize,
    out: &mut Vec<(PathBuf, Vec<PathBuf>)>,
    skipped: &mut Vec<PathBuf>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(Error::invalid(format!(
            "{}: folders nested more than {MAX_DEPTH} deep (a symbolic link loop?)",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    for (name, path) in sorted_entries(dir)? {
        if is_hidden(&name) {
            skipped.push(path);
        } else if path.is_dir() {
            walk(&path, depth + 1, out, skipped)?;
        } else if has_image_extension(&name) {
            files.push(path);
        } else {
            skipped.push(path);
        }
    }
    out.push((dir.to_path_buf(), files));
    Ok(())
}

fn is_hidden(name: &OsString) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

fn has_image_extension(name: &OsString) -> bool {
    let name = name.to_string_lossy().to_lowercase();
    IMAGE_EXTENSIONS
        .iter()
        .any(|ext| name.ends_with(&format!(".{ext}")))
}

/// The entries of `dir` as `(name, path)`, sorted by the bytes of the names.
fn sorted_entries(dir: &Path) -> Result<Vec<(OsString, PathBuf)>> {
    let mut named: Vec<(OsString, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        named.push((entry.file_name(), entry.path()));
    }
    named.sort();
    Ok(named)
}

/// Loads every image of the class folders under `dir` ([`list`]), resized
/// to `resize × resize` when asked, else all of the first image's size. The
/// whole folder is the training part; there is no test part. Returns the
/// data and the listing (the files, in sample order, and what was skipped).
pub fn load_dir(dir: &Path, resize: Option<usize>) -> Result<(Loaded, Listing)> {
    if resize == Some(0) {
        return Err(Error::invalid(format!(
            "folder:{}?resize=0: the size must be at least 1",
            dir.display()
        )));
    }
    let listing = list(dir)?;
    let mut images: Vec<Decoded> = Vec::with_capacity(listing.files.len());
    for (path, _) in &listing.files {
        let im = decode_file(path)?;
        if let (None, Some(first)) = (resize, images.first())
            && (im.height, im.width) != (first.height, first.width)
        {
            return Err(Error::invalid(format!(
                "folder:{}: images of different sizes: {} is {}×{}, {} is {}×{} (add \
                 ?resize=N, e.g. folder:{}?resize={}, to resample every image to N×N)",
                dir.display(),
                listing.files[0].0.display(),
                first.width,
                first.height,
                path.display(),
                im.width,
                im.height,
                dir.display(),
                first.height.max(first.width)
            )));
        }
        images.push(im);
    }
    let channels = if images.iter().all(|im| im.channels == 1) {
        1
    } else {
        3
    };
    let (height, width) = match resize {
        Some(n) => (n, n),
        None => (images[0].height, images[0].width),
    };
    let mut pixels = Vec::with_capacity(images.len() * channels * height * width);
    for im in &images {
        pixels.extend(to_size(im, channels, height, width));
    }
    let train = Dataset {
        name: format!("folder:{}", dir.display()),
        channels,
        height,
        width,
        max_value: 255,
        pixels,
        labels: listing.files.iter().map(|(_, label)| *label).collect(),
        classes: listing.classes.len(),
    };
    Ok((Loaded { train, test: None }, listing))
}

/// Reads and decodes one image file; errors name the file.
fn decode_file(path: &Path) -> Result<Decoded> {
    if !path.is_file() {
        return Err(Error::invalid(format!(
            "{}: not a file (class folders may hold only images and folders)",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode(&bytes).map_err(|e| Error::invalid(format!("{}: {e}", path.display())))
}

/// Converts to `channels` (replicating grey) and resizes to `height × width`.
fn to_size(im: &Decoded, channels: usize, height: usize, width: usize) -> Vec<u8> {
    let plane = im.height * im.width;
    let mut src = Vec::with_capacity(channels * plane);
    for c in 0..channels {
        let from = if im.channels == 1 { 0 } else { c };
        src.extend_from_slice(&im.pixels[from * plane..(from + 1) * plane]);
    }
    if im.height == height && im.width == width {
        return src;
    }
    let f: Vec<f32> = src.iter().map(|&v| v as f32).collect();
    resample::resize(&f, channels, im.height, im.width, height, width)
        .into_iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect()
}

#[cfg(test)]
#[path = "folder_tests.rs"]
mod tests;
