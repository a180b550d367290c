"News providers at the HTTP boundary (hand-written responses in each service's documented format; no network)."
from pathlib import Path

import pandas as pd
import pytest
import responses

from trading_kit.core import ConfigError, DataError, ProviderError
from trading_kit.news import (FinnhubNews, NewsAPINews, NewsWarning, RSSNews, load_news, news_frame, NewsItem,
                              validate_news)
from trading_kit.news_features import news_features

FIX = Path(__file__).parent / "fixtures" / "news"
FINNHUB = "https://finnhub.io/api/v1/company-news"
NEWSAPI = "https://newsapi.org/v2/everything"


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("FINNHUB_API_KEY", "fh-test-key")
    monkeypatch.setenv("NEWSAPI_API_KEY", "na-test-key")


@responses.activate
def test_finnhub_chunks_the_range_and_accepts_empty_pages(keys):
    responses.get(FINNHUB, body=(FIX / "finnhub_company_news.json").read_text())
    responses.get(FINNHUB, json=[])   # a quiet week
    df = FinnhubNews(chunk_days=7).fetch("AAPL", "2024-03-04", "2024-03-15")
    assert len(responses.calls) == 2
    first, second = (responses.calls[i].request for i in (0, 1))
    assert "from=2024-03-04" in first.url and "to=2024-03-10" in first.url
    assert "from=2024-03-11" in second.url and "to=2024-03-15" in second.url
    assert "fh-test-key" not in first.url and first.headers["X-Finnhub-Token"] == "fh-test-key"
    assert list(df.columns) == ["published_at", "headline", "summary", "source", "tickers", "url"]
    assert df.tickers.tolist() == ["AAPL", "AAPL", "AAPL,MSFT"]
    assert df.published_at.dt.tz is not None


@responses.activate
def test_finnhub_rate_limit_is_retried_with_backoff_then_gives_up(keys):
    for _ in range(3):
        responses.get(FINNHUB, status=429)
    waits = []
    with pytest.raises(ProviderError, match="rate limited"):
        FinnhubNews(max_retries=2, backoff=0.5, sleep=waits.append).fetch("AAPL", "2024-03-04", "2024-03-05")
    assert waits == [0.5, 1.0]   # bounded: two retries, doubling


@responses.activate
def test_finnhub_error_body_and_refused_key(keys):
    responses.get(FINNHUB, json={"error": "You don't have access to this resource."})
    with pytest.raises(ProviderError, match="expected a list"):
        FinnhubNews().fetch("AAPL", "2024-03-04", "2024-03-05")
    responses.replace(responses.GET, FINNHUB, status=401, json={"error": "Invalid API key"})
    with pytest.raises(ProviderError, match="FINNHUB_API_KEY was refused"):
        FinnhubNews().fetch("AAPL", "2024-03-04", "2024-03-05")


