"The experiment object as a user meets it (issue 9 acceptance): the README's hello world and what it promises."
import hashlib
import os
import subprocess
import sys
import warnings
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trading_kit.core import ConfigError, ProviderError
from trading_kit.experiment import Experiment, new_experiment, run_experiment

ROOT = Path(__file__).resolve().parents[1]
HELLO = {"training.epochs": 2, "model.name": "linear"}

HELLO_SCRIPT = """
import hashlib, matplotlib
matplotlib.use("Agg")
from trading_kit.experiment import run_experiment
exp = run_experiment("MSFT", overrides={"training.epochs": 2, "model.name": "linear"})
print(exp.verdict); exp.table(); exp.plot()
print("PROBS", hashlib.sha256(exp.probs.astype("float64").tobytes()).hexdigest(), exp.probs.shape)
"""


@pytest.fixture(scope="module")
def hello():
    "The hello world, run once in this process (n_boot kept small: the CIs are not under test here)."
    return run_experiment("MSFT", overrides=HELLO, trials=False, n_boot=200)


def _fresh_process(tmp_path, n):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRADING_KIT_RUN_OUTPUT_DIR": str(tmp_path / f"out{n}"),
           "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, "-c", HELLO_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


def test_hello_world_gives_identical_probabilities_in_two_fresh_processes(tmp_path):
    "issue 9.6: the first run in every fresh process drew other weights; same settings + seed = same numbers anywhere."
    a, b = _fresh_process(tmp_path, 1), _fresh_process(tmp_path, 2)
    pa, pb = [l for l in a.splitlines() if l.startswith("PROBS")], [l for l in b.splitlines() if l.startswith("PROBS")]
    assert len(pa) == 1 and pa == pb
    assert "baseline" in a and "buy-and-hold" in a                  # the verdict was printed


def test_hello_world_probabilities_match_this_process(hello, tmp_path):
    "The in-process entry point gives the same numbers as a fresh interpreter."
    out = _fresh_process(tmp_path, 3)
    digest = hashlib.sha256(hello.probs.astype("float64").tobytes()).hexdigest()
    assert f"PROBS {digest}" in out


def test_hello_world_verdict_table_plot(hello):
    assert hello.probs.shape == (len(hello.data.part_index("test")), 3)
    np.testing.assert_allclose(hello.probs.sum(axis=1), 1, atol=1e-5)
    assert "baseline" in hello.verdict and "buy-and-hold" in hello.verdict and "LEAK ALARM" not in hello.verdict
    t = hello.table()
    assert {"linear", "majority", "buy-and-hold"} <= set(t.index)
    assert hello.plot() is not None


def test_vol_window_changes_the_labels_of_a_run():
    "issue 9: labels.vol_window was read by no stage, so threshold_mode=vol ignored it."
    ov = {**HELLO, "labels.threshold_mode": "vol", "labels.threshold": 0.5}
    y = {}
    for w in (10, 60):
        e = new_experiment("MSFT", overrides={**ov, "labels.vol_window": w}, trials=False).load_bars().compute_features().prepare()
        y[w] = pd.Series(np.asarray(e.data.y), e.data.index)
    both = (y[10] >= 0) & (y[60] >= 0)                             # -1: no label (volatility warm-up, last bars)
    assert both.sum() > 5000
    assert (y[10][both] != y[60][both]).mean() > 0.02             # a real share of the labels moves, not a rounding handful


def test_stop_distance_equals_stop_atr_times_the_features_atr(hello):
    "issue 9.4: the stop used an SMA of true range while the features use Wilder's ATR."
    orders = hello.backtest.orders
    entries = orders[orders["reason"] == "entry"]
    assert len(entries) > 20
    atr = hello.features["atr_14_pct"] / 100 * hello.bars["close"]      # the ATR the features show, in price
    pos = hello.bars.index.get_indexer(entries.index)
    signal_bar = hello.bars.index[pos - 1]                               # fills on the bar after its signal
    k = hello.settings.backtest.stop_atr
    planned = (entries["fill_price"] - entries["stop"]).abs()
    # the stop sits k x ATR(signal bar) below the signal bar's close or the fill; accept either anchor, but it must be Wilder's ATR
    by_close = (hello.bars["close"].loc[signal_bar].to_numpy() - entries["stop"].to_numpy())
    ok = np.isclose(by_close, k * atr.loc[signal_bar].to_numpy(), rtol=1e-6) | np.isclose(planned.to_numpy(), k * atr.loc[signal_bar].to_numpy(), rtol=1e-6)
    assert ok.all(), entries[~ok].head()


