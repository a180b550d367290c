"Paper sessions: killed with SIGKILL between an order's submission and its fill, restarted, every order once; SQLite and PostgreSQL give identical ledgers."
import os, signal, subprocess, sys, textwrap
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")
from trading_kit.brokers import PaperBroker
from trading_kit.data import load_ohlcv
from trading_kit.paper import rule_signals, run_session
from trading_kit.store import Store, ledger

SPAN = ("2012-05-01", "2012-06-15")

SESSION = textwrap.dedent('''
    import os, signal, sys
    from trading_kit.brokers import PaperBroker
    from trading_kit.data import load_ohlcv
    from trading_kit.paper import rule_signals, run_session
    from trading_kit.store import Store
    url, kill_at, where = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    class Crashing(PaperBroker):
        "Dies by SIGKILL at the kill_at-th order it sends: inside the send, or right after submit returns."
        sent = 0
        def _send(self, order):
            out = super()._send(order)
            Crashing.sent += 1
            if where == "in_send" and Crashing.sent == kill_at: os.kill(os.getpid(), signal.SIGKILL)
            return out
        def submit(self, order):
            out = super().submit(order)
            if where == "after_submit" and Crashing.sent == kill_at: os.kill(os.getpid(), signal.SIGKILL)
            return out

    history = {t: load_ohlcv(t).loc["%s":"%s"] for t in ("MSFT", "GOOG")}
    broker = (Crashing if kill_at > 0 else PaperBroker)(Store(url), "crash", cash=1000.0)
    run_session(broker, history, rule_signals)
''' % SPAN)


def history():
    return {t: load_ohlcv(t).loc[SPAN[0]:SPAN[1]] for t in ("MSFT", "GOOG")}


def run_child(tmp_path, url, kill_at=0, where="none"):
    script = tmp_path / "session.py"
    script.write_text(SESSION)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, str(script), url, str(kill_at), where], env=env, capture_output=True,
                          text=True, timeout=300)


def reference_ledger(tmp_path):
    db = Store(tmp_path / "reference.sqlite")
    run_session(PaperBroker(db, "crash", cash=1000.0), history(), rule_signals)
    return ledger(db, "crash"), db.read("equity", session="crash")


def check_every_order_once(book):
    assert book["client_order_id"].is_unique                         # one row per order: one fill at most
    assert book.dropna(subset=["fill_id"])["fill_id"].is_unique
    decisions = book[["ticker", "asof", "side"]].apply(tuple, axis=1)
    assert decisions.is_unique                                       # each decision became one order


@pytest.mark.parametrize("where", ["in_send", "after_submit"])
def test_sigkill_between_submission_and_fill_then_restart(tmp_path, where):
    url = str(tmp_path / "crash.sqlite")
    killed = run_child(tmp_path, url, kill_at=7, where=where)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    db = Store(url)
    orders = db.read("orders", session="crash")
    n_sent = int(orders["status"].isin(["accepted", "filled"]).sum()) + int((orders["status"] == "new").sum())
    assert n_sent == 7                                               # died with the 7th order on its way out
    last = orders[orders["status"].isin(["new", "accepted"])]
    assert len(last) >= 1 and db.read("fills", client_order_id=last["client_order_id"].iloc[0]).empty  # not filled yet
    restarted = run_child(tmp_path, url)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    book = ledger(db, "crash")
    check_every_order_once(book)
    ref, ref_equity = reference_ledger(tmp_path)
    pd.testing.assert_frame_equal(book, ref)                         # as if it had never been killed
    pd.testing.assert_frame_equal(db.read("equity", session="crash"), ref_equity)


def test_sigkill_and_restart_on_postgresql(tmp_path, postgres_url):
    killed = run_child(tmp_path, postgres_url, kill_at=5, where="after_submit")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert run_child(tmp_path, postgres_url).returncode == 0
    book = ledger(Store(postgres_url), "crash")
    check_every_order_once(book)
    pd.testing.assert_frame_equal(book, reference_ledger(tmp_path)[0])


def test_same_session_on_sqlite_and_postgresql_gives_identical_ledgers(tmp_path, postgres_url):
    books = {}
    for name, url in (("sqlite", str(tmp_path / "same.sqlite")), ("postgresql", postgres_url)):
        db = Store(url)
        run_session(PaperBroker(db, "same", cash=1000.0), history(), rule_signals)
        books[name] = (ledger(db, "same"), db.read("equity", session="same"), db.read("predictions", session="same"))
        db.dispose()
    assert len(books["sqlite"][0]) > 10 and books["sqlite"][0]["fill_price"].notna().sum() > 10
    for a, b in zip(books["sqlite"], books["postgresql"]):
        pd.testing.assert_frame_equal(a, b)
