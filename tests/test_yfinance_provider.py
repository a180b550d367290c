"The yfinance provider against hand-made Yahoo v8 chart answers: yfinance itself runs, only the HTTP bytes are faked."
import json
import socket
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yfinance as yf
import yfinance.cache as yc
from yfinance.data import YfData

from trading_kit.core import ConfigError, ProviderError
from trading_kit.data import OHLCV, DataWarning, cache_path, get_provider, load_ohlcv, resample_ohlcv
from trading_kit.yfinance_provider import (RecordedYahooSession, YFinanceProvider, isolated_yfinance,
                                           yf_to_ohlcv)

ROOT = Path(__file__).parents[1]
FIX = ROOT / "tests" / "fixtures" / "yfinance"
T = pd.Timestamp


def fixture_json(name):
    return json.loads((FIX / name).read_text())


def sample(name):
    return pd.read_csv(ROOT / "data" / "sample" / name, index_col="date", parse_dates=True)


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch):
    "Any real connection attempt fails the test."
    def refuse(*a, **k):
        raise AssertionError("network used")
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def fake():
    with isolated_yfinance():
        yield RecordedYahooSession.from_folder(FIX)


@pytest.fixture
def waits():
    return []


def same(a, b):
    "Equal bars; the index unit (s/ms/ns) may differ after a Parquet round trip."
    pd.testing.assert_frame_equal(a, b, check_index_type=False, check_freq=False)


def provider(fake, waits, **kw):
    return YFinanceProvider(session=fake, sleep=waits.append, **kw)


# --- normal daily answer ---------------------------------------------------------------------------

def test_daily_bars_follow_the_ohlcv_contract(fake, waits):
    bars = provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert list(bars.columns) == OHLCV and all(bars[c].dtype == np.float64 for c in OHLCV)
    assert bars.index.tz is None and (bars.index == bars.index.normalize()).all()
    raw = sample("MSFT_1d.csv").loc["2017-08-01":"2017-08-31"]
    assert list(bars.index) == list(raw.index)  # end inclusive: 2017-08-31 is there
    np.testing.assert_allclose(bars["volume"], raw["volume"])
    assert waits == []


def test_inclusive_end_asks_yahoo_for_the_next_day(fake, waits):
    provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    (params,) = fake.chart_calls("MSFT")
    ny = "America/New_York"
    assert params["period1"] == int(T("2017-08-01").tz_localize(ny).timestamp())
    assert params["period2"] == int(T("2017-09-01").tz_localize(ny).timestamp())  # Yahoo's end is exclusive
    assert params["interval"] == "1d"


def test_auto_adjust_scales_ohlc_by_the_dividend_factor(fake, waits):
    adj = provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    with pytest.warns(DataWarning, match="MSFT: 'Adj Close' ignored"):   # unadjusted on request, and said
        raw = provider(fake, waits, auto_adjust=False).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    traded = sample("MSFT_1d.csv").loc["2017-08-01":"2017-08-31"]
    np.testing.assert_allclose(raw[["open", "high", "low", "close"]], traded[["open", "high", "low", "close"]], rtol=1e-6)
    factor = 1 - 0.39 / traded.loc["2017-08-14", "close"]
    before, after = adj.index < T("2017-08-15"), adj.index >= T("2017-08-15")
    for c in ("open", "high", "low", "close"):
        np.testing.assert_allclose(adj[c][before] / raw[c][before], factor, rtol=1e-6)
        np.testing.assert_allclose(adj[c][after], raw[c][after], rtol=1e-9)
    np.testing.assert_allclose(adj["volume"], raw["volume"])  # volume is never dividend-adjusted


def test_a_yahoo_style_csv_is_adjusted_as_yfinance_adjusts(fake, waits, tmp_path):
    "issue 16.7: the CSV provider's Adj Close policy is yfinance's auto_adjust, bar for bar."
    from trading_kit.data import CSVProvider
    export = provider(fake, waits, auto_adjust=False)._history("MSFT", T("2017-08-01"), T("2017-09-01"), "1d")
    assert "Adj Close" in export.columns                       # what Yahoo's CSV export holds
    export.index = export.index.tz_localize(None)
    export.rename_axis("Date").to_csv(tmp_path / "MSFT_1d.csv")
    with pytest.warns(DataWarning, match="MSFT: 'Adj Close' found: open/high/low/close scaled by Adj Close / Close"):
        from_csv = load_ohlcv("MSFT", provider=CSVProvider(tmp_path), end="2017-08-31")
    adj = provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    np.testing.assert_allclose(from_csv.to_numpy(), adj.to_numpy(), rtol=1e-6)