def test_a_backtest_runs_with_deprecation_and_future_warnings_as_errors(tmp_path):
    "issue 9.7: vectorbt's records_readable raised ~100 pandas deprecation warnings per call."
    code = ("import pandas as pd\n"
            "from trading_kit.core import load_settings\n"
            "from trading_kit.data import load_ohlcv\n"
            "from trading_kit.backtest import run_backtest\n"
            "bars = load_ohlcv('MSFT').iloc[-600:]\n"
            "entries = pd.Series(False, bars.index); entries.iloc[30::40] = True\n"
            "exits = entries.shift(10, fill_value=False)\n"
            "bt = run_backtest(bars, entries, load_settings(), exits=exits, start=bars.index[20], ticker='MSFT')\n"
            "bt.table(); print('TRADES', bt.metrics['n_trades'])\n")
    r = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-W", "error::FutureWarning", "-c", code], cwd=ROOT,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "TRADES" in r.stdout and "TRADES 0" not in r.stdout


def test_planted_leak_says_leak_alarm_in_the_verdict_and_the_backtest():
    "issue 9.6: a planted leak (a feature equal to the next bar's return) raised the alarm in the evaluation only."
    e = new_experiment("MSFT", overrides={**HELLO, "training.epochs": 3}, trials=False, n_boot=200).load_bars()
    leak = pd.DataFrame({"next_return": e.bars["close"].pct_change().shift(-1).fillna(0.0)}, index=e.bars.index)
    e.user_features = leak
    e.compute_features().prepare().train().evaluate().run_backtest()
    assert e.verdict.startswith("LEAK ALARM")
    assert e.backtest.notes and e.backtest.notes[0].startswith("LEAK ALARM")
    assert e.backtest.metrics["leak_alarm"] is True
    assert "LEAK ALARM" in e.backtest.table().iloc[0, 0]
    assert "LEAK ALARM" in repr(e.backtest).splitlines()[0]


def test_save_then_load_round_trips_settings_probabilities_and_model(hello, tmp_path):
    import torch
    d = hello.save(tmp_path / "MSFT", figures=False)
    back = Experiment.load(d)
    assert asdict(back.settings) == asdict(hello.settings)
    assert back.ticker == hello.ticker and back.interval == hello.interval
    np.testing.assert_array_equal(back.probs, hello.probs.astype(back.probs.dtype))
    np.testing.assert_allclose(back.probs, hello.probs, rtol=0, atol=1e-7)
    x = torch.randn(4, hello.data.window, len(hello.data.feature_names))
    hello.model.eval(); back.model.eval()
    with torch.no_grad(): torch.testing.assert_close(back.model(x), hello.model.cpu()(x))
    assert back.verdict == hello.verdict
    assert back.table().shape[0] >= 5


def test_the_settings_data_folders_reach_the_loader(tmp_path):
    "issue 16.6 through the experiment: data.sample_dir (and csv_dir) in the run's settings were ignored by load_bars."
    with pytest.raises((ProviderError, ConfigError, FileNotFoundError)):
        new_experiment("MSFT", overrides={"data.sample_dir": str(tmp_path / "empty")}, trials=False).load_bars()
    folder = tmp_path / "mine"; folder.mkdir()
    pd.read_csv(ROOT / "data" / "sample" / "MSFT_1d.csv").iloc[-500:].to_csv(folder / "MSFT_1d.csv", index=False)
    e = new_experiment("MSFT", overrides={"data.sample_dir": str(folder)}, trials=False).load_bars()
    assert len(e.bars) == 500
    e = new_experiment("MSFT", overrides={"data.provider": "csv", "data.csv_dir": str(folder)}, trials=False).load_bars()
    assert len(e.bars) == 500


def test_a_model_that_always_says_up_is_called_collapsed_and_always_long(hello):
    "issue 16.3: a model predicting 'up' on every test bar read as 'ties with the best baseline' and 'trades 0'."
    import copy
    import torch
    from trading_kit.headline import notes

    class AlwaysUp(torch.nn.Module):
        def forward(self, x): return torch.tensor([-3.0, -3.0, 3.0]).expand(x.shape[0], 3)
    e = copy.copy(hello)
    e.model, e.timings = AlwaysUp(), {}
    e.evaluate().run_backtest()
    assert (e.probs.argmax(1) == 2).all()
    from trading_kit.reports import experiment_metrics
    words = notes(experiment_metrics(e))
    assert any("collapsed" in w and "predicts up" in w for w in words), words
    assert any(w.startswith("always long") for w in words), words
    assert e.backtest.metrics["n_trades"] >= 1                        # the open position counts as a trade
    assert e.verdict.startswith("predicts up on") and "collapsed" in e.verdict.splitlines()[0]   # said before any "ties with"
