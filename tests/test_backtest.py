"Backtest timing, accounting against a plain loop, luck-adjusted metrics, sweeps and buy-and-hold."
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from trading_kit.core import ConfigError, DataError
from trading_kit.performance import (bars_per_year, deflated_sharpe, drawdown, expected_max_sharpe, min_track_record,
                                     performance_metrics, probabilistic_sharpe)
from trading_kit.backtest import Signals, run_backtest, signals_from_predictions
from trading_kit.sweeps import sweep_macd_rsi
from trading_kit.data import load_ohlcv

FEE, SLIP = 5e-4, 5e-4


@pytest.fixture(scope="module")
def msft():
    return load_ohlcv("MSFT").iloc[-1500:]


def _sma_signals(df, a=10, b=30):
    f, s = df.close.rolling(a).mean(), df.close.rolling(b).mean()
    return f > s, f <= s


def _plain_loop(df, entries, exits, cash=1000.0, fee=FEE, slip=SLIP):
    "All-in long-only: a signal at bar t fills at bar t+1's open, slippage against us, fees on traded value."
    o, c = df.open.to_numpy(), df.close.to_numpy()
    e, x = entries.to_numpy(), exits.to_numpy()
    units, trades, entry_t = 0.0, [], None
    for i in range(1, len(df)):
        if units > 0 and x[i - 1]:
            px = o[i] * (1 - slip)
            cash += units * px * (1 - fee)
            trades.append((entry_t, df.index[i])); units = 0.0
        elif units == 0 and e[i - 1] and not x[i - 1]:
            px = o[i] * (1 + slip)
            units = cash / (px * (1 + fee))
            cash -= units * px * (1 + fee); entry_t = df.index[i]
    return cash + units * c[-1], trades


def test_sma_cross_matches_plain_loop(msft):
    e, x = _sma_signals(msft)
    res = run_backtest(msft, e, x, sizing="percent", stop_atr=None, ticker="MSFT")
    final, trades = _plain_loop(msft, e, x)
    assert res.equity.iloc[-1] == pytest.approx(final, rel=1e-6)
    closed = res.trades[res.trades["Status"] == "Closed"]
    got = list(zip(closed["Entry Timestamp"], closed["Exit Timestamp"]))
    assert got == trades and len(trades) > 10
    assert res.settings["loop_final_equity"] == pytest.approx(res.equity.iloc[-1], rel=1e-9)


def test_fills_come_after_the_signal_bar(msft):
    e, x = _sma_signals(msft)
    res = run_backtest(msft, e, x, sizing="percent", stop_atr=None)
    first_signal = e[e].index[0]
    first_fill = res.orders.index[0]
    assert first_fill == msft.index[msft.index.get_loc(first_signal) + 1]
    assert res.orders["fill_price"].iloc[0] == pytest.approx(msft.open[first_fill] * (1 + SLIP))
    shifted = run_backtest(msft, e.shift(1, fill_value=False), x.shift(1, fill_value=False), sizing="percent", stop_atr=None)
    assert shifted.orders.index[0] == msft.index[msft.index.get_loc(first_fill) + 1]
    assert shifted.equity.iloc[-1] != pytest.approx(res.equity.iloc[-1], rel=1e-9)
    nxt_close = run_backtest(msft, e, x, sizing="percent", stop_atr=None, fill="next_close")
    assert nxt_close.orders["fill_price"].iloc[0] == pytest.approx(msft.close[first_fill] * (1 + SLIP))


def test_signal_on_last_bar_fills_nothing(msft):
    last = pd.Series(False, msft.index); last.iloc[-1] = True
    for sizing, kw in (("percent", dict(stop_atr=None)), ("risk", {})):
        res = run_backtest(msft, last, ~last, sizing=sizing, **kw)
        assert len(res.orders) == 0 and res.metrics["n_trades"] == 0
        assert (res.equity == 1000.0).all()


def test_buy_and_hold_beside_every_result(msft):
    e, x = _sma_signals(msft)
    res = run_backtest(msft, e, x)
    assert set(res.benchmark_metrics) == set(res.metrics)
    units = 1000.0 / (msft.open.iloc[1] * (1 + SLIP) * (1 + FEE))   # bought at bar 1's open, like any signal on bar 0
    assert res.benchmark_metrics["final_equity"] == pytest.approx(units * msft.close.iloc[-1], rel=1e-6)
    assert list(res.table().columns) == ["strategy", "buy_and_hold"]


