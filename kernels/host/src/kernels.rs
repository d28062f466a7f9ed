//! One Rust declaration per kernel entry point of `kernels/*.cu`, grouped by
//! file, with the C types spelled as Rust ones (`unsigned long long` = u64,
//! `unsigned int` = u32, `int` = i32, `unsigned char` = u8). Each becomes an
//! `unsafe fn` of the same name: call it from inside [`crate::launch`].
//! [`ENTRY_POINTS`] lists them, so csnas's tests can check that every entry
//! point the CUDA backend registers is declared here.

/// Pooling window parameters (`struct PoolParams` in `pool.cu`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct PoolParams {
    pub kernel: u64,
    pub stride: u64,
    pub padding: u64,
}

/// Convolution geometry (`struct ConvGeom` in `conv2d.cu`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
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

/// Operand layout for `gemm.cu`: element (r, c) at `data[r*rs + c*cs]`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MatLayout {
    pub rows: u64,
    pub cols: u64,
    pub rs: u64,
    pub cs: u64,
}

macro_rules! kernels {
    ($( $file:literal: $( fn $name:ident($($arg:ident: $ty:ty),* $(,)?); )* )*) => {
        #[cfg(not(csnas_no_host_kernels))]
        mod ffi {
            #[allow(unused_imports)]
            use super::*;
            unsafe extern "C" {
                $($( pub fn $name($($arg: $ty),*); )*)*
            }
        }
        $($(
            #[doc = concat!("`", stringify!($name), "` from `kernels/", $file, "`.")]
            ///
            /// # Safety
            /// Every pointer must be valid for the extents the kernel reads
            /// and writes; call only from inside [`crate::launch`].
            #[allow(clippy::too_many_arguments)]
            pub unsafe fn $name($($arg: $ty),*) {
                #[cfg(not(csnas_no_host_kernels))]
                unsafe { ffi::$name($($arg),*) }
                #[cfg(csnas_no_host_kernels)]
                {
                    $(let _ = $arg;)*
                    panic!("csnas_kernel_host: kernels not compiled for this host (no g++)");
                }
            }
        )*)*
        /// Every declared entry point, as `(file, name)`.
        pub const ENTRY_POINTS: &[(&str, &str)] = &[$($(($file, stringify!($name)),)*)*];
        /// Every declared entry point with its parameter types as written
        /// here (`stringify!`, so compare them with whitespace removed).
        pub const SIGNATURES: &[(&str, &[&str])] = &[$($((stringify!($name), &[$(stringify!($ty)),*]),)*)*];
    };
}

