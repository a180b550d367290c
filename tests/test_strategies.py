"Rule strategies and filters: past-only on real bars, known entries and exits on hand-built bars, bad parameters named, sweeps equal to the backtest."
import numpy as np
import pandas as pd
import pytest

from trading_kit.core import ConfigError, load_settings
from trading_kit.data import load_ohlcv
from trading_kit.backtest import Signals, run_backtest, signals_from_predictions
from trading_kit.sweeps import sweep_macd_rsi
from trading_kit.orderbook import synthetic_l2
from trading_kit.strategies import STRATEGIES, Gate, make_signals
from trading_kit.strategy_filters import check_strategy_lookahead
from trading_kit.strategy_runs import grid_returns, run_strategy, sweep_strategy

NAMES = ["macd_rsi", "orb", "vwap_pullback", "vwap_reversion", "kalman_breakout", "mtf_confirm", "anomaly_filter", "hmm_filter", "order_flow"]


@pytest.fixture(scope="module")
def eurusd():
    b = load_ohlcv("EURUSD", interval="1h"); b.attrs["ticker"] = "EURUSD"
    return b


@pytest.fixture(scope="module")
def msft():
    b = load_ohlcv("MSFT"); b.attrs["ticker"] = "MSFT"
    return b


def _book_on(bars, seed=0):
    "Synthetic L2 snapshots, one inside each bar (30% of the way through): the pipeline, not the claim."
    book, _ = synthetic_l2(len(bars), levels=5, seed=seed)
    gap = (bars.index[1:] - bars.index[:-1]).min()
    book.index = bars.index + gap * 0.3
    return book


def _params(name, bars):
    if name in ("anomaly_filter", "hmm_filter"): return dict(train_end=bars.index[int(len(bars) * 0.6)])
    if name == "order_flow": return dict(book=_book_on(bars))
    return {}


def test_registry_has_the_issue_keys():
    assert sorted(STRATEGIES) == sorted(NAMES)
    for n in NAMES:
        s = STRATEGIES[n]
        assert set(s.grid) <= set(s.defaults) and len(s.configurations()) >= 2, n


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("data", ["eurusd", "msft"])
def test_lookahead(name, data, request):
    bars = request.getfixturevalue(data)
    if data == "msft" and STRATEGIES[name].intraday_only:
        with pytest.raises(ConfigError, match="needs intraday bars"): STRATEGIES[name](bars)
        return
    fitted = name in ("anomaly_filter", "hmm_filter")
    rep = check_strategy_lookahead(bars, name, n_checks=6 if fitted else 15, min_bars=300, **_params(name, bars))
    assert rep.ok, rep.details[rep.details.n_mismatch > 0]
    out = STRATEGIES[name](bars, **_params(name, bars))
    frame = out.entries if isinstance(out, Signals) else out.long
    assert 0 < frame.sum() < len(bars), f"{name} never (or always) fires on {data}"


def test_lookahead_catches_a_planted_leak(eurusd):
    from trading_kit.strategies import Strategy
    peek = Strategy("peek", lambda b: make_signals(b.index, b.close.shift(-1) > b.close, b.close.shift(-1) < b.close), {})
    assert not check_strategy_lookahead(eurusd, peek, n_checks=5).ok


# ---------- hand-built bars with known entries and exits ----------

def _bars(close, start="2024-03-04 00:00", freq="h", ticker="BTC-USD", spread=0.1, volume=1e3):
    c = np.asarray(close, float)
    b = pd.DataFrame({"open": c, "high": c + spread, "low": c - spread, "close": c, "volume": volume},
                     index=pd.date_range(start, periods=len(c), freq=freq, name="date"))
    b.attrs["ticker"] = ticker
    return b


def test_macd_rsi_hand_built():
    # 40 flat bars (MACD = signal: never above), a zigzag climb (+1, -0.2), then a fall of 2 a bar
    c = np.r_[np.full(40, 100.0), 100 + np.cumsum(np.tile([1.0, -0.2], 5)), 104 - 2.0 * np.arange(1, 6)]
    s = STRATEGIES["macd_rsi"](_bars(c, freq="D", ticker="MSFT"), fast=3, slow=6, signal=2, rsi_window=3, rsi_entry=95.0, rsi_exit=99.5)
    assert not s.entries.iloc[:41].any() and s.exits.iloc[:41].all()   # bar 40: MACD above but RSI 100 > rsi_exit
    assert s.entries.iloc[41]                                           # first dip: RSI 83 < 95 with MACD still above
    assert s.exits.iloc[50:].all() and not s.entries.iloc[50:].any()    # the fall