def test_psr_dsr_mintrl_against_hand_computed():
    phi = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))
    # SR 0.1 per bar, 253 bars, skew -0.5, kurtosis 5: z = 0.1 sqrt(252) / sqrt(1 + 0.05 + 0.01)
    z = 0.1 * math.sqrt(252) / math.sqrt(1.06)
    assert probabilistic_sharpe(0.1, 253, -0.5, 5.0) == pytest.approx(phi(z), abs=1e-12)
    assert phi(z) == pytest.approx(0.93845, abs=1e-4)   # z = 1.5419 from a normal table
    # expected max Sharpe of 100 trials with sd 0.05: 0.05 ((1-g) z(0.99) + g z(1 - 1/(100 e)))
    g = 0.5772156649015329
    sr0 = 0.05 * ((1 - g) * stats.norm.ppf(0.99) + g * stats.norm.ppf(1 - 1 / (100 * math.e)))
    assert expected_max_sharpe(100, 0.05) == pytest.approx(sr0, rel=1e-9)
    assert sr0 == pytest.approx(0.1266, abs=1e-3)
    dsr = deflated_sharpe(0.1, 253, -0.5, 5.0, n_trials=100, sr_std=0.05)
    assert dsr == pytest.approx(phi((0.1 - sr0) * math.sqrt(252) / math.sqrt(1.06)), abs=1e-12)
    assert dsr < 0.5 < probabilistic_sharpe(0.1, 253, -0.5, 5.0)
    assert min_track_record(0.1, -0.5, 5.0) == pytest.approx(1 + 1.06 * (1.6448536269514722 / 0.1) ** 2, rel=1e-9)
    assert min_track_record(-0.1) == math.inf


