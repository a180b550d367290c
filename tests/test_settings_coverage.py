"""Every settings.ini field changes what some stage does (issue 9.2; issue 16.6 for `-p`).

Each field of every section of `trading_kit.core.Settings` has an alternative value and a cheap probe through the public
stage functions; a probe observes a fixed output (labels, splits, weights, orders, a file's location), so a setting the
stage ignored gives the same observation for both values. A field added without a probe fails `test_every_field_has_a_probe`.
"""
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from trading_kit.core import ConfigError, Settings, load_settings, with_overrides

ROOT = Path(__file__).resolve().parents[1]
FIELDS = [f"{s.name}.{f.name}" for s in fields(Settings) for f in fields(getattr(Settings(), s.name))]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    "A sample folder (300 MSFT bars), a second one (250) and a CSV folder (200), cut from the bundled sample."
    root = tmp_path_factory.mktemp("data")
    msft = pd.read_csv(ROOT / "data" / "sample" / "MSFT_1d.csv")
    out = {}
    for name, n in (("sample", 300), ("sample2", 250), ("csv", 200), ("csv2", 150)):
        (root / name).mkdir()
        msft.iloc[-n:].to_csv(root / name / "MSFT_1d.csv", index=False)
        out[name] = root / name
    out["cache"], out["cache2"], out["out"], out["out2"] = (root / k for k in ("cache", "cache2", "out", "out2"))
    return out


@pytest.fixture(scope="module")
def base(folders):
    "settings.ini, with the data folders pointing at the small copies above."
    return with_overrides(load_settings(env=False), {"data.sample_dir": str(folders["sample"]), "data.csv_dir": str(folders["csv"]),
                                                     "data.cache_dir": str(folders["cache"]), "run.output_dir": str(folders["out"])})


def _bars(n=400, seed=0):
    from conftest import make_bars
    return make_bars(n, seed=seed)


def _features(bars, k=4, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(len(bars), k)), index=bars.index, columns=[f"f{i}" for i in range(k)])


# --- probes: each takes the Settings and returns what a stage did with them --------------------------------------------
def load(cfg):
    from trading_kit.data import load_ohlcv
    b = load_ohlcv("MSFT", cfg)
    return len(b), str(b.index[0]), str(b.index[-1]), float(b["close"].sum())


def universe(cfg):
    from trading_kit.data import load_universe
    frames, errors = load_universe(cfg=cfg, progress=False)
    return sorted(frames), sorted(errors)


def csv_load(cfg):
    return load(with_overrides(cfg, {"data.provider": "csv"}))


def cache_files(cfg, folders):
    "Bars from a remote-like provider land in the cache folder the settings name (observed at the default folder)."
    from conftest import FakeProvider
    import shutil
    from trading_kit.data import load_ohlcv
    shutil.rmtree(folders["cache"], ignore_errors=True)
    load_ohlcv("FAKE", cfg, provider=FakeProvider(_bars(50)))
    return sorted(p.name for p in folders["cache"].rglob("*.parquet"))


def features(cfg):
    from trading_kit.features import engineer_features
    from trading_kit.data import load_ohlcv
    return tuple(engineer_features(load_ohlcv("MSFT", cfg), cfg.features.preset).columns)


def prepared(cfg):
    from trading_kit.datasets import prepare_data
    b = _bars(400)
    d = prepare_data(_features(b), b["close"], cfg, ticker="T")
    x = d.dataset("train")[0][0]
    return (tuple(np.asarray(d.y).tolist()), tuple(len(v) for v in d.splits.values()), tuple(d.splits["test"][:3]),
            d.window, float(np.asarray(x).sum()))


def folds(cfg):
    from trading_kit.walkforward import walk_forward
    b = _bars(400)
    wf = walk_forward(b, _features(b), with_overrides(cfg, {"model.name": "linear", "training.epochs": 1, "labels.window": 10}),
                      folds=2, n_boot=20, progress=False)
    return tuple(map(str, wf.folds[["train_start", "train_end", "test_start", "test_end"]].to_numpy().ravel()))


def tiny_data(cfg):
    from trading_kit.datasets import prepare_data
    b = _bars(300)
    return prepare_data(_features(b), b["close"], cfg, ticker="T", window=10, horizon=2, purge_bars=2, threshold=0.002)


def built_model(cfg):
    "The settings' model as the experiment builds it (name and hyper-parameters from [model])."
    from trading_kit.experiment import Experiment
    cfg = with_overrides(cfg, {"training.epochs": 1})
    e = Experiment("T", cfg, "1d", data=tiny_data(cfg))
    e.train()
    return type(e.model).__name__, repr(e.model), sum(p.numel() for p in e.model.parameters())


