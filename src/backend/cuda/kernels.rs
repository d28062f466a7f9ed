//! The CUDA kernel sources (`kernels/*.cu`), compiled at run time by NVRTC,
//! and the compile options every one of them gets.
//!
//! Why plain data: this list is shared by the real `cuda` module and by the
//! stand-in built without the feature, so the default build (and its tests)
//! still checks that every file in `kernels/` is registered here. One
//! greppable `include_str!` line per kernel: `grep -n include_str` lists them.

/// `kernels/libm.cuh`: the exact-mode elementary functions (libm's
/// algorithms), pulled into a kernel by its `#include "libm.cuh"` line.
pub const LIBM_CUH: &str = include_str!("../../../kernels/libm.cuh");

/// The line a kernel uses to pull in [`LIBM_CUH`].
const LIBM_INCLUDE: &str = "#include \"libm.cuh\"";

/// One NVRTC compilation unit.
#[derive(Clone, Copy, Debug)]
pub struct KernelSource {
    /// The file stem in `kernels/`, also the NVRTC program name.
    pub name: &'static str,
    /// The Rust op whose arithmetic order the kernel follows.
    pub rust_op: &'static str,
    /// The CUDA C source.
    pub source: &'static str,
    /// The `extern "C"` entry points the file defines.
    pub entry_points: &'static [&'static str],
}

