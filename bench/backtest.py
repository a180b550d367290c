"""Combinations per second of a MACD x RSI sweep (10,000 combinations) on MSFT daily and EURUSD hourly.

Prints, per dataset: cold (first call in this process: numba compiles what its on-disk cache lacks) and
warm (second call) combinations/s of the vectorised `sweep_macd_rsi` (default numba engine), then the
vectorbt engine (Portfolio.from_signals over chunks) warm, and for each the one-by-one rate: a random
sample of combinations, each run alone through the same function, timed and EXTRAPOLATED to all
combinations. Peak memory (max RSS) too. Not a test: figures depend on the machine (and on other work
on it); run: .venv/bin/python bench/backtest.py [--sample 30] [--max-cells 2000000] [--no-vectorbt]
"""
import argparse, glob, os, resource, subprocess, sys, time, warnings

import numpy as np

# "cold" means numba compiles the kit's kernels: drop their on-disk cache before importing them
import trading_kit
for f in glob.glob(os.path.join(os.path.dirname(trading_kit.__file__), "__pycache__", "sweeps.*.nb[ic]")): os.remove(f)

warnings.filterwarnings("ignore")  # numba's pending-deprecation chatter from vectorbt's indicators

from trading_kit.sweeps import sweep_macd_rsi
from trading_kit.data import load_ohlcv

GRID = dict(fast=tuple(range(3, 22, 2)),             # 10
            slow=tuple(range(22, 72, 5)),            # 10
            signal=(5, 7, 9, 11, 13),                # 5   -> 500 MACD combinations
            rsi_window=(7, 10, 14, 21, 28),          # 5
            rsi_entry=(45, 55), rsi_exit=(70, 80))   # 4   -> 20 RSI combinations; 10,000 in all


def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn):
    t0 = time.perf_counter(); out = fn(); return time.perf_counter() - t0, out


def one_by_one(name, df, rows, engine):
    "Mean seconds per combination when each runs alone through the same function (one column per call)."
    t0 = time.perf_counter()
    for r in rows.itertuples():
        sweep_macd_rsi({name: df}, fast=(r.fast,), slow=(r.slow,), signal=(r.signal,), rsi_window=(r.rsi_window,),
                       rsi_entry=(r.rsi_entry,), rsi_exit=(r.rsi_exit,), benchmark=False, engine=engine)
    return (time.perf_counter() - t0) / len(rows)


def bench(name, df, sample, max_cells, vectorbt_engine, seed=0):
    cold, sw = _timed(lambda: sweep_macd_rsi({name: df}, benchmark=False, **GRID))
    warm, sw = _timed(lambda: sweep_macd_rsi({name: df}, benchmark=False, **GRID))
    n = sw.n_trials
    rows = sw.table.sample(sample, random_state=seed)
    print(f"{name}: {len(df):,} bars x {n:,} combinations")
    print(f"  numba engine    cold: {cold:7.2f} s = {n / cold:8,.0f} combinations/s (includes numba compiling unless cached on disk)")
    print(f"  numba engine    warm: {warm:7.2f} s = {n / warm:8,.0f} combinations/s (target >= 1,000)")
    one = one_by_one(name, df, rows, "numba")
    print(f"  one by one (numba, {sample} random combinations timed, extrapolated to {n:,}): {one * 1000:.1f} ms each, "
          f"{one * n:,.0f} s in all; vectorised is {one * n / warm:,.0f}x faster")
    if vectorbt_engine:
        sweep_macd_rsi({name: df}, fast=(8,), slow=(26,), signal=(9,), rsi_window=(14,), rsi_entry=(50,), rsi_exit=(70,), engine="vectorbt", benchmark=False)
        vwarm, vsw = _timed(lambda: sweep_macd_rsi({name: df}, benchmark=False, engine="vectorbt", max_cells=max_cells, **GRID))
        diff = float(np.nanmax(np.abs(vsw.table["total_return"].to_numpy() - sw.table["total_return"].to_numpy())))
        print(f"  vectorbt engine warm (Portfolio.from_signals, max_cells={max_cells:,}): {vwarm:7.2f} s = {n / vwarm:8,.0f} combinations/s; "
              f"max |total return difference| vs numba engine {diff:.1e}")
        vone = one_by_one(name, df, rows.head(max(3, sample // 3)), "vectorbt")
        print(f"  one by one (vectorbt, {max(3, sample // 3)} timed, extrapolated): {vone * 1000:.1f} ms each, {vone * n:,.0f} s in all; "
              f"vectorised vectorbt is {vone * n / vwarm:,.0f}x faster")
    best = sw.table.nlargest(1, "sharpe").iloc[0]
    print(f"  best Sharpe {best.sharpe:.2f} (PSR {best.psr:.2f}, deflated Sharpe {best.dsr:.2f} with N={n:,}); peak RSS {rss_mb():,.0f} MB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", type=int, default=30)
    ap.add_argument("--max-cells", type=int, default=2_000_000)
    ap.add_argument("--only", choices=["MSFT", "EURUSD"], default=None)
    ap.add_argument("--no-vectorbt", action="store_true", help="skip the (slower) vectorbt-engine timing")
    a = ap.parse_args()
    if a.only is None:  # each dataset in a fresh process: its own cold start and its own peak memory
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs visible", flush=True)
        for name in ("MSFT", "EURUSD"):
            subprocess.run([sys.executable, __file__, "--only", name, *sys.argv[1:]], check=True)
    else:
        df = load_ohlcv("MSFT") if a.only == "MSFT" else load_ohlcv("EURUSD", interval="1h")
        bench(a.only, df, a.sample, a.max_cells, not a.no_vectorbt)
