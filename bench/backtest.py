"""Configurations per second of a MACD x RSI sweep (10,000 configurations) on MSFT daily (and EURUSD hourly).

Prints, per dataset, each in a fresh process: the import time of `trading_kit.sweeps`, the FIRST sweep in that
process (numba loads the kernels `make install` compiled into the on-disk cache; with --cold the cache is
deleted first, so this includes compiling), the WARM rate (best of --repeat calls) of the kit's engine, and
vectorbt's `Portfolio.from_signals` engine on the same grid, same signals (warm, one call), with the largest
difference between the two tables. Peak memory (max RSS) too. Not a test: figures depend on the machine and on
the other work on it (`os.getloadavg()` is printed). Run: .venv/bin/python bench/backtest.py [--only MSFT]
[--repeat 5] [--vectorbt-share 1.0] [--no-vectorbt] [--cold]
"""
import argparse, glob, os, resource, subprocess, sys, time, warnings

GRID = dict(fast=tuple(range(3, 22, 2)),             # 10
            slow=tuple(range(22, 72, 5)),            # 10
            signal=(5, 7, 9, 11, 13),                # 5   -> 500 MACD combinations
            rsi_window=(7, 10, 14, 21, 28),          # 5
            rsi_entry=(45, 55), rsi_exit=(70, 80))   # 4   -> 20 RSI combinations; 10,000 in all


def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn):
    t0 = time.perf_counter(); out = fn(); return time.perf_counter() - t0, out


def bench(name, cold, repeat, vectorbt_share):
    if cold:
        import importlib.util
        spec = importlib.util.find_spec("trading_kit")
        for f in glob.glob(os.path.join(os.path.dirname(spec.origin), "__pycache__", "sweeps.*.nb[ic]")): os.remove(f)
    t_import, _ = _timed(lambda: __import__("trading_kit.sweeps"))
    from trading_kit.sweeps import sweep_macd_rsi
    from trading_kit.data import load_ohlcv
    import numpy as np
    df = load_ohlcv("MSFT") if name == "MSFT" else load_ohlcv("EURUSD", interval="1h")
    first, sw = _timed(lambda: sweep_macd_rsi({name: df}, benchmark=False, **GRID))
    runs = []
    for _ in range(repeat):
        c0 = time.process_time(); w, _ = _timed(lambda: sweep_macd_rsi({name: df}, benchmark=False, **GRID)); runs.append((w, time.process_time() - c0))
    warm, cpu = min(runs)
    n = sw.n_trials
    print(f"{name}: {len(df):,} bars x {n:,} configurations; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  import trading_kit.sweeps: {t_import:.2f} s")
    print(f"  kit  first call: {first:6.3f} s = {n / first:9,.0f} configurations/s "
          f"({'numba compiles: cache deleted' if cold else 'kernels from the on-disk cache'}); {first / warm:.1f}x the warm call")
    print(f"  kit  warm (best of {repeat}): {warm:6.3f} s = {n / warm:9,.0f} configurations/s (target >= 50,000); {cpu:.3f} CPU-s over all threads = {n / cpu:,.0f} configurations per CPU-second")
    if vectorbt_share > 0:
        import vectorbt  # noqa: F401  (import outside the timing)
        g = dict(GRID, fast=GRID["fast"][:max(1, round(len(GRID["fast"]) * vectorbt_share))])
        sweep_macd_rsi({name: df}, fast=(8,), slow=(26,), signal=(9,), rsi_window=(14,), rsi_entry=(50,), rsi_exit=(70,), engine="vectorbt", benchmark=False)
        vwarm, vsw = _timed(lambda: sweep_macd_rsi({name: df}, benchmark=False, engine="vectorbt", **g))
        kit = sw.table.iloc[:vsw.n_trials]   # fast is the outermost parameter: the first rows are the same configurations
        cols = ["total_return", "mean", "std", "max_drawdown", "n_trades"]
        diff = float(np.nanmax(np.abs(vsw.table[cols].to_numpy() - kit[cols].to_numpy())))
        print(f"  vectorbt warm (Portfolio.from_signals, {vsw.n_trials:,} of the configurations): {vwarm:6.2f} s = {vsw.n_trials / vwarm:9,.0f} configurations/s; "
              f"kit is {(n / warm) / (vsw.n_trials / vwarm):,.0f}x faster; max |difference| {diff:.1e}")
    best = sw.table.nlargest(1, "sharpe").iloc[0]
    print(f"  best Sharpe {best.sharpe:.2f} (PSR {best.psr:.2f}, deflated Sharpe {best.dsr:.2f} with N={n:,}); peak RSS {rss_mb():,.0f} MB")


if __name__ == "__main__":
    warnings.filterwarnings("ignore")  # numba's pending-deprecation chatter from vectorbt
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["MSFT", "EURUSD"], default=None)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--vectorbt-share", type=float, default=1.0, help="share of the grid (by fast window) vectorbt runs; 0: skip")
    ap.add_argument("--no-vectorbt", action="store_true")
    ap.add_argument("--cold", action="store_true", help="delete the kit's numba cache first: the first call compiles")
    a = ap.parse_args()
    if a.only is None:  # each dataset in a fresh process: its own first call and its own peak memory
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs visible", flush=True)
        for name in ("MSFT", "EURUSD"):
            subprocess.run([sys.executable, __file__, "--only", name, *sys.argv[1:]], check=True)
    else:
        bench(a.only, a.cold, a.repeat, 0 if a.no_vectorbt else a.vectorbt_share)