def test_missing_keys_name_the_variable(monkeypatch):
    monkeypatch.delenv("FINNHUB_API_KEY", raising=False)
    monkeypatch.delenv("NEWSAPI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="FINNHUB_API_KEY"):
        FinnhubNews().fetch("AAPL", "2024-03-04", "2024-03-05")
    with pytest.raises(ConfigError, match="NEWSAPI_API_KEY"):
        NewsAPINews().fetch("MSFT", "2024-03-04", "2024-03-05")


@responses.activate
def test_newsapi_pages_until_total_and_counts_removed(keys):
    responses.get(NEWSAPI, body=(FIX / "newsapi_page1.json").read_text())
    responses.get(NEWSAPI, body=(FIX / "newsapi_page2.json").read_text())
    with pytest.warns(NewsWarning, match=r"skipped 1 article\(s\).*\[Removed\]"):
        df = NewsAPINews(page_size=2).fetch("MSFT", "2024-03-04", "2024-03-06")
    assert len(responses.calls) == 2
    req = responses.calls[0].request
    assert req.headers["X-Api-Key"] == "na-test-key" and "na-test-key" not in req.url
    assert "page=1" in req.url and "pageSize=2" in responses.calls[1].request.url and "page=2" in responses.calls[1].request.url
    assert df.headline.tolist() == ["Microsoft unveils new AI features for Office", "Microsoft cloud revenue beats expectations"]
    assert df.published_at.iloc[1] == pd.Timestamp("2024-03-05 21:10", tz="UTC")
    assert df.source.tolist() == ["Example Times", "Example News"]


@responses.activate
def test_newsapi_empty_page_stops(keys):
    responses.get(NEWSAPI, json={"status": "ok", "totalResults": 0, "articles": []})
    assert NewsAPINews().fetch("MSFT", "2024-03-04", "2024-03-06").empty
    assert len(responses.calls) == 1


@responses.activate
def test_newsapi_result_cap_warns_with_what_was_left(keys):
    page = (FIX / "newsapi_page2.json").read_text().replace('"totalResults": 3', '"totalResults": 250')
    responses.get(NEWSAPI, body=page)
    responses.get(NEWSAPI, status=426, body=(FIX / "newsapi_error_maxresults.json").read_text())
    with pytest.warns(NewsWarning, match="fetched 1 of 250"):
        df = NewsAPINews(page_size=1).fetch("MSFT", "2024-03-04", "2024-03-06")
    assert len(df) == 1


@responses.activate
def test_newsapi_rate_limit_then_success(keys):
    responses.get(NEWSAPI, status=429, body=(FIX / "newsapi_error_ratelimited.json").read_text(), headers={"Retry-After": "3"})
    responses.get(NEWSAPI, body=(FIX / "newsapi_page2.json").read_text().replace('"totalResults": 3', '"totalResults": 1'))
    waits = []
    df = NewsAPINews(sleep=waits.append).fetch("MSFT", "2024-03-04", "2024-03-06")
    assert waits == [3.0] and len(df) == 1


@responses.activate
def test_newsapi_invalid_key(keys):
    responses.get(NEWSAPI, status=401, body=(FIX / "newsapi_error_apikey.json").read_text())
    with pytest.raises(ProviderError, match="NEWSAPI_API_KEY was refused"):
        NewsAPINews().fetch("MSFT", "2024-03-04", "2024-03-06")


@responses.activate
def test_rss_and_atom_feeds():
    responses.get("https://feeds.example.invalid/rss/MSFT", body=(FIX / "rss.xml").read_bytes())
    responses.get("https://feeds.example.invalid/atom", body=(FIX / "atom.xml").read_bytes())
    rss = RSSNews("https://feeds.example.invalid/rss/{ticker}").fetch("MSFT", "2024-03-05", "2024-03-05")
    assert rss.headline.tolist() == ["Microsoft shares fall after outage"]   # filtered to the day asked for
    assert rss.published_at.iloc[0] == pd.Timestamp("2024-03-05 16:30", tz="UTC")
    assert rss.tickers.tolist() == ["MSFT"] and rss.source.tolist() == ["Example Markets Feed"]
    atom = RSSNews("https://feeds.example.invalid/atom").fetch()
    assert atom.published_at.tolist() == [pd.Timestamp("2024-03-04 07:00", tz="UTC"), pd.Timestamp("2024-03-05 18:30:02", tz="UTC")]
    assert atom.url.iloc[0] == "https://news.example.invalid/b1"


@responses.activate
def test_rss_broken_document():
    responses.get("https://feeds.example.invalid/bad", body=b"<html>not a feed")
    with pytest.raises(ProviderError, match="not an RSS/Atom document"):
        RSSNews("https://feeds.example.invalid/bad").fetch()


@responses.activate
def test_remote_news_is_cached_as_parquet(keys, tmp_path):
    responses.get(FINNHUB, body=(FIX / "finnhub_company_news.json").read_text())
    a = load_news("AAPL", "2024-03-04", "2024-03-06", provider="finnhub", cache_dir=tmp_path)
    b = load_news("AAPL", "2024-03-04", "2024-03-06", provider="finnhub", cache_dir=tmp_path)
    assert len(responses.calls) == 1
    pd.testing.assert_frame_equal(a, b)
    assert (tmp_path / "news" / "finnhub" / "AAPL_20240304_20240306.parquet").is_file()
    assert not [p for p in (tmp_path / "news" / "finnhub").iterdir() if p.name.startswith(".")]
    load_news("AAPL", "2024-03-04", "2024-03-06", provider="finnhub", cache_dir=tmp_path, refresh=True)
    assert len(responses.calls) == 2


def test_user_csv_with_naive_times_is_refused(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("published_at,headline,tickers\n2024-03-04T14:05:00Z,Fine,MSFT\n2024-03-04 15:00:00,Naive,MSFT\n")
    with pytest.raises(DataError, match="row 1: time '2024-03-04 15:00:00' has no time zone"):
        load_news("MSFT", provider="file", path=p)
    p.write_text("when,title\n2024-03-04T14:05:00Z,x\n")
    with pytest.raises(DataError, match="missing column"):
        load_news("MSFT", provider="file", path=p)


def test_headline_one_second_after_the_open_never_reaches_that_bar():
    "Acceptance: a headline published one second after a bar opens is not in that bar's features."
    bars = pd.DataFrame({"close": 1.0}, index=pd.DatetimeIndex(["2024-03-01", "2024-03-04", "2024-03-05"], name="date"))
    news = news_frame([NewsItem("2024-03-04 09:30:01-05:00", "Microsoft wins contract")]).assign(score=0.9)
    f = news_features(bars, news, tz="America/New_York")
    assert f.loc["2024-03-04", "news_count"] == 0 and f.loc["2024-03-04", "news_decay"] == 0
    assert f.loc["2024-03-05", "news_count"] == 1
    intraday = pd.DataFrame({"close": 1.0}, index=pd.date_range("2024-03-04 09:30", periods=3, freq="1min"))
    g = news_features(intraday, news, tz="America/New_York")
    assert g["news_count"].tolist() == [0, 1, 0]   # the 09:30 bar never sees it; 09:31 does


@pytest.mark.parametrize("freq,latency", [("1D", "0s"), ("1D", "5min"), ("15min", "0s"), ("15min", "90s")])
def test_news_features_truncation(freq, latency):
    "Bars and news truncated at t give the value the full history gives at t (across the March DST change)."
    import numpy as np
    from trading_kit.news_features import bar_open_times
    rng = np.random.default_rng(1)
    if freq == "1D":
        index = pd.bdate_range("2024-02-26", periods=30, name="date")
    else:
        day = pd.date_range("2024-03-08 09:30", periods=26, freq="15min")
        index = day.append(day + pd.Timedelta(days=3)).rename("date")   # Friday, then Monday after DST starts
    bars = pd.DataFrame({"close": 1.0}, index=index)
    first, last = bar_open_times(index, "America/New_York")[[0, -1]]
    span = (last - first).total_seconds() + 2 * 86400
    pub = first - pd.Timedelta("1D") + pd.to_timedelta(np.sort(rng.uniform(0, span, 300)), unit="s")
    words = np.array(["beats", "misses", "cloud", "guidance", "outage", "deal"])
    news = pd.DataFrame({"published_at": pub, "headline": [" ".join(rng.choice(words, 3)) for _ in pub],
                         "score": rng.uniform(-1, 1, len(pub))})
    full = news_features(bars, news, tz="America/New_York", latency=latency)
    assert full["news_count"].sum() > 0
    opens = bar_open_times(index, "America/New_York")
    usable = news.published_at + pd.Timedelta(latency)
    for t in range(len(index)):
        nxt = opens[t + 1] if t + 1 < len(index) else opens[t] + pd.Timedelta("1D")
        # news cut where bar t closes (everything before the next open), and where it opens (the strict rule)
        for kept in (news[news.published_at < nxt], news[usable <= opens[t]]):
            part = news_features(bars.iloc[: t + 1], kept, tz="America/New_York", latency=latency)
            np.testing.assert_array_equal(part.iloc[-1].to_numpy(), full.iloc[t].to_numpy())
