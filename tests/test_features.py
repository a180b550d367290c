"Features: TA-Lib agreement, lookahead detector over every preset, warm-up, order book, bad input."
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

talib = pytest.importorskip("talib")

import trading_kit.features as features_mod
import trading_kit.indicators as indicators_mod
from trading_kit.core import ConfigError, DataError, LeakageError, TradingKitError
from trading_kit.data import load_ohlcv, resample_ohlcv
from trading_kit.features import FEATURE_PRESETS, SEED32_COLUMNS, engineer_features, list_presets, seed32, synthetic_ohlcv
from trading_kit.intraday import higher_timeframe, mtf_features, vwap_features
from trading_kit.lookahead import check_lookahead, warmup_bars
from trading_kit.orderbook import orderbook_features, synthetic_l2
from trading_kit.regimes import AnomalyScore, HMMRegime

SAMPLES = [("MSFT", "1d"), ("SPX", "1d"), ("GOOG", "1d"), ("EURUSD", "1h")]
WARMUP = 300   # bars skipped before comparing (TA-Lib's own unstable period is far shorter)


@pytest.fixture(scope="module")
def bars():
    return {t: load_ohlcv(t, interval=i) for t, i in SAMPLES}


def _talib_expected(df: pd.DataFrame) -> dict:
    "The TA-Lib values of seed32's indicator columns, built from TA-Lib calls only."
    o, h, l, c, v = (df[k].to_numpy() for k in ["open", "high", "low", "close", "volume"])
    atr = talib.ATR(h, l, c, 14)
    line, signal, hist = talib.MACD(c, 12, 26, 9)
    up, mid, lo = talib.BBANDS(c, 10, 2.0, 2.0)
    obv = talib.OBV(c, v)
    with np.errstate(divide="ignore", invalid="ignore"):
        pctb = np.where(up - lo <= 1e-12 * c, 0.5, (c - lo) / (up - lo))   # the kit's documented flat-band value
        return {"rsi_9": talib.RSI(c, 9), "rsi_14": talib.RSI(c, 14),
                "macd_12_26_9_atr": line / atr, "macds_12_26_9_atr": signal / atr, "macdh_12_26_9_atr": hist / atr,
                "macd_12_26_9_pct": line / c * 100, "atr_14_pct": atr / c * 100,
                "bb_pctb_10_2": pctb, "bb_width_10_2": (up - lo) / mid,
                "adx_14": talib.ADX(h, l, c, 14), "plus_di_14": talib.PLUS_DI(h, l, c, 14),
                "minus_di_14": talib.MINUS_DI(h, l, c, 14),
                "obv_slope_10": (obv - np.r_[np.full(10, np.nan), obv[:-10]]) / pd.Series(v).rolling(10).sum().to_numpy(),
                "roc_12": talib.ROC(c, 12)}


def _assert_agree(got: pd.DataFrame, expected: dict, where: str):
    for col, exp in expected.items():
        g, e = got[col].to_numpy()[WARMUP:], np.asarray(exp, dtype="float64")[WARMUP:]
        finite = np.isfinite(e)
        assert (np.isfinite(g) == finite).all(), f"{where} {col}: NaN pattern differs from TA-Lib"
        np.testing.assert_allclose(g[finite], e[finite], rtol=1e-6, atol=1e-10, err_msg=f"{where} {col}")


@pytest.mark.parametrize("ticker", [t for t, _ in SAMPLES])
def test_seed32_agrees_with_talib(bars, ticker):
    df = bars[ticker]
    _assert_agree(seed32(df), _talib_expected(df), ticker)


@pytest.mark.parametrize("ticker", [t for t, _ in SAMPLES])
def test_seed32_without_talib_agrees_after_warmup(bars, ticker, monkeypatch):
    "pandas-ta's own (pure pandas) code path, used when TA-Lib is absent, matches TA-Lib after warm-up."
    monkeypatch.setattr(indicators_mod, "_TALIB", False)
    df = bars[ticker]
    _assert_agree(seed32(df), _talib_expected(df), f"{ticker} (no TA-Lib)")


def test_seed32_shape_and_ranges(bars):
    f = engineer_features(bars["SPX"])
    assert list(f.columns) == SEED32_COLUMNS and f.index.equals(bars["SPX"].index)
    assert (f.dtypes == "float64").all()
    body = f.iloc[60:]
    assert not body.isna().any().any()
    assert body.rsi_14.between(0, 100).all() and body.willr_14.between(-100, 0).all()
    assert body.close_location.between(0, 1).all() and body.obv_slope_10.between(-1, 1).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), power=st.integers(-8, 12), vol=st.floats(1e-4, 3e-2))
