//! Matrix products, losses and the optimiser of the CUDA backend. Losses
//! run on our kernels in both modes (they are small beside the network and
//! their exact forms cost little); products run on cuBLAS (fast) or
//! `gemm_exact_f32` (exact). Scalars the CPU forms in f32 outside any loop
//! (scales, `1 − w`, `ε/K`, the clipping total) are formed on the host with
//! the same f32 operations.

use cudarc::driver::CudaSlice;

use super::nn::{tensor_mut, tensor_ref};
use super::runtime::{go, go_with};
use super::tensor::{CudaBackend, GpuTensor};
use crate::backend::cuda_plan::MatLayout;
use crate::backend::device::{TensorMut, TensorRef};
use crate::backend::ops::{MatmulOps, OptimOps};
use crate::ops::sgd::SgdConfig;

impl CudaBackend {
    /// `C (rows(A) × cols(B)) = A·B`: cuBLAS (fast) or the exact kernel.
    pub(super) fn matmul(
        &self,
        a: &GpuTensor,
        la: MatLayout,
        b: &GpuTensor,
        lb: MatLayout,
    ) -> GpuTensor {
        let mut c = self.zeros(&[la.rows as usize, lb.cols as usize]);
        if c.is_empty() {
            return c;
        }
        if self.exact {
            let (name, acc) = ("gemm_exact_f32", 0i32);
            go(
                c.len(),
                name,
                self.gpu
                    .kernel(name)
                    .arg(&a.buf)
                    .arg(&la)
                    .arg(&b.buf)
                    .arg(&lb)
                    .arg(&mut c.buf)
                    .arg(&acc),
            );
        } else {
            self.blas
                .gemm(&a.buf, la, &b.buf, lb, &mut c.buf)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        c
    }

    /// Downloads one f32 from a device buffer.
    pub(super) fn scalar(&self, buf: &CudaSlice<f32>) -> f32 {
        self.gpu.download(buf)[0]
    }
}

impl MatmulOps for CudaBackend {
    /// `x·wᵀ` (cuBLAS or exact chain), then `linear_bias_f32` (`+ b`).
    fn linear_forward(&self, x: &GpuTensor, w: &GpuTensor, b: &GpuTensor) -> GpuTensor {
        let ((n, fin), (fout, win)) = (x.d2(), w.d2());
        assert_eq!(fin, win, "linear: x has {fin} features, w expects {win}");
        let mut y = self.matmul(
            x,
            MatLayout::row_major(n, fin),
            w,
            MatLayout::row_major(fout, fin).t(),
        );
        let (rows, cols) = (n as u64, fout as u64);
        let name = "linear_bias_f32";
        go(
            y.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&mut y.buf)
                .arg(&b.buf)
                .arg(&rows)
                .arg(&cols),
        );
        y
    }

    /// `dx = dy·w`, `dw = dyᵀ·x`, `db` = `column_sum_f32(dy)` (rows ascending).
    fn linear_backward(
        &self,
        x: &GpuTensor,
        w: &GpuTensor,
        dy: &GpuTensor,
    ) -> (GpuTensor, GpuTensor, GpuTensor) {
        let ((n, fin), (fout, _)) = (x.d2(), w.d2());
        assert_eq!(dy.d2(), (n, fout), "linear: dy must be (N, out)");
        let (lx, lw, ldy) = (
            MatLayout::row_major(n, fin),
            MatLayout::row_major(fout, fin),
            MatLayout::row_major(n, fout),
        );
        let dx = self.matmul(dy, ldy, w, lw);
        let dw = self.matmul(dy, ldy.t(), x, lx);
        let mut db = self.zeros(&[fout]);
        let (rows, cols) = (n as u64, fout as u64);
        let name = "column_sum_f32";
        go(
            fout,
            name,
            self.gpu
                .kernel(name)
                .arg(&dy.buf)
                .arg(&mut db.buf)
                .arg(&rows)
                .arg(&cols),
        );
        (dx, dw, db)
    }
}

impl OptimOps for CudaBackend {
    /// Exact: `clip_sumsq_f32` (one sequential chain, the CPU's). Fast:
    /// `clip_sumsq_block_f32` (fixed tree). Then `sqrt` on the host.
    fn l2_norm(&self, g: TensorRef<'_, Self>) -> f32 {
        let g = tensor_ref(g);
        let mut out = self.gpu.zeros::<f32>(1);
        let (n, slot) = (g.len() as u64, 0u64);
        let name = if self.exact {
            "clip_sumsq_f32"
        } else {
            "clip_sumsq_block_f32"
        };
        let mut a = self.gpu.kernel(name);
        a.arg(&g.buf).arg(&n).arg(&mut out).arg(&slot);
        go_with(&mut a, name, 1, if self.exact { 1 } else { 256 });
        self.scalar(&out).sqrt()
    }

    fn scale(&self, mut g: TensorMut<'_, Self>, coef: f32) {
        let g = tensor_mut(&mut g);
        let n = g.len() as u64;
        let name = "scale_by_f32";
        go(
            g.len(),
            name,
            self.gpu.kernel(name).arg(&mut g.buf).arg(&coef).arg(&n),
        );
    }

    /// `sgd_step_f32`; the momentum buffer is created (zeros, then set by
    /// the first step's `buf = d`) when momentum is on and it is `None`.
    fn sgd_update(
        &self,
        cfg: &SgdConfig,
        mut param: TensorMut<'_, Self>,
        grad: TensorRef<'_, Self>,
        momentum: &mut Option<GpuTensor>,
    ) {
        let (param, grad) = (tensor_mut(&mut param), tensor_ref(grad));
        assert_eq!(param.len(), grad.len(), "sgd: parameter and gradient sizes");
        let has_momentum = cfg.momentum != 0.0;
        let first = has_momentum && momentum.is_none();
        if first {
            *momentum = Some(self.zeros(&[param.len()]));
        }
        let mut dummy = None;
        let buf = match momentum.as_mut() {
            Some(b) if has_momentum => b,
            _ => dummy.insert(self.zeros(&[1])),
        };
        let (wd, mu, keep, neg_lr) = (
            cfg.weight_decay as f32,
            cfg.momentum as f32,
            (1.0 - cfg.dampening) as f32,
            (-cfg.lr) as f32,
        );
        let flags = [
            i32::from(cfg.weight_decay != 0.0),
            i32::from(has_momentum),
            i32::from(first),
            i32::from(cfg.nesterov),
        ];
        let n = param.len() as u64;
        let name = "sgd_step_f32";
        go(
            param.len(),
            name,
            self.gpu
                .kernel(name)
                .arg(&mut param.buf)
                .arg(&grad.buf)
                .arg(&mut buf.buf)
                .arg(&wd)
                .arg(&mu)
                .arg(&keep)
                .arg(&neg_lr)
                .arg(&flags[0])
                .arg(&flags[1])
                .arg(&flags[2])
                .arg(&flags[3])
                .arg(&n),
        );
    }

    fn fill_zero(&self, mut t: TensorMut<'_, Self>) {
        self.gpu.fill_zero(&mut tensor_mut(&mut t).buf);
    }
}

#[path = "train_losses.rs"]
mod losses;
