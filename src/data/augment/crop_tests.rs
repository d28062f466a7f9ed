//! Tests for the geometric augmentations.

use super::*;
use crate::rng::StreamPath;

fn ramp(channels: usize, height: usize, width: usize) -> Image {
    Image {
        channels,
        height,
        width,
        data: (0..channels * height * width).map(|v| v as f32).collect(),
    }
}

#[test]
fn hflip_and_vflip_mirror_each_plane() {
    // Two channels of [[0, 1, 2], [3, 4, 5]] and [[6, 7, 8], [9, 10, 11]].
    let mut im = ramp(2, 2, 3);
    hflip(&mut im);
    assert_eq!(
        im.data,
        vec![2., 1., 0., 5., 4., 3., 8., 7., 6., 11., 10., 9.]
    );
    let mut im = ramp(2, 3, 2);
    vflip(&mut im);
    assert_eq!(
        im.data,
        vec![4., 5., 2., 3., 0., 1., 10., 11., 8., 9., 6., 7.]
    );
}

#[test]
#[allow(clippy::excessive_precision)] // literals pasted verbatim from the script
fn crop_resize_matches_pytorch_on_a_ramp() {
    // Script case "crop_r1c0h3w3_to_2x2": rows 1..4, cols 0..3 of
    // arange(25)/24 (5×5), interpolated to 2×2.
    let mut im = ramp(1, 5, 5);
    for v in &mut im.data {
        *v /= 24.0;
    }
    let rect = Rect {
        top: 1,
        left: 0,
        height: 3,
        width: 3,
    };
    let got = crop_resize(&im, rect, 2).data;
    let want = [
        0.2708333432674408,
        0.3333333134651184,
        0.5833333134651184,
        0.6458333134651184,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-6, "{got:?}");
    }
}

#[test]
fn resized_crop_falls_back_to_a_ratio_clamped_centre_crop() {
    // scale (2, 2) asks for twice the image: every attempt fails. A 4×8 image
    // has in_ratio 2 > 4/3, so h = 4, w = round(4 · 4/3 = 5.33) = 5, centred
    // at left (8 − 5)/2 = 1.
    let mut s = StreamPath::root(1).stream();
    let r = resized_crop_params(4, 8, (2.0, 2.0), (0.75, 4.0 / 3.0), &mut s);
    let want = Rect {
        top: 0,
        left: 1,
        height: 4,
        width: 5,
    };
    assert_eq!(r, want);
    // A tall 8×2 image: in_ratio 0.25 < 3/4, w = 2, h = round(2 / 0.75 = 2.67) = 3.
    let r = resized_crop_params(8, 2, (2.0, 2.0), (0.75, 4.0 / 3.0), &mut s);
    assert_eq!((r.top, r.left, r.height, r.width), (2, 0, 3, 2));
}

#[test]
fn resized_crop_with_full_scale_and_unit_ratio_is_the_whole_image() {
    let mut s = StreamPath::root(2).stream();
    for _ in 0..20 {
        let r = resized_crop_params(6, 6, (1.0, 1.0), (1.0, 1.0), &mut s);
        assert_eq!((r.top, r.left, r.height, r.width), (0, 0, 6, 6));
    }
}

#[test]
fn resized_crops_stay_inside_and_respect_the_scale_range() {
    let mut s = StreamPath::root(3).stream();
    for _ in 0..500 {
        let r = resized_crop_params(32, 32, (0.2, 1.0), (0.75, 4.0 / 3.0), &mut s);
        assert!(r.top + r.height <= 32 && r.left + r.width <= 32, "{r:?}");
        let frac = (r.height * r.width) as f64 / 1024.0;
        // Rounding each side by ±0.5 moves the area a little past the range.
        assert!((0.17..=1.0).contains(&frac), "{r:?} {frac}");
        let ratio = r.width as f64 / r.height as f64;
        assert!((0.6..=1.6).contains(&ratio), "{r:?}");
    }
}

#[test]
fn padded_crop_at_full_padded_size_is_the_zero_padded_image() {
    // [[1, 2], [3, 4]] padded by 1 to 4×4; a 4×4 window has one position.
    let im = Image {
        channels: 1,
        height: 2,
        width: 2,
        data: vec![1., 2., 3., 4.],
    };
    let mut s = StreamPath::root(4).stream();
    let out = padded_random_crop(&im, 4, 1, &mut s);
    #[rustfmt::skip]
    let want = vec![
        0., 0., 0., 0.,
        0., 1., 2., 0.,
        0., 3., 4., 0.,
        0., 0., 0., 0.,
    ];
    assert_eq!(out.data, want);
}

#[test]
fn padded_crop_windows_are_shifted_copies_with_zero_borders() {
    let im = ramp(2, 6, 6);
    let mut s = StreamPath::root(5).stream();
    let mut shifts = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let mut probe = s.clone();
        let top = probe.below(5) as isize - 2;
        let left = probe.below(5) as isize - 2;
        shifts.insert((top, left));
        let out = padded_random_crop(&im, 6, 2, &mut s);
        for c in 0..2 {
            for y in 0..6isize {
                for x in 0..6isize {
                    let (sy, sx) = (y + top, x + left);
                    let want = if (0..6).contains(&sy) && (0..6).contains(&sx) {
                        (c * 36 + sy as usize * 6 + sx as usize) as f32
                    } else {
                        0.0
                    };
                    assert_eq!(out.data[c * 36 + (y * 6 + x) as usize], want);
                }
            }
        }
    }
    assert_eq!(
        shifts.len(),
        25,
        "all 5×5 window positions occur in 200 draws"
    );
}

#[test]
fn cutout_zeroes_exactly_the_clipped_square_in_every_channel() {
    let mut s = StreamPath::root(6).stream();
    let mut clipped = 0;
    for _ in 0..200 {
        let mut probe = s.clone();
        let (y, x) = (probe.below(8) as usize, probe.below(8) as usize);
        let mut im = ramp(2, 8, 8);
        for v in &mut im.data {
            *v += 1.0; // no pixel is zero before the cut
        }
        let r = cutout(&mut im, 4, &mut s);
        // Half-length 2: rows y−2..y+2 clipped to 0..8.
        let (y1, y2) = (y.saturating_sub(2), (y + 2).min(8));
        let (x1, x2) = (x.saturating_sub(2), (x + 2).min(8));
        assert_eq!(
            (r.top, r.left, r.height, r.width),
            (y1, x1, y2 - y1, x2 - x1)
        );
        if r.height * r.width < 16 {
            clipped += 1;
        }
        for c in 0..2 {
            for row in 0..8 {
                for col in 0..8 {
                    let inside = (y1..y2).contains(&row) && (x1..x2).contains(&col);
                    let v = im.data[c * 64 + row * 8 + col];
                    assert_eq!(v == 0.0, inside, "c{c} ({row},{col}) cut at ({y},{x})");
                }
            }
        }
    }
    assert!(clipped > 0, "no cut touched a border in 200 draws");
}
