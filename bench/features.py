"""Feature speed and memory: engineer_features (seed32) on 1,000,000 synthetic 1-minute bars vs raw TA-Lib on the same
indicators, 20 tickers x 5 years of daily bars, and the windowed dataset built from the 1M-bar feature matrix.

The ratio is measured in one process with both interleaved, best of N, as CPU time and wall clock; peak RSS and the
first call each come from a fresh subprocess. The baseline calls TA-Lib for every indicator seed32 reads (22 calls;
their outputs, no ratios): seed32's own arithmetic on top (17 ratios, log returns, flat-stretch values, inf -> NaN,
the DataFrame) is not in it. Figures are machine-dependent; targets: within 1.2x raw TA-Lib, 1M bars < 5 s."""
import argparse, json, resource, subprocess, sys, time

import numpy as np


def peak_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def raw_talib(df):
    "The indicators seed32 reads, rolling windows included, called straight from TA-Lib (their outputs; no ratios)."
    import talib
    o, h, l, c, v = (df[k].to_numpy() for k in ["open", "high", "low", "close", "volume"])
    out = [talib.RSI(c, 9), talib.RSI(c, 14), *talib.MACD(c, 5, 13, 1), *talib.MACD(c, 12, 26, 9), talib.ATR(h, l, c, 14),
           *talib.BBANDS(c, 10, 2.0, 2.0), talib.OBV(c, v), talib.ADX(h, l, c, 14), talib.PLUS_DI(h, l, c, 14),
           talib.MINUS_DI(h, l, c, 14), talib.ROC(c, 12), *talib.STOCH(h, l, c, 14, 3, 0, 3, 0), talib.WILLR(h, l, c, 14),
           talib.CCI(h, l, c, 20), talib.MFI(h, l, c, v, 14), talib.SMA(c, 20), talib.SMA(c, 50), talib.STDDEV(c, 20),
           talib.MAX(h, 20), talib.SMA(v, 20), talib.SUM(v, 10), talib.STDDEV(np.log(c[1:] / c[:-1]), 20)]
    return out


