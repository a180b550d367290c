"Run folders shaped like a batch run's (per ticker: checkpoint with scaler and config, metrics.json), for the live-path tests."
import shutil
from pathlib import Path

from trading_kit import checkpoints
from trading_kit.core import load_settings
from trading_kit.data import load_ohlcv
from trading_kit.features import engineer_features
from trading_kit.models import get_model

try:
    from trading_kit.scaling import Scaler
except ImportError:  # before the labels split (issue 9)
    from trading_kit.labels import Scaler


def save_ticker(folder, ticker, net, model_name, scaler, features, window, interval="1d", provider="sample", **hp):
    "One ticker folder: checkpoint/ (weights, scaler, config) and metrics.json."
    from trading_kit.utils import write_json
    ck = Path(folder) / "checkpoint"
    if hasattr(checkpoints, "run_config"):
        cfg = load_settings(overrides={"labels.window": window, "data.interval": interval, "data.provider": provider})
        checkpoints.save_checkpoint(ck, net, model_name, scaler=scaler, config=checkpoints.run_config(cfg, ticker, list(features)))
    else:
        checkpoints.save_checkpoint(ck, net, model_name, extra={"ticker": ticker, "features": list(features), "preset": "seed32",
                                                                "window": window})
        scaler.save(ck / "scaler.json")
    write_json(Path(folder) / "metrics.json", {"ticker": ticker, "data": {"interval": interval, "provider": provider}, "params": {}})


def make_run(root, tickers=("MSFT", "GOOG"), model_name="linear", window=20, **hp):
    "A run folder with one untrained model per ticker (the plumbing is under test, not the edge)."
    import torch
    root = Path(root)
    for t in tickers:
        feats = engineer_features(load_ohlcv(t), "seed32").dropna()
        torch.manual_seed(0)
        net = get_model(model_name, n_features=feats.shape[1], **hp)
        save_ticker(root / t, t, net, model_name, Scaler().fit(feats.to_numpy()), feats.columns, window)
    return root
