"Evaluation: metrics against sklearn/scipy, baselines, block bootstrap, verdict, leak alarm, bad input, plots."
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays
from matplotlib.figure import Figure
from scipy import stats
from threadpoolctl import threadpool_limits
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, log_loss,
                             precision_recall_fscore_support)

from trading_kit.core import DataError
from trading_kit.metrics import (brier_score, calibration_table, classification_metrics, directional_accuracy,
                                 expected_calibration_error, information_coefficient)
from trading_kit.baselines import predict_baselines, previous_labels
from trading_kit.evaluation import (LeakWarning, block_bootstrap_indices, default_block, evaluate_predictions,
                                    plot_calibration, plot_confusion)

N_BOOT = 200


@pytest.fixture(autouse=True)
def _one_thread():
    "HistGradientBoosting's OpenMP threads only fight each other on the shared 2-core test machine."
    with threadpool_limits(1):
        yield


def _random_case(n, seed):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 3, n), rng.dirichlet(np.ones(3), n), rng.normal(0, 0.01, n)


def _onehot(y, hit=1.0):
    p = np.full((len(y), 3), (1 - hit) / 2)
    p[np.arange(len(y)), y] = hit
    return p


# ---------------------------------------------------------------- metrics against references
@settings(max_examples=40, deadline=None)
@given(n=st.integers(3, 200), seed=st.integers(0, 2**31 - 1), conc=st.sampled_from([0.2, 1.0, 5.0]))
def test_metrics_match_sklearn_and_scipy(n, seed, conc):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    p = rng.dirichlet(np.full(3, conc), n)
    r = rng.normal(0, 0.01, n)
    m = classification_metrics(y, p, r)
    pred = p.argmax(1)
    assert m["n"] == n
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, labels=[0, 1, 2], average="macro", zero_division=0))
    assert m["log_loss"] == pytest.approx(log_loss(y, p, labels=[0, 1, 2]), rel=1e-6)
    np.testing.assert_array_equal(m["confusion"], confusion_matrix(y, pred, labels=[0, 1, 2]))
    prec, rec, f1, sup = precision_recall_fscore_support(y, pred, labels=[0, 1, 2], zero_division=0)
    rep = m["report"].loc[["down", "neutral", "up"]]
    np.testing.assert_allclose(rep["precision"], prec); np.testing.assert_allclose(rep["recall"], rec)
    np.testing.assert_allclose(rep["f1"], f1); np.testing.assert_array_equal(rep["support"], sup)
    assert m["brier"] == pytest.approx(np.mean(np.sum((p - np.eye(3)[y]) ** 2, axis=1)))
    score = p[:, 2] - p[:, 0]
    assert m["ic"] == pytest.approx(stats.spearmanr(score, r).statistic)
    # directional accuracy by hand
    d = y != 1
    if d.any():
        resolved = np.where(pred == 1, np.where(score > 0, 2, np.where(score < 0, 0, -1)), pred)
        credit = (resolved[d] == y[d]) + 0.5 * (resolved[d] == -1)
        assert m["directional_accuracy"] == pytest.approx(credit.mean())
        assert m["directional_accuracy_strict"] == pytest.approx((pred[d] == y[d]).mean())
        assert m["directional_coverage"] == pytest.approx((pred[d] != 1).mean())


def test_ece_matches_a_plain_loop_and_bins_cover_all_bars():
    y, p, _ = _random_case(500, 3)
    t = calibration_table(y, p, n_bins=10)
    assert t["count"].sum() == 500
    conf, hit = p.max(1), (p.argmax(1) == y)
    ece = 0.0
    for lo in np.linspace(0, 0.9, 10):
        m = (conf > lo) & (conf <= lo + 0.1) if lo > 0 else conf <= 0.1
        if m.any(): ece += m.sum() / 500 * abs(hit[m].mean() - conf[m].mean())
    assert expected_calibration_error(y, p) == pytest.approx(ece)


def test_calibrated_probabilities_have_small_ece_and_overconfident_ones_do_not():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(3), 20000)
    y = np.array([rng.choice(3, p=row) for row in p])  # labels drawn from the probabilities: calibrated
    assert expected_calibration_error(y, p) < 0.02
    sharp = p ** 4 / (p ** 4).sum(1, keepdims=True)     # same argmax, overconfident
    assert expected_calibration_error(y, sharp) > 0.1
    assert brier_score(y, sharp) > brier_score(y, p)
    t = calibration_table(y, p, cls=2)
    assert (t["gap"].abs() < 0.05).all()