def _best(fns: dict, rounds: int) -> dict:
    "Best CPU and wall seconds of each function, the functions interleaved round by round."
    best = {k: [float("inf"), float("inf")] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            c, w = time.process_time(), time.perf_counter(); f()
            best[k] = [min(best[k][0], time.process_time() - c), min(best[k][1], time.perf_counter() - w)]
    return best


def case(name: str, bars: int) -> dict:
    from trading_kit.features import engineer_features, synthetic_ohlcv
    res = {"case": name}
    if name in ("features_1m", "talib_1m"):
        df = synthetic_ohlcv(bars, "1min", seed=0)
        base = rss_mb()
        fn = engineer_features if name == "features_1m" else raw_talib
        fn(df.iloc[:1000])                       # imports and first-call costs on a small frame
        times, sys_s = [], []
        for _ in range(5):
            r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter(); fn(df)
            times.append(time.perf_counter() - t0); sys_s.append(resource.getrusage(resource.RUSAGE_SELF).ru_stime - r0.ru_stime)
        res.update(bars=bars, wall_s=min(times), wall_all=times, first_sys_s=sys_s[0], peak_mb=peak_mb(), rss_before_mb=base)
    elif name == "ratio_1m":
        df = synthetic_ohlcv(bars, "1min", seed=0)
        fns = {"features": lambda: engineer_features(df), "talib": lambda: raw_talib(df)}
        for f in fns.values(): f()
        res.update(bars=bars, rounds=9, best=_best(fns, 9))
    elif name == "touch":                        # what a first call pays for memory the process has never used
        n = 32 * bars
        times = []
        for _ in range(2):
            t0 = time.perf_counter(); np.ones(n); times.append(time.perf_counter() - t0)
        res.update(mb=n * 8 / 2**20, first_s=times[0], second_s=times[1])
    elif name == "features_20x5y":
        dfs = [synthetic_ohlcv(1260, "1D", seed=s, start="2019-01-01", price=20 + 10 * s, vol=0.015) for s in range(20)]
        engineer_features(dfs[0])
        t0 = time.perf_counter()
        feats = [engineer_features(d) for d in dfs]
        res.update(wall_s=time.perf_counter() - t0, bars=sum(len(d) for d in dfs), peak_mb=peak_mb(),
                   features=sum(f.shape[1] for f in feats) // len(feats))
    elif name == "window_1m":
        import torch
        from torch.utils.data import DataLoader, SubsetRandomSampler
        from trading_kit.datasets import prepare_data
        torch.set_num_threads(1)
        df = synthetic_ohlcv(bars, "1min", seed=0)
        f = engineer_features(df)
        base = rss_mb()
        t0 = time.perf_counter()
        prep = prepare_data(f, df.close, ticker="SYN", horizon=5, threshold=0.0005, window=60)
        prep_s = time.perf_counter() - t0
        after_prep = rss_mb()
        ds = prep.dataset("train")
        idx = np.random.default_rng(2).choice(len(ds), 200 * 256, replace=False)
        for xb, yb in DataLoader(ds, batch_size=256, sampler=SubsetRandomSampler(idx)): pass
        x_mb = prep.X.nbytes / 2**20
        res.update(bars=bars, prepare_s=prep_s, X_mb=x_mb, X_shape=list(prep.X.shape), train_windows=len(ds),
                   rss_above_features_after_prepare_mb=after_prep - base, rss_after_iter_mb=rss_mb() - base,
                   materialised_gb=len(ds) * 60 * prep.X.shape[1] * 4 / 2**30)
    return res


def run(name: str, bars: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", name, "--bars", str(bars)], capture_output=True, text=True)
    if out.returncode: raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(bars: int):
    import os
    print(f"cores visible: {os.cpu_count()}; figures are wall-clock on a possibly shared machine (noisy)")
    q = run("ratio_1m", bars)
    (fc, fw), (tc, tw) = q["best"]["features"], q["best"]["talib"]
    print(f"engineer_features (seed32) on {bars:,} synthetic 1-minute bars: {fw:.3f} s wall, {fc:.3f} s CPU "
          f"(best of {q['rounds']}, interleaved with raw TA-Lib in one process)")
    print(f"raw TA-Lib, same indicators:                        {tw:.3f} s wall, {tc:.3f} s CPU")
    print(f"ratio engineer_features / raw TA-Lib: {fw / tw:.2f}x wall, {fc / tc:.2f}x CPU (target <= 1.2x): "
          f"{'OK' if max(fw / tw, fc / tc) <= 1.2 else 'MISSED'}; 1M bars under 5 s: {'OK' if fw * 1e6 / bars < 5 else 'MISSED'}")
    s, r, t = run("features_1m", bars), run("talib_1m", bars), run("touch", bars)
    print(f"fresh process: engineer_features runs {[round(x, 2) for x in s['wall_all']]} s, peak RSS {s['peak_mb']:.0f} MB "
          f"(incl. the bars); raw TA-Lib {[round(x, 2) for x in r['wall_all']]} s, peak RSS {r['peak_mb']:.0f} MB")
    print(f"first 1M-bar call: {s['first_sys_s']:.2f} s of it in the kernel (fresh pages); here a process's first "
          f"np.ones of the output's {t['mb']:.0f} MB takes {t['first_s']:.2f} s, its second {t['second_s']:.3f} s")
    m = run("features_20x5y", bars)
    print(f"engineer_features for 20 tickers x 5 years daily ({m['bars']:,} bars): {m['wall_s']:.2f} s "
          f"({m['wall_s'] / 20 * 1e3:.1f} ms per ticker), peak RSS {m['peak_mb']:.0f} MB")
    try:
        w = run("window_1m", bars)
    except SystemExit as e:
        print(f"windowed dataset: skipped ({str(e).splitlines()[0]})"); return
    print(f"windowed dataset from engineer_features on {bars:,} bars: X {w['X_shape']} float32 = {w['X_mb']:.0f} MB; "
          f"prepare_data {w['prepare_s']:.2f} s; RSS growth after prepare {w['rss_above_features_after_prepare_mb']:.0f} MB "
          f"= {w['rss_above_features_after_prepare_mb'] / w['X_mb']:.2f}x X; after iterating 51,200 windows "
          f"{w['rss_after_iter_mb']:.0f} MB = {w['rss_after_iter_mb'] / w['X_mb']:.2f}x X "
          f"(a materialised copy of the {w['train_windows']:,} train windows: {w['materialised_gb']:.1f} GB)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--bars", type=int, default=1_000_000)
    ap.add_argument("--case", default=None)
    a = ap.parse_args()
    if a.case: print(json.dumps(case(a.case, a.bars)))
    else: main(a.bars)
