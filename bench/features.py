"""seed32 speed and memory: 1,000,000 synthetic 1-minute bars vs raw TA-Lib, 20 tickers x 5 years of daily bars,
and the windowed dataset built from the 1M-bar feature matrix. Each case runs in a fresh subprocess so peak RSS
is its own. Figures are wall-clock and machine-dependent; targets: seed32 within 3x raw TA-Lib, 1M bars < 5 s."""
import argparse, json, resource, subprocess, sys, time

import numpy as np


def peak_mb() -> float: return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f: return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def raw_talib(df):
    "The indicators seed32 uses, called straight from TA-Lib, plus the same rolling windows in pandas (no ratios)."
    import talib
    o, h, l, c, v = (df[k].to_numpy() for k in ["open", "high", "low", "close", "volume"])
    out = [talib.RSI(c, 9), talib.RSI(c, 14), *talib.MACD(c, 5, 13, 1), *talib.MACD(c, 12, 26, 9), talib.ATR(h, l, c, 14),
           *talib.BBANDS(c, 10, 2.0, 2.0), talib.OBV(c, v), talib.ADX(h, l, c, 14), talib.PLUS_DI(h, l, c, 14),
           talib.MINUS_DI(h, l, c, 14), talib.ROC(c, 12), *talib.STOCH(h, l, c, 14, 3, 0, 3, 0), talib.WILLR(h, l, c, 14),
           talib.CCI(h, l, c, 20), talib.MFI(h, l, c, v, 14), talib.SMA(c, 20), talib.SMA(c, 50), talib.STDDEV(c, 20),
           talib.MAX(h, 20), talib.SMA(v, 20), talib.SUM(v, 10), talib.STDDEV(np.log(c[1:] / c[:-1]), 20)]
    return out


def case(name: str, bars: int) -> dict:
    from trading_kit.features import seed32, synthetic_ohlcv
    res = {"case": name}
    if name in ("seed32_1m", "talib_1m"):
        df = synthetic_ohlcv(bars, "1min", seed=0)
        base = rss_mb()
        fn = seed32 if name == "seed32_1m" else raw_talib
        fn(df.iloc[:1000])                       # warm imports / first-call costs
        times = []
        for _ in range(5):
            t0 = time.perf_counter(); fn(df); times.append(time.perf_counter() - t0)
        res.update(bars=bars, wall_s=min(times), wall_all=times, peak_mb=peak_mb(), rss_before_mb=base)
    elif name == "seed32_20x5y":
        dfs = [synthetic_ohlcv(1260, "1D", seed=s, start="2019-01-01", price=20 + 10 * s, vol=0.015) for s in range(20)]
        seed32(dfs[0])
        t0 = time.perf_counter()
        feats = [seed32(d) for d in dfs]
        res.update(wall_s=time.perf_counter() - t0, bars=sum(len(d) for d in dfs), peak_mb=peak_mb(),
                   features=sum(f.shape[1] for f in feats) // len(feats))
    elif name == "window_1m":
        import torch
        from torch.utils.data import DataLoader, SubsetRandomSampler
        from trading_kit.datasets import prepare_data
        torch.set_num_threads(1)
        df = synthetic_ohlcv(bars, "1min", seed=0)
        f = seed32(df)
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
    s, r = run("seed32_1m", bars), run("talib_1m", bars)
    print(f"seed32 on {bars:,} synthetic 1-minute bars: {s['wall_s']:.2f} s (best of 5; all {[round(x, 2) for x in s['wall_all']]}), "
          f"peak RSS {s['peak_mb']:.0f} MB (process, incl. the bars)")
    print(f"raw TA-Lib, same indicators:       {r['wall_s']:.2f} s, peak RSS {r['peak_mb']:.0f} MB")
    ratio = s["wall_s"] / r["wall_s"]
    print(f"ratio seed32 / raw TA-Lib: {ratio:.2f}x (target <= 3x): {'OK' if ratio <= 3 else 'MISSED'}; "
          f"1M bars under 5 s: {'OK' if s['wall_s'] * 1e6 / bars < 5 else 'MISSED'}")
    m = run("seed32_20x5y", bars)
    print(f"seed32 for 20 tickers x 5 years daily ({m['bars']:,} bars): {m['wall_s']:.2f} s "
          f"({m['wall_s'] / 20 * 1e3:.1f} ms per ticker), peak RSS {m['peak_mb']:.0f} MB")
    try:
        w = run("window_1m", bars)
    except SystemExit as e:
        print(f"windowed dataset: skipped ({str(e).splitlines()[0]})"); return
    print(f"windowed dataset from seed32 on {bars:,} bars: X {w['X_shape']} float32 = {w['X_mb']:.0f} MB; "
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
