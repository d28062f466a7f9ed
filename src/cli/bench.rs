//! `csnas bench`: time the search network's training step on the CPU.
//!
//! Why here: the CLI face of [`crate::bench`]; it turns flags into a
//! [`StepConfig`], runs each thread count and prints a table or JSON. The
//! JSON's fields match `benches/pytorch_cpu_step.py`'s, which
//! `benches/compare_cpu.sh` sets side by side.

use std::io::Write;

use clap::Args;

use super::write_out;
use crate::bench::{self, Repetitions, StepConfig, ThreadReport};
use crate::error::Result;
use crate::genotype::Genotype;
use crate::invalid;

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
    /// Rows per step: batch/2 images × 2 views (NT-Xent pairs row i with i + batch/2).
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
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
    };
    let reps = Repetitions {
        warmup: args.warmup,
        reps: args.reps,
        profile: !args.no_profile,
    };
    let mut reports = Vec::new();
    for &t in &args.threads {
        reports.push(bench::run_at_on(args.backend, &cfg, t, &reps)?);
    }
    let text = if args.json {
        json(&args, &cfg, &reports)
    } else {
        table(&args, &cfg, &reports)
    };
    write_out(out, &text)
}

/// Whether every thread count computed the same loss bits.
fn same_losses(reports: &[ThreadReport]) -> bool {
    let bits = |r: &ThreadReport| r.losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>();
    reports.windows(2).all(|w| bits(&w[0]) == bits(&w[1]))
}

fn table(args: &BenchArgs, cfg: &StepConfig, reports: &[ThreadReport]) -> String {
    let mut s = format!(
        "search network {} C={} layers={} batch={} ({} images × 2 views) {}×{}; warm-up {}, reps {}\n",
        args.genotype,
        cfg.channels,
        cfg.layers,
        cfg.batch,
        cfg.batch / 2,
        cfg.image_size,
        cfg.image_size,
        args.warmup,
        args.reps
    );
    s += "threads  step median  (min..max)          fwd+bwd  images/s  peak RSS\n";
    for r in reports {
        let peak = r.peak_rss_kib.map_or("n/a".to_owned(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        });
        s += &format!(
            "{:>7}  {:>9.1} ms  ({:.1}..{:.1} ms)  {:>7.1} ms  {:>8.1}  {}\n",
            r.threads,
            ms(r.step_median),
            ms(r.step_min),
            ms(r.step_max),
            ms(r.forward_backward_median),
            r.images_per_s,
            peak
        );
        if !r.op_shares.is_empty() {
            let parts: Vec<String> = r
                .op_shares
                .iter()
                .map(|(n, v)| format!("{n} {:.1}%", 100.0 * v))
                .collect();
            s += &format!("         shares: {}\n", parts.join(", "));
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
fn json(args: &BenchArgs, cfg: &StepConfig, reports: &[ThreadReport]) -> String {
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
                "{{\"threads\": {}, \"step_median_s\": {:.6}, \"step_min_s\": {:.6}, \"step_max_s\": {:.6}, \"forward_backward_median_s\": {:.6}, \"images_per_s\": {:.3}, \"peak_rss_kib\": {}, \"baseline_rss_kib\": {}, \"op_shares\": {{{}}}, \"losses\": [{}]}}",
                r.threads,
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
    format!(
        "{{\"impl\": \"csnas\", \"genotype\": \"{}\", \"channels\": {}, \"layers\": {}, \"batch\": {}, \"image_size\": {}, \"warmup\": {}, \"reps\": {}, \"same_losses_all_threads\": {}, \"runs\": [{}]}}\n",
        escape(&cfg.genotype.to_darts_string()),
        cfg.channels,
        cfg.layers,
        cfg.batch,
        cfg.image_size,
        args.warmup,
        args.reps,
        same_losses(reports),
        runs.join(", ")
    )
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
