"""Configurations per second of every strategy's default grid on EURUSD hourly and MSFT daily.

For each registry entry: its signals for every configuration of its default grid (numpy over the bars,
once per configuration), then one `grid_returns` pass (numba, parallel over configurations), next to one
`vectorbt.Portfolio.from_signals` call on the same signal matrices. Filters are benchmarked gating
`macd_rsi` (defaults) with the filter's own grid. Run: `python bench/strategies.py` (about a minute).
"""
import time
import warnings

import numpy as np
import pandas as pd
import vectorbt as vbt

from trading_kit.data import load_ohlcv
from trading_kit.orderbook import synthetic_l2
from trading_kit.strategies import STRATEGIES
from trading_kit.strategy_runs import grid_returns

FEE = SLIP = 5e-4


def _book_on(bars):
    book, _ = synthetic_l2(len(bars), levels=5, seed=0)
    book.index = bars.index + (bars.index[1:] - bars.index[:-1]).min() * 0.3
    return book


def _entry(name, bars):
    "(strategy to sweep, its configurations, fixed parameters)."
    s = STRATEGIES[name]
    fixed = {}
    if name in ("anomaly_filter", "hmm_filter"): fixed["train_end"] = bars.index[int(len(bars) * 0.6)]
    if name == "order_flow": fixed["book"] = _book_on(bars)
    if s.kind == "filter":
        combo = STRATEGIES["macd_rsi"] & (~s if name != "mtf_confirm" else s)
        inner = combo.parts[list(combo.parts)[1]].name
        return combo, combo.configurations({f"{inner}__{k}": v for k, v in s.grid.items()}), fixed
    return s, s.configurations(), fixed


def _vectorbt(bars, signals):
    E, X, SE, SX = (np.stack([getattr(s, a).to_numpy(bool) for s in signals], 1) for a in ("entries", "exits", "short_entries", "short_exits"))
    shift = lambda m: np.vstack([np.zeros((1, m.shape[1]), bool), m[:-1]])     # signal at t fills at t+1
    close = np.repeat(bars.close.to_numpy()[:, None], E.shape[1], 1)
    return vbt.Portfolio.from_signals(close, shift(E), shift(X), shift(SE), shift(SX), price=np.repeat(bars.open.to_numpy()[:, None], E.shape[1], 1),
                                      size=1.0, size_type="percent", fees=FEE, slippage=SLIP, init_cash=1000.0,
                                      upon_opposite_entry="close").value()   # a short signal closes a long, as run_backtest


def bench(bars, label):
    rows = []
    for name in sorted(STRATEGIES):
        s, configs, fixed = _entry(name, bars)
        if s.intraday_only and pd.Timedelta(bars.index[1] - bars.index[0]) >= pd.Timedelta("1D"):
            rows.append(dict(data=label, strategy=name, configs=len(configs), note="intraday only")); continue
        t0 = time.perf_counter(); sig = [s(bars, **{**c, **fixed}) for c in configs]; t1 = time.perf_counter()
        grid_returns(bars, sig, FEE * 1e4, SLIP * 1e4, stop_atr=None); t2 = time.perf_counter()
        _vectorbt(bars, sig); t3 = time.perf_counter()
        rows.append(dict(data=label, strategy=name, configs=len(configs), signals_per_s=len(configs) / (t1 - t0),
                         kernel_per_s=len(configs) / (t2 - t1), vectorbt_per_s=len(configs) / (t3 - t2),
                         end_to_end_per_s=len(configs) / (t2 - t0)))
    return rows


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    eur = load_ohlcv("EURUSD", interval="1h"); eur.attrs["ticker"] = "EURUSD"
    msft = load_ohlcv("MSFT"); msft.attrs["ticker"] = "MSFT"
    grid_returns(eur.iloc[:300], [STRATEGIES["macd_rsi"](eur.iloc[:300])])          # compile the kernel once
    _vectorbt(eur.iloc[:300], [STRATEGIES["macd_rsi"](eur.iloc[:300])])
    rows = bench(eur, f"EURUSD 1h ({len(eur)} bars)") + bench(msft, f"MSFT 1d ({len(msft)} bars)")
    pd.set_option("display.width", 160)
    print(pd.DataFrame(rows).round(1).fillna("").to_string(index=False))
    print("signals_per_s: configurations whose signals are computed per second; kernel_per_s: simulated by grid_returns;"
          " vectorbt_per_s: one Portfolio.from_signals call on the same signals; end_to_end = signals + kernel")
