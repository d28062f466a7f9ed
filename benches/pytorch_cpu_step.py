#!/usr/bin/env python3
"""Time the search network's contrastive training step in PyTorch on the CPU,
the same step `csnas bench` times (src/bench/step.rs), and print JSON.

The step, as in csnas:
- network: `NetworkCIFAR` from fixtures/golden/darts_reference.py (no auxiliary
  head, no drop path) with the classifier replaced by the projection head
  `Sequential(Linear(C_prev, C_prev), ReLU, Linear(C_prev, 128))`;
- input: `batch` rows of 3 x size x size uniform in [-1, 1) = batch/2 images
  x 2 views; rows i and i + batch/2 are the positive pairs;
- `zero_grad`, forward (train mode), NT-Xent (cosine similarity, temperature
  0.5, diagonal masked, mean over the 2N rows), backward, then SGD (lr 1e-3,
  momentum 0.9, no weight decay);
- warm-up steps untimed, then `reps` timed steps; the median is reported;
- peak memory: VmHWM from /proc/self/status, reset before the run by writing
  "5" to /proc/self/clear_refs (as csnas does).

Usage: python3 benches/pytorch_cpu_step.py --threads 1 [--genotype TEXT|DARTS_V2]
Licence: MIT OR Apache-2.0 (written for csnas).
"""
import argparse
import ast
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "golden"))
import darts_reference as ref  # noqa: E402


def parse_genotype(text):
    """A built-in name or the DARTS text form `Genotype(normal=[...], ...)`."""
    if text in ("DARTS_V1", "DARTS_V2"):
        return getattr(ref, text)
    call = ast.parse(text.strip(), mode="eval").body
    if not isinstance(call, ast.Call):
        raise SystemExit("--genotype: expected DARTS_V1, DARTS_V2 or Genotype(...)")
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def search_network(genotype, c, layers, in_channels=3, out_dim=128):
    net = ref.NetworkCIFAR(c, 10, layers, False, genotype, in_channels)
    c_prev = net.classifier.in_features
    net.classifier = nn.Sequential(nn.Linear(c_prev, c_prev), nn.ReLU(), nn.Linear(c_prev, out_dim))
    return net


def nt_xent(z, temperature=0.5):
    rows = z.shape[0]
    half = rows // 2
    zhat = F.normalize(z, dim=1)
    sim = zhat @ zhat.t() / temperature
    sim = sim.masked_fill(torch.eye(rows, dtype=torch.bool), float("-inf"))
    target = (torch.arange(rows) + half) % rows
    return F.cross_entropy(sim, target)


def status_kib(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--genotype", default="DARTS_V2")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    net = search_network(parse_genotype(a.genotype), a.channels, a.layers)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    x = torch.rand(a.batch, 3, a.image_size, a.image_size) * 2 - 1
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = True
    except OSError:
        reset = False
    baseline = status_kib("VmRSS")
    steps, fwd_bwd, losses = [], [], []
    for i in range(a.warmup + a.reps):
        t0 = time.perf_counter()
        opt.zero_grad()
        z, _ = net(x)
        t1 = time.perf_counter()
        loss = nt_xent(z)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        t4 = time.perf_counter()
        losses.append(loss.item())
        if i >= a.warmup:
            steps.append(t4 - t0)
            fwd_bwd.append((t1 - t0) + (t3 - t2))
    med = statistics.median(steps)
    run = {
        "threads": a.threads, "step_median_s": med, "step_min_s": min(steps),
        "step_max_s": max(steps), "forward_backward_median_s": statistics.median(fwd_bwd),
        "images_per_s": a.batch / med, "peak_rss_kib": status_kib("VmHWM") if reset else None,
        "baseline_rss_kib": baseline, "losses": losses,
    }
    print(json.dumps({
        "impl": "pytorch", "torch_version": torch.__version__, "channels": a.channels,
        "layers": a.layers, "batch": a.batch, "image_size": a.image_size,
        "warmup": a.warmup, "reps": a.reps, "runs": [run],
    }))


if __name__ == "__main__":
    main()
