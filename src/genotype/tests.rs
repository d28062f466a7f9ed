//! Tests of the text form, validation, built-ins and canonical hash.
//!
//! The expected strings are what Python 3 prints for the namedtuples of DARTS'
//! `cnn/genotypes.py` (`python3 -c "import genotypes as d; print(d.NASNet)"`,
//! run on that file), so they are an independent check of both the printer and
//! the transcribed built-in data.

use super::*;

const DARTS_V1_PY: &str = "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])";
const DARTS_V2_PY: &str = "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])";
const NASNET_PY: &str = "Genotype(normal=[('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('sep_conv_5x5', 0), ('sep_conv_3x3', 0), ('avg_pool_3x3', 1), ('skip_connect', 0), ('avg_pool_3x3', 0), ('avg_pool_3x3', 0), ('sep_conv_3x3', 1), ('skip_connect', 1)], normal_concat=[2, 3, 4, 5, 6], reduce=[('sep_conv_5x5', 1), ('sep_conv_7x7', 0), ('max_pool_3x3', 1), ('sep_conv_7x7', 0), ('avg_pool_3x3', 1), ('sep_conv_5x5', 0), ('skip_connect', 3), ('avg_pool_3x3', 2), ('sep_conv_3x3', 2), ('max_pool_3x3', 1)], reduce_concat=[4, 5, 6])";
const AMOEBANET_PY: &str = "Genotype(normal=[('avg_pool_3x3', 0), ('max_pool_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), ('avg_pool_3x3', 3), ('sep_conv_3x3', 1), ('skip_connect', 1), ('skip_connect', 0), ('avg_pool_3x3', 1)], normal_concat=[4, 5, 6], reduce=[('avg_pool_3x3', 0), ('sep_conv_3x3', 1), ('max_pool_3x3', 0), ('sep_conv_7x7', 2), ('sep_conv_7x7', 0), ('avg_pool_3x3', 1), ('max_pool_3x3', 0), ('max_pool_3x3', 1), ('conv_7x1_1x7', 0), ('sep_conv_3x3', 5)], reduce_concat=[3, 4, 6])";

const PYTHON_PRINTS: [(&str, &str); 4] = [
    ("DARTS_V1", DARTS_V1_PY),
    ("DARTS_V2", DARTS_V2_PY),
    ("NASNet", NASNET_PY),
    ("AmoebaNet", AMOEBANET_PY),
];

fn err(text: &str) -> String {
    Genotype::parse(text).unwrap_err().to_string()
}

/// A valid 4-node genotype text with `normal` edges replaced by `normal`.
fn with_normal(normal: &str) -> String {
    format!(
        "Genotype(normal={normal}, normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
    )
}

#[test]
fn every_builtin_prints_as_python_prints_it() {
    for (name, python) in PYTHON_PRINTS {
        assert_eq!(builtin(name).unwrap().to_darts_string(), python, "{name}");
    }
}

#[test]
fn every_builtin_round_trips_through_text() {
    for name in BUILTIN_NAMES {
        let g = builtin(name).unwrap();
        g.validate().unwrap();
        let text = g.to_darts_string();
        let back = Genotype::parse(&text).unwrap();
        assert_eq!(back, g, "{name}");
        assert_eq!(back.to_darts_string(), text, "{name}");
    }
}

#[test]
fn builtins_have_the_published_node_counts() {
    let nodes = |n: &str| {
        let g = builtin(n).unwrap();
        (g.normal.nodes(), g.reduce.nodes())
    };
    assert_eq!(nodes("DARTS_V1"), (4, 4));
    assert_eq!(nodes("DARTS_V2"), (4, 4));
    assert_eq!(nodes("NASNet"), (5, 5));
    assert_eq!(nodes("AmoebaNet"), (5, 5));
}

#[test]
fn darts_v2_prints_the_hand_written_string() {
    // Typed out by hand (split for reading) from DARTS_V2 in genotypes.py, not produced by the printer.
    let expected = concat!(
        "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ",
        "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ",
        "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ",
        "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ",
        "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
    );
    assert_eq!(builtin("DARTS_V2").unwrap().to_darts_string(), expected);
}

#[test]
fn python_range_concat_double_quotes_and_newlines_parse_to_the_list_form() {
    // As DARTS' genotypes.py writes it in source (range, multi-line, trailing
    // commas) with double quotes mixed in.
    let text = "Genotype(\n  normal = [\n    (\"sep_conv_3x3\", 0),\n    ('sep_conv_3x3', 1),\n    ('sep_conv_3x3', 0),\n    ('sep_conv_3x3', 1),\n    ('sep_conv_3x3', 1),\n    ('skip_connect', 0),\n    ('skip_connect', 0),\n    ('dil_conv_3x3', 2),\n  ],\n  normal_concat = range(2, 6),\n  reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)],\n  reduce_concat=range(2,6),\n)\n";
    let g = Genotype::parse(text).unwrap();
    assert_eq!(g, builtin("DARTS_V2").unwrap());
    assert_eq!(g.to_darts_string(), DARTS_V2_PY);
}

