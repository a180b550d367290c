"The data layer: sample files, validation rules, the Parquet cache, CSV files, resampling, many tickers."
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import FakeProvider, make_bars
from trading_kit.core import ConfigError, DataError, ProviderError, TradingKitError
from trading_kit.data import (OHLCV, CSVProvider, DataWarning, SampleProvider, cache_path, load_ohlcv,
                              load_universe, read_cache, resample_ohlcv, validate_ohlcv, write_cache)

SAMPLES = {"MSFT": ("1d", 7983), "SPX": ("1d", 5031), "GOOG": ("1d", 2148), "EURUSD": ("1h", 5000)}


@pytest.mark.parametrize("ticker", SAMPLES)
def test_every_sample_file_loads_and_validates(ticker):
    interval, n = SAMPLES[ticker]
    df = load_ohlcv(ticker, interval=interval)
    assert list(df.columns) == OHLCV and len(df) == n
    assert all(df[c].dtype == np.float64 for c in OHLCV)
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.tz is None and df.index.name == "date"
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert df.notna().all().all() and (df[["open", "high", "low", "close"]] > 0).all().all()
    # nothing dropped or filled: the frame equals the raw CSV's numbers
    raw = pd.read_csv(Path(__file__).parents[1] / "data" / "sample" / f"{ticker}_{interval}.csv",
                      index_col=0, parse_dates=True)
    np.testing.assert_array_equal(df.to_numpy(), raw[OHLCV].to_numpy(dtype=float))


def test_no_network_needed_for_the_readme_one_liner(monkeypatch):
    import socket
    def no_net(*a, **k):
        raise AssertionError("network used")
    monkeypatch.setattr(socket.socket, "connect", no_net)
    assert len(load_ohlcv("MSFT").tail()) == 5


def test_start_end_inclusive():
    df = load_ohlcv("SPX", start="2018-01-02", end="2018-01-05")
    assert df.index[0] == pd.Timestamp("2018-01-02") and df.index[-1] == pd.Timestamp("2018-01-05")
    h = load_ohlcv("EURUSD", interval="1h", start="2017-05-02", end="2017-05-02")
    assert h.index[0].date() == h.index[-1].date() == pd.Timestamp("2017-05-02").date() and len(h) > 20


def test_sample_hourly_resampled_to_daily_and_4h():
    d = load_ohlcv("EURUSD", interval="1d")
    h = load_ohlcv("EURUSD", interval="1h")
    day = h.loc["2017-06-01"]
    row = d.loc[day.index[-1]]   # stamped with its last hourly bar
    assert row["open"] == day["open"].iloc[0] and row["close"] == day["close"].iloc[-1]
    assert row["high"] == day["high"].max() and row["low"] == day["low"].min()
    assert row["volume"] == day["volume"].sum()
    assert len(load_ohlcv("EURUSD", interval="4h")) > len(d)


# ---- bad input: every rule raises a TradingKitError naming what is wrong ----

def _bad(kind):
    b = make_bars(10)
    if kind == "duplicates":
        b = pd.concat([b.iloc[:5], b.iloc[[4]].assign(close=b.close.iloc[4] * 1.001, high=b.high.iloc[4] * 1.01), b.iloc[5:]])
    elif kind == "unsorted":
        b = b.iloc[[0, 1, 3, 2, 4, 5, 6, 7, 8, 9]]
    elif kind == "nan":
        b.iloc[3, 1] = np.nan
    elif kind == "zero":
        b.iloc[2, 3] = 0.0
    elif kind == "negative":
        b.iloc[2, 2] = -1.0
    elif kind == "high_lt_low":
        b.iloc[6, 1], b.iloc[6, 2] = b.iloc[6, 2], b.iloc[6, 1]
    elif kind == "missing":
        b = b.drop(columns="low")
    elif kind == "text":
        b = b.astype({"volume": object}); b.iloc[5, 4] = "12k"
    elif kind == "empty":
        b = b.iloc[:0]
    elif kind == "inf":
        b.iloc[1, 4] = np.inf
    return b


