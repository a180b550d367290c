"Property tests for the risk engine (trading_kit.risk) and the guardrails as the backtest applies them."
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

from trading_kit.core import ConfigError, LeakageError
from trading_kit.risk import (INSTRUMENTS, InstrumentSpec, PDTRule, RiskLimits, kelly_fraction, kelly_from_trades,
                              position_size, stop_distance)

EPS = 1e-9
equity_s = st.floats(50, 1e6)
price_s = st.floats(0.01, 5000)
frac_s = st.floats(0.0005, 0.5)
spec_s = st.sampled_from(list(INSTRUMENTS.values()) + [InstrumentSpec("future", step=1.0, min_units=1.0, point_value=50.0)])
limits_s = st.builds(RiskLimits, max_risk_per_trade=st.floats(0.0025, 0.05), max_ticker_exposure=st.floats(0.01, 30),
                     max_total_exposure=st.floats(0.01, 30), daily_loss_cap_r=st.floats(0.5, 5), leverage=st.floats(1, 30))


@st.composite
def orders(draw):
    "A random sizing question: account, prices, limits, instrument and current state."
    side = draw(st.sampled_from(["long", "short"]))
    entry = draw(price_s)
    d = entry * draw(frac_s)
    equity = draw(equity_s)
    return dict(equity=equity, risk_per_trade=draw(st.floats(0.0001, 0.1)), entry=entry,
                stop=entry - d if side == "long" else entry + d, side=side, limits=draw(limits_s), spec=draw(spec_s),
                point_value=draw(st.sampled_from([1.0, 0.1, 10.0])), cash=equity * draw(st.floats(0, 1)),
                ticker_exposure=equity * draw(st.floats(0, 0.6)), total_exposure=equity * draw(st.floats(0, 1)),
                daily_loss_r=draw(st.floats(0, 6)), cost_rate=draw(st.sampled_from([0.0, 5e-4, 2e-3])))


@settings(max_examples=400, deadline=None)
@given(orders())
def test_no_order_risks_more_than_the_cap(o):
    units = position_size(**o)
    pv = o["point_value"] * o["spec"].point_value
    risk = units * abs(o["entry"] - o["stop"]) * pv
    cap = min(o["risk_per_trade"], o["limits"].max_risk_per_trade) * o["equity"]
    assert units >= 0 and risk <= cap * (1 + EPS) + EPS


@settings(max_examples=400, deadline=None)
@given(orders())
def test_exposure_and_cash_caps_hold(o):
    units = position_size(**o)
    if units == 0: return
    L, A = o["limits"], o["equity"]
    notional = units * o["entry"] * o["point_value"] * o["spec"].point_value
    assert o["ticker_exposure"] + notional <= L.max_ticker_exposure * A * (1 + EPS) + EPS
    assert o["total_exposure"] + notional <= L.max_total_exposure * A * (1 + EPS) + EPS
    assert notional * (1 + o["cost_rate"]) <= o["cash"] * L.leverage * (1 + EPS) + EPS


@settings(max_examples=300, deadline=None)
@given(orders())
def test_no_entry_after_daily_loss_cap(o):
    units, info = position_size(**o, details=True)
    if o["daily_loss_r"] >= o["limits"].daily_loss_cap_r:
        assert units == 0 and info["bound"] == "daily_loss_cap"


@settings(max_examples=400, deadline=None)
@given(orders())
def test_sizes_respect_instrument_minimums(o):
    units = position_size(**o)
    spec = o["spec"]
    if units == 0: return
    assert units >= spec.min_units - EPS
    assert units * o["entry"] * o["point_value"] * spec.point_value >= spec.min_notional - 1e-9
    if spec.step > 0:
        k = units / spec.step
        assert abs(k - round(k)) < 1e-6 + 1e-12 * k   # a whole number of steps (float tolerance)


@settings(max_examples=200, deadline=None)
@given(o=orders(), add=st.floats(0.01, 0.9))
def test_no_averaging_down(o, add):
    "Holding a position bought higher (long) / sold lower (short): no more units."
    worse = o["entry"] * (1 + add) if o["side"] == "long" else o["entry"] * (1 - add)
    assert position_size(**o, position_units=1.0, position_price=worse) == 0


