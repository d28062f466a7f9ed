//! Decoding one image file of a `folder:` data source: PNG (the `png` crate)
//! or JPEG (`zune-jpeg`, its scalar code only, so the decoded pixels do not
//! depend on the CPU's vector units), told apart by their first bytes, to
//! 8-bit planar grey or RGB.
//!
//! Why its own module: the folder loader decides what a data set is (which
//! files, which order, which size); this decides what one file's pixels are,
//! and refuses a header that claims more pixels than
//! [`crate::limits::DECODED_PIXELS`] before any buffer is made.
//!
//! PNG: palette and low-bit-depth images are expanded to 8 bits, 16-bit
//! samples are rounded to 8 bits (`(v · 255 + 32767) / 65535`), and alpha is
//! dropped without compositing (what PIL's `convert("RGB")` does).
//!
//! JPEG: a one-component (grey) image stays grey, every other one is
//! converted to RGB. The JPEG standard leaves the IDCT's rounding and the
//! chroma upsampling to the decoder, so another decoder may give slightly
//! different pixels: against PIL (libjpeg-turbo) the fixtures in
//! `fixtures/jpeg/` differ by at most 1 (grey) or 2 (4:4:4) levels, and 4:2:0
//! images by at most 3 inside and up to 11 on a last row that ends inside a
//! block, where the two decoders pad the chroma differently
//! (`tests/jpeg_fixtures.py` made them; `folder_tests.rs` checks it).

use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

const PNG_SIGNATURE: [u8; 8] = [137, 80, 78, 71, 13, 10, 26, 10];
const JPEG_SIGNATURE: [u8; 3] = [0xFF, 0xD8, 0xFF];

/// One decoded image, 8-bit, planar (C, H, W) with C = 1 (grey) or 3 (RGB).
pub struct Decoded {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub pixels: Vec<u8>,
}

/// Decodes a PNG or JPEG file's bytes; the error says what is wrong without
/// the file's name (the caller adds it).
pub fn decode(bytes: &[u8]) -> std::result::Result<Decoded, String> {
    if bytes.starts_with(&PNG_SIGNATURE) {
        decode_png(bytes).map_err(|e| format!("corrupt PNG: {e}"))
    } else if bytes.starts_with(&JPEG_SIGNATURE) {
        decode_jpeg(bytes).map_err(|e| format!("corrupt JPEG: {e}"))
    } else {
        Err(
            "not a PNG or JPEG file (by its first bytes); csnas reads only these two \
             image formats"
                .into(),
        )
    }
}

/// Decodes JPEG bytes to 8-bit planar grey or RGB (see the module doc).
fn decode_jpeg(bytes: &[u8]) -> std::result::Result<Decoded, String> {
    // A file cut short is an error, as in PIL, not a grey fill: its
    // end-of-image marker must follow the first scan (entropy-coded data
    // cannot hold FF D9; a thumbnail's marker comes before the first scan).
    let scan = bytes.windows(2).position(|w| w == [0xFF, 0xDA]);
    let ends = scan.is_some_and(|s| bytes[s..].windows(2).any(|w| w == [0xFF, 0xD9]));
    if !ends {
        return Err("truncated (no end-of-image marker after the image data)".into());
    }
    let side = crate::limits::DECODED_SIDE.max;
    let options = DecoderOptions::default()
        .set_max_width(side)
        .set_max_height(side)
        .set_strict_mode(true);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| jpeg_message(&e))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or_else(|| "no image size in its header".to_string())?;
    check_decoded_size(width as u64, height as u64)?;
    let grey = decoder.input_colorspace() == Some(ColorSpace::Luma);
    let (out, channels) = if grey {
        (ColorSpace::Luma, 1)
    } else {
        (ColorSpace::RGB, 3)
    };
    decoder.set_options(options.jpeg_set_out_colorspace(out));
    let samples = decoder.decode().map_err(|e| jpeg_message(&e))?;
    if samples.len() != channels * width * height {
        return Err(format!(
            "{} decoded values for {width}×{height}×{channels}",
            samples.len()
        ));
    }
    Ok(planar(&samples, channels, channels, height, width))
}

/// zune-jpeg's message (its `Debug` text, which quotes some messages),
/// unquoted and with control characters escaped.
fn jpeg_message(e: &zune_jpeg::errors::DecodeErrors) -> String {
    let text = e.to_string();
    let text = text.trim_matches('"');
    crate::limits::escape(text)
}

/// Interleaved samples (`per_pixel` a pixel, the first `channels` kept) as
/// planar (C, H, W).
fn planar(
    samples: &[u8],
    per_pixel: usize,
    channels: usize,
    height: usize,
    width: usize,
) -> Decoded {
    let row = width * per_pixel;
    let mut pixels = vec![0u8; channels * height * width];
    for c in 0..channels {
        for y in 0..height {
            for x in 0..width {
                pixels[(c * height + y) * width + x] = samples[y * row + x * per_pixel + c];
            }
        }
    }
    Decoded {
        channels,
        height,
        width,
        pixels,
    }
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
    Ok(planar(&samples, samples_per_pixel, channels, height, width))
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