def test_no_start_asks_for_max_period(fake, waits):
    bars = provider(fake, waits).fetch("MSFT", None, T("2017-09-29"), "1d")
    assert bars.index[0] == T("2017-08-01") and bars.index[-1] == T("2017-09-29")


# --- intraday, tz-aware ----------------------------------------------------------------------------

def test_intraday_index_keeps_exchange_wall_clock(fake, waits):
    prov = provider(fake, waits, now=lambda: T("2017-05-01"))
    bars = prov.fetch("EURUSD=X", T("2017-04-19"), T("2017-04-21"), "1h")
    raw = sample("EURUSD_1h.csv").loc["2017-04-19":"2017-04-21"]
    assert bars.index.tz is None
    assert list(bars.index) == list(raw.index)  # London wall-clock, not UTC (BST is UTC+1 in April)
    np.testing.assert_allclose(bars[["open", "high", "low", "close"]], raw[["open", "high", "low", "close"]])


def test_intraday_end_with_a_time_is_inclusive(fake, waits):
    prov = provider(fake, waits, now=lambda: T("2017-05-01"))
    bars = prov.fetch("EURUSD=X", T("2017-04-20 08:00"), T("2017-04-20 12:00"), "1h")
    assert bars.index[0] == T("2017-04-20 08:00") and bars.index[-1] == T("2017-04-20 12:00")


def test_4h_is_fetched_as_1h_and_resampled(fake, waits):
    prov = provider(fake, waits, now=lambda: T("2017-05-01"))
    h1 = prov.fetch("EURUSD=X", T("2017-04-19"), T("2017-04-21"), "1h")
    h4 = prov.fetch("EURUSD=X", T("2017-04-19"), T("2017-04-21"), "4h")
    assert all(p["interval"] == "1h" for p in fake.chart_calls("EURUSD=X"))
    pd.testing.assert_frame_equal(h4, resample_ohlcv(h1, "4h"))
    assert len(h4) < len(h1)


def test_intraday_lookback_limits_fail_before_any_request(fake, waits):
    prov = provider(fake, waits, now=lambda: T("2017-05-01"))
    with pytest.raises(ConfigError, match="EURUSD=X: Yahoo serves 5m bars for the last 60 days only"):
        prov.fetch("EURUSD=X", T("2017-01-02"), None, "5m")
    with pytest.raises(ConfigError, match="last 730 days"):
        prov.fetch("EURUSD=X", T("2014-01-02"), None, "4h")
    with pytest.raises(ConfigError, match="at most 7 days of 1m bars"):
        prov.fetch("EURUSD=X", T("2017-04-10"), T("2017-04-30"), "1m")
    with pytest.raises(ConfigError, match="unknown interval"):
        prov.fetch("EURUSD=X", None, None, "3h")
    assert fake.calls == []


# --- empty and error answers -----------------------------------------------------------------------

def test_empty_answer_names_ticker_and_likely_causes(fake, waits):
    fake.script = [(200, fixture_json("MSFT_1d_empty.json"))]
    with pytest.raises(ProviderError, match=r"MSFT: Yahoo has no 1d bars 2017-08-01 \.\. 2017-08-31.*delisted"):
        provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == []  # not retried: asking again will not make bars appear


def test_range_without_bars_is_an_error_not_an_empty_frame(fake, waits):
    with pytest.raises(ProviderError, match="MSFT: Yahoo has no 1d bars 2017-10-02 .. 2017-10-06"):
        provider(fake, waits).fetch("MSFT", T("2017-10-02"), T("2017-10-06"), "1d")


def test_unknown_symbol_404_is_not_retried(fake, waits):
    with pytest.raises(ProviderError, match="NOSUCH: Yahoo has no 1d bars.*wrong symbol.*delisted") as e:
        provider(fake, waits).fetch("NOSUCH", None, None, "1d")
    assert "HTTP 404" in str(e.value) and "=X" not in str(e.value)  # the time-zone probe and quoteSummary both got 404s
    assert waits == []


