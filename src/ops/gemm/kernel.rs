//! The register-tiled gemm: an `MR × NR` block of accumulators lives in a
//! local array so LLVM keeps it in vector registers and vectorises the fma
//! over `j`.
//!
//! A stored row-major (`col_stride == 1`: the weights of a forward
//! convolution, the image of a filter gradient) is read in place, `MR` rows
//! at its row stride; only a ragged last panel of `MR` rows is packed. Any
//! other A is packed into panels of `MR` rows. Packing the weights again for
//! every image, or an image for one use per B panel, cost as much as the
//! multiply-adds it fed.
//!
//! B is read in place when its rows are contiguous (`col_stride == 1`: the
//! forward and backward-data products of a convolution), `NR` values per
//! depth step at the row stride; only a ragged last panel is copied. Packing
//! such a B would cost as much as the arithmetic when `m` is small (a DARTS
//! 1×1 convolution has 16–64 output rows). A B stored column-major (the
//! backward-filter product) is packed by block transposes
//! ([`crate::ops::transpose`]).
//!
//! Loop nest: `jc` (columns, `NC`) → `pc` (depth, `KC`) → rayon over row
//! blocks of C (`mc` rows) → `jr` (B panels) → `ir` (A panels) → micro-kernel
//! over `p` ascending. Each accumulator block is loaded from C and stored back,
//! so across `pc` blocks every element's chain continues in `k` order. None of
//! the choices above (packing or not, block sizes) touches any chain's order.

use super::MatRef;
use crate::real::Real;
use rayon::prelude::*;

/// Depth of one packed block (the `k` extent kept in cache).
const KC: usize = 256;
/// Columns of C handled per pass over the depth.
const NC: usize = 2048;
/// Largest row block of C one task handles.
const MC_MAX: usize = 96;

/// Where the micro-kernel reads A from.
#[derive(Clone, Copy)]
enum ASource<'a, T> {
    /// Packed panels, `kc × MR` each, depth-major.
    Packed(&'a [T]),
    /// In place (A stored row-major): element `(r, p)` of the block at
    /// `data[r * ld + p]` for the first `full` rows (whole panels); the
    /// rows after them are the packed panel `tail`.
    Rows {
        data: &'a [T],
        ld: usize,
        full: usize,
        tail: &'a [T],
    },
}

/// Where the micro-kernel reads B from.
#[derive(Clone, Copy)]
enum BSource<'a, T> {
    /// Packed panels, `kc × NR` each, depth-major.
    Packed(&'a [T]),
    /// In place: element `(p, j)` of the block at `data[p * ld + j]`.
    Direct { data: &'a [T], ld: usize },
}

pub(super) fn gemm_packed<T: Real, const MR: usize, const NR: usize, const WIDE: bool>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    c: &mut [T],
    accumulate: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    // Row block per task: enough tasks to share the work, at most MC_MAX.
    // The block size only changes speed, never any element's order.
    let tasks = 4 * rayon::current_num_threads();
    let mc = (m.div_ceil(tasks).div_ceil(MR) * MR).clamp(MR, MC_MAX);
    let direct = b.col_stride == 1;
    let mut bpack: Vec<T> = Vec::new();
    for jc in (0..n).step_by(NC) {
        let nc = NC.min(n - jc);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            let bsrc = if direct {
                let start = pc * b.row_stride + jc;
                BSource::Direct {
                    data: &b.data[start..],
                    ld: b.row_stride,
                }
            } else {
                pack_b::<T, NR>(b, pc, kc, jc, nc, &mut bpack);
                BSource::Packed(&bpack[..])
            };
            c.par_chunks_mut(mc * n).enumerate().for_each_init(
                || (Vec::new(), Vec::new()),
                |(apack, edge): &mut (Vec<T>, Vec<T>), (blk, cblk)| {
                    let i0 = blk * mc;
                    let rows = cblk.len() / n;
                    let asrc = if a.col_stride == 1 {
                        // Rows read in place; only a ragged last panel is packed.
                        let full = rows / MR * MR;
                        pack_a::<T, MR>(a, i0 + full, rows - full, pc, kc, apack);
                        ASource::Rows {
                            data: &a.data[i0 * a.row_stride + pc..],
                            ld: a.row_stride,
                            full,
                            tail: &apack[..],
                        }
                    } else {
                        pack_a::<T, MR>(a, i0, rows, pc, kc, apack);
                        ASource::Packed(&apack[..])
                    };
                    let tile = Tile {
                        kc,
                        rows,
                        cols: nc,
                        ldc: n,
                        load_c: accumulate || pc > 0,
                    };
                    block::<T, MR, NR, WIDE>(asrc, bsrc, edge, tile, &mut cblk[jc..]);
                },
            );
        }
    }
}

