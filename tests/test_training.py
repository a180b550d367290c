"Models + trainer: overfit sanity, sample-data training, checkpoint round trip, determinism, resume, bad input."
import copy, json

import numpy as np
import pandas as pd
import pytest
import torch
from torch.utils.data import Dataset

from trading_kit.core import ConfigError, DataError, seed_everything
from trading_kit.data import load_ohlcv
import trading_kit.fusion  # noqa: F401  registers 'fusion' (its own tests: test_fusion.py), so MODELS is the same whatever ran first
from trading_kit.models import MODELS, get_model

PRICE_MODELS = sorted(m for m in MODELS if m != "fusion")   # fusion also needs the bar's news columns
from trading_kit.training import (fit, predict_proba, predict_logits, save_checkpoint, load_checkpoint,
                                  FitResult)
from trading_kit.training_plots import plot_history

torch.set_num_threads(1)

# small sizes so each model trains in a fraction of a second
SMALL = {"lstm": dict(hidden=16, layers=1), "gru": dict(hidden=16, layers=1), "gru_lstm": dict(hidden=16, layers=1, short=4),
         "cnn_lstm": dict(hidden=16, layers=1, channels=16), "attention_cnn_lstm": dict(hidden=16, layers=1, channels=16),
         "transformer": dict(d_model=16, heads=2, layers=1), "cnn_transformer": dict(d_model=16, heads=2, layers=1),
         "linear": {}}


def test_every_model_is_covered():
    assert set(SMALL) | {"fusion"} == set(MODELS)


class Tensors(Dataset):
    "A dataset over in-memory tensors (x (n, seq, f) float32, y (n,) int64)."
    def __init__(self, x, y): self.x, self.y = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64)
    def __len__(self): return len(self.y)
    def __getitem__(self, i): return self.x[i], self.y[i]


class Windows(Dataset):
    "Past-only windows over a (T, F) array: item i is X[p-window+1 : p+1], y[p] with p = positions[i]."
    def __init__(self, X, y, positions, window):
        self.X, self.y, self.positions, self.window = X, y, positions, window
    def __len__(self): return len(self.positions)
    def __getitem__(self, i):
        p = self.positions[i]
        return torch.from_numpy(self.X[p - self.window + 1: p + 1]), torch.tensor(self.y[p])


@pytest.fixture(scope="module")
def msft():
    "MSFT daily: 4 past-only features, 3-class labels from the 5-bar forward return, chronological split with purge."
    df = load_ohlcv("MSFT").iloc[-1200:]
    c = df["close"]
    lr = np.log(c).diff()
    z = lambda s, w: (s - s.rolling(w).mean()) / s.rolling(w).std()
    feats = pd.DataFrame({"logret": lr * 50, "z_close20": z(c, 20), "z_vol20": z(np.log(df["volume"]), 20),
                          "range": (df["high"] - df["low"]) / c * 20}).astype("float32")
    fwd = c.shift(-5) / c - 1  # test-local label: the only future-reading line
    y = np.where(fwd > 0.005, 2, np.where(fwd < -0.005, 0, 1)).astype(np.int64)
    ok = feats.notna().all(1).to_numpy() & fwd.notna().to_numpy()
    X = np.nan_to_num(feats.to_numpy(), nan=0.0)
    window, purge = 30, 5
    first = int(np.argmax(ok)) + window  # first end bar whose whole window is past warm-up
    ends = np.arange(first, len(df))[ok[first:]]
    n_tr = int(len(ends) * 0.7)
    train_pos, val_pos = ends[:n_tr], ends[n_tr + purge:]
    assert train_pos.max() + purge < val_pos.min()
    return Windows(X, y, train_pos, window), Windows(X, y, val_pos, window), list(feats.columns)