def test_metrics_moments_and_sharpe_match_scipy():
    rng = np.random.default_rng(0)
    r = rng.standard_t(5, 500) * 0.01 + 0.0005
    eq = pd.Series(1000 * np.cumprod(1 + r), pd.date_range("2020-01-01", periods=500, freq="D"))
    m = performance_metrics(eq, 1000.0, periods_per_year=252)
    assert m["skew"] == pytest.approx(stats.skew(r), rel=1e-9)
    assert m["kurtosis"] == pytest.approx(stats.kurtosis(r, fisher=False), rel=1e-9)
    assert m["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252), rel=1e-9)
    assert m["psr"] == pytest.approx(probabilistic_sharpe(r.mean() / r.std(ddof=1), 500, stats.skew(r), stats.kurtosis(r, fisher=False)))
    assert m["max_drawdown"] == pytest.approx((eq / np.maximum.accumulate(np.r_[1000, eq])[1:] - 1).min(), rel=1e-9)
    assert m["max_drawdown"] == pytest.approx(drawdown(eq).min(), rel=1e-12)   # one drawdown definition


def test_signals_from_predictions_rules():
    idx = pd.date_range("2024-01-01", periods=3)
    p = pd.DataFrame({"p_down": [.1, .6, .3], "p_neutral": [.3, .2, .3], "p_up": [.6, .2, .4]}, idx)
    assert signals_from_predictions(p).entries.tolist() == [True, False, True]
    assert signals_from_predictions(p, "threshold", 0.2).entries.tolist() == [True, False, False]
    s = signals_from_predictions(p, "argmax", allow_short=True)
    assert s.short_entries.tolist() == [False, True, False] and not (s.entries & s.short_entries).any()
    with pytest.raises(ConfigError, match="p_up"): signals_from_predictions(p.drop(columns="p_up"))
    with pytest.raises(ConfigError, match="rule"): signals_from_predictions(p, "vibes")


def test_short_signals_and_stops_book_consistently(msft):
    e, x = _sma_signals(msft, 5, 20)
    res = run_backtest(msft, Signals(e, x, x, e), stop_pct=0.03, stop_atr=None, sizing="percent", size=0.5)
    assert (res.orders["units"] < 0).any() and (res.orders["reason"] == "stop").any()
    assert res.settings["loop_final_equity"] == pytest.approx(res.equity.iloc[-1], rel=1e-9)


def test_bad_inputs_raise_clear_errors(msft):
    e, x = _sma_signals(msft)
    with pytest.raises(ConfigError, match="sizing"): run_backtest(msft, e, x, sizing="yolo")
    with pytest.raises(ConfigError, match="needs a stop"): run_backtest(msft, e, x, stop_atr=None)
    with pytest.raises(ConfigError, match="fill"): run_backtest(msft, e, x, fill="same_bar")
    alien = pd.Series(True, pd.date_range("1900-01-01", periods=3))
    with pytest.raises(DataError, match="entries"): run_backtest(msft, alien)


def test_sweep_counts_trials_and_matches_single_runs(msft):
    goog = load_ohlcv("GOOG").iloc[-800:]
    kw = dict(fast=(8, 12), slow=(26,), signal=(9,), rsi_window=(14,), rsi_entry=(50, 60), rsi_exit=(70,))
    sw = sweep_macd_rsi({"MSFT": msft, "GOOG": goog}, **kw)
    assert sw.n_trials == 8 and len(sw.table) == 8
    assert (sw.table["dsr"] <= sw.table["psr"] + 1e-12).all()
    # the vectorbt engine (Portfolio.from_signals), in chunks of one column or in one call, gives the same table
    for cells in (len(msft), None):
        vb = sweep_macd_rsi({"MSFT": msft, "GOOG": goog}, engine="vectorbt", max_cells=cells, benchmark=False, **kw)
        pd.testing.assert_frame_equal(vb.table, sw.table, check_exact=False, rtol=1e-7, atol=1e-10)
    assert set(sw.benchmark.index) == {"MSFT", "GOOG"}
    import vectorbt as vbt
    m = vbt.MACD.run(goog.close, fast_window=8, slow_window=26, signal_window=9, macd_ewm=True, signal_ewm=True)
    rsi = vbt.RSI.run(goog.close, window=14).rsi
    above = m.macd > m.signal
    one = run_backtest(goog, above & (rsi < 50), ~above | (rsi > 70), sizing="percent", stop_atr=None, ticker="GOOG")
    row = sw.table.query("ticker == 'GOOG' and fast == 8 and rsi_entry == 50").iloc[0]
    assert one.equity.iloc[-1] == pytest.approx(1000 * (1 + row.total_return), rel=1e-6)
    assert len(one.trades) == row.n_trades   # same trades, not just the same final equity
    with pytest.raises(ConfigError): sweep_macd_rsi(msft, fast=(30,), slow=(26,))


from hypothesis import given, settings, strategies as st


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000), p=st.floats(0.01, 0.3), fill=st.sampled_from(["next_open", "next_close"]))
def test_every_fill_is_on_a_bar_after_its_signal(seed, p, fill):
    "Random signals: each entry/exit order sits exactly one bar after a signal bar that asked for it."
    df = load_ohlcv("GOOG").iloc[-400:]
    rng = np.random.default_rng(seed)
    e = pd.Series(rng.random(len(df)) < p, df.index); x = pd.Series(rng.random(len(df)) < p, df.index) & ~e
    res = run_backtest(df, e, x, sizing="percent", stop_atr=None, fill=fill)
    pos = df.index.get_indexer(res.orders.index)
    assert (pos >= 1).all()
    ent = res.orders["reason"].to_numpy() == "entry"
    assert e.to_numpy()[pos[ent] - 1].all() and x.to_numpy()[pos[~ent] - 1].all()
    px = (df.open if fill == "next_open" else df.close).to_numpy()[pos]
    assert np.allclose(res.orders["price"].to_numpy(), px)


def test_confidence_rule_never_signals_long_and_short_on_one_bar(msft):
    "review2: with threshold < 0.5 both P(up) and P(down) can pass; the bar must not be long AND short (churn)."
    p = pd.DataFrame(np.random.default_rng(0).dirichlet([1, 1, 1], 300), msft.index[-300:], columns=["p_down", "p_neutral", "p_up"])
    s = signals_from_predictions(p, "confidence", 0.2, allow_short=True)
    assert not (s.entries & s.short_entries).any()
    up_wins = (p.p_up >= 0.2) & (p.p_up > p.p_down)
    assert s.entries.equals(up_wins) and s.short_entries.equals((p.p_down >= 0.2) & (p.p_down > p.p_up))
    res = run_backtest(msft.iloc[-300:], s, sizing="percent", stop_atr=None)
    side = s.entries.astype(int) - s.short_entries.astype(int)
    assert res.metrics["n_trades"] <= int((side != side.shift()).sum())   # a trade per change of side, not one per bar
    with pytest.raises(ConfigError, match="threshold"): signals_from_predictions(p, "confidence", float("nan"))


def test_more_bad_inputs_raise_kit_errors(msft):
    "review2: wrong-length arrays, missing OHLC columns and unsorted bars raise DataError, not raw pandas errors."
    e, x = _sma_signals(msft)
    with pytest.raises(DataError, match="entries"): run_backtest(msft, np.ones(10, bool))
    with pytest.raises(DataError, match="open"): run_backtest(msft.drop(columns="open"), e, x)
    with pytest.raises(DataError, match="increasing"): run_backtest(msft.iloc[::-1], e, x)
    with pytest.raises(DataError, match="increasing"): run_backtest(pd.concat([msft.iloc[:5], msft.iloc[4:10]]), np.ones(11, bool))


