use super::*;
use crate::search::tpe::TpeSettings;

fn committed() -> Vec<Instance> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/tpe/instances.json");
    read_instances(&path).unwrap()
}

fn proposer(name: &str, strategy: Strategy) -> StrategyProposer {
    StrategyProposer {
        name: name.into(),
        strategy,
    }
}

#[test]
fn committed_instances_fit_the_csnas_spaces_at_4_and_5_nodes() {
    let all = committed();
    assert_eq!(all.len(), 12);
    for inst in &all {
        let n = inst.cardinalities.len();
        assert!(n == 28 || n == 40, "{}", inst.name);
        assert_eq!(
            inst.space().unwrap(),
            SearchSpace::csnas(if n == 28 { 4 } else { 5 })
        );
        assert_eq!(inst.pairs.len(), n);
    }
    let tune = all.iter().filter(|i| i.role == "tune").count();
    assert_eq!((tune, all.len() - tune), (4, 8));
}

#[test]
fn objective_values_equal_the_python_sides() {
    // value(inst, x) in benches/tpe/reference.py, for x = all 0 and
    // x_v = v % 8, on v28-0 and v40-5:
    //   python3 -c "import json,sys; sys.path.insert(0,'benches/tpe'); import reference as r;
    //   I={i['name']:i for i in r.load_instances('benches/tpe/instances.json')};
    //   print([r.value(I[k],[0]*len(I[k]['unary'])) for k in ('v28-0','v40-5')],
    //         [r.value(I[k],[v%8 for v in range(len(I[k]['unary']))]) for k in ('v28-0','v40-5')])"
    let all = committed();
    let get = |n: &str| all.iter().find(|i| i.name == n).unwrap();
    let (a, b) = (get("v28-0"), get("v40-5"));
    let zeros = |i: &Instance| i.value(&vec![0; i.cardinalities.len()]);
    let ramp = |i: &Instance| {
        i.value(
            &(0..i.cardinalities.len())
                .map(|v| v % 8)
                .collect::<Vec<_>>(),
        )
    };
    assert_eq!([zeros(a), zeros(b)], PYTHON_ZEROS);
    assert_eq!([ramp(a), ramp(b)], PYTHON_RAMP);
}

const PYTHON_ZEROS: [f64; 2] = [-1524.0, -1136.0];
const PYTHON_RAMP: [f64; 2] = [672.0, 203.0];

#[test]
fn a_hand_made_instance_sums_unary_and_pair_terms() {
    let inst = Instance {
        name: "hand".into(),
        role: "tune".into(),
        cardinalities: vec![8; 28],
        unary: (0..28)
            .map(|v| (0..8).map(|c| v * 10 + c).collect())
            .collect(),
        pairs: vec![Interaction {
            u: 1,
            v: 27,
            table: (0..8)
                .map(|a| (0..8).map(|b| 100 * a - b).collect())
                .collect(),
        }],
    };
    let mut x = vec![0; 28];
    x[1] = 2;
    x[27] = 5;
    // Unary: Σ 10·v = 3780, plus 2 and 5; pair: 200 − 5.
    assert_eq!(inst.value(&x), (3780 + 2 + 5 + 195) as f64);
}

#[test]
fn runs_are_reproducible_and_batches_of_random_proposals_are_sequential_ones() {
    let inst = &committed()[0];
    let rnd = proposer("random", Strategy::Random);
    let a = run(inst, &rnd, 3, 40, 1).unwrap();
    assert_eq!(a, run(inst, &rnd, 3, 40, 4).unwrap());
    assert_ne!(a, run(inst, &rnd, 4, 40, 1).unwrap());
    let tpe = proposer("improved", Strategy::Tpe(TpeSettings::improved()));
    let b = run(inst, &tpe, 3, 40, 1).unwrap();
    assert_eq!(b, run(inst, &tpe, 3, 40, 1).unwrap());
    assert_eq!(a[..10], b[..10], "start-up trials are the random ones");
    // Batches of TPE proposals: the same start-up trials, then other points.
    let c = run(inst, &tpe, 3, 40, 4).unwrap();
    assert_eq!(b[..8], c[..8]);
    assert_ne!(b, c);
    assert_eq!(best_after(&[3.0, 1.0, 2.0, 0.0], 3), 1.0);
}

#[test]
fn a_file_that_does_not_fit_is_refused_naming_the_instance() {
    let dir = std::env::temp_dir().join(format!("csnas-synthetic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.json");
    let text = r#"{"instances":[{"name":"odd","role":"tune","cardinalities":[8,8],
        "unary":[[0,0,0,0,0,0,0,0]],"pairs":[]}]}"#;
    std::fs::write(&path, text).unwrap();
    let e = read_instances(&path).unwrap_err().to_string();
    assert!(e.contains("instance odd: unary terms"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