def _random_batch(n=16, seq=8, f=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    return Tensors(torch.randn(n, seq, f, generator=g), torch.arange(n) % 3)


@pytest.mark.parametrize("name", PRICE_MODELS)
def test_overfits_one_batch(name):
    ds = _random_batch()
    seed_everything(0)
    model = get_model(name, 24, **SMALL[name], **({} if name == "linear" else {"dropout": 0.0}))
    res = fit(model, ds, epochs=200, batch_size=16, lr=1e-2, weight_decay=0.0, schedule="constant", clip=None,
              patience=0, progress=False)
    acc = (predict_proba(res.model, ds).argmax(1) == ds.y.numpy()).mean()
    assert acc == 1.0, f"{name} reached only {acc:.2f} on one memorisable batch"
    assert res.history["train_loss"].iloc[-1] < res.history["train_loss"].iloc[0] / 5


@pytest.mark.parametrize("name", PRICE_MODELS)
def test_two_epochs_on_sample_data_and_checkpoint_round_trip(name, msft, tmp_path, monkeypatch):
    train, val, features = msft
    seed_everything(1)
    model = get_model(name, len(features), **SMALL[name])
    res = fit(model, train, val, epochs=2, batch_size=64, progress=False, class_weights="balanced")
    assert isinstance(res, FitResult) and res.device.type == "cpu" and res.amp_dtype is None
    h = res.history
    assert list(h["epoch"]) == [0, 1]
    assert np.isfinite(h[["train_loss", "val_loss", "train_acc", "val_acc", "val_f1", "grad_norm", "lr"]].to_numpy()).all()
    assert h["val_acc"].between(0, 1).all() and (h["grad_norm"] > 0).all()
    p = predict_proba(res.model, val)
    assert p.shape == (len(val), 3) and np.allclose(p.sum(1), 1.0) and (p >= 0).all()

    extra = {"features": features, "label": {"horizon": 5, "threshold": 0.005}, "scaler": {"kind": "none"},
             "span": [str(pd.Timestamp("2013-01-01")), "2017-11-10"], "metrics": {"val_acc": h["val_acc"].iloc[-1]}}
    save_checkpoint(tmp_path, res.model, name, extra=extra)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["config.json", "model.safetensors"]
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("load_checkpoint must not unpickle"))
    ck = load_checkpoint(tmp_path)
    assert ck.model_name == name and ck.hparams == res.model.hparams and ck.extra["features"] == features
    np.testing.assert_array_equal(predict_logits(ck.model, val), predict_logits(res.model, val))


def _run(train, val, seed, **kw):
    res = fit(get_model("cnn_lstm", 4, seed=seed, **SMALL["cnn_lstm"]), train, val, epochs=2, seed=seed, progress=False, **kw)
    return res, predict_proba(res.model, val)


def test_same_seed_same_numbers_on_cpu(msft):
    train, val, _ = msft
    (a, pa), (b, pb), (c, pc) = _run(train, val, 7), _run(train, val, 7), _run(train, val, 8)
    pd.testing.assert_frame_equal(a.history, b.history)
    np.testing.assert_array_equal(pa, pb)
    assert not np.array_equal(pa, pc)


def test_resume_continues_exactly_and_interrupt_keeps_best(msft, tmp_path):
    train, val, _ = msft
    kw = dict(epochs=4, batch_size=64, seed=3, progress=False, patience=0, schedule="cosine", clip="adaptive")
    seed_everything(3)
    full = fit(get_model("gru", 4, **SMALL["gru"]), train, val, checkpoint_dir=tmp_path / "full", **kw)

    def stop_after_epoch_1(epoch, row, model):
        if epoch == 1: raise KeyboardInterrupt
    seed_everything(3)
    part = fit(get_model("gru", 4, **SMALL["gru"]), train, val, checkpoint_dir=tmp_path / "part",
               on_epoch_end=stop_after_epoch_1, **kw)
    assert part.interrupted and len(part.history) == 2
    best = load_checkpoint(tmp_path / "part").model  # the interrupted run's best weights are on disk and in the result
    np.testing.assert_array_equal(predict_logits(best, val), predict_logits(part.model, val))

    # a different init (seed 99): resume must overwrite it with the saved state
    resumed = fit(get_model("gru", 4, seed=99, **SMALL["gru"]), train, val, checkpoint_dir=tmp_path / "part", resume=True, **kw)
    assert not resumed.interrupted and len(resumed.history) == 4
    pd.testing.assert_frame_equal(resumed.history, full.history)
    np.testing.assert_array_equal(predict_logits(resumed.model, val), predict_logits(full.model, val))
    assert resumed.best_epoch == full.best_epoch


def test_early_stopping_restores_a_deep_copy_of_the_best_epoch():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 6, 3, generator=g)
    y = (x[:, -1, 0] > 0).long() * 2        # train: up when the last bar's feature 0 is positive
    train, val = Tensors(x[:64], y[:64]), Tensors(x[64:], 2 - y[64:])  # val: the opposite rule
    snaps = {}
    seed_everything(0)
    res = fit(get_model("linear", 3), train, val, epochs=6, batch_size=16, lr=5e-2, schedule="constant", patience=0,
              progress=False, on_epoch_end=lambda e, row, m: snaps.__setitem__(e, copy.deepcopy(m.state_dict())))
    last = max(snaps)
    assert res.best_epoch < last, "the setup must make the last epoch worse than the best one"
    assert res.history["val_loss"].idxmin() == res.best_epoch and res.history["best"].sum() >= 1
    state = res.model.state_dict()
    for k in state:
        torch.testing.assert_close(state[k], snaps[res.best_epoch][k], rtol=0, atol=0)
    assert any(not torch.equal(state[k], snaps[last][k]) for k in state)


