//! Exact-mode convolution kernels (`conv2d.cu`) against the CPU's im2col +
//! gemm and depthwise paths, bit for bit, over the DARTS geometries (1×1,
//! 3×3/5×5 separable, dilated, strided, grouped, the stem) and odd sizes.

use crate::common::{assert_bits, flat, rand_array, ready};
use csnas::ops::conv2d::{self, Conv2dParams};
use csnas_kernel_host as k;
use ndarray::Ix4;

/// (N, Cin, H, W, Cout, kernel, stride, padding, dilation, groups).
type Case = (
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
);

const CASES: [Case; 10] = [
    (2, 3, 5, 7, 4, 1, 1, 0, 1, 1),  // pointwise, odd plane
    (2, 4, 8, 8, 6, 1, 2, 0, 1, 1),  // factorized reduce's strided 1x1
    (1, 3, 9, 9, 5, 3, 1, 1, 1, 1),  // stem-like 3x3
    (2, 5, 7, 6, 5, 3, 1, 1, 1, 5),  // depthwise 3x3
    (2, 4, 9, 11, 4, 5, 2, 2, 1, 4), // depthwise 5x5 stride 2
    (1, 3, 8, 8, 3, 3, 1, 2, 2, 3),  // dilated 3x3
    (2, 2, 10, 9, 2, 5, 2, 4, 2, 2), // dilated 5x5 stride 2
    (2, 6, 6, 5, 4, 3, 1, 1, 1, 2),  // grouped (2 groups)
    (3, 2, 4, 4, 3, 3, 2, 0, 1, 1),  // no padding, stride 2
    (1, 1, 1, 1, 1, 1, 1, 0, 1, 1),  // a single element
];

fn geom(c: Case, oh: usize, ow: usize) -> k::ConvGeom {
    let u = |v: usize| v as u64;
    k::ConvGeom {
        n: u(c.0),
        cin: u(c.1),
        h: u(c.2),
        w: u(c.3),
        cout: u(c.4),
        oh: u(oh),
        ow: u(ow),
        kh: u(c.5),
        kw: u(c.5),
        sy: u(c.6),
        sx: u(c.6),
        py: u(c.7),
        px: u(c.7),
        dy: u(c.8),
        dx: u(c.8),
        groups: u(c.9),
    }
}

#[test]
fn conv2d_exact_should_match_reference_backend_bit_for_bit() {
    if !ready() {
        return;
    }
    let mut checked = 0;
    for (i, &c) in CASES.iter().enumerate() {
        let (n, cin, h, w, cout, ks, s, p, d, groups) = c;
        let params = Conv2dParams {
            kernel: [ks, ks],
            stride: [s, s],
            padding: [p, p],
            dilation: [d, d],
            groups,
        };
        let x = rand_array(&format!("conv/x{i}"), Ix4(n, cin, h, w));
        let wt = rand_array(&format!("conv/w{i}"), Ix4(cout, cin / groups, ks, ks));
        let y = conv2d::conv2d_forward(&x, &wt, &params);
        let (_, _, oh, ow) = y.dim();
        let dy = rand_array(&format!("conv/dy{i}"), Ix4(n, cout, oh, ow));
        let dx = conv2d::conv2d_backward_data(&dy, &wt, &params, (h, w));
        let dw = conv2d::conv2d_backward_filter(&x, &dy, &params);
        let g = geom(c, oh, ow);
        let (xf, wf, dyf) = (flat(&x), flat(&wt), flat(&dy));
        let what = format!("conv2d case {i} {c:?}");
        for (grid, block) in [(1, 32), (5, 64)] {
            let mut ky = vec![f32::NAN; y.len()];
            let ky_ptr = ky.as_mut_ptr();
            k::launch(grid, block, || unsafe {
                k::conv2d_forward_exact_f32(xf.as_ptr(), wf.as_ptr(), ky_ptr, g)
            });
            checked += assert_bits(&format!("{what} forward"), &ky, &flat(&y));
            let mut kdx = vec![f32::NAN; dx.len()];
            let kdx_ptr = kdx.as_mut_ptr();
            k::launch(grid, block, || unsafe {
                k::conv2d_backward_data_exact_f32(dyf.as_ptr(), wf.as_ptr(), kdx_ptr, g)
            });
            checked += assert_bits(&format!("{what} backward_data"), &kdx, &flat(&dx));
            let mut kdw = vec![f32::NAN; dw.len()];
            let kdw_ptr = kdw.as_mut_ptr();
            k::launch(grid, block, || unsafe {
                k::conv2d_backward_filter_exact_f32(xf.as_ptr(), dyf.as_ptr(), kdw_ptr, g)
            });
            checked += assert_bits(&format!("{what} backward_filter"), &kdw, &flat(&dw));
        }
    }
    eprintln!(
        "conv2d exact: {checked} values bit-identical over {} cases",
        CASES.len()
    );
}