@given(entry=price_s, below=st.floats(0, 1), side=st.sampled_from(["long", "short"]))
def test_zero_or_negative_stop_distance_raises(entry, below, side):
    wrong = entry + entry * below if side == "long" else entry - entry * below
    with pytest.raises(ConfigError, match="stop distance must be > 0"):
        position_size(1000, 0.01, entry, wrong, side=side)
    with pytest.raises(ConfigError, match="stop distance must be > 0"):
        stop_distance(entry, entry, side)


def test_worked_examples_500_and_1000():
    "MSFT $400, stop $384, 1% risk: the 5% ticker cap binds; whole shares cannot trade."
    for A, units in ((500, 0.0625), (1000, 0.125)):
        u, info = position_size(A, 0.01, 400.0, 384.0, details=True)
        assert u == pytest.approx(units) and info["bound"] == "ticker_exposure"
        assert info["risk"] <= 0.01 * A
        assert position_size(A, 0.01, 400.0, 384.0, spec=INSTRUMENTS["stock_whole"]) == 0
    assert position_size(1000, 0.01, 400.0, 384.0, limits=RiskLimits(max_ticker_exposure=0.25)) == pytest.approx(0.625)


def test_pdt_rule_block_and_warn():
    days = ["2024-01-08", "2024-01-09", "2024-01-10"]
    block = PDTRule(mode="block"); [block.record(d) for d in days]
    assert not block.allows("2024-01-12", 5000) and block.allows("2024-01-15", 5000)
    assert position_size(5000, 0.01, 100, 99, pdt=block, ts="2024-01-12") == 0
    warn = PDTRule(mode="warn"); [warn.record(d) for d in days]
    with pytest.warns(UserWarning, match="pattern-day-trader"):
        assert warn.allows("2024-01-12", 5000)
    with pytest.raises(ConfigError): PDTRule(mode="ignore")


def test_kelly_uses_training_trades_only():
    assert kelly_fraction(0.6, 1.0, 0.5) == pytest.approx(0.5 * 0.2)
    with pytest.raises(ConfigError): kelly_fraction(0.6, 1.0, 1.0)  # full Kelly is refused
    tr = pd.Series([0.03, -0.01, 0.03, -0.01, 0.5], index=pd.date_range("2020-01-01", periods=5))
    with pytest.raises(LeakageError): kelly_from_trades(tr, "2020-01-04")
    assert kelly_from_trades(tr, "2020-01-04", strict=False) == pytest.approx(0.25 * (3 * 0.5 - 0.5) / 3)


# --- the guardrails inside the backtest -------------------------------------------------------------

def _hourly_bars(n, seed):
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2024-01-01 00:00", periods=n, freq="h", name="date")
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.006, n)))
    open_ = np.r_[100, close[:-1]] * np.exp(rng.normal(0, 0.001, n))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0, 0.003, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0, 0.003, n)))
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": 1.0}, idx), rng


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), cap_r=st.sampled_from([0.5, 1.0, 2.0]))
def test_backtest_halts_entries_after_daily_loss_cap(seed, cap_r):
    from trading_kit.backtest import run_backtest
    df, rng = _hourly_bars(600, seed)
    entries = pd.Series(rng.random(len(df)) < 0.3, df.index)
    exits = pd.Series(rng.random(len(df)) < 0.2, df.index) & ~entries
    lim = RiskLimits(max_ticker_exposure=1.0, max_total_exposure=1.0, daily_loss_cap_r=cap_r)
    res = run_backtest(df, entries, exits, sizing="risk", stop_pct=0.01, stop_atr=None, risk_per_trade=0.01, limits=lim, pdt="off")
    # recompute, independently of the engine, today's realised PnL before each entry from vectorbt's trades
    t = res.trades[res.trades["Status"] == "Closed"]
    value = res.equity
    ents = res.orders[res.orders["reason"] == "entry"]
    # equity at the start of a day = value at the previous day's last close
    day_start = value.groupby(value.index.normalize()).last().shift(1).fillna(1000.0)
    for ts in ents.index:
        day = ts.normalize()
        done = t[(t["Exit Timestamp"] >= day) & (t["Exit Timestamp"] <= ts) & (t["Entry Timestamp"] < ts)]
        loss_r = max(0.0, -done["PnL"].sum()) / (day_start[day] * 0.01)
        assert loss_r < cap_r + 1e-6, (ts, loss_r)
    # risk at entry never exceeds the cap at the price really paid
    risk = (ents["units"] * (ents["fill_price"] - ents["stop"])).abs()
    assert (risk <= 0.01 * ents["equity"] * (1 + 1e-9)).all()


