"AlpacaBroker against Alpaca's documented payloads served on 127.0.0.1 (pytest-httpserver via the client's url_override)."
import json

import pandas as pd
import pytest

pytest.importorskip("alpaca")
pytest.importorskip("pytest_httpserver")
from trading_kit.brokers import AlpacaBroker, client_order_id
from trading_kit.core import ConfigError
from trading_kit.store import Store

# Alpaca's documented example payloads (Trading API: account, positions, orders); money fields are strings.
ACCOUNT = {"account_blocked": False, "account_number": "010203ABCD", "buying_power": "1000.00", "cash": "1000.00",
           "created_at": "2019-06-12T22:47:07.99658Z", "currency": "USD", "daytrade_count": 0,
           "daytrading_buying_power": "0", "equity": "1000.00", "id": "e6fe16f3-64a4-4921-8928-cadf02f92f98",
           "initial_margin": "0", "last_equity": "1000.00", "last_maintenance_margin": "0",
           "non_marginable_buying_power": "1000.00", "long_market_value": "0", "maintenance_margin": "0",
           "multiplier": "1", "pattern_day_trader": False, "portfolio_value": "1000.00", "regt_buying_power": "1000.00",
           "short_market_value": "0", "shorting_enabled": False, "sma": "0", "status": "ACTIVE",
           "trade_suspended_by_user": False, "trading_blocked": False, "transfers_blocked": False}
POSITION = {"asset_id": "904837e3-3b76-47ec-b432-046db621571b", "symbol": "AAPL", "exchange": "NASDAQ",
            "asset_class": "us_equity", "avg_entry_price": "100.0", "qty": "0.25", "side": "long",
            "market_value": "30.0", "cost_basis": "25.0", "unrealized_pl": "5.0", "unrealized_plpc": "0.20",
            "unrealized_intraday_pl": "1.0", "unrealized_intraday_plpc": "0.0084", "current_price": "120.0",
            "lastday_price": "119.0", "change_today": "0.0084"}


def alpaca_order(cid, status="accepted", qty="0.125", filled_qty="0", filled_avg_price=None, filled_at=None):
    return {"id": "61e69015-8549-4bfd-b9c3-01e75843f47d", "client_order_id": cid,
            "created_at": "2024-01-02T21:05:01.942282Z", "updated_at": "2024-01-02T21:05:01.942282Z",
            "submitted_at": "2024-01-02T21:05:01.937734Z", "filled_at": filled_at, "expired_at": None,
            "canceled_at": None, "failed_at": None, "replaced_at": None, "replaced_by": None, "replaces": None,
            "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": "MSFT", "asset_class": "us_equity",
            "notional": None, "qty": qty, "filled_qty": filled_qty, "filled_avg_price": filled_avg_price,
            "order_class": "simple", "order_type": "market", "type": "market", "side": "buy", "time_in_force": "day",
            "limit_price": None, "stop_price": None, "status": status, "extended_hours": False, "legs": None,
            "trail_percent": None, "trail_price": None, "hwm": None, "commission": "0"}


@pytest.fixture
def alpaca(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("ALPACA_API_KEY", "test-key")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "test-secret")
    httpserver.expect_request("/v2/account", method="GET").respond_with_json(ACCOUNT)
    httpserver.expect_request("/v2/positions", method="GET").respond_with_json([])
    db = Store(tmp_path / "alpaca.sqlite")
    return AlpacaBroker(db, "live1", url_override=httpserver.url_for("").rstrip("/")), httpserver


def posted_orders(server):
    return [json.loads(r.data) for r, _ in server.log if r.method == "POST" and r.path == "/v2/orders"]


def test_keys_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ALPACA_API_KEY", raising=False)
    monkeypatch.delenv("ALPACA_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="ALPACA_API_KEY"):
        AlpacaBroker(Store(tmp_path / "x.sqlite"), "s")


def test_fractional_order_sized_by_the_risk_engine_goes_out_once(alpaca):
    broker, server = alpaca
    cid = client_order_id("live1", "MSFT", "2024-01-02", "buy")
    server.expect_request("/v2/orders", method="POST").respond_with_json(alpaca_order(cid))
    o = broker.submit(broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0))
    assert (o.status, o.qty, o.broker_order_id) == ("accepted", 0.125, "61e69015-8549-4bfd-b9c3-01e75843f47d")
    body, = posted_orders(server)
    assert body["client_order_id"] == cid and body["symbol"] == "MSFT" and body["side"] == "buy"
    assert float(body["qty"]) == 0.125 and body["time_in_force"] == "day" and body["type"] == "market"
    broker.submit(broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0))   # a retry of the same decision
    assert len(posted_orders(server)) == 1