def test_ic_is_nan_for_a_constant_score_and_sign_follows_the_returns():
    r = np.linspace(-0.02, 0.02, 50)
    assert np.isnan(information_coefficient(np.full((50, 3), 1 / 3), r))
    p = np.column_stack([1 - (r + 0.02) / 0.04, np.zeros(50), (r + 0.02) / 0.04])
    assert information_coefficient(p, r) == pytest.approx(1.0)
    assert information_coefficient(p[::-1], r) == pytest.approx(-1.0)


def test_directional_accuracy_ignores_neutral_bars():
    y = np.array([1, 1, 1, 2])
    p = np.array([[1, 0, 0]] * 3 + [[0, 0, 1]], float)
    d = directional_accuracy(y, p)
    assert d["n_directional"] == 1 and d["directional_accuracy"] == 1.0


# ---------------------------------------------------------------- bootstrap
def test_block_bootstrap_is_reproducible_and_made_of_blocks():
    a = block_bootstrap_indices(50, n_boot=30, block=7, seed=3)
    np.testing.assert_array_equal(a, block_bootstrap_indices(50, n_boot=30, block=7, seed=3))
    assert not np.array_equal(a, block_bootstrap_indices(50, n_boot=30, block=7, seed=4))
    assert a.shape == (30, 50) and a.min() >= 0 and a.max() < 50
    for row in a:
        for s in range(0, 49, 7):  # within a block, consecutive bars (circular)
            blk = row[s:s + 7]
            assert ((np.diff(blk) % 50) == 1).all()
    m = block_bootstrap_indices(50, n_boot=30, block=7, seed=3, circular=False)
    assert all((np.diff(row[s:s + 7]) == 1).all() for row in m for s in range(0, 49, 7))  # never wraps


def test_default_block_uses_horizon_or_sqrt_n():
    assert default_block(100) == 10 and default_block(100, horizon=20) == 20 and default_block(4, horizon=9) == 4


def test_report_is_reproducible_with_the_seed():
    y, p, r = _random_case(300, 1)
    base = {"b": _random_case(300, 2)[1]}
    a = evaluate_predictions(y, p, r, base, n_boot=N_BOOT, seed=5, horizon=1)
    b = evaluate_predictions(y, p, r, base, n_boot=N_BOOT, seed=5, horizon=1)
    c = evaluate_predictions(y, p, r, base, n_boot=N_BOOT, seed=6, horizon=1)
    assert a.table.equals(b.table) and a.delta_ci == b.delta_ci
    assert a.delta_ci != c.delta_ci and a.delta == c.delta  # the point estimate does not depend on the seed


def test_perfect_predictions_give_accuracy_one_and_a_collapsed_ci():
    y, _, r = _random_case(400, 7)
    base = {"noise": _random_case(400, 8)[1]}
    rep = evaluate_predictions(y, _onehot(y), r, base, n_boot=N_BOOT, horizon=5, leak_ic=2, leak_dir_acc=2)
    row = rep.table.loc["model"]
    assert row["accuracy"] == 1.0 and row["acc_lo"] >= 0.99 and row["acc_hi"] == 1.0
    assert rep.delta_ci[0] > 0.5 and "better than the baseline" in rep.verdict
    assert rep.metrics["model"]["log_loss"] == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_model_on_random_labels_is_not_distinguishable_from_baselines(seed):
    rng = np.random.default_rng(seed)
    n = 600
    X = rng.normal(size=(n + 600, 5)); y = rng.integers(0, 3, n + 600); r = rng.normal(0, .01, 600)
    base = predict_baselines(X[:n], y[:n], X[n:], y[n:], y_prev_test=y[n - 1:-1])
    rep = evaluate_predictions(y[n:], rng.dirichlet(np.ones(3), 600), r, base, n_boot=N_BOOT, seed=seed, horizon=1)
    lo, hi = rep.delta_ci
    assert lo <= 0 <= hi
    assert "not distinguishable" in rep.verdict and rep.warnings == []
    assert list(rep.table.index) == ["model", "majority", "persistence", "logistic", "hgb"]
    assert rep.best_baseline == rep.table.iloc[1:]["accuracy"].idxmax()
    assert rep.delta == pytest.approx(rep.table.loc["model", "accuracy"] - rep.table.loc[rep.best_baseline, "accuracy"])


