//! Deterministic bilinear resampling, shared by the `folder:` loader (resize
//! to a fixed size) and the random crops (resample a crop to the output size).
//!
//! Why our own: the sampling convention and the arithmetic order are part of
//! the data pipeline's spec (DESIGN 3.1.2), so they are written out here
//! rather than inherited from an image library.
//!
//! # Convention (PyTorch `interpolate(mode="bilinear", align_corners=False,
//! antialias=False)`)
//! Pixel centres sit at half-integers. For an input length `n` and output
//! length `m`, output index `d` samples the input at
//! `s = max(0, (d + 0.5) · n/m − 0.5)`, computed in f64; `i0 = floor(s)`,
//! `i1 = min(i0 + 1, n − 1)`, `λ = s − i0` (rounded to f32), and the weights
//! are `1 − λ` and `λ`. An output pixel is
//! `w0y · (w0x · a + w1x · b) + w1y · (w0x · c + w1x · d)` in f32, every
//! product and sum rounded separately (no fused multiply-add), evaluated in
//! exactly that order. No anti-aliasing: a large downscale skips pixels, as
//! PyTorch's does. When `m == n` the map is the identity.

/// A rectangle of the source image: rows `top..top + height`, columns
/// `left..left + width`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub top: usize,
    pub left: usize,
    pub height: usize,
    pub width: usize,
}

/// One output position's two source indices and weights.
#[derive(Clone, Copy, Debug)]
struct Tap {
    i0: usize,
    i1: usize,
    w0: f32,
    w1: f32,
}

