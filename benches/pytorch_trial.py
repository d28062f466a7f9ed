#!/usr/bin/env python3
"""One trial of csnas's default search, run the way the original CSNAS code
would run it (PyTorch, torchvision transforms, a DataLoader), timed end to end.

The trial (csnas: `SearchConfig::default_preset`, src/search/config.rs):
- data: the built-in `digits` (fixtures/digits/digits.csv.gz, 1,797 8x8 grey
  images, pixel values 0..16 scaled to [0, 1]); 1,024 unlabelled training
  images and 256 held-out images, drawn with this script's own seed (csnas
  draws them from its streams: the same counts, not the same images);
- views: two per image, each `RandomResizedCrop(8, scale=(0.5, 1),
  ratio=(3/4, 4/3))` then `RandomApply([ColorJitter(0.4, 0.4)], p=0.8)`, made
  per image in a `Dataset.__getitem__` as torchvision pipelines do;
- network: the genotype's search network (`NetworkCIFAR` of
  fixtures/golden/darts_reference.py, C=8, 5 cells, 1 input channel) with the
  projection head `Linear(C_prev, C_prev), ReLU, Linear(C_prev, 32)`;
- training: 8 epochs, batch 64 (shuffled, 16 batches per epoch), NT-Xent
  (temperature 0.5), SGD lr 0.05, momentum 0.9;
- scores on the held-out images, eval mode, two fixed views: NT-Xent loss,
  alignment, uniformity and RankMe of the pooled trunk features (csnas's
  `src/train/label_free.rs`); the search's objective is the alignment.

Prints one JSON object per repetition: wall time of the whole trial (data
loading included), of the training epochs, of the scores, and the trials per
hour that the median implies. `benches/compare_trial.sh` alternates this
script with `csnas search` on a one-trial config.

Usage: python3 benches/pytorch_trial.py --genotype TEXT --threads 1 [--reps 3]
Needs torch and torchvision (benches/compare_trial.sh makes a virtual
environment under target/ with both from PyPI).
Licence: MIT OR Apache-2.0 (written for csnas).
"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2 as T

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pytorch_cpu_step import nt_xent, parse_genotype, search_network  # noqa: E402

DIGITS = os.path.join(HERE, "..", "fixtures", "digits", "digits.csv.gz")


def load_digits():
    """All 1,797 images as a (N, 1, 8, 8) float tensor in [0, 1]."""
    rows = []
    with gzip.open(DIGITS, "rt") as f:
        for line in f:
            values = [float(v) for v in line.strip().split(",")]
            rows.append(values[:64])
    return torch.tensor(rows).reshape(-1, 1, 8, 8) / 16.0


class TwoViews(Dataset):
    """Two augmented views of each image, made per item (the torchvision way)."""

    def __init__(self, images, transform):
        self.images = images
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        x = self.images[i]
        return self.transform(x), self.transform(x)


def views_transform():
    return T.Compose([
        T.RandomResizedCrop(8, scale=(0.5, 1.0), ratio=(3 / 4, 4 / 3), antialias=False),
        T.RandomApply([T.ColorJitter(brightness=0.4, contrast=0.4)], p=0.8),
    ])


def scores(net, images, transform, batch):
    """Held-out NT-Xent, alignment, uniformity (t = 2) and RankMe, eval mode."""
    net.eval()
    torch.manual_seed(1)  # fixed views: the same for every trial
    losses, z0s, z1s, feats = [], [], [], []
    with torch.no_grad():
        for start in range(0, len(images), batch):
            chunk = images[start:start + batch]
            v0 = torch.stack([transform(x) for x in chunk])
            v1 = torch.stack([transform(x) for x in chunk])
            z, _ = net(torch.cat([v0, v1]))
            losses.append(nt_xent(z).item())
            u = F.normalize(z.double(), dim=1)
            z0s.append(u[: len(chunk)])
            z1s.append(u[len(chunk):])
            feats.append(trunk_features(net, chunk))
    u0, u1 = torch.cat(z0s), torch.cat(z1s)
    alignment = (u0 - u1).pow(2).sum(1).mean().item()
    uniformity = 0.5 * sum(
        torch.log(torch.exp(-2 * torch.pdist(u).pow(2)).mean()).item() for u in (u0, u1))
    s = torch.linalg.svdvals(torch.cat(feats).double())
    p = s / s.sum() + 1e-7
    rankme = torch.exp(-(p * torch.log(p)).sum()).item()
    net.train()
    return {"heldout_loss": statistics.fmean(losses), "alignment": alignment,
            "uniformity": uniformity, "rankme": rankme}


def trunk_features(net, x):
    """The pooled trunk output (before the head) of NetworkCIFAR."""
    s0 = s1 = net.stem(x)
    for cell in net.cells:
        s0, s1 = s1, cell(s0, s1)
    return net.global_pooling(s1).flatten(1)


def trial(genotype, seed):
    t0 = time.perf_counter()
    torch.manual_seed(seed)
    images = load_digits()
    perm = torch.randperm(len(images))
    train_images, heldout = images[perm[:1024]], images[perm[1024:1280]]
    transform = views_transform()
    loader = DataLoader(TwoViews(train_images, transform), batch_size=64, shuffle=True,
                        num_workers=0, drop_last=False)
    net = search_network(genotype, 8, 5, in_channels=1, out_dim=32)
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    t1 = time.perf_counter()
    epoch_losses = []
    for _ in range(8):
        total, batches = 0.0, 0
        for v0, v1 in loader:
            opt.zero_grad()
            z, _ = net(torch.cat([v0, v1]))
            loss = nt_xent(z)
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        epoch_losses.append(total / batches)
    t2 = time.perf_counter()
    s = scores(net, heldout, transform, 64)
    t3 = time.perf_counter()
    return {"trial_s": t3 - t0, "setup_s": t1 - t0, "train_s": t2 - t1, "scores_s": t3 - t2,
            "epoch_losses": epoch_losses, **s}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--genotype", required=True, help="DARTS text form, DARTS_V1 or DARTS_V2")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    genotype = parse_genotype(a.genotype)
    runs = [trial(genotype, a.seed + r) for r in range(a.reps)]
    med = statistics.median(r["trial_s"] for r in runs)
    print(json.dumps({"impl": "pytorch", "torch_version": torch.__version__,
                      "threads": a.threads, "runs": runs, "trial_median_s": med,
                      "trials_per_hour": 3600.0 / med}))


if __name__ == "__main__":
    main()