def test_paired_delta_is_tighter_than_unpaired_for_correlated_predictors():
    y, p, r = _random_case(500, 11)
    q = p.copy(); flip = np.random.default_rng(0).random(500) < 0.05
    q[flip] = q[flip][:, ::-1]                       # the baseline agrees with the model on 95% of bars
    rep = evaluate_predictions(y, p, r, {"twin": q}, n_boot=N_BOOT, seed=0, horizon=1)
    width = rep.delta_ci[1] - rep.delta_ci[0]
    acc_width = rep.table.loc["model", "acc_hi"] - rep.table.loc["model", "acc_lo"]
    assert width < acc_width / 2


def test_worse_model_is_called_worse():
    y, p, r = _random_case(400, 12)
    rep = evaluate_predictions(y, p, r, {"oracle": _onehot(y, 0.5)}, n_boot=N_BOOT, leak_ic=2, leak_dir_acc=2, horizon=1)
    assert rep.delta_ci[1] < 0 and "worse than the baseline" in rep.verdict and "trails" in rep.verdict


# ---------------------------------------------------------------- baselines
def test_persistence_uses_y_prev_as_given_and_unknowns_fall_back_to_train_majority():
    rng = np.random.default_rng(0)
    Xtr, Xte = rng.normal(size=(200, 3)), rng.normal(size=(60, 3))
    ytr = np.r_[np.zeros(40), np.full(100, 2), np.ones(60)].astype(int)
    yprev = rng.integers(0, 3, 60).astype(float); yprev[:3] = np.nan; yprev[3] = -1
    b = predict_baselines(Xtr, ytr, Xte, rng.integers(0, 3, 60), yprev)
    pred = b["persistence"].argmax(1)
    np.testing.assert_array_equal(pred[4:], yprev[4:].astype(int))
    assert (pred[:4] == 2).all()                      # train majority is up
    np.testing.assert_allclose(b["persistence"].sum(1), 1)


def test_majority_uses_train_labels_only():
    rng = np.random.default_rng(1)
    Xtr, Xte = rng.normal(size=(300, 3)), rng.normal(size=(80, 3))
    ytr = np.r_[np.zeros(150), np.ones(100), np.full(50, 2)].astype(int)
    yprev = rng.integers(0, 3, 80)
    b1 = predict_baselines(Xtr, ytr, Xte, np.full(80, 2), yprev)
    b2 = predict_baselines(Xtr, ytr, Xte, np.ones(80), yprev)
    b3 = predict_baselines(Xtr, ytr, Xte * 5, np.zeros(80), yprev)
    for k in b1: np.testing.assert_array_equal(b1[k], b2[k])  # test labels change nothing
    np.testing.assert_array_equal(b1["majority"], b3["majority"])
    assert (b1["majority"].argmax(1) == 0).all()
    np.testing.assert_allclose(b1["majority"][0], (np.array([150, 100, 50]) + 1) / 303)
    b4 = predict_baselines(Xtr, np.r_[np.full(200, 2), np.zeros(100)], Xte, np.full(80, 2), yprev)
    assert (b4["majority"].argmax(1) == 2).all()          # ...and train labels change it


def test_logistic_and_hgb_learn_a_real_signal_from_train_and_are_deterministic():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1500, 4))
    y = np.digitize(X[:, 0] + 0.3 * rng.normal(size=1500), [-0.5, 0.5])
    a = predict_baselines(X[:1000], y[:1000], X[1000:], y[1000:], y[999:-1], seed=0)
    b = predict_baselines(X[:1000], y[:1000], X[1000:], y[1000:], y[999:-1], seed=0)
    for k in ("logistic", "hgb"):
        assert (a[k].argmax(1) == y[1000:]).mean() > 0.75
        np.testing.assert_array_equal(a[k], b[k])
        assert a[k].shape == (500, 3) and np.allclose(a[k].sum(1), 1)


def test_missing_train_class_still_gives_three_columns():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(100, 2)); y = rng.integers(0, 2, 100) * 2   # only down and up
    b = predict_baselines(X[:80], y[:80], X[80:], y[80:], y[79:-1])
    for k in ("logistic", "hgb"):
        assert b[k].shape == (20, 3) and (b[k][:, 1] == 0).all()