/// The taps that map `src_len` samples (starting at `offset`) onto `dst_len`.
fn taps(offset: usize, src_len: usize, dst_len: usize) -> Vec<Tap> {
    let scale = src_len as f64 / dst_len as f64;
    (0..dst_len)
        .map(|d| {
            let s = ((d as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (s.floor() as usize).min(src_len - 1);
            let i1 = (i0 + 1).min(src_len - 1);
            let lambda = (s - i0 as f64) as f32;
            Tap {
                i0: offset + i0,
                i1: offset + i1,
                w0: 1.0 - lambda,
                w1: lambda,
            }
        })
        .collect()
}

/// Resamples the `region` of a planar (C, H, W) image of width `width` to
/// (C, `out_h`, `out_w`) with the convention in the module doc. `height` is
/// implied by `src.len() / (channels · width)`.
///
/// Panics if the region is empty or does not fit the image, or an output
/// size is zero (callers validate their sizes first).
pub fn resize_region(
    src: &[f32],
    channels: usize,
    width: usize,
    region: Rect,
    out_h: usize,
    out_w: usize,
) -> Vec<f32> {
    let height = src.len() / (channels * width);
    assert!(
        region.height > 0
            && region.width > 0
            && region.top + region.height <= height
            && region.left + region.width <= width
            && out_h > 0
            && out_w > 0,
        "resize_region: bad region {region:?} for {height}x{width} -> {out_h}x{out_w}"
    );
    let ty = taps(region.top, region.height, out_h);
    let tx = taps(region.left, region.width, out_w);
    let mut out = Vec::with_capacity(channels * out_h * out_w);
    for c in 0..channels {
        let plane = &src[c * height * width..(c + 1) * height * width];
        for y in &ty {
            let r0 = &plane[y.i0 * width..(y.i0 + 1) * width];
            let r1 = &plane[y.i1 * width..(y.i1 + 1) * width];
            for x in &tx {
                let top = x.w0 * r0[x.i0] + x.w1 * r0[x.i1];
                let bottom = x.w0 * r1[x.i0] + x.w1 * r1[x.i1];
                out.push(y.w0 * top + y.w1 * bottom);
            }
        }
    }
    out
}

/// Resamples a whole planar (C, H, W) image to (C, `out_h`, `out_w`).
pub fn resize(
    src: &[f32],
    channels: usize,
    height: usize,
    width: usize,
    out_h: usize,
    out_w: usize,
) -> Vec<f32> {
    let region = Rect {
        top: 0,
        left: 0,
        height,
        width,
    };
    resize_region(src, channels, width, region, out_h, out_w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(got: &[f32], want: &[f32]) {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            // PyTorch computes the sample positions in f32, we in f64: allow
            // a few ulps.
            let tol = 2e-6 * w.abs().max(1.0);
            assert!((g - w).abs() <= tol, "index {i}: got {g}, want {w}");
        }
    }

    #[test]
    fn upscale_2x2_to_3x3_matches_hand_values() {
        // Input [[0, 1], [2, 3]]; n/m = 2/3. Sample positions:
        // d=0: max(0, 0.5·2/3 − 0.5) = 0 → (0, 1; λ 0)
        // d=1: 1.5·2/3 − 0.5 = 0.5 → (0, 1; λ 0.5)
        // d=2: 2.5·2/3 − 0.5 = 1.1667 → i0 = 1, i1 = 1 → value of index 1.
        // Rows: y=0 → row 0 = [0, 0.5, 1]; y=1 → mean of rows = [1, 1.5, 2];
        // y=2 → row 1 = [2, 2.5, 3].
        let got = resize(&[0.0, 1.0, 2.0, 3.0], 1, 2, 2, 3, 3);
        assert_close(&got, &[0.0, 0.5, 1.0, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0]);
    }

    #[test]
    #[allow(clippy::excessive_precision)] // literals pasted verbatim from the script
    fn downscale_4x4_to_3x3_matches_pytorch() {
        // fixtures/golden/data/augment_golden.py, case "down_4x4_3x3":
        // torch.arange(16.).reshape(1,1,4,4) interpolated to 3x3.
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let got = resize(&src, 1, 4, 4, 3, 3);
        let want = [
            0.8333333730697632,
            2.1666667461395264,
            3.5,
            6.166666507720947,
            7.5,
            8.833333015441895,
            11.500000953674316,
            12.833333969116211,
            14.166666984558105,
        ];
        assert_close(&got, &want);
    }

    #[test]
    #[allow(clippy::excessive_precision)] // literals pasted verbatim from the script
    fn upscale_2x3_to_4x5_with_two_channels_matches_pytorch() {
        // Script case "up_2x3_4x5": channel 0 = arange(6), channel 1 = its square.
        let mut src: Vec<f32> = (0..6).map(|v| v as f32).collect();
        src.extend((0..6).map(|v| (v * v) as f32));
        let got = resize(&src, 2, 2, 3, 4, 5);
        let want = [
            0.0,
            0.40000003576278687,
            1.0,
            1.6000001430511475,
            2.0,
            0.75,
            1.1500000953674316,
            1.75,
            2.3500001430511475,
            2.75,
            2.25,
            2.6500000953674316,
            3.25,
            3.8500001430511475,
            4.25,
            3.0,
            3.4000000953674316,
            4.0,
            4.599999904632568,
            5.0,
            0.0,
            0.40000003576278687,
            1.0,
            2.8000004291534424,
            4.0,
            2.25,
            3.25,
            4.75,
            7.450000762939453,
            9.25,
            6.75,
            8.950000762939453,
            12.25,
            16.750001907348633,
            19.75,
            9.0,
            11.80000114440918,
            16.0,
            21.400001525878906,
            25.0,
        ];
        assert_close(&got, &want);
    }

    #[test]
    fn same_size_is_the_identity_bit_for_bit() {
        let src: Vec<f32> = (0..12).map(|v| (v as f32 * 0.37).sin()).collect();
        assert_eq!(resize(&src, 1, 3, 4, 3, 4), src);
    }

    #[test]
    fn region_resample_reads_only_inside_the_region() {
        // 3x3 image, region rows 1..3, cols 1..3 = [[4, 5], [7, 8]] kept at 2x2.
        let src: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let region = Rect {
            top: 1,
            left: 1,
            height: 2,
            width: 2,
        };
        assert_eq!(
            resize_region(&src, 1, 3, region, 2, 2),
            vec![4.0, 5.0, 7.0, 8.0]
        );
    }
}
