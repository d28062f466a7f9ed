//! `csnas bench`: time the search network's training step on the CPU.
//!
//! Why here: the CLI face of [`crate::bench`]; it turns flags into a
//! [`StepConfig`], runs each thread count and prints a table or JSON. The
//! JSON's fields match `benches/pytorch_cpu_step.py`'s, which
//! `benches/compare_cpu.sh` sets side by side.

use std::io::Write;

use clap::Args;

use super::write_out;
use crate::bench::flops::{FlopCount, FmaPeak, detect_peak};
use crate::bench::{self, BenchLoss, Repetitions, StepConfig, ThreadReport};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;
use crate::ops::profile::OpClass;

/// Arguments of `csnas bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Thread counts to time, comma-separated (0 = all cores).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 0])]
    pub threads: Vec<usize>,
    /// Timed steps per thread count (the median is reported).
    #[arg(long, default_value_t = 10)]
    pub reps: usize,
    /// Untimed steps before the timed ones.
    #[arg(long, default_value_t = 2)]
    pub warmup: usize,
    /// Rows per step: batch/2 images × 2 views (NT-Xent pairs row i with i + batch/2;
    /// PIRL NCE takes rows 0..batch/2 as the views, the rest as the originals).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// The contrastive loss: nt-xent (SimCLR, 128-d) or pirl-nce (the CSNAS
    /// authors' NCE with a memory bank, 256-d, temperature 0.07).
    #[arg(long, default_value = "nt-xent", value_parser = ["nt-xent", "pirl-nce"])]
    pub loss: String,
    /// Entries of PIRL NCE's memory bank (50000 = CIFAR-10's training set).
    #[arg(long, default_value_t = 50_000)]
    pub bank: usize,
    /// Initial channels C.
    #[arg(long, default_value_t = 16)]
    pub channels: usize,
    /// Number of cells.
    #[arg(long, default_value_t = 8)]
    pub layers: usize,
    /// Input height = width.
    #[arg(long, default_value_t = 32)]
    pub image_size: usize,
    /// A built-in name, the DARTS text form, or `random` (drawn from the csnas
    /// encoding with --seed).
    #[arg(long, default_value = "DARTS_V2")]
    pub genotype: String,
    /// Seed of the weights, the input and a `random` genotype.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Skip the per-op-class timing.
    #[arg(long)]
    pub no_profile: bool,
    /// Print JSON (one object) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Clock of one core in GHz for the FMA peak (default: `cpu MHz` of /proc/cpuinfo).
    #[arg(long, value_name = "GHZ")]
    pub clock_ghz: Option<f64>,
    /// Vector FMA units per core for the FMA peak.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub fma_units: usize,
    /// Where to run: cpu (the reference), cuda or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = super::parse_backend)]
    pub backend: crate::backend::BackendKind,
}

/// Runs `csnas bench`.
pub fn run(args: BenchArgs, out: &mut dyn Write) -> Result<()> {
    if args.threads.is_empty() {
        return Err(invalid!("--threads needs at least one thread count"));
    }
    let genotype = if args.genotype == "random" {
        bench::random_genotype(args.seed)?
    } else {
        Genotype::parse_or_builtin(&args.genotype)?
    };
    let cfg = StepConfig {
        genotype,
        channels: args.channels,
        layers: args.layers,
        batch: args.batch,
        image_size: args.image_size,
        seed: args.seed,
        loss: match args.loss.as_str() {
            "pirl-nce" => BenchLoss::PirlNce { bank: args.bank },
            _ => BenchLoss::NtXent,
        },
    };
    let reps = Repetitions {
        warmup: args.warmup,
        reps: args.reps,
        profile: !args.no_profile,
    };
    if args
        .clock_ghz
        .is_some_and(|g| !(g.is_finite() && g > 0.0 && g < 100.0))
    {
        return Err(invalid!(
            "--clock-ghz must be a clock in GHz, above 0 and below 100"
        ));
    }
    if !(1..=16).contains(&args.fma_units) {
        return Err(invalid!(
            "--fma-units must be 1 to 16 (got {})",
            args.fma_units
        ));
    }
    let mut reports = Vec::new();
    for &t in &args.threads {
        reports.push(bench::run_at_on(args.backend, &cfg, t, &reps)?);
    }
    // Counted after the timed runs: the counting step's buffers, kept by the
    // allocator once freed, would otherwise sit in the runs' resident memory
    // (1.7 GiB at C=32, batch 512) and inflate their peak.
    let limit = Limit {
        flops: bench::count_flops(&cfg)?,
        peak: detect_peak(args.clock_ghz, Some(args.fma_units)),
    };
    let text = if args.json {
        json(&args, &cfg, &reports, &limit)
    } else {
        table(&args, &cfg, &reports, &limit)
    };
    write_out(out, &text)
}