/// Extents of one block: depth, rows and columns of C, and C's row stride.
#[derive(Clone, Copy)]
struct Tile {
    kc: usize,
    rows: usize,
    cols: usize,
    ldc: usize,
    /// Continue the chains from C (else they start from +0).
    load_c: bool,
}

/// Runs the micro-kernel over every (B panel, A panel) pair of one block.
/// `c` starts at the block's top-left element. `edge` holds a copy of a
/// ragged in-place B panel, zero-padded to `NR` columns.
fn block<T: Real, const MR: usize, const NR: usize, const WIDE: bool>(
    a: ASource<'_, T>,
    b: BSource<'_, T>,
    edge: &mut Vec<T>,
    t: Tile,
    c: &mut [T],
) {
    for jp in 0..t.cols.div_ceil(NR) {
        let j0 = jp * NR;
        let nr = NR.min(t.cols - j0);
        let (bpanel, ldb): (&[T], usize) = match b {
            BSource::Packed(p) => (&p[jp * t.kc * NR..][..t.kc * NR], NR),
            BSource::Direct { data, ld } if nr == NR => (&data[j0..], ld),
            BSource::Direct { data, ld } => {
                edge.clear();
                edge.resize(t.kc * NR, T::ZERO);
                for (p, row) in edge.chunks_exact_mut(NR).enumerate() {
                    row[..nr].copy_from_slice(&data[p * ld + j0..][..nr]);
                }
                (&edge[..], NR)
            }
        };
        for ip in 0..t.rows.div_ceil(MR) {
            let i0 = ip * MR;
            let mr = MR.min(t.rows - i0);
            let cc = &mut c[i0 * t.ldc + j0..];
            let apanel = match a {
                ASource::Packed(p) => APanel::Packed(&p[ip * t.kc * MR..][..t.kc * MR]),
                ASource::Rows { data, ld, full, .. } if i0 < full => {
                    APanel::Rows(&data[i0 * ld..], ld)
                }
                ASource::Rows { full, tail, .. } => {
                    APanel::Packed(&tail[(i0 - full) / MR * t.kc * MR..][..t.kc * MR])
                }
            };
            if WIDE {
                wide::<T, MR, NR>(apanel, (bpanel, ldb), t, cc, mr, nr);
            } else {
                micro::<T, MR, NR>(apanel, (bpanel, ldb), t, cc, mr, nr);
            }
        }
    }
}

