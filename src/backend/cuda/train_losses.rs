//! The losses on the CUDA backend: NT-Xent, the PIRL NCE and cross-entropy,
//! on `kernels/{rows,nt_xent,pirl_nce,cross_entropy}.cu` in both modes
//! (bit-identical to the CPU, proven on the host). Inputs are validated on
//! the host with the CPU's rules before anything is launched.

use cudarc::driver::CudaSlice;
use ndarray::Array2;

use super::super::runtime::go;
use super::super::tensor::{CudaBackend, GpuTensor};
use crate::backend::ops::LossOps;
use crate::error::Result;
use crate::invalid;
use crate::ops::nt_xent::NORMALIZE_EPS;
use crate::ops::pirl_nce::{COSINE_EPS, MemoryBank, VIEW_LOSS_WEIGHT};

/// Row-normalised features and their norms.
pub struct Normalized {
    hat: GpuTensor,
    norms: CudaSlice<f32>,
}

pub struct GpuNtXentCache {
    z: Normalized,
    probs: CudaSlice<f32>,
    temperature: f32,
}

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

pub struct GpuCrossEntropyCache {
    probs: CudaSlice<f32>,
    labels: CudaSlice<u64>,
    dims: (usize, usize),
    smoothing: f32,
}

impl CudaBackend {
    fn normalize(&self, x: &GpuTensor, eps: f32) -> Normalized {
        let (rows, d) = x.d2();
        let mut hat = self.zeros(&[rows, d]);
        let mut norms = self.gpu.zeros::<f32>(rows);
        let (r, dd) = (rows as u64, d as u64);
        let name = "rows_normalize_f32";
        go(
            rows,
            name,
            self.gpu
                .kernel(name)
                .arg(&x.buf)
                .arg(&mut hat.buf)
                .arg(&mut norms)
                .arg(&r)
                .arg(&dd)
                .arg(&eps),
        );
        Normalized { hat, norms }
    }

    fn normalize_backward(&self, n: &Normalized, dhat: &GpuTensor, eps: f32) -> GpuTensor {
        let (rows, d) = n.hat.d2();
        let mut dx = self.zeros(&[rows, d]);
        let (r, dd) = (rows as u64, d as u64);
        let name = "rows_normalize_backward_f32";
        go(
            rows,
            name,
            self.gpu
                .kernel(name)
                .arg(&n.hat.buf)
                .arg(&n.norms)
                .arg(&dhat.buf)
                .arg(&mut dx.buf)
                .arg(&r)
                .arg(&dd)
                .arg(&eps),
        );
        dx
    }

    /// `(+0 + v_0 + …) / divisor`, downloaded.
    fn mean_of(&self, v: &CudaSlice<f32>, n: usize) -> f32 {
        let mut out = self.gpu.zeros::<f32>(1);
        let (len, div) = (n as u64, n as f32);
        let name = "sum_div_f32";
        go(
            1,
            name,
            self.gpu
                .kernel(name)
                .arg(v)
                .arg(&len)
                .arg(&div)
                .arg(&mut out),
        );
        self.scalar(&out)
    }

    /// Logits, row softmaxes and the mean loss of one NCE term.
    fn nce_term(&self, x: &GpuTensor, c: &GpuPirlNceCache) -> (f32, NceTerm) {
        let (b, d) = x.d2();
        let x = self.normalize(x, COSINE_EPS as f32);
        let slots = c.k + 1;
        let (mut scores, mut probs, mut rl) = (
            self.gpu.zeros::<f32>(b * slots),
            self.gpu.zeros::<f32>(b * slots),
            self.gpu.zeros::<f32>(b),
        );
        let (bb, kk, dd, cols) = (b as u64, c.k as u64, d as u64, slots as u64);
        let name = "pirl_logits_f32";
        go(
            b * slots,
            name,
            self.gpu
                .kernel(name)
                .arg(&x.hat.buf)
                .arg(&c.units)
                .arg(&c.indices)
                .arg(&c.negatives)
                .arg(&mut scores)
                .arg(&bb)
                .arg(&kk)
                .arg(&dd)
                .arg(&c.temperature),
        );
        let name = "nce_rows_f32";
        go(
            b,
            name,
            self.gpu
                .kernel(name)
                .arg(&scores)
                .arg(&mut probs)
                .arg(&mut rl)
                .arg(&bb)
                .arg(&cols),
        );
        (self.mean_of(&rl, b), NceTerm { x, probs })
    }

