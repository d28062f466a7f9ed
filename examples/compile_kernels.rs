//! Compiles every kernel in `kernels/` with NVRTC, without a GPU.
//!
//! Why: CI has no GPU, but it can still prove that each `.cu` file compiles
//! with the options the backend uses (`.ci/nvrtc.sh` runs this with the
//! `cuda` feature and NVIDIA's NVRTC wheel on `LD_LIBRARY_PATH`).
//!
//! Exit codes: 0 all compiled; 1 a kernel failed (its file name and the NVRTC
//! log are printed); 2 NVRTC cannot be loaded or the build lacks the `cuda`
//! feature — a skip, unless `CSNAS_REQUIRE_NVRTC=1`, which makes it exit 1.

use csnas::backend::cuda::{self, kernels};

/// The first registered entry point the PTX does not define, if any.
fn missing_entry(ptx: &str, k: &kernels::KernelSource) -> Option<&'static str> {
    k.entry_points
        .iter()
        .find(|e| !ptx.contains(&format!(".entry {e}(")))
        .copied()
}

/// Evidence in the PTX that the options took effect: a kernel that writes
/// no `fmaf` has no fused multiply-add (`--fmad=false`), and no kernel has an
/// approximate division, square root or exponential (no fast math).
fn arithmetic_violation(ptx: &str, k: &kernels::KernelSource) -> Option<String> {
    if !k.full_source().contains("fmaf(") && ptx.contains("fma.rn.f32") {
        return Some("a fused multiply-add the source never asked for".to_string());
    }
    [
        "div.approx",
        "div.full",
        "sqrt.approx",
        "ex2.approx",
        "lg2.approx",
        ".ftz.",
    ]
    .iter()
    .find(|op| ptx.contains(**op))
    .map(|op| format!("an instruction the options forbid ({op})"))
}

fn main() {
    let required = std::env::var("CSNAS_REQUIRE_NVRTC").is_ok_and(|v| v == "1");
    if let Err(e) = cuda::probe_nvrtc() {
        eprintln!("compile_kernels: skipped: {e}");
        std::process::exit(if required { 1 } else { 2 });
    }
    let mut failed = 0;
    for k in kernels::KERNELS {
        match cuda::compile_kernel(k) {
            Ok(ptx) if missing_entry(&ptx, k).is_some() => {
                failed += 1;
                let entry = missing_entry(&ptx, k).unwrap_or_default();
                eprintln!(
                    "FAIL kernels/{}.cu: no entry point {entry} in the PTX",
                    k.name
                );
            }
            Ok(ptx) if arithmetic_violation(&ptx, k).is_some() => {
                failed += 1;
                let why = arithmetic_violation(&ptx, k).unwrap_or_default();
                eprintln!("FAIL kernels/{}.cu: the PTX has {why}", k.name);
            }
            Ok(ptx) => println!(
                "ok   kernels/{}.cu  ({} entry points, {} bytes of PTX)",
                k.name,
                k.entry_points.len(),
                ptx.len()
            ),
            Err(e) => {
                failed += 1;
                eprintln!("FAIL {e}");
            }
        }
    }
    if failed > 0 {
        eprintln!("compile_kernels: {failed} kernel(s) failed to compile");
        std::process::exit(1);
    }
    println!(
        "compile_kernels: all {} kernels compiled with {:?}",
        kernels::KERNELS.len(),
        kernels::NVRTC_OPTIONS
    );
}
