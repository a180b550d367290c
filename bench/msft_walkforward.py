"""Walk-forward on MSFT daily bars with one model, through the experiment's stages: stitched out-of-sample
accuracy against the baselines, and one backtest of the stitched signals against buy-and-hold (after fees and
slippage, risk-engine sizing), with PSR and the deflated Sharpe for the configurations tried. A research figure,
not a pass/fail test.

`python bench/msft_walkforward.py --model lstm --train-bars 1500 --test-bars 250 --epochs 10`"""
import argparse

import pandas as pd
import torch

from trading_kit.experiment import new_experiment
from trading_kit.walkforward import walk_forward


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ticker", default="MSFT")
    ap.add_argument("--model", default="lstm")
    ap.add_argument("--train-bars", type=int, default=1500)
    ap.add_argument("--test-bars", type=int, default=250)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--expanding", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    exp = new_experiment(args.ticker, overrides={"model.name": args.model, "training.epochs": args.epochs}).load_bars().compute_features()
    n_trials = exp.count_trial() if exp.trial_log else 1
    lb = exp.settings.labels
    wf = walk_forward(exp.bars, exp.features, exp.settings, train_bars=args.train_bars, test_bars=args.test_bars,
                      expanding=args.expanding, n_trials=n_trials, ticker=args.ticker)
    pd.set_option("display.width", 200)
    cols = ["test_start", "test_end", "n_fit", "best_epoch", "accuracy", "majority_accuracy", "persistence_accuracy",
            "logistic_accuracy", "hgb_accuracy"]
    print(f"{args.ticker} walk-forward, model {args.model}, {len(wf.folds)} folds "
          f"({'expanding' if args.expanding else 'rolling'} {args.train_bars} train / {args.test_bars} test samples, "
          f"purge {lb.purge_bars}, embargo {lb.embargo}), {wf.seconds:.0f} s\n")
    print(wf.folds[cols].round(3).to_string(), "\n")
    print("stitched out-of-sample evaluation:")
    print(wf.evaluation.table[["accuracy", "acc_lo", "acc_hi", "macro_f1", "directional_accuracy", "ic"]].round(3).to_string())
    print(wf.evaluation.verdict, "\n")
    print("backtest of the stitched signals (risk-engine sizing) against buy-and-hold on the same bars:")
    print(wf.backtest.table().to_string())


if __name__ == "__main__":
    main()
