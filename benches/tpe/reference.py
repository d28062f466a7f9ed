#!/usr/bin/env python3
"""The TPE benchmark's Python side: the instances, hyperopt's and Optuna's TPE
as the reference, golden values for csnas's tests, and the summary table.

Why a script of its own: csnas's TPE must be measured against the libraries a
user would otherwise reach for, on the very same objectives, so the instances
live in one committed JSON file (instances.json beside this script) that both
sides read, and the libraries run here, in a virtual environment this script
creates (never a system-wide install).

Commands (see README.md beside this file):
  generate   write instances.json from a seed (stdlib only; done once, committed)
  run        hyperopt / Optuna on every instance and seed -> CSV
  golden     print hyperopt's and Optuna's own split sizes, forgetting weights
             and categorical Parzen densities (the golden values of csnas's tests)
  summarize  merge result CSVs (Rust and Python) into the markdown tables

`run` and `golden` create the environment on first use (default:
target/tpe-bench/venv, or --venv DIR) and re-run themselves inside it.
"""

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PINNED = ["optuna==5.0.0", "hyperopt==0.3.0", "numpy==2.4.6", "scipy==1.17.1"]
BUDGETS = [20, 50, 100]


# ---------------------------------------------------------------- environment


def ensure_venv(venv):
    """Re-executes this script inside `venv` (created with the pinned packages
    if missing) unless it already runs there."""
    if os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        print(f"creating {venv} with {' '.join(PINNED)}", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", venv])
        subprocess.check_call([py, "-m", "pip", "install", "-q", *PINNED])
    os.execv(py, [py, os.path.abspath(__file__), *sys.argv[1:]])


# ---------------------------------------------------------------- instances


def generate(args):
    """Instances: per size, `count` objectives
    f(x) = sum_v unary[v][x_v] + sum_(u,v) table[x_u][x_v]
    over `vars` categorical variables with 8 choices; `vars` distinct random
    pairs (u < v); every coefficient round(100 * N(0, 1)), an integer, so
    both sides sum exactly. The first `tune` of each size are for tuning,
    the rest held out."""
    rng = random.Random(args.seed)
    instances = []
    for n in args.sizes:
        for i in range(args.count):
            unary = [[round(100 * rng.gauss(0, 1)) for _ in range(8)] for _ in range(n)]
            all_pairs = [(u, v) for v in range(n) for u in range(v)]
            chosen = sorted(rng.sample(all_pairs, n))
            pairs = [
                {
                    "u": u,
                    "v": v,
                    "table": [[round(100 * rng.gauss(0, 1)) for _ in range(8)] for _ in range(8)],
                }
                for (u, v) in chosen
            ]
            instances.append(
                {
                    "name": f"v{n}-{i}",
                    "role": "tune" if i < args.tune else "held-out",
                    "cardinalities": [8] * n,
                    "unary": unary,
                    "pairs": pairs,
                }
            )
    doc = {
        "generator": f"benches/tpe/reference.py generate --seed {args.seed} "
        f"--sizes {' '.join(map(str, args.sizes))} --count {args.count} --tune {args.tune}",
        "python": sys.version.split()[0],
        "instances": instances,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {len(instances)} instances to {args.out}")


def load_instances(path):
    with open(path) as f:
        return json.load(f)["instances"]


def value(inst, x):
    s = 0
    for v, c in enumerate(x):
        s += inst["unary"][v][c]
    for p in inst["pairs"]:
        s += p["table"][x[p["u"]]][x[p["v"]]]
    return float(s)


# ---------------------------------------------------------------- the libraries


def run_hyperopt(inst, seed, trials):
    import numpy as np
    from hyperopt import Trials, fmin, hp, tpe

    n = len(inst["cardinalities"])
    space = [hp.choice(f"x{v}", list(range(inst["cardinalities"][v]))) for v in range(n)]
    values = []

    def fn(x):
        y = value(inst, list(x))
        values.append(y)
        return y

    fmin(
        fn,
        space,
        algo=tpe.suggest,
        max_evals=trials,
        trials=Trials(),
        rstate=np.random.default_rng(seed),
        show_progressbar=False,
    )
    return values


def run_optuna(inst, seed, trials, multivariate):
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n = len(inst["cardinalities"])
    if multivariate is None:
        sampler = optuna.samplers.TPESampler(seed=seed)  # Optuna's default
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=multivariate)
    study = optuna.create_study(sampler=sampler)
    values = []

    def fn(trial):
        x = [
            trial.suggest_categorical(f"x{v}", list(range(inst["cardinalities"][v])))
            for v in range(n)
        ]
        y = value(inst, x)
        values.append(y)
        return y

    study.optimize(fn, n_trials=trials)
    return values


METHODS = {
    "hyperopt": lambda inst, seed, t: run_hyperopt(inst, seed, t),
    # TPESampler() as a user writes it: multivariate for one objective in Optuna 5.
    "optuna": lambda inst, seed, t: run_optuna(inst, seed, t, None),
    "optuna-independent": lambda inst, seed, t: run_optuna(inst, seed, t, False),
}


def one_run(job):
    import warnings

    warnings.filterwarnings("ignore")
    method, inst, seed, trials = job
    start = time.perf_counter()
    values = METHODS[method](inst, seed, trials)
    took = time.perf_counter() - start
    best = [min(values[:b]) for b in BUDGETS if b <= len(values)]
    return method, inst["name"], inst["role"], len(inst["cardinalities"]), seed, best, took


def run(args):
    ensure_venv(args.venv)
    import multiprocessing

    instances = load_instances(args.instances)
    if args.only:
        instances = [i for i in instances if i["name"] in args.only.split(",")]
    methods = args.methods.split(",")
    header = ["method", "instance", "role", "vars", "seed"] + [f"best{b}" for b in BUDGETS]
    done = set()
    if os.path.exists(args.out):  # resume: keep the runs already written
        with open(args.out) as f:
            done = {(r["method"], r["instance"], int(r["seed"])) for r in csv.DictReader(f)}
    else:
        with open(args.out, "w", newline="") as f:
            csv.writer(f).writerow(header)
    jobs = [
        (m, inst, seed, args.trials)
        for seed in range(args.seeds)  # seeds outermost: a partial run covers every instance
        for inst in instances
        for m in methods  # alternating methods, so load hits every method alike
        if (m, inst["name"], seed) not in done
    ]
    print(f"{len(done)} runs already in {args.out}, {len(jobs)} to go", file=sys.stderr)
    start = time.time()
    took = {m: 0.0 for m in methods}
    with multiprocessing.Pool(args.workers) as pool, open(args.out, "a", newline="") as f:
        w = csv.writer(f)
        for k, r in enumerate(pool.imap(one_run, jobs, chunksize=1)):
            w.writerow(list(r[:5]) + [repr(b) for b in r[5]])
            f.flush()
            took[r[0]] += r[6]
            if (k + 1) % 20 == 0 or k + 1 == len(jobs):
                print(f"{k + 1}/{len(jobs)} runs, {time.time() - start:.0f} s", file=sys.stderr)
    wall = time.time() - start
    print(f"wrote {len(jobs)} runs to {args.out} in {wall:.0f} s wall, {args.workers} workers")
    for m in methods:
        print(f"  {m}: {took[m]:.0f} s of run time in all")


# ---------------------------------------------------------------- golden values


def golden(args):
    ensure_venv(args.venv)
    import numpy as np
    from hyperopt import tpe as htpe
    from optuna.distributions import CategoricalDistribution
    from optuna.samplers._tpe import sampler as osampler
    from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters

    print("# hyperopt.tpe.linear_forgetting_weights(n, 25)")
    for n in [24, 25, 26, 30, 60]:
        print(n, htpe.linear_forgetting_weights(n, 25).tolist())
    print("# hyperopt.tpe.ap_split_trials below-group size, gamma 0.25, cap 25")
    sizes = []
    for n in [1, 5, 16, 17, 20, 50, 100, 10000, 10001]:
        below, _ = htpe.ap_split_trials(
            list(range(n)), list(range(n)), list(range(n)), list(range(n)), 0.25, 25
        )
        sizes.append((n, len(below)))
    print(sizes)
    print("# optuna default_gamma(n) = min(ceil(0.1 n), 25)")
    print([(n, osampler.default_gamma(n)) for n in [1, 9, 10, 11, 29, 30, 31, 70, 100, 249, 251]])
    print("# optuna default_weights(30)")
    print(osampler.default_weights(30).tolist())
    params = _ParzenEstimatorParameters(
        prior_weight=1.0,
        consider_magic_clip=True,
        consider_endpoints=False,
        weights=osampler.default_weights,
        multivariate=True,
    )
    space = {"a": CategoricalDistribution(list(range(4))), "b": CategoricalDistribution(list(range(3)))}
    obs = {"a": np.array([2.0, 2.0, 0.0]), "b": np.array([1.0, 0.0, 1.0])}
    pe = _ParzenEstimator(obs, space, params)
    pts = {
        "a": np.array([0.0, 1.0, 2.0, 3.0, 2.0, 0.0, 2.0]),
        "b": np.array([0.0, 1.0, 2.0, 1.0, 1.0, 1.0, 0.0]),
    }
    print("# optuna _ParzenEstimator log_pdf, obs a=[2,2,0] (4 choices), b=[1,0,1] (3 choices)")
    print("# points (a,b): (0,0) (1,1) (2,2) (3,1) (2,1) (0,1) (2,0)")
    print(pe.log_pdf(pts).tolist())
    print("# the same for 'a' alone (univariate)")
    pe_a = _ParzenEstimator({"a": obs["a"]}, {"a": space["a"]}, params)
    print(pe_a.log_pdf({"a": np.array([0.0, 1.0, 2.0, 3.0])}).tolist())
    w30 = np.arange(30) % 4
    pe30 = _ParzenEstimator({"a": w30.astype(float)}, {"a": space["a"]}, params)
    print("# 'a' alone, 30 observations t % 4 (forgetting weights apply)")
    print(pe30.log_pdf({"a": np.array([0.0, 1.0, 2.0, 3.0])}).tolist())


# ---------------------------------------------------------------- summary


def summarize(args):
    """Markdown tables: for each role (tune, held-out) and size, the median
    over seeds of the best objective after 20/50/100 trials, as a z-score
    against uniform random choice vectors (mean and sd of 20,000 random
    vectors per instance, stdlib `random` seeded 0), averaged over instances;
    a method run on fewer instances gets its own table on those; then each
    instance's raw medians at 100 trials, and the goal check."""
    instances = {i["name"]: i for i in load_instances(args.instances)}
    runs = {}
    for path in args.csv:
        with open(path) as f:
            for row in csv.DictReader(f):
                key = (row["method"], row["instance"])
                runs.setdefault(key, []).append([float(row[f"best{b}"]) for b in BUDGETS])
    short = sorted(k for k, v in runs.items() if len(v) < args.min_seeds)
    for k in short:  # an interrupted run's leftovers: too few seeds to report
        del runs[k]
    methods = []
    for m, _ in runs:
        if m not in methods:
            methods.append(m)
    if args.order:
        order = args.order.split(",")
        methods = [m for m in order if m in methods] + [m for m in methods if m not in order]
    moments = {}
    for name, inst in instances.items():
        rng = random.Random(0)
        ys = [
            value(inst, [rng.randrange(c) for c in inst["cardinalities"]]) for _ in range(20000)
        ]
        moments[name] = (statistics.fmean(ys), statistics.pstdev(ys))

    def median(m, name, b):
        return statistics.median(r[b] for r in runs[(m, name)])

    def table(names, ms, title):
        seeds = min(len(runs[(m, k)]) for m in ms for k in names)
        out.append(f"\n**{title}** ({', '.join(names)}; {seeds} seeds each)\n")
        out.append("| method | best after 20 | after 50 | after 100 |")
        out.append("| --- | --- | --- | --- |")
        for m in ms:
            cells = []
            for b in range(len(BUDGETS)):
                zs = [(median(m, k, b) - moments[k][0]) / moments[k][1] for k in names]
                cells.append(f"{statistics.fmean(zs):.2f}")
            out.append(f"| {m} | " + " | ".join(cells) + " |")

    out = [
        "Cells: the median over seeds of the best objective after N trials, as a z-score "
        "against uniform random choice vectors, averaged over the instances (lower is better)."
    ]
    if short:
        out.append(
            f"\n(Left out, fewer than {args.min_seeds} seeds: "
            + ", ".join(f"{m} on {k}" for m, k in short)
            + ".)"
        )
    for role in ["tune", "held-out"]:
        for n in sorted({len(i["cardinalities"]) for i in instances.values()}):
            group = [k for k, i in instances.items() if i["role"] == role and len(i["cardinalities"]) == n]
            full = [m for m in methods if all((m, k) in runs for k in group)]
            if group and full:
                table(group, full, f"{n} variables, {role} instances")
            partial = [m for m in methods if m not in full]
            for m in partial:
                sub = [k for k in group if (m, k) in runs]
                if sub:
                    ms = [x for x in methods if all((x, k) in runs for k in sub)]
                    table(sub, ms, f"{n} variables, {role}: the instances {m} ran on")
    out.append("\n**Per instance**: median best after 100 trials (raw objective; lower is better)\n")
    names = list(instances)
    out.append("| method | " + " | ".join(f"{k} ({instances[k]['role']})" for k in names) + " |")
    out.append("| --- " * (len(names) + 1) + "|")
    for m in methods:
        cells = [f"{median(m, k, 2):.0f}" if (m, k) in runs else "" for k in names]
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    if args.goal:
        ours, ref = args.goal.split(",")
        held = [k for k in names if instances[k]["role"] == "held-out"]
        held = [k for k in held if (ours, k) in runs and (ref, k) in runs]
        wins = [k for k in held if median(ours, k, 2) <= median(ref, k, 2)]
        out.append(
            f"\nGoal ({ours} at or below {ref}'s median at 100 trials, held-out): "
            f"met on {len(wins)} of {len(held)} instances"
            + (f" (not on {', '.join(k for k in held if k not in wins)})" if len(wins) < len(held) else "")
        )
    print("\n".join(out))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    default_venv = os.path.join(ROOT, "target", "tpe-bench", "venv")
    default_instances = os.path.join(HERE, "instances.json")

    g = sub.add_parser("generate")
    g.add_argument("--seed", type=int, default=20261124)
    g.add_argument("--sizes", type=int, nargs="+", default=[28, 40])
    g.add_argument("--count", type=int, default=6)
    g.add_argument("--tune", type=int, default=2)
    g.add_argument("--out", default=default_instances)

    r = sub.add_parser("run")
    r.add_argument("--instances", default=default_instances)
    r.add_argument("--only", help="comma-separated instance names (default: all)")
    r.add_argument("--methods", default="hyperopt,optuna")
    r.add_argument("--seeds", type=int, default=30)
    r.add_argument("--trials", type=int, default=100)
    r.add_argument("--workers", type=int, default=2)
    r.add_argument("--venv", default=default_venv)
    r.add_argument("--out", required=True)

    gd = sub.add_parser("golden")
    gd.add_argument("--venv", default=default_venv)

    s = sub.add_parser("summarize")
    s.add_argument("--instances", default=default_instances)
    s.add_argument("--order", help="comma-separated method order")
    s.add_argument("--min-seeds", type=int, default=30, help="ignore (method, instance) with fewer runs")
    s.add_argument("--goal", help="OURS,REFERENCE: count held-out instances where OURS <= REFERENCE at 100")
    s.add_argument("csv", nargs="+")

    args = p.parse_args()
    {"generate": generate, "run": run, "golden": golden, "summarize": summarize}[args.cmd](args)


if __name__ == "__main__":
    main()