@pytest.mark.parametrize("kind,needle", [
    ("duplicates", "duplicate timestamp 2024-01-05"), ("unsorted", "not sorted: 2024-01-03"),
    ("nan", "NaN in ['high'] at 2024-01-04"), ("zero", "close > 0 broken at 2024-01-03"),
    ("negative", "low > 0 broken at 2024-01-03"), ("high_lt_low", "high >= low broken at 2024-01-07"),
    ("missing", "missing column(s) ['low']"), ("text", "'volume' is not numeric at 2024-01-06"),
    ("empty", "empty"), ("inf", "infinite volume at 2024-01-02"),
])
def test_bad_bars_raise_data_error_naming_the_problem(kind, needle):
    with pytest.raises(DataError) as e:
        validate_ohlcv(_bad(kind), "BAD")
    assert "BAD" in str(e.value) and needle in str(e.value)


def test_repair_only_what_is_safe():
    b = make_bars(10)
    messy = pd.concat([b.iloc[[0, 2, 1]], b.iloc[[2]], b.iloc[3:]])
    with pytest.warns(DataWarning) as w:
        fixed = validate_ohlcv(messy, "X", repair=True)
    pd.testing.assert_frame_equal(fixed, validate_ohlcv(b, "X"), check_freq=False)
    assert fixed.attrs["repairs"] == ["sorted the index", "dropped 1 exact duplicate row(s), first at 2024-01-03 00:00:00"]
    assert len(w) == 2
    for kind in ("nan", "zero", "high_lt_low", "duplicates"):  # repair never fills or picks a winner
        with pytest.raises(DataError):
            validate_ohlcv(_bad(kind), "X", repair=True)


def test_validate_does_not_mutate_its_input():
    b = _bad("unsorted"); before = b.copy()
    with pytest.warns(DataWarning):
        validate_ohlcv(b, "X", repair=True)
    pd.testing.assert_frame_equal(b, before)


@pytest.mark.parametrize("call,exc,needle", [
    (lambda: load_ohlcv("NOPE"), ProviderError, "unknown ticker"),
    (lambda: load_ohlcv("MSFT", interval="3d"), ConfigError, "unknown interval '3d'"),
    (lambda: load_ohlcv("MSFT", provider="nosuch"), ConfigError, "unknown provider"),
    (lambda: load_ohlcv("MSFT", start="2020-01-01", end="2019-01-01"), ConfigError, "after end"),
    (lambda: load_ohlcv("MSFT", start="not-a-date"), ConfigError, "bad start/end"),
    (lambda: load_ohlcv("MSFT", start="2030-01-01"), DataError, "no bars between"),
    (lambda: load_ohlcv(""), ConfigError, "non-empty"),
    (lambda: load_ohlcv("MSFT", interval="1h"), ProviderError, "none finer"),
])
def test_bad_requests(call, exc, needle):
    with pytest.raises(exc, match=needle.replace("(", r"\(")):
        call()
    assert issubclass(exc, TradingKitError)


# ---- the cache ----

def test_cache_round_trip_and_no_refetch_when_covered(cache_dir):
    bars = make_bars(30)
    prov = FakeProvider(bars)
    a = load_ohlcv("ABC", end="2024-01-30", provider=prov, cache_dir=cache_dir)
    path = cache_path("fake", "ABC", "1d", cache_dir)
    assert path.exists() and len(prov.calls) == 1
    pd.testing.assert_frame_equal(read_cache(path, "ABC"), a, check_freq=False)
    b = load_ohlcv("ABC", start="2024-01-05", end="2024-01-20", provider=prov, cache_dir=cache_dir)
    assert len(prov.calls) == 1  # served from the cache
    pd.testing.assert_frame_equal(b, a.loc["2024-01-05":"2024-01-20"], check_freq=False)