def test_404_on_the_chart_request_itself(fake, waits):
    fake.script = [(404, fixture_json("chart_not_found.json"))] * 2  # yfinance retries once with its other cookie strategy
    with pytest.raises(ProviderError, match="MSFT: Yahoo has no 1d bars.*No data found, symbol may be delisted"):
        provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == []


@pytest.mark.parametrize("ticker, hint", [("EURUSD", "'EURUSD=X'"), ("SPX", "'^GSPC'"), ("BTC", "'BTC-USD'")])
def test_sample_style_names_get_the_yahoo_spelling(fake, waits, ticker, hint):
    with pytest.raises(ProviderError, match=f"{ticker}: .*{hint.replace('^', '[/^]')}"):
        provider(fake, waits).fetch(ticker, None, None, "1d")


# --- rate limits and network errors ----------------------------------------------------------------

def test_rate_limit_then_success_retries_with_backoff(fake, waits):
    expected = provider(fake, []).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    YfData.cache_get.cache_clear()
    too_many = (FIX / "rate_limited.txt").read_text()
    fake.script = [(429, too_many), (429, too_many)]  # one 429 for the provider: yfinance retries once itself
    got = provider(fake, waits, backoff=0.5).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == [0.5]
    pd.testing.assert_frame_equal(got, expected)


def test_rate_limit_that_persists_gives_up(fake, waits):
    fake.script = [(429, "Too Many Requests")] * 20
    with pytest.raises(ProviderError, match=r"MSFT: rate limited by Yahoo \(HTTP 429\); gave up after 4 attempts"):
        provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == [1.0, 2.0, 4.0]


def test_no_retries_means_no_sleep(fake, waits):
    fake.script = [(429, "Too Many Requests")] * 4
    with pytest.raises(ProviderError, match="gave up after 1 attempts"):
        provider(fake, waits, max_retries=0).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == []


def test_network_down_is_retried_then_reported(fake, waits):
    fake.down = True
    with pytest.raises(ProviderError, match="MSFT: ConnectionError.*gave up after 3 attempts"):
        provider(fake, waits, max_retries=2).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == [1.0, 2.0]


def test_curl_cffi_errors_count_as_network_trouble(fake, waits):
    from curl_cffi.requests.exceptions import Timeout
    fake.down = Timeout("Operation timed out after 30000 milliseconds")
    with pytest.raises(ProviderError, match="MSFT: Timeout: Operation timed out.*gave up after 2 attempts"):
        provider(fake, waits, max_retries=1).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == [1.0]


def test_server_error_page_is_retried(fake, waits):
    fake.script = [(503, "<html>Will be right back...</html>")] * 2
    bars = provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    assert waits == [1.0] and len(bars) == len(sample("MSFT_1d.csv").loc["2017-08"])


# --- MultiIndex from yf.download -------------------------------------------------------------------

@pytest.mark.parametrize("group_by", ["column", "ticker"])
def test_yf_download_multiindex_flattens_to_the_same_bars(fake, waits, group_by):
    expected = provider(fake, waits).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = yf.download("MSFT", start="2017-08-01", end="2017-09-01", session=fake, progress=False,
                         threads=False, group_by=group_by, auto_adjust=True)
    assert isinstance(df.columns, pd.MultiIndex)
    names = ["Price", "Ticker"] if group_by == "column" else ["Ticker", "Price"]
    assert list(df.columns.names) == names
    pd.testing.assert_frame_equal(yf_to_ohlcv(df, "MSFT"), expected, check_freq=False)


def test_multi_ticker_download_keeps_only_the_asked_tickers_rows(fake):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = yf.download(["MSFT", "NOSUCH"], start="2017-08-01", end="2017-09-01", session=fake, progress=False,
                         threads=False)
    bars = yf_to_ohlcv(df, "MSFT")
    assert len(bars) == len(sample("MSFT_1d.csv").loc["2017-08"]) and bars.notna().all().all()
    with pytest.raises(ProviderError, match="NOSUCH: yfinance returned no bars"):
        yf_to_ohlcv(df, "NOSUCH")


# --- through load_ohlcv and the Parquet cache ------------------------------------------------------