#[test]
fn tuple_and_other_range_forms_of_concat_are_accepted() {
    let base = with_normal(
        "[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)]",
    );
    for (form, expected) in [
        ("(2, 3, 4, 5)", vec![2, 3, 4, 5]),
        ("(5,)", vec![5]),
        ("range(2, 6, 2)", vec![2, 4]),
        ("[3, 5,]", vec![3, 5]),
    ] {
        let text = base.replace(
            "normal_concat=[2, 3, 4, 5]",
            &format!("normal_concat={form}"),
        );
        assert_eq!(
            Genotype::parse(&text).unwrap().normal.concat,
            expected,
            "{form}"
        );
    }
}

#[test]
fn parse_or_builtin_accepts_names_and_text() {
    assert_eq!(
        Genotype::parse_or_builtin(" NASNet ").unwrap(),
        builtin("NASNet").unwrap()
    );
    assert_eq!(
        Genotype::parse_or_builtin(NASNET_PY).unwrap(),
        builtin("NASNet").unwrap()
    );
    // Text that is a call but misspelt gets a parse error, not "unknown name".
    let e = Genotype::parse_or_builtin("Genotipe(normal=[])")
        .unwrap_err()
        .to_string();
    assert!(e.contains("expected 'Genotype'"), "{e}");
}

#[test]
fn unknown_name_lists_valid_names_and_suggests_the_spelling() {
    let e = builtin("darts_v2").unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let e = e.to_string();
    assert!(e.contains("unknown genotype name 'darts_v2'"), "{e}");
    assert!(e.contains("DARTS_V1, DARTS_V2, NASNet, AmoebaNet"), "{e}");
    assert!(e.ends_with("did you mean 'DARTS_V2'?"), "{e}");
    assert!(
        !builtin("ENAS")
            .unwrap_err()
            .to_string()
            .contains("did you mean")
    );
}

#[test]
fn unknown_op_names_the_cell_and_edge() {
    let text = DARTS_V2_PY.replacen("('skip_connect', 0)", "('sep_conv_9x9', 0)", 1);
    let e = err(&text);
    assert!(
        e.starts_with("normal edge 5: unknown op 'sep_conv_9x9'"),
        "{e}"
    );
}

#[test]
fn input_out_of_range_names_edge_node_and_range() {
    // reduce edge 3 is node 1, state 3: it may read states 0..=2.
    let text = DARTS_V2_PY.replacen(
        "('max_pool_3x3', 1), ('max_pool_3x3', 0)",
        "('max_pool_3x3', 7), ('max_pool_3x3', 0)",
        1,
    );
    assert_eq!(
        err(&text),
        "reduce edge 3 (node 3): input 7 out of range 0..=2"
    );
    // The last edge of a 4-node cell may read state 4 but not 5.
    let text = DARTS_V2_PY.replacen("('dil_conv_3x3', 2)", "('dil_conv_3x3', 5)", 1);
    assert_eq!(
        err(&text),
        "normal edge 7 (node 5): input 5 out of range 0..=4"
    );
    let text = DARTS_V2_PY.replacen("('dil_conv_3x3', 2)", "('dil_conv_3x3', 4)", 1);
    assert!(Genotype::parse(&text).is_ok());
}

#[test]
fn concat_index_out_of_range_is_named() {
    let text = DARTS_V2_PY.replacen("normal_concat=[2, 3, 4, 5]", "normal_concat=[2, 9]", 1);
    assert_eq!(err(&text), "normal_concat: index 9 out of range 2..=5");
    let text = DARTS_V2_PY.replacen("reduce_concat=[2, 3, 4, 5]", "reduce_concat=[1, 2]", 1);
    assert_eq!(err(&text), "reduce_concat: index 1 out of range 2..=5");
}

#[test]
fn empty_concat_is_rejected_in_list_and_range_form() {
    let text = DARTS_V2_PY.replacen("normal_concat=[2, 3, 4, 5]", "normal_concat=[]", 1);
    assert!(err(&text).starts_with("normal_concat: empty"));
    let text = DARTS_V2_PY.replacen("reduce_concat=[2, 3, 4, 5]", "reduce_concat=range(6, 2)", 1);
    assert!(err(&text).starts_with("reduce_concat: empty"));
}

#[test]
fn odd_and_zero_edge_counts_are_rejected() {
    let e = err(&with_normal(
        "[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0)]",
    ));
    assert_eq!(
        e,
        "normal: odd number of edges (3); each node takes exactly two"
    );
    let e = err(&with_normal("[]"));
    assert!(e.starts_with("normal: no edges"), "{e}");
}

