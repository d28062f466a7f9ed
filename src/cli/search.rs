//! `csnas search`: run or resume a search, with its log in `--out DIR`.
//!
//! Why here: turns flags into a validated [`SearchConfig`] in one place (a
//! preset, then `--config FILE`, then the data's digest and shape, then
//! `--trials`/`--seed`), and shows progress on stderr; everything else is
//! [`run_search`]. Progress bars hide themselves when stderr is not a terminal.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::watch::{Mode, Watch};
use super::write_out;
use crate::data::Dataset;
use crate::error::Result;
use crate::genotype::Genotype;
use crate::ledger::{Hash, TrialRecord};
use crate::parallel::with_threads;
use crate::search::config::{PRESET_NAMES, SearchConfig};
use crate::search::driver::run_search_on;
use crate::search::executor::WorkDir;
use crate::search::executor::local::LocalWorkers;
use crate::search::executor::slurm::SlurmArrays;
use crate::search::open::{data_kind, load_search_data};
use crate::search::runner::{ContrastiveRunner, SearchObserver, run_search};

/// Arguments of `csnas search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Data source: `digits` (built in), `cifar10:PATH` or `folder:PATH` (PNG/JPEG,
    /// one sub-folder per class; `folder:PATH?resize=N` resamples to N×N).
    #[arg(long, default_value = "digits")]
    pub data: String,
    /// Settings preset: `default` (small, digits), `csnas-cifar10` (what the authors'
    /// search script ran: 5 nodes) or `csnas-cifar10-4nodes` (the same, 4 nodes).
    #[arg(long, default_value = "default", value_parser = PRESET_NAMES)]
    pub preset: String,
    /// Settings applied over the preset: `key = value` lines with the config
    /// record's keys (`csnas show DIR --json` and `--print-config` list them),
    /// e.g. `sgd.lr = 0.01` [default: none, the preset as it is].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Number of trials (overrides the preset's and the config file's)
    /// [default: the config's `trials`: 120 for the csnas-cifar10 presets].
    #[arg(long)]
    pub trials: Option<usize>,
    /// Trials proposed at once, K (overrides the config file's `batch`): the K
    /// proposals follow from the log at the batch's start, so up to K workers
    /// train side by side; part of the search's identity. Default 1 (sequential).
    #[arg(long, value_name = "K")]
    pub batch: Option<usize>,
    /// Where trials run: `local` (this machine: in this process with one
    /// worker, else `--workers` processes) or `slurm` (one `sbatch --array`
    /// job per batch; the log's folder must be on storage the nodes share).
    #[arg(long, default_value = "local", value_parser = ["local", "slurm"])]
    pub executor: String,
    /// An option passed to `sbatch` as it is (repeatable), e.g.
    /// `--sbatch=--partition=gpu --sbatch=--gres=gpu:1 --sbatch=--time=01:00:00`
    /// [default: none].
    #[arg(long = "sbatch", value_name = "OPTION", allow_hyphen_values = true)]
    pub sbatch: Vec<String>,
    /// With `--executor slurm`: how many times a batch's tasks that ended
    /// without a result (failed, cancelled, pre-empted) are submitted again.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: usize,
    /// With `--executor slurm`: the csnas binary the tasks run, as the nodes
    /// see it (default: this binary's path).
    #[arg(long, value_name = "PATH")]
    pub csnas_bin: Option<PathBuf>,
    /// Trials run at once (at most `--batch` are useful); the log is the same
    /// for any count. Default: with `--batch K` > 1, min(K, cores) worker
    /// processes of one thread each (measured faster than one worker with
    /// every core: benches/WORKERS.md); with K = 1, one worker in this process.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,
    /// Print the settings (as `key = value` lines a `--config` file takes)
    /// and exit without searching.
    #[arg(long)]
    pub print_config: bool,
    /// The search log's directory (resumed if it holds this search already).
    /// Required, except with --print-config (no default).
    #[arg(long, value_name = "DIR", required_unless_present = "print_config")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub common: super::flags::RunFlags,
    #[command(flatten)]
    pub export: super::export::ExportArgs,
}

