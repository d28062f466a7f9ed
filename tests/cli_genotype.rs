//! `csnas genotype` run as a process: exit codes, one-line errors, and output.

mod common;
use common::{csnas, stderr};

/// Asserts exit code 2 and a single `error: ...` line on stderr; returns it.
fn assert_bad_input(args: &[&str]) -> String {
    let out = csnas(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

/// 3,349,342 is the PyTorch DARTS count for DARTS_V2 at C=36, 20 layers
/// (DESIGN 2, "Reference figures").
#[test]
fn show_darts_v2_prints_text_hash_and_published_parameter_count() {
    let out = csnas(&["genotype", "show", "DARTS_V2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("Genotype(normal=[('sep_conv_3x3', 0), "),
        "{stdout}"
    );
    assert!(
        lines[1].starts_with("hash: ") && lines[1].len() == 6 + 64,
        "{stdout}"
    );
    assert_eq!(lines[2], "parameters: 3349342");
}

#[test]
fn list_prints_the_builtin_names() {
    let out = csnas(&["genotype", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "DARTS_V1\nDARTS_V2\nNASNet\nAmoebaNet\nPC_DARTS_cifar\nPC_DARTS_image\nPDARTS\n\
         CNAS_ISIC_s4\nCNAS_ISIC_s5\n"
    );
}

#[test]
fn pc_darts_and_p_darts_count_what_their_papers_report() {
    // The papers' CIFAR-10 tables (C=36, 20 cells, no auxiliary head):
    // PC-DARTS 3.6M (Xu et al. 2020, Table 1), P-DARTS 3.4M (Chen et al.
    // 2019, Table 1), both rounded to 0.1M.
    for (name, millions) in [("PC_DARTS_cifar", 36), ("PDARTS", 34)] {
        let out = csnas(&["genotype", "show", name]);
        let text = String::from_utf8(out.stdout).unwrap();
        let count: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("parameters: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!((count + 50_000) / 100_000, millions, "{name}: {count}");
    }
    // The CSNAS authors' 5-node cell concatenates nodes 3 to 6 only.
    let out = csnas(&["genotype", "show", "CNAS_ISIC_s5"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("normal_concat=[3, 4, 5, 6]"), "{text}");
}

#[test]
fn bad_genotype_text_exits_2_with_one_line_naming_the_edge() {
    let text = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_9x9', 1)],\n normal_concat=[2], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1)], reduce_concat=[2])";
    let err = assert_bad_input(&["genotype", "show", text]);
    assert!(
        err.contains("normal edge 1: unknown op 'sep_conv_9x9'"),
        "{err}"
    );
    let err = assert_bad_input(&[
        "genotype",
        "show",
        "Genotype(normal=[('sep_conv_3x3'\n 0)])",
    ]);
    assert!(err.contains("line 2, column 2: expected ','"), "{err}");
}

#[test]
fn unknown_name_exits_2_and_lists_the_names() {
    let err = assert_bad_input(&["genotype", "show", "darts_v2"]);
    assert!(
        err.contains("DARTS_V1, DARTS_V2, NASNet, AmoebaNet"),
        "{err}"
    );
    assert!(err.contains("did you mean 'DARTS_V2'?"), "{err}");
}

#[test]
fn odd_channels_exit_2_naming_the_flag() {
    let err = assert_bad_input(&["genotype", "show", "DARTS_V2", "--channels", "7"]);
    assert!(
        err.starts_with("error: --channels 7: must be a positive even number"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let out = csnas(&["genotype", "show", "DARTS_V2", "--channels", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--channels"));
    assert_eq!(csnas(&["genotype", "frobnicate"]).status.code(), Some(2));
    assert_eq!(csnas::<&str>(&[]).status.code(), Some(2));
    for args in [
        &["--help"][..],
        &["genotype", "--help"],
        &["genotype", "show", "--help"],
    ] {
        let out = csnas(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8(out.stdout).unwrap().contains("Usage:"),
            "{args:?}"
        );
    }
}

#[test]
fn every_show_flag_has_help_text() {
    let out = csnas(&["genotype", "show", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    let flags = [
        "--channels",
        "--layers",
        "--auxiliary",
        "--classes",
        "--in-channels",
        "--image-size",
    ];
    for flag in flags {
        let line = help
            .lines()
            .map(str::trim_start)
            .find(|l| l.starts_with(flag));
        let rest =
            line.unwrap_or_else(|| panic!("{flag} missing: {help}"))[flag.len()..].trim_start();
        // Drop the value placeholder `<X>` and clap's own `[default: ..]`.
        let rest = rest
            .strip_prefix('<')
            .map_or(rest, |r| &r[r.find('>').unwrap() + 1..]);
        let description = rest.split("[default:").next().unwrap().trim();
        assert!(!description.is_empty(), "{flag} has no help text: {help}");
    }
}

/// The other two reference figures of DESIGN 2 (PyTorch DARTS, checked):
/// DARTS_V2 with the auxiliary head 3,825,768; DARTS_V1 3,169,414.
#[test]
fn show_prints_the_published_counts_with_auxiliary_and_for_darts_v1() {
    for (args, expected) in [
        (
            &[
                "genotype",
                "show",
                "DARTS_V2",
                "--channels",
                "36",
                "--layers",
                "20",
                "--auxiliary",
            ][..],
            "parameters: 3825768",
        ),
        (
            &[
                "genotype",
                "show",
                "DARTS_V1",
                "--channels",
                "36",
                "--layers",
                "20",
            ][..],
            "parameters: 3169414",
        ),
    ] {
        let out = csnas(args);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(stdout.lines().any(|l| l == expected), "{args:?}: {stdout}");
    }
}
