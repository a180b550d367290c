"The base install imports the live modules without the `live` extra, and says which extra a live feature needs."
import subprocess, sys

CODE = """
import sys
for m in ('sqlalchemy', 'psycopg', 'fastapi', 'uvicorn', 'alpaca', 'starlette'): sys.modules[m] = None
import trading_kit.store, trading_kit.brokers, trading_kit.paper, trading_kit.predict, trading_kit.serve, trading_kit.live_cli
from trading_kit.core import ConfigError
for make in (lambda: trading_kit.store.Store('x.sqlite'), lambda: trading_kit.serve.create_app('run')):
    try: make()
    except ConfigError as e: assert "trading-kit[live]" in str(e), e
    else: raise AssertionError("no error")
print("ok")
"""


def test_live_modules_import_without_the_live_extra(tmp_path):
    r = subprocess.run([sys.executable, "-c", CODE], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr[-2000:]
