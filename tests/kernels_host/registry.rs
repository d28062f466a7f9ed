//! Every entry point the CUDA backend registers (`backend::cuda::kernels`)
//! is declared in the host crate, so none escapes the host tests' reach.

use csnas::backend::cuda::kernels::KERNELS;

#[test]
fn every_registered_entry_point_is_declared_for_the_host() {
    for k in KERNELS {
        for e in k.entry_points {
            let file = format!("{}.cu", k.name);
            assert!(
                csnas_kernel_host::ENTRY_POINTS.contains(&(file.as_str(), *e)),
                "kernels/{file}: entry point {e} is not declared in kernels/host/src/kernels.rs"
            );
        }
    }
}
