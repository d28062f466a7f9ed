//! The CUDA side of the PIRL NCE loss: `kernels/pirl_nce.cu`, whose opening comment
//! states how it follows the order documented in [`super`], and the
//! launches that run it on [`CudaBackend`](crate::backend::cuda::CudaBackend).
//! The memory bank stays on the host (`MemoryBank`); inputs are validated
//! there with the CPU's rules before anything is launched.
//!
//! The kernel source is registered in every build (`backend::cuda::kernels`
//! lists [`KERNEL`], so the default build checks the file); the launches
//! build only with the `cuda` feature.

use crate::backend::cuda::kernels::KernelSource;

/// `kernels/pirl_nce.cu` and its entry points.
pub const KERNEL: KernelSource = KernelSource {
    name: "pirl_nce",
    rust_op: "ops::pirl_nce",
    source: include_str!("../../../kernels/pirl_nce.cu"),
    entry_points: &[
        "pirl_bank_units_f32",
        "pirl_logits_f32",
        "nce_rows_f32",
        "pirl_dhat_f32",
        "pirl_bank_update_f32",
    ],
};

#[cfg(feature = "cuda")]
pub use launch::*;

#[cfg(feature = "cuda")]
mod launch {
    use cudarc::driver::CudaSlice;
    use ndarray::Array2;

    use crate::backend::cuda::{CudaBackend, GpuTensor};
    use crate::error::Result;
    use crate::invalid;
    use crate::ops::pirl_nce::{COSINE_EPS, MemoryBank, VIEW_LOSS_WEIGHT};
    use crate::ops::rows::cuda::{Normalized, mean_of, normalize, normalize_backward, positive};

    /// One NCE term's forward state.
    pub struct NceTerm {
        x: Normalized,
        probs: CudaSlice<f32>,
    }

    pub struct GpuPirlNceCache {
        view: NceTerm,
        original: NceTerm,
        units: CudaSlice<f32>,
        indices: CudaSlice<u64>,
        negatives: CudaSlice<u64>,
        k: usize,
        temperature: f32,
        bank_generation: u64,
    }

    /// Logits, row softmaxes and the mean loss of one NCE term.
    fn nce_term(b: &CudaBackend, x: &GpuTensor, c: &GpuPirlNceCache) -> (f32, NceTerm) {
        let (rows, d) = x.d2();
        let x = normalize(b, x, COSINE_EPS as f32);
        let slots = c.k + 1;
        let (mut scores, mut probs, mut rl) = (
            b.gpu.zeros::<f32>(rows * slots),
            b.gpu.zeros::<f32>(rows * slots),
            b.gpu.zeros::<f32>(rows),
        );
        let (bb, kk, dd, cols) = (rows as u64, c.k as u64, d as u64, slots as u64);
        b.gpu
            .launch("pirl_logits_f32", rows * slots)
            .arg(&x.hat.buf)
            .arg(&c.units)
            .arg(&c.indices)
            .arg(&c.negatives)
            .arg(&mut scores)
            .arg(&bb)
            .arg(&kk)
            .arg(&dd)
            .arg(&c.temperature)
            .go();
        b.gpu
            .launch("nce_rows_f32", rows)
            .arg(&scores)
            .arg(&mut probs)
            .arg(&mut rl)
            .arg(&bb)
            .arg(&cols)
            .go();
        (mean_of(b, &rl, rows), NceTerm { x, probs })
    }

    fn nce_backward(b: &CudaBackend, t: &NceTerm, c: &GpuPirlNceCache, scale: f32) -> GpuTensor {
        let (rows, d) = t.x.hat.d2();
        let mut dhat = b.zeros(&[rows, d]);
        let (bb, kk, dd) = (rows as u64, c.k as u64, d as u64);
        b.gpu
            .launch("pirl_dhat_f32", rows * d)
            .arg(&t.probs)
            .arg(&c.units)
            .arg(&c.indices)
            .arg(&c.negatives)
            .arg(&mut dhat.buf)
            .arg(&bb)
            .arg(&kk)
            .arg(&dd)
            .arg(&scale)
            .arg(&c.temperature)
            .go();
        normalize_backward(b, &t.x, &dhat, COSINE_EPS as f32)
    }

    fn empty_term(b: &CudaBackend) -> NceTerm {
        NceTerm {
            x: Normalized {
                hat: b.zeros(&[0]),
                norms: b.gpu.zeros(1),
            },
            probs: b.gpu.zeros(1),
        }
    }

    /// The bank stays on the host; its entries `S_j / c` (formed there, as
    /// the CPU forms them) are uploaded and normalised on the device.
    pub fn pirl_nce_forward(
        b: &CudaBackend,
        view: &GpuTensor,
        original: &GpuTensor,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<f32>,
        temperature: f32,
    ) -> Result<(f32, GpuPirlNceCache)> {
        let rows = indices.len();
        if rows == 0
            || view.d2() != (rows, bank.dim())
            || original.dims != view.dims
            || negatives.nrows() != rows
            || negatives.ncols() == 0
        {
            return Err(invalid!(
                "pirl nce: view {:?}, original {:?}, {rows} indices, negatives {:?}, bank width {}",
                view.dims,
                original.dims,
                negatives.shape(),
                bank.dim()
            ));
        }
        crate::ops::pirl_nce::check_indices(indices, negatives, bank.len())?;
        positive(temperature, "pirl nce")?;
        let (size, d) = (bank.len(), bank.dim());
        let entries: Vec<f32> = (0..size).flat_map(|j| bank.entry(j).to_vec()).collect();
        let entries = b.gpu.upload(&entries);
        let mut units = b.gpu.zeros::<f32>(size * d);
        let (sz, dd, one, eps) = (size as u64, d as u64, 1.0f32, COSINE_EPS as f32);
        b.gpu
            .launch("pirl_bank_units_f32", size)
            .arg(&entries)
            .arg(&one)
            .arg(&mut units)
            .arg(&sz)
            .arg(&dd)
            .arg(&eps)
            .go();
        let idx: Vec<u64> = indices.iter().map(|&v| v as u64).collect();
        let neg: Vec<u64> = negatives.iter().map(|&v| v as u64).collect();
        let mut c = GpuPirlNceCache {
            view: empty_term(b),
            original: empty_term(b),
            units,
            indices: b.gpu.upload(&idx),
            negatives: b.gpu.upload(&neg),
            k: negatives.ncols(),
            temperature,
            bank_generation: bank.generation(),
        };
        let (lv, tv) = nce_term(b, view, &c);
        let (lo, to) = nce_term(b, original, &c);
        (c.view, c.original) = (tv, to);
        let w = VIEW_LOSS_WEIGHT as f32;
        Ok((w * lv + (1.0 - w) * lo, c))
    }

    pub fn pirl_nce_backward(
        b: &CudaBackend,
        c: &GpuPirlNceCache,
        bank: &MemoryBank<f32>,
        dloss: f32,
    ) -> Result<(GpuTensor, GpuTensor)> {
        if bank.generation() != c.bank_generation {
            return Err(invalid!(
                "pirl nce backward: the memory bank changed since the forward pass"
            ));
        }
        let (w, batch) = (VIEW_LOSS_WEIGHT as f32, c.view.x.hat.d2().0 as f32);
        let dv = nce_backward(b, &c.view, c, w * dloss / batch);
        let dorig = nce_backward(b, &c.original, c, (1.0 - w) * dloss / batch);
        Ok((dv, dorig))
    }
}
