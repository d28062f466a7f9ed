//! Per-sample image augmentations for contrastive search and supervised
//! training, every random draw taken from one [`Stream`] per (epoch, sample,
//! view) so a batch is a pure function of the seed (DESIGN 3.1.3).
//!
//! Images are f32 in [0, 1], planar (C, H, W), converted from the data set's
//! `u8` pixels as `v / max_value` (one correctly rounded f32 division).
//!
//! # Pipeline and draw order (part of the spec)
//! [`AugmentConfig::apply`] runs these stages in this order; a stage that is
//! off (`None` or probability 0) draws nothing, an enabled random stage draws
//! exactly what its function's doc says:
//! 1. geometry ([`Geometry`]): plain resize, random resized crop, or zero-padded
//!    random crop, each to `size × size`;
//! 2. horizontal flip: `bernoulli(hflip)`; 3. vertical flip: `bernoulli(vflip)`;
//! 4. colour jitter: `bernoulli(p)`; if applied, one factor per non-zero
//!    strength, drawn in the order brightness, contrast, saturation
//!    (`U(max(0, 1 − s), 1 + s)`), hue (`U(−h, h)`), then applied in that same
//!    fixed order (torchvision shuffles the order per call; a fixed order is
//!    simpler to specify and to reproduce on a GPU);
//! 5. random grayscale: `bernoulli(p)`, channel count kept;
//! 6. per-channel normalisation (no draw);
//! 7. cutout (DARTS: after normalisation, so cut pixels are 0 after it).

pub mod color;
pub mod crop;

use crate::error::Result;
use crate::rng::{Stream, StreamPath};
use crate::{Error, invalid};

/// A planar (C, H, W) f32 image.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

impl Image {
    /// `v / max_value` for each pixel, as f32.
    pub fn from_u8(pixels: &[u8], channels: usize, height: usize, width: usize, max: u8) -> Self {
        assert_eq!(pixels.len(), channels * height * width);
        let m = max as f32;
        Image {
            channels,
            height,
            width,
            data: pixels.iter().map(|&v| v as f32 / m).collect(),
        }
    }

    /// Sample `i` of a data set.
    pub fn from_dataset(ds: &super::Dataset, i: usize) -> Self {
        Image::from_u8(ds.image(i), ds.channels, ds.height, ds.width, ds.max_value)
    }
}

/// How the output `size × size` image is cut from the input.
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    /// The whole image, bilinearly resized (a copy when already that size).
    Resize,
    /// torchvision's `RandomResizedCrop` ([`crop::resized_crop_params`]).
    ResizedCrop {
        scale: (f64, f64),
        ratio: (f64, f64),
    },
    /// torchvision's `RandomCrop(size, padding)` with zero padding.
    PaddedCrop { padding: usize },
}

/// Colour jitter strengths and the probability of applying it at all.
#[derive(Clone, Debug, PartialEq)]
pub struct ColorJitter {
    pub brightness: f64,
    pub contrast: f64,
    pub saturation: f64,
    /// At most 0.5 (a half turn).
    pub hue: f64,
    pub p: f64,
}

/// Per-channel mean and standard deviation.
#[derive(Clone, Debug, PartialEq)]
pub struct Normalize {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Normalize {
    /// The CIFAR-10 training-set statistics DARTS uses.
    pub fn cifar10() -> Self {
        Normalize {
            mean: vec![0.491_399_7, 0.482_158_3, 0.446_531_2],
            std: vec![0.247_032_3, 0.243_485_05, 0.261_587_7],
        }
    }
}

/// A whole augmentation pipeline (see the module doc for its order).
#[derive(Clone, Debug, PartialEq)]
pub struct AugmentConfig {
    /// Output side length.
    pub size: usize,
    pub geometry: Geometry,
    pub hflip: f64,
    pub vflip: f64,
    pub jitter: Option<ColorJitter>,
    pub grayscale: f64,
    pub normalize: Option<Normalize>,
    /// Cutout square side length.
    pub cutout: Option<usize>,
}

impl AugmentConfig {
    /// No augmentation: the image resized to `size` (identity at its own size).
    pub fn none(size: usize) -> Self {
        AugmentConfig {
            size,
            geometry: Geometry::Resize,
            hflip: 0.0,
            vflip: 0.0,
            jitter: None,
            grayscale: 0.0,
            normalize: None,
            cutout: None,
        }
    }

