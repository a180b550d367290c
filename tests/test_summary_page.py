"The summary page as a person sees it: headless Chromium renders index.html at 1000 px; every column must be on screen."
import html, json, re, shutil, subprocess
from pathlib import Path

import pytest

from trading_kit.run_outputs import summarize_run
from trading_kit.utils import write_json

WIDTH, HEIGHT = 1000, 1400


def _chromium():
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome", "chrome") if shutil.which(n)), None)


def _v1_metrics(ticker, acc, base, edge_lo, edge_hi, ret, bh, trades, exposure):
    "A metrics.json shaped as today's ticker_run.ipynb writes it (the dict literal of its last cell)."
    table = {"lstm": {"accuracy": acc, "acc_lo": acc - 0.03, "acc_hi": acc + 0.03},
             "logistic": {"accuracy": base, "acc_lo": base - 0.03, "acc_hi": base + 0.03}}
    strategy = {"total_return": ret, "sharpe": 0.91, "max_drawdown": -0.12, "psr": 0.88, "dsr": 0.74,
                "n_trades": trades, "exposure": exposure, "n_trials": 12}
    buy_hold = {"total_return": bh, "sharpe": 0.95, "max_drawdown": -0.31, "psr": 0.9, "dsr": 0.9, "n_trades": 1, "exposure": 1.0}
    return {"ticker": ticker, "seed": 42,
            "params": {"ticker": ticker, "model": "lstm", "threshold": 0.005, "fees_bps": 5.0, "slippage_bps": 5.0},
            "data": {"start": "2015-01-02", "end": "2023-12-29", "bars": 2264, "interval": "1d", "provider": "sample"},
            "splits": {"test": {"samples": 1572, "start": "2018-01-02", "end": "2023-12-29"}},
            "training": {"best_epoch": 3, "epochs_run": 8, "device": "cpu", "amp": None, "history": {}},
            "evaluation": {"table": table, "best_baseline": "logistic", "delta": acc - base, "delta_ci": [edge_lo, edge_hi],
                           "p_model_better": 0.8, "verdict": "lstm vs logistic", "leak_warnings": []},
            "backtest": {"strategy": strategy, "buy_and_hold": buy_hold},
            "headline": {"model_accuracy": acc, "model_acc_lo": acc - 0.03, "model_acc_hi": acc + 0.03,
                         "best_baseline": "logistic", "best_baseline_accuracy": base, "edge_vs_baseline": acc - base,
                         "edge_ci_lo": edge_lo, "edge_ci_hi": edge_hi, "strategy_return": ret, "buy_hold_return": bh,
                         "strategy_sharpe": 0.91, "buy_hold_sharpe": 0.95, "strategy_psr": 0.88,
                         "strategy_max_drawdown": -0.12, "buy_hold_max_drawdown": -0.31, "strategy_trades": trades,
                         "test_bars": 1572.0, "leak_alarm": False},
            "figures": {}, "headline_figure": None}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    "Four tickers as a batch run leaves them: three finished (one collapsed and always long), one failed."
    run = tmp_path_factory.mktemp("page") / "20261201T000000Z"
    rows = {"MSFT": _v1_metrics("MSFT", 0.55, 0.53, -0.01, 0.05, 0.144, 0.15, 0, 0.99),
            "GOOG": _v1_metrics("GOOG", 0.51, 0.52, -0.04, -0.002, -0.021, 0.31, 61.0, 0.42),
            "SPX": _v1_metrics("SPX", 0.58, 0.52, 0.02, 0.09, 0.083, 0.12, 17, 0.35)}
    for t, m in [*rows.items(), ("NOPE", None)]:
        (run / t).mkdir(parents=True)
        ok = m is not None
        write_json(run / t / "status.json", {"ticker": t, "spec": t, "dir": t, "status": "ok" if ok else "failed",
                                            "seconds": 12.5, "error_type": None if ok else "ProviderError",
                                            "error": None if ok else "NOPE: no sample file data/sample/NOPE_1d.csv; "
                                            "expected one of EURUSD, GOOG, MSFT, SPX"})
        if ok:
            write_json(run / t / "metrics.json", m)
            (run / t / "report.html").write_text("<html>report</html>")
    summarize_run(run)
    return run


