"Importing the kit's light modules loads none of the heavy libraries (vectorbt takes 2-5 s, torch 1-2 s); each import runs in a fresh process."
import json, subprocess, sys

import pytest

HEAVY = ("vectorbt", "torch", "matplotlib", "transformers", "plotly", "ipywidgets")
BARS = """
import numpy as np, pandas as pd
c = 100 * np.exp(np.cumsum(np.random.default_rng(0).normal(0, 0.01, 300)))
bars = pd.DataFrame({"open": c, "high": c * 1.01, "low": c * 0.99, "close": c, "volume": 1e5},
                    index=pd.date_range("2020-01-01", periods=300, freq="D", name="date"))
"""


def _loaded(code: str) -> set:
    "Top-level packages in sys.modules after running `code` in a fresh interpreter."
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module, also_absent", [
    ("trading_kit", ("numba", "pandas", "scipy")),
    ("trading_kit.sweeps", ("sklearn",)),
    ("trading_kit.backtest", ("sklearn",)),
    ("trading_kit.strategies", ("sklearn", "hmmlearn")),
    ("trading_kit.strategy_filters", ("sklearn", "hmmlearn")),
    ("trading_kit.warmup", ("sklearn", "hmmlearn")),
    ("trading_kit.experiment", ()),
    ("trading_kit.evaluation", ()),
])
def test_import_loads_no_heavy_library(module, also_absent):
    loaded = _loaded(f"import {module}")
    assert "trading_kit" in loaded   # the import ran
    assert loaded & {*HEAVY, *also_absent} == set()


def test_signals_and_a_sweep_with_its_benchmark_load_no_vectorbt():
    "vectorbt loads when a backtest is booked, not for the kit's own kernels (a sweep's buy-and-hold comes from the loop)."
    loaded = _loaded(BARS + """
from trading_kit.strategies import STRATEGIES
from trading_kit.sweeps import sweep_macd_rsi
assert STRATEGIES["macd_rsi"](bars, fast=5, slow=20, signal=5).entries.any()
assert sweep_macd_rsi(bars, fast=(5,), slow=(20,), signal=(5,), benchmark=False).n_trials == 4
assert sweep_macd_rsi(bars, fast=(5,), slow=(20,), signal=(5,)).benchmark["total_return"].iloc[0] > -1
""")
    assert "numba" in loaded and "vectorbt" not in loaded


def test_booking_a_backtest_loads_vectorbt():
    "The lazy import still happens where vectorbt is needed."
    loaded = _loaded(BARS + """
from trading_kit.backtest import run_backtest
k = pd.Series(np.arange(300) % 10, bars.index)
res = run_backtest(bars, k == 0, exits=k == 5, sizing="percent", stop_atr=None, ticker="X")
assert res.metrics["n_trades"] > 0
""")
    assert "vectorbt" in loaded
