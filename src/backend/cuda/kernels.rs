//! The CUDA kernel sources (`kernels/*.cu`), compiled at run time by NVRTC,
//! and the compile options every one of them gets.
//!
//! Why plain data: this list is shared by the real `cuda` module and by the
//! stand-in built without the feature, so the default build (and its tests)
//! still checks that every file in `kernels/` is registered here. One
//! greppable `include_str!` line per kernel, in the op's `cuda.rs`:
//! `grep -rn include_str src/ops` lists them.

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

/// `kernels/elementary.cu`: libm's `expf` / `logf` (`crate::real`), the one
/// kernel that belongs to no op.
const ELEMENTARY: KernelSource = KernelSource {
    name: "elementary",
    rust_op: "real (libm expf, logf)",
    source: include_str!("../../../kernels/elementary.cu"),
    entry_points: &["exp_f32", "log_f32"],
};

/// Every kernel in `kernels/`, in file-name order. Each op's own kernel is
/// declared beside its launches, in `src/ops/<op>/cuda.rs` (its one
/// `include_str!`); this list only gathers them.
pub const KERNELS: &[KernelSource] = &[
    crate::ops::add::cuda::KERNEL,
    crate::ops::batch_norm::cuda::KERNEL,
    crate::ops::clip_grad_norm::cuda::KERNEL,
    crate::ops::concat::cuda::KERNEL,
    crate::ops::conv2d::cuda::KERNEL,
    crate::ops::crop::cuda::KERNEL,
    crate::ops::cross_entropy::cuda::KERNEL,
    crate::ops::drop_path::cuda::KERNEL,
    ELEMENTARY,
    crate::ops::gemm::cuda::KERNEL,
    crate::ops::global_avg_pool::cuda::KERNEL,
    crate::ops::linear::cuda::KERNEL,
    crate::ops::nt_xent::cuda::KERNEL,
    crate::ops::pirl_nce::cuda::KERNEL,
    crate::ops::pool::cuda::KERNEL,
    crate::ops::relu::cuda::KERNEL,
    crate::ops::rows::cuda::KERNEL,
    crate::ops::sgd::cuda::KERNEL,
];
