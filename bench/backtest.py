"""Configurations per second of a MACD x RSI sweep (10,000 configurations) on MSFT daily (and EURUSD hourly).

Prints first the import times (each in a fresh process, best of --import-repeat, wall and CPU) of `trading_kit`,
`trading_kit.sweeps`, `trading_kit.strategies`, `trading_kit.experiment` and of a whole `trading-kit --help`, with
the heavy libraries each one loaded. Then, per dataset, each in a fresh process: the import time of
`trading_kit.sweeps`, the FIRST sweep in that process (as a user calls it: buy-and-hold benchmark included; after `make install`, whose `warm_kernels()` compiled the
kernels into the on-disk cache: numba only loads them; the line says whether anything compiled; with --cold the
cache is deleted first, so this includes compiling) and its ratio to the warm call against the ~3x target, what
the first call is made of (measured in one more fresh process: numba's own start-up, paid once per process by
any numba code, the kernel loads, the sweep), the WARM rate (best of --repeat calls) of the kit's engine, and
vectorbt's `Portfolio.from_signals` engine on the same grid, same signals (warm, one call), with the largest
difference between the two tables. Peak memory (max RSS) too. Not a test: figures depend on the machine and on
the other work on it (`os.getloadavg()` is printed). Run: .venv/bin/python bench/backtest.py [--only MSFT]
[--repeat 5] [--vectorbt-share 1.0] [--no-vectorbt] [--cold] [--no-imports] [--import-repeat 5]
"""
import argparse, glob, json, os, resource, subprocess, sys, time, warnings

GRID = dict(fast=tuple(range(3, 22, 2)),             # 10
            slow=tuple(range(22, 72, 5)),            # 10
            signal=(5, 7, 9, 11, 13),                # 5   -> 500 MACD combinations
            rsi_window=(7, 10, 14, 21, 28),          # 5
            rsi_entry=(45, 55), rsi_exit=(70, 80))   # 4   -> 20 RSI combinations; 10,000 in all


def rss_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(fn):
    t0 = time.perf_counter(); out = fn(); return time.perf_counter() - t0, out


HEAVY = ("vectorbt", "torch", "matplotlib", "transformers", "sklearn", "numba", "scipy")
IMPORTS = {"import trading_kit": "import trading_kit", "import trading_kit.sweeps": "import trading_kit.sweeps",
           "import trading_kit.strategies": "import trading_kit.strategies",
           "import trading_kit.experiment": "import trading_kit.experiment",
           "trading-kit --help": "from trading_kit.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass"}


def import_times(repeat):
    "Best-of-`repeat` wall and CPU seconds of each import in a fresh interpreter; the heavy packages it left loaded."
    probe = ("import json, sys, time, io, contextlib\nt0, c0 = time.perf_counter(), time.process_time()\n"
             "with contextlib.redirect_stdout(io.StringIO()):\n{body}\n"
             "print(json.dumps([time.perf_counter() - t0, time.process_time() - c0, [m for m in {heavy!r} if m in sys.modules]]))")
    base = min(_timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))[0] for _ in range(repeat))
    print(f"imports (fresh process each, best of {repeat}; interpreter start-up alone {base:.2f} s, not included "
          f"except in the whole-process --help figure)")
    for label, body in IMPORTS.items():
        code = probe.format(body="\n".join("    " + line for line in body.splitlines()), heavy=HEAVY)
        runs = []
        for _ in range(repeat):
            whole, out = _timed(lambda: subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True))
            w, c, heavy = json.loads(out.stdout.strip().splitlines()[-1]); runs.append((w, c, whole, heavy))
        w, c, whole, heavy = min(runs)
        extra = f"; whole process {min(r[2] for r in runs):.2f} s" if label.startswith("trading-kit") else ""
        print(f"  {label:32s} {w:5.2f} s wall, {c:5.2f} CPU-s{extra}; loads {', '.join(heavy) or 'none of ' + '/'.join(HEAVY)}")


PARTS = """
import json, sys, time
sys.path.insert(0, {bench_dir!r}); from backtest import GRID
from trading_kit.data import load_ohlcv
from trading_kit.sweeps import sweep_macd_rsi
df = load_ohlcv("MSFT") if {name!r} == "MSFT" else load_ohlcv("EURUSD", interval="1h")
def cpu(fn): c = time.process_time(); fn(); return time.process_time() - c
from numba.core.registry import cpu_target   # numba's CPU target: built on the first numba call of a process
start_up = cpu(cpu_target.target_context.refresh)
loads = cpu(lambda: sweep_macd_rsi({{"X": df.iloc[:300]}}, fast=(5,), slow=(20,), signal=(5,), benchmark=False))
sweep = cpu(lambda: sweep_macd_rsi({{{name!r}: df}}, benchmark=False, **GRID))
print(json.dumps([start_up, loads, sweep]))
"""


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
    import trading_kit.sweeps as kernels
    c0 = time.process_time(); first, sw = _timed(lambda: sweep_macd_rsi({name: df}, **GRID)); first_cpu = time.process_time() - c0
    compiled = sorted(k for k, d in vars(kernels).items() if getattr(d, "stats", None) is not None and d.stats.cache_misses)
    runs = []
    for _ in range(repeat):
        c0 = time.process_time(); w, _ = _timed(lambda: sweep_macd_rsi({name: df}, **GRID)); runs.append((w, time.process_time() - c0))
    warm, cpu = min(runs)
    n = sw.n_trials
    print(f"{name}: {len(df):,} bars x {n:,} configurations; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"  import trading_kit.sweeps: {t_import:.2f} s")
    how = "numba compiles: cache deleted" if cold else "after make install's warm-up: kernels from the on-disk cache"
    print(f"  kit  first call in a fresh process ({how}): {first:6.3f} s = {n / first:9,.0f} configurations/s, {first_cpu:.3f} CPU-s; "
          f"{first / warm:.1f}x the warm call (target <= ~3x); compiled in this call: {', '.join(compiled) or 'nothing'}")
    if not cold:
        parts = subprocess.run([sys.executable, "-c", PARTS.format(bench_dir=os.path.dirname(os.path.abspath(__file__)), name=name)],
                               check=True, capture_output=True, text=True)
        start_up, loads, sweep = json.loads(parts.stdout.strip().splitlines()[-1])
        print(f"       the first call, in CPU-s (another fresh process): numba's own start-up {start_up:.3f} (once per process, "
              f"whatever runs first) + loading the cached kernels {loads:.3f} + the sweep {sweep:.3f} (warm: {cpu:.3f}); "
              f"without numba's start-up {(first_cpu - start_up) / cpu:.1f}x the warm call's CPU")
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
    ap.add_argument("--no-imports", action="store_true", help="skip the import times")
    ap.add_argument("--import-repeat", type=int, default=5)
    a = ap.parse_args()
    if not a.no_imports:
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs visible; load average {os.getloadavg()[0]:.1f}", flush=True)
        import_times(a.import_repeat); sys.stdout.flush()
    if a.only is None:  # each dataset in a fresh process: its own first call and its own peak memory
        for name in ("MSFT", "EURUSD"):
            subprocess.run([sys.executable, __file__, "--only", name, "--no-imports", *sys.argv[1:]], check=True)
    else:
        bench(a.only, a.cold, a.repeat, 0 if a.no_vectorbt else a.vectorbt_share)