def test_orb_stock_session_in_new_york_time():
    # half-hour bars of a stock, timestamps in New York time; range 09:30-10:30 is 100..101
    c = [99.0, 100.0, 100.5, 101.5, 101.8, 100.2, 99.0]
    b = _bars(c, start="2024-03-05 09:00", freq="30min", ticker="MSFT", spread=0.5)
    s = STRATEGIES["orb"](b, session="exchange", range_minutes=60, exit_minutes=120, trend_window=2)
    assert s.entries.tolist() == [False, False, False, True, False, False, False]   # 10:30 bar closes above 101
    assert s.exits.iloc[5]                # 11:30 is 120 minutes after the open: out
    assert not s.exits.iloc[3:5].any()


def test_orb_forex_opens_follow_london_and_new_york():
    # UTC timestamps; 08:00 London is 07:00 UTC in summer, 08:00 New York is 12:00 UTC in summer
    from trading_kit.strategies import session_clock
    ix = pd.DatetimeIndex(["2024-07-01 07:00", "2024-07-01 12:00", "2024-01-02 08:00", "2024-01-02 13:00"])
    assert session_clock(ix, "london", "UTC", "EURUSD")[1].tolist()[::2] == [0.0, 0.0]
    assert session_clock(ix, "new_york", "UTC", "EURUSD")[1].tolist()[1::2] == [0.0, 0.0]
    assert session_clock(ix, "auto", "UTC", "BTC-USD")[1].tolist() == [420.0, 720.0, 480.0, 780.0]   # crypto: UTC midnight


def test_vwap_reversion_and_kalman_breakout_hand_built():
    b = _bars([100, 100.2, 99.8, 100.1, 99.9, 96, 97, 100.5, 100, 100], spread=0.2)
    s = STRATEGIES["vwap_reversion"](b, k=1.5, allow_short=False)
    assert np.flatnonzero(s.entries).tolist() == [5] and np.flatnonzero(s.exits).tolist() == [7]
    up = _bars([100, 100.2, 99.8, 100.1, 99.9, 104, 103, 99.5, 100, 100], spread=0.2)
    s = STRATEGIES["vwap_reversion"](up, k=1.5)
    assert np.flatnonzero(s.short_entries).tolist() == [5] and np.flatnonzero(s.short_exits).tolist() == [7]
    kb = _bars([100, 100.5, 100, 100.5, 100, 103, 104, 105, 101, 99])
    for trend in ("sma", "ema"):
        k = STRATEGIES["kalman_breakout"](kb, trend=trend, window=3, exit_window=2, trend_window=2)
        assert k.entries.iloc[5] and k.exits.iloc[8], trend


def test_mtf_confirm_hand_built():
    # 5-minute bars rising for a day: every timeframe trends up once 21 hourly bars exist, and never down
    b = _bars(100 + 0.01 * np.arange(12 * 40), freq="5min", ticker="BTC-USD")
    g = STRATEGIES["mtf_confirm"](b)      # 5m with 15m and 60m
    assert not g.long.iloc[: 12 * 20].any()     # fewer than 21 closed hourly bars: no verdict
    assert g.long.iloc[-12:].all() and not g.short.any()
    falling = _bars(200 - 0.01 * np.arange(12 * 40), freq="5min")
    assert STRATEGIES["mtf_confirm"](falling).short.iloc[-12:].all()


def test_regime_filters_alarm_on_a_planted_storm():
    rng = np.random.default_rng(0)
    r = np.r_[rng.normal(0, 0.005, 700), rng.normal(0, 0.04, 40), rng.normal(0, 0.005, 60)]
    c = 100 * np.exp(np.cumsum(r))
    b = pd.DataFrame({"open": c, "high": c * (1 + np.abs(r)), "low": c * (1 - np.abs(r)), "close": c,
                      "volume": 1e6 * (1 + 5 * (np.arange(800) >= 700) * (np.arange(800) < 740))},
                     index=pd.bdate_range("2020-01-01", periods=800, name="date"))
    for name in ("anomaly_filter", "hmm_filter"):
        g = STRATEGIES[name](b, train_end=b.index[749])   # the storm is in the training bars
        assert g.long.iloc[705:740].mean() > 0.5 > g.long.iloc[760:].mean() + 0.3, name
        sig = make_signals(b.index, np.ones(800, bool), np.zeros(800, bool))
        gated = sig & ~g
        assert not (gated.entries & g.long).any() and gated.exits[g.long].all()   # flatten: an alarm closes the trade