def test_cache_merges_new_bars_and_fresh_values_win(cache_dir):
    bars = make_bars(40)
    prov = FakeProvider(bars.iloc[:25])
    load_ohlcv("ABC", provider=prov, cache_dir=cache_dir)
    revised = bars.copy()
    revised.iloc[24, :4] = revised.iloc[24, :4] * 1.01  # the provider corrects the last cached bar
    prov.bars = revised
    out = load_ohlcv("ABC", provider=prov, cache_dir=cache_dir)
    assert len(out) == 40
    assert prov.calls[-1][1] == bars.index[24]  # only fetched from the last cached bar on
    np.testing.assert_allclose(out.iloc[24].to_numpy(), revised.iloc[24].to_numpy())
    assert len(read_cache(cache_path("fake", "ABC", "1d", cache_dir))) == 40


def test_truncated_cache_is_rebuilt_never_returned(cache_dir):
    prov = FakeProvider(make_bars(30))
    load_ohlcv("ABC", provider=prov, cache_dir=cache_dir)
    path = cache_path("fake", "ABC", "1d", cache_dir)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.warns(DataWarning, match="corrupt"):
        out = load_ohlcv("ABC", provider=prov, cache_dir=cache_dir)
    assert len(out) == 30 and len(prov.calls) == 2
    assert len(read_cache(path)) == 30


def test_cache_with_invalid_bars_is_rebuilt(cache_dir):
    path = cache_path("fake", "ABC", "1d", cache_dir)
    write_cache(_bad("high_lt_low"), path)
    with pytest.warns(DataWarning, match="corrupt"):
        assert read_cache(path, "ABC") is None
    assert not path.exists()


def test_provider_failure_uses_cache_and_says_how_old(cache_dir):
    prov = FakeProvider(make_bars(30))
    load_ohlcv("ABC", provider=prov, cache_dir=cache_dir)
    path = cache_path("fake", "ABC", "1d", cache_dir)
    old = path.stat().st_mtime - 3 * 86400
    os.utime(path, (old, old))
    prov.fail = True
    with pytest.warns(DataWarning, match=r"fake outage.*3\.0 days.*last bar 2024-01-30"):
        out = load_ohlcv("ABC", provider=prov, cache_dir=cache_dir)
    assert len(out) == 30


def test_provider_failure_without_cache_raises(cache_dir):
    with pytest.raises(ProviderError, match="fake outage"):
        load_ohlcv("ABC", provider=FakeProvider(make_bars(5), fail=True), cache_dir=cache_dir)


