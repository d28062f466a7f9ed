//! GPU tests: they need the `cuda` feature and a CUDA device, and skip with a
//! printed message when either is missing (so the default `cargo test` and CI
//! without a GPU pass through them). Run on a GPU machine with
//! `cargo test --features cuda --test gpu -- --nocapture`, or through
//! `benches/gpu_check.sh`, which runs this binary first.
//!
//! What they prove there: every kernel compiles and loads; every op of the
//! seam, run through the CUDA backend's trait methods on seeded inputs, is
//! bit-identical to the CPU reference in exact mode (`cuda-exact`), within
//! the stated tolerance in fast mode (`cuda`), and replays bit for bit in
//! fast mode. The host tests (`tests/kernels_host`) prove each kernel's
//! arithmetic in CI; these prove the launches, buffers and libraries around
//! them.

#[path = "gpu/ops.rs"]
mod ops;

use csnas::backend::{BackendKind, CpuF32, Device};

/// The opened device, or `None` after printing why the test is skipped.
fn gpu_or_skip(test: &str) -> Option<Device> {
    match BackendKind::Cuda(0).open() {
        Ok(d) => Some(d),
        Err(e) => {
            eprintln!("{test}: skipped, no CUDA device: {e}");
            None
        }
    }
}

/// Fast mode's tolerance against the CPU: cuDNN/cuBLAS and block-order
/// reductions change the summation order only (relative to max(1, |cpu|)).
const FAST_TOLERANCE: f32 = 1e-4;

/// Runs without a GPU: the op list itself is valid (shapes, parameters) and
/// the CPU reference gives the same bits twice, so on a GPU a failure can
/// only come from the backend under test.
#[test]
fn the_op_list_runs_on_the_reference_backend_and_replays() {
    let cpu = CpuF32::new();
    let n = ops::compare(&ops::run_all(&cpu), &ops::run_all(&cpu), 0.0);
    assert!(n > 50_000, "only {n} values");
}

#[test]
fn device_opens_and_describes_itself() {
    let Some(dev) = gpu_or_skip("device_opens_and_describes_itself") else {
        return;
    };
    assert_eq!(dev.kind(), BackendKind::Cuda(0));
    assert!(dev.describe().starts_with("cuda:0"), "{}", dev.describe());
}

#[test]
fn every_kernel_compiles_and_every_entry_point_loads_on_the_device() {
    let Some(Device::Cuda(dev)) = gpu_or_skip("every_kernel_compiles_and_loads") else {
        return;
    };
    let expected: usize = csnas::backend::cuda::kernels::KERNELS
        .iter()
        .map(|k| k.entry_points.len())
        .sum();
    assert_eq!(dev.load_kernels().unwrap(), expected);
}

#[test]
fn every_op_in_exact_mode_should_match_reference_backend_bit_for_bit() {
    let Some(Device::Cuda(dev)) = gpu_or_skip("every_op_in_exact_mode") else {
        return;
    };
    let gpu = ops::run_all(&dev.backend(true).unwrap());
    let cpu = ops::run_all(&CpuF32::new());
    let n = ops::compare(&cpu, &gpu, 0.0);
    eprintln!("cuda-exact: {n} values bit-identical to the CPU reference");
}

#[test]
fn every_op_in_fast_mode_should_match_reference_backend_within_tolerance() {
    let Some(Device::Cuda(dev)) = gpu_or_skip("every_op_in_fast_mode") else {
        return;
    };
    let gpu = ops::run_all(&dev.backend(false).unwrap());
    let cpu = ops::run_all(&CpuF32::new());
    ops::compare(&cpu, &gpu, FAST_TOLERANCE);
}

#[test]
fn fast_mode_replays_every_op_bit_for_bit() {
    let Some(Device::Cuda(dev)) = gpu_or_skip("fast_mode_replays_every_op") else {
        return;
    };
    let b = dev.backend(false).unwrap();
    let (first, second) = (ops::run_all(&b), ops::run_all(&b));
    ops::compare(&first, &second, 0.0);
}

#[test]
fn without_a_device_gpu_backends_exit_2_with_a_clear_message() {
    if BackendKind::Cuda(0).open().is_ok() {
        eprintln!("without_a_device_...: skipped, a CUDA device is present");
        return;
    }
    for backend in ["cuda", "cuda-exact"] {
        let code = csnas::cli::main_with_args(["csnas", "verify", "--backend", backend]);
        assert_eq!(code, 2, "verify --backend {backend}");
    }
}
