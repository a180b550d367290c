"The `trading-kit data` command, run as a user would run it."
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXE = Path(sys.executable).parent / "trading-kit"


def run(*args):
    return subprocess.run([str(EXE), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_data_command_prints_a_summary_per_ticker():
    r = run("data", "--tickers", "MSFT", "GOOG")
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if l.startswith(("MSFT", "GOOG"))]
    assert len(lines) == 2 and "7983" in r.stdout and "2148" in r.stdout


def test_data_command_fails_loudly_on_a_bad_ticker_but_prints_the_rest():
    r = run("data", "--tickers", "MSFT", "NOPE")
    assert r.returncode == 1
    assert "MSFT" in r.stdout and "FAILED NOPE" in r.stderr and "unknown ticker" in r.stderr


def test_bad_interval_is_a_clear_error():
    r = run("data", "--tickers", "MSFT", "--interval", "3d")
    assert r.returncode == 1 and "unknown interval '3d'" in r.stderr


def test_a_run_reads_the_sample_folder_its_parameters_name(tmp_path):
    "issue 16.6: -p data.sample_dir=... was accepted and then ignored inside the run (it loaded data/sample)."
    import json
    import pandas as pd
    folder = tmp_path / "mine"
    folder.mkdir()
    pd.read_csv(ROOT / "data" / "sample" / "MSFT_1d.csv").iloc[-1000:].to_csv(folder / "MSFT_1d.csv", index=False)
    r = run("run", "--tickers", "MSFT", "--epochs", "1", "-p", "model.name=linear", "-p", f"data.sample_dir={folder}",
            "--output-dir", str(tmp_path / "out"), "--run-id", "t", "--no-progress")
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "out" / "t" / "MSFT"
    assert json.loads((out / "metrics.json").read_text())["data"]["bars"] == 1000   # not the sample's 7983
    ckpt = json.loads((out / "checkpoint" / "config.json").read_text())["config"]
    assert ckpt["data"]["sample_dir"] == str(folder) and ckpt["ticker"] == "MSFT"
    assert (out / "checkpoint" / "scaler.json").is_file()


def test_a_run_reads_the_csv_folder_of_data_dir(tmp_path):
    "issue 16.6: --data-dir points --provider csv at a folder; the run must train on that folder's bars."
    import json
    import pandas as pd
    folder = tmp_path / "mine"
    folder.mkdir()
    pd.read_csv(ROOT / "data" / "sample" / "MSFT_1d.csv").iloc[-900:].to_csv(folder / "MSFT_1d.csv", index=False)
    r = run("run", "--tickers", "MSFT", "--epochs", "1", "--model", "linear", "--data-dir", str(folder),
            "--output-dir", str(tmp_path / "out"), "--run-id", "t", "--no-progress")
    assert r.returncode == 0, r.stdout + r.stderr
    out = tmp_path / "out" / "t" / "MSFT"
    m = json.loads((out / "metrics.json").read_text())
    assert m["data"]["bars"] == 900
    assert json.loads((out / "checkpoint" / "config.json").read_text())["config"]["data"]["provider"] == "csv"
