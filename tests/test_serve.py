"The signals API: a real uvicorn on 127.0.0.1, and a bounded schemathesis run against its OpenAPI schema."
import socket, threading, time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
import requests

from live_runs import make_run
from trading_kit.data import load_ohlcv
from trading_kit.serve import create_app

KEY = "test-key-123"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("TRADING_KIT_API_KEY", KEY)
    yield create_app(make_run(tmp_path_factory.mktemp("run") / "run"))
    mp.undo()


@pytest.fixture(scope="module")
def server(app):
    "uvicorn serving the app on a free port of 127.0.0.1, stopped at the end."
    import uvicorn
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=srv.run, daemon=True)
    th.start()
    for _ in range(200):
        if srv.started: break
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    th.join(10)
    assert not th.is_alive()


def bars_json(n=300):
    b = load_ohlcv("MSFT").iloc[-n:]
    return [{"ts": ts.isoformat(), **{k: float(v) for k, v in row.items()}} for ts, row in b.iterrows()]


def test_real_server_health_signals_predict(server):
    assert requests.get(f"{server}/health", timeout=10).json()["status"] == "ok"
    sig = requests.get(f"{server}/signals", headers={"X-API-Key": KEY}, timeout=30)
    assert sig.status_code == 200 and [s["ticker"] for s in sig.json()] == ["GOOG", "MSFT"]
    assert all(abs(s["p_down"] + s["p_neutral"] + s["p_up"] - 1) < 1e-9 for s in sig.json())
    one = requests.post(f"{server}/predict", headers={"X-API-Key": KEY}, json={"ticker": "MSFT", "bars": bars_json()}, timeout=30)
    assert one.status_code == 200 and one.json()["signal"] in ("long", "flat")
    models = requests.get(f"{server}/models", headers={"X-API-Key": KEY}, timeout=10).json()
    assert {m["ticker"]: m["window"] for m in models} == {"GOOG": 20, "MSFT": 20}


@pytest.mark.parametrize("body", [
    {"ticker": "MSFT"},                                                     # neither bars nor features
    {"ticker": "TSLA", "features": [[0.0] * 32] * 20},                      # not a ticker of the run
    {"ticker": "MSFT", "features": [[False] * 32] * 20},                    # strict: false is not a number
    {"ticker": "MSFT", "features": [["0.5"] * 32] * 20},                    # strict: a string is not a number
    {"ticker": "MSFT", "features": [[0.0] * 31] * 20},                      # wrong feature count
    {"ticker": "MSFT", "features": [[0.0] * 32] * 60},                      # wrong window length
    {"ticker": "MSFT", "features": [[0.0] * 32] * 20, "bars": []},          # both
    {"ticker": "MSFT", "features": [[0.0] * 32] * 20, "colour": "red"},     # unknown field
])
def test_malformed_requests_get_422_over_the_wire(server, body):
    r = requests.post(f"{server}/predict", headers={"X-API-Key": KEY}, json=body, timeout=10)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_not_json_and_bad_bars_get_422(server):
    h = {"X-API-Key": KEY, "Content-Type": "application/json"}
    assert requests.post(f"{server}/predict", headers=h, data=b"{not json", timeout=10).status_code == 422
    inf = b'{"ticker": "MSFT", "features": [' + b",".join([b"[" + b",".join([b"1e400"] * 32) + b"]"] * 20) + b"]}"
    assert requests.post(f"{server}/predict", headers=h, data=inf, timeout=10).status_code == 422   # 1e400 is inf
    bars = bars_json()
    bars[-1]["high"] = bars[-1]["low"] / 2                                  # high below low
    r = requests.post(f"{server}/predict", headers=h, json={"ticker": "MSFT", "bars": bars}, timeout=10)
    assert r.status_code == 422 and "MSFT" in r.json()["detail"][0]["msg"]
    r = requests.post(f"{server}/predict", headers=h, json={"ticker": "MSFT", "bars": bars_json(25)}, timeout=10)
    assert r.status_code == 422                                             # too short for the features' warm-up


def test_key_required(server):
    assert requests.get(f"{server}/signals", timeout=10).status_code == 401
    assert requests.get(f"{server}/models", headers={"X-API-Key": "nope"}, timeout=10).status_code == 401


schemathesis = pytest.importorskip("schemathesis")


def test_schemathesis_never_a_server_error(app):
    "A bounded fuzz of every operation (schema-valid and schema-breaking inputs): no 500, responses match the schema."
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error, response_schema_conformance
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.generation.update(modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
    n, statuses = 0, []
    for op in schema.get_all_operations():
        op = op.ok()
        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None, phases=[Phase.generate])
        def run(case):
            r = case.call_and_validate(headers={"X-API-Key": KEY}, checks=[not_a_server_error, response_schema_conformance])
            statuses.append(r.status_code)
        run()
        n += 1
    assert n == 4 and len(statuses) >= 20
    assert 422 in statuses and 200 in statuses                          # it reached both the happy and the refusing path


def test_serve_command_answers_health_and_signals_on_localhost(tmp_path):
    "`trading-kit serve --run DIR` (the handler the CLI wires) in a child process on 127.0.0.1, stopped at the end."
    import os, subprocess, sys
    run = make_run(tmp_path / "run")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    code = ("import argparse; from trading_kit.live_cli import add_serve_arguments; p = argparse.ArgumentParser(); "
            f"add_serve_arguments(p); a = p.parse_args(['--run', {str(run)!r}, '--port', '{port}']); a.func(a)")
    env = dict(os.environ, TRADING_KIT_API_KEY=KEY, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if requests.get(f"{url}/health", timeout=1).ok: break
            except requests.RequestException: time.sleep(0.1)
        assert requests.get(f"{url}/signals", headers={"X-API-Key": KEY}, timeout=30).status_code == 200
        assert requests.post(f"{url}/predict", headers={"X-API-Key": KEY}, json={"ticker": 1}, timeout=10).status_code == 422
    finally:
        proc.terminate(); proc.wait(20)


def test_provider_outage_is_503_not_the_clients_fault(tmp_path, monkeypatch):
    from fastapi.testclient import TestClient
    import trading_kit.serve as serve_mod
    from trading_kit.core import ProviderError
    monkeypatch.setenv("TRADING_KIT_API_KEY", KEY)
    app = create_app(make_run(tmp_path / "run"))
    def outage(tm): raise ProviderError(f"{tm.ticker}: provider down")
    monkeypatch.setattr(serve_mod, "fetch_bars", outage)
    r = TestClient(app).get("/signals", headers={"X-API-Key": KEY})
    assert r.status_code == 503 and "provider down" in r.json()["detail"]
