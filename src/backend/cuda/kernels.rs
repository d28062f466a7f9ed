//! The CUDA kernel sources (`kernels/*.cu`), compiled at run time by NVRTC,
//! and the compile options every one of them gets.
//!
//! Why plain data: this list is shared by the real `cuda` module and by the
//! stand-in built without the feature, so the default build (and its tests)
//! still checks that every file in `kernels/` is registered here. One
//! greppable `include_str!` line per kernel: `grep -n include_str` lists them.

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
        name: "concat",
        rust_op: "ops::concat",
        source: include_str!("../../../kernels/concat.cu"),
        entry_points: &["copy_channels_f32"],
    },
    KernelSource {
        name: "drop_path",
        rust_op: "ops::drop_path",
        source: include_str!("../../../kernels/drop_path.cu"),
        entry_points: &["drop_path_f32"],
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
        entry_points: &["relu_forward_f32", "relu_backward_f32"],
    },
    KernelSource {
        name: "sgd",
        rust_op: "train::sgd",
        source: include_str!("../../../kernels/sgd.cu"),
        entry_points: &["sgd_step_f32"],
    },
];
