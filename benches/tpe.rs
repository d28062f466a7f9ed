//! The TPE benchmark, Rust side: csnas's proposers on the committed
//! synthetic instances (`benches/tpe/instances.json`), best objective after
//! 20/50/100 trials per (method, instance, seed), written as CSV for
//! `benches/tpe/reference.py summarize` (README.md beside the instances).
//!
//! Why a bench binary: it needs the release build and no test harness, and
//! it takes any set of TPE settings on the command line (`--method
//! LABEL:key=value,...`), which is how the improved preset was tuned.
//!
//! Example:
//!   cargo bench --bench tpe -- --out target/tpe-bench/rust.csv
//!   cargo bench --bench tpe -- --only v28-0,v28-1 --seeds 30 \
//!       --method try:preset=optuna,prior_weight=0.5 --out try.csv
//!   cargo bench --bench tpe -- --method csnas-hyperopt --batch 4 --out k4.csv

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use csnas::search::Strategy;
use csnas::search::config::set_tpe_key;
use csnas::search::synthetic::{Proposer, StrategyProposer, best_after, read_instances, run};
use csnas::search::tpe::TpeSettings;
use rayon::prelude::*;

const BUDGETS: [usize; 3] = [20, 50, 100];

/// (instance, seed, method, best after each budget, seconds taken).
type Row = (usize, u64, usize, Vec<f64>, f64);

#[derive(Parser)]
#[command(about = "csnas's proposers on the synthetic TPE benchmark (benches/tpe/README.md)")]
struct Args {
    /// The instance file both sides read.
    #[arg(long, default_value = "benches/tpe/instances.json")]
    instances: PathBuf,
    /// Only these instances (comma-separated names); default all.
    #[arg(long)]
    only: Option<String>,
    /// Seeds 0..N per instance and method.
    #[arg(long, default_value_t = 30)]
    seeds: u64,
    /// Trials per run (at least 100, the largest budget reported).
    #[arg(long, default_value_t = 100)]
    trials: usize,
    /// Proposals per batch (K), proposed as a search with `batch = K` does
    /// (constant liar for pending trials); a method's label gets `-kK` for K > 1.
    #[arg(long, default_value_t = 1)]
    batch: usize,
    /// Worker threads (each run is single-threaded).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// A method: random, csnas-hyperopt, csnas-optuna, csnas-improved, or
    /// LABEL:key=value,... over hyperopt's settings (keys: preset and the
    /// tpe.* keys without `tpe.`). Repeatable; default the four named ones.
    #[arg(long = "method")]
    methods: Vec<String>,
    /// The CSV to write.
    #[arg(long)]
    out: PathBuf,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

fn method(spec: &str) -> Result<StrategyProposer, String> {
    let named = |name: &str, strategy| StrategyProposer {
        name: name.to_owned(),
        strategy,
    };
    let tpe = |s: TpeSettings| Strategy::Tpe(s);
    match spec {
        "random" => return Ok(named(spec, Strategy::Random)),
        "csnas-hyperopt" => return Ok(named(spec, tpe(TpeSettings::hyperopt()))),
        "csnas-optuna" => return Ok(named(spec, tpe(TpeSettings::optuna()))),
        "csnas-improved" => return Ok(named(spec, tpe(TpeSettings::improved()))),
        _ => {}
    }
    let (label, keys) = spec
        .split_once(':')
        .ok_or_else(|| format!("--method {spec}: expected a name or LABEL:key=value,..."))?;
    let mut settings = TpeSettings::hyperopt();
    let pairs: Vec<(&str, &str)> = (keys.split(','))
        .map(|kv| {
            kv.split_once('=')
                .ok_or(format!("--method {spec}: '{kv}' is not key=value"))
        })
        .collect::<Result<_, _>>()?;
    // The preset first, then single fields, as in a config file.
    for (k, v) in pairs.iter().filter(|p| p.0 == "preset") {
        settings = TpeSettings::preset(v).map_err(|e| format!("--method {spec}: {k}: {e}"))?;
    }
    for (k, v) in pairs.iter().filter(|p| p.0 != "preset") {
        set_tpe_key(&mut settings, &format!("tpe.{k}"), v)
            .map_err(|e| format!("--method {spec}: {e}"))?;
    }
    settings
        .validate()
        .map_err(|e| format!("--method {spec}: {e}"))?;
    Ok(named(label, tpe(settings)))
}

fn main() {
    if let Err(e) = main_inner() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn main_inner() -> Result<(), String> {
    let args = Args::parse();
    if args.trials < BUDGETS[2] {
        return Err(format!("--trials {} < {}", args.trials, BUDGETS[2]));
    }
    let mut instances = read_instances(&args.instances).map_err(|e| e.to_string())?;
    if let Some(only) = &args.only {
        let names: Vec<&str> = only.split(',').collect();
        instances.retain(|i| names.contains(&i.name.as_str()));
    }
    let specs = if args.methods.is_empty() {
        ["random", "csnas-hyperopt", "csnas-optuna", "csnas-improved"]
            .map(String::from)
            .to_vec()
    } else {
        args.methods.clone()
    };
    let mut methods: Vec<StrategyProposer> =
        specs.iter().map(|s| method(s)).collect::<Result<_, _>>()?;
    if args.batch > 1 {
        for m in &mut methods {
            m.name = format!("{}-k{}", m.name, args.batch);
        }
    }
    // Methods alternate within each (instance, seed), so load hits all alike.
    let mut jobs: Vec<(usize, u64, usize)> = Vec::new();
    for i in 0..instances.len() {
        for s in 0..args.seeds {
            jobs.extend((0..methods.len()).map(|m| (i, s, m)));
        }
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let rows: Vec<Result<Row, String>> = pool.install(|| {
        jobs.par_iter()
            .map(|&(i, seed, m)| {
                let t0 = Instant::now();
                let p: &dyn Proposer = &methods[m];
                let values = run(&instances[i], p, seed, args.trials, args.batch)
                    .map_err(|e| e.to_string())?;
                let best = BUDGETS.iter().map(|&b| best_after(&values, b)).collect();
                Ok((i, seed, m, best, t0.elapsed().as_secs_f64()))
            })
            .collect()
    });
    let mut out =
        std::fs::File::create(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let mut text = String::from("method,instance,role,vars,seed,best20,best50,best100\n");
    let mut took = vec![0.0; methods.len()];
    for row in rows {
        let (i, seed, m, best, secs) = row?;
        let inst = &instances[i];
        took[m] += secs;
        let best: Vec<String> = best.iter().map(|b| format!("{b:?}")).collect();
        text += &format!(
            "{},{},{},{},{seed},{}\n",
            methods[m].name(),
            inst.name,
            inst.role,
            inst.cardinalities.len(),
            best.join(",")
        );
    }
    out.write_all(text.as_bytes())
        .map_err(|e| format!("{}: {e}", args.out.display()))?;
    eprintln!(
        "wrote {} runs to {} in {:.1} s wall, {} threads",
        jobs.len(),
        args.out.display(),
        start.elapsed().as_secs_f64(),
        args.threads
    );
    for (m, t) in methods.iter().zip(took) {
        eprintln!("  {}: {t:.1} s of run time in all", m.name());
    }
    Ok(())
}
