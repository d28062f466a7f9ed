//! Timing of the search network's training step on the CPU, for `csnas bench`.
//!
//! Why: DESIGN §5 asks for a CPU reference at least as fast as PyTorch for the
//! search-size network; this module measures one contrastive training step
//! ([`step`]) with warm-up and repetitions at chosen thread counts, reports the
//! median, the share of each op class (through [`crate::ops::profile`]) and
//! the peak memory, so the figure can be set beside
//! `benches/pytorch_cpu_step.py`'s, which times the same step in PyTorch.
//!
//! Timing never changes a value: the profile hook only reads clocks, and each
//! thread count starts from the same seeded weights and input, so the losses
//! of every repetition are the same bits at every thread count (the report
//! says whether they were).

pub mod flops;
pub mod memory;
pub mod step;
#[cfg(test)]
mod tests;

use crate::backend::{Backend, BackendKind, OnBackend};
use std::time::Duration;

use crate::error::Result;
use crate::genotype::Genotype;
use crate::ops::profile::{self, OpClass};
use crate::parallel;
use crate::rng::StreamPath;
use crate::search::space::SearchSpace;

pub use step::{BENCH_SGD, BENCH_TEMPERATURE, BenchLoss, BenchStep, StepConfig, StepTiming};

/// A genotype drawn uniformly from the `csnas` encoding (4 nodes): each of
/// the 28 variables `below(8)` in variable order from `seed/bench/genotype`.
pub fn random_genotype(seed: u64) -> Result<Genotype> {
    let space = SearchSpace::csnas(4);
    let mut stream = StreamPath::root(seed)
        .child("bench")
        .child("genotype")
        .stream();
    let choices: Vec<usize> = space
        .cardinalities()
        .iter()
        .map(|&c| stream.below(c as u64) as usize)
        .collect();
    space.decode(&choices)
}

/// How many steps to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repetitions {
    /// Untimed steps first (allocator and cache warm-up).
    pub warmup: usize,
    /// Timed steps; the report gives their median.
    pub reps: usize,
    /// Time each op class (see [`crate::ops::profile`]) during the timed steps.
    pub profile: bool,
}

/// The result at one thread count.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadReport {
    pub threads: usize,
    /// Median, minimum and maximum step time over the timed steps.
    pub step_median: Duration,
    pub step_min: Duration,
    pub step_max: Duration,
    /// Median of forward + backward (network only, no loss, no SGD).
    pub forward_backward_median: Duration,
    /// Rows (views) per second at the median step time.
    pub images_per_s: f64,
    /// Share of the timed steps' total per op class, then `"other"` (the rest:
    /// concatenation, sums, copies, the loss, SGD); empty without profiling.
    pub op_shares: Vec<(&'static str, f64)>,
    /// Peak resident memory during this thread count's run, and the resident
    /// memory before it (KiB, Linux `VmHWM`/`VmRSS`); `None` elsewhere.
    pub peak_rss_kib: Option<u64>,
    pub baseline_rss_kib: Option<u64>,
    /// Loss of every step (warm-up included), as computed.
    pub losses: Vec<f32>,
}

/// Runs `warmup + reps` steps of a fresh network at `threads` threads
/// (0 = all cores) on the CPU reference and reports the timings.
pub fn run_at(cfg: &StepConfig, threads: usize, reps: &Repetitions) -> Result<ThreadReport> {
    run_at_on(BackendKind::Cpu, cfg, threads, reps)
}

/// [`run_at`] on the backend `kind` opens.
pub fn run_at_on(
    kind: BackendKind,
    cfg: &StepConfig,
    threads: usize,
    reps: &Repetitions,
) -> Result<ThreadReport> {
    if reps.reps == 0 {
        return Err(crate::invalid!("--reps must be ≥ 1"));
    }
    let reset = memory::reset_peak();
    let baseline = memory::read_status_kib("VmRSS");
    let job = Here { cfg, reps };
    let mut report = parallel::with_threads(threads, || kind.run(job))??;
    report.peak_rss_kib = if reset {
        memory::read_status_kib("VmHWM")
    } else {
        None
    };
    report.baseline_rss_kib = baseline;
    Ok(report)
}

/// [`run_here`] as a job for [`BackendKind::run`].
struct Here<'a> {
    cfg: &'a StepConfig,
    reps: &'a Repetitions,
}

impl OnBackend for Here<'_> {
    type Output = ThreadReport;
    fn run<B: Backend<Elem = f32>>(self, dev: &B) -> Result<ThreadReport> {
        run_here(dev, self.cfg, self.reps)
    }
}

/// The flops of one training step of `cfg`'s network, counted by running
/// one step on the CPU reference wrapped in [`flops::Counting`] (the count
/// depends only on the shapes, not on the device or the thread count).
pub fn count_flops(cfg: &StepConfig) -> Result<flops::FlopCount> {
    let dev = flops::Counting::new(crate::backend::cpu::Cpu::<f32>::new());
    let mut bench = BenchStep::new_on(&dev, cfg)?;
    dev.reset();
    bench.step()?;
    Ok(dev.count())
}

/// [`run_at`] in the current thread pool, on `dev`.
fn run_here<B: Backend<Elem = f32>>(
    dev: &B,
    cfg: &StepConfig,
    reps: &Repetitions,
) -> Result<ThreadReport> {
    let mut bench = BenchStep::new_on(dev, cfg)?;
    let mut losses = Vec::with_capacity(reps.warmup + reps.reps);
    for _ in 0..reps.warmup {
        losses.push(bench.step()?.loss_value);
    }
    let was_enabled = profile::is_enabled();
    if reps.profile {
        profile::enable();
    }
    let mut timings = Vec::with_capacity(reps.reps);
    for _ in 0..reps.reps {
        let t = bench.step()?;
        losses.push(t.loss_value);
        timings.push(t);
    }
    let op_times = if reps.profile {
        let t = profile::disable();
        if was_enabled {
            profile::enable();
        }
        Some(t)
    } else {
        None
    };
    let steps: Vec<Duration> = timings.iter().map(StepTiming::total).collect();
    let fb: Vec<Duration> = timings.iter().map(|t| t.forward + t.backward).collect();
    let step_median = median(&steps);
    let total: Duration = steps.iter().sum();
    Ok(ThreadReport {
        threads: parallel::current_threads(),
        step_median,
        step_min: *steps.iter().min().expect("reps ≥ 1"),
        step_max: *steps.iter().max().expect("reps ≥ 1"),
        forward_backward_median: median(&fb),
        images_per_s: cfg.batch as f64 / step_median.as_secs_f64(),
        op_shares: op_times.map_or_else(Vec::new, |t| shares(&t, total)),
        peak_rss_kib: None,
        baseline_rss_kib: None,
        losses,
    })
}

/// Each class's share of `total`, then `"other"` for the rest.
fn shares(times: &profile::OpTimes, total: Duration) -> Vec<(&'static str, f64)> {
    let total_s = total.as_secs_f64().max(f64::MIN_POSITIVE);
    let mut out: Vec<(&'static str, f64)> = OpClass::ALL
        .iter()
        .map(|&c| (c.name(), times.get(c).as_secs_f64() / total_s))
        .collect();
    let timed: f64 = out.iter().map(|&(_, s)| s).sum();
    out.push(("other", (1.0 - timed).max(0.0)));
    out
}

/// The median; for an even count, the mean of the two middle values.
pub fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    let n = v.len();
    assert!(n > 0, "median of nothing");
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}
