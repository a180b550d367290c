"Peak memory of the windowed dataset: 1,000,000 bars x 32 features x 60-bar windows, as a ratio to the feature matrix."
import argparse, resource, time

import numpy as np
import torch
from torch.utils.data import DataLoader, SubsetRandomSampler

from trading_kit.datasets import WindowDataset
from trading_kit.splits import chronological_split


def rss_mb() -> float:
    "Current resident set size in MB (Linux /proc)."
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(bars=1_000_000, features=32, window=60, batches=400, batch_size=256):
    torch.set_num_threads(1)
    base = rss_mb()
    X = np.random.default_rng(0).standard_normal((bars, features), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 3, bars)
    x_mb = X.nbytes / 2**20
    split = chronological_split(bars - 5, purge_bars=5, first=window - 1, horizon=5)
    t0 = time.perf_counter()
    ds = WindowDataset(X, y, split.train, window)
    build_s = time.perf_counter() - t0
    after_build = rss_mb()
    n = batches * batch_size
    idx = np.random.default_rng(2).choice(len(ds), n, replace=False)
    t0 = time.perf_counter(); seen = 0
    for xb, yb in DataLoader(ds, batch_size=batch_size, sampler=SubsetRandomSampler(idx)):
        seen += len(xb)
    it_s = time.perf_counter() - t0
    peak = peak_mb()
    print(f"feature matrix X: {bars:,} x {features} float32 = {x_mb:.0f} MB "
          f"(a materialised {window}-bar copy of the train part would be {len(ds) * window * features * 4 / 2**30:.1f} GB)")
    print(f"dataset build: {build_s * 1e3:.1f} ms; RSS above start after X+y+dataset: {after_build - base:.0f} MB "
          f"= {(after_build - base) / x_mb:.2f}x X (y int64 adds {y.nbytes / 2**20:.0f} MB)")
    print(f"DataLoader: {seen:,} random windows in {it_s:.2f} s ({seen / it_s:,.0f} windows/s, batch {batch_size})")
    print(f"peak RSS of the process above start: {peak - base:.0f} MB = {(peak - base) / x_mb:.2f}x X")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--batches", type=int, default=400)
    a = ap.parse_args()
    main(a.bars, batches=a.batches)