def test_seed32_scale_free(seed, power, vol):
    "Prices times 2^k (exact in floating point) leave every feature unchanged."
    df = synthetic_ohlcv(300, "1D", seed=seed, vol=vol)
    scaled = df.assign(**{k: df[k] * 2.0 ** power for k in ["open", "high", "low", "close"]})
    a, b = seed32(df).iloc[60:].to_numpy(), seed32(scaled).iloc[60:].to_numpy()
    np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-9)


# ---------- lookahead detector ----------

@pytest.fixture(scope="module")
def frames(bars):
    return {"EURUSD_1h": bars["EURUSD"].iloc[:1500], "MSFT_1d": bars["MSFT"].iloc[-1200:],
            "synthetic_5m": synthetic_ohlcv(2500, "5min", seed=11, start="2024-01-02 00:00")}


@pytest.mark.parametrize("preset", sorted(FEATURE_PRESETS))
@pytest.mark.parametrize("frame", ["EURUSD_1h", "MSFT_1d", "synthetic_5m"])
def test_every_preset_is_past_only(frames, preset, frame):
    rep = check_lookahead(frames[frame], lambda d: engineer_features(d, preset), n_checks=6, seed=1, min_bars=250)
    assert rep.ok, f"{preset} on {frame}: leaky {rep.leaky_columns}\n{rep.details}"
    assert len(rep.details) == engineer_features(frames[frame], preset).shape[1]
    assert (rep.details.n_checked >= 6).all()


def test_planted_leak_is_caught(frames):
    df = frames["EURUSD_1h"]
    def leaky(d):
        return engineer_features(d, "seed32").assign(tomorrow=d.close.shift(-1) / d.close)
    rep = check_lookahead(df, leaky, n_checks=5)
    assert not rep.ok and rep.leaky_columns == ["tomorrow"]
    assert rep.details.loc["tomorrow", "n_mismatch"] == rep.details.loc["tomorrow", "n_checked"]
    with pytest.raises(LeakageError, match="tomorrow"):
        rep.raise_if_leaky()
    assert check_lookahead(df, lambda d: engineer_features(d, "seed32"), n_checks=5).raise_if_leaky().ok


@settings(max_examples=10, deadline=None)
@given(shift=st.integers(1, 30), col=st.sampled_from(["open", "high", "low", "close", "volume"]), seed=st.integers(0, 99))
def test_any_future_shift_is_caught(shift, col, seed):
    df = synthetic_ohlcv(400, "1h", seed=seed)
    rep = check_lookahead(df, lambda d: d[[col]].shift(-shift).rename(columns={col: "leak"}).assign(ok=d.close.diff()),
                          n_checks=5, seed=seed)
    assert rep.leaky_columns == ["leak"]


def test_regimes_are_past_only_after_fit(bars):
    df = bars["SPX"]
    train, rest = df.iloc[:3000], df.iloc[3000:]
    hmm, an = HMMRegime(n_states=3, n_iter=50).fit(train), AnomalyScore(n_estimators=50).fit(train)
    for model in (hmm, an):
        rep = check_lookahead(rest, model.transform, n_checks=6)
        assert rep.ok, rep.details
    # hmmlearn's smoothed posteriors read the future, and the detector says so
    smoothed = lambda d: pd.DataFrame(hmm.model.predict_proba(np.nan_to_num(hmm._inputs(d))), index=d.index)
    assert not check_lookahead(rest, smoothed, n_checks=6).ok
    p = hmm.transform(rest).dropna()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-9)


def test_regimes_are_deterministic(bars):
    "Same training window and seed: the same probabilities (DESIGN rule 6)."
    df = bars["SPX"]
    a = HMMRegime(n_iter=30, seed=3).fit(df.iloc[:2000]).transform(df.iloc[1500:2500])
    b = HMMRegime(n_iter=30, seed=3).fit(df.iloc[:2000]).transform(df.iloc[1500:2500])
    pd.testing.assert_frame_equal(a, b)


# ---------- warm-up ----------

