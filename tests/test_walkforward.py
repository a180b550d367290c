"Walk-forward validation: purged folds, train-only scalers, determinism, interruption and resume."
import numpy as np
import pandas as pd
import pytest
import torch

import trading_kit.walkforward as wfmod
from conftest import make_bars
from trading_kit.core import TradingKitError
from trading_kit.scaling import Scaler
from trading_kit.walkforward import walk_forward

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def bars_feats():
    bars = make_bars(600, start="2016-01-01", freq="B", seed=3)
    r = np.log(bars.close).diff()
    feats = pd.DataFrame({"ret": r, "mom5": r.rolling(5).sum(), "vol10": r.rolling(10).std()})
    return bars, feats


KW = dict(model="linear", window=20, train_bars=200, test_bars=80, epochs=2, n_boot=50, progress=False, ticker="T")


def test_folds_are_purged_and_predictions_stitched_in_order(bars_feats):
    bars, feats = bars_feats
    wf = walk_forward(bars, feats, horizon=5, embargo=3, **KW)
    P = wf.predictions
    assert P.index.is_monotonic_increasing and P.index.is_unique and len(P) == wf.folds.n_test.sum()
    pos = bars.index.get_indexer
    for _, f in wf.folds.iterrows():
        # the last training label reads close[train_end + 5]: strictly before the test block starts
        assert pos([f.test_start])[0] - pos([f.train_end])[0] > 5 + 3
    assert set(P.fold) == set(wf.folds.index)
    bt = wf.backtest
    assert bt.equity.index[0] == P.index[0] and bt.benchmark_metrics["total_return"] is not None
    # issue 9: bars before the first prediction are history (the stop is warm), and the evaluation's alarms travel along
    assert "no_stop" not in bt.skipped and bt.settings["start"] == P.index[0]
    assert bt.metrics["leak_alarm"] == bool(wf.evaluation.warnings) and wf.summary()["n_trials"] == 1


def test_each_fold_scaler_sees_only_its_training_rows(bars_feats, monkeypatch):
    bars, feats = bars_feats
    seen = []
    real_fit = Scaler.fit

    def spy(self, X):
        seen.append(len(X))
        return real_fit(self, X)
    monkeypatch.setattr(Scaler, "fit", spy)
    wf = walk_forward(bars, feats, horizon=5, **KW)
    fitted = seen[-len(wf.folds):]
    for n_rows, (_, f) in zip(fitted, wf.folds.iterrows()):
        assert n_rows == f.n_fit + KW["window"] - 1   # the rows the fit windows read, nothing later


def test_same_seed_same_numbers(bars_feats):
    bars, feats = bars_feats
    a = walk_forward(bars, feats, seed=7, **KW)
    b = walk_forward(bars, feats, seed=7, **KW)
    pd.testing.assert_frame_equal(a.predictions, b.predictions)
    assert a.summary() == b.summary()


def test_interrupt_keeps_finished_folds_and_resume_completes(bars_feats, monkeypatch, tmp_path):
    bars, feats = bars_feats
    full = walk_forward(bars, feats, **KW)
    real_fit, calls = wfmod.fit, []

    def flaky(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_fit(*a, **k)
    monkeypatch.setattr(wfmod, "fit", flaky)
    part = walk_forward(bars, feats, state_dir=tmp_path, **KW)
    assert part.interrupted and len(part.folds) == 1 and part.backtest is not None
    monkeypatch.setattr(wfmod, "fit", real_fit)
    resumed = walk_forward(bars, feats, state_dir=tmp_path, **KW)
    assert not resumed.interrupted
    pd.testing.assert_frame_equal(resumed.predictions, full.predictions)


@pytest.mark.parametrize("kw,needle", [
    (dict(purge_bars=2), "purge"), (dict(train_bars=5000), "too few samples"),
    (dict(val_frac=0.95), "val_frac"), (dict(model="nosuch"), "nosuch"),
])
def test_bad_parameters(bars_feats, kw, needle):
    bars, feats = bars_feats
    with pytest.raises(TradingKitError, match=needle):
        walk_forward(bars, feats, **{**KW, **kw})


def test_resume_refuses_folds_saved_under_other_settings(bars_feats, tmp_path):
    "review2: folds saved for one configuration must never be stitched into a run with another one."
    bars, feats = bars_feats
    walk_forward(bars, feats, state_dir=tmp_path, horizon=5, **KW)
    with pytest.raises(TradingKitError, match="state_dir"):
        walk_forward(bars, feats, state_dir=tmp_path, horizon=3, purge_bars=5, **KW)
    again = walk_forward(bars, feats, state_dir=tmp_path, horizon=5, **KW)   # same settings: resumes fine
    assert len(again.folds) > 0


def test_bars_without_ohlc_raise_a_kit_error(bars_feats):
    "review2: used to be a raw KeyError('close')."
    bars, feats = bars_feats
    with pytest.raises(TradingKitError, match="close"):
        walk_forward(bars.drop(columns="close"), feats, **KW)


def test_the_settings_val_frac_sizes_each_folds_early_stopping_tail(bars_feats):
    "labels.val_frac was accepted and ignored by walk_forward (its own val_frac=0.2 keyword won); an explicit keyword still wins."
    from trading_kit.core import load_settings, with_overrides
    bars, feats = bars_feats
    kw = {k: v for k, v in KW.items() if k != "model"}
    cfg = lambda vf: with_overrides(load_settings(env=False), {"labels.val_frac": vf, "model.name": "linear"})
    small, large = (walk_forward(bars, feats, cfg(vf), **kw).folds for vf in (0.1, 0.3))
    assert (small.n_val < large.n_val).all()
    np.testing.assert_allclose(small.n_val / (small.n_fit + small.n_val + 5), 0.1, atol=0.02)
    explicit = walk_forward(bars, feats, cfg(0.1), val_frac=0.3, **kw).folds
    assert (explicit.n_val == large.n_val).all()
