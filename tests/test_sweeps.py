"The trade-by-trade sweep kernel against the bar-by-bar kernel it replaced (kept here) and vectorbt's indicators."
import math

import numpy as np
import pandas as pd
import pytest
from numba import njit

from trading_kit.data import load_ohlcv
from trading_kit.performance import drawdown_nb
from trading_kit.sweeps import macd_rsi_signals, sweep_macd_rsi

STATS = ["total_return", "mean", "std", "skew", "kurtosis", "max_drawdown", "n_trades", "sharpe", "psr", "dsr"]
GRID = dict(fast=(3, 8, 12), slow=(22, 26), signal=(5, 9), rsi_window=(7, 14), rsi_entry=(45, 55), rsi_exit=(70, 80))


@njit
def _old_sweep_nb(open_, close, above, rsi, m_idx, w_idx, lo, hi, fee, slip, init_cash, step, out):
    "The sweep kernel before issue 17 (one pass over every bar per combination), unchanged but for the moments inlined."
    T = close.shape[0]
    for k in range(m_idx.shape[0]):
        a = above[m_idx[k]]; rs = rsi[w_idx[k]]
        cash = init_cash; units = 0.0; prev = init_cash; ntr = 0
        path = np.empty(T + 1); path[0] = init_cash
        s1 = 0.0; s2 = 0.0; s3 = 0.0; s4 = 0.0
        for t in range(T):
            if t > 0:
                x = (not a[t - 1]) or rs[t - 1] > hi[k]
                if units > 0 and x:
                    cash += units * open_[t] * (1 - slip) * (1 - fee); units = 0.0
                elif units == 0 and a[t - 1] and rs[t - 1] < lo[k] and not x:
                    adj = open_[t] * (1 + slip)
                    u = cash / (adj * (1 + fee))
                    if step > 0: u = math.floor(u / step) * step
                    if u > 0:
                        cash -= u * adj * (1 + fee); units = u; ntr += 1
            v = cash + units * close[t]
            r = v / prev - 1; prev = v
            s1 += r; s2 += r * r; s3 += r * r * r; s4 += r * r * r * r
            path[t + 1] = v
        n = T; mu = s1 / n; m2 = s2 / n - mu * mu
        m3 = s3 / n - 3 * mu * s2 / n + 2 * mu ** 3
        m4 = s4 / n - 4 * mu * s3 / n + 6 * mu * mu * s2 / n - 3 * mu ** 4
        out[k, 1] = mu; out[k, 2] = math.sqrt(max(m2, 0.0) * n / (n - 1))
        out[k, 3] = m3 / m2 ** 1.5 if m2 > 1e-300 else 0.0
        out[k, 4] = m4 / m2 ** 2 if m2 > 1e-300 else 3.0
        out[k, 0] = prev / init_cash - 1; out[k, 5] = drawdown_nb(path)[0].min(); out[k, 6] = ntr


def _old_sweep(df, fractional, grid):
    "Old path: vectorbt's indicators (as the sweep computed them before) and the old kernel; same row order."
    import itertools, vectorbt as vbt
    macd_p = [(f, s, g) for f, s, g in itertools.product(grid["fast"], grid["slow"], grid["signal"]) if f < s]
    rsi_p = [(w, a, b) for w, a, b in itertools.product(grid["rsi_window"], grid["rsi_entry"], grid["rsi_exit"]) if a < b]
    windows = sorted({w for w, _, _ in rsi_p}); T = len(df)
    f_, s_, g_ = (list(x) for x in zip(*macd_p))
    m = vbt.MACD.run(df.close, fast_window=f_, slow_window=s_, signal_window=g_, macd_ewm=True, signal_ewm=True)
    above = np.asarray(m.macd).reshape(T, -1) > np.asarray(m.signal).reshape(T, -1)
    rsi = np.asarray(vbt.RSI.run(df.close, window=windows).rsi).reshape(T, -1)
    mi = np.repeat(np.arange(len(macd_p)), len(rsi_p)); qi = np.tile(np.arange(len(rsi_p)), len(macd_p))
    w = np.array([windows.index(r[0]) for r in rsi_p]); lo = np.array([r[1] for r in rsi_p], float); hi = np.array([r[2] for r in rsi_p], float)
    out = np.empty((len(mi), 7))
    _old_sweep_nb(df.open.to_numpy(float), df.close.to_numpy(float), np.ascontiguousarray(above.T), np.ascontiguousarray(rsi.T),
                  mi, w[qi], lo[qi], hi[qi], 5e-4, 5e-4, 1000.0, 0.0 if fractional else 1.0, out)
    return out


@pytest.fixture(scope="module")
def msft(): return load_ohlcv("MSFT")