def test_warmup_report_is_sensible(bars):
    wu = warmup_bars(bars["SPX"], n_ends=2)
    assert list(wu.index) == SEED32_COLUMNS and not wu.isna().any()
    assert 50 <= wu["close_sma50_pct"] <= 70          # a 50-bar window needs about 50 bars
    assert wu["log_return_1"] <= 31                   # seed32's shortest accepted history
    assert wu["adx_14"] > wu["rsi_14"] > 14           # Wilder smoothing needs several periods; ADX smooths twice
    assert wu.max() < 1000


def test_warmup_of_a_planted_cumulative_feature(bars):
    "A cumulative sum never stabilises (its level depends on where history starts): NaN."
    wu = warmup_bars(bars["SPX"], fn=lambda d: pd.DataFrame({"cum": d.volume.cumsum(), "ret": d.close.pct_change()}),
                     lengths=[10, 50, 200], n_ends=1)
    assert np.isnan(wu["cum"]) and wu["ret"] == 10


# ---------- multi-timeframe ----------

@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 500), n=st.integers(400, 900))
def test_mtf_uses_only_closed_higher_bars(seed, n):
    bars5 = synthetic_ohlcv(n, "5min", seed=seed, start="2024-03-04 00:00")
    close60 = higher_timeframe(bars5, "60m", fn=lambda c: c[["close"]])
    hourly = resample_ohlcv(bars5, "60m", drop_partial=False)
    # expected: the close of the latest hour whose last 5m bar has closed by this bar's close
    bar_end = bars5.index + pd.Timedelta("5min")
    hour_end = hourly.index.floor("60min") + pd.Timedelta("60min")
    j = np.searchsorted(hour_end.asi8, bar_end.asi8, side="right") - 1
    exp = np.where(j >= 0, hourly.close.to_numpy()[np.clip(j, 0, None)], np.nan)
    np.testing.assert_array_equal(close60.close.to_numpy(), exp)


def test_mtf_confirmation_values(frames):
    m = mtf_features(frames["synthetic_5m"])
    assert {"trend_base", "trend_15m", "trend_60m", "mtf_confirm"} <= set(m.columns)
    t = m[["trend_base", "trend_15m", "trend_60m"]].dropna()
    c = m.mtf_confirm.loc[t.index]
    assert ((c == 1) == (t == 1).all(axis=1)).all() and ((c == -1) == (t == -1).all(axis=1)).all()


def test_vwap_daily_is_rolling(bars):
    v = vwap_features(bars["MSFT"], window=20)
    assert v.iloc[:19].isna().all().all() and v.iloc[19:].vwap_dev_pct.notna().all()


# ---------- order book ----------

def test_orderbook_features_on_synthetic_l2():
    book, trades = synthetic_l2(500, levels=6, seed=4)
    f = orderbook_features(book, trades, depth=4, window="5s")
    assert f.imbalance_4.between(-1, 1).all() and (f.spread_bps > 0).all()
    assert f.size_hhi_ask.between(0.25, 1).all() and f.round_lot_share.between(0, 1).all()
    for i in (0, 123, 499):
        t = book.index[i]
        inwin = trades[(trades.index > t - pd.Timedelta("5s")) & (trades.index <= t)]
        assert f.trade_rate.iloc[i] == pytest.approx(len(inwin) / 5)
        if len(inwin):
            assert f.trade_flow_imbalance.iloc[i] == pytest.approx((inwin["size"] * inwin.side).sum() / inwin["size"].sum())
    assert check_lookahead(book, lambda b: orderbook_features(b, trades), n_checks=8, min_bars=50).ok


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), depth=st.integers(1, 5))
def test_orderbook_mirror_symmetry(seed, depth):
    "Swapping bid and ask sizes negates the imbalances and leaves the spread unchanged."
    book, _ = synthetic_l2(50, levels=5, seed=seed)
    swapped = book.copy()
    for i in range(1, 6):
        swapped[f"bid_sz_{i}"], swapped[f"ask_sz_{i}"] = book[f"ask_sz_{i}"], book[f"bid_sz_{i}"]
    a, b = orderbook_features(book, depth=depth), orderbook_features(swapped, depth=depth)
    np.testing.assert_allclose(b[f"imbalance_{depth}"], -a[f"imbalance_{depth}"], atol=1e-12)
    np.testing.assert_allclose(b.spread_bps, a.spread_bps)


# ---------- bad input ----------

