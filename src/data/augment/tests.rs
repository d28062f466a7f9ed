//! Tests for the pipeline: stage order, draw order, presets, streams.

use super::*;

fn img(channels: usize, size: usize) -> Image {
    let n = channels * size * size;
    Image {
        channels,
        height: size,
        width: size,
        data: (0..n).map(|v| (v as f32 + 0.5) / n as f32).collect(),
    }
}

fn stream() -> Stream {
    StreamPath::root(3).child("t").stream()
}

#[test]
fn from_u8_divides_by_max_value() {
    let im = Image::from_u8(&[0, 8, 16, 4], 1, 2, 2, 16);
    assert_eq!(im.data, vec![0.0, 0.5, 1.0, 0.25]);
}

#[test]
fn disabled_stages_draw_nothing_and_none_is_the_identity() {
    let im = img(3, 4);
    let mut s = stream();
    assert_eq!(AugmentConfig::none(4).apply(&im, &mut s), im);
    assert_eq!(s.next_u64(), stream().next_u64(), "a draw was consumed");
}

#[test]
fn certain_flip_mirrors_and_consumes_one_draw() {
    let cfg = AugmentConfig {
        hflip: 1.0,
        ..AugmentConfig::none(3)
    };
    let im = img(1, 3);
    let mut s = stream();
    let out = cfg.apply(&im, &mut s);
    let mut want = im.clone();
    crop::hflip(&mut want);
    assert_eq!(out, want);
    let mut probe = stream();
    probe.next_u64(); // the Bernoulli draw
    assert_eq!(s.next_u64(), probe.next_u64());
}

#[test]
fn jitter_draws_its_factor_after_the_apply_draw() {
    let cfg = AugmentConfig {
        jitter: Some(ColorJitter {
            brightness: 0.5,
            contrast: 0.0,
            saturation: 0.0,
            hue: 0.0,
            p: 1.0,
        }),
        ..AugmentConfig::none(2)
    };
    let im = img(3, 2);
    let mut probe = stream();
    assert!(probe.bernoulli(1.0));
    let f = probe.uniform_range(0.5, 1.5) as f32;
    let out = cfg.apply(&im, &mut stream());
    let want: Vec<f32> = im.data.iter().map(|x| (f * x).clamp(0.0, 1.0)).collect();
    assert_eq!(out.data, want);
}

#[test]
fn certain_grayscale_makes_channels_equal() {
    let cfg = AugmentConfig {
        grayscale: 1.0,
        ..AugmentConfig::none(4)
    };
    let out = cfg.apply(&img(3, 4), &mut stream());
    assert_eq!(out.data[..16], out.data[16..32]);
    assert_eq!(out.data[..16], out.data[32..]);
}

#[test]
fn cutout_runs_after_normalisation_so_cut_pixels_are_zero() {
    let cfg = AugmentConfig {
        normalize: Some(Normalize {
            mean: vec![2.0],
            std: vec![0.5],
        }),
        cutout: Some(2),
        ..AugmentConfig::none(6)
    };
    // Every normalised pixel is (x − 2)/0.5 < −2, so zeros come from cutout.
    let out = cfg.apply(&img(1, 6), &mut stream());
    let zeros = out.data.iter().filter(|&&v| v == 0.0).count();
    assert!((1..=4).contains(&zeros), "{zeros} zeros");
    assert!(out.data.iter().all(|&v| v == 0.0 || v < -2.0));
}

#[test]
fn presets_produce_the_requested_size_and_unknown_names_are_errors() {
    for name in [
        "none",
        "simclr",
        "cifar-supervised",
        "cifar-supervised-cutout",
    ] {
        let cfg = AugmentConfig::preset(name, 8).unwrap();
        cfg.validate(3, 8, 8).unwrap();
        let out = cfg.apply(&img(3, 8), &mut stream());
        assert_eq!((out.channels, out.height, out.width), (3, 8, 8), "{name}");
    }
    assert_eq!(
        AugmentConfig::preset("cifar-supervised-cutout", 32)
            .unwrap()
            .cutout,
        Some(16)
    );
    let e = AugmentConfig::preset("byol", 32).unwrap_err().to_string();
    assert!(e.contains("'byol'") && e.contains("simclr"), "{e}");
}

#[test]
fn simclr_on_one_channel_images_works_and_upsamples_digits() {
    let cfg = AugmentConfig::simclr(32);
    cfg.validate(1, 8, 8).unwrap();
    let out = cfg.apply(&img(1, 8), &mut stream());
    assert_eq!((out.channels, out.height, out.width), (1, 32, 32));
    assert!(out.data.iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn validate_names_the_bad_setting() {
    let mut cfg = AugmentConfig::simclr(8);
    cfg.hflip = 1.5;
    let e = cfg.validate(3, 8, 8).unwrap_err().to_string();
    assert!(e.contains("hflip") && e.contains("1.5"), "{e}");
    let mut cfg = AugmentConfig::simclr(8);
    cfg.geometry = Geometry::ResizedCrop {
        scale: (0.0, 1.0),
        ratio: (0.75, 1.33),
    };
    assert!(cfg.validate(3, 8, 8).is_err());
    let mut cfg = AugmentConfig::simclr(8);
    cfg.jitter.as_mut().unwrap().hue = 0.7;
    assert!(cfg.validate(3, 8, 8).is_err());
}

#[test]
fn view_streams_differ_by_epoch_sample_and_view() {
    let root = StreamPath::root(1);
    let first = |e, i, v| view_stream(&root, e, i, v).next_u64();
    let base = first(0, 0, 0);
    assert_eq!(base, first(0, 0, 0));
    assert_ne!(base, first(1, 0, 0));
    assert_ne!(base, first(0, 1, 0));
    assert_ne!(base, first(0, 0, 1));
}

#[test]
fn two_views_use_their_own_streams() {
    let cfg = AugmentConfig::simclr(8);
    let im = img(3, 8);
    let root = StreamPath::root(2);
    let (a, b) = two_views(
        &im,
        &cfg,
        [view_stream(&root, 0, 0, 0), view_stream(&root, 0, 0, 1)],
    );
    assert_ne!(a, b);
    assert_eq!(a, cfg.apply(&im, &mut view_stream(&root, 0, 0, 0)));
}
