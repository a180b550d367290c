"Shared pytest fixtures: small bar factories and an offline fake provider."
import numpy as np
import pandas as pd
import pytest

from trading_kit.data import Provider


def make_bars(n=10, start="2024-01-01", freq="D", seed=0, price=100.0):
    "Valid OHLCV bars from a seeded random walk."
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    open_ = np.r_[price, close[:-1]]
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.01, n))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.01, n))
    idx = pd.date_range(start, periods=n, freq=freq, name="date")
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close,
                         "volume": rng.integers(100, 10_000, n).astype(float)}, index=idx)


class FakeProvider(Provider):
    "A remote-like provider serving a fixed frame, counting calls, optionally failing."
    name = "fake"
    cacheable = True

    def __init__(self, bars, fail=False):
        self.bars, self.fail, self.calls = bars, fail, []

    def fetch(self, ticker, start, end, interval):
        from trading_kit.core import ProviderError
        self.calls.append((ticker, start, end, interval))
        if self.fail:
            raise ProviderError(f"{ticker}: fake outage")
        df = self.bars
        if start is not None:
            df = df[df.index >= start]
        if end is not None:
            df = df[df.index <= end]
        return df.copy()


@pytest.fixture
def bars():
    return make_bars(30)


@pytest.fixture
def cache_dir(tmp_path):
    return tmp_path / "cache"


# a private PostgreSQL cluster on 127.0.0.1 (tests/pg_cluster.py): fixtures postgres_cluster, postgres_url
from pg_cluster import postgres_cluster, postgres_url  # noqa: E402,F401