/// One `MR`-row panel of A: packed (`MR` values per depth step) or `MR`
/// rows read in place at a row stride.
#[derive(Clone, Copy)]
enum APanel<'a, T> {
    Packed(&'a [T]),
    Rows(&'a [T], usize),
}

/// `MR × NR` accumulators: load from C (or +0), fma over the panel depth, store back.
#[inline(always)]
fn micro<T: Real, const MR: usize, const NR: usize>(
    a: APanel<'_, T>,
    (bp, ldb): (&[T], usize),
    t: Tile,
    c: &mut [T],
    mr: usize,
    nr: usize,
) {
    let ldc = t.ldc;
    let mut tile = [[T::ZERO; NR]; MR];
    // Whole rows as fixed-size copies (vector moves, no memcpy call).
    if t.load_c {
        for (r, row) in tile.iter_mut().enumerate().take(mr) {
            if nr == NR {
                *row = c[r * ldc..r * ldc + NR].try_into().expect("NR");
            } else {
                row[..nr].copy_from_slice(&c[r * ldc..r * ldc + nr]);
            }
        }
    }
    match a {
        APanel::Packed(ap) => fma_panel::<T, MR, NR>(ap, bp, ldb, t.kc, &mut tile),
        APanel::Rows(ar, lda) => fma_rows::<T, MR, NR>(ar, lda, bp, ldb, t.kc, &mut tile),
    }
    for (r, row) in tile.iter().enumerate().take(mr) {
        if nr == NR {
            let dst: &mut [T; NR] = (&mut c[r * ldc..r * ldc + NR]).try_into().expect("NR");
            *dst = *row;
        } else {
            c[r * ldc..r * ldc + nr].copy_from_slice(&row[..nr]);
        }
    }
}

/// [`micro`] on the AVX-512 kernel ([`super::avx512`]): the same chains,
/// operands and order, C read and written in place with lane masks.
#[cfg(target_arch = "x86_64")]
fn wide<T: Real, const MR: usize, const NR: usize>(
    a: APanel<'_, T>,
    (bp, ldb): (&[T], usize),
    t: Tile,
    c: &mut [T],
    mr: usize,
    nr: usize,
) {
    use super::avx512;
    assert!(T::BYTES == 4 && (NR == 16 || NR == 32) && mr <= MR && nr <= NR && mr * nr > 0);
    assert!(std::arch::is_x86_feature_detected!("avx512f"));
    let kc = t.kc;
    let (a, a_row, a_depth) = match a {
        APanel::Packed(ap) => {
            assert!(ap.len() >= kc * MR);
            (ap, 1, MR)
        }
        APanel::Rows(ar, lda) => {
            assert!(kc == 0 || ar.len() >= (MR - 1) * lda + kc);
            (ar, lda, 1)
        }
    };
    assert!(kc == 0 || bp.len() >= (kc - 1) * ldb + NR);
    assert!(c.len() >= (mr - 1) * t.ldc + nr);
    let o = avx512::Operands {
        a: a.as_ptr().cast(),
        a_row,
        a_depth,
        b: bp.as_ptr().cast(),
        ldb,
        kc,
        c: c.as_mut_ptr().cast(),
        ldc: t.ldc,
        mr,
        nr,
        load_c: t.load_c,
    };
    // SAFETY of the call: AVX-512F is present and T is f32 (both checked
    // above); every address `o` describes is within the slices checked above
    // (A: MR rows × kc, B: kc rows × NR, C: mr rows × nr), and C is borrowed
    // mutably, so it overlaps neither A nor B.
    unsafe {
        if NR == 32 {
            avx512::block::<MR, 2>(&o);
        } else {
            avx512::block::<MR, 1>(&o);
        }
    }
}

/// Not reached off x86_64 (the caller picks `WIDE` only after detecting AVX-512).
#[cfg(not(target_arch = "x86_64"))]
fn wide<T: Real, const MR: usize, const NR: usize>(
    a: APanel<'_, T>,
    b: (&[T], usize),
    t: Tile,
    c: &mut [T],
    mr: usize,
    nr: usize,
) {
    micro::<T, MR, NR>(a, b, t, c, mr, nr);
}

/// [`fma_panel`] with A's `MR` rows read in place, row `r` at `ar[r * lda..]`:
/// the same chains, operands and order.
#[inline(never)]
fn fma_rows<T: Real, const MR: usize, const NR: usize>(
    ar: &[T],
    lda: usize,
    bp: &[T],
    ldb: usize,
    kc: usize,
    tile: &mut [[T; NR]; MR],
) {
    assert!(kc == 0 || bp.len() >= (kc - 1) * ldb + NR);
    let rows: [&[T]; MR] = std::array::from_fn(|r| &ar[r * lda..][..kc]);
    let mut acc = *tile;
    for p in 0..kc {
        let bv: &[T; NR] = bp[p * ldb..p * ldb + NR].try_into().expect("NR");
        for r in 0..MR {
            let x = rows[r][p];
            for j in 0..NR {
                acc[r][j] = x.mul_add(bv[j], acc[r][j]);
            }
        }
    }
    *tile = acc;
}

/// The register block: `tile[r][j] = ap[p][r].mul_add(b[p][j], tile[r][j])`
/// for `p` ascending, B's row `p` at `bp[p * ldb..]`. Kept out of line so the
/// accumulators stay in registers.
#[inline(never)]
fn fma_panel<T: Real, const MR: usize, const NR: usize>(
    ap: &[T],
    bp: &[T],
    ldb: usize,
    kc: usize,
    tile: &mut [[T; NR]; MR],
) {
    assert!(ap.len() >= kc * MR && (kc == 0 || bp.len() >= (kc - 1) * ldb + NR));
    let mut acc = *tile;
    for (p, av) in ap.chunks_exact(MR).take(kc).enumerate() {
        let av: &[T; MR] = av.try_into().expect("MR");
        let bv: &[T; NR] = bp[p * ldb..p * ldb + NR].try_into().expect("NR");
        for r in 0..MR {
            let x = av[r];
            for j in 0..NR {
                acc[r][j] = x.mul_add(bv[j], acc[r][j]);
            }
        }
    }
    *tile = acc;
}

/// Packs rows `r0..r0+mr` (`mr <= R`), depth `p0..p0+kc` of `m` into one
/// panel of `R` rows stored depth-major (`R` values per depth step), reading
/// along `m`'s contiguous axis. The padding rows are left as they are (zero).
fn pack_panel<T: Real, const R: usize>(
    m: MatRef<'_, T>,
    (r0, mr): (usize, usize),
    p0: usize,
    panel: &mut [T],
) {
    if m.row_stride == 1 {
        // R rows are contiguous at each depth step.
        for (p, dst) in panel.chunks_exact_mut(R).enumerate() {
            let base = r0 + (p0 + p) * m.col_stride;
            dst[..mr].copy_from_slice(&m.data[base..base + mr]);
        }
    } else if m.col_stride == 1 {
        // Each row is contiguous along the depth: a block transpose.
        let kc = panel.len() / R;
        let src = &m.data[r0 * m.row_stride + p0..];
        crate::ops::transpose::rows_to_interleaved::<T, R>(src, m.row_stride, mr, kc, panel);
    } else {
        let kc = panel.len() / R;
        for r in 0..mr {
            let base = (r0 + r) * m.row_stride + p0 * m.col_stride;
            for p in 0..kc {
                panel[p * R + r] = m.data[base + p * m.col_stride];
            }
        }
    }
}

/// Packs rows `i0..i0+rows`, depth `p0..p0+kc` of A as panels of `MR` rows,
/// zero-padded.
fn pack_a<T: Real, const MR: usize>(
    a: MatRef<'_, T>,
    i0: usize,
    rows: usize,
    p0: usize,
    kc: usize,
    out: &mut Vec<T>,
) {
    out.clear();
    out.resize(rows.div_ceil(MR) * kc * MR, T::ZERO);
    for (ip, panel) in out.chunks_exact_mut(kc * MR).enumerate() {
        let mr = MR.min(rows - ip * MR);
        pack_panel::<T, MR>(a, (i0 + ip * MR, mr), p0, panel);
    }
}

/// Packs depth `p0..p0+kc`, columns `j0..j0+cols` of a B whose columns are
/// not contiguous as panels of `NR` columns, zero-padded: the panels of Bᵀ's
/// rows, packed in parallel (this runs outside the row-block tasks).
fn pack_b<T: Real, const NR: usize>(
    b: MatRef<'_, T>,
    p0: usize,
    kc: usize,
    j0: usize,
    cols: usize,
    out: &mut Vec<T>,
) {
    out.clear();
    out.resize(cols.div_ceil(NR) * kc * NR, T::ZERO);
    out.par_chunks_mut(kc * NR)
        .enumerate()
        .for_each(|(jp, panel)| {
            let nr = NR.min(cols - jp * NR);
            pack_panel::<T, NR>(b.t(), (j0 + jp * NR, nr), p0, panel);
        });
}
