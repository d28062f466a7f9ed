//! `folder:PATH` data sources: one sub-folder of PNG images per class, like
//! torchvision's `ImageFolder`, decoded and resized to one fixed size.
//!
//! Canonical order (what the digest covers): classes are the sub-folders of
//! `PATH` in byte order of their names (class index = position), and inside a
//! class the files in byte order of their names. Plain files directly in
//! `PATH` are ignored, as `ImageFolder` does; everything inside a class folder
//! must be a PNG file (checked by its signature, not its extension).
//!
//! Decoding: palette and low-bit-depth images are expanded to 8 bits, 16-bit
//! samples are rounded to 8 bits (`(v · 255 + 32767) / 65535`), and alpha is
//! dropped without compositing (what PIL's `convert("RGB")` does). If every
//! image is grey the data set has 1 channel; otherwise 3, and grey images are
//! replicated into R, G and B.
//!
//! Resizing: every image is resampled to `size × size` with the bilinear
//! convention of [`super::resample`] (half-pixel centres, no anti-aliasing),
//! on the 0..255 values as f32, then rounded to the nearest integer (half
//! away from zero). Images already `size × size` are copied unchanged.

use super::resample;
use super::{Dataset, Loaded};
use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The side length `folder:` images are resized to unless told otherwise.
pub const DEFAULT_SIZE: usize = 32;

const PNG_SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];

/// One decoded image, 8-bit, planar (C, H, W) with C = 1 (grey) or 3 (RGB).
struct Decoded {
    channels: usize,
    height: usize,
    width: usize,
    pixels: Vec<u8>,
}

/// Loads every class folder under `dir`, resized to `size × size`. The whole
/// folder is the training part; there is no test part.
pub fn load_dir(dir: &Path, size: usize) -> Result<Loaded> {
    if size == 0 {
        return Err(Error::invalid(format!(
            "folder:{}: image size must be at least 1",
            dir.display()
        )));
    }
    let classes = class_folders(dir)?;
    if classes.len() > u16::MAX as usize + 1 {
        return Err(Error::invalid(format!(
            "folder:{}: {} class folders is more than the {} supported",
            dir.display(),
            classes.len(),
            u16::MAX as usize + 1
        )));
    }
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for (label, class_dir) in classes.iter().enumerate() {
        let files = sorted_entries(class_dir)?;
        if files.is_empty() {
            return Err(Error::invalid(format!(
                "{}: class folder is empty (every class needs at least one PNG image)",
                class_dir.display()
            )));
        }
        for f in files {
            images.push(decode_file(&f)?);
            labels.push(label as u16);
        }
    }
    let channels = if images.iter().all(|im| im.channels == 1) {
        1
    } else {
        3
    };
    let mut pixels = Vec::with_capacity(images.len() * channels * size * size);
    for im in &images {
        pixels.extend(to_size(im, channels, size));
    }
    let train = Dataset {
        name: format!("folder:{}", dir.display()),
        channels,
        height: size,
        width: size,
        max_value: 255,
        pixels,
        labels,
        classes: classes.len(),
    };
    Ok(Loaded { train, test: None })
}

/// The class sub-folders of `dir`, in byte order of their names.
fn class_folders(dir: &Path) -> Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Err(Error::invalid(format!(
            "folder:{}: not a directory",
            dir.display()
        )));
    }
    let classes: Vec<PathBuf> = sorted_entries(dir)?
        .into_iter()
        .filter(|p| p.is_dir())
        .collect();
    if classes.is_empty() {
        return Err(Error::invalid(format!(
            "folder:{}: no class folders (expected one sub-folder of PNG images per class)",
            dir.display()
        )));
    }
    Ok(classes)
}

/// The entries of `dir`, sorted by the bytes of their file names.
fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut named: Vec<(OsString, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        named.push((entry.file_name(), entry.path()));
    }
    named.sort();
    Ok(named.into_iter().map(|(_, p)| p).collect())
}