def test_bad_input_raises_kit_errors(bars):
    df = bars["MSFT"]
    cases = [
        (lambda: engineer_features(df.drop(columns="high")), DataError, "missing column(s) ['high']"),
        (lambda: engineer_features(df.iloc[:10]), DataError, "needs at least 30 bars, got 10"),
        (lambda: engineer_features(df.reset_index()), DataError, "index must be a DatetimeIndex"),
        (lambda: engineer_features(df.iloc[::-1]), DataError, "not sorted"),
        (lambda: engineer_features(df, "seed33"), ConfigError, "unknown feature preset(s) ['seed33']"),
        (lambda: engineer_features(df.iloc[:100], "mtf"), DataError, "needs at least 200 bars"),
        (lambda: engineer_features(df.assign(close="x")), DataError, "must be numeric"),
        (lambda: check_lookahead(df.iloc[:50]), DataError, "needs more than"),
        (lambda: HMMRegime().transform(df), ConfigError, "call .fit"),
        (lambda: orderbook_features(synthetic_l2(20, levels=3)[0], depth=4), ConfigError, "depth must be 1..3"),
    ]
    for fn, err, msg in cases:
        with pytest.raises(err, match=None) as e:
            fn()
        assert isinstance(e.value, TradingKitError) and msg in str(e.value), str(e.value)


def test_list_presets_names_every_preset():
    lp = list_presets()
    assert set(lp.index) == set(FEATURE_PRESETS) and {"seed32", "macd_intraday", "rsi_intraday", "vwap", "kalman", "mtf", "intraday"} <= set(lp.index)


def test_regime_models_reject_unknown_input_columns():
    "review1: an unknown column name raised pandas' KeyError at fit time."
    from trading_kit.regimes import AnomalyScore, HMMRegime
    for cls in (AnomalyScore, HMMRegime):
        with pytest.raises(ConfigError, match="nope"): cls(columns=["log_return", "nope"])
    with pytest.raises(ConfigError, match="n_states"): HMMRegime(n_states=None)


def test_intraday_bad_arguments_are_kit_errors():
    "review1: a bad rule / session_start raised pandas' ValueError; vol_window=0 silently gave NaN columns."
    from trading_kit.intraday import kalman_features, vwap
    df = synthetic_ohlcv(300)
    with pytest.raises(ConfigError, match="zz"): higher_timeframe(df, "zz")
    with pytest.raises(ConfigError, match="session_start"): vwap(df, session_start="xx")
    with pytest.raises(ConfigError, match="vol_window"): kalman_features(df, vol_window=0)


def test_more_bad_feature_input_is_a_kit_error():
    "review1: each of these raised a raw pandas/numpy/Python error or gave silent NaN."
    from trading_kit.intraday import bar_interval, kalman_trend
    df = synthetic_ohlcv(400, "5min")
    dup = pd.concat([df.iloc[:200], df.iloc[199:]])
    book, trades = synthetic_l2(100)
    bad_size = trades.copy(); bad_size.iloc[5, trades.columns.get_loc("size")] = np.nan
    cases = [(lambda: mtf_features(dup), DataError, "duplicate"),
             (lambda: engineer_features(dup), DataError, "duplicate"),
             (lambda: bar_interval(pd.DatetimeIndex(["2024-01-01"] * 3)), DataError, "bar_interval"),
             (lambda: kalman_trend(pd.Series([1.0, 2, -1, 3, 4])), DataError, "> 0"),
             (lambda: orderbook_features(book, bad_size), DataError, "size"),
             (lambda: orderbook_features(book, trades, window="xx"), ConfigError, "window"),
             (lambda: orderbook_features(book, trades, window="0s"), ConfigError, "window"),
             (lambda: orderbook_features(book, trades, depth="3"), ConfigError, "depth"),
             (lambda: warmup_bars(df, lambda d: d[["close"]].rolling(3).mean(), lengths=[0, 5]), ConfigError, "lengths"),
             (lambda: check_lookahead(df, lambda d: d[["close"]], n_checks=2.5), ConfigError, "n_checks"),
             (lambda: engineer_features(df, None), ConfigError, "preset"),
             (lambda: engineer_features(df, "seed32", foo=1), ConfigError, "foo"),
             (lambda: engineer_features(df, ["seed32", "vwap"], vwap={"foo": 1}), ConfigError, "foo")]
    for fn, err, msg in cases:
        with pytest.raises(err, match=msg): fn()
    # the options that do exist still pass through
    assert engineer_features(df, ["seed32", "vwap"], vwap={"window": 30}).shape[0] == len(df)


