use super::*;

/// Column-major sgemm as cuBLAS defines it (alpha 1, beta 0), naive.
fn col_major_sgemm(g: &BlasGemm, a: &[f64], b: &[f64]) -> Vec<f64> {
    let (m, n, k) = (g.m as usize, g.n as usize, g.k as usize);
    let (lda, ldb, ldc) = (g.lda as usize, g.ldb as usize, g.ldc as usize);
    // op(A')(i, p): A' stored column-major with leading dimension lda.
    let at = |i: usize, p: usize| {
        if g.trans_a {
            a[p + i * lda]
        } else {
            a[i + p * lda]
        }
    };
    let bt = |p: usize, j: usize| {
        if g.trans_b {
            b[j + p * ldb]
        } else {
            b[p + j * ldb]
        }
    };
    let mut c = vec![0.0; ldc * n];
    for j in 0..n {
        for i in 0..m {
            c[i + j * ldc] = (0..k).map(|p| at(i, p) * bt(p, j)).sum();
        }
    }
    c
}

#[test]
fn blas_mapping_computes_the_row_major_product_for_every_transposition() {
    let (m, k, n) = (3usize, 4usize, 5usize);
    let a_rm: Vec<f64> = (0..m * k).map(|v| v as f64 * 0.5 - 2.0).collect();
    let b_rm: Vec<f64> = (0..k * n).map(|v| (v as f64).sin()).collect();
    let want: Vec<f64> = (0..m * n)
        .map(|e| {
            (0..k)
                .map(|p| a_rm[(e / n) * k + p] * b_rm[p * n + e % n])
                .sum()
        })
        .collect();
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        // A stored transposed: the data is Aᵀ row-major (k × m), viewed as A.
        let (a_data, la) = if ta {
            let t: Vec<f64> = (0..k * m).map(|e| a_rm[(e % m) * k + e / m]).collect();
            (t, MatLayout::row_major(k, m).t())
        } else {
            (a_rm.clone(), MatLayout::row_major(m, k))
        };
        let (b_data, lb) = if tb {
            let t: Vec<f64> = (0..n * k).map(|e| b_rm[(e % k) * n + e / k]).collect();
            (t, MatLayout::row_major(n, k).t())
        } else {
            (b_rm.clone(), MatLayout::row_major(k, n))
        };
        let g = blas_gemm(la, lb).expect("mappable");
        // cuBLAS's first operand is our B, its second our A.
        let c = col_major_sgemm(&g, &b_data, &a_data);
        for (e, w) in want.iter().enumerate() {
            assert!(
                (c[e] - w).abs() < 1e-12,
                "ta={ta} tb={tb} element {e}: {} vs {w}",
                c[e]
            );
        }
    }
}

#[test]
fn blas_mapping_refuses_mismatched_or_unit_free_layouts() {
    assert_eq!(
        blas_gemm(MatLayout::row_major(2, 3), MatLayout::row_major(4, 5)),
        None
    );
    let odd = MatLayout {
        rows: 2,
        cols: 3,
        rs: 6,
        cs: 2,
    };
    assert_eq!(blas_gemm(odd, MatLayout::row_major(3, 5)), None);
}

#[test]
fn deterministic_choice_skips_the_heuristics_nondeterministic_favourite() {
    let p = |algo, ok, deterministic, memory, tensor_op| AlgoPerf {
        algo,
        ok,
        deterministic,
        memory,
        tensor_op,
    };
    // In heuristic order: the favourite is nondeterministic, the next failed,
    // the next is deterministic but TF32, then two fit different limits.
    let perfs = [
        p(6, true, false, 0, false),
        p(2, false, true, 0, false),
        p(7, true, true, 0, true),
        p(5, true, true, 1 << 30, false),
        p(1, true, true, 4096, false),
        p(0, true, true, 0, false),
    ];
    assert_eq!(
        choose_deterministic(&perfs, 1 << 20).map(|p| p.algo),
        Some(1)
    );
    assert_eq!(
        choose_deterministic(&perfs, 1 << 31).map(|p| p.algo),
        Some(5)
    );
    assert_eq!(choose_deterministic(&perfs[..3], 1 << 31), None);
}

#[test]
fn grid_covers_every_item_once_per_thread_and_stays_bounded() {
    assert_eq!(grid_for(0), 1);
    assert_eq!(grid_for(1), 1);
    assert_eq!(grid_for(256), 1);
    assert_eq!(grid_for(257), 2);
    assert_eq!(grid_for(usize::MAX / 2), MAX_GRID);
}

#[test]
fn bn_block_matches_the_kernel_source() {
    let src = include_str!("../../kernels/batch_norm.cu");
    assert!(src.contains(&format!("#define BN_BLOCK {BN_BLOCK}")));
}

#[test]
fn conv_geometry_uses_pytorchs_output_size() {
    let p = Conv2dParams {
        kernel: [5, 5],
        stride: [2, 2],
        padding: [4, 4],
        dilation: [2, 2],
        groups: 3,
    };
    let g = ConvGeom::new(2, 6, (9, 10), 6, &p);
    // (9 + 8 - 2*4 - 1)/2 + 1 = 5; (10 + 8 - 8 - 1)/2 + 1 = 5.
    assert_eq!((g.oh, g.ow, g.groups, g.dy), (5, 5, 3, 2));
}