def test_notional_order_for_a_small_account(alpaca):
    broker, server = alpaca
    cid = client_order_id("live1", "MSFT", "2024-01-02", "buy")
    server.expect_request("/v2/orders", method="POST").respond_with_json(dict(alpaca_order(cid), qty=None, notional="50"))
    o = broker.submit(broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0, notional=True))
    assert o.notional == 50.0 and o.qty is None
    body, = posted_orders(server)
    assert float(body["notional"]) == 50.0 and "qty" not in body


def test_resend_after_a_crash_finds_the_order_instead_of_sending_twice(alpaca):
    broker, server = alpaca
    o = broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0)
    broker.store.write("orders", o.record())            # written ahead, then the process died; Alpaca has the order
    server.expect_request("/v2/orders", method="POST").respond_with_json(
        {"code": 40010001, "message": "client_order_id must be unique"}, status=422)
    server.expect_request("/v2/orders:by_client_order_id", method="GET",
                          query_string={"client_order_id": o.client_order_id}).respond_with_json(alpaca_order(o.client_order_id))
    sent = broker.submit(o)
    assert sent.status == "accepted" and sent.broker_order_id == "61e69015-8549-4bfd-b9c3-01e75843f47d"
    assert len(broker.store.read("orders")) == 1


def test_guardrail_blocks_before_anything_leaves(alpaca):
    broker, server = alpaca
    broker.halt("operator")
    o = broker.submit(broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0))
    assert (o.status, o.reason) == ("blocked", "kill_switch")
    assert posted_orders(server) == []
    assert broker.store.read("orders")["reason"].tolist() == ["kill_switch"]


def test_settle_records_the_fill_alpaca_reports(alpaca):
    broker, server = alpaca
    cid = client_order_id("live1", "MSFT", "2024-01-02", "buy")
    server.expect_request("/v2/orders", method="POST").respond_with_json(alpaca_order(cid))
    broker.submit(broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0))
    filled = alpaca_order(cid, status="filled", filled_qty="0.125", filled_avg_price="401.37",
                          filled_at="2024-01-03T14:30:01.5Z")
    server.expect_request("/v2/orders:by_client_order_id", method="GET").respond_with_json(filled)
    fill, = broker.settle()
    assert (fill.qty, fill.price, fill.ts) == (0.125, 401.37, pd.Timestamp("2024-01-03 14:30:01.5"))
    assert broker.settle() == []                                                    # recorded once
    assert broker.store.read("orders")["status"].tolist() == ["filled"]


def test_positions_and_account_parse_string_money_fields(httpserver, tmp_path, monkeypatch):
    monkeypatch.setenv("ALPACA_API_KEY", "k"); monkeypatch.setenv("ALPACA_SECRET_KEY", "s")
    httpserver.expect_request("/v2/positions").respond_with_json([POSITION])
    httpserver.expect_request("/v2/account").respond_with_json(dict(ACCOUNT, equity="990.50", last_equity="1000.00"))
    b = AlpacaBroker(Store(tmp_path / "p.sqlite"), "s", url_override=httpserver.url_for("").rstrip("/"))
    p = b.positions()["AAPL"]
    assert (p.qty, p.avg_price, p.price) == (0.25, 100.0, 120.0)
    a = b.account()
    assert (a.equity, a.day_start_equity) == (990.5, 1000.0)
    assert b.entry_order("AAPL", "2024-01-02", entry=95.0, stop=90.0).reason == "no_averaging_down"


def test_part_filled_order_that_expired_keeps_its_fill(alpaca):
    broker, server = alpaca
    cid = client_order_id("live1", "MSFT", "2024-01-02", "buy")
    server.expect_request("/v2/orders", method="POST").respond_with_json(alpaca_order(cid))
    broker.submit(broker.entry_order("MSFT", "2024-01-02", entry=400.0, stop=390.0))
    expired = alpaca_order(cid, status="expired", filled_qty="0.05", filled_avg_price="400.10", filled_at="2024-01-03T20:59:59Z")
    server.expect_request("/v2/orders:by_client_order_id", method="GET").respond_with_json(expired)
    fill, = broker.settle()
    assert (fill.qty, fill.price) == (0.05, 400.10)
    assert broker.store.read("orders")["status"].tolist() == ["canceled"]
