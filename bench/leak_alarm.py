"""How often does the evaluation's LEAK ALARM fire on honest predictions, and how often on a real leak?

Honest predictors here are past-only: a 20-bar momentum score (slowly varying, like a trained model's
output on smooth features) turned into probabilities. They run on random walks (no edge exists at all)
and on short test windows of the bundled sample series (MSFT, SPX, GOOG daily; EURUSD hourly). A planted
leak (the score is the realised forward return plus noise) measures the alarm's power. Prints the share
of trials whose model row raised the alarm, per test length. A research figure, not a pass/fail test.

`python bench/leak_alarm.py --trials 200`"""
import argparse, time, warnings

import numpy as np
import pandas as pd

from trading_kit.data import load_ohlcv
from trading_kit.evaluation import LeakWarning, evaluate_predictions

H, THR = 5, 0.005


def probs_from_score(score: np.ndarray, scale: float) -> np.ndarray:
    "P(down), P(neutral), P(up) leaning with `score` (a monotone map: only its ranks matter for the IC)."
    z = np.tanh(score / scale)
    up, down = 0.3 + 0.2 * z, 0.3 - 0.2 * z
    return np.c_[down, 1 - up - down, up]


def labels(fwd: np.ndarray) -> np.ndarray:
    return np.where(fwd > THR, 2, np.where(fwd < -THR, 0, 1))


def alarm(y, p, fwd, n_boot: int, seed: int) -> bool:
    base = {"majority": np.tile(np.bincount(y, minlength=3) / len(y) * 0.98 + 0.02 / 3, (len(y), 1))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakWarning)
        rep = evaluate_predictions(y, p, fwd, base, H, n_boot=n_boot, seed=seed)
    return any("for 'model'" in w for w in rep.warnings)


PREDICTORS = {   # past-only scores of bar t from the log prices c (bars <= t), and the planted leak
    "momentum20": lambda c, t, fwd, rng: c[t] - c[t - 20],
    "momentum60": lambda c, t, fwd, rng: c[t] - c[t - 60],
    "reversal5": lambda c, t, fwd, rng: c[t - 5] - c[t],
    "drift": lambda c, t, fwd, rng: t - t[0] + 0.0,          # a model whose output creeps up through the window
    "leak": lambda c, t, fwd, rng: fwd + rng.normal(0, fwd.std(), len(t)),
}


def from_returns(ret: np.ndarray, start: int, n: int, kind: str, rng) -> tuple:
    "Test bars start..start+n-1 of a one-bar return series: labels, probabilities and forward returns."
    c = np.r_[0.0, np.cumsum(ret)]                      # log price
    t = np.arange(start, start + n)
    fwd = np.exp(c[t + H] - c[t]) - 1
    score = PREDICTORS[kind](c, t, fwd, rng)
    return labels(fwd), probs_from_score(score - score.mean(), score.std() + 1e-12), fwd


def random_walks(ns, trials, n_boot, kind="momentum20"):
    rng = np.random.default_rng(0)
    out = {}
    for n in ns:
        hits = 0
        for k in range(trials):
            ret = rng.normal(0.0003, 0.012, n + 80)
            y, p, fwd = from_returns(ret, 65, n, kind, rng)
            hits += alarm(y, p, fwd, n_boot, k)
        out[n] = hits / trials
    return out


def real_windows(n, n_boot, kind="momentum20"):
    rng = np.random.default_rng(1)
    hits = total = 0
    for tk in ("MSFT", "SPX", "GOOG", "EURUSD"):
        ret = np.diff(np.log(load_ohlcv(tk)["close"].to_numpy()))
        for start in range(65, len(ret) - n - H, n):  # non-overlapping test windows
            y, p, fwd = from_returns(ret, start, n, kind, rng)
            hits += alarm(y, p, fwd, n_boot, start); total += 1
    return hits / max(total, 1), total


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--n-boot", type=int, default=300)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ns = (100, 272, 500, 1000)
    honest = [k for k in PREDICTORS if k != "leak"]
    print(f"LEAK ALARM rate on the model row; random walks: {args.trials} trials per cell")
    print(f"{'predictor':>12} {'data':>12} " + " ".join(f"{n:>7}" for n in ns))
    for kind in honest + ["leak"]:
        rw = random_walks(ns, args.trials if kind != "leak" else max(args.trials // 4, 1), args.n_boot, kind)
        print(f"{kind:>12} {'random walk':>12} " + " ".join(f"{rw[n]:7.1%}" for n in ns))
        real = [real_windows(n, args.n_boot, kind) for n in ns]
        print(f"{kind:>12} {'samples':>12} " + " ".join(f"{r:7.1%}" for r, _ in real) +
              "   windows: " + "/".join(str(k) for _, k in real))
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
