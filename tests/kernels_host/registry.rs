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

/// Every launch site of the CUDA backend (the ops' `src/ops/<op>/cuda.rs`
/// and `src/backend/cuda/*.rs`, which only build with the `cuda` feature
/// and only run on a GPU) pushes as many arguments as its kernel takes. A
/// static read of the source, of the three forms a launch takes:
/// `launch("NAME", n)` / `launch_with("NAME", …)` and
/// `per_channel(b, "SEQ", "BLOCK", c)`, each counted up to its `.go()`
/// (`.arg(` one each, `.args(&d)` the length of `d`'s array), and
/// `map("NAME", &[inputs])` (the inputs, the output, the count). The same
/// count is asserted again at run time on the device (`Launch::go`).
#[test]
fn every_cuda_launch_site_pushes_the_kernels_parameter_count() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let params = |name: &str| -> usize {
        let k = KERNELS
            .iter()
            .find(|k| k.entry_points.contains(&name))
            .unwrap_or_else(|| panic!("launch of unregistered kernel {name}"));
        c_params(&k.full_source(), name).unwrap().len()
    };
    let mut files = vec![];
    for dir in std::fs::read_dir(root.join("src/ops")).unwrap() {
        let path = dir.unwrap().path().join("cuda.rs");
        if path.exists() {
            files.push(path);
        }
    }
    for entry in std::fs::read_dir(root.join("src/backend/cuda")).unwrap() {
        files.push(entry.unwrap().path());
    }
    let mut sites = 0;
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let file = path.display().to_string();
        for (at, names, pushed) in launch_sites(&src, &file) {
            for n in &names {
                assert_eq!(
                    pushed,
                    params(n),
                    "{file} (byte {at}): launch of {n} pushes {pushed} arguments"
                );
            }
            sites += 1;
        }
    }
    assert!(sites >= 44, "only {sites} launch sites found");
    eprintln!("{sites} CUDA launch sites checked");
}

/// The string literals of `s` (a call's argument list), in order.
fn literals(s: &str) -> Vec<String> {
    s.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `(offset, kernel names, arguments pushed)` of every launch site in `src`.
fn launch_sites(src: &str, file: &str) -> Vec<(usize, Vec<String>, usize)> {
    let mut sites = vec![];
    for call in ["launch(\"", "launch_with(\"", "per_channel(", ".map(\""] {
        for (at, _) in src.match_indices(call) {
            let open = at + call.len() - usize::from(call.ends_with('"'));
            let close = open + src[open..].find(')').unwrap();
            let mut names = literals(&src[open..close]);
            if call == "launch(\"" || call == "launch_with(\"" {
                names.truncate(1);
            }
            if names.is_empty() {
                continue; // the helper's own definition, not a site
            }
            let pushed = if call == ".map(\"" {
                let list = &src[open..close];
                let inputs = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
                inputs.split(',').filter(|s| !s.trim().is_empty()).count() + 2
            } else {
                let go = open
                    + src[open..]
                        .find(".go()")
                        .unwrap_or_else(|| panic!("{file}: a launch without .go()"));
                pushed_between(src, &src[open..go], file)
            };
            sites.push((at, names, pushed));
        }
    }
    sites
}

/// Arguments a launch chain pushes: one per `.arg(`, and the length of the
/// array behind each `.args(&d)` (an array literal bound by `let d = [..]`,
/// or a call to a function returning `[u64; N]`).
fn pushed_between(src: &str, chain: &str, file: &str) -> usize {
    let mut n = chain.matches(".arg(").count();
    for (at, _) in chain.match_indices(".args(&") {
        let rest = &chain[at + ".args(&".len()..];
        let ident = &rest[..rest.find(')').unwrap()];
        let bind = format!("let {ident} = ");
        let pos = src
            .find(&bind)
            .unwrap_or_else(|| panic!("{file}: cannot find the binding of {ident}"));
        let stmt = &src[pos + bind.len()..pos + src[pos..].find(';').unwrap()];
        n += if let Some(array) = stmt.trim().strip_prefix('[') {
            let array = &array[..array.rfind(']').unwrap()];
            array.split(',').filter(|s| !s.trim().is_empty()).count()
        } else {
            let f = &stmt[..stmt.find('(').unwrap()];
            let sig = &src[src.find(&format!("fn {f}(")).unwrap()..];
            let len = &sig[sig.find("[u64; ").unwrap() + 6..];
            len[..len.find(']').unwrap()].parse::<usize>().unwrap()
        };
    }
    n
}