impl SearchArgs {
    /// The validated config and the data it was fitted to.
    pub fn config(&self) -> Result<(SearchConfig, Dataset)> {
        let (spec, data) = load_search_data(&self.data)?;
        let mut config = SearchConfig::preset(&self.preset)?;
        if let Some(path) = &self.config {
            config = config.with_config_file(path)?;
        }
        config.fit_data(data_kind(&spec), &data);
        config.seed = self.common.seed;
        if let Some(t) = self.trials {
            config.trials = crate::limits::TRIALS.check("--trials", t)?;
        }
        if let Some(k) = self.batch {
            config.batch = k;
        }
        crate::limits::check_search(&config)
            .map_err(|e| crate::invalid!("--data {}: {e}", self.data))?;
        config.validate().map_err(|e| {
            crate::invalid!("--preset {} with --data {}: {e}", self.preset, self.data)
        })?;
        Ok((config, data))
    }
}

/// Worker processes when `--workers` is not given: one per trial of a batch,
/// at most one per core (each with one thread), since on 2 cores 2 workers ×
/// 1 thread ran the default trial 15–20% faster than 1 worker × 2 threads
/// (benches/WORKERS.md); one in-process worker for the sequential search.
pub fn default_workers(batch: usize, cores: usize) -> usize {
    batch.min(cores).max(1)
}

/// Runs `csnas search`.
pub fn run(args: SearchArgs, out: &mut dyn Write) -> Result<()> {
    let (mut config, data) = args.config()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = match args.workers {
        Some(0) => return Err(crate::invalid!("--workers 0: need at least one worker")),
        Some(n) => n,
        // Worker processes compute on the CPU reference only (below).
        None if args.common.backend != crate::backend::BackendKind::Cpu => 1,
        None => default_workers(config.batch, cores),
    };
    config.backend = args.common.backend.arithmetic()?;
    if (workers > 1 || args.executor == "slurm")
        && args.common.backend != crate::backend::BackendKind::Cpu
    {
        return Err(crate::invalid!(
            "--backend {} with worker processes (--workers {}, --executor {}): workers compute on the CPU reference only so far; use --workers 1",
            args.common.backend,
            workers,
            args.executor
        ));
    }
    if args.print_config {
        return write_out(out, &settings_text(&config));
    }
    let Some(out_dir) = args.out.as_deref() else {
        return Err(crate::invalid!(
            "--out DIR is required (the search log's directory)"
        ));
    };
    if !args.common.quiet {
        eprint!("{}", settings_text(&config));
    }
    let watch = Watch::new(Mode::for_stderr(args.common.quiet));
    let finish = || watch.finish();
    let stopper =
        super::interrupt::StopAfterTrial::install(&watch, out_dir, config.trials, &finish);
    let observer: &dyn SearchObserver = &stopper;
    let exe = match &args.csnas_bin {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| crate::Error::io("csnas binary", e))?,
    };
    let summary = if args.executor == "slurm" {
        let slurm = SlurmArrays {
            exe,
            threads: args.common.threads.max(1),
            data: args.data.clone(),
            work: WorkDir::of_log(out_dir)?,
            options: args.sbatch.clone(),
            retries: args.retries,
            poll: std::time::Duration::from_millis(500),
            max_poll: std::time::Duration::from_secs(30),
        };
        run_search_on(out_dir, &config, &slurm, observer)?
    } else if workers == 1 {
        let runner = ContrastiveRunner::new(&config, data)?.on_backend(args.common.backend);
        with_threads(args.common.threads, || {
            run_search(out_dir, &config, &runner, observer)
        })??
    } else {
        let workers = LocalWorkers {
            exe,
            workers,
            threads: match args.common.threads {
                0 => (cores / workers).max(1),
                t => t,
            },
            data: args.data.clone(),
            work: WorkDir::of_log(out_dir)?,
        };
        run_search_on(out_dir, &config, &workers, observer)?
    };
    watch.finish();
    write_out(out, &summary_report(&summary, &args.export))
}

