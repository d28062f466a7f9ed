#!/usr/bin/env python3
"""The PyTorch side of the GPU benchmark (benches/gpu_check.sh): times the
same training steps `csnas bench --backend cuda` times, on the same GPU, with
PyTorch's determinism switched on, and prints one JSON object.

Determinism settings (what "deterministic PyTorch" means here):
`torch.use_deterministic_algorithms(True)`, `cudnn.benchmark = False`,
`cudnn.deterministic = True`, TF32 off for matmul and cuDNN, and
`CUBLAS_WORKSPACE_CONFIG=:4096:8` (set before CUDA starts).

Steps:
- `search`: the contrastive step of the search network (NetworkCIFAR from
  fixtures/golden/darts_reference.py, no auxiliary head, projection head
  Linear-ReLU-Linear(128), NT-Xent at temperature 0.5, SGD lr 1e-3 momentum
  0.9), as benches/pytorch_cpu_step.py defines it;
- `eval`: the supervised step of the evaluation network (C=36, 20 cells,
  auxiliary head weighted 0.4, cross-entropy on random labels, SGD lr 0.025
  momentum 0.9 weight decay 3e-4, gradient clipping at 5; no drop path:
  the reference network omits it, so `csnas bench` must too for a fair
  ratio).
Times are wall-clock medians over `--reps` steps after `--warmup`, each step
ended by `torch.cuda.synchronize()`; peak memory is
`torch.cuda.max_memory_allocated()`.

Usage: python3 benches/gpu_pytorch_step.py --step search --batch 256 --channels 32 --layers 8
Licence: MIT OR Apache-2.0 (written for csnas).
"""
import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pytorch_cpu_step import parse_genotype, ref, search_network  # noqa: E402


def deterministic():
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def nt_xent(z, temperature=0.5):
    rows = z.shape[0]
    zhat = F.normalize(z, dim=1)
    sim = zhat @ zhat.t() / temperature
    sim = sim.masked_fill(torch.eye(rows, dtype=torch.bool, device=z.device), float("-inf"))
    target = (torch.arange(rows, device=z.device) + rows // 2) % rows
    return F.cross_entropy(sim, target)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--step", choices=["search", "eval"], default="search")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--channels", type=int, default=32)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--image-size", type=int, default=32)
    ap.add_argument("--genotype", default="DARTS_V2")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    deterministic()
    dev = torch.device("cuda")
    torch.manual_seed(a.seed)
    genotype = parse_genotype(a.genotype)
    if a.step == "search":
        net = search_network(genotype, a.channels, a.layers).to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    else:
        net = ref.NetworkCIFAR(a.channels, 10, a.layers, True, genotype).to(dev)
        opt = torch.optim.SGD(net.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
    net.train()
    x = torch.rand(a.batch, 3, a.image_size, a.image_size, device=dev) * 2 - 1
    labels = torch.randint(0, 10, (a.batch,), device=dev)
    torch.cuda.reset_peak_memory_stats()
    steps, losses = [], []
    for i in range(a.warmup + a.reps):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad()
        out, aux = net(x)
        if a.step == "search":
            loss = nt_xent(out)
        else:
            loss = F.cross_entropy(out, labels) + 0.4 * F.cross_entropy(aux, labels)
        loss.backward()
        if a.step == "eval":
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        losses.append(loss.item())
        if i >= a.warmup:
            steps.append(t1 - t0)
    med = statistics.median(steps)
    print(json.dumps({
        "impl": "pytorch-deterministic", "step": a.step, "torch_version": torch.__version__,
        "cudnn_version": torch.backends.cudnn.version(), "device": torch.cuda.get_device_name(0),
        "channels": a.channels, "layers": a.layers, "batch": a.batch, "image_size": a.image_size,
        "warmup": a.warmup, "reps": a.reps, "step_median_s": med, "step_min_s": min(steps),
        "step_max_s": max(steps), "images_per_s": a.batch / med,
        "peak_gpu_bytes": torch.cuda.max_memory_allocated(), "losses": losses,
    }))


if __name__ == "__main__":
    main()
