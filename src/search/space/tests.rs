use super::*;
use crate::rng::StreamPath;
use std::collections::HashSet;

use Op::*;

#[test]
fn csnas_has_one_eight_way_variable_per_edge() {
    assert_eq!(SearchSpace::csnas(4).cardinalities(), vec![8; 28]);
    assert_eq!(SearchSpace::csnas(5).cardinalities(), vec![8; 40]);
    let names = SearchSpace::csnas(4).variable_names();
    assert_eq!(names[0], "normal/node0/edge0");
    assert_eq!(names[13], "normal/node3/edge4");
    assert_eq!(names[14], "reduce/node0/edge0");
}

#[test]
fn nodes_has_a_pair_and_two_ops_per_node() {
    let per_cell = [1, 7, 7, 3, 7, 7, 6, 7, 7, 10, 7, 7];
    let expected: Vec<usize> = per_cell.iter().chain(&per_cell).copied().collect();
    assert_eq!(SearchSpace::nodes(4).cardinalities(), expected);
    assert_eq!(SearchSpace::nodes(4).variable_names().len(), 24);
}

#[test]
fn pairs_are_enumerated_by_high_then_low_input() {
    let got: Vec<_> = (0..10).map(pair).collect();
    let want = [
        (0, 1),
        (0, 2),
        (1, 2),
        (0, 3),
        (1, 3),
        (2, 3),
        (0, 4),
        (1, 4),
        (2, 4),
        (3, 4),
    ];
    assert_eq!(got, want);
}

#[test]
fn csnas_decode_keeps_the_earliest_two_non_none_edges() {
    // node0: sep3, sep5; node1: none, skip, none (one strong edge + filler);
    // node2: dil3, avg, max, dil5 (three strong: first two kept);
    // node3: all none (two fillers).
    let cell = [4, 5, 0, 3, 0, 6, 2, 1, 7, 0, 0, 0, 0, 0];
    let mut choices = cell.to_vec();
    choices.extend(cell);
    let g = SearchSpace::csnas(4).decode(&choices).unwrap();
    let want = vec![
        (SepConv3x3, 0),
        (SepConv5x5, 1),
        (SkipConnect, 1),
        (MaxPool3x3, 0),
        (DilConv3x3, 0),
        (AvgPool3x3, 1),
        (MaxPool3x3, 0),
        (MaxPool3x3, 1),
    ];
    assert_eq!(g.normal.edges, want);
    assert_eq!(g.reduce.edges, want);
    assert_eq!(g.normal.concat, vec![2, 3, 4, 5]);
}

#[test]
fn csnas_decode_of_many_none_patterns_gives_one_genotype() {
    // Only which strong edges and ops survive matters: two vectors that differ
    // in a dropped edge decode to the same genotype hash.
    let space = SearchSpace::csnas(4);
    let mut a = vec![1; 28];
    let mut b = vec![1; 28];
    a[2] = 3; // node1 edge0..2 = skip, max, max -> keeps edges 0, 1
    b[2] = 3;
    b[4] = 7; // node1 edge2 differs but is the third strong edge: dropped
    assert_eq!(
        space.decode(&a).unwrap().hash(),
        space.decode(&b).unwrap().hash()
    );
}

#[test]
fn nodes_decoding_of_a_cell_is_a_bijection_onto_canonical_cells() {
    // Two nodes: node0 reads (0,1), 49 op pairs; node1 reads one of 3 pairs,
    // 49 op pairs each: 49 * 147 = 7203 cells with distinct inputs and no
    // `none`. Every choice vector gives a different cell, so the decoding is
    // injective, and it hits all 7203 of them.
    let mut seen = HashSet::new();
    for p1 in 0..3 {
        for ops in 0..7usize.pow(4) {
            let c = [0, ops % 7, ops / 7 % 7, p1, ops / 49 % 7, ops / 343];
            let cell = decode_nodes_cell(&c, 2);
            for n in 0..2 {
                let (a, b) = (cell.edges[2 * n], cell.edges[2 * n + 1]);
                assert!(a.1 < b.1 && b.1 < n + 2 && a.0 != None && b.0 != None);
            }
            seen.insert(cell);
        }
    }
    assert_eq!(seen.len(), 49 * 147);
}

#[test]
fn nodes_encode_inverts_decode_whatever_the_edge_order() {
    let space = SearchSpace::nodes(4);
    let cards = space.cardinalities();
    let mut s = StreamPath::root(3).child("test").stream();
    for _ in 0..50 {
        let choices: Vec<usize> = cards.iter().map(|&c| s.below(c as u64) as usize).collect();
        let mut g = space.decode(&choices).unwrap();
        assert_eq!(space.encode_nodes(&g).unwrap(), choices);
        g.normal.edges.swap(2, 3);
        assert_eq!(space.encode_nodes(&g).unwrap(), choices);
    }
}

#[test]
fn nodes_encode_rejects_none_and_repeated_inputs() {
    let space = SearchSpace::nodes(4);
    let mut g = space.decode(&[0; 24]).unwrap();
    g.reduce.edges[0].0 = None;
    assert!(space.encode_nodes(&g).is_err());
    let mut g = space.decode(&[0; 24]).unwrap();
    g.normal.edges[3].1 = g.normal.edges[2].1;
    assert!(space.encode_nodes(&g).is_err());
    assert!(SearchSpace::csnas(4).encode_nodes(&g).is_err());
}

#[test]
fn decode_names_a_bad_variable_or_length() {
    let space = SearchSpace::nodes(4);
    let err = space.decode(&[0; 23]).unwrap_err().to_string();
    assert!(err.contains("23 choices"), "{err}");
    let mut c = vec![0; 24];
    c[15] = 3; // reduce/node1/inputs has 3 choices
    let err = space.decode(&c).unwrap_err().to_string();
    assert!(err.contains("reduce/node1/inputs"), "{err}");
}

#[test]
fn five_node_spaces_decode_to_five_node_genotypes() {
    // `nodes` concatenates every node; `csnas` the last 4, as the authors'
    // decoding with DARTS's multiplier 4 does (space.rs module doc).
    for (space, concat) in [
        (SearchSpace::csnas(5), vec![3, 4, 5, 6]),
        (SearchSpace::nodes(5), vec![2, 3, 4, 5, 6]),
    ] {
        let last: Vec<usize> = space.cardinalities().iter().map(|c| c - 1).collect();
        let g = space.decode(&last).unwrap();
        assert_eq!(g.normal.nodes(), 5);
        assert_eq!(g.reduce.concat, concat);
        g.validate().unwrap();
    }
}

#[test]
fn decoded_genotypes_validate_and_survive_the_darts_text_form() {
    let mut s = StreamPath::root(11).child("test").stream();
    for space in [
        SearchSpace::csnas(4),
        SearchSpace::nodes(4),
        SearchSpace::csnas(5),
    ] {
        let cards = space.cardinalities();
        for _ in 0..20 {
            let c: Vec<usize> = cards.iter().map(|&k| s.below(k as u64) as usize).collect();
            let g = space.decode(&c).unwrap();
            g.validate().unwrap();
            assert_eq!(Genotype::parse(&g.to_darts_string()).unwrap(), g);
        }
    }
}
