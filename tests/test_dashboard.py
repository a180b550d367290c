"Dashboards driven without a browser: set widget values, click buttons, read the Output widgets."
import json

import ipywidgets as W
import numpy as np
import pytest

from trading_kit.core import ConfigError, load_settings
from trading_kit.dashboard import (ResearchDashboard, build_params, dashboard_defaults, headline, headline_html,
                                   params_from_widgets, research_dashboard, run_progress, sample_intervals, show_run)
from trading_kit.data_explorer import DataExplorer, data_explorer, explore_data, lookahead_verdict
from trading_kit.run_metrics import RunMetrics

TINY = {"n_boot": 100, "torch_threads": 1, "overrides": {"model.hidden": "8", "model.layers": "1"}}


def _texts(out: W.Output) -> list[str]:
    return [o["data"].get("text/plain", "") for o in out.outputs]


def _pngs(out: W.Output) -> list[str]:
    return [o["data"]["text/plain"] for o in out.outputs if "image/png" in o["data"]]


# --- parameters ------------------------------------------------------------------------------------------------

def test_controls_start_from_settings(tmp_path):
    cfg = load_settings(overrides={"training.epochs": 7, "labels.threshold": 0.02, "model.name": "gru"})
    dash = research_dashboard(output_dir=tmp_path, cfg=cfg)
    c = dash.controls
    assert isinstance(dash, ResearchDashboard) and isinstance(dash, W.VBox)
    assert (c["epochs"].value, c["threshold"].value, c["model"].value) == (7, 0.02, "gru")
    assert c["fees_bps"].value == cfg.backtest.fees_bps and c["slippage_bps"].value == cfg.backtest.slippage_bps
    assert set(c["ticker"].options) >= {"MSFT", "GOOG", "SPX", "EURUSD"} and c["ticker"].ensure_option is False
    assert dashboard_defaults(cfg)["horizon"] == cfg.labels.horizon
    c["ticker"].value = "EURUSD"                       # a sample ticker brings its own interval
    assert c["interval"].value == sample_intervals()["EURUSD"][0] == "1h"
    c["provider"].value, c["ticker"].value, c["interval"].value = "yfinance", "MSFT", "1h"
    c["ticker"].value = "GOOG"                         # other providers: the interval stays as chosen
    assert c["interval"].value == "1h"


def test_params_from_widgets_maps_every_control(tmp_path):
    dash = research_dashboard(output_dir=tmp_path, extra_params={"n_boot": 77})
    c = dash.controls
    c["ticker"].value, c["start"].value, c["horizon"].value, c["threshold"].value = " GOOG ", "2010-01-01", 8, 0.01
    c["fees_bps"].value, c["slippage_bps"].value, c["walk_forward"].value, c["seed"].value = 2.5, 1.0, True, 3
    p = params_from_widgets(c, extra=dash.extra_params)
    assert p["ticker"] == "GOOG" and p["start"] == "2010-01-01" and p["end"] is None
    assert (p["horizon"], p["fees_bps"], p["slippage_bps"], p["walk_forward"], p["seed"], p["n_boot"]) == (8, 2.5, 1.0, True, 3, 77)
    assert p["overrides"]["labels.threshold"] == 0.01 and p["overrides"]["labels.purge_bars"] == 8   # purge >= horizon
    assert p == dash.params()


@pytest.mark.parametrize("kw, msg", [({"ticker": "  "}, "ticker is empty"), ({"horizon": 0}, "horizon"),
                                     ({"model": "oracle"}, "model 'oracle'"), ({"interval": "3x"}, "unknown interval"),
                                     ({"start": "2020-01-01", "end": "2019-01-01"}, "after end"),
                                     ({"start": "yesterday-ish"}, "not a date"), ({"fees_bps": -1}, "fees_bps"),
                                     ({"ticker": "NOPE"}, "NOPE"), ({"preset": "nope"}, "preset 'nope'")])
def test_bad_parameters_raise_named_errors(kw, msg):
    with pytest.raises(Exception, match=msg):
        build_params(**{"ticker": "MSFT", **kw})