    fn nce_backward(&self, t: &NceTerm, c: &GpuPirlNceCache, scale: f32) -> GpuTensor {
        let (b, d) = t.x.hat.d2();
        let mut dhat = self.zeros(&[b, d]);
        let (bb, kk, dd) = (b as u64, c.k as u64, d as u64);
        let name = "pirl_dhat_f32";
        go(
            b * d,
            name,
            self.gpu
                .kernel(name)
                .arg(&t.probs)
                .arg(&c.units)
                .arg(&c.indices)
                .arg(&c.negatives)
                .arg(&mut dhat.buf)
                .arg(&bb)
                .arg(&kk)
                .arg(&dd)
                .arg(&scale)
                .arg(&c.temperature),
        );
        self.normalize_backward(&t.x, &dhat, COSINE_EPS as f32)
    }
}

fn positive(t: f32, what: &str) -> Result<()> {
    if t.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater) {
        Ok(())
    } else {
        Err(invalid!("{what}: temperature must be > 0, got {t}"))
    }
}

impl LossOps for CudaBackend {
    type NtXentCache = GpuNtXentCache;
    type PirlNceCache = GpuPirlNceCache;
    type CrossEntropyCache = GpuCrossEntropyCache;

    fn nt_xent_forward(&self, z: &GpuTensor, temperature: f32) -> Result<(f32, GpuNtXentCache)> {
        let (rows, d) = z.d2();
        if rows < 4 || !rows.is_multiple_of(2) || d == 0 {
            return Err(invalid!(
                "nt_xent: z must be (2N, D) with N ≥ 2 and D ≥ 1, got {:?}",
                z.dims
            ));
        }
        positive(temperature, "nt_xent")?;
        let zn = self.normalize(z, NORMALIZE_EPS as f32);
        let (mut sim, mut probs, mut rl) = (
            self.gpu.zeros::<f32>(rows * rows),
            self.gpu.zeros::<f32>(rows * rows),
            self.gpu.zeros::<f32>(rows),
        );
        let (r, dd) = (rows as u64, d as u64);
        let name = "nt_xent_sim_f32";
        go(
            rows * rows,
            name,
            self.gpu
                .kernel(name)
                .arg(&zn.hat.buf)
                .arg(&mut sim)
                .arg(&r)
                .arg(&dd)
                .arg(&temperature),
        );
        let name = "nt_xent_rows_f32";
        go(
            rows,
            name,
            self.gpu
                .kernel(name)
                .arg(&sim)
                .arg(&mut probs)
                .arg(&mut rl)
                .arg(&r),
        );
        let loss = self.mean_of(&rl, rows);
        Ok((
            loss,
            GpuNtXentCache {
                z: zn,
                probs,
                temperature,
            },
        ))
    }

    fn nt_xent_backward(&self, c: &GpuNtXentCache, dloss: f32) -> GpuTensor {
        let (rows, d) = c.z.hat.d2();
        let scale = dloss / rows as f32;
        let mut g = self.gpu.zeros::<f32>(rows * rows);
        let (r, dd) = (rows as u64, d as u64);
        let name = "nt_xent_grad_f32";
        go(
            rows * rows,
            name,
            self.gpu
                .kernel(name)
                .arg(&c.probs)
                .arg(&mut g)
                .arg(&r)
                .arg(&scale),
        );
        let mut dzh = self.zeros(&[rows, d]);
        let name = "nt_xent_dzhat_f32";
        go(
            rows * d,
            name,
            self.gpu
                .kernel(name)
                .arg(&g)
                .arg(&c.z.hat.buf)
                .arg(&mut dzh.buf)
                .arg(&r)
                .arg(&dd)
                .arg(&c.temperature),
        );
        self.normalize_backward(&c.z, &dzh, NORMALIZE_EPS as f32)
    }

