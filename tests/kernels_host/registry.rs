//! Every entry point the CUDA backend registers (`backend::cuda::kernels`)
//! is declared in the host crate, so none escapes the host tests' reach.

use csnas::backend::cuda::kernels::{KERNELS, c_params, rust_type};

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

#[test]
fn every_host_declared_entry_point_is_registered_for_nvrtc() {
    for (file, e) in csnas_kernel_host::ENTRY_POINTS {
        let k = KERNELS
            .iter()
            .find(|k| format!("{}.cu", k.name) == *file)
            .unwrap_or_else(|| {
                panic!("kernels/{file} is not registered in backend/cuda/kernels.rs")
            });
        assert!(
            k.entry_points.contains(e),
            "kernels/{file}: entry point {e} is not registered in backend/cuda/kernels.rs"
        );
    }
}

/// The host declarations (whose numbers the other tests check) have the
/// kernels' own parameter lists: same count, same types in order. The CUDA
/// backend checks each launch's argument count against the same parse.
#[test]
fn every_host_declaration_has_the_kernels_parameter_types() {
    let squash = |s: &str| s.split_whitespace().collect::<String>();
    let mut checked = 0;
    for k in KERNELS {
        let src = k.full_source();
        for e in k.entry_points {
            let params =
                c_params(&src, e).unwrap_or_else(|| panic!("kernels/{}.cu: no {e}", k.name));
            let want: Vec<String> = params
                .iter()
                .map(|(ty, name)| {
                    let r = rust_type(ty)
                        .unwrap_or_else(|| panic!("{e}: C type {ty:?} of {name} unmapped"));
                    squash(r)
                })
                .collect();
            let (_, tys) = csnas_kernel_host::SIGNATURES
                .iter()
                .find(|(n, _)| n == e)
                .unwrap_or_else(|| panic!("{e} not declared for the host"));
            let got: Vec<String> = tys.iter().map(|t| squash(t)).collect();
            assert_eq!(
                got, want,
                "kernels/{}.cu: {e}: host declaration vs kernel",
                k.name
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} entry points checked");
}

/// Every launch site of the CUDA backend (`src/backend/cuda/*.rs`, which
/// only builds with the `cuda` feature and only runs on a GPU) pushes as
/// many arguments as its kernel takes. A static read of the source: for
/// each `.kernel(NAME)`, the kernel names NAME can hold (a literal, or the
/// literals of its `let`), and the `.arg(` calls up to the launch. The same
/// count is asserted again at run time on the device (`runtime::go_with`).
#[test]
fn every_cuda_launch_site_pushes_the_kernels_parameter_count() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/backend/cuda");
    let params = |name: &str| -> usize {
        let k = KERNELS
            .iter()
            .find(|k| k.entry_points.contains(&name))
            .unwrap_or_else(|| panic!("launch of unregistered kernel {name}"));
        c_params(&k.full_source(), name).unwrap().len()
    };
    let mut sites = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let src = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (at, _) in src.match_indices(".kernel(") {
            let open = at + ".kernel(".len();
            let ident = &src[open..open + src[open..].find(')').unwrap()];
            let names: Vec<String> = if let Some(lit) = ident.strip_prefix('"') {
                vec![lit.trim_end_matches('"').to_string()]
            } else {
                // The nearest `let` binding the identifier, before the call.
                let before = &src[..at];
                let pat = [format!("let {ident} ="), format!("let ({ident},")];
                let pos = pat
                    .iter()
                    .filter_map(|p| before.rfind(p.as_str()))
                    .max()
                    .unwrap_or_else(|| panic!("{file}: cannot find the binding of {ident}"));
                let stmt = &before[pos..pos + before[pos..].find(';').unwrap()];
                stmt.split('"')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect()
            };
            // The statement holding the call; when it only binds the launch
            // (`let mut a = ….kernel(x);`), the next statement pushes.
            let end = open + src[open..].find(';').unwrap();
            let mut stmt = &src[at..end];
            if !stmt.contains(".arg(") {
                let next = end + 1 + src[end + 1..].find(';').unwrap();
                stmt = &src[end + 1..next];
            }
            let pushed = stmt.matches(".arg(").count();
            assert!(!names.is_empty(), "{file}: no kernel name for {ident}");
            for n in &names {
                assert_eq!(
                    pushed,
                    params(n),
                    "{file}: launch of {n} pushes {pushed} arguments"
                );
            }
            sites += 1;
        }
    }
    assert!(sites >= 40, "only {sites} launch sites found");
    eprintln!("{sites} CUDA launch sites checked");
}