def test_patience_stops_early():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 6, 3, generator=g)
    train, val = Tensors(x[:32], (x[:32, -1, 0] > 0).long()), Tensors(x[32:], 1 - (x[32:, -1, 0] > 0).long())
    res = fit(get_model("linear", 3), train, val, epochs=30, batch_size=8, lr=5e-2, patience=2, progress=False)
    assert res.stopped_early and len(res.history) == res.best_epoch + 3


def test_bad_input_raises_clear_errors(msft, tmp_path):
    train, _, _ = msft
    with pytest.raises(ConfigError, match="unknown model 'lstmm'"):
        get_model("lstmm", 4)
    with pytest.raises(DataError, match=r"expects \(seq_len, 7\)"):
        fit(get_model("lstm", 7), train, epochs=1, progress=False)
    with pytest.raises(DataError, match="labels outside 0..2"):
        fit(get_model("linear", 3), Tensors(torch.zeros(4, 5, 3), torch.tensor([0, 1, -1, 2])), epochs=1, progress=False)
    with pytest.raises(DataError, match="train dataset is empty"):
        fit(get_model("linear", 3), Tensors(torch.zeros(0, 5, 3), torch.zeros(0)), epochs=1, progress=False)
    with pytest.raises(ConfigError, match="unknown loss"):
        fit(get_model("linear", 4), train, loss="hinge", progress=False)
    m = get_model("linear", 4)
    with pytest.raises(ConfigError, match="JSON-serialisable"):
        save_checkpoint(tmp_path / "a", m, extra={"scaler": object()})
    save_checkpoint(tmp_path / "b", m)
    cfg = json.loads((tmp_path / "b" / "config.json").read_text())
    cfg["hparams"]["n_features"] = 5
    (tmp_path / "b" / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(DataError, match="does not fit model 'linear'"):
        load_checkpoint(tmp_path / "b")
    with pytest.raises(ConfigError, match="no checkpoint in"):
        load_checkpoint(tmp_path / "missing")
    with pytest.raises(ConfigError, match="holds no training state"):
        fit(get_model("linear", 4), train, checkpoint_dir=tmp_path / "empty", resume=True, progress=False)


def test_plot_history_returns_a_figure(msft):
    train, val, _ = msft
    res = fit(get_model("linear", 4), train, val, epochs=3, progress=False)
    fig = plot_history(res.history)
    from matplotlib.figure import Figure
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    assert [ln.get_label() for ln in fig.axes[0].lines][:2] == ["train_loss", "val_loss"]


@pytest.mark.parametrize("schedule,loss,clip", [("cyclic", "focal", "value"), ("plateau", "ce", "norm"),
                                                ("constant", "focal", None)])
def test_resume_restores_scheduler_and_optimizer_state(schedule, loss, clip, tmp_path):
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(120, 10, 4, generator=g), torch.randint(0, 3, (120,), generator=g)
    train, val = Tensors(x[:90], y[:90]), Tensors(x[90:], y[90:])
    kw = dict(epochs=5, batch_size=16, seed=1, progress=False, patience=0, schedule=schedule, loss=loss, clip=clip,
              lr=3e-3)
    seed_everything(1)
    full = fit(get_model("gru", 4, hidden=8, layers=1), train, val, checkpoint_dir=tmp_path / "a", **kw)

    def stop(epoch, row, model):
        if epoch == 2: raise KeyboardInterrupt
    seed_everything(1)
    fit(get_model("gru", 4, hidden=8, layers=1), train, val, checkpoint_dir=tmp_path / "b", on_epoch_end=stop, **kw)
    resumed = fit(get_model("gru", 4, hidden=8, layers=1), train, val, checkpoint_dir=tmp_path / "b", resume=True, **kw)
    pd.testing.assert_frame_equal(resumed.history, full.history)
    assert {f.name for f in (tmp_path / "b" / "state").iterdir()} == {
        "model.safetensors", "optimizer.safetensors", "rng.safetensors", "trainer.json"}


def test_get_model_rejects_non_numeric_hyper_parameters():
    "review2: a string dropout used to raise a raw TypeError; a bool passed as a size was accepted."
    with pytest.raises(ConfigError, match="dropout"): get_model("gru", 8, dropout="0.2")
    with pytest.raises(ConfigError, match="hidden"): get_model("lstm", 8, hidden=True)


def test_negative_weight_decay_or_patience_raise_config_error(msft):
    "review2: weight_decay < 0 surfaced as torch's ValueError; patience < 0 silently meant 'never stop'."
    train, _, _ = msft
    with pytest.raises(ConfigError, match="weight_decay"): fit(get_model("linear", 4), train, epochs=1, weight_decay=-1, progress=False)
    with pytest.raises(ConfigError, match="patience"): fit(get_model("linear", 4), train, epochs=1, patience=-1, progress=False)


def test_checkpoint_is_ready_for_inference(tmp_path):
    "issue 9.4 / 16.8: a checkpoint keeps the fitted scaler and the run's settings, so a loaded one predicts the same."
    from trading_kit.core import load_settings
    from trading_kit.checkpoints import Checkpoint, run_config
    from trading_kit.scaling import Scaler
    rng = np.random.default_rng(0)
    feats = pd.DataFrame(rng.normal(2.0, 3.0, size=(300, 4)), columns=["rsi_14", "atr_14_pct", "ret_1", "vwap_gap"])
    y = rng.integers(0, 3, 300)
    cfg = load_settings(overrides={"labels.threshold_mode": "vol", "labels.window": 20, "data.interval": "1h"})
    w = cfg.labels.window
    scaler = Scaler("standard").fit(feats.iloc[:200])                       # train rows only
    X = scaler.transform(feats.to_numpy()).astype(np.float32)
    seed_everything(0)
    res = fit(get_model("gru", 4, **SMALL["gru"]), Windows(X, y, np.arange(w - 1, 200), w), epochs=1, progress=False)
    probs = predict_proba(res.model, Windows(X, y, np.arange(210, 300), w))
    save_checkpoint(tmp_path, res.model, scaler=scaler, config=run_config(cfg, "MSFT", list(feats.columns)))

    ck = load_checkpoint(tmp_path)                                            # a fresh object from the files alone
    assert isinstance(ck, Checkpoint) and ck.scaler is not scaler and ck.model is not res.model
    assert ck.config["ticker"] == "MSFT" and ck.config["feature_names"] == list(feats.columns)
    assert ck.config["labels"]["threshold_mode"] == "vol" and ck.config["features"]["preset"] == cfg.features.preset
    s = ck.settings()
    assert (s.labels.window, s.labels.horizon, s.data.interval) == (20, cfg.labels.horizon, "1h")
    X2 = ck.scaler.transform(feats[ck.config["feature_names"]].to_numpy()).astype(np.float32)
    np.testing.assert_array_equal(predict_proba(ck.model, Windows(X2, y, np.arange(210, 300), s.labels.window)), probs)


REPRO_SCRIPT = """
import numpy as np, torch
torch.set_num_threads(1)
from torch.utils.data import TensorDataset
from trading_kit.models import get_model
from trading_kit.training import fit, predict_proba
rng = np.random.default_rng(0)
x = torch.as_tensor(rng.normal(size=(48, 10, 3)), dtype=torch.float32)
y = torch.as_tensor(rng.integers(0, 3, 48))
train, val = TensorDataset(x[:32], y[:32]), TensorDataset(x[32:], y[32:])
res = fit(get_model("lstm", n_features=3, hidden=8, layers=1), train, val, epochs=1, batch_size=16, progress=False)
print(np.array2string(predict_proba(res.model, val), precision=8))
"""


def test_probabilities_identical_in_two_fresh_processes():
    "Same settings and seed give the same probabilities in any process: the initial weights are drawn under the seed."
    import os, subprocess, sys
    env = dict(os.environ, PYTHONHASHSEED="random")
    outs = [subprocess.run([sys.executable, "-c", REPRO_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
            for _ in range(2)]
    for o in outs: assert o.returncode == 0, o.stderr[-2000:]
    assert outs[0].stdout.strip() and outs[0].stdout == outs[1].stdout


def test_get_model_seed_leaves_the_global_rng_alone():
    torch.manual_seed(7); expected = torch.rand(3)
    torch.manual_seed(7); a = get_model("gru", 4, seed=1, hidden=8, layers=1); got = torch.rand(3)
    b = get_model("gru", 4, seed=1, hidden=8, layers=1)
    c = get_model("gru", 4, seed=2, hidden=8, layers=1)
    assert torch.equal(expected, got)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), c.state_dict().values()))