/// The step's flops and the machine's FMA peak (`crate::bench::flops`).
struct Limit {
    flops: FlopCount,
    peak: Option<FmaPeak>,
}

impl Limit {
    /// Achieved GFLOP/s of a step taking `secs`.
    fn gflops(&self, secs: f64) -> f64 {
        self.flops.total() as f64 / secs / 1e9
    }

    /// Share of the FMA peak of `threads` cores.
    fn peak_share(&self, secs: f64, threads: usize) -> Option<f64> {
        self.peak
            .as_ref()
            .map(|p| self.gflops(secs) / p.gflops(threads))
    }

    /// Per op class: (name, share of the step's flops, GFLOP/s while in that
    /// class), from the report's time shares.
    fn by_class(&self, r: &ThreadReport) -> Vec<(&'static str, f64, Option<f64>)> {
        let total = self.flops.total().max(1) as f64;
        let step = r.step_median.as_secs_f64();
        let rate = |flops: u64, name: &str| {
            r.op_shares
                .iter()
                .find(|(n, _)| *n == name)
                .filter(|(_, share)| *share > 0.0)
                .map(|(_, share)| flops as f64 / (share * step) / 1e9)
        };
        let mut out: Vec<_> = OpClass::ALL
            .iter()
            .map(|&c| {
                let f = self.flops.class(c);
                (c.name(), f as f64 / total, rate(f, c.name()))
            })
            .collect();
        let o = self.flops.other;
        out.push(("other", o as f64 / total, rate(o, "other")));
        out
    }
}

/// Whether every thread count computed the same loss bits.
fn same_losses(reports: &[ThreadReport]) -> bool {
    let bits = |r: &ThreadReport| r.losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
    reports.windows(2).all(|w| bits(&w[0]) == bits(&w[1]))
}