/// Reads and decodes one PNG file; errors name the file.
fn decode_file(path: &Path) -> Result<Decoded> {
    if !path.is_file() {
        return Err(Error::invalid(format!(
            "{}: not a file (class folders may hold only PNG images)",
            path.display()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(Error::invalid(format!(
            "{}: not a PNG file (its first bytes are not the PNG signature)",
            path.display()
        )));
    }
    decode_png(&bytes).map_err(|e| Error::invalid(format!("{}: corrupt PNG: {e}", path.display())))
}

/// The decoder's message with its chunk types named plainly: png's messages
/// embed `ChunkType { type: IHDR, critical: true, … }` (its `Debug`); this
/// keeps `IHDR`.
fn png_message(e: &png::DecodingError) -> String {
    let mut text = e.to_string();
    while let Some(start) = text.find("ChunkType {") {
        let end = text[start..]
            .find('}')
            .map_or(text.len(), |i| start + i + 1);
        let name = text[start..end]
            .split("type: ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or("?")
            .to_string();
        text.replace_range(start..end, &format!("'{name}'"));
    }
    crate::limits::escape(&text)
}

/// Decodes PNG bytes to 8-bit planar grey or RGB (see the module doc).
fn decode_png(bytes: &[u8]) -> std::result::Result<Decoded, String> {
    // The decoder may allocate at most what the largest allowed image needs
    // (16-bit RGBA), so a header claiming 65536×1048576 is refused before
    // any buffer is made.
    let limits = png::Limits {
        bytes: (crate::limits::DECODED_PIXELS as usize) * 8,
    };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().map_err(|e| png_message(&e))?;
    let (w, h) = (reader.info().width, reader.info().height);
    check_decoded_size(w as u64, h as u64)?;
    let len = reader
        .output_buffer_size()
        .ok_or_else(|| "image too large to decode".to_string())?;
    let mut buf = vec![0u8; len];
    let info = reader.next_frame(&mut buf).map_err(|e| png_message(&e))?;
    let (height, width) = (info.height as usize, info.width as usize);
    let samples_per_pixel = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => return Err("palette was not expanded".into()),
    };
    let samples: Vec<u8> = match info.bit_depth {
        png::BitDepth::Eight => buf[..height * info.line_size].to_vec(),
        png::BitDepth::Sixteen => buf[..height * info.line_size]
            .chunks_exact(2)
            .map(|b| {
                let v = u16::from_be_bytes([b[0], b[1]]) as u32;
                ((v * 255 + 32767) / 65535) as u8
            })
            .collect(),
        d => return Err(format!("unexpected bit depth {d:?} after expansion")),
    };
    let channels = if samples_per_pixel <= 2 { 1 } else { 3 };
    let row = width * samples_per_pixel;
    let mut pixels = vec![0u8; channels * height * width];
    for c in 0..channels {
        for y in 0..height {
            for x in 0..width {
                pixels[(c * height + y) * width + x] = samples[y * row + x * samples_per_pixel + c];
            }
        }
    }
    Ok(Decoded {
        channels,
        height,
        width,
        pixels,
    })
}

/// Refuses an image whose header claims more than
/// [`crate::limits::DECODED_SIDE`] pixels a side or
/// [`crate::limits::DECODED_PIXELS`] in all, before decoding it.
fn check_decoded_size(width: u64, height: u64) -> std::result::Result<(), String> {
    let side = crate::limits::DECODED_SIDE;
    let pixels = width.saturating_mul(height);
    if width == 0 || height == 0 {
        return Err(format!("its header says {width}×{height} pixels"));
    }
    if width > side.max as u64 || height > side.max as u64 || pixels > crate::limits::DECODED_PIXELS
    {
        return Err(format!(
            "its header says {width}×{height} pixels, more than csnas decodes (at most {} a side \
             and {} pixels)",
            side.max,
            crate::limits::DECODED_PIXELS
        ));
    }
    Ok(())
}

/// Converts to `channels` (replicating grey) and resizes to `size × size`.
fn to_size(im: &Decoded, channels: usize, size: usize) -> Vec<u8> {
    let plane = im.height * im.width;
    let mut src = Vec::with_capacity(channels * plane);
    for c in 0..channels {
        let from = if im.channels == 1 { 0 } else { c };
        src.extend_from_slice(&im.pixels[from * plane..(from + 1) * plane]);
    }
    if im.height == size && im.width == size {
        return src;
    }
    let f: Vec<f32> = src.iter().map(|&v| v as f32).collect();
    resample::resize(&f, channels, im.height, im.width, size, size)
        .into_iter()
        .map(|v| v.round().clamp(0.0, 255.0) as u8)
        .collect()
}

#[cfg(test)]
#[path = "folder_tests.rs"]
mod tests;