    /// SimCLR's CIFAR pipeline: resized crop (scale 0.2–1, ratio 3/4–4/3),
    /// flip 0.5, jitter 0.4/0.4/0.4/0.1 with p = 0.8, grayscale p = 0.2.
    pub fn simclr(size: usize) -> Self {
        AugmentConfig {
            geometry: Geometry::ResizedCrop {
                scale: (0.2, 1.0),
                ratio: (3.0 / 4.0, 4.0 / 3.0),
            },
            hflip: 0.5,
            jitter: Some(ColorJitter {
                brightness: 0.4,
                contrast: 0.4,
                saturation: 0.4,
                hue: 0.1,
                p: 0.8,
            }),
            grayscale: 0.2,
            ..AugmentConfig::none(size)
        }
    }

    /// Contrastive views of small grey images (digits): a resized crop (scale
    /// `scale_min`–1, ratio 3/4–4/3) and brightness/contrast jitter 0.4/0.4
    /// with p = 0.8. No flips: a mirrored digit is another symbol.
    pub fn grey_contrastive(size: usize, scale_min: f64) -> Self {
        AugmentConfig {
            geometry: Geometry::ResizedCrop {
                scale: (scale_min, 1.0),
                ratio: (3.0 / 4.0, 4.0 / 3.0),
            },
            jitter: Some(ColorJitter {
                brightness: 0.4,
                contrast: 0.4,
                saturation: 0.0,
                hue: 0.0,
                p: 0.8,
            }),
            ..AugmentConfig::none(size)
        }
    }

    /// DARTS' CIFAR training pipeline: padded crop (padding 4), flip 0.5, and
    /// cutout when given. Normalisation is left to the caller, since the
    /// statistics belong to the data set (e.g. [`Normalize::cifar10`]).
    pub fn cifar_supervised(size: usize, cutout: Option<usize>) -> Self {
        AugmentConfig {
            geometry: Geometry::PaddedCrop { padding: 4 },
            hflip: 0.5,
            cutout,
            ..AugmentConfig::none(size)
        }
    }

    /// A preset by name: `none`, `simclr`, `cifar-supervised` (no cutout) or
    /// `cifar-supervised-cutout` (cutout 16, the DARTS evaluation setting).
    pub fn preset(name: &str, size: usize) -> Result<Self> {
        match name {
            "none" => Ok(Self::none(size)),
            "simclr" => Ok(Self::simclr(size)),
            "cifar-supervised" => Ok(Self::cifar_supervised(size, None)),
            "cifar-supervised-cutout" => Ok(Self::cifar_supervised(size, Some(16))),
            _ => Err(invalid!(
                "unknown augmentation preset '{name}': expected none, simclr, \
                 cifar-supervised or cifar-supervised-cutout"
            )),
        }
    }

    /// Checks the settings against an input of `channels × height × width`.
    pub fn validate(&self, channels: usize, height: usize, width: usize) -> Result<()> {
        let prob = |name: &str, p: f64| -> Result<()> {
            if (0.0..=1.0).contains(&p) {
                Ok(())
            } else {
                Err(invalid!(
                    "augmentation: {name} probability {p} is not in [0, 1]"
                ))
            }
        };
        if self.size == 0 || channels == 0 || height == 0 || width == 0 {
            return Err(invalid!(
                "augmentation: empty image ({channels}x{height}x{width} to size {})",
                self.size
            ));
        }
        prob("hflip", self.hflip)?;
        prob("vflip", self.vflip)?;
        prob("grayscale", self.grayscale)?;
        match self.geometry {
            Geometry::Resize => {}
            Geometry::ResizedCrop { scale, ratio } => {
                if !(0.0 < scale.0 && scale.0 <= scale.1 && 0.0 < ratio.0 && ratio.0 <= ratio.1) {
                    return Err(invalid!(
                        "augmentation: resized crop needs 0 < scale min <= max and 0 < ratio min <= max, got scale {scale:?} ratio {ratio:?}"
                    ));
                }
            }
            Geometry::PaddedCrop { padding } => {
                if height + 2 * padding < self.size || width + 2 * padding < self.size {
                    return Err(invalid!(
                        "augmentation: a {height}x{width} image padded by {padding} is smaller than the crop size {}",
                        self.size
                    ));
                }
            }
        }
        if let Some(j) = &self.jitter {
            prob("colour jitter", j.p)?;
            let strengths = [j.brightness, j.contrast, j.saturation];
            if strengths.iter().any(|s| s.is_nan() || *s < 0.0) || !(0.0..=0.5).contains(&j.hue) {
                return Err(invalid!(
                    "augmentation: jitter strengths must be >= 0 and hue in [0, 0.5], got {j:?}"
                ));
            }
        }
        if let Some(n) = &self.normalize {
            if n.mean.len() != channels || n.std.len() != channels {
                return Err(invalid!(
                    "augmentation: normalisation has {} means and {} stds for {channels} channels",
                    n.mean.len(),
                    n.std.len()
                ));
            }
            if n.std.iter().any(|s| s.is_nan() || *s <= 0.0) {
                return Err(Error::invalid("augmentation: every std must be > 0"));
            }
        }
        Ok(())
    }