def test_load_ohlcv_writes_then_falls_back_to_the_cache(fake, waits, tmp_path):
    prov = provider(fake, waits)
    first = load_ohlcv("MSFT", start="2017-08-01", end="2017-08-31", provider=prov, cache_dir=tmp_path)
    path = cache_path("yfinance", "MSFT", "1d", tmp_path)
    assert path.exists() and len(first) == len(sample("MSFT_1d.csv").loc["2017-08"])
    fake.down = True
    with pytest.warns(DataWarning, match=r"MSFT: provider 'yfinance' failed .*using the cache written \d+\.\d hours ago"):
        again = load_ohlcv("MSFT", start="2017-08-01", end="2017-09-29", provider=prov, cache_dir=tmp_path)
    same(again, first)
    assert waits == [1.0, 2.0, 4.0]


def test_load_ohlcv_merges_new_bars_into_the_cache(fake, waits, tmp_path):
    prov = provider(fake, waits)
    load_ohlcv("MSFT", start="2017-08-01", end="2017-08-31", provider=prov, cache_dir=tmp_path)
    full = load_ohlcv("MSFT", start="2017-08-01", end="2017-09-29", provider=prov, cache_dir=tmp_path)
    second = fake.chart_calls("MSFT")[-1]
    assert second["period1"] == int(T("2017-08-31").tz_localize("America/New_York").timestamp())  # only what was missing
    assert full.index[0] == T("2017-08-01") and full.index[-1] == T("2017-09-29") and full.index.is_unique
    assert len(pd.read_parquet(cache_path("yfinance", "MSFT", "1d", tmp_path))) == len(full)


def test_truncated_cache_file_is_rebuilt(fake, waits, tmp_path):
    prov = provider(fake, waits)
    first = load_ohlcv("MSFT", start="2017-08-01", end="2017-08-31", provider=prov, cache_dir=tmp_path)
    path = cache_path("yfinance", "MSFT", "1d", tmp_path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.warns(DataWarning, match="cache file .* is corrupt"):
        again = load_ohlcv("MSFT", start="2017-08-01", end="2017-08-31", provider=prov, cache_dir=tmp_path)
    same(again, first)
    same(pd.read_parquet(path), first)


def test_provider_by_name_uses_yfinances_session(fake, tmp_path):
    YfData(session=fake)  # what any yfinance call with session=fake does to the singleton
    assert isinstance(get_provider("yfinance"), YFinanceProvider)
    bars = load_ohlcv("MSFT", start="2017-09-01", end="2017-09-29", provider="yfinance", cache_dir=tmp_path)
    assert bars.index[0] == T("2017-09-01") and bars.index[-1] == T("2017-09-29")
    assert cache_path("yfinance", "MSFT", "1d", tmp_path).exists()


# --- yfinance's global state -----------------------------------------------------------------------

def test_isolation_restores_yfinances_globals(tmp_path):
    data = YfData()
    before = (data._session, yc._TzCacheManager._tz_cache, yc._CookieCacheManager._Cookie_cache)
    with isolated_yfinance():
        fake = RecordedYahooSession.from_folder(FIX)
        YFinanceProvider(session=fake).fetch("MSFT", T("2017-08-01"), T("2017-08-31"), "1d")
        assert data._session is fake
        assert isinstance(yc._TzCacheManager._tz_cache, yc._TzCacheDummy)  # no sqlite in ~/.cache touched
        assert YfData.cache_get.cache_info().currsize > 0
    assert (data._session, yc._TzCacheManager._tz_cache, yc._CookieCacheManager._Cookie_cache) == before
    assert YfData.cache_get.cache_info().currsize == 0
    assert yf.config.debug.hide_exceptions is True  # the provider's switch was undone


def test_unknown_endpoints_are_refused_offline():
    fake = RecordedYahooSession()
    with pytest.raises(Exception, match="no recorded answer"):
        fake.get("https://example.com/anything")


def test_4h_from_a_mid_bar_start_is_the_whole_4h_bar(fake, waits):
    "review1: a start inside a 4h bin (the cache refetches from its last bar's stamp) built that bar from the trailing 1h bars only."
    prov = provider(fake, waits, now=lambda: T("2017-05-01"))
    full = prov.fetch("EURUSD=X", T("2017-04-19"), T("2017-04-21"), "4h")
    for i in (3, 4):
        part = prov.fetch("EURUSD=X", full.index[i], T("2017-04-21"), "4h")
        pd.testing.assert_frame_equal(part, full.iloc[i:])