def test_combined_preset_rejects_stray_options():
    "review1: engineer_features(df, 'intraday', foo=1) silently ignored foo (options go per sub-preset)."
    df = synthetic_ohlcv(400, "5min")
    with pytest.raises(ConfigError, match="foo"): engineer_features(df, "intraday", foo=1)
    with pytest.raises(ConfigError, match="bar"): engineer_features(df, "intraday", vwap={"bar": 1})


# ---------- issue 17: the faster seed32 gives the values it gave before ----------

def _rolling_before(a, length, how="mean", ddof=0):
    "indicators.rolling as it was before issue 17 (frozen)."
    a = np.ascontiguousarray(a, dtype="float64")
    if len(a) < length: return np.full(len(a), np.nan)
    nan = np.isnan(a)
    if indicators_mod._TALIB and nan.sum() == np.argmax(~nan):
        f = {"mean": talib.SMA, "sum": talib.SUM, "max": talib.MAX, "min": talib.MIN}.get(how)
        if f is not None: return f(a, length)
        if how == "std": return talib.STDDEV(a, length, 1.0) * np.sqrt(length / (length - ddof))
    r = pd.Series(a).rolling(length)
    return r.std(ddof=ddof).to_numpy() if how == "std" else getattr(r, how)().to_numpy()


def _engineer_seed32_before(df):
    "engineer_features(df, 'seed32') as it was before issue 17 (frozen copy: seed32 + the frame-wide inf mask)."
    m = features_mod
    b = m.check_bars(df, 30, "seed32")
    o, h, l, c, v = (b[k].to_numpy() for k in ["open", "high", "low", "close", "volume"])
    out = np.empty((len(SEED32_COLUMNS), len(c)))
    F = {k: out[i] for i, k in enumerate(SEED32_COLUMNS)}
    def ratio(a, b, k, minus=0.0, scale=1.0):
        np.divide(a, b, out=F[k])
        if minus: F[k] -= minus
        if scale != 1.0: F[k] *= scale
    a14 = m.atr(h, l, c, 14)
    with np.errstate(all="ignore"):
        logc = np.log(c)
        F["rsi_9"][:], F["rsi_14"][:] = m.rsi(c, 9), m.rsi(c, 14)
        ratio(m.macd(c, 5, 13, 1)[0], a14, "macd_5_13_1_atr")
        line, signal, hist = m.macd(c, 12, 26, 9)
        ratio(line, a14, "macd_12_26_9_atr"); ratio(signal, a14, "macds_12_26_9_atr"); ratio(hist, a14, "macdh_12_26_9_atr")
        ratio(line, c, "macd_12_26_9_pct", scale=100); ratio(a14, c, "atr_14_pct", scale=100)
        lower, mid, upper = m.bbands(c, 10, 2.0)
        width = upper - lower
        ratio(c - lower, width, "bb_pctb_10_2")
        F["bb_pctb_10_2"][width <= 1e-12 * c] = 0.5
        ratio(width, mid, "bb_width_10_2")
        ratio(v, _rolling_before(v, 20), "volume_ratio_20")
        ob = m.obv(c, v)
        F["obv_slope_10"][:10] = np.nan
        np.divide(ob[10:] - ob[:-10], _rolling_before(v, 10, "sum")[10:], out=F["obv_slope_10"][10:])
        F["adx_14"][:], F["plus_di_14"][:], F["minus_di_14"][:] = (
            (talib.ADX(h, l, c, 14), talib.PLUS_DI(h, l, c, 14), talib.MINUS_DI(h, l, c, 14)) if indicators_mod._TALIB
            else m.adx(h, l, c, 14))
        r = F["log_return_1"]
        r[0] = np.nan; np.subtract(logc[1:], logc[:-1], out=r[1:])
        F["log_return_5"][:5] = np.nan; np.subtract(logc[5:], logc[:-5], out=F["log_return_5"][5:])
        F["volatility_20"][:] = _rolling_before(r, 20, "std", ddof=1)
        F["roc_12"][:] = m.roc(c, 12)
        F["stoch_k_14_3"][:], F["stoch_d_14_3"][:] = m.stoch(h, l, c, 14, 3, 3)
        F["willr_14"][:], F["cci_20"][:], F["mfi_14"][:] = m.willr(h, l, c, 14), m.cci(h, l, c, 20), m.mfi(h, l, c, v, 14)
        sma20, sma50, std20 = _rolling_before(c, 20), _rolling_before(c, 50), _rolling_before(c, 20, "std")
        ratio(c, sma20, "close_sma20_pct", 1, 100); ratio(c, sma50, "close_sma50_pct", 1, 100)
        ratio(sma20, sma50, "sma20_sma50_pct", 1, 100)
        ratio(c - sma20, std20, "zscore_20")
        F["zscore_20"][std20 <= 1e-12 * c] = 0.0
        ratio(h - l, c, "range_pct", scale=100)
        ratio(c - l, h - l, "close_location")
        F["close_location"][h <= l] = 0.5
        F["gap_pct"][0] = np.nan; np.divide(o[1:], c[:-1], out=F["gap_pct"][1:]); F["gap_pct"][1:] -= 1; F["gap_pct"][1:] *= 100
        ratio(c, _rolling_before(h, 20, "max"), "drawdown_20_pct", 1, 100)
    out[np.isinf(out)] = np.nan
    f = pd.DataFrame(out.T, index=df.index, columns=SEED32_COLUMNS, copy=False).astype("float64")
    return f.mask(~np.isfinite(f))