def test_previous_labels_uses_bar_t_minus_horizon():
    y = np.array([0, 1, 2, 0, 1, 2, np.nan])
    np.testing.assert_array_equal(previous_labels(y, [2, 3, 5, 6], horizon=3), [-1, 0, 2, 0])
    np.testing.assert_array_equal(previous_labels(y, [2, 3, 5, 6], horizon=1), [1, 2, 1, 2])


# ---------------------------------------------------------------- leak alarm
def _random_walk_labels(n, horizon, seed):
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n + horizon)))
    fwd = close[horizon:] / close[:-horizon] - 1
    y = np.where(fwd > 0.005, 2, np.where(fwd < -0.005, 0, 1))
    return y, fwd


def test_leak_alarm_fires_on_a_planted_near_perfect_predictor():
    y, r = _random_walk_labels(800, 5, 0)
    rng = np.random.default_rng(1)
    p = _onehot(y, 0.9); wrong = rng.random(800) < 0.1                   # 90% right, built from the future
    p[wrong] = p[wrong][:, ::-1]
    base = {"majority": np.tile([.3, .4, .3], (800, 1))}
    with pytest.warns(LeakWarning, match="LEAK ALARM for 'model'.*scaler.*purge.*survivorship"):
        rep = evaluate_predictions(y, p, r, base, n_boot=N_BOOT, horizon=5)
    assert rep.table.loc["model", "ic"] > 0.1
    assert len(rep.warnings) == 1 and "LEAK ALARM" in rep.verdict


def test_leak_alarm_stays_quiet_on_noise():
    rng = np.random.default_rng(4)
    n = 1500
    X = rng.normal(size=(2 * n, 6)); y = rng.integers(0, 3, 2 * n); r = rng.normal(0, .01, n)
    base = predict_baselines(X[:n], y[:n], X[n:], y[n:], y[n - 5:-5])
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakWarning)
        rep = evaluate_predictions(y[n:], rng.dirichlet(np.ones(3), n), r, base, n_boot=N_BOOT, horizon=5)
    assert rep.warnings == [] and "LEAK" not in rep.verdict


