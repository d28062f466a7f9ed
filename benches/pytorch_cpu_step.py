#!/usr/bin/env python3
"""Time the search network's contrastive training step in PyTorch on the CPU,
the same step `csnas bench` times (src/bench/step.rs), and print JSON.

The step, as in csnas:
- network: `NetworkCIFAR` from fixtures/golden/darts_reference.py (no auxiliary
  head, no drop path) with the classifier replaced by the projection head
  `Sequential(Linear(C_prev, C_prev), ReLU, Linear(C_prev, 128))`;
- input: `batch` rows of 3 x size x size uniform in [-1, 1) = batch/2 images
  x 2 views; rows i and i + batch/2 are the positive pairs;
- `zero_grad`, forward (train mode), the loss, backward, then SGD (lr 1e-3,
  momentum 0.9, no weight decay);
- the loss (`--loss`): NT-Xent (cosine similarity, temperature 0.5, diagonal
  masked, mean over the 2N rows; 128-d head), or the CSNAS authors' PIRL NCE
  (256-d head; rows 0..B are the views, B..2B the originals; per row the bank
  entry of its image is the positive and 2(B-1) other bank entries, drawn
  without replacement, the negatives; cosine similarity over temperature 0.07,
  cross-entropy with target 0; 0.5 NCE(view) + 0.5 NCE(original); after the
  step the bank takes S_j <- f_j + 0.5 S_j for the batch's originals), as
  `csnas bench --loss pirl-nce` does, written the vectorised way a PyTorch
  user would (the authors loop over rows in Python, which is slower);
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


def pirl_nce(z, bank, positions, negatives, tau=0.07, w=0.5):
    b = z.shape[0] // 2
    pos = F.normalize(bank[positions], dim=1, eps=1e-8)
    neg = F.normalize(bank[negatives], dim=2, eps=1e-8)
    target = torch.zeros(b, dtype=torch.long)

    def nce(x):
        xh = F.normalize(x, dim=1, eps=1e-8)
        logits = torch.cat([(xh * pos).sum(1, keepdim=True),
                            torch.bmm(neg, xh.unsqueeze(2)).squeeze(2)], dim=1) / tau
        return F.cross_entropy(logits, target)

    return w * nce(z[:b]) + (1 - w) * nce(z[b:])


def draw_negatives(bank_size, positions, k, gen):
    # k distinct entries per row from the bank minus the row's own image.
    picks = torch.stack([torch.randperm(bank_size - 1, generator=gen)[:k] for _ in positions])
    own = torch.tensor(positions).unsqueeze(1)
    return picks + (picks >= own).long()


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
    ap.add_argument("--loss", choices=["nt-xent", "pirl-nce"], default="nt-xent")
    ap.add_argument("--bank", type=int, default=50000)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    pirl = a.loss == "pirl-nce"
    net = search_network(parse_genotype(a.genotype), a.channels, a.layers,
                         out_dim=256 if pirl else 128)
    b = a.batch // 2
    bank = F.normalize(torch.randn(a.bank, 256), dim=1) if pirl else None
    gen = torch.Generator().manual_seed(a.seed)
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
        if pirl:
            positions = [(i * b + r) % a.bank for r in range(b)]
            negatives = draw_negatives(a.bank, positions, 2 * (b - 1), gen)
            loss = pirl_nce(z, bank, positions, negatives)
        else:
            loss = nt_xent(z)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        if pirl:
            with torch.no_grad():
                bank[positions] = z[b:].detach() + 0.5 * bank[positions]
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
        "layers": a.layers, "batch": a.batch, "loss": a.loss,
        "bank": a.bank if pirl else None, "image_size": a.image_size,
        "warmup": a.warmup, "reps": a.reps, "runs": [run],
    }))


if __name__ == "__main__":
    main()
