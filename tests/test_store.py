"The Store on SQLite and on a real PostgreSQL: same schema, same answers, idempotent and transactional writes, several writer processes at once."
import multiprocessing as mp

import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")
from trading_kit.core import DataError
from trading_kit.store import LEDGER_COLUMNS, Store, ledger, read_bars, write_bars

from conftest import make_bars


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite": return str(tmp_path / "store.sqlite")
    return request.getfixturevalue("postgres_url")


def order(i, session="s1", **kw):
    return {"client_order_id": f"tk-{session}-{i}", "session": session, "ticker": "MSFT", "side": "buy", "qty": 0.5 + i,
            "asof": pd.Timestamp("2024-01-01") + pd.Timedelta(days=i), "status": "new", **kw}


def test_same_rows_back_on_both_backends(store_url):
    db = Store(store_url)
    bars = make_bars(40)
    assert write_bars(db, "MSFT", "1d", bars) == 40
    back = read_bars(db, "MSFT", "1d")
    pd.testing.assert_frame_equal(back, bars, check_freq=False)
    revised = bars.iloc[-1:].assign(close=bars["close"].iloc[-1] * 1.01)
    assert write_bars(db, "MSFT", "1d", revised) == 1                   # a revised bar replaces the stored one
    assert read_bars(db, "MSFT", "1d")["close"].iloc[-1] == pytest.approx(revised["close"].iloc[0])
    assert db.write("orders", [order(i) for i in range(3)]) == 3
    assert db.write("orders", [order(i) for i in range(4)]) == 1         # only the new key goes in
    assert db.read("orders", session="s1")["client_order_id"].tolist() == [f"tk-s1-{i}" for i in range(4)]
    db.dispose()


def test_write_is_one_transaction(store_url):
    db = Store(store_url)
    with pytest.raises(DataError, match="no column"):
        with db.transaction() as c:
            db.write("orders", order(1), conn=c)
            db.write("fills", {"fill_id": "f", "client_order_id": "tk-s1-1", "price_typo": 1.0}, conn=c)
    assert len(db.read("orders")) == 0                                   # the first write rolled back with the second
    db.dispose()


def test_ledger_joins_fills_in_decision_order(store_url):
    db = Store(store_url)
    db.write("orders", [order(2), order(1, status="rejected", reason="daily_loss_cap"), order(0, session="other")])
    db.write("fills", {"fill_id": "tk-s1-2-1", "client_order_id": "tk-s1-2", "session": "s1", "ticker": "MSFT",
                       "side": "buy", "qty": 2.5, "price": 101.25, "fee": 0.05, "ts": "2024-01-04"})
    lg = ledger(db, "s1")
    assert list(lg.columns) == LEDGER_COLUMNS
    assert lg["client_order_id"].tolist() == ["tk-s1-1", "tk-s1-2"]
    assert lg["reason"].tolist()[0] == "daily_loss_cap" and pd.isna(lg["fill_price"].iloc[0])
    assert lg["fill_price"].iloc[1] == 101.25
    db.dispose()


def _writer(url, worker, n):
    "One writer process: its own orders and fills, plus bars every writer also writes (same keys)."
    db = Store(url)
    for i in range(n):
        with db.transaction() as c:
            db.write("orders", order(i, session=f"w{worker}"), conn=c)
            db.write("fills", {"fill_id": f"w{worker}-{i}", "client_order_id": f"tk-w{worker}-{i}", "session": f"w{worker}",
                               "ticker": "MSFT", "side": "buy", "qty": 1.0, "price": 100.0 + i, "fee": 0.0,
                               "ts": pd.Timestamp("2024-01-01") + pd.Timedelta(days=i)}, conn=c)
        db.write("equity", {"session": f"w{worker}", "ts": pd.Timestamp("2024-01-01") + pd.Timedelta(days=i),
                            "equity": 1000.0 + i, "cash": 500.0})
    write_bars(db, "MSFT", "1d", make_bars(50))
    db.dispose()


def test_several_writer_processes_lose_no_row(store_url):
    Store(store_url).dispose()                                            # schema exists before the writers start
    workers, n = 4, 40
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_url, w, n)) for w in range(workers)]
    for p in procs: p.start()
    for p in procs: p.join(180)
    assert [p.exitcode for p in procs] == [0] * workers
    db = Store(store_url)
    assert len(db.read("orders")) == workers * n
    assert len(db.read("fills")) == workers * n
    assert len(db.read("equity")) == workers * n
    assert len(db.read("bars")) == 50
    assert sorted(db.read("fills")["fill_id"]) == sorted(f"w{w}-{i}" for w in range(workers) for i in range(n))
    db.dispose()


def test_new_database_opened_by_several_processes_at_once(store_url):
    "Table creation on a fresh database is safe when several processes open it together."
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(store_url, w, 3)) for w in range(3)]
    for p in procs: p.start()
    for p in procs: p.join(180)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert len(Store(store_url).read("orders")) == 9


def test_password_not_in_repr():
    db = Store.__new__(Store)
    db.url = "postgresql+psycopg://trader:hunter2@127.0.0.1:5432/ledger"
    assert "hunter2" not in repr(db)