impl KernelSource {
    /// The text NVRTC compiles: the source with its `#include "libm.cuh"`
    /// line replaced by that header's text (NVRTC gets no include path, so
    /// the binary needs no source tree at run time). The host build (g++)
    /// resolves the same include from `kernels/`.
    pub fn full_source(&self) -> String {
        if self.source.lines().any(|l| l.trim() == LIBM_INCLUDE) {
            self.source
                .lines()
                .map(|l| {
                    if l.trim() == LIBM_INCLUDE {
                        LIBM_CUH
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            self.source.to_string()
        }
    }
}

/// The parameters `(C type, name)` of entry point `entry` as its
/// `extern "C" __global__ void entry(...)` declaration in `source` spells
/// them (whitespace normalised, `*` attached to the type), or `None` when
/// the source declares no such entry point. Used to check every launch's
/// argument count on the device, and every host declaration's types in
/// `tests/kernels_host/registry.rs`, against the kernel itself.
pub fn c_params(source: &str, entry: &str) -> Option<Vec<(String, String)>> {
    let head = format!("__global__ void {entry}(");
    let start = source.find(&head)? + head.len();
    let end = start + source[start..].find(')')?;
    let params = source[start..end]
        .split(',')
        .map(|p| {
            let p = p.split_whitespace().collect::<Vec<_>>().join(" ");
            let cut = p.rfind([' ', '*']).map_or(0, |i| i + 1);
            let ty = p[..cut].trim().replace(" *", "*");
            (ty, p[cut..].to_string())
        })
        .filter(|(_, name)| !name.is_empty())
        .collect();
    Some(params)
}

/// The Rust type that C parameter type `ty` is passed as (the host
/// declarations' spelling), or `None` for a type the kernels do not use.
pub fn rust_type(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "const float*" => "*const f32",
        "float*" => "*mut f32",
        "const unsigned char*" => "*const u8",
        "unsigned char*" => "*mut u8",
        "const unsigned int*" => "*const u32",
        "unsigned int*" => "*mut u32",
        "const unsigned long long*" => "*const u64",
        "unsigned long long" => "u64",
        "float" => "f32",
        "int" => "i32",
        "PoolParams" => "PoolParams",
        "ConvGeom" => "ConvGeom",
        "MatLayout" => "MatLayout",
        _ => return None,
    })
}

/// NVRTC options for every kernel (DESIGN 3.1.4):
/// - `--fmad=false`: the compiler never contracts `a*b + c`; where the CPU
///   fuses (`mul_add`), the kernel writes `fmaf` itself;
/// - IEEE division and square root, no flush-to-zero; no `--use_fast_math`;
/// - C++17 for the sources' syntax.
pub const NVRTC_OPTIONS: &[&str] = &[
    "--fmad=false",
    "--ftz=false",
    "--prec-div=true",
    "--prec-sqrt=true",
    "--std=c++17",
];

/// Every kernel in `kernels/`, in file-name order.
pub const KERNELS: &[KernelSource] = &[
    KernelSource {
        name: "add",
        rust_op: "model::cell (node sum, add_into)",
        source: include_str!("../../../kernels/add.cu"),
        entry_points: &["add_f32", "add_into_f32"],
    },
    KernelSource {
        name: "batch_norm",
        rust_op: "ops::batch_norm",
        source: include_str!("../../../kernels/batch_norm.cu"),
        entry_points: &[
            "batch_norm_stats_seq_f32",
            "batch_norm_stats_block_f32",
            "batch_norm_finalize_f32",
            "batch_norm_apply_f32",
            "batch_norm_eval_inv_std_f32",
            "batch_norm_backward_sums_seq_f32",
            "batch_norm_backward_sums_block_f32",
            "batch_norm_backward_dx_f32",
        ],
    },
    KernelSource {
        name: "clip_grad_norm",
        rust_op: "ops::clip_grad_norm",
        source: include_str!("../../../kernels/clip_grad_norm.cu"),
        entry_points: &[
            "clip_sumsq_f32",
            "clip_coef_f32",
            "scale_by_f32",
            "clip_sumsq_block_f32",
        ],
    },
    KernelSource {
        name: "concat",
        rust_op: "ops::concat",
        source: include_str!("../../../kernels/concat.cu"),
        entry_points: &["copy_channels_f32"],
    },
    KernelSource {
        name: "conv2d",
        rust_op: "ops::conv2d (exact mode)",
        source: include_str!("../../../kernels/conv2d.cu"),
        entry_points: &[
            "conv2d_forward_exact_f32",
            "conv2d_backward_data_exact_f32",
            "conv2d_backward_filter_exact_f32",
        ],
    },
    KernelSource {
        name: "crop",
        rust_op: "model::primitives (factorized reduce shift)",
        source: include_str!("../../../kernels/crop.cu"),
        entry_points: &["crop_f32", "add_crop_into_f32"],
    },
    KernelSource {
        name: "cross_entropy",
        rust_op: "train::cross_entropy",
        source: include_str!("../../../kernels/cross_entropy.cu"),
        entry_points: &["cross_entropy_rows_f32", "cross_entropy_backward_f32"],
    },
    KernelSource {
        name: "drop_path",
        rust_op: "ops::drop_path",
        source: include_str!("../../../kernels/drop_path.cu"),
        entry_points: &["drop_path_f32"],
    },
    KernelSource {
        name: "elementary",
        rust_op: "real (libm expf, logf)",
        source: include_str!("../../../kernels/elementary.cu"),
        entry_points: &["exp_f32", "log_f32"],
    },
    KernelSource {
        name: "gemm",
        rust_op: "ops::gemm (exact mode)",
        source: include_str!("../../../kernels/gemm.cu"),
        entry_points: &["gemm_exact_f32"],
    },
    KernelSource {
        name: "global_avg_pool",
        rust_op: "ops::global_avg_pool",
        source: include_str!("../../../kernels/global_avg_pool.cu"),
        entry_points: &[
            "global_avg_pool_forward_f32",
            "global_avg_pool_backward_f32",
        ],
    },
    KernelSource {
        name: "linear",
        rust_op: "ops::linear (bias, bias gradient)",
        source: include_str!("../../../kernels/linear.cu"),
        entry_points: &["linear_bias_f32", "column_sum_f32"],
    },
    KernelSource {
        name: "nt_xent",
        rust_op: "train::nt_xent",
        source: include_str!("../../../kernels/nt_xent.cu"),
        entry_points: &[
            "nt_xent_sim_f32",
            "nt_xent_rows_f32",
            "nt_xent_grad_f32",
            "nt_xent_dzhat_f32",
        ],
    },
    KernelSource {
        name: "pirl_nce",
        rust_op: "train::pirl_nce",
        source: include_str!("../../../kernels/pirl_nce.cu"),
        entry_points: &[
            "pirl_bank_units_f32",
            "pirl_logits_f32",
            "nce_rows_f32",
            "pirl_dhat_f32",
            "pirl_bank_update_f32",
        ],
    },
    KernelSource {
        name: "pool",
        rust_op: "ops::pool",
        source: include_str!("../../../kernels/pool.cu"),
        entry_points: &[
            "max_pool2d_forward_f32",
            "max_pool2d_backward_f32",
            "avg_pool2d_forward_f32",
            "avg_pool2d_backward_f32",
        ],
    },
    KernelSource {
        name: "relu",
        rust_op: "ops::relu",
        source: include_str!("../../../kernels/relu.cu"),
        entry_points: &[
            "relu_forward_f32",
            "relu_backward_f32",
            "relu_forward_mask_f32",
            "relu_backward_mask_f32",
        ],
    },
    KernelSource {
        name: "rows",
        rust_op: "ops::rows (normalize_rows, means)",
        source: include_str!("../../../kernels/rows.cu"),
        entry_points: &[
            "rows_normalize_f32",
            "rows_normalize_backward_f32",
            "sum_div_f32",
        ],
    },
    KernelSource {
        name: "sgd",
        rust_op: "train::sgd",
        source: include_str!("../../../kernels/sgd.cu"),
        entry_points: &["sgd_step_f32"],
    },
];
