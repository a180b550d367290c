"Property and integration tests for trading_kit.labels: splits, folds, labels, scalers, windows."
import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings, assume, strategies as st, HealthCheck

from trading_kit.core import ConfigError, DataError, LeakageError, TradingKitError
from trading_kit.data import load_ohlcv
from trading_kit.labels import class_balance, class_weights, forward_return, make_labels
from trading_kit.splits import check_purge, chronological_split, walk_forward_folds
from trading_kit.scaling import Scaler
from trading_kit.datasets import (PARTS, ConcatWindowDataset, WindowDataset, calendar_overlap, pool_prepared, prepare_data,
                                  prepare_many)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def walk(n, seed=0, drift=0.0, vol=0.01, start="2020-01-01"):
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="B", name="date")
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(drift, vol, n))), index=idx, name="close")


def past_features(close, k=10):
    "Past-only stand-in features: log return, its rolling mean and std, distance to a rolling mean."
    lr = np.log(close).diff()
    return pd.DataFrame({"logret": lr, f"mean{k}": lr.rolling(k).mean(), f"vol{k}": lr.rolling(k).std(),
                         f"dist{k}": close / close.rolling(k).mean() - 1})


# ---------------------------------------------------------------- splits
@FAST
@given(n=st.integers(0, 3000), first=st.integers(0, 200), horizon=st.integers(1, 30), extra=st.integers(0, 20),
       train_frac=st.floats(0.05, 0.9), val_frac=st.floats(0.0, 0.5))
def test_chronological_split_properties(n, first, horizon, extra, train_frac, val_frac):
    assume(train_frac + val_frac < 0.98)
    purge = horizon + extra
    try:
        sp = chronological_split(n, train_frac, val_frac, purge, first=first, horizon=horizon)
    except ConfigError as e:
        assert "too few samples" in str(e)
        gaps = 2 if val_frac > 0 else 1
        usable = n - first - gaps * purge
        assert (int(usable * train_frac + 1e-9) < 1 or usable - int(usable * train_frac + 1e-9) - int(usable * val_frac + 1e-9) < 1
                or (val_frac > 0 and int(usable * val_frac + 1e-9) < 1))
        return
    parts = [sp.train, sp.val, sp.test]
    for p in parts:
        assert p.dtype == np.int64 and (np.diff(p) == 1).all()   # contiguous, increasing
        assert p.size == 0 or (p.min() >= first and p.max() < n)
    assert len(sp.train) >= 1 and len(sp.test) >= 1 and (len(sp.val) >= 1) == (val_frac > 0)
    # never overlap, chronological
    allp = np.concatenate(parts)
    assert len(np.unique(allp)) == len(allp) and (np.diff(allp) > 0).all()
    # gaps: first of the later part - last of the earlier part > purge >= horizon
    nonempty = [p for p in parts if len(p)]
    for a, b in zip(nonempty, nonempty[1:]):
        assert b[0] - a[-1] > purge >= horizon
        check_purge(a, b, purge)
        assert a[-1] + horizon < b[0]           # the last train label's price lies before the next part
    assert sp.test[-1] == n - 1 and sp.train[0] == first
    # sizes: nothing but the gaps is lost
    assert len(allp) == n - first - (len(nonempty) - 1) * purge


@given(purge=st.integers(0, 10), horizon=st.integers(1, 20))
def test_split_rejects_purge_below_horizon(purge, horizon):
    if purge < horizon:
        with pytest.raises(ConfigError, match="less than horizon"):
            chronological_split(10_000, purge_bars=purge, horizon=horizon)
    else:
        chronological_split(10_000, purge_bars=purge, horizon=horizon)


def test_split_bad_fractions_and_too_few():
    with pytest.raises(ConfigError, match="train_frac"): chronological_split(100, 0.0, 0.2, horizon=5)
    with pytest.raises(ConfigError, match="train_frac"): chronological_split(100, 0.8, 0.2, horizon=5)
    with pytest.raises(ConfigError, match="too few samples"): chronological_split(14, purge_bars=5, horizon=5)
    with pytest.raises(LeakageError, match="gap 3 must exceed purge_bars=5"): check_purge(np.arange(10), np.arange(12, 20), 5)


