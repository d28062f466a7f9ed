//! The fused-multiply-add peak of this machine's cores in f32: the ceiling
//! that a step's achieved GFLOP/s is compared with.
//!
//! `peak = threads × lanes × 2 flops per FMA × FMA units × GHz`, where lanes
//! is the f32 vector width the CPU reports at run time (16 with AVX-512F, 8
//! with AVX2 + FMA, 4 otherwise — and then no FMA, so 1 flop per lane per
//! unit), FMA units per core defaults to 2 (Zen 2–4 and most Intel server
//! cores since Haswell issue two vector FMAs a cycle), and the clock is the
//! first `cpu MHz` of `/proc/cpuinfo` (on a VM: what the hypervisor reports).
//! Every part can be given instead (`csnas bench --clock-ghz --fma-units`,
//! or `--peak-gflops` for the whole figure), since none of them is exact:
//! turbo clocks move, and AVX-512 may run at a lower clock than scalar code.

use std::fmt;

/// How the peak was found, for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct FmaPeak {
    /// f32 lanes of the widest vector FMA the CPU has (1 without FMA).
    pub lanes: usize,
    /// Flops per lane per FMA instruction (2 with FMA, 1 without).
    pub flops_per_lane: usize,
    pub fma_units: usize,
    pub clock_ghz: f64,
    /// Where the clock came from.
    pub clock_source: String,
    /// GFLOP/s of one core.
    pub per_core_gflops: f64,
}

impl FmaPeak {
    /// The peak of `threads` cores.
    pub fn gflops(&self, threads: usize) -> f64 {
        self.per_core_gflops * threads as f64
    }
}

impl fmt::Display for FmaPeak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:.1} GFLOP/s per core ({} f32 lanes × {} × {} FMA units × {:.2} GHz, clock from {})",
            self.per_core_gflops,
            self.lanes,
            self.flops_per_lane,
            self.fma_units,
            self.clock_ghz,
            self.clock_source
        )
    }
}

/// The peak from the CPU's features and clock, with any part overridden.
/// `None` when no clock is known (no `/proc/cpuinfo` and no `clock_ghz`).
pub fn detect_peak(clock_ghz: Option<f64>, fma_units: Option<usize>) -> Option<FmaPeak> {
    let (lanes, flops_per_lane) = vector_lanes();
    let fma_units = fma_units.unwrap_or(2);
    let (clock_ghz, clock_source) = match clock_ghz {
        Some(g) => (g, "--clock-ghz".to_owned()),
        None => (cpuinfo_mhz()? / 1000.0, "/proc/cpuinfo".to_owned()),
    };
    Some(peak_of(
        lanes,
        flops_per_lane,
        fma_units,
        clock_ghz,
        clock_source,
    ))
}

pub(super) fn peak_of(
    lanes: usize,
    flops_per_lane: usize,
    fma_units: usize,
    clock_ghz: f64,
    clock_source: String,
) -> FmaPeak {
    FmaPeak {
        lanes,
        flops_per_lane,
        fma_units,
        clock_ghz,
        clock_source,
        per_core_gflops: (lanes * flops_per_lane * fma_units) as f64 * clock_ghz,
    }
}

#[cfg(target_arch = "x86_64")]
fn vector_lanes() -> (usize, usize) {
    if std::arch::is_x86_feature_detected!("avx512f") {
        (16, 2)
    } else if std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
    {
        (8, 2)
    } else {
        (4, 1)
    }
}

#[cfg(target_arch = "aarch64")]
fn vector_lanes() -> (usize, usize) {
    (4, 2) // NEON: 128-bit FMA
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn vector_lanes() -> (usize, usize) {
    (1, 1)
}

fn cpuinfo_mhz() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    parse_cpuinfo_mhz(&text)
}

/// The first `cpu MHz : X` line's value.
pub(super) fn parse_cpuinfo_mhz(text: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with("cpu MHz"))
        .find_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .filter(|mhz| *mhz > 0.0)
}
