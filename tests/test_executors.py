"The batch on a Dask LocalCluster (127.0.0.1): same metrics.json as the local executor, failures isolated, resume."
import json
from pathlib import Path

import pytest

from trading_kit.batch import run_batch
from trading_kit.core import ConfigError
from trading_kit.run_outputs import read_json_or_empty

MINI = Path(__file__).parent / "fixtures" / "mini_template.ipynb"
TICKERS = ["MSFT", "NOPE", "EURUSD:1h"]

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    local = run_batch(TICKERS, MINI, {"seed": 3}, out, run_id="local", workers=1, progress=False)
    dask = run_batch(TICKERS, MINI, {"seed": 3}, out, run_id="dask", executor="dask", progress=False)
    return local, dask

def test_dask_gives_the_same_metrics_as_local(runs):
    local, dask = runs
    for d in ("MSFT", "EURUSD_1h"):
        a, b = (json.loads((r.run_dir / d / "metrics.json").read_text()) for r in runs)
        assert a == b and a["seed"] == 3
    assert list(local.summary.columns) == list(dask.summary.columns)
    assert sorted(f.name for f in (dask.run_dir / "MSFT").iterdir()) == sorted(f.name for f in (local.run_dir / "MSFT").iterdir())

def test_one_failing_ticker_is_reported_while_others_finish(runs):
    _, dask = runs
    assert dask.failed == ["NOPE"]
    st = {s["spec"]: s for s in dask.statuses}
    assert st["MSFT"]["status"] == st["EURUSD:1h"]["status"] == "ok"
    assert st["NOPE"]["error_type"] == "ProviderError" and "NOPE" in st["NOPE"]["error"]
    assert "NOPE" in (dask.run_dir / "summary.csv").read_text()
    manifest = read_json_or_empty(dask.run_dir / "run.json")
    assert manifest["request"]["executor"] == "dask" and manifest["state"] == "finished"

def test_resume_on_dask_skips_finished_tickers(runs):
    _, dask = runs
    out = dask.run_dir.parent
    again = run_batch(["MSFT", "EURUSD:1h"], MINI, {"seed": 3}, out, run_id="dask", executor="dask", resume=True, progress=False)
    assert all(s.get("skipped") for s in again.statuses if s["spec"] in ("MSFT", "EURUSD:1h"))

def test_bad_executor_arguments(tmp_path):
    with pytest.raises(ConfigError, match="expected one of"): run_batch(["MSFT"], MINI, {}, tmp_path, executor="ray")
    with pytest.raises(ConfigError, match="is for executor='dask'"):
        run_batch(["MSFT"], MINI, {}, tmp_path, scheduler="tcp://127.0.0.1:8786")

def test_cli_run_sample_dask_matches_local(tmp_path, capsys):
    "`trading-kit run --sample --executor dask` gives the same metrics as `--executor local` (mini template: fast)."
    from trading_kit.cli import main
    common = ["run", "--sample", "--template", str(MINI), "--seed", "5", "--output-dir", str(tmp_path), "--no-progress"]
    assert main(common + ["--run-id", "cli-local", "--executor", "local"]) == 0
    assert main(common + ["--run-id", "cli-dask", "--executor", "dask"]) == 0
    local = sorted(p.relative_to(tmp_path / "cli-local") for p in (tmp_path / "cli-local").glob("*/metrics.json"))
    assert len(local) >= 4
    for p in local:
        assert json.loads((tmp_path / "cli-local" / p).read_text()) == json.loads((tmp_path / "cli-dask" / p).read_text())
    assert read_json_or_empty(tmp_path / "cli-dask" / "run.json")["request"]["executor"] == "dask"

def test_cli_universe_file(tmp_path):
    from trading_kit.cli import main
    f = tmp_path / "mine.txt"
    f.write_text("MSFT  # mine\nNOPE\n")
    rc = main(["run", "--universe", str(f), "--template", str(MINI), "--output-dir", str(tmp_path), "--run-id", "u",
               "--no-progress", "--provider", "sample"])
    assert rc == 1  # NOPE failed, MSFT ran
    st = {s["spec"]: s["status"] for s in (json.loads(p.read_text()) for p in (tmp_path / "u").glob("*/status.json"))}
    assert st == {"MSFT": "ok", "NOPE": "failed"}