def test_order_flow_hand_built():
    t0 = pd.Timestamp("2024-01-02 09:30")
    book = pd.DataFrame({"bid_px_1": [99.99] * 3, "bid_sz_1": [900.0, 100.0, 500.0], "ask_px_1": [100.01, 100.01, 100.30],
                         "ask_sz_1": [100.0, 900.0, 100.0]}, index=pd.DatetimeIndex([t0 + pd.Timedelta(s, "s") for s in (30, 90, 150)]))
    bars = _bars([100.0, 100.0, 100.0], start=t0, freq="1min", ticker="MSFT", spread=0.0)
    s = STRATEGIES["order_flow"](bars, book=book, depth=1, max_spread_bps=5.0)
    assert s.entries.tolist() == [True, False, False]      # the 3rd snapshot is bid-heavy but its spread is 31 bps
    assert s.exits.tolist() == [False, True, False] and s.short_entries.tolist() == [False, True, False]
    late = book.copy(); late.index = late.index + pd.Timedelta("60s")   # a snapshot after the bar's close is not read
    assert not STRATEGIES["order_flow"](bars, book=late, depth=1).entries.iloc[0]


# ---------- composition ----------

def test_filters_compose_with_signals_and_each_other(eurusd):
    bars = eurusd.iloc[:2000]; cut = bars.index[1200]
    m, a, mt = STRATEGIES["macd_rsi"], STRATEGIES["anomaly_filter"], STRATEGIES["mtf_confirm"]
    combo = (m & ~a)(bars, train_end=cut)
    by_hand = m(bars) & ~a(bars, train_end=cut)
    for f in ("entries", "exits", "short_entries"):
        pd.testing.assert_series_equal(getattr(combo, f), getattr(by_hand, f))
    probs = pd.DataFrame({"p_down": 0.2, "p_neutral": 0.3, "p_up": 0.5}, index=bars.index)
    ml_signal = signals_from_predictions(probs)
    confirmed = ml_signal & mt(bars)
    assert confirmed.entries.sum() == mt(bars).long.sum() and not (confirmed.exits != ml_signal.exits).any()
    both = (mt & ~a)(bars, train_end=cut, flatten=True)     # a plain name goes to every part that takes it
    assert isinstance(both, Gate) and both.flatten
    assert len((m & ~a).configurations()) == len(m.configurations()) * len(a.configurations())
    assert check_strategy_lookahead(bars, m & ~a, n_checks=4, train_end=cut).ok          # composites are past-only too
    with pytest.raises(ConfigError, match="combine a strategy with filters"): m & STRATEGIES["orb"]
    with pytest.raises(ConfigError, match="only a filter"): ~m


# ---------- bad parameters ----------

BAD = [("macd_rsi", dict(fast=-3), "macd_rsi: fast"), ("macd_rsi", dict(rsi_entry=120), "macd_rsi: rsi_entry"),
       ("orb", dict(trend_window=-1), "orb: trend_window"), ("orb", dict(session="24:30"), "outside the day"),
       ("orb", dict(range_minutes=0), "orb: range_minutes"), ("vwap_pullback", dict(anchor="sma"), "vwap_pullback: anchor"),
       ("vwap_pullback", dict(trend_window=-20), "vwap_pullback: trend_window"), ("vwap_reversion", dict(k=float("inf")), "vwap_reversion: k"),
       ("vwap_reversion", dict(vwap_window=-5), "vwap_reversion: vwap_window"), ("kalman_breakout", dict(exit_window=-2), "kalman_breakout: exit_window"),
       ("kalman_breakout", dict(trend_window=1, trend="sma"), "kalman_breakout: trend_window"), ("mtf_confirm", dict(rules=["5m"]), "mtf_confirm: rules"),
       ("anomaly_filter", dict(), "anomaly_filter: train_end"), ("hmm_filter", dict(train_end="2017-01-01", threshold=2), "hmm_filter: threshold"),
       ("hmm_filter", dict(train_end="2017-01-01", n_states=1), "hmm_filter: n_states"), ("order_flow", dict(), "order_flow: book"),
       ("macd_rsi", dict(windw=5), "unknown parameter(s) ['windw']")]