def _awkward_bars(n=3000, seed=5):
    "Synthetic bars with flat stretches, zero volume, a zero-range bar, a NaN and a zero close: every special case of seed32."
    df = synthetic_ohlcv(n, "1min", seed=seed)
    px = ["open", "high", "low", "close"]
    df.iloc[500:540, :4] = 100.0                                  # flat: ATR, band width, std20 and h - l all 0
    df.iloc[800:830, df.columns.get_loc("volume")] = 0.0          # zero volume: volume ratio and OBV slope 0/0
    df.iloc[1200, :4] = df.iloc[1200][px].mean()                  # one zero-range bar
    df.iloc[2600, df.columns.get_loc("close")] = np.nan           # a hole: TA-Lib's running sums cannot skip it
    df.iloc[2000, [df.columns.get_loc("low"), df.columns.get_loc("close")]] = 0.0   # a zero price: x / 0 and log(0) give inf
    return df


def _frames_for_parity(bars):
    return {**{t: bars[t] for t, _ in SAMPLES}, "synthetic_1m": synthetic_ohlcv(20_000, "1min", seed=3),
            "synthetic_1d": synthetic_ohlcv(1500, "1D", seed=8, vol=0.02), "awkward": _awkward_bars(),
            "short_40": synthetic_ohlcv(40, "1h", seed=2)}


@pytest.mark.parametrize("talib_on", [True, False])
def test_engineer_features_equals_the_version_before_issue17(bars, talib_on, monkeypatch):
    "Same columns, dtypes, index, NaN pattern and values (to 1e-9) as before the speed-up, with and without TA-Lib."
    monkeypatch.setattr(indicators_mod, "_TALIB", talib_on)
    for name, df in _frames_for_parity(bars).items():
        if not talib_on and len(df) > 5000: continue     # pandas-ta's path is slow; the short frames cover it
        got, exp = engineer_features(df), _engineer_seed32_before(df)
        assert list(got.columns) == list(exp.columns) and got.index.equals(exp.index), name
        assert (got.dtypes == "float64").all(), name
        g, e = got.to_numpy(), exp.to_numpy()
        assert not np.isinf(g).any(), name
        assert (np.isnan(g) == np.isnan(e)).all(), f"{name}: NaN pattern differs in {got.columns[(np.isnan(g) != np.isnan(e)).any(0)].tolist()}"
        np.testing.assert_allclose(g, e, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=name)
        np.testing.assert_allclose(seed32(df).to_numpy(), e, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=name)


def test_msft_prepares_on_an_install_without_talib(bars, monkeypatch):
    "pandas-ta's 0/0 on MSFT's flat 1986 windows used to be a NaN after the warm-up: prepare_data refused the ticker."
    from trading_kit.datasets import prepare_data
    monkeypatch.setattr(indicators_mod, "_TALIB", False)
    df = bars["MSFT"]
    data = prepare_data(engineer_features(df), df["close"], ticker="MSFT")
    assert data.X.shape[1] == 32 and np.isfinite(data.X).all()
