//! The cell's parallel runs of nodes: every run is safe to run side by side
//! and, adding the run's input gradients afterwards, every state receives
//! the same sequence of additions as with one node at a time (checked over
//! every wiring of four nodes).

use super::cell::{backward_batches, forward_batches};

/// Every `indices` of `nodes` nodes: node `j`'s two edges read states `< j + 2`.
fn all_wirings(nodes: usize) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for j in 0..nodes {
        let mut next = Vec::new();
        for w in &out {
            for a in 0..j + 2 {
                for b in 0..j + 2 {
                    let mut v = w.clone();
                    v.extend([a, b]);
                    next.push(v);
                }
            }
        }
        out = next;
    }
    out
}

/// Each state's contributing edges, in the order one node at a time adds them.
fn one_at_a_time(indices: &[usize]) -> Vec<Vec<usize>> {
    let mut adds = vec![Vec::new(); indices.len() / 2 + 2];
    for k in (0..indices.len()).step_by(2).rev() {
        adds[indices[k]].push(k);
        adds[indices[k + 1]].push(k + 1);
    }
    adds
}

#[test]
fn darts_v2_normal_cell_runs_three_nodes_side_by_side() {
    let normal = [0, 1, 0, 1, 1, 0, 0, 2];
    assert_eq!(forward_batches(&normal), [(0, 3), (3, 4)]);
    assert_eq!(backward_batches(&normal), [(1, 4), (0, 1)]);
    let chain = [0, 1, 2, 1, 3, 0];
    assert_eq!(forward_batches(&chain), [(0, 1), (1, 2), (2, 3)]);
    assert_eq!(backward_batches(&chain), [(2, 3), (1, 2), (0, 1)]);
}

#[test]
fn runs_read_only_finished_states_and_keep_every_addition_order() {
    for nodes in 1..=4 {
        for ix in all_wirings(nodes) {
            let fwd = forward_batches(&ix);
            let covered: Vec<usize> = fwd.iter().flat_map(|&(a, b)| a..b).collect();
            assert_eq!(covered, (0..nodes).collect::<Vec<_>>(), "{ix:?}");
            for &(j0, j1) in &fwd {
                assert!(ix[2 * j0..2 * j1].iter().all(|&s| s < j0 + 2), "{ix:?}");
            }
            let bwd = backward_batches(&ix);
            let covered: Vec<usize> = bwd.iter().rev().flat_map(|&(a, b)| a..b).collect();
            assert_eq!(covered, (0..nodes).collect::<Vec<_>>(), "{ix:?}");
            let mut adds = vec![Vec::new(); nodes + 2];
            for &(j0, j1) in &bwd {
                // The run's own gradients are complete when it starts.
                for j in j0..j1 {
                    let readers = ix.iter().filter(|&&s| s == j + 2).count();
                    assert_eq!(adds[j + 2].len(), readers, "{ix:?} node {j}");
                }
                for j in (j0..j1).rev() {
                    adds[ix[2 * j]].push(2 * j);
                    adds[ix[2 * j + 1]].push(2 * j + 1);
                }
            }
            assert_eq!(adds, one_at_a_time(&ix), "{ix:?}");
        }
    }
}