def test_bad_input_shows_one_line_not_a_traceback(tmp_path):
    dash = research_dashboard(output_dir=tmp_path)
    dash.controls["ticker"].value = "NOSUCH"
    dash.run_button.click()
    (text,) = _texts(dash.output)
    assert text.startswith("bad parameter") and "NOSUCH" in text and "Traceback" not in text
    assert dash.last_status is None and not any(tmp_path.iterdir())          # nothing started, nothing written
    dash.controls["ticker"].value, dash.controls["model"].value = "MSFT", dash.controls["model"].options[0]
    dash.controls["start"].value = "2017-01-01"
    dash.controls["end"].value = "2016-01-01"
    dash.run_button.click()
    assert "after end" in _texts(dash.output)[0] and not dash.run_button.disabled


# --- headline --------------------------------------------------------------------------------------------------

def _metrics(model_acc=0.52, base_acc=0.47, strat_ret=0.08, bh_ret=0.03, leak=False):
    return {"ticker": "XYZ", "params": {"model": "gru", "fees_bps": 3, "slippage_bps": 2},
            "headline": {"model_accuracy": model_acc, "model_acc_lo": model_acc - 0.05, "model_acc_hi": model_acc + 0.05,
                         "best_baseline": "logistic", "best_baseline_accuracy": base_acc,
                         "edge_vs_baseline": model_acc - base_acc, "edge_ci_lo": -0.01, "edge_ci_hi": 0.11,
                         "test_bars": 300, "leak_alarm": leak},
            "evaluation": {"verdict": "gru vs logistic: inconclusive.", "leak_warnings": ["suspicious"] if leak else [],
                           "table": {"logistic": {"accuracy": base_acc, "acc_lo": base_acc - 0.04, "acc_hi": base_acc + 0.04}}},
            "backtest": {"strategy": {"total_return": strat_ret, "sharpe": 1.1, "max_drawdown": -0.04, "psr": 0.8, "dsr": 0.6, "n_trades": 14},
                         "buy_and_hold": {"total_return": bh_ret, "sharpe": 0.4, "max_drawdown": -0.2, "psr": 0.6, "dsr": 0.6, "n_trades": 1}}}


def test_headline_tables_and_plain_words():
    m = _metrics()
    hl = headline(m)
    acc, bt = hl["accuracy"], hl["backtest"]
    assert list(acc.index) == ["gru", "best baseline (logistic)", "edge (model - baseline)"]
    assert np.allclose(acc["accuracy"], [0.52, 0.47, 0.05]) and np.allclose(acc.iloc[1, 1:].astype(float), [0.43, 0.51])
    assert list(bt.columns) == ["strategy", "buy_and_hold"]
    assert bt.loc["max drawdown"].tolist() == [-0.04, -0.2] and bt.loc["DSR (deflated)", "strategy"] == 0.6
    assert "3 bps fees + 2 bps slippage" in hl["costs"]
    assert hl["verdict"].startswith("gru vs logistic: inconclusive.") and "+8.0% and beat buy-and-hold (+3.0%)" in hl["verdict"]
    assert "did not beat" in headline(_metrics(strat_ret=-0.01))["verdict"]
    assert "LEAK ALARM: suspicious" in headline(_metrics(leak=True))["verdict"]
    html = headline_html(m)
    assert "inconclusive" in html and html.count("<table") == 2 and "report" not in html   # no report file, no link


def test_show_run_reads_a_run_folder(tmp_path):
    import matplotlib; matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    d = tmp_path / "XYZ"; (d / "figures").mkdir(parents=True)
    figs = {}
    for name in ("equity", "confusion", "training"):
        fig, ax = plt.subplots(); ax.plot([1, 2]); fig.savefig(d / "figures" / f"{name}.png"); plt.close(fig)
        figs[name] = f"figures/{name}.png"
    (d / "metrics.json").write_text(json.dumps({**_metrics(), "figures": figs}))
    (d / "report.html").write_text("<html></html>")
    out = show_run(d)
    assert _texts(out)[0] == headline(_metrics())["verdict"] and _pngs(out) == ["equity", "confusion", "training"]
    assert "report.html" in out.outputs[0]["data"]["text/html"]
    assert "no readable metrics.json" in _texts(show_run(tmp_path / "missing"))[0]