# ---------------------------------------------------------------- walk-forward
@FAST
@given(n=st.integers(10, 2000), train=st.integers(1, 400), test=st.integers(1, 200), step_extra=st.integers(0, 50),
       horizon=st.integers(1, 20), purge_extra=st.integers(0, 10), embargo=st.integers(0, 10),
       expanding=st.booleans(), first=st.integers(0, 100))
def test_walk_forward_properties(n, train, test, step_extra, horizon, purge_extra, embargo, expanding, first):
    purge, step = horizon + purge_extra, test + step_extra
    try:
        folds = walk_forward_folds(n, train, test, step, purge, embargo, expanding, first, horizon=horizon)
    except ConfigError as e:
        assert "too few samples" in str(e) and first + train + purge + embargo + test > n
        return
    assert first + train + purge + embargo + test <= n
    for k, f in enumerate(folds):
        assert f.k == k and len(f.test) == test and (np.diff(f.train) == 1).all() and (np.diff(f.test) == 1).all()
        assert f.train[0] >= first and f.test[-1] < n
        assert f.test[0] - f.train[-1] > purge + embargo >= horizon      # train ends >= purge+embargo before test
        assert len(f.train) == (f.test[0] - purge - embargo - first if expanding else train)
        if expanding: assert f.train[0] == first
    tests = np.concatenate([f.test for f in folds])
    assert len(np.unique(tests)) == len(tests) and (np.diff(tests) > 0).all()   # test blocks never overlap
    # every full block that fits was made
    assert folds[-1].test[0] + step + test > n


def test_walk_forward_bad_args():
    with pytest.raises(ConfigError, match="overlap"): walk_forward_folds(500, 100, 50, step=20, horizon=5)
    with pytest.raises(ConfigError, match="less than horizon"): walk_forward_folds(500, 100, 50, purge=1, horizon=2)
    with pytest.raises(ConfigError, match="embargo must be"): walk_forward_folds(500, 100, 50, embargo=-1, horizon=5)


# ---------------------------------------------------------------- labels
@FAST
@given(n=st.integers(30, 200), h=st.integers(1, 10), seed=st.integers(0, 10_000), thr=st.floats(0, 0.05),
       mode=st.sampled_from(["fixed", "vol"]), data=st.data())
def test_labels_read_only_t_and_t_plus_h(n, h, seed, thr, mode, data):
    close = walk(n, seed)
    vw = 5
    lab = make_labels(close, h, thr if mode == "fixed" else thr * 40, mode, vol_window=vw)
    assert lab.iloc[-h:].isna().all()                                   # last h never guessed
    first_known = 0 if mode == "fixed" else vw
    assert lab.iloc[first_known:n - h].notna().all() and lab.iloc[:first_known].isna().all()
    assert set(lab.dropna().unique()) <= {0.0, 1.0, 2.0}
    t = data.draw(st.integers(first_known, n - h - 1))
    # change every price after t+h (and, for fixed mode, before t): label t must not move
    other = close.copy()
    other.iloc[t + h + 1:] *= data.draw(st.floats(0.2, 5.0))
    if mode == "fixed" and t > 0: other.iloc[:t] *= data.draw(st.floats(0.2, 5.0))
    lab2 = make_labels(other, h, thr if mode == "fixed" else thr * 40, mode, vol_window=vw)
    assert lab2.iloc[t] == lab.iloc[t]
    if mode == "fixed":   # it is exactly the sign of close[t+h]/close[t]-1 against the threshold
        r = close.iloc[t + h] / close.iloc[t] - 1
        assert lab.iloc[t] == (2.0 if r > thr else 0.0 if r < -thr else 1.0)