/// The final summary: head, trial count and best trial, as text, JSON or
/// CSV (README, "Export formats").
fn summary_report(
    summary: &crate::search::runner::SearchSummary,
    export: &super::export::ExportArgs,
) -> String {
    use super::export::{csv, json_text, number};
    let best = summary.best();
    let objective =
        |t: &crate::ledger::TrialRecord| t.objective.map_or(f64::INFINITY, |o| o.to_f64());
    if export.json {
        let best = best.map(|(hash, t)| {
            serde_json::json!({
                "index": t.index,
                "record": hash.to_hex().to_string(),
                "objective": number(objective(t)),
                "genotype": t.genotype,
            })
        });
        return json_text(&serde_json::json!({
            "head": summary.head.to_hex().to_string(),
            "trials": summary.trials.len(),
            "best": best,
        }));
    }
    if export.csv {
        let header = [
            "head",
            "trials",
            "best_index",
            "best_record",
            "best_objective",
            "best_genotype",
        ];
        let mut row = vec![
            summary.head.to_hex().to_string(),
            summary.trials.len().to_string(),
        ];
        match best {
            Some((hash, t)) => row.extend([
                t.index.to_string(),
                hash.to_hex().to_string(),
                objective(t).to_string(),
                t.genotype.clone(),
            ]),
            None => row.extend(std::iter::repeat_n(String::new(), 4)),
        }
        return csv(&header, &[row]);
    }
    let mut text = format!("head: {}\n", summary.head.to_hex());
    match best {
        Some((hash, t)) => text.push_str(&format!(
            "best: trial {} (record {}), objective {}\n{}\n",
            t.index,
            &hash.to_hex()[..12],
            objective(t),
            t.genotype
        )),
        None => text.push_str("best: none (no trial ended ok)\n"),
    }
    text
}

/// The search's settings as `key = value` lines, the keys a `--config`
/// file takes (fed back as one, they give the same config), with the seed
/// and data in a closing comment.
pub fn settings_text(config: &SearchConfig) -> String {
    let r = config.to_record();
    let mut s = format!(
        "# csnas search settings (`--config` takes these keys)\nnodes = {}\nencoding = {}\n\
         objective = {}\n",
        config.space.nodes, r.encoding, r.objective
    );
    for (k, v) in &r.hyper_parameters {
        s.push_str(&format!("{k} = {v}\n"));
    }
    s.push_str(&format!(
        "# seed {}, data {} (digest {})\n",
        r.seed,
        config.data,
        r.data_digest.to_hex()
    ));
    s
}

/// Two progress bars on stderr: trials of the search, batches of the trial.
pub(crate) struct Bars {
    search: ProgressBar,
    trial: ProgressBar,
    _multi: indicatif::MultiProgress,
}

impl Bars {
    pub(crate) fn new() -> Self {
        let multi = indicatif::MultiProgress::new();
        let style = |t: &str| ProgressStyle::with_template(t).expect("valid template");
        let search = multi.add(ProgressBar::new(0));
        search.set_style(style("trials {pos}/{len} [{bar:30}] {elapsed} {msg}"));
        let trial = multi.add(ProgressBar::new(0));
        trial.set_style(style("  epoch {msg} [{bar:30}] {pos}/{len} batches"));
        Bars {
            search,
            trial,
            _multi: multi,
        }
    }
    pub(crate) fn finish(&self) {
        self.trial.finish_and_clear();
        self.search.finish();
    }
}

impl SearchObserver for Bars {
    fn resumed(&self, done: usize, total: usize) {
        self.search.set_length(total as u64);
        self.search.set_position(done as u64);
    }
    fn trial_started(&self, t: usize, _genotype: &Genotype) {
        self.search.set_message(format!("trial {t}"));
        self.trial.set_position(0);
    }
    fn trial_progress(&self, epoch: usize, batch: usize, batches: usize, loss: f32) {
        self.trial.set_length(batches as u64);
        self.trial.set_position(batch as u64 + 1);
        self.trial.set_message(format!("{epoch}, loss {loss:.4}"));
    }
    fn trial_finished(&self, record: &TrialRecord, _hash: &Hash) {
        self.search.inc(1);
        let best = record.objective.map_or(f64::INFINITY, |o| o.to_f64());
        self.search.set_message(format!("last objective {best:.4}"));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_workers_are_one_per_batch_trial_up_to_the_cores() {
        use super::default_workers;
        assert_eq!(default_workers(1, 2), 1, "K = 1 runs in process");
        assert_eq!(default_workers(4, 2), 2);
        assert_eq!(default_workers(2, 16), 2);
        assert_eq!(default_workers(8, 1), 1);
    }
}
