"Run folders shaped like a batch run's (per ticker: checkpoint with scaler and config, metrics.json), for the live-path tests."
from pathlib import Path

from trading_kit.checkpoints import run_config, save_checkpoint
from trading_kit.core import load_settings
from trading_kit.data import load_ohlcv
from trading_kit.features import engineer_features
from trading_kit.models import get_model

try:
    from trading_kit.scaling import Scaler
except ImportError:  # before the labels split (issue 9)
    from trading_kit.labels import Scaler


def make_run(root, tickers=("MSFT", "GOOG"), model_name="linear", window=20, **hp):
    "A run folder with one untrained model per ticker (the plumbing is under test, not the edge)."
    import torch
    root = Path(root)
    cfg = load_settings(overrides={"labels.window": window, "data.interval": "1d", "data.provider": "sample"})
    for t in tickers:
        feats = engineer_features(load_ohlcv(t), "seed32").dropna()
        torch.manual_seed(0)
        net = get_model(model_name, n_features=feats.shape[1], **hp)
        save_checkpoint(root / t / "checkpoint", net, model_name, scaler=Scaler().fit(feats.to_numpy()),
                        config=run_config(cfg, t, list(feats.columns)))
    return root