# --- the real pipeline, once -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("dash")
    dash = research_dashboard(output_dir=out, extra_params=TINY)
    c = dash.controls
    c["ticker"].value, c["start"].value, c["end"].value = "MSFT", "2013-01-01", ""
    c["epochs"].value, c["seed"].value, c["fees_bps"].value, c["walk_forward"].value = 1, 5, 2.0, True
    dash.run_button.click()
    running = (dash.running, dash.run_button.disabled)   # the click returned while the template runs in the background
    dash.wait()
    return dash, out, running


def test_run_button_runs_the_batch_pipeline(finished):
    dash, out, running = finished
    assert running == (True, True) and not dash.running
    assert dash.last_status["status"] == "ok", dash.last_status
    d = dash.last_dir
    assert d.parent.parent == out and d.name == "MSFT"
    for f in ("metrics.json", "report.html", "notebook.ipynb", "figures/experiment.png", "checkpoint/config.json"):
        assert (d / f).is_file(), f
    m = RunMetrics.from_json(d / "metrics.json")
    assert m == dash.last_metrics
    assert (m.params["epochs"], m.params["seed"], m.params["fees_bps"], m.params["hidden"]) == (1, 5, 2.0, 8)
    assert m.data["start"].startswith("2013-01-02")


def test_run_output_shows_verdict_figures_and_report(finished):
    dash, _, _ = finished
    texts = _texts(dash.output)
    verdict = dash.last_metrics.evaluation["verdict"]
    assert any(verdict in t for t in texts)
    assert any("buy-and-hold" in t for t in texts)
    html = next(o["data"]["text/html"] for o in dash.output.outputs if verdict in o["data"].get("text/plain", ""))
    assert "report.html" in html and "PSR" in html and "DSR" in html
    assert _pngs(dash.output) == ["experiment", "training"]          # the headline figure first, each once
    assert "done" in dash.status.value and not dash.run_button.disabled
    pr = run_progress(dash.last_dir / "notebook.ipynb")                  # every template cell ran
    assert pr["done"] == pr["total"] > 10 and (dash.progress.value, dash.progress.max) == (pr["done"], pr["total"])
    heads = [line.lstrip("#").strip() for c in json.loads((dash.last_dir / "notebook.ipynb").read_text())["cells"]
             if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()[:1] if line.startswith("#")]
    assert dash.stages and all(s in heads for s in dash.stages)          # stages streamed, in the template's words
    assert [h for h in heads if h in dash.stages] == dash.stages and dash.stages[-1] == heads[-1]
    assert "stages:" in dash.stage_list.value


def test_walk_forward_checkbox_reaches_the_template_and_the_headline(finished):
    dash, _, _ = finished
    wf = dash.last_metrics.walk_forward["summary"]
    assert dash.last_metrics.params["walk_forward"] is True and wf["folds"] >= 2
    table = headline(dash.last_metrics)["walk_forward"]
    assert table.loc["return", "walk_forward"] == pytest.approx(wf["total_return"])
    assert any(f"Walk-forward ({wf['folds']} folds)" in t for t in _texts(dash.output))


def test_pipeline_failure_is_shown_as_a_message(tmp_path):
    dash = research_dashboard(output_dir=tmp_path, extra_params={**TINY, "overrides": {"labels.window": "5000"},
                                                                 "news_api_key": "sekret-value-123"})
    dash.controls["start"].value, dash.controls["epochs"].value = "2016-01-01", 1
    dash.run_button.click()
    dash.wait()
    assert dash.last_status["status"] == "failed"
    texts = _texts(dash.output)
    assert texts[1] == "left out secret-named parameters: news_api_key"
    assert texts[2].startswith("MSFT failed") and dash.last_status["error_type"] in texts[2] and "Traceback" not in texts[2]
    assert "window=5000" in texts[2]                                           # the pipeline's own message
    assert "failed" in dash.status.value and texts[3] == f"details: {dash.last_status['report']}"
    assert "sekret-value-123" not in (dash.last_dir / "notebook.ipynb").read_text()


# --- data explorer ------------------------------------------------------------------------------------------------

