"""Walk-forward on MSFT daily bars with one model: stitched out-of-sample accuracy against the baselines,
and one backtest of the stitched signals against buy-and-hold (after fees and slippage), with PSR and the
deflated Sharpe. A research figure, not a pass/fail test.

`python bench/msft_walkforward.py --model lstm --train-bars 1500 --test-bars 250 --epochs 10`"""
import argparse

import pandas as pd
import torch

from trading_kit.backtest import backtest_kwargs
from trading_kit.core import load_settings
from trading_kit.data import load_ohlcv
from trading_kit.features import engineer_features
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
    ap.add_argument("--n-trials", type=int, default=1, help="configurations tried on this data so far (deflates the Sharpe)")
    ap.add_argument("--sizing", choices=["risk", "percent"], default="risk",
                    help="risk: the small-account risk engine (settings [risk]); percent: all-in, for comparison")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_settings()
    lb, tr = cfg.labels, cfg.training
    bars = load_ohlcv(args.ticker)
    feats = engineer_features(bars, "seed32")
    bt = backtest_kwargs(cfg)
    extra = {k: bt[k] for k in ("fractional", "fill", "stop_atr", "risk_per_trade", "limits", "pdt")}
    if args.sizing == "percent":
        extra |= dict(sizing="percent", stop_atr=None)
    wf = walk_forward(bars, feats, model=args.model, horizon=lb.horizon, threshold=lb.threshold, window=lb.window,
                      train_bars=args.train_bars, test_bars=args.test_bars, purge=lb.purge_bars, embargo=lb.embargo,
                      expanding=args.expanding, epochs=args.epochs, batch_size=tr.batch_size, lr=tr.lr,
                      patience=tr.patience, seed=tr.seed, init_cash=bt["init_cash"], fees_bps=bt["fees_bps"],
                      slippage_bps=bt["slippage_bps"], backtest_kw=extra, n_trials=args.n_trials, ticker=args.ticker)
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
    print(f"backtest of the stitched signals ({args.sizing} sizing) against buy-and-hold on the same bars:")
    rows = ["total_return", "annual_return", "annual_volatility", "volatility", "sharpe", "sortino", "max_drawdown", "n_trades", "win_rate",
            "exposure", "psr", "dsr", "min_track_record_bars", "n_trials"]
    print(wf.backtest.table().loc[[r for r in rows if r in wf.backtest.metrics]].to_string())


if __name__ == "__main__":
    main()
