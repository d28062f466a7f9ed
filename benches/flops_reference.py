#!/usr/bin/env python3
"""PyTorch's own flop count of the step `csnas bench` times, the independent
source of the golden values in src/bench/flops/tests.rs.

Runs one forward + NT-Xent + backward of `search_network(DARTS_V2, C, layers)`
(benches/pytorch_cpu_step.py) under `torch.utils.flop_counter.FlopCounterMode`
and prints the per-op counts. Compare `csnas bench --json`'s `flops_by_class`:
csnas's convolutions = 3 × `aten.convolution` (forward, backward-data,
backward-filter, the stem's input gradient included; PyTorch's own
`convolution_backward` count uses a different formula for strided
convolutions, so compare forwards), csnas's linear = 3 × `aten.addmm` + bias
terms.

Usage: python3 benches/flops_reference.py   (torch: target/torch-venv, see compare_trial.sh)
Licence: MIT OR Apache-2.0 (written for csnas).
"""
import os
import sys

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_cpu_step import nt_xent, parse_genotype, search_network  # noqa: E402

torch.manual_seed(0)
for c, layers, batch, size in [(4, 3, 8, 16), (16, 8, 64, 32)]:
    net = search_network(parse_genotype("DARTS_V2"), c, layers)
    net.train()
    x = torch.rand(batch, 3, size, size) * 2 - 1
    with FlopCounterMode(display=False) as fc:
        z, _ = net(x)
        nt_xent(z).backward()
    counts = {str(k): v for k, v in fc.get_flop_counts()["Global"].items()}
    print(f"C={c} layers={layers} batch={batch} {size}x{size}: total {fc.get_total_flops()}, {counts}")
