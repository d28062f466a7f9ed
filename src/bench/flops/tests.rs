use ndarray::{Array1, Array2, Array4};

use super::peak::{parse_cpuinfo_mhz, peak_of};
use super::*;
use crate::backend::cpu::Cpu;

fn ramp4(d: Dims4) -> Array4<f32> {
    Array4::from_shape_fn(d, |(a, b, c, e)| {
        ((a * 7 + b * 5 + c * 3 + e) % 11) as f32 * 0.1 - 0.5
    })
}

#[test]
fn convolution_counts_match_the_hand_computed_multiply_adds() {
    let dev = Counting::new(Cpu::<f32>::new());
    // Dense 3×3, padding 1: output 8×8. 2·N·Cout·Ho·Wo·Cin·kh·kw
    // = 2·2·4·64·3·9 = 27,648 flops per pass (hand computation).
    let x = ramp4((2, 3, 8, 8));
    let w = ramp4((4, 3, 3, 3));
    let p = Conv2dParams::square(3, 1, 1);
    let y = dev.conv2d_forward(&x, &w, &p);
    assert_eq!(dev.count().class(OpClass::ConvDense), 27_648);
    dev.conv2d_backward_data(&y, &w, &p, (8, 8));
    dev.conv2d_backward_filter(&x, &y, &p);
    assert_eq!(dev.count().class(OpClass::ConvDense), 3 * 27_648);
    assert_eq!(dev.count().total(), 3 * 27_648);

    // Depthwise 3×3, stride 2, padding 1 on 5×5: output 3×3; one input
    // channel per group: 2·1·4·9·1·9 = 648.
    dev.reset();
    let x = ramp4((1, 4, 5, 5));
    let w = ramp4((4, 1, 3, 3));
    let p = Conv2dParams {
        groups: 4,
        ..Conv2dParams::square(3, 2, 1)
    };
    let y = dev.conv2d_forward(&x, &w, &p);
    dev.conv2d_backward_data(&y, &w, &p, (5, 5));
    assert_eq!(dev.count().class(OpClass::ConvDepthwise), 2 * 648);
    assert_eq!(dev.count().class(OpClass::ConvDense), 0);
}

#[test]
fn linear_counts_and_the_values_are_the_inner_backends_bits() {
    let dev = Counting::new(Cpu::<f32>::new());
    let cpu = Cpu::<f32>::new();
    let x = Array2::from_shape_fn((5, 7), |(i, j)| (i as f32 - j as f32) * 0.25);
    let w = Array2::from_shape_fn((3, 7), |(i, j)| ((i * 7 + j) % 5) as f32 * 0.3 - 0.6);
    let b = Array1::from_vec(vec![0.1f32, -0.2, 0.3]);
    let y = dev.linear_forward(&x, &w, &b);
    // 2·5·7·3 multiply-add flops + 5·3 bias additions = 225.
    assert_eq!(dev.count().class(OpClass::Linear), 225);
    let y_ref = cpu.linear_forward(&x, &w, &b);
    let bits = |a: &Array2<f32>| a.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&y), bits(&y_ref));
    dev.linear_backward(&x, &w, &y);
    // dx and dw 2·5·7·3 each, db 5·3: 435 more.
    assert_eq!(dev.count().class(OpClass::Linear), 225 + 435);
}

#[test]
fn clones_share_one_tally_and_reset_clears_it() {
    let dev = Counting::new(Cpu::<f32>::new());
    let other = dev.clone();
    let x = ramp4((1, 2, 2, 2));
    other.relu_forward(&x);
    assert_eq!(dev.count().class(OpClass::Relu), 8);
    dev.reset();
    assert_eq!(other.count(), FlopCount::default());
}

#[test]
fn peak_is_lanes_times_fma_times_units_times_clock() {
    // AVX2: 8 lanes × 2 flops × 2 units × 3.0 GHz = 96 GFLOP/s per core.
    let p = peak_of(8, 2, 2, 3.0, "test".into());
    assert_eq!(p.per_core_gflops, 96.0);
    assert_eq!(p.gflops(2), 192.0);
    let cpuinfo = "processor\t: 0\nmodel name\t: X\ncpu MHz\t\t: 2445.406\ncache size\t: 512 KB\n\
                   processor\t: 1\ncpu MHz\t\t: 3000.000\n";
    assert_eq!(parse_cpuinfo_mhz(cpuinfo), Some(2445.406));
    assert_eq!(parse_cpuinfo_mhz("model name : X\n"), None);
    assert!(
        detect_peak(Some(2.0), Some(1)).is_some_and(|p| p.clock_ghz == 2.0 && p.fma_units == 1)
    );
}

#[test]
fn a_whole_step_counts_what_pytorchs_flop_counter_counts() {
    // Independent source: PyTorch 2.15's `torch.utils.flop_counter.FlopCounterMode`
    // over one forward + NT-Xent + backward of the same network in
    // `benches/pytorch_cpu_step.py` (`search_network(DARTS_V2, 4, 3)`, batch 8,
    // 3×16×16; script in `benches/flops_reference.py`): `aten.convolution`
    // 5,767,168 flops (forward), `aten.addmm` 196,608 (the head's two linear
    // layers, forward, bias not counted). csnas also computes the stem's
    // input gradient, so every convolution counts three passes of its
    // forward's flops; the head's backward is twice its forward, plus the
    // bias terms (forward and db: 8 rows × (64 + 128) outputs each).
    let cfg = crate::bench::StepConfig {
        genotype: crate::genotype::Genotype::parse_or_builtin("DARTS_V2").unwrap(),
        channels: 4,
        layers: 3,
        batch: 8,
        image_size: 16,
        seed: 0,
        loss: crate::bench::BenchLoss::NtXent,
    };
    let count = crate::bench::count_flops(&cfg).unwrap();
    let conv = count.class(OpClass::ConvDense) + count.class(OpClass::ConvDepthwise);
    assert_eq!(conv, 3 * 5_767_168);
    assert_eq!(
        count.class(OpClass::Linear),
        3 * 196_608 + 2 * 8 * (64 + 128)
    );
}