kernels! {
    "add.cu":
    fn add_f32(a: *const f32, b: *const f32, y: *mut f32, n: u64);
    fn add_into_f32(acc: *mut f32, g: *const f32, n: u64);
    "batch_norm.cu":
    fn batch_norm_stats_seq_f32(x: *const f32, mean: *mut f32, ssd: *mut f32, batch: u64, c: u64, plane: u64);
    fn batch_norm_stats_block_f32(x: *const f32, mean: *mut f32, ssd: *mut f32, batch: u64, c: u64, plane: u64);
    fn batch_norm_finalize_f32(mean: *const f32, ssd: *const f32, inv_std: *mut f32, running_mean: *mut f32, running_var: *mut f32, eps: f32, m: f32, one_minus_m: f32, count: u64, c: u64);
    fn batch_norm_apply_f32(x: *const f32, mean: *const f32, inv_std: *const f32, gamma: *const f32, beta: *const f32, x_hat: *mut f32, y: *mut f32, c: u64, plane: u64, n: u64);
    fn batch_norm_eval_inv_std_f32(running_var: *const f32, inv_std: *mut f32, eps: f32, c: u64);
    fn batch_norm_backward_sums_seq_f32(dy: *const f32, x_hat: *const f32, sum_dy: *mut f32, sum_dy_xhat: *mut f32, batch: u64, c: u64, plane: u64);
    fn batch_norm_backward_sums_block_f32(dy: *const f32, x_hat: *const f32, sum_dy: *mut f32, sum_dy_xhat: *mut f32, batch: u64, c: u64, plane: u64);
    fn batch_norm_backward_dx_f32(dy: *const f32, x_hat: *const f32, gamma: *const f32, inv_std: *const f32, sum_dy: *const f32, sum_dy_xhat: *const f32, dx: *mut f32, c: u64, plane: u64, count: u64, n: u64);
    "concat.cu":
    fn copy_channels_f32(src: *const f32, src_c: u64, src_c0: u64, dst: *mut f32, dst_c: u64, dst_c0: u64, batch: u64, chans: u64, plane: u64);
    "drop_path.cu":
    fn drop_path_f32(x: *const f32, keep: *const u8, keep_prob: f32, sample: u64, y: *mut f32, n: u64);
    "global_avg_pool.cu":
    fn global_avg_pool_forward_f32(x: *const f32, y: *mut f32, planes: u64, plane: u64);
    fn global_avg_pool_backward_f32(dy: *const f32, dx: *mut f32, planes: u64, plane: u64);
    "pool.cu":
    fn max_pool2d_forward_f32(x: *const f32, y: *mut f32, argmax: *mut u32, p: PoolParams, planes: u64, h: u64, w: u64, oh: u64, ow: u64);
    fn max_pool2d_backward_f32(dy: *const f32, argmax: *const u32, dx: *mut f32, p: PoolParams, planes: u64, h: u64, w: u64, oh: u64, ow: u64);
    fn avg_pool2d_forward_f32(x: *const f32, y: *mut f32, p: PoolParams, planes: u64, h: u64, w: u64, oh: u64, ow: u64);
    fn avg_pool2d_backward_f32(dy: *const f32, dx: *mut f32, p: PoolParams, planes: u64, h: u64, w: u64, oh: u64, ow: u64);
    "relu.cu":
    fn relu_forward_f32(x: *const f32, y: *mut f32, n: u64);
    fn relu_backward_f32(x: *const f32, dy: *const f32, dx: *mut f32, n: u64);
    fn relu_forward_mask_f32(x: *const f32, y: *mut f32, mask: *mut u8, n: u64);
    fn relu_backward_mask_f32(mask: *const u8, dy: *const f32, dx: *mut f32, n: u64);
    "sgd.cu":
    fn sgd_step_f32(param: *mut f32, grad: *const f32, buf: *mut f32, wd: f32, mu: f32, keep: f32, neg_lr: f32, has_wd: i32, has_momentum: i32, first_step: i32, nesterov: i32, n: u64);
    "clip_grad_norm.cu":
    fn clip_sumsq_f32(g: *const f32, n: u64, out: *mut f32, slot: u64);
    fn clip_coef_f32(sq: *const f32, tensors: u64, max_norm: f32, eps6: f32, out: *mut f32);
    fn scale_by_f32(g: *mut f32, coef: f32, n: u64);
    fn clip_sumsq_block_f32(g: *const f32, n: u64, out: *mut f32, slot: u64);
    "conv2d.cu":
    fn conv2d_forward_exact_f32(x: *const f32, w: *const f32, y: *mut f32, g: ConvGeom);
    fn conv2d_backward_data_exact_f32(dy: *const f32, w: *const f32, dx: *mut f32, g: ConvGeom);
    fn conv2d_backward_filter_exact_f32(x: *const f32, dy: *const f32, dw: *mut f32, g: ConvGeom);
    "crop.cu":
    fn crop_f32(src: *const f32, dst: *mut f32, planes: u64, h: u64, w: u64, y0: u64, x0: u64, oh: u64, ow: u64);
    fn add_crop_into_f32(dst: *mut f32, src: *const f32, planes: u64, h: u64, w: u64, y0: u64, x0: u64, oh: u64, ow: u64);
    "cross_entropy.cu":
    fn cross_entropy_rows_f32(x: *const f32, labels: *const u64, probs: *mut f32, row_loss: *mut f32, n: u64, k: u64, eps: f32, one_minus_eps: f32, eps_over_k: f32);
    fn cross_entropy_backward_f32(probs: *const f32, labels: *const u64, dx: *mut f32, n: u64, k: u64, on: f32, off: f32, scale: f32);
    "elementary.cu":
    fn exp_f32(x: *const f32, y: *mut f32, n: u64);
    fn log_f32(x: *const f32, y: *mut f32, n: u64);
    "gemm.cu":
    fn gemm_exact_f32(a: *const f32, la: MatLayout, b: *const f32, lb: MatLayout, c: *mut f32, accumulate: i32);
    "linear.cu":
    fn linear_bias_f32(y: *mut f32, b: *const f32, rows: u64, cols: u64);
    fn column_sum_f32(m: *const f32, out: *mut f32, rows: u64, cols: u64);
    "nt_xent.cu":
    fn nt_xent_sim_f32(zh: *const f32, sim: *mut f32, rows: u64, d: u64, tau: f32);
    fn nt_xent_rows_f32(sim: *const f32, probs: *mut f32, row_loss: *mut f32, rows: u64);
    fn nt_xent_grad_f32(probs: *const f32, g: *mut f32, rows: u64, scale: f32);
    fn nt_xent_dzhat_f32(g: *const f32, zh: *const f32, dzh: *mut f32, rows: u64, d: u64, tau: f32);
    "pirl_nce.cu":
    fn pirl_bank_units_f32(sums: *const f32, count: f32, units: *mut f32, size: u64, d: u64, eps: f32);
    fn pirl_logits_f32(xh: *const f32, units: *const f32, indices: *const u64, negatives: *const u64, scores: *mut f32, b: u64, k: u64, d: u64, tau: f32);
    fn nce_rows_f32(scores: *const f32, probs: *mut f32, row_loss: *mut f32, rows: u64, cols: u64);
    fn pirl_dhat_f32(probs: *const f32, units: *const f32, indices: *const u64, negatives: *const u64, dhat: *mut f32, b: u64, k: u64, d: u64, scale: f32, tau: f32);
    fn pirl_bank_update_f32(sums: *mut f32, indices: *const u64, features: *const f32, b: u64, d: u64, keep: f32);
    "rows.cu":
    fn rows_normalize_f32(x: *const f32, xhat: *mut f32, norms: *mut f32, rows: u64, d: u64, eps: f32);
    fn rows_normalize_backward_f32(xhat: *const f32, norms: *const f32, dxhat: *const f32, dx: *mut f32, rows: u64, d: u64, eps: f32);
    fn sum_div_f32(v: *const f32, n: u64, divisor: f32, out: *mut f32);
}