    /// The bank stays on the host; its entries `S_j / c` (formed there, as
    /// the CPU forms them) are uploaded and normalised on the device.
    fn pirl_nce_forward(
        &self,
        view: &GpuTensor,
        original: &GpuTensor,
        indices: &[usize],
        negatives: &Array2<usize>,
        bank: &MemoryBank<f32>,
        temperature: f32,
    ) -> Result<(f32, GpuPirlNceCache)> {
        let b = indices.len();
        if b == 0
            || view.d2() != (b, bank.dim())
            || original.dims != view.dims
            || negatives.nrows() != b
            || negatives.ncols() == 0
        {
            return Err(invalid!(
                "pirl nce: view {:?}, original {:?}, {b} indices, negatives {:?}, bank width {}",
                view.dims,
                original.dims,
                negatives.shape(),
                bank.dim()
            ));
        }
        for (i, &own) in indices.iter().enumerate() {
            if own >= bank.len()
                || negatives
                    .row(i)
                    .iter()
                    .any(|&j| j >= bank.len() || j == own)
            {
                return Err(invalid!(
                    "pirl nce: row {i} has an index outside the bank or its own image as a negative"
                ));
            }
        }
        positive(temperature, "pirl nce")?;
        let (size, d) = (bank.len(), bank.dim());
        let entries: Vec<f32> = (0..size).flat_map(|j| bank.entry(j).to_vec()).collect();
        let entries = self.gpu.upload(&entries);
        let mut units = self.gpu.zeros::<f32>(size * d);
        let (sz, dd, one, eps) = (size as u64, d as u64, 1.0f32, COSINE_EPS as f32);
        let name = "pirl_bank_units_f32";
        go(
            size,
            name,
            self.gpu
                .kernel(name)
                .arg(&entries)
                .arg(&one)
                .arg(&mut units)
                .arg(&sz)
                .arg(&dd)
                .arg(&eps),
        );
        let idx: Vec<u64> = indices.iter().map(|&v| v as u64).collect();
        let neg: Vec<u64> = negatives.iter().map(|&v| v as u64).collect();
        let mut c = GpuPirlNceCache {
            view: NceTerm {
                x: Normalized {
                    hat: self.zeros(&[0]),
                    norms: self.gpu.zeros(1),
                },
                probs: self.gpu.zeros(1),
            },
            original: NceTerm {
                x: Normalized {
                    hat: self.zeros(&[0]),
                    norms: self.gpu.zeros(1),
                },
                probs: self.gpu.zeros(1),
            },
            units,
            indices: self.gpu.upload(&idx),
            negatives: self.gpu.upload(&neg),
            k: negatives.ncols(),
            temperature,
            bank_generation: bank.generation(),
        };
        let (lv, tv) = self.nce_term(view, &c);
        let (lo, to) = self.nce_term(original, &c);
        (c.view, c.original) = (tv, to);
        let w = VIEW_LOSS_WEIGHT as f32;
        Ok((w * lv + (1.0 - w) * lo, c))
    }

    fn pirl_nce_backward(
        &self,
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
        let dv = self.nce_backward(&c.view, c, w * dloss / batch);
        let dorig = self.nce_backward(&c.original, c, (1.0 - w) * dloss / batch);
        Ok((dv, dorig))
    }

    fn cross_entropy_forward(
        &self,
        logits: &GpuTensor,
        labels: &[usize],
        smoothing: f32,
    ) -> Result<(f32, GpuCrossEntropyCache)> {
        let (n, k) = logits.d2();
        if n == 0 || k == 0 || labels.len() != n {
            return Err(invalid!(
                "cross_entropy: logits {:?} and {} labels do not fit",
                logits.dims,
                labels.len()
            ));
        }
        if let Some(&bad) = labels.iter().find(|&&y| y >= k) {
            return Err(invalid!(
                "cross_entropy: label {bad} out of range for {k} classes"
            ));
        }
        if !(0.0..=1.0).contains(&smoothing) {
            return Err(invalid!(
                "cross_entropy: label smoothing must be in [0, 1], got {smoothing}"
            ));
        }
        let lab: Vec<u64> = labels.iter().map(|&v| v as u64).collect();
        let labels = self.gpu.upload(&lab);
        let (mut probs, mut rl) = (self.gpu.zeros::<f32>(n * k), self.gpu.zeros::<f32>(n));
        let (nn, kk, one_minus, over_k) =
            (n as u64, k as u64, 1.0 - smoothing, smoothing / k as f32);
        let name = "cross_entropy_rows_f32";
        go(
            n,
            name,
            self.gpu
                .kernel(name)
                .arg(&logits.buf)
                .arg(&labels)
                .arg(&mut probs)
                .arg(&mut rl)
                .arg(&nn)
                .arg(&kk)
                .arg(&smoothing)
                .arg(&one_minus)
                .arg(&over_k),
        );
        let loss = self.mean_of(&rl, n);
        Ok((
            loss,
            GpuCrossEntropyCache {
                probs,
                labels,
                dims: (n, k),
                smoothing,
            },
        ))
    }

    fn cross_entropy_backward(&self, c: &GpuCrossEntropyCache, dloss: f32) -> GpuTensor {
        let (n, k) = c.dims;
        let (scale, off) = (dloss / n as f32, c.smoothing / k as f32);
        let on = (1.0 - c.smoothing) + off;
        let mut dx = self.zeros(&[n, k]);
        let (nn, kk) = (n as u64, k as u64);
        let name = "cross_entropy_backward_f32";
        go(
            n * k,
            name,
            self.gpu
                .kernel(name)
                .arg(&c.probs)
                .arg(&c.labels)
                .arg(&mut dx.buf)
                .arg(&nn)
                .arg(&kk)
                .arg(&on)
                .arg(&off)
                .arg(&scale),
        );
        dx
    }
}