def trained(cfg, epochs=3, **probe):
    "Weights and history after `fit` on a tiny dataset (a fixed initial model; the trainer reads [training])."
    from trading_kit.models import get_model
    from trading_kit.training import fit
    cfg = with_overrides(cfg, {**({"training.epochs": epochs} if epochs else {}), **probe})
    d = tiny_data(cfg)
    net = get_model("lstm", n_features=len(d.feature_names), seed=0, hidden=8, layers=1, dropout=0.0)
    res = fit(net, d, cfg.training, progress=False)
    w = torch.cat([p.detach().flatten() for p in res.model.parameters()]).numpy()
    return len(res.history), res.best_epoch, np.round(w, 6).tobytes()


def early_stopping(cfg):
    return trained(cfg, **{"training.epochs": 40, "training.lr": 0.05})[:2]


def refused(key, bad):
    def probe(cfg):
        trained(cfg)                                    # the setting's value works
        with pytest.raises(ConfigError, match=key.split(".")[1]):
            trained(cfg, **{key: bad})
        return "refuses a bad value"
    return probe


def _signal_bars():
    from trading_kit.data import load_ohlcv
    return load_ohlcv("MSFT", load_settings(env=False), sample_dir=str(ROOT / "data" / "sample")).iloc[-500:]


def backtest(cfg):
    from trading_kit.backtest import run_backtest
    b = _signal_bars()
    e = pd.Series(False, b.index); e.iloc[30::25] = True
    x = e.shift(8, fill_value=False)
    bt = run_backtest(b, e, cfg, exits=x, start=b.index[20], ticker="MSFT")
    o = bt.orders
    return (round(float(bt.equity.iloc[-1]), 6), tuple(np.round(o["units"].to_numpy(float), 8)),
            tuple(np.round(o["fill_price"].to_numpy(float), 6)), tuple(np.round(o["stop"].to_numpy(float), 6)), tuple(o["bound"]))


def sized(cfg):
    "position_size with the [risk] limits, for a $1,000 account already holding 48% of equity across tickers, 2.5 R down today."
    from trading_kit.risk import RiskLimits, position_size
    r = cfg.risk
    lim = RiskLimits.from_config(r)
    out = []
    for kw in ({}, {"total_exposure": 480.0}, {"daily_loss_r": 2.5}, {"cash": 30.0}):
        for stop in (99.0, 50.0):           # a tight stop: the exposure caps bind; a wide one: the risk budget does
            out.append(position_size(1000.0, r.risk_per_trade, 100.0, stop, limits=lim, **kw))
    return tuple(np.round(out, 8))


def pdt(cfg):
    "Day trades on hourly US-stock bars of a $1,000 account: the PDT rule blocks some under auto, none when off."
    from conftest import make_bars
    from trading_kit.backtest import run_backtest
    b = make_bars(24 * 30, freq="h", seed=3)
    e = pd.Series(False, b.index); e.iloc[20::12] = True
    x = e.shift(3, fill_value=False)
    bt = run_backtest(b, e, cfg, exits=x, start=b.index[20], ticker="MSFT")
    return dict(bt.skipped).get("pdt", 0)


def ledger(cfg):
    from trading_kit.experiment import new_experiment
    return str(new_experiment("MSFT", cfg).trial_log.path)


def cli_run(cfg, monkeypatch_run):
    "The CLI's worker count and output folder come from the settings (`-p run.*` here)."
    return monkeypatch_run(["-p", f"run.workers={cfg.run.workers}", "-p", f"run.output_dir={cfg.run.output_dir}"])