def test_persistence_fed_label_t_minus_1_trips_the_alarm_but_t_minus_horizon_does_not():
    h = 5
    y, r = _random_walk_labels(1500, h, 0)
    pos = np.arange(h, 1500)
    yt, rt = y[pos], r[pos]
    majority = {"majority": np.tile([.35, .3, .35], (len(pos), 1))}
    honest = predict_baselines(np.zeros((10, 1)) + np.arange(10)[:, None], np.arange(10) % 3,
                                  np.zeros((len(pos), 1)), yt, previous_labels(y, pos, h))["persistence"]
    leaky = predict_baselines(np.zeros((10, 1)) + np.arange(10)[:, None], np.arange(10) % 3,
                                 np.zeros((len(pos), 1)), yt, previous_labels(y, pos, 1))["persistence"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakWarning)
        ok = evaluate_predictions(yt, honest, rt, majority, n_boot=N_BOOT, horizon=h, model_name="persist_h")
    assert ok.warnings == []
    assert abs(ok.table.loc["persist_h", "directional_accuracy"] - 0.5) < 0.05   # no information: a coin flip
    with pytest.warns(LeakWarning):
        bad = evaluate_predictions(yt, leaky, rt, majority, n_boot=N_BOOT, horizon=h, model_name="persist_1")
    assert bad.table.loc["persist_1", "directional_accuracy"] > 0.6


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("args, msg", [
    ((np.array([0, 1]), np.full((3, 3), 1 / 3)), "length mismatch"),
    ((np.array([0, 1]), np.ones((2, 3))), "sum to 1"),
    ((np.array([0, 1]), np.full((2, 2), .5)), "shape (n, 3)"),
    ((np.array([0, 1]), np.full((2, 3, 1), 1 / 3)), "shape (n, 3)"),
    ((np.array([0, 1]), np.array([[np.nan, .5, .5], [1 / 3] * 3])), "NaN"),
    ((np.array([0, np.nan]), np.full((2, 3), 1 / 3)), "unknown label"),
    ((np.array([0, 5]), np.full((2, 3), 1 / 3)), "class ids must be 0"),
    ((np.array([0, 1]), np.array([[1.5, -.5, 0], [1 / 3] * 3])), "negative"),
    ((np.array([], int), np.zeros((0, 3))), "no bars"),
])
def test_bad_input_raises_data_error(args, msg):
    with pytest.raises(DataError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        classification_metrics(*args)


def test_bad_returns_and_baselines_raise_data_error():
    y, p, r = _random_case(20, 0)
    with pytest.raises(DataError, match="forward_returns: length mismatch"):
        classification_metrics(y, p, r[:-1])
    r2 = r.copy(); r2[3] = np.nan
    with pytest.raises(DataError, match="forward_returns: 1 NaN"):
        classification_metrics(y, p, r2)
    with pytest.raises(DataError, match=r"baselines\['b'\]: length mismatch"):
        evaluate_predictions(y, p, r, {"b": p[:-1]}, n_boot=10, horizon=1)
    with pytest.raises(DataError, match="at least one baseline"):
        evaluate_predictions(y, p, r, {}, n_boot=10, horizon=1)
    X = np.ones((20, 2)); X[2, 1] = np.nan
    with pytest.raises(DataError, match="X_train: 1 row"):
        predict_baselines(X, y, np.ones((5, 2)), y[:5], y[:5])
    with pytest.raises(DataError, match="length mismatch"):
        predict_baselines(np.ones((20, 2)), y, np.ones((5, 2)), y[:4], y[:5])
    with pytest.raises(DataError, match="X_train has 2 features but X_test has 3"):
        predict_baselines(np.ones((20, 2)), y, np.ones((5, 3)), y[:5], y[:5])


# ---------------------------------------------------------------- plots
def test_plots_return_figures_without_showing():
    y, p, r = _random_case(200, 9)
    m = classification_metrics(y, p, r)
    fig = plot_confusion(m["confusion"])
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == 9 and texts[0].startswith(str(m["confusion"][0, 0]))
    fig2 = plot_calibration(y, {"a": p, "b": _random_case(200, 10)[1]}, n_bins=5)
    assert isinstance(fig2, Figure)
    labels = [t.get_text() for t in fig2.axes[0].get_legend().get_texts()]
    assert any(l.startswith("a (ECE") for l in labels) and any(l.startswith("b (ECE") for l in labels)
    with pytest.raises(DataError, match="square matrix"):
        plot_confusion(np.ones((3, 2)))


def test_always_up_in_a_bull_market_and_negative_ic_do_not_alarm():
    rng = np.random.default_rng(5)
    n = 1200
    y = rng.choice(3, n, p=[0.25, 0.25, 0.5])           # up is twice as common as down
    r = np.where(y == 2, 0.01, np.where(y == 0, -0.01, 0)) + rng.normal(0, 0.002, n)
    always_up = np.tile([0.2, 0.3, 0.5], (n, 1))
    contrarian = _onehot(2 - y, 0.6)                      # a perfectly wrong predictor: IC near -1
    with warnings.catch_warnings():
        warnings.simplefilter("error", LeakWarning)
        rep = evaluate_predictions(y, always_up, r, {"contrarian": contrarian}, n_boot=N_BOOT, horizon=1)
    assert rep.table.loc["model", "directional_accuracy"] > 0.6
    assert rep.table.loc["contrarian", "ic"] < -0.5 and rep.warnings == []


def test_bad_bootstrap_settings_raise_config_error():
    "review2: n_boot=0 raised IndexError, n_boot<0 ValueError, block=0 ZeroDivisionError."
    from trading_kit.core import ConfigError
    rng = np.random.default_rng(0); n = 60
    y, p, r = rng.integers(0, 3, n), rng.dirichlet([1, 1, 1], n), rng.normal(size=n)
    b = {"majority": np.tile([.3, .4, .3], (n, 1))}
    for kw, needle in ((dict(n_boot=0), "n_boot"), (dict(n_boot=-5), "n_boot"), (dict(block=0), "block")):
        with pytest.raises(ConfigError, match=needle): evaluate_predictions(y, p, r, b, 1, **kw)


def test_one_macro_f1_for_training_and_evaluation():
    "Training's and evaluation's macro-F1 disagreed (0.762 vs 0.508) when a class is absent: one definition, sklearn's."
    from trading_kit import metrics, training
    y, pred = np.array([0, 0, 0, 0, 1]), np.array([0, 0, 0, 1, 1])
    oracle = f1_score(y, pred, average="macro", labels=[0, 1, 2], zero_division=0)
    assert oracle == pytest.approx(0.508, abs=1e-3)
    assert metrics.macro_f1(y, pred) == pytest.approx(oracle)
    assert training.macro_f1 is metrics.macro_f1


def test_one_class_weights_function():
    "fit(class_weights='balanced') is labels.class_weights on the train labels; the trainer has no second copy."
    import pandas as pd, torch
    from torch.utils.data import TensorDataset
    from trading_kit import labels, training
    from trading_kit.models import get_model
    assert not hasattr(training, "balanced_class_weights")
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(40, 6, 2, generator=g), torch.tensor([0] * 25 + [1] * 10 + [2] * 5)
    ds = TensorDataset(x, y)
    run = lambda w: training.fit(get_model("linear", 2, seed=0), ds, epochs=2, batch_size=8, class_weights=w,
                                 progress=False).history
    pd.testing.assert_frame_equal(run("balanced"), run(labels.class_weights(y.numpy()).tolist()))


def test_prepared_data_forms_take_horizon_and_previous_labels_from_the_data():
    "baseline_predictions(data) / evaluate_against_baselines(data, probs): the horizon cannot be passed wrong."
    import pandas as pd
    from trading_kit.baselines import baseline_predictions
    from trading_kit.datasets import prepare_data
    from trading_kit.evaluation import evaluate_against_baselines
    rng = np.random.default_rng(4)
    idx = pd.date_range("2019-01-01", periods=400, freq="B")
    px = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, .01, 400))), index=idx)
    lr = np.log(px).diff()
    data = prepare_data(pd.DataFrame({"r": lr, "m5": lr.rolling(5).mean()}), px, ticker="T", window=10, horizon=5)
    te = data.splits["test"]
    base = baseline_predictions(data, seed=3)
    Xtr, ytr = data.last_bar("train")
    honest = predict_baselines(Xtr, ytr, data.X[te], data.y[te], previous_labels(data.y, te, 5), seed=3)
    leaky = predict_baselines(Xtr, ytr, data.X[te], data.y[te], previous_labels(data.y, te, 1), seed=3)
    for k in honest: np.testing.assert_array_equal(base[k], honest[k])
    assert not np.array_equal(base["persistence"], leaky["persistence"])
    probs = rng.dirichlet(np.ones(3), len(te))
    rep = evaluate_against_baselines(data, probs, n_boot=N_BOOT, seed=3)
    same = evaluate_predictions(data.y[te], probs, data.forward_returns[te], honest, 5, n_boot=N_BOOT, seed=3)
    pd.testing.assert_frame_equal(rep.table, same.table)
    assert rep.block == default_block(len(te), 5)