    /// Runs the pipeline on one image (validated with [`Self::validate`]).
    pub fn apply(&self, img: &Image, stream: &mut Stream) -> Image {
        let size = self.size;
        let mut out = match self.geometry {
            Geometry::Resize => {
                let rect = crate::data::resample::Rect {
                    top: 0,
                    left: 0,
                    height: img.height,
                    width: img.width,
                };
                crop::crop_resize(img, rect, size)
            }
            Geometry::ResizedCrop { scale, ratio } => {
                crop::random_resized_crop(img, size, scale, ratio, stream)
            }
            Geometry::PaddedCrop { padding } => {
                crop::padded_random_crop(img, size, padding, stream)
            }
        };
        if self.hflip > 0.0 && stream.bernoulli(self.hflip) {
            crop::hflip(&mut out);
        }
        if self.vflip > 0.0 && stream.bernoulli(self.vflip) {
            crop::vflip(&mut out);
        }
        if let Some(j) = &self.jitter
            && j.p > 0.0
            && stream.bernoulli(j.p)
        {
            apply_jitter(&mut out, j, stream);
        }
        if self.grayscale > 0.0 && stream.bernoulli(self.grayscale) {
            color::to_grayscale(&mut out);
        }
        if let Some(n) = &self.normalize {
            color::normalize(&mut out, &n.mean, &n.std);
        }
        if let Some(len) = self.cutout {
            crop::cutout(&mut out, len, stream);
        }
        out
    }
}

/// Draws the jitter factors (brightness, contrast, saturation, hue; zero
/// strengths skipped), then applies them in that order.
fn apply_jitter(img: &mut Image, j: &ColorJitter, stream: &mut Stream) {
    let mut factor = |s: f64| (s > 0.0).then(|| stream.uniform_range((1.0 - s).max(0.0), 1.0 + s));
    let b = factor(j.brightness);
    let c = factor(j.contrast);
    let s = factor(j.saturation);
    let h = (j.hue > 0.0).then(|| stream.uniform_range(-j.hue, j.hue));
    if let Some(f) = b {
        color::adjust_brightness(img, f as f32);
    }
    if let Some(f) = c {
        color::adjust_contrast(img, f as f32);
    }
    if let Some(f) = s {
        color::adjust_saturation(img, f as f32);
    }
    if let Some(f) = h {
        color::adjust_hue(img, f as f32);
    }
}

/// The stream for one view of one sample in one epoch:
/// `root → "epoch" e → "sample" i → "view" v`, where `i` is the sample's
/// index in its data set (not its position in a batch), so a sample's
/// augmentation does not depend on batching or thread count.
pub fn view_stream(root: &StreamPath, epoch: u64, sample_index: u64, view: u64) -> Stream {
    root.at("epoch", epoch)
        .at("sample", sample_index)
        .at("view", view)
        .stream()
}

/// Two independently augmented views of one image, for contrastive learning
/// (each from its own stream, e.g. views 0 and 1 of [`view_stream`]).
pub fn two_views(img: &Image, cfg: &AugmentConfig, streams: [Stream; 2]) -> (Image, Image) {
    let [mut s0, mut s1] = streams;
    (cfg.apply(img, &mut s0), cfg.apply(img, &mut s1))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