def test_forward_return_values_and_bad_input():
    close = walk(50, 3)
    fr = forward_return(close, 3)
    np.testing.assert_allclose(fr.iloc[:-3].to_numpy(), close.to_numpy()[3:] / close.to_numpy()[:-3] - 1)
    assert fr.iloc[-3:].isna().all() and fr.index.equals(close.index)
    for bad_h in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="horizon"): forward_return(close, bad_h)
    with pytest.raises(ConfigError, match="needs more than"): make_labels(close.iloc[:5], horizon=5)
    nan_close = close.copy(); nan_close.iloc[7] = np.nan
    with pytest.raises(DataError, match="NaN/inf"): make_labels(nan_close)
    with pytest.raises(TradingKitError): make_labels(close, mode="quantile")


# ---------------------------------------------------------------- scalers
@pytest.mark.parametrize("kind", ["standard", "minmax", "robust"])
def test_scaler_saved_params_equal_train_rows_only(tmp_path, kind):
    close = walk(600, 7, drift=0.003)                        # trending: train and full statistics differ
    feats = past_features(close).assign(level=np.log(close))
    d = prepare_data(feats, close, ticker="TREND", horizon=5, window=40, purge_bars=6, scaler=kind)
    tr = d.splits["train"]
    r0, r1 = d.scaler_rows
    assert (r0, r1) == (tr[0] - 39, tr[-1] + 1)
    train_rows = feats.iloc[d.n_warmup_dropped + r0: d.n_warmup_dropped + r1].to_numpy()
    assert not np.isnan(train_rows).any()
    if kind == "standard": center, scale = train_rows.mean(0), train_rows.std(0)
    elif kind == "minmax": center, scale = train_rows.min(0), train_rows.max(0) - train_rows.min(0)
    else:
        q25, center, q75 = np.percentile(train_rows, [25, 50, 75], axis=0); scale = q75 - q25
    back = Scaler.load(d.scaler.save(tmp_path / "s.json"))
    np.testing.assert_array_equal(back.center_, d.scaler.center_)       # exact JSON round trip
    np.testing.assert_array_equal(back.scale_, d.scaler.scale_)
    np.testing.assert_allclose(back.center_, center, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(back.scale_, scale, rtol=1e-12, atol=1e-15)
    assert back.feature_names == list(feats.columns) and back.n_rows_fit == r1 - r0
    # the file is plain JSON, and full-data parameters differ on trending data
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["kind"] == kind and len(saved["center"]) == feats.shape[1]
    full = Scaler(kind).fit(feats.dropna())
    assert abs(full.center_[-1] - back.center_[-1]) + abs(full.scale_[-1] - back.scale_[-1]) > 0.1 * back.scale_[-1]
    # X is exactly the train-fitted transform of every post-warm-up row
    np.testing.assert_allclose(d.X, back.transform(feats.iloc[d.n_warmup_dropped:].to_numpy()).astype(np.float32), rtol=1e-6)
    with pytest.raises(DataError, match="fitted on 5 features, got 4"): back.transform(np.zeros((3, 4)))


def test_scaler_bad_files(tmp_path):
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read scaler file"): Scaler.load(tmp_path / "x.json")
    (tmp_path / "y.json").write_text(json.dumps({"kind": "standard", "center": [0.0], "scale": [0.0]}))
    with pytest.raises(ConfigError, match="bad scaler parameters"): Scaler.load(tmp_path / "y.json")
    assert not list(tmp_path.glob("*.tmp"))


# ---------------------------------------------------------------- windows
@FAST
@given(T=st.integers(2, 200), F=st.integers(1, 6), window=st.integers(1, 60), data=st.data())
def test_windows_are_views(T, F, window, data):
    assume(window <= T)
    X = np.random.default_rng(T * F).normal(size=(T, F)).astype(np.float32)
    y = np.random.default_rng(window).integers(0, 3, T)
    pos = np.arange(window - 1, T)
    ds = WindowDataset(X, y, pos, window)
    assert ds.X is X and len(ds) == len(pos)
    i = data.draw(st.integers(0, len(ds) - 1))
    p = pos[i]
    x, lab = ds[i]
    assert x.dtype == torch.float32 and tuple(x.shape) == (window, F) and lab.dtype == torch.int64
    np.testing.assert_array_equal(x.numpy(), X[p - window + 1: p + 1])
    assert int(lab) == y[p]
    assert x.data_ptr() == X[p - window + 1:].ctypes.data and np.shares_memory(x.numpy(), X)
    X[p, 0] = 1234.5                                       # a write to X shows through the window: same memory
    assert float(ds[i][0][-1, 0]) == 1234.5


def test_window_dataset_bad_input():
    X, y = np.zeros((30, 2), np.float32), np.zeros(30, np.int64)
    with pytest.raises(ConfigError, match="window=40 is longer"): WindowDataset(X, y, [29], 40)
    with pytest.raises(ConfigError, match="window must be"): WindowDataset(X, y, [29], 0)
    with pytest.raises(ConfigError, match="must lie in"): WindowDataset(X, y, [3], 10)
    with pytest.raises(DataError, match="X must be 2-D"): WindowDataset(np.zeros(30, np.float32), y, [29], 5)
    y2 = y.copy(); y2[20] = -1
    with pytest.raises(DataError, match="unknown label"): WindowDataset(X, y2, [19, 20], 5)


def test_pooled_dataset_never_crosses_tickers():
    # each ticker's features carry its own id in a column, so a mixed window would show two ids
    frames = {}
    for k, (t, n) in enumerate([("AAA", 300), ("BBB", 220), ("CCC", 260)]):
        c = walk(n, 10 + k, start=f"201{k}-01-01")
        frames[t] = (past_features(c).assign(ticker_id=float(k)), c)
    datas = list(prepare_many(frames, scaler="none", window=25).values())
    for part in PARTS:
        pool = pool_prepared(datas, part)
        assert isinstance(pool, ConcatWindowDataset)
        assert len(pool) == sum(len(d.splits[part]) for d in datas)
        by_name = {d.ticker: d for d in datas}
        for i in range(len(pool)):
            x, lab = pool[i]
            name, p = pool.locate(i)
            d = by_name[name]
            ids = np.unique(x[:, -1].numpy())
            assert len(ids) == 1 and ids[0] == float(list(frames).index(name))
            assert np.shares_memory(x.numpy(), d.X) and int(lab) == d.y[p]
            assert p in d.splits[part]


def test_pooled_scaler_fits_union_of_train_rows():
    frames = {t: (past_features(c), c) for t, c in (("AAA", walk(300, 1, 0.002)), ("BBB", walk(250, 2, -0.002)))}
    per = prepare_many(frames, window=20)
    pooled = prepare_many(frames, window=20, scaler_scope="pooled")
    rows = [frames[t][0].iloc[per[t].n_warmup_dropped:].iloc[slice(*per[t].scaler_rows)] for t in frames]
    union = pd.concat(rows).to_numpy()
    np.testing.assert_allclose(pooled["AAA"].scaler.center_, union.mean(0), rtol=1e-12)
    assert pooled["AAA"].scaler is pooled["BBB"].scaler
    assert not np.allclose(per["AAA"].scaler.center_, per["BBB"].scaler.center_)


# ---------------------------------------------------------------- prepare_data
def test_prepare_data_bad_input():
    c = walk(200, 5); f = past_features(c)
    with pytest.raises(ConfigError, match="horizon must be"): prepare_data(f, c, ticker="X", horizon=0)
    with pytest.raises(ConfigError, match="window=500"): prepare_data(f, c, ticker="X", window=500)
    with pytest.raises(DataError, match="same index"): prepare_data(f.iloc[:-1], c, ticker="X")
    with pytest.raises(DataError, match="same index"): prepare_data(f, c.set_axis(c.index + pd.Timedelta("1D")), ticker="X")
    c2 = c.copy(); c2.iloc[100] = np.nan
    with pytest.raises(DataError, match="NaN"): prepare_data(f, c2, ticker="X")
    f2 = f.copy(); f2.iloc[150, 0] = np.inf
    with pytest.raises(DataError, match="infinite"): prepare_data(f2, c, ticker="X")
    with pytest.raises(ConfigError, match="too few samples"): prepare_data(f, c, ticker="X", window=175)
    with pytest.raises(DataError, match="non-numeric"): prepare_data(f.assign(s="a"), c, ticker="X")


def test_prepare_data_on_msft():
    bars = load_ohlcv("MSFT")
    close = bars["close"]
    lr = np.log(close).diff()
    feats = pd.DataFrame({"logret": lr, "mean20": lr.rolling(20).mean(), "vol20": lr.rolling(20).std(),
                          "range": (bars["high"] - bars["low"]) / close,
                          "vol_ratio": bars["volume"] / bars["volume"].rolling(20).mean(),
                          "dist50": close / close.rolling(50).mean() - 1})
    h, window, purge = 5, 60, 7
    d = prepare_data(feats, close, ticker="MSFT", horizon=h, window=window, purge_bars=purge)
    T = len(bars) - d.n_warmup_dropped
    assert d.n_warmup_dropped == 49                      # dist50 needs 50 bars
    assert d.X.shape == (T, 6) and d.X.dtype == np.float32 and np.isfinite(d.X).all()
    assert d.index.equals(bars.index[49:]) and (d.y[-h:] == -1).all() and (d.y[:-h] >= 0).all()
    tr, va, te = (d.splits[p] for p in PARTS)
    usable = (T - h) - (window - 1) - 2 * purge
    assert (len(tr), len(va)) == (int(usable * 0.6), int(usable * 0.2)) and len(tr) + len(va) + len(te) == usable
    assert tr[0] == window - 1 and te[-1] == T - h - 1
    assert va[0] - tr[-1] == purge + 1 and te[0] - va[-1] == purge + 1
    assert d.part_index("train")[-1] + pd.Timedelta(days=h) < d.part_index("val")[0]
    ds = d.dataset("train")
    x, lab = ds[len(ds) - 1]
    np.testing.assert_array_equal(x.numpy(), d.X[tr[-1] - window + 1: tr[-1] + 1])
    assert x.data_ptr() == d.X[tr[-1] - window + 1:].ctypes.data
    # the scaler saw train rows only: standard scaler -> train rows have mean ~0, test rows do not have to
    np.testing.assert_allclose(d.X[slice(*d.scaler_rows)].astype(np.float64).mean(0), 0, atol=1e-4)
    # labels agree with the forward returns and the threshold
    p = te[:50]
    expect = np.where(d.forward_returns[p] > 0.005, 2, np.where(d.forward_returns[p] < -0.005, 0, 1))
    np.testing.assert_array_equal(d.y[p], expect)
    bal = class_balance(d.y[tr])
    assert bal["count"].sum() == len(tr) and abs(bal["share"].sum() - 1) < 1e-12
    w = class_weights(d.y[tr])
    assert abs((w[d.y[tr]]).mean() - 1) < 1e-9 and w.argmax() == bal["count"].to_numpy().argmin()
    s = d.summary()
    assert list(s.index) == list(PARTS) and s.loc["train", "samples"] == len(tr)


@settings(max_examples=40, deadline=None)
@given(a=st.integers(60, 250), b=st.integers(1, 150), h=st.integers(1, 8), extra=st.integers(0, 5))
def test_split_dates_purged_and_shared(a, b, h, extra):
    c1, c2 = walk(400, 21), walk(330, 22, start="2020-03-02")
    idx = c1.index
    dates = (idx[a], idx[min(a + b, 399)])
    frames = {"A": (past_features(c1), c1), "B": (past_features(c2), c2)}
    try:
        datas = prepare_many(frames, window=20, horizon=h, purge_bars=h + extra, split_dates=dates)
    except ConfigError as e:
        assert "part empty" in str(e) or "must be before" in str(e)
        return
    for d in datas.values():
        tr, va, te = (d.splits[p] for p in PARTS)
        assert va[0] - tr[-1] > h + extra and te[0] - va[-1] > h + extra
        assert d.part_index("val")[0] >= dates[0] > d.index[tr[-1] + h]      # train labels end before the val cut
        assert d.part_index("test")[0] >= dates[1] > d.index[va[-1] + h]
    assert calendar_overlap(list(datas.values())) == []


def test_walk_forward_folds_reject_a_negative_first():
    "review1: first < 0 gave negative train positions, which numpy reads from the END of the data (the future)."
    with pytest.raises(ConfigError, match="first"): walk_forward_folds(100, 20, 10, first=-5, horizon=5)


@pytest.mark.parametrize("thr", ["0.01", None, [0.01]])
def test_make_labels_non_numeric_threshold_is_a_config_error(thr):
    "review1: a string or None threshold raised numpy's TypeError."
    with pytest.raises(ConfigError, match="threshold"): make_labels(pd.Series(np.linspace(1, 2, 50)), threshold=thr)


def test_split_dates_with_a_timezone_is_a_config_error():
    "review1: a tz-aware split date against the kit's naive index raised pandas' TypeError."
    bars = load_ohlcv("MSFT").iloc[:400]
    f = pd.DataFrame({"a": np.log(bars.close).diff().fillna(0.0)}, index=bars.index)
    d0, d1 = bars.index[150], bars.index[280]
    with pytest.raises(ConfigError, match="split_dates"):
        prepare_data(f, bars.close, horizon=2, purge_bars=2, window=5, split_dates=(d0.tz_localize("UTC"), d1))


def test_scaler_from_dict_bad_row_count_is_a_config_error():
    with pytest.raises(ConfigError, match="scaler"):
        Scaler.from_dict({"kind": "standard", "center": [1.0], "scale": [1.0], "n_rows_fit": "x"})


def test_class_weights_non_numeric_labels_are_a_data_error():
    with pytest.raises(DataError, match="labels"): class_weights(["up", "down"])


def test_pooled_scaler_warns_when_one_tickers_train_rows_postdate_anothers_test():
    "review1: a pooled scaler fitted on a ticker's train rows dated after another ticker's first test bar sees that test's calendar future."
    a, b = load_ohlcv("MSFT").iloc[-600:], load_ohlcv("GOOG").iloc[:600]
    frames = {t: (pd.DataFrame({"r": np.log(x.close).diff().fillna(0.0)}, index=x.index), x.close) for t, x in (("A", a), ("B", b))}
    with pytest.warns(UserWarning, match="calendar"):
        out = prepare_many(frames, scaler_scope="pooled", horizon=2, purge_bars=2, window=5)
    assert calendar_overlap(list(out.values()))


def test_splits_require_the_label_horizon():
    "A purge shorter than the label horizon leaks train labels into the next part: the horizon is never optional."
    with pytest.raises(TypeError, match="horizon"): chronological_split(100, purge_bars=2)
    with pytest.raises(TypeError, match="horizon"): walk_forward_folds(500, 100, 50, purge=1)
    with pytest.raises(ConfigError, match="less than horizon"): chronological_split(100, purge_bars=2, horizon=5)


def test_vol_window_changes_the_labels():
    "With threshold_mode='vol', [labels] vol_window reaches the labels (the template used to drop it)."
    from trading_kit.core import Settings
    c = walk(600, 3)
    cfg = Settings(); cfg.labels.threshold_mode, cfg.labels.threshold, cfg.labels.window = "vol", 0.5, 20
    a = prepare_data(past_features(c), c, cfg, ticker="W")
    b = prepare_data(past_features(c), c, cfg, ticker="W", vol_window=60)
    assert (a.y != b.y).any() and b.config.vol_window == 60 and cfg.labels.vol_window == 20
    fixed = [prepare_data(past_features(c), c, cfg, ticker="W", threshold_mode="fixed", threshold=0.005, vol_window=v).y
             for v in (20, 60)]
    np.testing.assert_array_equal(*fixed)   # in fixed mode vol_window does nothing, as documented
    with pytest.raises(ConfigError, match="ticker='W'"): prepare_data(past_features(c), c, "W")