def test_daily_loss_cap_binds_on_sample():
    "The cap is exercised: with it, fewer entries than without it on the same signals."
    from trading_kit.backtest import run_backtest
    df, rng = _hourly_bars(800, 3)
    entries = pd.Series(rng.random(len(df)) < 0.4, df.index)
    exits = pd.Series(rng.random(len(df)) < 0.3, df.index) & ~entries
    kw = dict(sizing="risk", stop_pct=0.005, stop_atr=None, pdt="off")   # the cap alone (PDT would also block)
    tight = run_backtest(df, entries, exits, limits=RiskLimits(max_ticker_exposure=1, max_total_exposure=1, daily_loss_cap_r=0.5), **kw)
    loose = run_backtest(df, entries, exits, limits=RiskLimits(max_ticker_exposure=1, max_total_exposure=1, daily_loss_cap_r=50), **kw)
    n = lambda r: (r.orders["reason"] == "entry").sum()
    assert n(tight) < n(loose)


def test_backtest_respects_pdt_block():
    from trading_kit.backtest import run_backtest
    df, rng = _hourly_bars(24 * 10, 5)
    entries = pd.Series(np.arange(len(df)) % 3 == 0, df.index)
    exits = pd.Series(np.arange(len(df)) % 3 == 1, df.index)
    res = run_backtest(df, entries, exits, sizing="percent", size=0.5, stop_atr=None, pdt=PDTRule(mode="block"))
    o = res.orders
    day_trades = o[o["reason"] != "entry"].index.normalize()
    entry_days = o[o["reason"] == "entry"].index.normalize()
    # every round trip here opens and closes the same day, so at most 3 per 5 business days
    for d in pd.DatetimeIndex(entry_days.unique()):
        window = (day_trades <= d) & (day_trades > d - pd.offsets.BDay(5))
        assert window.sum() <= 3


def test_kelly_needs_trades_indexed_by_exit_time():
    "review2: a RangeIndex used to raise a raw TypeError when compared with train_end."
    from trading_kit.core import DataError
    with pytest.raises(DataError, match="exit time"): kelly_from_trades(pd.Series([0.1, -0.05]), "2020-01-01")


def test_a_cap_smaller_than_one_lot_is_said_as_below_the_minimum_not_as_caps_full():
    "$1,000 forex account: the 20% ticker cap ($200) buys 0.18 of a micro-lot; nothing is held, so no cap is 'full'."
    from trading_kit.risk import INSTRUMENTS, RiskLimits, position_size
    units, info = position_size(1000.0, 0.01, 1.10, 1.09, limits=RiskLimits(max_ticker_exposure=0.2),
                                spec=INSTRUMENTS["forex_micro"], details=True)
    assert units == 0 and info["bound"] == "min_units"
    units, info = position_size(1000.0, 0.01, 1.10, 1.09, limits=RiskLimits(max_ticker_exposure=0.2),
                                spec=INSTRUMENTS["forex_micro"], ticker_exposure=200.0, details=True)
    assert units == 0 and info["bound"] == "ticker_exposure"       # a cap already used up is 'full'


def test_eurusd_on_a_small_account_skips_for_the_lot_size_not_for_exposure():
    import warnings
    from trading_kit.backtest import Signals, run_backtest
    from trading_kit.core import load_settings
    from trading_kit.data import load_ohlcv
    bars = load_ohlcv("EURUSD", interval="1h").iloc[:600]
    entries = pd.Series(False, bars.index); entries.iloc[100::50] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        no = pd.Series(False, bars.index)
        bt = run_backtest(bars, Signals(entries, no, no, no), load_settings(), ticker="EURUSD")
    assert "exposure" not in bt.skipped and bt.skipped.get("zero_units", 0) == entries.sum()
    assert any("smallest order" in n for n in bt.notes)
