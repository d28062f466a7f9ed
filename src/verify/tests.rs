use super::*;

/// The CPU reference with one op's outputs nudged by `delta` at element 0.
struct Perturbed {
    op: VerifyOp,
    delta: f32,
}

impl OpBackend for Perturbed {
    fn name(&self) -> String {
        "perturbed-cpu".to_string()
    }

    fn run(&self, case: &OpCase) -> Result<Vec<(&'static str, Tensor)>> {
        let mut outs = CpuOps.run(case)?;
        if case.op == self.op {
            for (_, t) in &mut outs {
                t.data[0] += self.delta;
            }
        }
        Ok(outs)
    }
}

#[test]
fn cpu_against_itself_has_exactly_zero_error_on_every_output() {
    let rows = compare(&CpuOps, &CpuOps, 7).unwrap();
    // relu 2, drop_path 2, concat 3, four pools 2 each, gap 2, bn 6, sgd 2.
    assert_eq!(rows.len(), 25);
    for r in &rows {
        assert_eq!(
            (r.max_abs, r.max_rel),
            (0.0, 0.0),
            "{}.{}",
            r.op.name(),
            r.output
        );
    }
    check(&rows).unwrap();
}

#[test]
fn a_perturbed_op_fails_the_check_with_exit_1_naming_the_op() {
    let fake = Perturbed {
        op: VerifyOp::AvgPool { stride: 2 },
        delta: 1e-3,
    };
    let rows = compare(&CpuOps, &fake, 7).unwrap();
    let e = check(&rows).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    let msg = e.to_string();
    assert!(msg.contains("avg_pool_3x3_s2.y"), "{msg}");
    assert!(!msg.contains("relu"), "{msg}");
    let table = render_table("cpu", "perturbed-cpu", &rows);
    assert!(table.contains("FAIL"), "{table}");
}

#[test]
fn batch_norm_tolerance_admits_rounding_but_not_a_real_error() {
    // dbeta values are sums of 75 values in [-2, 2): a nudge of 1e-6 is
    // within atol 1e-5, one of 1e-2 is not.
    let small = Perturbed {
        op: VerifyOp::BatchNorm,
        delta: 1e-6,
    };
    check(&compare(&CpuOps, &small, 7).unwrap()).unwrap();
    let large = Perturbed {
        op: VerifyOp::BatchNorm,
        delta: 1e-2,
    };
    let e = check(&compare(&CpuOps, &large, 7).unwrap()).unwrap_err();
    assert!(e.to_string().contains("batch_norm"), "{e}");
}

#[test]
fn a_nan_against_a_number_is_a_failure() {
    let r = Tensor {
        shape: vec![2],
        data: vec![1.0, f32::NAN],
    };
    let a = Tensor {
        shape: vec![2],
        data: vec![f32::NAN, f32::NAN],
    };
    let row = divergence(VerifyOp::Relu, "y", &r, &a, tolerance(VerifyOp::BatchNorm));
    assert!(row.failure.is_some());
}

#[test]
fn inputs_are_the_same_for_the_same_seed_and_differ_for_another() {
    let a = cases(3);
    let b = cases(3);
    let c = cases(4);
    assert_eq!(a[0].inputs, b[0].inputs);
    assert_ne!(a[0].inputs, c[0].inputs);
}

#[test]
fn the_cuda_op_backend_fails_cleanly_without_a_device() {
    // Without a GPU (or without the feature) opening fails with exit 2 and a
    // message naming what is missing; it must never panic.
    if let Err(e) = op_backend(BackendKind::Cuda(0)) {
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.contains("CUDA") || msg.contains("cuda"), "{msg}");
    }
}
