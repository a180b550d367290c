"Batch runner: papermill per ticker, failure isolation, resume, summary, index.html, run.json, secrets."
import json, os, re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from trading_kit.batch import run_batch, is_complete, default_template, latest_run_id, config_hash
from trading_kit.run_outputs import atomic_write_text, split_secret_params
from trading_kit.core import ConfigError

MINI = Path(__file__).parent / "fixtures" / "mini_template.ipynb"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("outputs")
    res = run_batch(["MSFT", "NOPE", "EURUSD:1h"], MINI, {"seed": 3}, out, run_id="r1", workers=2, progress=False)
    return res


def test_failure_is_isolated_and_recorded(batch):
    assert batch.failed == ["NOPE"] and not batch.ok
    st = {s["spec"]: s for s in batch.statuses}
    assert st["MSFT"]["status"] == st["EURUSD:1h"]["status"] == "ok"
    bad = st["NOPE"]
    assert bad["error_type"] == "ProviderError" and "NOPE" in bad["error"]
    assert Path(bad["notebook"]).is_file()                       # the partly executed notebook is kept
    nb = nbformat.read(bad["notebook"], as_version=4)
    assert any(o.get("output_type") == "error" for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert not is_complete(batch.run_dir / "NOPE") and is_complete(batch.run_dir / "MSFT")


def test_ticker_folders_hold_outputs(batch):
    d = batch.run_dir / "EURUSD_1h"
    for f in ("notebook.ipynb", "report.html", "metrics.json", "status.json", "predictions.parquet", "figures/close.png"):
        assert (d / f).is_file(), f
    m = json.loads((d / "metrics.json").read_text())
    assert m["data"]["interval"] == "1h" and m["seed"] == 3     # the ticker:interval spec reached the template
    nb = nbformat.read(d / "notebook.ipynb", as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert len(pd.read_parquet(d / "predictions.parquet")) == m["data"]["bars"]


def test_report_hides_code_and_embeds_plots(batch):
    html = (batch.run_dir / "MSFT" / "report.html").read_text()
    assert "data:image/png;base64," in html
    assert "load_ohlcv(ticker" not in html                        # code cells hidden
    assert "mini template" in html                                # prose kept


def test_summary_csv_and_index(batch):
    s = pd.read_csv(batch.summary_csv)
    assert set(s["ticker"]) == {"MSFT", "NOPE", "EURUSD:1h"}
    assert list(s["status"]) == ["ok", "ok", "failed"]             # failures last
    ok = s[s.status == "ok"]
    assert ok["model_accuracy"].notna().all() and ok["buy_hold_return"].notna().all()
    assert (ok["edge_vs_baseline"] - (ok["model_accuracy"] - ok["best_baseline_accuracy"])).abs().max() < 1e-12
    assert "ProviderError" in s.loc[s.ticker == "NOPE", "error"].item()
    page = batch.index_html.read_text()
    assert 'href="MSFT/report.html"' in page and 'href="EURUSD_1h/report.html"' in page
    assert "ProviderError" in page and "NOPE" in page
    assert page.count("data:image/png;base64,") == 2              # one figure per successful ticker


def test_run_manifest(batch):
    m = json.loads((batch.run_dir / "run.json").read_text())
    assert m["run_id"] == "r1" and m["n_ok"] == 2 and m["n_failed"] == 1
    assert set(m["tickers"]) == {"MSFT", "NOPE", "EURUSD:1h"}
    assert m["tickers"]["NOPE"]["status"] == "failed" and m["tickers"]["NOPE"]["error_type"] == "ProviderError"
    assert m["tickers"]["MSFT"]["data"]["bars"] == 300 and m["tickers"]["MSFT"]["seconds"] > 0
    assert m["seed"] == 3 and m["params"] == {"seed": 3}
    assert re.fullmatch(r"[0-9a-f]{16}", m["config_hash"])
    assert m["packages"]["papermill"] and m["packages"]["pandas"] and "commit" in m["git"]
    assert latest_run_id(batch.run_dir.parent) == "r1"


def test_resume_skips_complete_tickers(batch, tmp_path):
    msft_nb = batch.run_dir / "MSFT" / "notebook.ipynb"
    before = msft_nb.stat().st_mtime_ns
    (batch.run_dir / "EURUSD_1h" / "status.json").unlink()       # an interrupted ticker
    res = run_batch(["MSFT", "NOPE", "EURUSD:1h"], MINI, {"seed": 3}, batch.run_dir.parent, run_id="r1",
                    resume=True, progress=False)
    st = {s["spec"]: s for s in res.statuses}
    assert st["MSFT"].get("skipped") and msft_nb.stat().st_mtime_ns == before
    assert not st["EURUSD:1h"].get("skipped") and st["EURUSD:1h"]["status"] == "ok"
    assert st["NOPE"]["status"] == "failed" and not st["NOPE"].get("skipped")
    m = json.loads((res.run_dir / "run.json").read_text())
    assert m["tickers"]["MSFT"]["skipped"] and m["tickers"]["MSFT"]["seconds"] > 0
    # resume without a run id picks the latest run
    res2 = run_batch(["MSFT"], MINI, {"seed": 3}, batch.run_dir.parent, resume=True, progress=False)
    assert res2.run_id == "r1" and res2.statuses[0].get("skipped")


def test_same_seed_same_metrics(tmp_path):
    a = run_batch(["GOOG"], MINI, {"seed": 7}, tmp_path, run_id="a", progress=False)
    b = run_batch(["GOOG"], MINI, {"seed": 7}, tmp_path, run_id="b", progress=False)
    c = run_batch(["GOOG"], MINI, {"seed": 8}, tmp_path, run_id="c", progress=False)
    read = lambda r: (r.run_dir / "GOOG" / "metrics.json").read_bytes()
    assert read(a) == read(b) and read(a) != read(c)


SECRET = "dummy-secret-value-9f8e7d"

def test_secrets_never_reach_outputs(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADING_KIT_DUMMY_API_KEY", SECRET)
    leaky = tmp_path / "leaky.ipynb"                                # a careless template that prints the key
    nb = nbformat.read(MINI, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('key is', os.environ['TRADING_KIT_DUMMY_API_KEY'])"))
    nbformat.write(nb, leaky)
    for tpl, rid in ((MINI, "clean"), (leaky, "leaky")):
        res = run_batch(["MSFT", "NOPE"], tpl, {"seed": 1, "api_key": SECRET, "note": f"x{SECRET}"}, tmp_path / "out",
                        run_id=rid, workers=2, progress=False)
        assert "MSFT" not in res.failed
        m = json.loads((res.run_dir / "run.json").read_text())
        assert sorted(m["dropped_secret_params"]) == ["api_key", "note"]
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) > 10
    for p in files: assert SECRET.encode() not in p.read_bytes(), p
    assert "key is ***" in (tmp_path / "out" / "leaky" / "MSFT" / "notebook.ipynb").read_text()


def test_split_secret_params():
    keep, dropped = split_secret_params({"epochs": 1, "NEWS_API_KEY": "a", "broker_secret": "b", "token": "c"}, [])
    assert keep == {"epochs": 1} and sorted(dropped) == ["NEWS_API_KEY", "broker_secret", "token"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"): run_batch(["MSFT"], tmp_path / "none.ipynb", output_dir=tmp_path)
    with pytest.raises(ConfigError, match="no tickers"): run_batch([], MINI, output_dir=tmp_path)
    with pytest.raises(ConfigError, match="run_id"): run_batch(["MSFT"], MINI, output_dir=tmp_path, run_id="a/b")
    with pytest.raises(ConfigError, match="workers"): run_batch(["MSFT"], MINI, output_dir=tmp_path, workers=0)


def test_template_without_metrics_fails(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("ticker = 'X'\noutput_dir = '.'", metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "t.ipynb")
    res = run_batch(["MSFT"], tmp_path / "t.ipynb", output_dir=tmp_path / "o", progress=False)
    assert res.failed == ["MSFT"] and "metrics.json" in res.statuses[0]["error"]


def test_atomic_write_and_hash(tmp_path):
    p = atomic_write_text(tmp_path / "a" / "x.json", "{}")
    assert p.read_text() == "{}" and [f.name for f in p.parent.iterdir()] == ["x.json"]
    assert config_hash({"a": 1}, MINI) != config_hash({"a": 1})
    assert default_template().name == "ticker_run.ipynb"


# --- the real template (needs the features/labels/models/training/evaluation modules) -------------------------

def _need_pipeline():
    for m in ("features", "labels", "models", "training", "evaluation"):
        pytest.importorskip(f"trading_kit.{m}")

TINY = {"epochs": 1, "seed": 5, "overrides": {"model.hidden": "8", "model.layers": "1"}, "torch_threads": 1, "n_boot": 100}


@pytest.fixture(scope="module")
def real_runs(tmp_path_factory):
    _need_pipeline()
    out = tmp_path_factory.mktemp("real")
    a = run_batch(["GOOG", "NOPE"], params=TINY, output_dir=out, run_id="a", workers=2, progress=False)
    b = run_batch(["GOOG"], params=TINY, output_dir=out, run_id="b", progress=False)
    return a, b


def test_real_template_end_to_end(real_runs):
    a, _ = real_runs
    assert a.failed == ["NOPE"]
    d = a.run_dir / "GOOG"
    for f in ("notebook.ipynb", "report.html", "metrics.json", "predictions.parquet", "checkpoint/model.safetensors",
              "checkpoint/config.json", "checkpoint/scaler.json", "figures/experiment.png", "figures/training.png"):
        assert (d / f).is_file(), f
    m = json.loads((d / "metrics.json").read_text())
    h = m["headline"]
    assert 0 <= h["model_accuracy"] <= 1 and h["best_baseline"] in ("majority", "persistence", "logistic", "hgb")
    assert abs(h["edge_vs_baseline"] - (h["model_accuracy"] - h["best_baseline_accuracy"])) < 1e-9
    assert h["buy_hold_return"] is not None and h["strategy_return"] is not None
    assert set(m["evaluation"]["table"]) >= {"majority", "persistence", "logistic", "hgb", "lstm"}
    assert m["params"]["epochs"] == 1 and m["params"]["hidden"] == 8 and m["seed"] == 5
    preds = pd.read_parquet(d / "predictions.parquet")
    assert len(preds) == h["test_bars"] and set(preds.columns) >= {"p_down", "p_neutral", "p_up", "y_true"}
    assert preds.index.min() > pd.Timestamp(m["splits"]["val"]["end"])      # predictions only on the test part
    html = (d / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3 and "baseline_predictions(" not in html
    assert "data:image/png;base64," in a.index_html.read_text()
    run = json.loads((a.run_dir / "run.json").read_text())
    assert run["tickers"]["GOOG"]["data"]["bars"] == 2148 and run["tickers"]["GOOG"]["timings"]["training"] >= 0


def test_real_template_same_seed_same_metrics(real_runs):
    a, b = real_runs
    assert (a.run_dir / "GOOG" / "metrics.json").read_bytes() == (b.run_dir / "GOOG" / "metrics.json").read_bytes()


def test_real_template_bad_parameter_fails_that_ticker_only(real_runs, tmp_path):
    a, _ = real_runs
    res = run_batch(["MSFT:3d"], params={**TINY, "overrides": {"model.name": "nope"}}, output_dir=a.run_dir.parent,
                    run_id="a", resume=True, progress=False)
    st = {s["spec"]: s for s in res.statuses}
    assert st["MSFT:3d"]["error_type"] == "ConfigError" and "3d" in st["MSFT:3d"]["error"]
    s = pd.read_csv(res.summary_csv).set_index("ticker")             # the run's summary keeps its earlier tickers
    assert s.loc["GOOG", "status"] == "ok" and s.loc["NOPE", "status"] == s.loc["MSFT:3d", "status"] == "failed"
    res = run_batch(["GOOG"], params={**TINY, "overrides": {"model.name": "nope"}}, output_dir=tmp_path, progress=False)
    assert res.statuses[0]["error_type"] == "ConfigError" and "nope" in res.statuses[0]["error"]


def test_adding_tickers_to_a_run_keeps_the_earlier_ones(tmp_path):
    run_batch(["MSFT"], MINI, {"seed": 1}, tmp_path, run_id="r", progress=False)
    res = run_batch(["GOOG"], MINI, {"seed": 1}, tmp_path, run_id="r", progress=False)
    assert set(pd.read_csv(res.summary_csv)["ticker"]) == {"MSFT", "GOOG"} and res.ok
    assert set(json.loads((res.run_dir / "run.json").read_text())["tickers"]) == {"MSFT", "GOOG"}


def test_unknown_kernel_fails_the_ticker_clearly(tmp_path):
    res = run_batch(["MSFT"], MINI, output_dir=tmp_path, kernel_name="no-such-kernel", progress=False)
    st = res.statuses[0]
    assert st["status"] == "failed" and st["error_type"] == "RuntimeError" and "no-such-kernel" in st["error"]


def test_colab_notebook_is_outside_nbdev_and_linked_from_the_readme():
    import trading_kit
    root = Path(__file__).resolve().parents[1]
    path = root / "examples" / "colab_getting_started.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    text = "\n".join(code)
    assert "https://github.com/trading-kit/trading-kit" in text and "pip install" in text
    assert f'KIT_REF = "v{trading_kit.__version__}"' in text                         # pinned to this release's tag
    assert "RESTART NEEDED" in text and "drive.mount" in text                        # restart check, Drive option
    assert '"data.provider": "sample"' in text and "os.chdir(KIT_DIR)" in text        # sample bars found from the clone
    assert "run_experiment(" in text and "exp.save(" in text and "exp.verdict" in text
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")      # committed clean
    assert not any(re.search(r"api_?key|secret|token", s, re.I) for s in code)       # no keys as parameters
    assert "colab.research.google.com/github/trading-kit/trading-kit/blob/main/examples/colab_getting_started.ipynb" \
        in (root / "README.md").read_text()
    assert not list((root / "nbs").rglob("*colab*"))


def _chromium():
    import shutil
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(n)), None)


@pytest.mark.parametrize("page", ["index.html", "MSFT/report.html"])
def test_pages_render_their_plots_in_headless_chromium(batch, tmp_path, page):
    import subprocess
    import matplotlib.image as mpimg
    import numpy as np
    exe = _chromium()
    if exe is None: pytest.skip("no Chromium on this machine")
    shot = tmp_path / "shot.png"
    subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,1400",
                    f"--screenshot={shot}", (batch.run_dir / page).as_uri()], capture_output=True, timeout=120)
    img = mpimg.imread(shot)[..., :3]
    line_blue = np.abs(img - np.array([31, 119, 180]) / 255).max(axis=-1) < 0.12   # matplotlib's first line colour
    assert line_blue.sum() > 50, f"no plot line visible in the screenshot of {page}"


def test_kernel_runs_this_interpreter(tmp_path):
    import sys
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("ticker = 'X'\noutput_dir = '.'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import json, sys, pathlib, trading_kit\n"
                                  "pathlib.Path(output_dir, 'metrics.json').write_text(json.dumps({'python': sys.executable, "
                                  "'kit': trading_kit.__file__}))")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "t.ipynb")
    res = run_batch(["X"], tmp_path / "t.ipynb", output_dir=tmp_path / "o", progress=False)
    m = json.loads((res.run_dir / "X" / "metrics.json").read_text())
    assert m["python"] == sys.executable
    import trading_kit
    assert m["kit"] == trading_kit.__file__
    assert json.loads((res.run_dir / "run.json").read_text())["kernel"] == {"name": "python3", "python": sys.executable}


def test_interrupt_keeps_finished_tickers(tmp_path, monkeypatch):
    import trading_kit.batch as batch_mod
    real = batch_mod.run_ticker
    def run_then_interrupt(spec, **kw):
        if spec == "GOOG": raise KeyboardInterrupt
        return real(spec, **kw)
    monkeypatch.setattr(batch_mod, "run_ticker", run_then_interrupt)
    with pytest.raises(KeyboardInterrupt, match="--resume"):
        run_batch(["MSFT", "GOOG", "SPX"], MINI, {"seed": 1}, tmp_path, run_id="i", progress=False)
    run_dir = tmp_path / "i"
    assert list(pd.read_csv(run_dir / "summary.csv")["ticker"]) == ["MSFT"]
    assert json.loads((run_dir / "run.json").read_text())["interrupted"] is True
    monkeypatch.setattr(batch_mod, "run_ticker", real)
    res = run_batch(["MSFT", "GOOG", "SPX"], MINI, {"seed": 1}, tmp_path, run_id="i", resume=True, progress=False)
    assert res.ok and [s.get("skipped", False) for s in res.statuses] == [True, False, False]


def test_real_template_walk_forward(tmp_path):
    _need_pipeline()
    pytest.importorskip("trading_kit.walkforward")
    res = run_batch(["GOOG"], params={**TINY, "walk_forward": True, "wf_folds": 3}, output_dir=tmp_path, progress=False)
    assert res.ok, res.statuses[0]["error"]
    wf = json.loads((res.run_dir / "GOOG" / "metrics.json").read_text())["walk_forward"]
    folds = pd.DataFrame(wf["folds"])
    assert len(folds) == 3 and wf["summary"]["folds"] == 3 and (folds["n_test"] > 0).all()
    assert (pd.to_datetime(folds["test_start"]).iloc[1:].to_numpy() > pd.to_datetime(folds["test_end"]).iloc[:-1].to_numpy()).all()
    assert (pd.to_datetime(folds["train_end"]) < pd.to_datetime(folds["test_start"])).all()
    assert 0 <= wf["summary"]["accuracy"] <= 1 and wf["summary"]["best_baseline"]

def test_a_finished_ticker_is_never_overwritten_by_another_configuration(tmp_path):
    run_batch(["MSFT", "GOOG"], MINI, {"seed": 1}, tmp_path, run_id="r", progress=False)
    same = run_batch(["MSFT", "GOOG"], MINI, {"seed": 1}, tmp_path, run_id="r", resume=True, progress=False)
    assert all(s.get("skipped") for s in same.statuses)
    before = (tmp_path / "r" / "MSFT" / "metrics.json").read_bytes()
    for resume in (True, False):
        with pytest.raises(ConfigError, match="never overwritten"):
            run_batch(["MSFT"], MINI, {"seed": 2}, tmp_path, run_id="r", resume=resume, progress=False)
    assert (tmp_path / "r" / "MSFT" / "metrics.json").read_bytes() == before


ODD_SECRET = 'k3y"with&odd<chars>\\9f8e'                              # JSON and HTML escape some of these characters

def _escaped_forms(s):
    import html
    return {s, json.dumps(s)[1:-1], json.dumps(s, ensure_ascii=False)[1:-1], html.escape(s), html.escape(s, quote=False),
            html.escape(json.dumps(s)[1:-1])}

def test_secrets_with_escaped_characters_never_reach_outputs(tmp_path, monkeypatch):
    "A key the notebook JSON or the HTML report escapes (quote, backslash, &, <) must be redacted in its escaped forms too."
    monkeypatch.setenv("BROKER_API_KEY", ODD_SECRET)
    leaky = tmp_path / "leaky.ipynb"
    nb = nbformat.read(MINI, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('key is', os.environ['BROKER_API_KEY'])"))
    nbformat.write(nb, leaky)
    res = run_batch(["MSFT"], leaky, {"seed": 1}, tmp_path / "out", run_id="odd", workers=1, progress=False)
    assert res.ok
    forms = _escaped_forms(ODD_SECRET)
    files = [p for p in res.run_dir.rglob("*") if p.is_file()]
    for p in files:
        text = p.read_bytes().decode("utf-8", "replace")
        assert not [f for f in forms if f in text], p
    assert "key is ***" in (res.run_dir / "MSFT" / "notebook.ipynb").read_text()


def test_secret_names_cover_common_broker_variables():
    from trading_kit.run_outputs import is_secret_name
    for name in ("APCA_API_KEY_ID", "ALPACA_API_SECRET_KEY", "COINBASE_PASSPHRASE", "GOOGLE_APPLICATION_CREDENTIALS",
                 "OANDA_ACCESS_TOKEN", "POLYGON_APIKEY", "DB_PASSWORD"):
        assert is_secret_name(name), name
    for name in ("TICKER", "EPOCHS", "data.interval", "training.seed"): assert not is_secret_name(name), name


def test_each_ticker_runs_under_the_recorded_settings(tmp_path):
    """issue 16.1: run_batch recorded `settings` in run.json but never gave them to the template, which rebuilt its own from
    settings.ini and the environment: a resumed run took whatever those said by then, under the old config hash."""
    from trading_kit.core import load_settings
    tpl = tmp_path / "seen.ipynb"
    nb = nbformat.read(MINI, as_version=4)
    nb.cells[1].source += "\nsettings = {}"
    nb.cells.append(nbformat.v4.new_code_cell("(out / 'settings_seen.json').write_text(json.dumps(settings))"))
    nbformat.write(nb, tpl)
    s = load_settings(overrides={"model.hidden": 12, "labels.horizon": 3}, env=False).to_dict()
    res = run_batch(["MSFT"], tpl, {"seed": 1}, tmp_path / "out", run_id="r", progress=False, settings=s)
    assert not res.failed
    assert json.loads((res.run_dir / "MSFT" / "settings_seen.json").read_text()) == json.loads(json.dumps(s))
    # a template without a `settings` parameter is not handed one (papermill would warn about an unknown parameter)
    res = run_batch(["MSFT"], MINI, {"seed": 1}, tmp_path / "out", run_id="m", progress=False, settings=s)
    assert not res.failed and "settings" not in (res.run_dir / "MSFT" / "notebook.ipynb").read_text().split("injected-parameters")[-1][:400]


def test_progress_shows_each_running_tickers_stage(tmp_path, monkeypatch, capsys):
    "Issue 16: the bar sat at 0/N for the first minute; now it names the running ticker's section and cells done."
    monkeypatch.setenv("MINI_DELAY_MSFT", "5")
    run_batch(["MSFT"], MINI, {"seed": 1}, tmp_path, run_id="p", progress=True)
    err = capsys.readouterr().err
    assert "MSFT: " in err and "cells)" in err, err[-500:]


def test_parallel_tickers_share_the_cores_instead_of_oversubscribing_them(tmp_path, monkeypatch):
    "Two kernels at once each get cores // 2 torch/OpenMP threads; one ticker at a time keeps the library default."
    from trading_kit.ticker_runs import kernel_threads
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("ticker = 'X'\noutput_dir = '.'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import json, os, pathlib\npathlib.Path(output_dir, 'metrics.json').write_text("
                                  "json.dumps({'omp': os.environ.get('OMP_NUM_THREADS'), 'mkl': os.environ.get('MKL_NUM_THREADS')}))")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "t.ipynb")
    par = run_batch(["A", "B"], tmp_path / "t.ipynb", output_dir=tmp_path / "o", run_id="par", workers=2, progress=False)
    want = str(max(1, os.cpu_count() // 2))
    for t in ("A", "B"):
        assert json.loads((par.run_dir / t / "metrics.json").read_text()) == {"omp": want, "mkl": want}
        assert json.loads((par.run_dir / t / "status.json").read_text())["threads"] == int(want)
    one = run_batch(["A"], tmp_path / "t.ipynb", output_dir=tmp_path / "o", run_id="one", workers=1, progress=False)
    assert json.loads((one.run_dir / "A" / "metrics.json").read_text())["omp"] is None
    assert kernel_threads(2) == int(want)