def test_sweep_and_metrics_bad_inputs_raise_kit_errors(msft):
    "review2: these used to surface as KeyError, SystemError (numba), math domain or ZeroDivision errors."
    df = msft.iloc[-200:]
    with pytest.raises(DataError, match="open"): sweep_macd_rsi(df.drop(columns="open"))
    with pytest.raises(DataError, match="2 bars"): sweep_macd_rsi(df.iloc[:1])
    with pytest.raises(DataError, match="increasing"): sweep_macd_rsi(df.iloc[::-1])
    with pytest.raises(DataError, match="span"): bars_per_year(pd.DatetimeIndex(["2020-01-01", "2020-01-01"]))
    with pytest.raises(DataError, match="empty"):
        performance_metrics(pd.Series([], dtype=float, index=pd.DatetimeIndex([])), 1000, periods_per_year=252)


def test_annualisation_follows_the_bars_daily_stock_and_hourly_forex(msft):
    "review2: Sharpe is annualised with the bars the data has: ~252/yr for stocks, ~24x5x52 for hourly forex (not 252, not 8760)."
    eur = load_ohlcv("EURUSD", interval="1h").iloc[:1500]
    assert 245 < bars_per_year(msft.index) < 256
    assert 5800 < bars_per_year(eur.index) < 6400
    # 100k: with $1,000 and no leverage not even one micro-lot (1,000 EUR) is affordable, so buy-and-hold holds nothing
    res = run_backtest(eur, pd.Series(False, eur.index), sizing="percent", stop_atr=None, ticker="EURUSD", init_cash=100_000)
    b = res.benchmark_metrics
    assert b["bars_per_year"] == pytest.approx(bars_per_year(eur.index))
    assert b["sharpe"] == pytest.approx(b["sharpe_per_bar"] * math.sqrt(b["bars_per_year"]), rel=1e-12)


def test_warns_when_buy_and_hold_cannot_buy_one_unit():
    "review2: EURUSD with $1,000, no leverage and micro-lots: buy-and-hold holds nothing; that must not pass silently."
    eur = load_ohlcv("EURUSD", interval="1h").iloc[:300]
    with pytest.warns(UserWarning, match="buy-and-hold"):
        res = run_backtest(eur, pd.Series(False, eur.index), ticker="EURUSD")
    assert res.benchmark_metrics["total_return"] == 0.0


# ---- issue 9: one ATR, start=, skipped signals said, PDT by default, quiet, leak alarm ----

def test_stop_is_stop_atr_times_the_features_atr(msft):
    "The stop of every risk-sized entry sits stop_atr x the features' (Wilder) ATR of the signal bar away from its close."
    from trading_kit.features import atr
    e, x = _sma_signals(msft, 5, 20)
    res = run_backtest(msft, e, x, ticker="MSFT")
    a = atr(msft.high, msft.low, msft.close, 14)
    ents = res.orders[res.orders["reason"] == "entry"]
    sig = msft.index.get_indexer(ents.index) - 1
    assert len(ents) > 20
    np.testing.assert_allclose(msft.close.to_numpy()[sig] - ents["stop"].to_numpy(), 2.0 * a[sig], rtol=1e-9)


def test_start_keeps_history_for_the_stop(msft):
    "Full bars with start=: the ATR is warm on the first test bar, so no signal is lost; metrics cover start.. only."
    start = msft.index[1000]
    on = pd.Series(True, msft.index[1000:])           # a model that says 'up' on every test bar
    alone = run_backtest(msft.loc[start:], on, ticker="MSFT")
    full = run_backtest(msft, on, start=start, ticker="MSFT")
    assert alone.orders.index[0] > msft.index[1001]     # the stop restarts: the first entries are dropped
    assert full.orders.index[0] == msft.index[1001]     # the first test signal fills on the next bar
    assert full.equity.index[0] == start and full.metrics["n_bars"] == len(msft) - 1000
    assert full.benchmark_equity.index[0] == start
    assert full.benchmark_metrics["final_equity"] == pytest.approx(alone.benchmark_metrics["final_equity"], rel=1e-12)
    early = pd.Series(True, msft.index)                 # signals before start are ignored
    assert run_backtest(msft, early, start=start).orders.index[0] == msft.index[1001]


