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
        let mut outs = cpu_ops().run(case)?;
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
    let rows = compare(&cpu_ops(), &cpu_ops(), 7).unwrap();
    // relu 4, drop_path 2, concat 3, four pools 2 each, gap 2, bn 7, sgd 2,
    // two convs 5 each, linear 4, add 3, crop 3, nt_xent 2, pirl_nce 3,
    // cross-entropy 2, clipping 3.
    assert_eq!(rows.len(), 58);
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
    let rows = compare(&cpu_ops(), &fake, 7).unwrap();
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
    check(&compare(&cpu_ops(), &small, 7).unwrap()).unwrap();
    let large = Perturbed {
        op: VerifyOp::BatchNorm,
        delta: 1e-2,
    };
    let e = check(&compare(&cpu_ops(), &large, 7).unwrap()).unwrap_err();
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

/// The seam methods each verify case calls (the perturbed backend's names).
fn seam_methods(op: VerifyOp) -> &'static [&'static str] {
    match op {
        VerifyOp::Relu => &[
            "relu_forward",
            "relu_backward",
            "relu_forward_masked",
            "relu_backward_masked",
        ],
        VerifyOp::DropPath => &["drop_path_forward", "drop_path_backward"],
        VerifyOp::Concat => &["concat_channels", "split_channels"],
        VerifyOp::MaxPool { .. } => &["max_pool2d_forward", "max_pool2d_backward"],
        VerifyOp::AvgPool { .. } => &["avg_pool2d_forward", "avg_pool2d_backward"],
        VerifyOp::GlobalAvgPool => &["global_avg_pool_forward", "global_avg_pool_backward"],
        VerifyOp::BatchNorm => &[
            "batch_norm_train_forward",
            "batch_norm_eval_forward",
            "batch_norm_backward",
        ],
        VerifyOp::Sgd => &["sgd_update"],
        VerifyOp::Conv2d | VerifyOp::DepthwiseConv => &[
            "conv2d_forward",
            "conv2d_backward_data",
            "conv2d_backward_filter",
        ],
        VerifyOp::Linear => &["linear_forward", "linear_backward"],
        VerifyOp::Add => &["add", "add_assign", "split_rows", "concat_rows"],
        VerifyOp::Crop => &["crop_top_left", "shift_add", "zero_forward"],
        VerifyOp::NtXent => &["nt_xent_forward", "nt_xent_backward"],
        VerifyOp::PirlNce => &["pirl_nce_forward", "pirl_nce_backward"],
        VerifyOp::CrossEntropy => &["cross_entropy_forward", "cross_entropy_backward"],
        VerifyOp::ClipNorm => &["l2_norm", "scale", "fill_zero"],
    }
}

/// The reference backend against (1) itself through a faithful wrapper:
/// zero error; (2) each of the case's seam methods perturbed by one ulp:
/// `--exact` fails, naming this op and no other; (3) the CUDA backend when
/// one can be opened, within the stated tolerance (skipped, with a message,
/// otherwise).
fn should_match_reference_backend(name: &str) {
    use crate::backend::CpuF32;
    use crate::backend::perturbed::Perturbed;
    let op = cases(7)
        .into_iter()
        .map(|c| c.op)
        .find(|o| o.name() == name)
        .unwrap_or_else(|| panic!("no verify case {name}"));
    let only = |rows: Vec<OutputDivergence>| -> Vec<OutputDivergence> {
        rows.into_iter().filter(|r| r.op == op).collect()
    };
    let faithful = SeamOps(Perturbed::new(CpuF32::new(), None));
    let rows = only(compare_with(&cpu_ops(), &faithful, 7, true).unwrap());
    assert!(!rows.is_empty());
    check(&rows).unwrap();
    for &method in seam_methods(op) {
        let bad = SeamOps(Perturbed::new(CpuF32::new(), Some(method)));
        let all = compare_with(&cpu_ops(), &bad, 7, true).unwrap();
        let e = check(&all).expect_err(method).to_string();
        assert!(e.contains(&format!("{name}.")), "{method}: {e}");
    }
    match op_backend(BackendKind::Cuda(0)) {
        Ok(cuda) => {
            let rows = only(compare(&cpu_ops(), cuda.as_ref(), 7).unwrap());
            check(&rows).unwrap();
        }
        Err(e) => eprintln!("{name}: CUDA side skipped: {e}"),
    }
}

macro_rules! per_op {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                should_match_reference_backend($name);
            }
        )*

        #[test]
        fn every_verify_case_has_its_per_op_test() {
            let tested = [$($name),*];
            for case in cases(7) {
                assert!(tested.contains(&case.op.name()), "{}", case.op.name());
            }
        }
    };
}

per_op! {
    relu_should_match_reference_backend => "relu",
    drop_path_should_match_reference_backend => "drop_path",
    concat_should_match_reference_backend => "concat",
    max_pool_s1_should_match_reference_backend => "max_pool_3x3_s1",
    max_pool_s2_should_match_reference_backend => "max_pool_3x3_s2",
    avg_pool_s1_should_match_reference_backend => "avg_pool_3x3_s1",
    avg_pool_s2_should_match_reference_backend => "avg_pool_3x3_s2",
    global_avg_pool_should_match_reference_backend => "global_avg_pool",
    batch_norm_should_match_reference_backend => "batch_norm",
    sgd_should_match_reference_backend => "sgd",
    conv2d_should_match_reference_backend => "conv2d_3x3",
    depthwise_conv_should_match_reference_backend => "dil_conv_3x3_dw_s2",
    linear_should_match_reference_backend => "linear",
    add_should_match_reference_backend => "add",
    crop_should_match_reference_backend => "crop",
    nt_xent_should_match_reference_backend => "nt_xent",
    pirl_nce_should_match_reference_backend => "pirl_nce",
    cross_entropy_should_match_reference_backend => "cross_entropy",
    clip_grad_norm_should_match_reference_backend => "clip_grad_norm",
}

#[test]
fn the_json_report_has_one_entry_per_output_and_marks_failures() {
    let bad = Perturbed {
        op: VerifyOp::Relu,
        delta: 1.0,
    };
    let rows = compare(&cpu_ops(), &bad, 7).unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&render_json("cpu", "perturbed-cpu", &rows)).unwrap();
    let outputs = doc["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), rows.len());
    assert_eq!(outputs[0]["op"], "relu");
    assert_eq!(outputs[0]["ok"], false);
    assert!(outputs.iter().skip(4).all(|o| o["ok"] == true));
}
