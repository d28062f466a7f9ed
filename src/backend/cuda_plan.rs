//! The CUDA backend's decisions that need no GPU: launch shapes, the
//! `#[repr(C)]` parameter blocks the kernels take, the row-major → cuBLAS
//! mapping of a matrix product, and the choice of a deterministic cuDNN
//! algorithm.
//!
//! Why apart from `backend/cuda/`: that module only builds with the `cuda`
//! feature and only runs with a GPU; everything here is plain Rust, built in
//! every configuration, so `cargo test` checks it on every commit. The
//! device code calls these functions and adds nothing to what they decide.

use crate::ops::conv2d::Conv2dParams;

/// Threads per block of every grid-stride kernel.
pub const BLOCK: u32 = 256;
/// Threads per block of the block-order batch-norm reductions; must equal
/// `BN_BLOCK` in `kernels/batch_norm.cu` (a test checks it).
pub const BN_BLOCK: u32 = 256;
/// Most blocks a grid-stride launch uses (more elements loop).
pub const MAX_GRID: u32 = 1 << 16;

/// Blocks for a grid-stride kernel over `n` items: enough for one item per
/// thread, at least 1, at most [`MAX_GRID`]. The kernels' results do not
/// depend on it (the host tests vary it).
pub fn grid_for(n: usize) -> u32 {
    n.div_ceil(BLOCK as usize).clamp(1, MAX_GRID as usize) as u32
}

/// `struct ConvGeom` of `kernels/conv2d.cu`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConvGeom {
    pub n: u64,
    pub cin: u64,
    pub h: u64,
    pub w: u64,
    pub cout: u64,
    pub oh: u64,
    pub ow: u64,
    pub kh: u64,
    pub kw: u64,
    pub sy: u64,
    pub sx: u64,
    pub py: u64,
    pub px: u64,
    pub dy: u64,
    pub dx: u64,
    pub groups: u64,
}

impl ConvGeom {
    /// The geometry of a convolution of an `(n, cin, h, w)` input into
    /// `cout` channels (output size by PyTorch's formula, as the CPU).
    pub fn new(n: usize, cin: usize, hw: (usize, usize), cout: usize, p: &Conv2dParams) -> Self {
        let (oh, ow) = p.out_hw(hw.0, hw.1);
        let u = |v: usize| v as u64;
        ConvGeom {
            n: u(n),
            cin: u(cin),
            h: u(hw.0),
            w: u(hw.1),
            cout: u(cout),
            oh: u(oh),
            ow: u(ow),
            kh: u(p.kernel[0]),
            kw: u(p.kernel[1]),
            sy: u(p.stride[0]),
            sx: u(p.stride[1]),
            py: u(p.padding[0]),
            px: u(p.padding[1]),
            dy: u(p.dilation[0]),
            dx: u(p.dilation[1]),
            groups: u(p.groups),
        }
    }
}

/// `struct MatLayout` of `kernels/gemm.cu`: element `(r, c)` at
/// `data[r·rs + c·cs]` (the CPU's `MatRef` strides).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatLayout {
    pub rows: u64,
    pub cols: u64,
    pub rs: u64,
    pub cs: u64,
}

impl MatLayout {
    /// A contiguous row-major `rows × cols` matrix.
    pub fn row_major(rows: usize, cols: usize) -> Self {
        MatLayout {
            rows: rows as u64,
            cols: cols as u64,
            rs: cols as u64,
            cs: 1,
        }
    }

    /// The transpose (a stride swap).
    pub fn t(self) -> Self {
        MatLayout {
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// A cuBLAS `sgemm` call (column-major): `C' = op(A')·op(B')` with
/// `C'` `m × n`, leading dimensions as cuBLAS takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlasGemm {
    /// Operand order swapped: cuBLAS's A' is our B and its B' is our A.
    pub trans_a: bool,
    pub trans_b: bool,
    pub m: i32,
    pub n: i32,
    pub k: i32,
    pub lda: i32,
    pub ldb: i32,
    pub ldc: i32,
}

/// Maps the row-major product `C (m×n, contiguous) = A·B` onto one
/// column-major cuBLAS call: a row-major `C` is a column-major `Cᵀ`, and
/// `Cᵀ = Bᵀ·Aᵀ`, so cuBLAS multiplies our B by our A. An operand must have
/// one unit stride (row-major or a transposed view of one); `None` otherwise.
pub fn blas_gemm(a: MatLayout, b: MatLayout) -> Option<BlasGemm> {
    // As a column-major matrix, operand X (rows × cols) with cs == 1 is Xᵀ
    // stored with leading dimension rs: op = N on Xᵀ. With rs == 1, it is X
    // column-major with leading dimension cs: op = T gives Xᵀ.
    let op = |x: MatLayout| -> Option<(bool, i32)> {
        let ld = |v: u64| i32::try_from(v.max(1)).ok();
        if x.cs == 1 && x.rs >= x.cols {
            Some((false, ld(x.rs)?))
        } else if x.rs == 1 && x.cs >= x.rows {
            Some((true, ld(x.cs)?))
        } else {
            None
        }
    };
    if a.cols != b.rows {
        return None;
    }
    let (trans_a, lda) = op(b)?;
    let (trans_b, ldb) = op(a)?;
    let i = |v: u64| i32::try_from(v).ok();
    Some(BlasGemm {
        trans_a,
        trans_b,
        m: i(b.cols)?,
        n: i(a.rows)?,
        k: i(a.cols)?,
        lda,
        ldb,
        ldc: i(b.cols.max(1))?,
    })
}

/// One entry of a cuDNN `cudnnGet*Algorithm_v7` result list, reduced to
/// what the choice needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlgoPerf {
    /// The algorithm enum's value.
    pub algo: i32,
    /// `status == CUDNN_STATUS_SUCCESS`.
    pub ok: bool,
    /// `determinism == CUDNN_DETERMINISTIC`.
    pub deterministic: bool,
    /// Workspace bytes it needs.
    pub memory: usize,
    /// Its `mathType` is a tensor-op one (TF32 or down-conversion for f32
    /// data): never chosen (DESIGN 3.1.4: no TF32 unless asked for).
    pub tensor_op: bool,
}

/// The algorithm a convolution is pinned to (DESIGN 3.1.4): the first
/// entry of cuDNN's heuristic order that succeeded, is marked deterministic,
/// uses no tensor-op math and fits the workspace limit. cudarc's `pick_algorithm()` takes the first
/// entry whatever its determinism, which is what this replaces. `None` when
/// no deterministic algorithm fits (the caller reports the geometry).
pub fn choose_deterministic(perfs: &[AlgoPerf], max_workspace: usize) -> Option<AlgoPerf> {
    perfs
        .iter()
        .find(|p| p.ok && p.deterministic && !p.tensor_op && p.memory <= max_workspace)
        .copied()
}

/// The arithmetic name a CUDA backend hashes into a search's config record:
/// exact mode reproduces the CPU reference's chains bit for bit, so it
/// claims the CPU's name (its searches must end at the CPU's head); fast
/// mode has its own.
pub fn arithmetic_name(exact: bool) -> &'static str {
    if exact { "cpu-f32" } else { "cuda-f32" }
}

#[cfg(test)]
#[path = "cuda_plan_tests.rs"]
mod tests;
