"""Evaluation benchmark: block-bootstrap cost, and the four baselines on MSFT daily bars (horizon 5).

Prints figures; never part of the pass/fail suite. Run: `.venv/bin/python bench/evaluation.py`.
The MSFT part uses five plain past-only features built here (the features module is not needed), labels
from the forward 5-bar return (threshold 0.5%), a 60/20/20 chronological split with a 5-bar purge; the
"model" row is a ridge-like logistic regression on the same features, just to exercise the report.
"""
import time, resource, warnings

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from trading_kit.data import load_ohlcv
from trading_kit.baselines import predict_baselines, previous_labels
from trading_kit.evaluation import evaluate_predictions


def bootstrap_cost():
    rng = np.random.default_rng(0)
    for n in (500, 2000, 10000):
        y = rng.integers(0, 3, n); r = rng.normal(0, .01, n)
        probs = {k: rng.dirichlet(np.ones(3), n) for k in ("model", "a", "b", "c", "d")}
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            evaluate_predictions(y, probs.pop("model"), r, probs, 5, n_boot=1000)
        print(f"evaluate_predictions n={n:>6} predictors=5 n_boot=1000: {time.perf_counter() - t:6.2f} s")


def msft(horizon=5, threshold=0.005):
    df = load_ohlcv("MSFT")
    c = df["close"]
    feats = pd.DataFrame({"ret1": c.pct_change(), "ret5": c.pct_change(5), "ret20": c.pct_change(20),
                          "vol20": c.pct_change().rolling(20).std(), "dist50": c / c.rolling(50).mean() - 1})
    fwd = c.shift(-horizon) / c - 1                                   # labels: the only future-reading line
    y = np.where(fwd > threshold, 2, np.where(fwd < -threshold, 0, 1)).astype(float); y[fwd.isna().to_numpy()] = np.nan
    ok = feats.notna().all(axis=1).to_numpy() & ~np.isnan(y)
    pos = np.flatnonzero(ok)
    n = len(pos); a, b = int(.6 * n), int(.8 * n)
    train, test = pos[:a - horizon], pos[b:]                          # purge `horizon` bars before val/test
    X = feats.to_numpy()
    base = predict_baselines(X[train], y[train], X[test], y[test], previous_labels(y, test, horizon))
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    with threadpool_limits(1):
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=2000)).fit(X[train], y[train])
        p = np.zeros((len(test), 3)); p[:, model.classes_.astype(int)] = model.predict_proba(X[test])
    t = time.perf_counter()
    rep = evaluate_predictions(y[test], p, fwd.to_numpy()[test], base, horizon, n_boot=1000,
                               model_name="logit_C0.01")
    el = time.perf_counter() - t
    print(f"\nMSFT 1d, horizon {horizon}, test {feats.index[test[0]].date()}..{feats.index[test[-1]].date()} "
          f"({len(test)} bars), block {rep.block}, {el:.2f} s")
    cols = ["accuracy", "acc_lo", "acc_hi", "macro_f1", "directional_accuracy", "ic", "ic_lo", "ic_hi", "log_loss"]
    print(rep.table[cols].round(3).to_string())
    print(rep.verdict)
    for w in rep.warnings: print(w[:160], "...")


if __name__ == "__main__":
    bootstrap_cost()
    msft()
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
