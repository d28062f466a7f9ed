//! Golden tests for the colour transforms: hand values, cross-checked with
//! `fixtures/golden/data/augment_golden.py` (torch 2.15).

use super::*;

/// The 2×1 RGB image p0 = (0.2, 0.4, 0.6), p1 = (0.9, 0.1, 0.3), planar.
fn two_pixels() -> Image {
    Image {
        channels: 3,
        height: 2,
        width: 1,
        data: vec![0.2, 0.9, 0.4, 0.1, 0.6, 0.3],
    }
}

fn rgb(r: f32, g: f32, b: f32) -> Image {
    Image {
        channels: 3,
        height: 1,
        width: 1,
        data: vec![r, g, b],
    }
}

fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-6,
            "index {i}: got {g}, want {w}\n{got:?}"
        );
    }
}

#[test]
fn luma_uses_itu_601_weights() {
    // p0: 0.0598 + 0.2348 + 0.0684 = 0.363; p1: 0.2691 + 0.0587 + 0.0342 = 0.362.
    assert_close(&grey_plane(&two_pixels()), &[0.363, 0.362]);
}

#[test]
fn brightness_scales_and_clamps() {
    // ×1.5: p0 → (0.3, 0.6, 0.9); p1 → (1.35 → 1, 0.15, 0.45). Script case
    // "brightness_1.5" gives the same planes.
    let mut im = two_pixels();
    adjust_brightness(&mut im, 1.5);
    assert_close(&im.data, &[0.3, 1.0, 0.6, 0.15, 0.9, 0.45]);
}

#[test]
fn contrast_blends_with_the_mean_grey_level() {
    // mean grey = (0.363 + 0.362)/2 = 0.3625; 0.5·x + 0.5·0.3625 = 0.5·x + 0.18125:
    // R (0.28125, 0.63125), G (0.38125, 0.23125), B (0.48125, 0.33125).
    let mut im = two_pixels();
    adjust_contrast(&mut im, 0.5);
    assert_close(
        &im.data,
        &[0.28125, 0.63125, 0.38125, 0.23125, 0.48125, 0.33125],
    );
}

#[test]
fn saturation_blends_each_pixel_with_its_grey() {
    // 0.25·x + 0.75·grey: p0 → 0.27225 + (0.05, 0.1, 0.15); p1 → 0.2715 +
    // (0.225, 0.025, 0.075). Script case "saturation_0.25" agrees.
    let mut im = two_pixels();
    adjust_saturation(&mut im, 0.25);
    assert_close(
        &im.data,
        &[0.32225, 0.4965, 0.37225, 0.2965, 0.42225, 0.3465],
    );
}

#[test]
fn hue_shift_rotates_pure_colours_by_hand() {
    // Red has h = 0; +1/3 turn is green; −1/6 turn is h = 5/6, magenta.
    let mut im = rgb(1.0, 0.0, 0.0);
    adjust_hue(&mut im, 1.0 / 3.0);
    assert_close(&im.data, &[0.0, 1.0, 0.0]);
    let mut im = rgb(1.0, 0.0, 0.0);
    adjust_hue(&mut im, -1.0 / 6.0);
    assert_close(&im.data, &[1.0, 0.0, 1.0]);
    // Orange (1, 0.5, 0): h = (bc − gc)/6 = (1 − 0.5)/6 = 1/12 (30°), s = v = 1.
    // +0.1 turn → 66°: 6h = 1.1, sector 1, f = 0.1 → (q, v, p) = (0.9, 1, 0).
    let mut im = rgb(1.0, 0.5, 0.0);
    adjust_hue(&mut im, 0.1);
    assert_close(&im.data, &[0.9, 1.0, 0.0]);
}

#[test]
fn hsv_round_trip_returns_the_colour() {
    for (r, g, b) in [
        (0.2, 0.4, 0.6),
        (0.9, 0.1, 0.3),
        (0.5, 0.5, 0.5),
        (0.0, 0.7, 0.7),
    ] {
        let (h, s, v) = rgb_to_hsv(r, g, b);
        let (r2, g2, b2) = hsv_to_rgb(h, s, v);
        assert_close(&[r2, g2, b2], &[r, g, b]);
    }
}

#[test]
fn grayscale_replicates_luma_into_every_channel() {
    let mut im = two_pixels();
    to_grayscale(&mut im);
    assert_close(&im.data, &[0.363, 0.362, 0.363, 0.362, 0.363, 0.362]);
}

#[test]
fn one_channel_images_skip_saturation_hue_and_grayscale_but_not_contrast() {
    let orig = Image {
        channels: 1,
        height: 1,
        width: 2,
        data: vec![0.2, 0.6],
    };
    let mut im = orig.clone();
    adjust_saturation(&mut im, 0.0);
    adjust_hue(&mut im, 0.3);
    to_grayscale(&mut im);
    assert_eq!(im, orig);
    // Contrast 0 gives the mean of the channel, 0.4, everywhere.
    adjust_contrast(&mut im, 0.0);
    assert_close(&im.data, &[0.4, 0.4]);
}

#[test]
fn normalize_subtracts_mean_and_divides_by_std_per_channel() {
    let mut im = two_pixels();
    normalize(&mut im, &[0.5, 0.0, 0.1], &[0.5, 2.0, 0.25]);
    // R: (0.2 − 0.5)/0.5 = −0.6, (0.9 − 0.5)/0.5 = 0.8; G: /2; B: (x − 0.1)/0.25.
    assert_close(&im.data, &[-0.6, 0.8, 0.2, 0.05, 2.0, 0.8]);
}
