"""Every model in the zoo against the four baselines on MSFT daily bars (horizon 5, seed32 features),
on the held-out chronological test part, with block-bootstrap confidence intervals.

Prints one table per run. This is a research figure, not a pass/fail test: run it on a quiet machine.
`python bench/msft_models_vs_baselines.py --epochs 20 --models lstm gru` to narrow it down."""
import argparse
import time

import numpy as np
import pandas as pd
import torch

from trading_kit.core import load_settings
from trading_kit.data import load_ohlcv
from trading_kit.baselines import baseline_predictions
from trading_kit.evaluation import evaluate_against_baselines
from trading_kit.features import engineer_features
from trading_kit.datasets import prepare_data
from trading_kit.models import MODELS, get_model
from trading_kit.training import fit, predict_proba


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ticker", default="MSFT")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_settings()
    lb, tr = cfg.labels, cfg.training
    bars = load_ohlcv(args.ticker)
    feats = engineer_features(bars, "seed32")
    data = prepare_data(feats, bars["close"], cfg, ticker=args.ticker)
    print(f"{args.ticker} daily, horizon {lb.horizon}, threshold {lb.threshold}, window {lb.window}, "
          f"{len(feats.columns)} features; splits:")
    print(data.summary().to_string(), "\n")
    base = baseline_predictions(data, seed=tr.seed)
    rows = []
    for name in args.models:
        model = get_model(name, n_features=data.X.shape[1], seed=tr.seed)
        t0 = time.perf_counter()
        res = fit(model, data, cfg, epochs=args.epochs, progress=False)
        probs = predict_proba(res.model, data)
        rep = evaluate_against_baselines(data, probs, base, n_boot=args.n_boot, seed=tr.seed, model_name=name)
        t = rep.table
        rows.append({"model": name, "accuracy": t.loc[name, "accuracy"],
                     "acc_ci": f"[{t.loc[name, 'acc_lo']:.3f}, {t.loc[name, 'acc_hi']:.3f}]",
                     "macro_f1": t.loc[name, "macro_f1"], "ic": t.loc[name, "ic"],
                     "best_baseline": rep.best_baseline, "baseline_acc": t.loc[rep.best_baseline, "accuracy"],
                     "delta_pts": 100 * rep.delta,
                     "delta_ci_pts": f"[{100 * rep.delta_ci[0]:+.1f}, {100 * rep.delta_ci[1]:+.1f}]",
                     "best_epoch": res.best_epoch, "train_s": round(time.perf_counter() - t0, 1)})
        print(f"{name:>20}: {rep.verdict}", flush=True)
        if rep.warnings:
            print(" " * 22 + "warnings: " + "; ".join(w.split(".")[0] for w in rep.warnings))
    print()
    print("baselines on the same test bars:")
    print(rep.table.loc[list(base), ["accuracy", "acc_lo", "acc_hi", "macro_f1", "ic"]].round(3).to_string())
    print()
    print(pd.DataFrame(rows).set_index("model").round(3).to_string())


if __name__ == "__main__":
    main()
