"run_experiment beyond the model loop: rule strategies, grids with PBO, news fusion, the trials ledger, save and load."
import numpy as np
import pandas as pd
import pytest

from trading_kit.experiment import Experiment, run_experiment

FAST = {"training.epochs": 1, "model.name": "linear"}


def test_a_strategy_grid_reports_dsr_for_every_configuration_and_pbo(tmp_path):
    exp = run_experiment("MSFT", strategy="kalman_breakout", grid=True, trials=tmp_path / "t.jsonl")
    r = exp.strategy_result
    assert r.n_trials == len(r.grid) > 1 and exp.backtest.metrics["n_trials"] == r.n_trials
    assert 0 <= r.pbo.pbo <= 1 and "probability of backtest overfitting" in exp.verdict and f"N={r.n_trials}" in exp.verdict
    assert exp.backtest.metrics["dsr"] <= exp.backtest.metrics["psr"] + 1e-12           # deflated for the grid
    test_start = exp.bars.index[int(len(exp.bars) * 0.8)]                                  # settings.ini: train 0.6 + val 0.2
    assert r.start == test_start == exp.backtest.equity.index[0] and r.selection == (exp.bars.index[0], exp.bars.index[int(len(exp.bars) * 0.8) - 1])
    assert r.params == {**r.params, **r.grid.loc[r.grid.selection_sharpe.idxmax(), ["trend", "window", "exit_window"]].to_dict()}
    assert f"Chosen on {r.selection[0]:%Y-%m-%d} to {r.selection[1]:%Y-%m-%d}" in exp.verdict and f"tested on {test_start:%Y-%m-%d}" in exp.verdict
    folder = exp.save(tmp_path / "MSFT")
    assert (folder / "grid.parquet").is_file() and (folder / "metrics.json").is_file()
    saved = pd.read_parquet(folder / "grid.parquet")
    assert {"selection_sharpe", "test_sharpe", "test_dsr", "test_rank", "chosen"} <= set(saved.columns) and saved.chosen.sum() == 1
    import json
    m = json.loads((folder / "metrics.json").read_text())
    assert m["splits"]["test"]["start"] == str(test_start) and m["backtest"]["summary"]["test_rank"] == r.test_rank
    loaded = Experiment.load(folder)
    assert loaded.verdict == exp.verdict and loaded.settings == exp.settings


def test_the_trials_ledger_counts_model_runs_and_strategy_grids_on_a_ticker(tmp_path):
    log = tmp_path / "trials.jsonl"
    a = run_experiment("MSFT", overrides=FAST, n_boot=50, trials=log)
    assert a.n_trials == 1 and a.backtest.metrics["n_trials"] == 1
    again = run_experiment("MSFT", overrides=FAST, n_boot=50, trials=log)
    assert again.n_trials == 1                                                           # a rerun is not a new trial
    b = run_experiment("MSFT", overrides={**FAST, "labels.horizon": 3, "labels.purge_bars": 3}, n_boot=50, trials=log)
    assert b.n_trials == 2 and b.backtest.metrics["n_trials"] == 2 and "N=2" in b.verdict
    g = run_experiment("MSFT", strategy="kalman_breakout", grid=True, trials=log)
    assert g.n_trials == 2 + len(g.strategy_result.grid)


def test_news_fusion_compares_with_price_only_on_the_same_bars():
    from trading_kit.fusion import synthetic_news_case
    case = synthetic_news_case(n=600, seed=0)
    bars, news = case[0], case[1]
    exp = run_experiment("SYN", bars=bars, overrides=FAST, n_boot=50, trials=False, news=news,
                         news_kw={"tz": "America/New_York"})
    assert exp.fusion is not None and "News fusion:" in exp.verdict
    assert np.isfinite(exp.fusion.delta)


def test_a_user_feature_function_that_reads_the_future_is_refused():
    from trading_kit.core import LeakageError
    leak = lambda b: pd.DataFrame({"next": b["close"].pct_change().shift(-1)}, index=b.index)
    with pytest.raises(LeakageError, match="next"):
        run_experiment("MSFT", overrides=FAST, features=leak, trials=False)
