//! The CPU reference of the factorized-reduce crop: the arithmetic order it follows is
//! documented in the parent module ([`super`]), next to the op's parameters.

use crate::real::Real;
use ndarray::{Array4, Zip, s};
use rayon::prelude::*;

/// `x[:, :, 1:, 1:]`, as a new standard-layout array.
pub fn crop_top_left<T: Real>(x: &Array4<T>) -> Array4<T> {
    let (n, c, h, w) = x.dim();
    if h == 0 || w == 0 {
        return x.slice(s![.., .., 1.., 1..]).to_owned();
    }
    let xs = x.as_standard_layout();
    let xs = xs.as_slice().expect("standard layout");
    // Row by row (whole-row copies instead of one element at a time).
    let mut y = Vec::with_capacity(n * c * (h - 1) * (w - 1));
    for plane in xs.chunks_exact(h * w) {
        for row in plane.chunks_exact(w).skip(1) {
            y.extend_from_slice(&row[1..]);
        }
    }
    Array4::from_shape_vec((n, c, h - 1, w - 1), y).expect("shape")
}

/// `acc[:, :, 1:, 1:] += g`; `g` is `acc` cropped by one row and column.
/// Plane by plane in parallel (each element is one addition, so the thread
/// count changes no value).
pub fn shift_add<T: Real>(acc: &mut Array4<T>, g: &Array4<T>) {
    let (n, c, h, w) = acc.dim();
    assert_eq!(
        g.dim(),
        (n, c, h.saturating_sub(1), w.saturating_sub(1)),
        "shift_add: g must be acc cropped by one row and column"
    );
    let (Some(a), Some(gs)) = (acc.as_slice_mut(), g.as_slice()) else {
        return shift_add_serial(acc, g);
    };
    if h < 2 || w < 2 {
        return;
    }
    let (plane, gplane) = (h * w, (h - 1) * (w - 1));
    // At least ~16K elements per task (see `parallel::ELEMENTS_PER_TASK`).
    let min_planes = crate::parallel::ELEMENTS_PER_TASK.div_ceil(gplane);
    a.par_chunks_mut(plane)
        .zip(gs.par_chunks(gplane))
        .with_min_len(min_planes)
        .for_each(|(ap, gp)| {
            for (arow, grow) in ap.chunks_exact_mut(w).skip(1).zip(gp.chunks_exact(w - 1)) {
                for (a, &b) in arow[1..].iter_mut().zip(grow) {
                    *a += b;
                }
            }
        });
}

/// [`shift_add`] one element at a time, for arrays not in standard layout
/// (and the reference the parallel path is tested against).
fn shift_add_serial<T: Real>(acc: &mut Array4<T>, g: &Array4<T>) {
    Zip::from(acc.slice_mut(s![.., .., 1.., 1..]))
        .and(g)
        .for_each(|a, &b| *a += b);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_then_shift_add_touches_only_the_shifted_window() {
        // Hand values: a 1×1×2×2 input; the crop is its bottom-right element.
        let x = Array4::from_shape_vec((1, 1, 2, 2), vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
        let c = crop_top_left(&x);
        assert_eq!(c.into_raw_vec_and_offset().0, vec![4.0]);
        let mut acc = x.clone();
        shift_add(&mut acc, &Array4::from_elem((1, 1, 1, 1), 10.0));
        assert_eq!(acc.into_raw_vec_and_offset().0, vec![1.0, 2.0, 3.0, 14.0]);
    }

    #[test]
    fn parallel_shift_add_matches_the_serial_one_bitwise_at_any_thread_count() {
        // Ragged planes (7×5) and enough of them (3·700) to split into
        // several tasks; values of mixed magnitude so an addition rounds.
        let shape = (3, 700, 7, 5);
        let acc = crate::ops::testing::random_array("crop/acc", ndarray::Ix4(3, 700, 7, 5))
            .mapv(|v: f64| (v * 1e3) as f32);
        let g = crate::ops::testing::random_array("crop/g", ndarray::Ix4(3, 700, 6, 4))
            .mapv(|v: f64| v as f32 * 1e-3);
        let mut want = acc.clone();
        shift_add_serial(&mut want, &g);
        let bits = |a: &Array4<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        for t in [1, 2, 3] {
            let got = crate::parallel::with_threads(t, || {
                let mut a = acc.clone();
                shift_add(&mut a, &g);
                a
            })
            .unwrap();
            assert_eq!(got.dim(), shape);
            assert_eq!(bits(&got), bits(&want), "{t} threads");
        }
    }
}