def test_cache_write_is_atomic(cache_dir, monkeypatch):
    path = cache_path("fake", "ABC", "1d", cache_dir)
    write_cache(make_bars(10), path)
    before = path.read_bytes()

    def crash(self, target, *a, **k):
        Path(target).write_bytes(b"PAR1 half written")
        raise KeyboardInterrupt("interrupted mid-write")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", crash)
    with pytest.raises(KeyboardInterrupt):
        write_cache(make_bars(20), path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind


# ---- the user's own files ----

def test_csv_provider_reads_yahoo_style_csv_and_parquet(tmp_path):
    b = make_bars(12)
    yahoo = b.rename(columns=str.title).assign(**{"Adj Close": b.close * 0.98})
    yahoo.index.name = "Date"
    yahoo.to_csv(tmp_path / "ABC_1d.csv")
    b.to_parquet(tmp_path / "XYZ.parquet")
    prov = CSVProvider(tmp_path)
    assert prov.tickers() == ["ABC", "XYZ"]
    with pytest.warns(DataWarning, match="ABC: 'Adj Close'"):
        got = load_ohlcv("ABC", provider=prov)
    np.testing.assert_allclose(got.close, b.close * 0.98)  # adjusted, as yfinance's auto_adjust
    pd.testing.assert_frame_equal(load_ohlcv("xyz", provider=prov), validate_ohlcv(b), check_freq=False)
    with pytest.raises(ProviderError, match="available: \\['ABC', 'XYZ'\\]"):
        load_ohlcv("QQQ", provider=prov)


def test_csv_provider_missing_folder(tmp_path):
    with pytest.raises(ProviderError, match="does not exist"):
        load_ohlcv("ABC", provider=CSVProvider(tmp_path / "nope"))


def test_csv_without_dates_is_a_data_error(tmp_path):
    make_bars(5).reset_index(drop=True).to_csv(tmp_path / "ABC.csv", index=False)
    with pytest.raises(DataError, match="no date column"):
        load_ohlcv("ABC", provider=CSVProvider(tmp_path))


def test_sample_dir_from_environment(tmp_path, monkeypatch):
    make_bars(8).to_csv(tmp_path / "ZZZ_1d.csv")
    monkeypatch.setenv("TRADING_KIT_SAMPLE_DIR", str(tmp_path))
    assert SampleProvider().tickers() == ["ZZZ"]


# ---- resampling ----

def test_resample_matches_hand_computed_4h_bars():
    h = load_ohlcv("EURUSD", interval="1h").loc["2017-05-02"]
    four = resample_ohlcv(h, "4h", drop_partial=False)
    for start in range(0, 24, 4):
        block = h[(h.index.hour >= start) & (h.index.hour < start + 4)]
        if block.empty:
            continue
        row = four.loc[block.index[-1]]
        assert (row.open, row.high, row.low, row.close, row.volume) == (
            block.open.iloc[0], block.high.max(), block.low.min(), block.close.iloc[-1], block.volume.sum())


@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 120), minutes=st.sampled_from([15, 30, 60]), seed=st.integers(0, 10_000),
       holes=st.lists(st.integers(0, 119), max_size=15))
