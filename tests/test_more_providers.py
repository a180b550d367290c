"""The web providers against hand-written answers in each service's documented format (tests/fixtures/<provider>/)."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import responses

from trading_kit.core import ConfigError, ProviderError
from trading_kit.macro_providers import CoinGeckoProvider, FREDProvider, PolygonProvider, align_release
from trading_kit.more_providers import AlphaVantageProvider, FinnhubProvider, TwelveDataProvider
from trading_kit.providers import get_provider

FIX = Path(__file__).parent / "fixtures"
KEYS = {"alphavantage": "ALPHAVANTAGE_API_KEY", "twelvedata": "TWELVEDATA_API_KEY", "finnhub": "FINNHUB_API_KEY",
        "polygon": "POLYGON_API_KEY", "coingecko": "COINGECKO_API_KEY", "fred": "FRED_API_KEY"}
CLASSES = {"alphavantage": AlphaVantageProvider, "twelvedata": TwelveDataProvider, "finnhub": FinnhubProvider,
           "polygon": PolygonProvider, "coingecko": CoinGeckoProvider, "fred": FREDProvider}
URL = {"alphavantage": "https://www.alphavantage.co/query", "twelvedata": "https://api.twelvedata.com/time_series",
       "finnhub": "https://finnhub.io/api/v1/stock/candle",
       "polygon": "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-04",
       "coingecko": "https://api.coingecko.com/api/v3/coins/bitcoin/ohlc",
       "fred": "https://api.stlouisfed.org/fred/series/observations"}

def fixture(provider, name): return json.loads((FIX / provider / f"{name}.json").read_text())

@pytest.fixture
def keys(monkeypatch):
    for name, var in KEYS.items(): monkeypatch.setenv(var, f"secret-{name}")

def make(name, **kw):
    kw.setdefault("sleep", lambda s: None)
    return CLASSES[name](now=lambda: pd.Timestamp("2024-01-02 12:00"), **kw) if name == "coingecko" else CLASSES[name](**kw)

def fetch(name, **kw):
    if name == "fred": return make(name, **kw).series("GDP")
    ticker = {"coingecko": "BTC", "alphavantage": "MSFT"}.get(name, "AAPL")
    start, iv = ("2023-12-30", "4h") if name == "coingecko" else ("2024-01-02", "1d")
    return make(name, **kw).fetch(ticker, start, "2024-01-04", iv)

@pytest.mark.parametrize("name", list(KEYS))
def test_missing_key_names_the_variable(name, monkeypatch):
    monkeypatch.delenv(KEYS[name], raising=False)
    with pytest.raises(ConfigError, match=f"set the environment variable {KEYS[name]}"): CLASSES[name]()

@pytest.mark.parametrize("name", list(KEYS))
def test_registered_by_name(name, keys):
    assert type(get_provider(name)).__name__ == CLASSES[name].__name__

RATE_LIMITS = [("alphavantage", "rate_limit_note", 200, "call frequency"),
               ("alphavantage", "rate_limit_information", 200, "25 requests per day"),
               ("twelvedata", "rate_limit", 200, "run out of API credits"),
               ("finnhub", "rate_limit", 429, "API limit reached"),
               ("polygon", "rate_limit", 429, "maximum requests per minute"),
               ("coingecko", "rate_limit", 429, "exceeded the Rate Limit"),
               ("fred", "rate_limit", 429, "Exceeded Rate Limit")]

@pytest.mark.parametrize("name,fx,status,says", RATE_LIMITS)
def test_rate_limit_is_retried_then_named(name, fx, status, says, keys):
    waits = []
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL[name], json=fixture(name, fx), status=status)
        with pytest.raises(ProviderError, match=says) as e: fetch(name, max_retries=2, sleep=waits.append)
        assert len(rsps.calls) == 3
    assert waits == [1.0, 2.0]
    assert "secret-" not in str(e.value) and "gave up after 3 attempts" in str(e.value)

ERRORS = [("alphavantage", "error_symbol", 200, "Invalid API call"), ("alphavantage", "premium", 200, "premium endpoint"),
          ("twelvedata", "error_symbol", 200, "symbol\\*\\* not found"), ("twelvedata", "error_apikey", 401, "apikey"),
          ("finnhub", "error_apikey", 401, "Invalid API key"), ("finnhub", "error_access", 403, "access to this resource"),
          ("polygon", "error_apikey", 401, "Unknown API Key"), ("polygon", "not_authorized", 403, "not entitled"),
          ("coingecko", "error_coin", 404, "coin not found"), ("coingecko", "error_apikey", 401, "HTTP 401"),
          ("fred", "error_series", 400, "series does not exist"), ("fred", "error_apikey", 400, "api_key is not registered")]

@pytest.mark.parametrize("name,fx,status,says", ERRORS)
def test_errors_are_named_and_not_retried(name, fx, status, says, keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL[name], json=fixture(name, fx), status=status)
        with pytest.raises(ProviderError, match=says): fetch(name)
        assert len(rsps.calls) == 1

def test_rate_limit_then_success(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["finnhub"], json=fixture("finnhub", "rate_limit"), status=429)
        rsps.add(responses.GET, URL["finnhub"], json=fixture("finnhub", "candle_D"))
        bars = fetch("finnhub")
    assert list(bars.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-04"]

@pytest.mark.parametrize("name,fx", [("alphavantage", "daily"), ("twelvedata", "time_series_1day"), ("finnhub", "candle_D")])
def test_daily_bars_agree(name, fx, keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL[name], json=fixture(name, fx))
        bars = fetch(name)
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"] and bars.index.is_monotonic_increasing
    assert list(bars.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert (bars.dtypes == "float64").all()

def test_alphavantage_intraday_keeps_eastern_time(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["alphavantage"], json=fixture("alphavantage", "intraday_60min"))
        bars = make("alphavantage").fetch("MSFT", None, None, "1h")
        assert rsps.calls[0].request.params["interval"] == "60min"
    assert list(bars.index.strftime("%H:%M")) == ["10:00", "11:00"]

def test_twelvedata_forex_has_zero_volume(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["twelvedata"], json=fixture("twelvedata", "forex_1h"))
        bars = make("twelvedata").fetch("EUR/USD", None, None, "1h")
    assert (bars["volume"] == 0).all() and len(bars) == 2

def test_finnhub_intraday_is_eastern_and_no_data_is_an_error(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["finnhub"], json=fixture("finnhub", "candle_60"))
        rsps.add(responses.GET, URL["finnhub"], json=fixture("finnhub", "no_data"))
        bars = make("finnhub").fetch("AAPL", None, None, "1h")
        with pytest.raises(ProviderError, match="returned no 1h bars"): make("finnhub").fetch("AAPL", None, None, "1h")
    assert list(bars.index.strftime("%Y-%m-%d %H:%M")) == ["2024-01-02 09:00", "2024-01-02 10:00"]

def test_polygon_follows_next_url_with_the_key_in_a_header(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["polygon"], json=fixture("polygon", "aggs_day_page1"))
        rsps.add(responses.GET, "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1704344400000/2024-01-04",
                 json=fixture("polygon", "aggs_day_page2"))
        bars = fetch("polygon")
        assert [c.request.headers["Authorization"] for c in rsps.calls] == ["Bearer secret-polygon"] * 2
        assert all("secret" not in c.request.url for c in rsps.calls)
    assert list(bars.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-04"]

def test_polygon_empty_range(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["polygon"], json=fixture("polygon", "aggs_empty"))
        with pytest.raises(ProviderError, match="returned no 1d bars"): fetch("polygon")

def test_coingecko_candles_and_resampling(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["coingecko"], json=fixture("coingecko", "ohlc_bitcoin_7d"))
        rsps.add(responses.GET, URL["coingecko"], json=fixture("coingecko", "ohlc_bitcoin_7d"))
        four = fetch("coingecko")
        daily = make("coingecko").fetch("BTC", "2023-12-30", None, "1d")
        assert rsps.calls[0].request.headers["x-cg-demo-api-key"] == "secret-coingecko"
    assert len(four) == 6 and (four["volume"] == 0).all()
    assert len(daily) == 1 and daily["open"].iloc[0] == four["open"].iloc[0] and daily["close"].iloc[0] == four["close"].iloc[-1]
    assert daily["high"].iloc[0] == four["high"].max()

def test_fred_vintages_aligned_point_in_time(keys):
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["fred"], json=fixture("fred", "observations_gdp_vintages"))
        gdp = fetch("fred")
        assert rsps.calls[0].request.params["realtime_start"] == "1776-07-04"
    assert len(gdp) == 4  # the '.' (missing) row is dropped
    idx = pd.date_range("2024-04-01", "2024-09-30", freq="B")
    known = align_release(gdp, idx)
    assert known[:"2024-04-25"].isna().all()
    assert known["2024-04-26"] == 28269.174 and known["2024-05-31"] == 28255.928 and known["2024-06-28"] == 28269.798
    assert known["2024-07-26"] == 28629.153
    # lookahead: no bar sees a value published on or after its own date, and truncating the bars changes nothing
    for t in idx[::7]:
        v = known[t]
        if not np.isnan(v): assert (gdp.loc[gdp["value"] == v, "published"] < t).all()
        assert align_release(gdp, idx[idx <= t]).equals(known[:t])

def test_fred_is_not_a_bar_source(keys):
    with pytest.raises(ConfigError, match="align_release"): get_provider("fred").fetch("GDP", None, None, "1d")

def test_fred_alignment_passes_the_kits_lookahead_detector(keys):
    from trading_kit.lookahead import check_lookahead
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, URL["fred"], json=fixture("fred", "observations_gdp_vintages"))
        gdp = fetch("fred")
    idx = pd.date_range("2024-01-01", "2024-12-31", freq="B")
    bars = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "volume": 1.0}, index=idx)
    aligned = lambda d: align_release(gdp, d.index).fillna(0).to_frame()
    assert check_lookahead(bars, aligned, n_checks=20, min_bars=20).ok
    # a naive join on observation dates passes truncation too (it only looks back in bar time), yet on 2024-04-01
    # it uses Q2's GDP, published on 2024-07-25: only release dates catch that; align_release knows nothing yet
    latest = gdp.drop_duplicates("date", keep="last").set_index("date")["value"]
    naive = lambda d: latest.reindex(d.index.union(latest.index)).ffill().reindex(d.index).fillna(0).to_frame()
    assert check_lookahead(bars, naive, n_checks=20, min_bars=20).ok
    assert naive(bars).loc["2024-04-01"].iloc[0] == 28629.153 and aligned(bars).loc["2024-04-01"].iloc[0] == 0