_MEASURE = """<pre id="measure"></pre><script>
const box = e => { const r = e.getBoundingClientRect(); return {text: e.innerText, left: r.left, right: r.right, top: r.top,
                   bottom: r.bottom, width: r.width}; };
const rows = () => [...document.querySelectorAll("tbody tr")].map(tr => [...tr.cells].map(box));
const out = {inner: window.innerWidth, scroll: document.documentElement.scrollWidth,
             heads: [...document.querySelectorAll("thead th")].map(box), rows: rows()};
const edge = [...document.querySelectorAll("thead th")].find(th => th.innerText.startsWith("edge"));
edge.click(); out.after_one_click = rows().map(r => r[0].text);
edge.click(); out.after_two_clicks = rows().map(r => r[0].text);
document.getElementById("measure").textContent = JSON.stringify(out);
</script>"""


def _render(run_dir, tmp_path):
    exe = _chromium()
    if exe is None: pytest.skip("no Chromium on this machine")
    page = (run_dir / "index.html").read_text()
    probe = run_dir / "probe.html"
    probe.write_text(page.replace("</body>", _MEASURE + "</body>"))
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={WIDTH},{HEIGHT}"]
    dom = subprocess.run([*flags, "--virtual-time-budget=3000", "--dump-dom", probe.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    shot = tmp_path / "summary_1000px.png"
    subprocess.run([*flags, f"--screenshot={shot}", (run_dir / "index.html").as_uri()], capture_output=True, timeout=120)
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), f"the page script did not run: {dom[-500:]}"
    return json.loads(html.unescape(found.group(1))), shot


@pytest.fixture(scope="module")
def rendered(run_dir, tmp_path_factory):
    return _render(run_dir, tmp_path_factory.mktemp("shot"))


COLUMNS = {"ticker": "ticker", "accuracy": "accuracy", "best baseline": "best baseline", "edge": "edge",
           "return": "return", "Sharpe": "sharpe", "max drawdown": "max drawdown", "trades": "trades",
           "N trials": "n trials", "note": "note"}


def test_every_column_is_on_screen_at_1000px(rendered):
    m, shot = rendered
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert m["scroll"] <= m["inner"] == WIDTH, f"the page scrolls sideways: {m['scroll']} px wide"
    heads = {h["text"].strip().lower(): h for h in m["heads"]}
    for label, key in COLUMNS.items():
        hit = [h for t, h in heads.items() if key in t]
        assert hit, f"no {label!r} column in {list(heads)}"
        h = hit[0]
        assert h["width"] > 0 and 0 <= h["left"] and h["right"] <= WIDTH and h["bottom"] <= HEIGHT, (label, h)
    for row in m["rows"]:
        for cell in row:
            assert cell["right"] <= WIDTH and cell["bottom"] <= HEIGHT, cell


def test_cells_read_like_the_cli(rendered):
    m, _ = rendered
    heads = [h["text"].strip().lower() for h in m["heads"]]
    assert not [h for h in heads if "_" in h], f"raw field names as headers: {heads}"
    rows = {r[0]["text"].strip(): {h: c["text"].strip() for h, c in zip(heads, r)} for r in m["rows"]}
    assert set(rows) == {"MSFT", "GOOG", "SPX", "NOPE"}
    text = " ".join(c for r in rows.values() for c in r.values())
    assert "e+0" not in text and "000000" not in text
    col = lambda key: next(h for h in heads if key in h)
    spx, goog, msft = rows["SPX"], rows["GOOG"], rows["MSFT"]
    assert spx[col("accuracy")] == "58.0% [55.0, 61.0]" and spx[col("best baseline")] == "logistic 52.0% [49.0, 55.0]"
    assert spx[col("edge")] == "+6.0 pts [+2.0, +9.0]"
    assert spx[col("return")] == "+8.3% / +12.0%" and spx[col("sharpe")] == "0.91 / 0.95"
    assert spx[col("max drawdown")] == "-12.0% / -31.0%"
    assert goog[col("trades")] == "61" and spx[col("n trials")].startswith("12")
    assert msft[col("trades")] == "1 (open)" and "always long" in msft[col("note")]
    assert "model below the best baseline" in goog[col("note")]
    failed = " ".join(c["text"] for r in m["rows"] if r[0]["text"].strip() == "NOPE" for c in r)   # the error spans the number columns
    assert "failed: ProviderError" in failed and "no sample file data/sample/NOPE_1d.csv" in failed


def test_headers_sort_the_table(rendered):
    m, _ = rendered
    order = [r[0]["text"].strip() for r in m["rows"]]
    assert order[-1] == "NOPE"                                      # failures last
    assert m["after_one_click"] == ["GOOG", "MSFT", "SPX", "NOPE"]      # edge ascending; no number sorts last
    assert m["after_two_clicks"] == ["SPX", "MSFT", "GOOG", "NOPE"]     # and descending