def test_explorer_shows_summary_verdict_and_plot():
    ui = data_explorer(n_checks=4)
    assert isinstance(ui, DataExplorer)
    ui.controls["ticker"].value, ui.controls["start"].value = "GOOG", "2010-01-01"
    ui.load_button.click()
    texts = _texts(ui.output)
    assert texts[0].startswith("No lookahead found") and str(len(ui.last["bars"])) in texts[1]
    assert ui.last["summary"]["bars"] == len(ui.last["bars"]) and ui.last["bars"].index[0].year == 2010
    feats = list(ui.last["features"].columns)
    assert list(ui.controls["feature"].options) == feats and _pngs(ui.output) == [feats[0]]
    ui.controls["feature"].value = feats[5]
    assert _pngs(ui.output) == [feats[5]] and len(ui.output.outputs) == 3


def test_explorer_names_a_planted_leak_and_bad_tickers():
    from trading_kit.features import engineer_features
    ui = data_explorer(n_checks=4, fn=lambda d: engineer_features(d, "seed32").assign(peek=d["close"].shift(-1)))
    ui.controls["start"].value = "2015-01-01"
    ui.load_button.click()
    assert ui.last["lookahead"].leaky_columns == ["peek"] and _texts(ui.output)[0].startswith("LOOKAHEAD") and "peek" in _texts(ui.output)[0]
    ui.controls["ticker"].value = "NOPE"
    ui.load_button.click()
    (text,) = _texts(ui.output)
    assert text.startswith("cannot load") and "NOPE" in text and ui.last is None


def test_explore_data_rejects_unknown_preset():
    with pytest.raises(ConfigError, match="preset 'nope'"):
        explore_data("MSFT", preset="nope")
    rep = explore_data("MSFT", start="2016-01-01", n_checks=3)["lookahead"]
    assert lookahead_verdict(rep).startswith("No lookahead") and rep.ok


def test_headline_says_when_nobody_traded():
    "EURUSD in the demo: the strategy never went long and $1000 buys no lot, so both returns are 0; say so in words."
    m = _metrics(strat_ret=0.0, bh_ret=0.0)
    m["backtest"]["strategy"].update(n_trades=0, exposure=0.0)
    m["backtest"]["buy_and_hold"].update(n_trades=0, exposure=0.0)
    v = headline(m)["verdict"]
    assert "never traded" in v and "buy-and-hold never held a position" in v and "did not beat" not in v
    assert "never" not in headline(_metrics())["verdict"]


def test_defaults_have_one_source_and_show_the_threshold_mode(tmp_path):
    "Issue 16 item 8: a sample ticker starts at its own interval; the threshold's mode sits beside it and reaches the run."
    cfg = load_settings(overrides={"data.universe": "EURUSD MSFT", "labels.threshold_mode": "vol", "labels.threshold": 0.5})
    dash = research_dashboard(output_dir=tmp_path, cfg=cfg)
    c = dash.controls
    assert (c["ticker"].value, c["interval"].value) == ("EURUSD", "1h")
    assert (c["threshold"].value, c["threshold_mode"].value) == (0.5, "vol")
    p = params_from_widgets(c, extra=dash.extra_params)
    assert (p["interval"], p["overrides"]["labels.threshold_mode"], p["overrides"]["labels.threshold"]) == ("1h", "vol", 0.5)


def test_headline_calls_a_collapsed_model_so():
    "Issue 16 item 3: one class on 1,572 of 1,572 bars is 'collapsed', never 'ties with the best baseline'; the open position counts."
    m = _metrics(model_acc=0.53, base_acc=0.53, strat_ret=0.144, bh_ret=0.15)
    m["evaluation"]["verdict"] = "gru ties with the best baseline (logistic)"
    m["headline"].update(predicted_class="up", predicted_class_share=1.0, test_bars=1572)
    m["backtest"]["strategy"].update(n_trades=0, exposure=0.99)
    hl = headline(m)
    assert "ties" not in hl["verdict"] and "predicts up on 1,572 of 1,572 bars: collapsed" in hl["verdict"]
    assert hl["backtest"].loc["trades", "strategy"] == 1 and "still open at the end" in hl["verdict"]
    assert "<td>1</td>" in headline_html(m) and "1.000000" not in headline_html(m)
