"predict on a run folder like `make demo` leaves (four sample tickers, EURUSD hourly), the CLI handlers, and the refusals."
import argparse, io, shutil, warnings
from contextlib import redirect_stdout

import pandas as pd
import pytest

from trading_kit.checkpoints import run_config, save_checkpoint
from trading_kit.core import ConfigError, load_settings
from trading_kit.data import DataWarning, load_ohlcv
from trading_kit.features import engineer_features
from trading_kit.live_cli import add_paper_arguments, add_predict_arguments, add_serve_arguments
from trading_kit.models import get_model
from trading_kit.predict import load_run, predict

try:
    from trading_kit.scaling import Scaler
except ImportError:
    from trading_kit.labels import Scaler

DEMO = [("MSFT", "1d"), ("SPX", "1d"), ("GOOG", "1d"), ("EURUSD", "1h")]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    "Like `make demo`'s run: one folder per sample ticker (EURUSD_1h for the hourly one), a small model each."
    import torch
    root = tmp_path_factory.mktemp("outputs") / "20261201-demo"
    for t, iv in DEMO:
        cfg = load_settings(overrides={"labels.window": 30, "data.interval": iv, "data.provider": "sample", "model.name": "gru"})
        feats = engineer_features(load_ohlcv(t, interval=iv, provider="sample"), "seed32").dropna()
        torch.manual_seed(0)
        save_checkpoint(root / (t if iv == "1d" else f"{t}_{iv}") / "checkpoint", get_model("gru", n_features=32, hidden=8, layers=1),
                        "gru", scaler=Scaler().fit(feats.to_numpy()), config=run_config(cfg, t, list(feats.columns)))
    return root


def cli(*argv):
    p = argparse.ArgumentParser(); sub = p.add_subparsers(required=True)
    add_predict_arguments(sub.add_parser("predict")); add_serve_arguments(sub.add_parser("serve")); add_paper_arguments(sub.add_parser("paper"))
    args, out = p.parse_args(argv), io.StringIO()
    with redirect_stdout(out): rc = args.func(args)
    return rc, out.getvalue()


def test_predict_prints_a_signal_for_each_of_the_four_tickers(demo_run):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)      # the sample provider serves "now" as its last bar: nothing stale
        rc, out = cli("predict", "--run", str(demo_run))
    assert rc == 0
    lines = [l.split() for l in out.splitlines()[2:]]
    assert [l[0] for l in lines] == ["EURUSD", "GOOG", "MSFT", "SPX"]
    assert all(l[6] in ("long", "flat") for l in lines)
    table = predict(demo_run)
    assert table.set_index("ticker")["interval"].to_dict() == {"EURUSD": "1h", "GOOG": "1d", "MSFT": "1d", "SPX": "1d"}
    assert table.set_index("ticker").loc["EURUSD", "asof"] == load_ohlcv("EURUSD", interval="1h", provider="sample").index[-1]


def test_refuses_bars_of_another_interval(demo_run):
    daily = load_ohlcv("EURUSD", interval="1h", provider="sample").resample("1D").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}).dropna()
    with pytest.raises(ConfigError, match="trained on 1h bars"):
        predict(demo_run, bars={"EURUSD": daily}, tickers=["EURUSD"])


def test_refuses_a_checkpoint_of_another_window(demo_run, tmp_path):
    run = tmp_path / "run"; shutil.copytree(demo_run / "MSFT", run / "MSFT")
    m = load_run(run)["MSFT"]
    bars = load_ohlcv("MSFT").iloc[-60:]
    with pytest.raises(ConfigError, match="window of 30 bars"):
        from trading_kit.predict import scaled_window
        scaled_window(m, engineer_features(bars, "seed32").iloc[-20:])


def test_stale_bars_warn(demo_run):
    bars = load_ohlcv("MSFT")
    with pytest.warns(DataWarning, match="stale"):
        predict(demo_run, bars={"MSFT": bars}, tickers=["MSFT"], now=bars.index[-1] + pd.Timedelta("30D"))
