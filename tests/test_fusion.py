"Late fusion on a planted news signal: the fusion model finds it, the price-only model does not (issue 11)."
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from trading_kit.core import ConfigError, load_settings
from trading_kit.evaluation import LeakWarning
from trading_kit.fusion import LateFusion, compare_fusion, synthetic_news_case
from trading_kit.models import get_model


def test_fusion_finds_the_news_signal_price_only_does_not():
    torch.set_num_threads(1)
    bars, news = synthetic_news_case(500, seed=2)
    price = pd.DataFrame({"ret_1": np.log(bars.close).diff(), "ret_3": np.log(bars.close).diff(3)}, index=bars.index)
    cfg = load_settings(overrides={"labels.horizon": 1, "labels.purge_bars": 1, "labels.window": 5, "training.epochs": 20,
                                   "training.lr": 1e-2, "model.name": "linear"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LeakWarning)   # a planted signal this strong looks like a leak, by design
        cmp = compare_fusion(bars, news, cfg, tz="America/New_York", features=price, ticker="ACME", n_boot=100, progress=False)
    acc = cmp.table["accuracy"]
    assert acc["fusion"] > 0.9
    assert acc["price_only"] < acc["majority"] + 0.1
    assert cmp.delta_ci[0] > 0.3
    assert isinstance(cmp.fits["fusion"].model, LateFusion) and cmp.fits["fusion"].model.price.name == "linear"
    assert {"majority", "persistence", "logistic", "hgb", "logistic+news", "hgb+news", "price_only"} <= set(acc.index)


def test_fusion_model_checks_its_arguments():
    with pytest.raises(ConfigError, match="n_news"):
        get_model("fusion", n_features=3, n_news=0)
    with pytest.raises(ConfigError, match="price_model"):
        get_model("fusion", n_features=8, price_model="nope")