#[test]
fn parse_errors_give_line_column_and_fragment_on_one_line() {
    let e = err("Genotype(normal=[('sep_conv_3x3' 0)])");
    assert_eq!(
        e,
        "genotype text, line 1, column 34: expected ',', near '0)])'"
    );
    let e = err("Genotype(\n  normal=[],\n  reduce=[])");
    assert_eq!(
        e,
        "genotype text, line 3, column 3: expected keyword argument 'normal_concat=', near 'reduce=[])'"
    );
    let e = err(&format!("{DARTS_V2_PY} extra"));
    assert!(
        e.contains("unexpected text after the closing ')'") && e.ends_with("near 'extra'"),
        "{e}"
    );
    let e = err(&DARTS_V2_PY[..DARTS_V2_PY.find("), (").unwrap() + 3]);
    assert!(e.ends_with("near end of text"), "{e}");
    let e = err(&DARTS_V2_PY.replacen("('sep_conv_3x3', 0)", "('sep_conv_3x3', -1)", 1));
    assert!(
        e.contains("expected a non-negative integer, near '-1)"),
        "{e}"
    );
    let e = err(&DARTS_V2_PY.replacen("normal_concat", "reduce_concat", 1));
    assert!(
        e.contains("expected keyword argument 'normal_concat='"),
        "{e}"
    );
    for e in [
        err("Genotype(normal=[('a\nb', 0)])"),
        err("Genotype(normal=[(\"x', 0)])"),
    ] {
        assert!(
            !e.contains('\n') && e.contains("unterminated or escaped string"),
            "{e}"
        );
    }
}

#[test]
fn huge_numbers_and_ranges_are_rejected_without_allocating() {
    let text = DARTS_V2_PY.replacen(
        "normal_concat=[2, 3, 4, 5]",
        "normal_concat=range(0, 4000000000)",
        1,
    );
    assert!(err(&text).contains("range() longer than 4096"));
    let text = DARTS_V2_PY.replacen(
        "normal_concat=[2, 3, 4, 5]",
        "normal_concat=[99999999999]",
        1,
    );
    assert!(err(&text).contains("integer too large"));
}

#[test]
fn canonical_bytes_are_stable_and_distinguish_genotypes() {
    let v2 = builtin("DARTS_V2").unwrap();
    assert_eq!(
        v2.canonical_bytes(),
        Genotype::parse(DARTS_V2_PY).unwrap().canonical_bytes()
    );
    // Layout: 17-byte tag, then per cell 4 + 8·5 + 4 + 4·4 = 64 bytes.
    let bytes = v2.canonical_bytes();
    assert_eq!(bytes.len(), 17 + 2 * 64);
    assert_eq!(&bytes[..17], b"csnas-genotype-v1");
    assert_eq!(&bytes[17..21], &8u32.to_le_bytes());
    // First normal edge: sep_conv_3x3 (code 4), input 0.
    assert_eq!(&bytes[21..26], &[4, 0, 0, 0, 0]);
    let hashes: Vec<_> = BUILTIN_NAMES
        .iter()
        .map(|n| builtin(n).unwrap().hash())
        .collect();
    for i in 0..hashes.len() {
        for j in i + 1..hashes.len() {
            assert_ne!(
                hashes[i], hashes[j],
                "{} vs {}",
                BUILTIN_NAMES[i], BUILTIN_NAMES[j]
            );
        }
    }
    // Changing a single input changes the hash.
    let mut changed = v2.clone();
    changed.reduce.edges[7].1 = 0;
    assert_ne!(changed.hash(), v2.hash());
    assert_eq!(v2.hash(), blake3::hash(&bytes));
}

/// Golden hashes from an independent Python encoder that follows the layout
/// documented on `canonical_bytes` (struct.pack + the `blake3` PyPI package):
///   out = b'csnas-genotype-v1'
///   for edges, concat in cells: out += pack('<I', len(edges))
///     + b''.join(bytes([OPS.index(op)]) + pack('<I', i) for op, i in edges)
///     + pack('<I', len(concat)) + b''.join(pack('<I', c) for c in concat)
///   blake3.blake3(out).hexdigest()
/// A change here changes every ledger's genotype hashes: bump the tag instead.
#[test]
fn canonical_hash_matches_independent_golden_values() {
    let hex = |n: &str| builtin(n).unwrap().hash().to_hex().to_string();
    assert_eq!(
        hex("DARTS_V2"),
        "1f3adaedb1047323c5d2b538e6f9f49172a94be60fd0e911277691f5e2900cc2"
    );
    assert_eq!(
        hex("NASNet"),
        "e3529b30a7d6761991f98bcfbdc325835c0f331a8dbead72e114bb7f734459e0"
    );
}