def _walk_case(rng, n, h=5, leak=False):
    "Labels, probabilities and forward returns on test bars of a random walk; the score is honest 5-bar reversal."
    c = np.r_[0.0, np.cumsum(rng.normal(0.0003, 0.012, n + 80))]
    t = np.arange(65, 65 + n)
    fwd = np.exp(c[t + h] - c[t]) - 1
    score = fwd + rng.normal(0, fwd.std(), n) if leak else c[t - 5] - c[t]   # past-only: bars t-5..t
    z = np.tanh((score - score.mean()) / score.std())
    p = np.c_[0.3 - 0.2 * z, 0.4 * np.ones(n), 0.3 + 0.2 * z]
    return np.where(fwd > .005, 2, np.where(fwd < -.005, 0, 1)), p, fwd


def test_leak_alarm_rarely_fires_on_honest_short_windows_of_random_walks():
    "On 272-bar windows of random walks an honest reversal score raised LEAK ALARM in 5 of these 80 runs; now <= 2."
    rng = np.random.default_rng(11)
    honest = leaky = 0
    for k in range(80):
        y, p, r = _walk_case(rng, 272)
        base = {"majority": np.tile([.3, .4, .3], (272, 1))}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LeakWarning)
            honest += bool(evaluate_predictions(y, p, r, base, 5, n_boot=100, seed=k).warnings)
            if k % 8 == 0:
                y2, p2, r2 = _walk_case(rng, 272, leak=True)
                rep = evaluate_predictions(y2, p2, r2, base, 5, n_boot=100, seed=k)
                leaky += bool(rep.warnings)
    assert honest <= 2, f"{honest} false alarms in 80 honest windows"
    assert leaky == 10, "a planted leak must still raise the alarm on every window"
    assert "walk-forward fold" in rep.warnings[0] and "effective bars" in rep.warnings[0]
