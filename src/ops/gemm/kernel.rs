//! The packed, register-tiled gemm: panels of A (`MR` rows) and B (`NR`
//! columns) are copied into contiguous buffers, and an `MR × NR` block of
//! accumulators lives in a local array so LLVM keeps it in vector registers
//! and vectorises the fma over `j`.
//!
//! Loop nest: `jc` (columns, `NC`) → `pc` (depth, `KC`) → rayon over row
//! blocks of C (`mc` rows) → `jr` (B panels) → `ir` (A panels) → micro-kernel
//! over `p` ascending. Each accumulator block is loaded from C and stored back,
//! so across `pc` blocks every element's chain continues in `k` order.

use super::MatRef;
use crate::real::Real;
use rayon::prelude::*;

/// Depth of one packed block (the `k` extent kept in cache).
const KC: usize = 256;
/// Columns of C handled per pass over the depth.
const NC: usize = 2048;
/// Largest row block of C one task handles.
const MC_MAX: usize = 96;

pub(super) fn gemm_packed<T: Real, const MR: usize, const NR: usize>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: &mut [T],
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    // Row block per task: enough tasks to share the work, at most MC_MAX.
    // The block size only changes speed, never any element's order.
    let tasks = 4 * rayon::current_num_threads();
    let mc = (m.div_ceil(tasks).div_ceil(MR) * MR).clamp(MR, MC_MAX);
    let mut bpack: Vec<T> = Vec::new();
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            pack_b::<T, NR>(b, pc, kc, jc, nc, &mut bpack);
            let bp = &bpack[..];
            c.par_chunks_mut(mc * n).enumerate().for_each_init(
                Vec::new,
                |apack: &mut Vec<T>, (blk, cblk)| {
                    let i0 = blk * mc;
                    let rows = cblk.len() / n;
                    pack_a::<T, MR>(a, i0, rows, pc, kc, apack);
                    block::<T, MR, NR>(apack, bp, kc, rows, nc, &mut cblk[jc..], n);
                },
            );
        }
    }
}

/// Runs the micro-kernel over every (B panel, A panel) pair of one block.
/// `c` starts at the block's top-left element; `ldc` is its row stride.
fn block<T: Real, const MR: usize, const NR: usize>(
    ap: &[T],
    bp: &[T],
    kc: usize,
    rows: usize,
    cols: usize,
    c: &mut [T],
    ldc: usize,
) {
    for (jp, bpanel) in bp.chunks_exact(kc * NR).enumerate() {
        let j0 = jp * NR;
        let nr = NR.min(cols - j0);
        for (ip, apanel) in ap.chunks_exact(kc * MR).enumerate() {
            let i0 = ip * MR;
            let mr = MR.min(rows - i0);
            micro::<T, MR, NR>(apanel, bpanel, &mut c[i0 * ldc + j0..], ldc, mr, nr);
        }
    }
}

/// `MR × NR` accumulators: load from C, fma over the panel depth, store back.
#[inline(always)]
fn micro<T: Real, const MR: usize, const NR: usize>(
    ap: &[T],
    bp: &[T],
    c: &mut [T],
    ldc: usize,
    mr: usize,
    nr: usize,
) {
    let mut tile = [[T::ZERO; NR]; MR];
    for (r, row) in tile.iter_mut().enumerate().take(mr) {
        row[..nr].copy_from_slice(&c[r * ldc..r * ldc + nr]);
    }
    fma_panel::<T, MR, NR>(ap, bp, &mut tile);
    for (r, row) in tile.iter().enumerate().take(mr) {
        c[r * ldc..r * ldc + nr].copy_from_slice(&row[..nr]);
    }
}

/// The register block: `tile[r][j] = ap[p][r].mul_add(bp[p][j], tile[r][j])`
/// for `p` ascending. Kept out of line so the accumulators stay in registers.
#[inline(never)]
fn fma_panel<T: Real, const MR: usize, const NR: usize>(
    ap: &[T],
    bp: &[T],
    tile: &mut [[T; NR]; MR],
) {
    let mut acc = *tile;
    for (av, bv) in ap.chunks_exact(MR).zip(bp.chunks_exact(NR)) {
        let av: &[T; MR] = av.try_into().expect("MR");
        let bv: &[T; NR] = bv.try_into().expect("NR");
        for r in 0..MR {
            let x = av[r];
            for j in 0..NR {
                acc[r][j] = x.mul_add(bv[j], acc[r][j]);
            }
        }
    }
    *tile = acc;
}

/// Packs rows `i0..i0+rows`, depth `p0..p0+kc` of A as panels of `MR` rows,
/// each stored depth-major (`MR` values per depth step), zero-padded.
fn pack_a<T: Real, const MR: usize>(
    a: MatRef<'_, T>,
    i0: usize,
    rows: usize,
    p0: usize,
    kc: usize,
    out: &mut Vec<T>,
) {
    let panels = rows.div_ceil(MR);
    out.clear();
    out.resize(panels * kc * MR, T::ZERO);
    for (ip, panel) in out.chunks_exact_mut(kc * MR).enumerate() {
        let r0 = ip * MR;
        for r in 0..MR.min(rows - r0) {
            let base = (i0 + r0 + r) * a.row_stride + p0 * a.col_stride;
            for p in 0..kc {
                panel[p * MR + r] = a.data[base + p * a.col_stride];
            }
        }
    }
}

/// Packs depth `p0..p0+kc`, columns `j0..j0+cols` of B as panels of `NR`
/// columns, each stored depth-major (`NR` values per depth step), zero-padded.
fn pack_b<T: Real, const NR: usize>(
    b: MatRef<'_, T>,
    p0: usize,
    kc: usize,
    j0: usize,
    cols: usize,
    out: &mut Vec<T>,
) {
    let panels = cols.div_ceil(NR);
    out.clear();
    out.resize(panels * kc * NR, T::ZERO);
    out.par_chunks_mut(kc * NR)
        .enumerate()
        .for_each(|(jp, panel)| {
            let c0 = j0 + jp * NR;
            let nr = NR.min(cols - jp * NR);
            for p in 0..kc {
                let base = (p0 + p) * b.row_stride + c0 * b.col_stride;
                let dst = &mut panel[p * NR..p * NR + nr];
                if b.col_stride == 1 {
                    dst.copy_from_slice(&b.data[base..base + nr]);
                } else {
                    for (j, d) in dst.iter_mut().enumerate() {
                        *d = b.data[base + j * b.col_stride];
                    }
                }
            }
        });
}