fn table(args: &BenchArgs, cfg: &StepConfig, reports: &[ThreadReport], limit: &Limit) -> String {
    let mut s = format!(
        "search network {} C={} layers={} batch={} ({} images × 2 views) {}×{}, loss {}; warm-up {}, reps {}\n",
        args.genotype,
        cfg.channels,
        cfg.layers,
        cfg.batch,
        cfg.batch / 2,
        cfg.image_size,
        cfg.image_size,
        cfg.loss.name(),
        args.warmup,
        args.reps
    );
    s += &format!(
        "flops per step: {:.3} GFLOP (counted from the op shapes; multiply-add = 2)\n",
        limit.flops.total() as f64 / 1e9
    );
    match &limit.peak {
        Some(p) => s += &format!("FMA peak (f32): {p}\n"),
        None => s += "FMA peak (f32): unknown (no /proc/cpuinfo clock; give --clock-ghz)\n",
    }
    s +=
        "threads  step median  (min..max)          fwd+bwd  images/s  peak RSS  GFLOP/s  of peak\n";
    for r in reports {
        let peak = r.peak_rss_kib.map_or("n/a".to_owned(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        });
        let secs = r.step_median.as_secs_f64();
        let share = limit
            .peak_share(secs, r.threads)
            .map_or("n/a".to_owned(), |v| format!("{:.1}%", 100.0 * v));
        s += &format!(
            "{:>7}  {:>9.1} ms  ({:.1}..{:.1} ms)  {:>7.1} ms  {:>8.1}  {}  {:>7.2}  {}\n",
            r.threads,
            ms(r.step_median),
            ms(r.step_min),
            ms(r.step_max),
            ms(r.forward_backward_median),
            r.images_per_s,
            peak,
            limit.gflops(secs),
            share
        );
        if !r.op_shares.is_empty() {
            let parts: Vec<String> = r
                .op_shares
                .iter()
                .map(|(n, v)| format!("{n} {:.1}%", 100.0 * v))
                .collect();
            s += &format!("         shares: {}\n", parts.join(", "));
            let rates: Vec<String> = limit
                .by_class(r)
                .iter()
                .filter(|(_, f, _)| *f > 0.0)
                .map(|(n, f, g)| match g {
                    Some(g) => format!("{n} {:.1}% of flops at {g:.2} GFLOP/s", 100.0 * f),
                    None => format!("{n} {:.1}% of flops", 100.0 * f),
                })
                .collect();
            s += &format!("         flops: {}\n", rates.join(", "));
        }
    }
    s += &format!(
        "losses identical at every thread count: {}\n",
        if same_losses(reports) { "yes" } else { "NO" }
    );
    s
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One JSON object; `runs[i]` per thread count. Written by hand (no JSON
/// dependency): every string is ours or a genotype's DARTS text, escaped.
fn json(args: &BenchArgs, cfg: &StepConfig, reports: &[ThreadReport], limit: &Limit) -> String {
    let num = |v: Option<f64>| v.map_or("null".to_owned(), |x| format!("{x:.6}"));
    let opt = |v: Option<u64>| v.map_or("null".to_owned(), |k| k.to_string());
    let runs: Vec<String> = reports
        .iter()
        .map(|r| {
            let shares: Vec<String> = r
                .op_shares
                .iter()
                .map(|(n, v)| format!("\"{n}\": {v:.6}"))
                .collect();
            let losses: Vec<String> = r.losses.iter().map(|l| format!("{l:e}")).collect();
            format!(
                "{{\"threads\": {}, \"gflops\": {:.4}, \"fma_peak_share\": {}, \"step_median_s\": {:.6}, \"step_min_s\": {:.6}, \"step_max_s\": {:.6}, \"forward_backward_median_s\": {:.6}, \"images_per_s\": {:.3}, \"peak_rss_kib\": {}, \"baseline_rss_kib\": {}, \"op_shares\": {{{}}}, \"losses\": [{}]}}",
                r.threads,
                limit.gflops(r.step_median.as_secs_f64()),
                num(limit.peak_share(r.step_median.as_secs_f64(), r.threads)),
                r.step_median.as_secs_f64(),
                r.step_min.as_secs_f64(),
                r.step_max.as_secs_f64(),
                r.forward_backward_median.as_secs_f64(),
                r.images_per_s,
                opt(r.peak_rss_kib),
                opt(r.baseline_rss_kib),
                shares.join(", "),
                losses.join(", ")
            )
        })
        .collect();
    let mut by_class: Vec<String> = OpClass::ALL
        .iter()
        .map(|&c| format!("\"{}\": {}", c.name(), limit.flops.class(c)))
        .collect();
    by_class.push(format!("\"other\": {}", limit.flops.other));
    format!(
        "{{\"impl\": \"csnas\", \"genotype\": \"{}\", \"channels\": {}, \"layers\": {}, \"batch\": {}, \"image_size\": {}, \"loss\": \"{}\", \"bank\": {}, \"warmup\": {}, \"reps\": {}, \"same_losses_all_threads\": {}, \"flops_per_step\": {}, \"flops_by_class\": {{{}}}, \"fma_peak_gflops_per_core\": {}, \"runs\": [{}]}}\n",
        escape(&cfg.genotype.to_darts_string()),
        cfg.channels,
        cfg.layers,
        cfg.batch,
        cfg.image_size,
        cfg.loss.name(),
        match cfg.loss {
            BenchLoss::PirlNce { bank } => bank.to_string(),
            BenchLoss::NtXent => "null".to_owned(),
        },
        args.warmup,
        args.reps,
        same_losses(reports),
        limit.flops.total(),
        by_class.join(", "),
        num(limit.peak.as_ref().map(|p| p.per_core_gflops)),
        runs.join(", ")
    )
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
