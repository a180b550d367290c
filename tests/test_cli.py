"The `trading-kit run` command, run as a user would run it (with the mini template, so it is fast)."
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "trading-kit"
MINI = Path(__file__).parent / "fixtures" / "mini_template.ipynb"
SECRET = "dummy-cli-secret-4a5b6c"


def run(*args, env=None):
    return subprocess.run([str(EXE), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    r = run("run", "--tickers", "MSFT", "NOPE", "EURUSD:1h", "--template", MINI, "--output-dir", out, "--run-id", "c1",
            "--seed", 3, "--workers", 2, "--no-progress", env={"TRADING_KIT_DUMMY_API_KEY": SECRET})
    return r, out / "c1"


def test_run_reports_failures_and_where_the_summary_is(first_run):
    r, run_dir = first_run
    assert r.returncode == 1, r.stderr                           # one ticker failed
    assert f"summary: {run_dir / 'index.html'}" in r.stdout
    assert "FAILED NOPE: ProviderError" in r.stderr
    s = pd.read_csv(run_dir / "summary.csv").set_index("ticker")
    assert s.loc["MSFT", "status"] == s.loc["EURUSD:1h", "status"] == "ok" and s.loc["NOPE", "status"] == "failed"
    m = json.loads((run_dir / "run.json").read_text())
    assert m["params"]["seed"] == 3 and m["seed"] == 3 and m["workers"] == 2
    assert m["settings"]["data"]["provider"] == "sample" and m["settings"]["training"]["seed"] == 3


def test_secrets_stay_out_of_outputs_and_logs(first_run):
    r, run_dir = first_run
    assert SECRET not in r.stdout + r.stderr
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert files and not [p for p in files if SECRET.encode() in p.read_bytes()]


def test_resume_skips_finished_tickers(first_run):
    _, run_dir = first_run
    nb = run_dir / "MSFT" / "notebook.ipynb"
    before = nb.stat().st_mtime_ns
    r = run("run", "--tickers", "MSFT", "NOPE", "EURUSD:1h", "--template", MINI, "--output-dir", run_dir.parent,
            "--resume", "--seed", 3, "--workers", 1, "--no-progress")          # no --run-id: the latest run
    assert r.returncode == 1 and str(run_dir / "index.html") in r.stdout
    assert nb.stat().st_mtime_ns == before
    assert json.loads((run_dir / "run.json").read_text())["tickers"]["MSFT"]["skipped"]


def test_defaults_come_from_settings_and_success_exits_zero(tmp_path):
    r = run("run", "--template", MINI, "--output-dir", tmp_path, "--run-id", "ok", "--no-progress",
            env={"TRADING_KIT_DATA_UNIVERSE": "GOOG"})
    assert r.returncode == 0, r.stderr
    assert list(pd.read_csv(tmp_path / "ok" / "summary.csv")["ticker"]) == ["GOOG"]


@pytest.mark.parametrize("param,needle", [("bogus=1", "bogus"), ("training.epochs=abc", "training.epochs"),
                                          ("epochs", "key=value"), ("news_api_key=xyz", "environment variables"),
                                          ("labels.horizon=0", "labels.horizon")])
def test_bad_parameters_stop_before_any_ticker_runs(tmp_path, param, needle):
    r = run("run", "--tickers", "MSFT", "--template", MINI, "--output-dir", tmp_path, "-p", param, "--no-progress")
    assert r.returncode == 2 and "ConfigError" in r.stderr and needle in r.stderr
    assert not list(tmp_path.iterdir())


def test_missing_template_is_a_clear_error(tmp_path):
    r = run("run", "--tickers", "MSFT", "--template", tmp_path / "nope.ipynb", "--output-dir", tmp_path)
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_summarize_rebuilds_a_merged_run(first_run, tmp_path):
    import shutil
    _, run_dir = first_run
    merged = tmp_path / "c1"
    shutil.copytree(run_dir, merged)
    for f in ("summary.csv", "index.html"): (merged / f).unlink()
    r = run("summarize", merged)
    assert r.returncode == 1 and f"summary: {merged / 'index.html'}" in r.stdout      # NOPE failed
    assert len(pd.read_csv(merged / "summary.csv")) == 3 and (merged / "index.html").is_file()


def test_makefile_demo_is_trading_kit_demo():
    import re
    from trading_kit.run_commands import DEMO_OVERRIDES
    mk = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install\n\t\$\(BIN\)/trading-kit demo\b", mk, re.M)   # one source of demo settings
    assert "labels.threshold_mode=vol" in DEMO_OVERRIDES and "training.epochs=5" in DEMO_OVERRIDES


@pytest.mark.slow
def test_demo_runs_every_sample_ticker(tmp_path):
    for m in ("features", "labels", "models", "training", "evaluation"):
        pytest.importorskip(f"trading_kit.{m}")
    r = run("demo", "--output-dir", tmp_path, "--run-id", "demo", "--no-progress")
    assert r.returncode == 0, r.stdout + r.stderr
    s = pd.read_csv(tmp_path / "demo" / "summary.csv")
    assert set(s["ticker"]) == {"MSFT", "SPX", "GOOG", "EURUSD:1h"} and (s["status"] == "ok").all()
    for d in ("MSFT", "SPX", "GOOG", "EURUSD_1h"):
        for f in ("report.html", "metrics.json", "checkpoint/model.safetensors", "checkpoint/scaler.json"):
            assert (tmp_path / "demo" / d / f).is_file(), (d, f)
    assert f"summary: {tmp_path / 'demo' / 'index.html'}" in r.stdout


def test_a_bad_per_ticker_interval_stops_the_run_before_any_kernel(tmp_path):
    r = run("run", "--tickers", "MSFT", "GOOG:3d", "--template", MINI, "--output-dir", tmp_path, "--run-id", "b",
            "--no-progress")
    assert r.returncode == 2 and "GOOG:3d: unknown interval '3d'" in r.stderr and not list(tmp_path.iterdir())


def test_a_ticker_that_fails_fails_only_that_ticker(tmp_path):
    r = run("run", "--tickers", "MSFT", "NOPE", "--template", MINI, "--output-dir", tmp_path, "--run-id", "b",
            "--no-progress")
    assert r.returncode == 1 and "FAILED NOPE" in r.stderr
    s = pd.read_csv(tmp_path / "b" / "summary.csv").set_index("ticker")
    assert s.loc["MSFT", "status"] == "ok" and s.loc["NOPE", "status"] == "failed"


@pytest.mark.parametrize("flag,value,needle", [("--interval", "3d", "unknown interval '3d'"),
                                               ("--start", "notadate", "data.start"),
                                               ("-p", "data.end=2020-13-45", "data.end"),
                                               ("--workers", "0", "workers must be >= 1")])
def test_bad_run_wide_flags_stop_before_any_ticker_runs(tmp_path, flag, value, needle):
    r = run("run", "--tickers", "MSFT", "--template", MINI, "--output-dir", tmp_path, flag, value, "--no-progress")
    assert r.returncode == 2 and "ConfigError" in r.stderr and needle in r.stderr, r.stderr
    assert not list(tmp_path.iterdir())


def test_data_errors_printed_to_the_log_are_redacted(monkeypatch, capsys):
    "A provider error can quote a request URL holding the key (e.g. ...?apikey=...); the log must not show it."
    from trading_kit.cli import main
    monkeypatch.setenv("SOME_PROVIDER_API_KEY", "NOPEKEY123")
    rc = main(["data", "--tickers", "NOPEKEY123", "--provider", "sample"])
    out = capsys.readouterr()
    assert rc == 1 and "FAILED" in out.err and "NOPEKEY123" not in out.out + out.err


def test_a_rule_strategy_runs_from_the_cli_like_a_model(tmp_path):
    "Issue 10: `trading-kit run --strategy vwap_reversion --tickers EURUSD:1h` works offline and reports like a model run."
    r = run("run", "--strategy", "vwap_reversion", "--tickers", "EURUSD:1h", "--output-dir", tmp_path, "--run-id", "s",
            "--no-progress")
    assert r.returncode == 0, r.stdout + r.stderr
    d = tmp_path / "s" / "EURUSD_1h"
    m = json.loads((d / "metrics.json").read_text())
    assert m["params"]["strategy"] == "vwap_reversion" and m["headline"]["n_trials"] >= 1
    assert m["backtest"]["strategy"]["n_trials"] >= 1 and "buy_and_hold" in m["backtest"]
    assert "never traded" in r.stdout and "smallest order" in r.stdout          # a $1,000 account: said, not hidden
    assert (d / "report.html").is_file() and (d / "figures" / "experiment.png").is_file()


def test_a_strategy_grid_from_the_cli_is_chosen_before_the_bars_it_reports(tmp_path):
    "`trading-kit run --strategy kalman_breakout --grid --tickers MSFT`: chosen on the train + val bars, reported on the test bars, both said."
    import pandas as pd
    r = run("run", "--strategy", "kalman_breakout", "--grid", "--tickers", "MSFT", "--output-dir", tmp_path, "--run-id", "g", "--no-progress")
    assert r.returncode == 0, r.stdout + r.stderr
    d = tmp_path / "g" / "MSFT"
    m, g = json.loads((d / "metrics.json").read_text()), pd.read_parquet(d / "grid.parquet")
    sel, test = m["splits"]["selection"], m["splits"]["test"]
    assert pd.Timestamp(sel["end"]) < pd.Timestamp(test["start"]) and test["samples"] == m["data"]["bars"] - sel["samples"]
    assert f"Chosen on {sel['start'][:10]} to {sel['end'][:10]}" in m["verdict"] and f"tested on {test['start'][:10]}" in m["verdict"]
    assert g.chosen.sum() == 1 and g.selection_sharpe.idxmax() == g.chosen.idxmax() and m["headline"]["n_trials"] >= len(g)