def test_resample_property_each_bar_is_known_when_its_last_source_bar_closes(n, minutes, seed, holes):
    b = make_bars(n, start="2024-03-04 09:30", freq="5min", seed=seed)
    b = b.drop(b.index[[h for h in set(holes) if h < n - 1]])
    out = resample_ohlcv(b, f"{minutes}min", drop_partial=False)
    assert out.index.isin(b.index).all()  # stamped with a real source bar
    assert out.volume.sum() == pytest.approx(b.volume.sum())
    for ts, row in out.iterrows():
        bin_start = ts.floor(f"{minutes}min")
        src = b[(b.index >= bin_start) & (b.index <= ts)]
        assert src.index[-1] == ts and (b[(b.index > ts) & (b.index < bin_start + pd.Timedelta(minutes=minutes))]).empty
        assert row.open == src.open.iloc[0] and row.close == src.close.iloc[-1]
        assert row.high == src.high.max() and row.low == src.low.min()
    # the truncation test: resampling df[:t] never changes a complete bar stamped <= t
    cut = b.index[len(b) // 2]
    early = resample_ohlcv(b[b.index <= cut], f"{minutes}min", drop_partial=False)
    complete = early.index[early.index < cut.floor(f"{minutes}min")]
    pd.testing.assert_frame_equal(early.loc[complete], out.loc[complete])


def test_resample_drops_a_partial_final_bar():
    b = make_bars(14, start="2024-03-04 09:00", freq="15min")  # 3.5 hours
    assert len(resample_ohlcv(b, "1h")) == 3
    assert len(resample_ohlcv(b, "1h", drop_partial=False)) == 4


# ---- many tickers ----

def test_load_universe_reports_the_bad_ticker_and_loads_the_rest():
    frames, errors = load_universe(["MSFT", "NOPE", "GOOG"], progress=False)
    assert list(frames) == ["MSFT", "GOOG"]
    assert list(errors) == ["NOPE"] and errors["NOPE"].startswith("ProviderError") and "unknown ticker" in errors["NOPE"]


def test_load_universe_accepts_a_string():
    frames, errors = load_universe("MSFT, SPX", progress=False)
    assert list(frames) == ["MSFT", "SPX"] and not errors


def test_weekly_bars_are_monday_to_friday_weeks_stamped_on_their_last_day():
    d = load_ohlcv("SPX")
    w = resample_ohlcv(d, "1wk", drop_partial=False)
    week = d.index.to_period("W-SUN")
    last_day = d.index.to_series().groupby(week).max()
    assert list(w.index) == list(last_day)
    first = d.groupby(week).first()
    np.testing.assert_array_equal(w["open"].to_numpy(), first["open"].to_numpy())
    assert (w.index.dayofweek <= 4).all()


def test_cache_never_keeps_a_hole_when_an_earlier_range_is_asked_for(tmp_path):
    "review1: asking for a range that ends before the cached bars used to cache two islands with a silent hole between them."
    full = make_bars(200, start="2020-01-01")
    prov = FakeProvider(full)
    load_ohlcv("X", start="2020-04-01", end="2020-05-01", provider=prov, cache_dir=tmp_path)
    early = load_ohlcv("X", start="2020-01-05", end="2020-01-20", provider=prov, cache_dir=tmp_path)
    assert (early.index[0], early.index[-1]) == (pd.Timestamp("2020-01-05"), pd.Timestamp("2020-01-20"))
    both = load_ohlcv("X", start="2020-01-05", end="2020-05-01", provider=prov, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(both, validate_ohlcv(full.loc["2020-01-05":"2020-05-01"]), check_freq=False)


def test_all_history_after_a_later_start_is_still_all_history(tmp_path):
    "review1: start=None (all history) after a cached later start returned only the cached bars, silently."
    full = make_bars(120, start="2020-01-01")
    prov = FakeProvider(full)
    load_ohlcv("X", start="2020-03-01", provider=prov, cache_dir=tmp_path)
    out = load_ohlcv("X", provider=prov, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(out, validate_ohlcv(full), check_freq=False)
    n = len(prov.calls)
    load_ohlcv("X", provider=prov, cache_dir=tmp_path)   # now known to start at the first bar: fetch only the tail
    assert len(prov.calls) == n + 1 and prov.calls[-1][1] == full.index[-1]
    load_ohlcv("X", start="2020-02-01", provider=prov, cache_dir=tmp_path, refresh=True)   # refresh from a later start
    load_ohlcv("X", provider=prov, cache_dir=tmp_path)
    assert prov.calls[-1][1] is None                      # asks for all history again


def test_more_bad_data_input_is_a_kit_error():
    "review1: each of these raised a raw pandas/Python error."
    from trading_kit.data import standardize_ohlcv, summarize_ohlcv
    b = make_bars(30)
    cases = [(lambda: resample_ohlcv(b.reset_index(drop=True), "1wk"), DataError, "DatetimeIndex"),
             (lambda: resample_ohlcv(b.drop(columns="volume"), "1wk"), DataError, "volume"),
             (lambda: summarize_ohlcv(b.iloc[:0], "ABC"), DataError, "ABC"),
             (lambda: standardize_ohlcv([1, 2], "ABC"), DataError, "ABC"),
             (lambda: load_universe(5, progress=False), ConfigError, "tickers")]
    for fn, err, msg in cases:
        with pytest.raises(err, match=msg): fn()


# ---- the run's settings reach the loader (issue 16 item 6) ----

def _folder_with(folder, ticker, n=30, start="2024-01-01", seed=0):
    folder.mkdir(parents=True, exist_ok=True)
    make_bars(n, start, seed=seed).to_csv(folder / f"{ticker}_1d.csv")
    return folder


def test_every_data_setting_changes_what_is_loaded(tmp_path):
    from trading_kit.core import load_settings
    sample, csv = _folder_with(tmp_path / "s", "ABC"), _folder_with(tmp_path / "c", "ABC", n=20, seed=1)
    _folder_with(tmp_path / "s", "DEF", n=25)
    base = {"data.sample_dir": str(sample), "data.csv_dir": str(csv), "data.universe": "ABC DEF",
            "data.cache_dir": str(tmp_path / "cache")}
    cfg = load_settings(overrides=base)
    assert len(load_ohlcv("ABC", cfg)) == 30                  # sample_dir: the run's folder, not data/sample
    assert len(load_ohlcv("ABC", cfg.data)) == 30             # a DataConfig works as well as Settings
    assert len(load_ohlcv("ABC", load_settings(overrides={**base, "data.provider": "csv"}))) == 20  # provider, csv_dir
    assert len(load_ohlcv("ABC", load_settings(overrides={**base, "data.start": "2024-01-11"}))) == 20
    assert len(load_ohlcv("ABC", load_settings(overrides={**base, "data.end": "2024-01-10"}))) == 10
    assert len(load_ohlcv("ABC", load_settings(overrides={**base, "data.interval": "1wk"}))) < 10
    frames, errors = load_universe(None, cfg, progress=False)
    assert sorted(frames) == ["ABC", "DEF"] and not errors    # universe
    prov = FakeProvider(make_bars(10))
    load_ohlcv("ABC", cfg, provider=prov)
    assert cache_path("fake", "ABC", "1d", tmp_path / "cache").exists()   # cache_dir
    # a keyword beats the config; today's keyword forms still work
    assert len(load_ohlcv("ABC", cfg, end="2024-01-05")) == 5
    assert len(load_ohlcv("ABC", provider=CSVProvider(csv))) == 20
    from dataclasses import fields
    from trading_kit.core import DataConfig
    assert {f.name for f in fields(DataConfig)} == {"provider", "universe", "start", "end", "interval",
                                                   "sample_dir", "cache_dir", "csv_dir"}  # a new key needs a line above


def test_csv_dir_setting_and_bad_config(tmp_path, monkeypatch):
    from trading_kit.core import load_settings
    csv = _folder_with(tmp_path / "mine", "ABC", n=12)
    monkeypatch.setenv("TRADING_KIT_DATA_CSV_DIR", str(csv))
    assert len(load_ohlcv("ABC", provider="csv")) == 12       # no cfg: the project's settings (env included)
    assert CSVProvider().folder == csv
    with pytest.raises(ConfigError, match="keywords"):
        load_ohlcv("ABC", "2024-01-01")                       # the old positional start is refused clearly
    with pytest.raises(ConfigError, match="unknown data setting"):
        load_ohlcv("ABC", load_settings(), nosuch=1)


# ---- Yahoo-style CSVs are adjusted, and the load says so (issue 16 item 7) ----

def test_adj_close_scales_ohlc_and_keeps_volume(tmp_path):
    b = make_bars(6)
    ratio = np.array([0.5, 0.5, 0.5, 1.0, 1.0, 1.0])          # a 2:1 split after the third bar
    yahoo = b.rename(columns=str.title).assign(**{"Adj Close": b.close * ratio})
    yahoo.index.name = "Date"
    yahoo.to_csv(tmp_path / "ABC_1d.csv")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = load_ohlcv("ABC", provider=CSVProvider(tmp_path))
    msgs = [str(x.message) for x in w if issubclass(x.category, DataWarning)]
    assert len(msgs) == 1 and "ABC" in msgs[0] and "Adj Close / Close" in msgs[0]
    for c in ("open", "high", "low", "close"):
        np.testing.assert_allclose(got[c], b[c] * ratio)
    np.testing.assert_array_equal(got.volume, b.volume)
    with pytest.warns(DataWarning, match="unadjusted"):
        raw = load_ohlcv("ABC", provider=CSVProvider(tmp_path, adjust=False))
    np.testing.assert_allclose(raw.close, b.close)


def test_bad_adj_close_is_a_data_error(tmp_path):
    b = make_bars(5)
    yahoo = b.assign(**{"Adj Close": b.close.where(b.index != b.index[2], 0.0)})
    yahoo.to_csv(tmp_path / "ABC_1d.csv")
    with pytest.raises(DataError, match="ABC: 'Adj Close' .* at 2024-01-03"):
        load_ohlcv("ABC", provider=CSVProvider(tmp_path))


def test_sample_files_need_no_adjustment_and_say_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        load_ohlcv("MSFT")