@pytest.mark.parametrize("fractional", [True, False])
def test_sweep_equals_the_old_kernel(msft, fractional):
    new = sweep_macd_rsi({"MSFT": msft}, benchmark=False, fractional=fractional, **GRID).table
    old = _old_sweep(msft, fractional, GRID)
    assert len(new) == len(old) == 3 * 2 * 2 * 2 * 2 * 2
    assert new.n_trades.sum() > 100   # the grid trades: the comparison has something to compare
    np.testing.assert_allclose(new[["total_return", "mean", "std", "skew", "kurtosis", "max_drawdown", "n_trades"]].to_numpy(), old,
                               rtol=0, atol=1e-9)


def test_sweep_equals_the_old_kernel_on_short_and_flat_bars():
    "Edge cases of the trade walk: a position open at the last bar, and entries whose whole cash buys no share."
    rng = np.random.default_rng(3)
    c = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, 400))); c[200:230] = c[199]
    df = pd.DataFrame({"open": np.r_[c[0], c[:-1]], "high": c * 1.01, "low": c * 0.99, "close": c, "volume": 1e4},
                      index=pd.date_range("2020-01-01", periods=400, freq="D"))
    grid = dict(fast=(3, 5), slow=(10,), signal=(3,), rsi_window=(5,), rsi_entry=(55, 90), rsi_exit=(95,))
    for fractional, cash in [(True, 1000.0), (False, 1000.0), (False, 30.0)]:
        new = sweep_macd_rsi(df, benchmark=False, fractional=fractional, init_cash=cash, **grid).table
        old = _old_sweep(df, fractional, grid) if cash == 1000.0 else None
        if old is not None:
            assert new.n_trades.sum() > 0
            np.testing.assert_allclose(new.iloc[:, 7:14].to_numpy(), old, rtol=0, atol=1e-9)
        else: assert (new.n_trades == 0).all() and (new.total_return == 0).all()


def test_macd_rsi_signals_equal_vectorbt(msft):
    import vectorbt as vbt
    m = vbt.MACD.run(msft.close, fast_window=5, slow_window=35, signal_window=5, macd_ewm=True, signal_ewm=True)
    above = (m.macd > m.signal).to_numpy(); r = vbt.RSI.run(msft.close, window=10).rsi.to_numpy()
    e, x = macd_rsi_signals(msft.close, 5, 35, 5, 10, 40, 65)
    assert (e == (above & (r < 40))).all() and (x == (~above | (r > 65))).all() and 0 < e.sum() < len(e)


_AFTER_WARM_UP = """
import json, numpy as np, pandas as pd
from trading_kit import intraday, performance, regimes, strategies, sweeps
from trading_kit.data import load_ohlcv
from trading_kit.warmup import warm_kernels
warm_kernels()
kernels = {f"{m.__name__}.{k}": v for m in (sweeps, strategies, performance, intraday, regimes) for k, v in vars(m).items() if hasattr(v, "signatures")}
before = {k: len(v.signatures) for k, v in kernels.items()}
msft, eur = load_ohlcv("MSFT"), load_ohlcv("EURUSD", interval="1h")
grid = dict(fast=(5, 12), slow=(26,), signal=(9,), rsi_window=(7, 14))
for data in ({"MSFT": msft}, {"EURUSD": eur}, {"MSFT": msft, "EURUSD": eur}, msft.astype("float32"), msft.copy()):
    for fractional in (True, False): sweeps.sweep_macd_rsi(data, benchmark=False, fractional=fractional, **grid)
for close in (msft.close, msft.close.to_numpy().copy(), list(eur.close[:300])):
    e, x = sweeps.macd_rsi_signals(close, np.int32(5), 20, 5, 7)
    idx = msft.index[:len(e)]
    strategies.hold_with_time_stop(idx, e, x, max_bars=5); strategies.hold_with_time_stop(idx, pd.Series(e, idx), x, ~e, x)
performance.drawdown(msft.close); performance.drawdown(np.r_[1000.0, msft.close.to_numpy()]); intraday.kalman_trend(eur.close)
regimes.HMMRegime(n_states=3).fit(msft.iloc[:2000]).transform(msft)
print(json.dumps({k: [before[k], len(v.signatures)] for k, v in kernels.items()}))
"""


def test_after_warm_up_the_real_calls_compile_nothing():
    "make install's warm_kernels builds what the real calls use (MSFT daily, EURUSD hourly, float32 bars, plain arrays): they compile nothing."
    import json, subprocess, sys
    run = subprocess.run([sys.executable, "-c", _AFTER_WARM_UP], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    counts = json.loads(run.stdout.strip().splitlines()[-1])
    assert counts["trading_kit.sweeps._sweep_nb"][0] >= 1   # warm_kernels loaded or compiled it: the check below has teeth
    assert {k: c for k, c in counts.items() if c[1] != c[0]} == {}
