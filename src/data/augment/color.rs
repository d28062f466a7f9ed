//! Colour transforms on f32 images in [0, 1]: brightness, contrast,
//! saturation, hue, grayscale and per-channel normalisation.
//!
//! The formulas are torchvision's (`torchvision.transforms.functional`):
//! brightness, contrast and saturation blend the image with a reference image
//! (black, the mean grey level, the grey image) as `f · x + (1 − f) · ref`,
//! clamped to [0, 1]; hue rotates the hue channel of HSV. Every expression is
//! evaluated in f32, left to right, products and sums rounded separately
//! (no fused multiply-add). Grey is ITU-R 601-2 luma
//! `0.299 · r + 0.587 · g + 0.114 · b` (PIL's `convert("L")` weights;
//! torchvision's tensor path uses 0.2989 for red). On a 1-channel image
//! saturation, hue and grayscale are no-ops, and contrast uses the channel
//! itself as grey.

use super::Image;

/// ITU-R 601-2 luma of one RGB pixel.
pub fn luma(r: f32, g: f32, b: f32) -> f32 {
    0.299 * r + 0.587 * g + 0.114 * b
}

/// `f · x + (1 − f) · reference`, clamped to [0, 1].
fn blend(x: f32, reference: f32, f: f32) -> f32 {
    (f * x + (1.0 - f) * reference).clamp(0.0, 1.0)
}

/// The grey plane (H·W values): the luma of each pixel, or the single channel.
pub fn grey_plane(img: &Image) -> Vec<f32> {
    let n = img.height * img.width;
    if img.channels == 1 {
        return img.data.clone();
    }
    let (r, rest) = img.data.split_at(n);
    let (g, b) = rest.split_at(n);
    (0..n).map(|k| luma(r[k], g[k], b[k])).collect()
}

/// Brightness: `x · f` clamped to [0, 1] (blend with black).
pub fn adjust_brightness(img: &mut Image, f: f32) {
    for x in &mut img.data {
        *x = blend(*x, 0.0, f);
    }
}

/// Contrast: blend with the mean of the grey plane. The mean is a sequential
/// f64 sum over the grey values in row-major order, divided by their count,
/// then rounded to f32.
pub fn adjust_contrast(img: &mut Image, f: f32) {
    let grey = grey_plane(img);
    let mut sum = 0.0f64;
    for &v in &grey {
        sum += v as f64;
    }
    let mean = (sum / grey.len() as f64) as f32;
    for x in &mut img.data {
        *x = blend(*x, mean, f);
    }
}

/// Saturation: blend each pixel with its own luma (no-op on 1 channel).
pub fn adjust_saturation(img: &mut Image, f: f32) {
    if img.channels == 1 {
        return;
    }
    let n = img.height * img.width;
    let grey = grey_plane(img);
    for plane in img.data.chunks_exact_mut(n) {
        for (x, &g) in plane.iter_mut().zip(&grey) {
            *x = blend(*x, g, f);
        }
    }
}

/// RGB → (h, s, v), h in [0, 1), torchvision's `_rgb2hsv`.
pub fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let maxc = r.max(g).max(b);
    let minc = r.min(g).min(b);
    let cr = maxc - minc;
    if cr == 0.0 {
        // Grey: hue and saturation 0.
        return (0.0, 0.0, maxc);
    }
    let s = cr / maxc;
    let rc = (maxc - r) / cr;
    let gc = (maxc - g) / cr;
    let bc = (maxc - b) / cr;
    let h = if maxc == r {
        bc - gc
    } else if maxc == g {
        2.0 + rc - bc
    } else {
        4.0 + gc - rc
    };
    // fmod(h/6 + 1, 1): h/6 + 1 is in [0, 2), positive.
    let h = h / 6.0 + 1.0;
    (h - h.floor(), s, maxc)
}

/// (h, s, v) → RGB, torchvision's `_hsv2rgb` (sector `floor(6h) mod 6`).
pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let i = (h * 6.0).floor();
    let f = h * 6.0 - i;
    let p = (v * (1.0 - s)).clamp(0.0, 1.0);
    let q = (v * (1.0 - s * f)).clamp(0.0, 1.0);
    let t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0);
    match (i as i64).rem_euclid(6) {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

/// Hue: adds `shift` (in turns, |shift| ≤ 0.5) to each pixel's hue modulo 1
/// (`h − floor(h)`), through HSV (no-op on 1 channel).
pub fn adjust_hue(img: &mut Image, shift: f32) {
    if img.channels == 1 {
        return;
    }
    let n = img.height * img.width;
    for k in 0..n {
        let (h, s, v) = rgb_to_hsv(img.data[k], img.data[n + k], img.data[2 * n + k]);
        let h = h + shift;
        let (r, g, b) = hsv_to_rgb(h - h.floor(), s, v);
        img.data[k] = r;
        img.data[n + k] = g;
        img.data[2 * n + k] = b;
    }
}

/// Grayscale with the channel count kept: each RGB channel becomes the luma
/// (torchvision's `RandomGrayscale`); no-op on 1 channel.
pub fn to_grayscale(img: &mut Image) {
    if img.channels == 1 {
        return;
    }
    let n = img.height * img.width;
    let grey = grey_plane(img);
    for c in 0..3 {
        img.data[c * n..(c + 1) * n].copy_from_slice(&grey);
    }
}

/// Per-channel normalisation `(x − mean[c]) / std[c]`.
pub fn normalize(img: &mut Image, mean: &[f32], std: &[f32]) {
    let n = img.height * img.width;
    for c in 0..img.channels {
        for x in &mut img.data[c * n..(c + 1) * n] {
            *x = (*x - mean[c]) / std[c];
        }
    }
}

#[cfg(test)]
#[path = "color_tests.rs"]
mod tests;
