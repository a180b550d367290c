"""Every model in the zoo against the four baselines on MSFT daily bars (the settings' horizon, seed32 features),
on the held-out chronological test part, with block-bootstrap confidence intervals, through `run_experiment`.

Each model is one configuration in the trials ledger (outputs/trials.jsonl), so the deflated Sharpe of each
backtest is deflated for every model tried on MSFT so far. A research figure, not a pass/fail test: run it on a
quiet machine. `python bench/msft_models_vs_baselines.py --epochs 20 --models lstm gru` to narrow it down."""
import argparse
import time

import pandas as pd
import torch

from trading_kit.experiment import run_experiment
from trading_kit.models import MODELS


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ticker", default="MSFT")
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-boot", type=int, default=1000)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows, exp = [], None
    for name in args.models:
        t0 = time.perf_counter()
        exp = run_experiment(args.ticker, overrides={"model.name": name, "training.epochs": args.epochs}, n_boot=args.n_boot)
        ev, m = exp.evaluation, exp.backtest.metrics
        t = ev.table
        rows.append({"model": name, "accuracy": t.loc[name, "accuracy"],
                     "acc_ci": f"[{t.loc[name, 'acc_lo']:.3f}, {t.loc[name, 'acc_hi']:.3f}]",
                     "macro_f1": t.loc[name, "macro_f1"], "ic": t.loc[name, "ic"], "best_baseline": ev.best_baseline,
                     "baseline_acc": t.loc[ev.best_baseline, "accuracy"], "delta_pts": 100 * ev.delta,
                     "delta_ci_pts": f"[{100 * ev.delta_ci[0]:+.1f}, {100 * ev.delta_ci[1]:+.1f}]",
                     "sharpe": m["sharpe"], "dsr": m["dsr"], "N": m["n_trials"], "best_epoch": exp.fit.best_epoch,
                     "seconds": round(time.perf_counter() - t0, 1)})
        print(f"{name:>20}: {ev.verdict}", flush=True)
        for w in ev.warnings: print(" " * 22 + "LEAK ALARM: " + w.split(".")[0])
    print(f"\n{args.ticker} {exp.interval}, horizon {exp.settings.labels.horizon}, threshold {exp.settings.labels.threshold} "
          f"({exp.settings.labels.threshold_mode}); splits:\n{exp.data.summary().to_string()}\n")
    print("baselines on the same test bars:")
    print(exp.evaluation.table.loc[list(exp.baselines), ["accuracy", "acc_lo", "acc_hi", "macro_f1", "ic"]].round(3).to_string())
    print()
    print(pd.DataFrame(rows).set_index("model").round(3).to_string())


if __name__ == "__main__":
    main()
