//! Geometric augmentations: random resized crop, zero-padded random crop,
//! flips and cutout, each drawing from a caller's [`Stream`].
//!
//! Integer draws use [`Stream::below`] (unbiased), real draws
//! [`Stream::uniform_range`] (f64); the draw order of each function is in its
//! doc comment and is part of the spec.

use super::Image;
use crate::data::resample::{self, Rect};
use crate::rng::Stream;

/// Python's `round`: to nearest, ties to even, as torchvision's `int(round(x))`.
fn round_half_even(x: f64) -> usize {
    x.round_ties_even() as usize
}

/// torchvision's `RandomResizedCrop.get_params`, for an image of
/// `height × width`: up to 10 attempts, each drawing a target area
/// `height · width · U(scale.0, scale.1)` and then an aspect ratio
/// `exp(U(ln ratio.0, ln ratio.1))` (libm `log`/`exp`); the crop is
/// `w = round(sqrt(area · ratio))`, `h = round(sqrt(area / ratio))` (ties to
/// even). The first attempt with `0 < w ≤ width` and `0 < h ≤ height` then
/// draws the top `below(height − h + 1)` and the left `below(width − w + 1)`.
/// If all 10 fail: a centre crop of the whole image clamped to the ratio range
/// (`in_ratio < ratio.0` → `w = width, h = round(w / ratio.0)`;
/// `in_ratio > ratio.1` → `h = height, w = round(h · ratio.1)`; else the whole
/// image), at `((height − h) / 2, (width − w) / 2)` rounded down.
pub fn resized_crop_params(
    height: usize,
    width: usize,
    scale: (f64, f64),
    ratio: (f64, f64),
    stream: &mut Stream,
) -> Rect {
    let area = (height * width) as f64;
    let (log_lo, log_hi) = (libm::log(ratio.0), libm::log(ratio.1));
    for _ in 0..10 {
        let target = area * stream.uniform_range(scale.0, scale.1);
        let aspect = libm::exp(stream.uniform_range(log_lo, log_hi));
        let w = round_half_even((target * aspect).sqrt());
        let h = round_half_even((target / aspect).sqrt());
        if 0 < w && w <= width && 0 < h && h <= height {
            let top = stream.below((height - h + 1) as u64) as usize;
            let left = stream.below((width - w + 1) as u64) as usize;
            return Rect {
                top,
                left,
                height: h,
                width: w,
            };
        }
    }
    let in_ratio = width as f64 / height as f64;
    let (h, w) = if in_ratio < ratio.0 {
        (
            round_half_even(width as f64 / ratio.0).clamp(1, height),
            width,
        )
    } else if in_ratio > ratio.1 {
        (
            height,
            round_half_even(height as f64 * ratio.1).clamp(1, width),
        )
    } else {
        (height, width)
    };
    Rect {
        top: (height - h) / 2,
        left: (width - w) / 2,
        height: h,
        width: w,
    }
}

/// Random resized crop: [`resized_crop_params`], then the crop resampled to
/// `size × size` by [`resample::resize_region`] (half-pixel bilinear).
pub fn random_resized_crop(
    img: &Image,
    size: usize,
    scale: (f64, f64),
    ratio: (f64, f64),
    stream: &mut Stream,
) -> Image {
    let rect = resized_crop_params(img.height, img.width, scale, ratio, stream);
    crop_resize(img, rect, size)
}

/// The `rect` of `img` resampled to `size × size`.
pub fn crop_resize(img: &Image, rect: Rect, size: usize) -> Image {
    Image {
        channels: img.channels,
        height: size,
        width: size,
        data: resample::resize_region(&img.data, img.channels, img.width, rect, size, size),
    }
}

/// torchvision's `RandomCrop(size, padding)`: the image padded with
/// `padding` zeros on every side, then a `size × size` window at top
/// `below(H + 2·padding − size + 1)`, then left
/// `below(W + 2·padding − size + 1)`. Requires the padded image to be at
/// least `size` on both sides.
pub fn padded_random_crop(img: &Image, size: usize, padding: usize, stream: &mut Stream) -> Image {
    let (ph, pw) = (img.height + 2 * padding, img.width + 2 * padding);
    assert!(ph >= size && pw >= size, "padded crop larger than image");
    let top = stream.below((ph - size + 1) as u64) as usize;
    let left = stream.below((pw - size + 1) as u64) as usize;
    let mut data = vec![0.0f32; img.channels * size * size];
    for c in 0..img.channels {
        for y in 0..size {
            // Source row in unpadded coordinates; outside → stays zero.
            let sy = (top + y) as isize - padding as isize;
            if sy < 0 || sy >= img.height as isize {
                continue;
            }
            for x in 0..size {
                let sx = (left + x) as isize - padding as isize;
                if sx >= 0 && sx < img.width as isize {
                    data[(c * size + y) * size + x] =
                        img.data[(c * img.height + sy as usize) * img.width + sx as usize];
                }
            }
        }
    }
    Image {
        channels: img.channels,
        height: size,
        width: size,
        data,
    }
}

/// Mirrors left–right in place.
pub fn hflip(img: &mut Image) {
    for row in img.data.chunks_exact_mut(img.width) {
        row.reverse();
    }
}

/// Mirrors top–bottom in place.
pub fn vflip(img: &mut Image) {
    let (h, w) = (img.height, img.width);
    for plane in img.data.chunks_exact_mut(h * w) {
        for y in 0..h / 2 {
            let (upper, lower) = plane.split_at_mut((h - 1 - y) * w);
            upper[y * w..(y + 1) * w].swap_with_slice(&mut lower[..w]);
        }
    }
}

/// DARTS `Cutout(length)`: centre row `below(H)`, then column `below(W)`;
/// rows `clip(y − L/2, 0, H)..clip(y + L/2, 0, H)` and the same for columns
/// (L/2 rounded down, so an odd L cuts L − 1) are set to zero in every
/// channel. Returns the zeroed rectangle.
pub fn cutout(img: &mut Image, length: usize, stream: &mut Stream) -> Rect {
    let (h, w) = (img.height, img.width);
    let y = stream.below(h as u64) as usize;
    let x = stream.below(w as u64) as usize;
    let half = length / 2;
    let (y1, y2) = (y.saturating_sub(half), (y + half).min(h));
    let (x1, x2) = (x.saturating_sub(half), (x + half).min(w));
    for plane in img.data.chunks_exact_mut(h * w) {
        for row in y1..y2 {
            plane[row * w + x1..row * w + x2].fill(0.0);
        }
    }
    Rect {
        top: y1,
        left: x1,
        height: y2 - y1,
        width: x2 - x1,
    }
}

#[cfg(test)]
#[path = "crop_tests.rs"]
mod tests;