# --- every field: (alternative value, probe) ---------------------------------------------------------------------------
ALTERNATIVES = {
    "data.provider": ("csv", load),
    "data.universe": ("MSFT", universe),
    "data.start": ("2017-06-01", load),
    "data.end": ("2017-06-01", load),
    "data.interval": ("1wk", load),
    "data.sample_dir": ("<sample2>", load),
    "data.cache_dir": ("<cache2>", "cache"),
    "data.csv_dir": ("<csv2>", csv_load),
    "features.preset": ("macd_intraday", features),
    "labels.horizon": (3, prepared),
    "labels.threshold": (0.02, prepared),
    "labels.threshold_mode": ("vol", prepared),
    "labels.window": (30, prepared),
    "labels.train_frac": (0.5, prepared),
    "labels.val_frac": (0.1, prepared),
    "labels.purge_bars": (12, prepared),
    "labels.embargo": (15, folds),
    "labels.vol_window": (5, lambda cfg: prepared(with_overrides(cfg, {"labels.threshold_mode": "vol", "labels.threshold": 0.5}))),
    "labels.scaler": ("robust", prepared),
    "model.name": ("gru", built_model),
    "model.hidden": (16, built_model),
    "model.layers": (1, built_model),
    "model.dropout": (0.5, built_model),
    "training.epochs": (2, lambda cfg: trained(cfg, epochs=None)),
    "training.batch_size": (16, trained),
    "training.lr": (0.01, trained),
    "training.weight_decay": (0.5, trained),
    "training.patience": (1, early_stopping),
    "training.seed": (7, trained),
    "training.device": ("not-a-device", refused("training.device", "not-a-device")),
    "training.schedule": ("cyclic", trained),
    "training.clip": ("adaptive", trained),
    "training.loss": ("focal", trained),
    "training.amp": ("maybe", refused("training.amp", "maybe")),
    "backtest.init_cash": (5000.0, backtest),
    "backtest.fees_bps": (20.0, backtest),
    "backtest.slippage_bps": (20.0, backtest),
    "backtest.fractional": (False, backtest),
    "backtest.fill": ("next_close", backtest),
    "backtest.stop_atr": (3.0, backtest),
    "risk.risk_per_trade": (0.005, sized),
    "risk.max_ticker_exposure": (0.2, sized),
    "risk.max_total_exposure": (0.9, sized),
    "risk.daily_loss_cap_r": (2.0, sized),
    "risk.leverage": (2.0, sized),
    "risk.pdt": ("off", pdt),
    "run.output_dir": ("<out2>", ledger),
    "run.workers": (3, "cli"),
}


def test_every_field_has_a_probe():
    "A new settings field must come with a probe here (and a stage that reads it)."
    assert sorted(ALTERNATIVES) == sorted(FIELDS), set(FIELDS) ^ set(ALTERNATIVES)


@pytest.fixture
def cli(monkeypatch):
    "Run `trading-kit run --tickers MSFT ...` with run_batch replaced by a recorder of what it was asked."
    import trading_kit.batch as batch
    from trading_kit import cli as tk_cli
    asked = {}

    class Res:
        ok, summary, index_html, summary_csv = True, pd.DataFrame(columns=["ticker", "status", "note", "error"]), "-", "-"

    def fake_run_batch(tickers, **kw):
        asked.update(kw, tickers=tickers)
        return Res()
    monkeypatch.setattr(batch, "run_batch", fake_run_batch)

    def run(extra):
        asked.clear()
        assert tk_cli.main(["run", "--tickers", "MSFT", "--no-progress", *extra]) == 0
        return asked["workers"], str(asked["output_dir"])
    return run


@pytest.mark.parametrize("key", FIELDS)
def test_every_setting_changes_what_a_stage_does(key, base, folders, cli):
    value, probe = ALTERNATIVES[key]
    if isinstance(value, str) and value.startswith("<"): value = str(folders[value[1:-1]])
    if probe == "cache": probe = lambda cfg: cache_files(cfg, folders)
    if probe == "cli": probe = lambda cfg: cli_run(cfg, cli)
    section, field = key.split(".")
    assert getattr(getattr(base, section), field) != with_overrides(base, {key: value}).__getattribute__(section).__getattribute__(field)
    if probe.__name__ == "probe":                    # device / amp: only CUDA would use them; a bad value is refused
        probe(base); return
    before, after = probe(base), probe(with_overrides(base, {key: value}))
    assert before != after, f"{key}: {value!r} changed nothing the probe sees"


@pytest.mark.parametrize("key", FIELDS)
def test_every_p_key_reaches_the_settings_each_ticker_runs_under(key, folders):
    "issue 16.6: `trading-kit run -p section.key=value` for every key lands in the settings run_batch hands to the template."
    from trading_kit.cli import build_parser
    from trading_kit.run_commands import run_params
    value = ALTERNATIVES[key][0]
    if isinstance(value, str) and value.startswith("<"): value = str(folders[value[1:-1]])
    if key == "training.device": value = "cpu"
    if key == "training.amp": value = "off"
    extra = ["-p", "labels.purge_bars=10"] if key == "labels.horizon" else []
    args = build_parser().parse_args(["run", "--tickers", "MSFT", "-p", f"{key}={value}", *extra])
    params, cfg = run_params(args)
    section, field = key.split(".")
    want = with_overrides(load_settings(), {key: value})
    assert cfg.to_dict()[section][field] == getattr(getattr(want, section), field)
    assert params["overrides"][key] == str(value)