def test_settings_and_overrides_drive_run_backtest(msft):
    from trading_kit.core import Settings, load_settings
    e, x = _sma_signals(msft)
    s = load_settings(overrides={"backtest.init_cash": 5000, "backtest.fees_bps": 10}, env=False)
    res = run_backtest(msft, Signals(e, x, e & False, e & False), s, ticker="MSFT")
    assert res.settings["init_cash"] == 5000 and res.settings["fees_bps"] == 10
    assert run_backtest(msft, e, s, exits=x, fees_bps=0).settings["fees_bps"] == 0
    with pytest.raises(ConfigError, match="fees"): run_backtest(msft, e, s, feez_bps=1)


def test_skipped_signals_are_counted_and_said(msft):
    "Risk-sized entries that cannot be placed are counted per reason and said in plain words."
    on = pd.Series(True, msft.index)
    res = run_backtest(msft.iloc[:100], on.iloc[:100], ticker="MSFT")     # no history: ATR(14) warms up
    assert res.skipped["no_stop"] >= 13
    assert any("ATR" in n and "warm" in n for n in res.notes)
    assert "warm" in repr(res) and any("warm" in str(v) for v in res.table().iloc[:, 0])
    tiny = run_backtest(msft, on, init_cash=10, ticker="MSFT")  # 5% of $10 is under the $1 minimum order
    assert tiny.skipped["zero_units"] > 0 and any("smallest order" in n for n in tiny.notes)
    clean = run_backtest(msft, on, start=msft.index[100], ticker="MSFT")
    assert clean.skipped.get("no_stop", 0) == 0


def _hourly(n=24 * 10, seed=5):
    idx = pd.date_range("2024-01-01 09:00", periods=n, freq="h")
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.004, n)))
    open_ = np.r_[100, close[:-1]]
    return pd.DataFrame({"open": open_, "high": np.maximum(open_, close) * 1.002, "low": np.minimum(open_, close) * 0.998,
                         "close": close, "volume": 1.0}, idx)


def test_pdt_applies_by_default_on_intraday_us_stocks_and_state_is_fresh():
    from trading_kit.risk import PDTRule
    df = _hourly()
    e = pd.Series(np.arange(len(df)) % 3 == 0, df.index); x = pd.Series(np.arange(len(df)) % 3 == 1, df.index)
    kw = dict(sizing="percent", size=0.5, stop_atr=None, ticker="AAPL")
    auto, off = run_backtest(df, e, x, **kw), run_backtest(df, e, x, pdt="off", **kw)
    assert auto.skipped.get("pdt", 0) > 0 and off.skipped.get("pdt", 0) == 0
    assert auto.metrics["n_trades"] < off.metrics["n_trades"] and any("day-trader" in n for n in auto.notes)
    assert run_backtest(df, e, x, pdt="auto", init_cash=30_000, **kw).skipped.get("pdt", 0) == 0   # $25k+: no rule
    rule = PDTRule()
    first, second = run_backtest(df, e, x, pdt=rule, **kw), run_backtest(df, e, x, pdt=rule, **kw)
    assert first.metrics["n_trades"] == second.metrics["n_trades"] and rule.day_trades == []
    daily = load_ohlcv("MSFT").iloc[-300:]
    assert run_backtest(daily, pd.Series(True, daily.index), ticker="MSFT").settings["pdt"] is None   # daily bars: no rule


def test_a_backtest_raises_no_deprecation_warning():
    import subprocess, sys
    code = ("import pandas as pd; from trading_kit.data import load_ohlcv; from trading_kit.backtest import run_backtest; "
            "df = load_ohlcv('MSFT').iloc[-600:]; f, s = df.close.rolling(10).mean(), df.close.rolling(30).mean(); "
            "r = run_backtest(df, f > s, exits=f <= s, ticker='MSFT'); r.table(); repr(r); print(r.metrics['n_trades'])")
    p = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-W", "error::FutureWarning", "-c", code],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert int(p.stdout.split()[-1]) > 0


def test_leak_alarm_goes_on_the_backtest(msft):
    e, x = _sma_signals(msft)
    res = run_backtest(msft, e, exits=x, alarms=["feature 'leak' predicts the label too well"], n_trials=7)
    assert res.metrics["leak_alarm"] is True and res.metrics["n_trials"] == 7
    assert res.notes[0].startswith("LEAK ALARM: ") and "LEAK ALARM" in repr(res)
    assert str(res.table().iloc[0, 0]).startswith("LEAK ALARM")
    assert run_backtest(msft, e, exits=x).metrics["leak_alarm"] is False