@pytest.mark.parametrize("name,params,msg", BAD, ids=[f"{n}-{m}" for n, _, m in BAD])
def test_bad_parameters_name_themselves(name, params, msg, eurusd):
    with pytest.raises(ConfigError, match=msg.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        STRATEGIES[name](eurusd, **params)


@pytest.mark.parametrize("name", ["orb", "mtf_confirm"])
def test_intraday_filters_refuse_daily_bars(name, msft):
    with pytest.raises(ConfigError, match=f"{name}: needs intraday bars"): STRATEGIES[name](msft)


# ---------- sweeps agree with the existing engines ----------

def test_macd_rsi_grid_equals_the_sweep(msft):
    bars = msft.iloc[-2000:]
    table, *_ = sweep_strategy(bars, "macd_rsi", stop_atr=None)
    sw = sweep_macd_rsi(bars, benchmark=False).table
    keys = ["fast", "slow", "signal", "rsi_window", "rsi_entry", "rsi_exit"]
    a, b = table.sort_values(keys).reset_index(drop=True), sw.sort_values(keys).reset_index(drop=True)
    np.testing.assert_allclose(a.total_return, b.total_return, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(a.n_trades, b.n_trades)


@pytest.mark.parametrize("stop_atr", [None, 2.0])
def test_grid_kernel_equals_run_backtest_all_in(eurusd, stop_atr):
    bars = eurusd.iloc[:3000]
    sig = STRATEGIES["vwap_reversion"](bars)        # long and short, time stop
    bt = run_backtest(bars, sig, None, sizing="percent", stop_atr=stop_atr, fractional=True, ticker="TEST", start=100, pdt="off")
    g = grid_returns(bars, [sig], stop_atr=stop_atr, start=bars.index[100])
    np.testing.assert_allclose((1 + g.returns[0]).cumprod().to_numpy() * 1000, bt.equity.to_numpy(), rtol=1e-8)
    assert g.trades.n_trades[0] == bt.metrics["n_trades"]
    closed = bt.trades[bt.trades["Status"] == "Closed"]
    np.testing.assert_allclose(np.sort(g.trade_returns[0].dropna().to_numpy()), np.sort(closed["Return"].to_numpy()), rtol=1e-6)


def test_run_strategy_offline(eurusd, msft):
    cfg = load_settings()
    r = run_strategy(eurusd, "vwap_reversion", cfg, ticker="EURUSD")
    assert r.n_trials == 1 and r.backtest.settings["ticker"] == "EURUSD"
    g = run_strategy(msft.iloc[-3000:], "vwap_reversion", cfg, grid=True)
    assert g.n_trials == 24 and g.pbo is not None and 0 <= g.oos_rank <= 1
    assert g.dsr <= g.backtest.metrics["psr"] + 1e-12
    assert g.params == g.grid.assign(s=g.grid.selection_sharpe.fillna(-np.inf)).nlargest(1, "s")[["k", "unit", "max_bars"]].iloc[0].to_dict() | \
        {k: v for k, v in g.params.items() if k not in ("k", "unit", "max_bars")}


def _phase_case(n=400, cut=0.6):
    "Hand-built bars whose open-to-open moves are +1% on even bars and -1% on odd ones before `cut`, the other way after, and a strategy with one parameter `phase` that holds on even (0) or odd (1) bars."
    from trading_kit.strategies import Strategy
    k = int(n * cut); t = np.arange(n)
    move = np.where((t % 2 == 0) == (t < k), 0.01, -0.01)
    o = 100 * np.cumprod(np.r_[1.0, 1 + move[:-1]]); c = np.r_[o[1:], o[-1]]
    bars = pd.DataFrame({"open": o, "high": np.maximum(o, c) * 1.0005, "low": np.minimum(o, c) * 0.9995, "close": c, "volume": 1e6},
                        index=pd.bdate_range("2010-01-04", periods=n))
    bars.attrs["ticker"] = "PHASE"
    def hold(b, phase):   # a signal at bar p fills at p+1's open and its exit at p+2's open: it earns move[p+1]
        pos = np.arange(len(b)) % 2
        return make_signals(b.index, pos == 1 - phase, pos == phase)
    return bars, Strategy("phase", hold, {"phase": 0}, {"phase": [0, 1]}), k


def test_a_grid_is_chosen_on_the_selection_bars_and_reported_on_the_test_bars():
    "The bias: the grid's best on the test bars (phase 1) was backtested and reported; the honest choice is the best before `start` (phase 0)."
    bars, s, k = _phase_case()
    r = run_strategy(bars, s, load_settings(), grid=True, start=bars.index[k])
    assert r.params["phase"] == 0                                           # chosen where phase 0 won, not where phase 1 wins
    assert r.selection == (bars.index[0], bars.index[k - 1])
    g = r.grid.set_index("phase")
    assert g.selection_sharpe[0] > 0 > g.selection_sharpe[1] and g.test_sharpe[1] > 0 > g.test_sharpe[0]
    assert g.chosen.tolist() == [True, False]
    assert r.test_rank == 2 and g.test_rank.tolist() == [2, 1]                # ... and it is the worst of 2 on the test bars
    test = grid_returns(bars, [s(bars, phase=0)], stop_atr=2.0, start=r.start).returns[0]
    assert np.isclose(g.test_total_return[0], (1 + test).prod() - 1)
    assert r.backtest.equity.index[0] == r.start and r.backtest.metrics["total_return"] < 0
    assert r.n_trials == 2 and r.backtest.metrics["n_trials"] == 2
    default = run_strategy(bars, s, load_settings(), grid=True)            # default split: the first labels.train_frac (60%) choose
    assert default.start == r.start and default.params == r.params


def test_a_grid_without_selection_bars_is_refused_with_the_fix(msft):
    bars, s, _ = _phase_case()
    with pytest.raises(ConfigError, match="bars before start to choose"):
        run_strategy(bars, s, load_settings(), grid=True, start=bars.index[20])
    one = run_strategy(bars, s, load_settings(), start=bars.index[20])     # one configuration needs no selection bars
    assert one.selection is None and one.n_trials == 1


# ---------- the claims' measurements ----------

def test_regime_claim_sees_a_planted_early_warning(monkeypatch):
    "An alarm that fires exactly 3 bars before every 10% drawdown: hit rate 1, lead 3 bars, far above random."
    from trading_kit import strategy_claims as sc
    rng = np.random.default_rng(4)
    r = rng.normal(0.0015, 0.005, 3000); r[np.arange(1900, 3000, 150)] = -0.12    # 8 crashes after train_end, each from a new peak
    c = 100 * np.exp(np.cumsum(r))
    b = pd.DataFrame({"open": c, "high": c * 1.005, "low": c * 0.995, "close": c, "volume": 1e6}, index=pd.bdate_range("2000-01-03", periods=3000))
    cut = b.index[1799]
    ev = sc.drawdown_starts(b.close.iloc[1800:], 0.10) + 1800
    alarm = pd.Series(False, b.index); alarm.iloc[ev - 3] = True
    monkeypatch.setitem(STRATEGIES, "hmm_filter", STRATEGIES["hmm_filter"].__class__("hmm_filter", lambda bars, **p: Gate(alarm, alarm, True),
                                                                                    {"train_end": None}, kind="filter"))
    f = sc.regime_claim(b, "hmm_filter", train_end=cut, n_random=200, n_boot=100).figures
    assert f.loc["hit_rate", "estimate"] == 1.0 and f.loc["mean_lead_bars", "estimate"] == 3.0
    assert f.loc["p_random", "estimate"] < 0.01 and f.loc["random_hit_rate", "estimate"] < 0.2


def test_vwap_reversion_claim_counts_costs(eurusd):
    from trading_kit.strategy_claims import vwap_reversion_claim
    f = vwap_reversion_claim(eurusd.iloc[:2000], n_boot=200).figures
    gap = f.loc["mean_trade_return_before_costs", "estimate"] - f.loc["mean_trade_return", "estimate"]
    assert abs(gap - 2 * (5 + 5) / 1e4) < 2e-4     # fees and slippage on both sides, 5 bps each (settings.ini)


@pytest.mark.parametrize("name, bad", [("vwap_pullback", {"ema_window": -5}), ("kalman_breakout", {"trend_window": -5}),
                                       ("kalman_breakout", {"trend": "sma", "q_level": -1.0})])
def test_a_bad_parameter_is_refused_even_when_the_chosen_mode_does_not_use_it(name, bad):
    "issue 10: ema_window=-5 (anchor vwap) and trend_window=-5 (trend kalman) were accepted without a word."
    from trading_kit.core import ConfigError
    from trading_kit.data import load_ohlcv
    from trading_kit.strategies import STRATEGIES
    bars = load_ohlcv("EURUSD", interval="1h").iloc[-300:]
    key = next(k for k in bad if k != "trend")
    with pytest.raises(ConfigError, match=f"{name}: {key}"):
        STRATEGIES[name](bars, **bad)
