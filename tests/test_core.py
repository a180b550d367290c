"Settings, seeding and device selection."
import configparser
from pathlib import Path

import numpy as np
import pytest
import torch

from trading_kit.core import (ConfigError, DataError, ProviderError, Settings, TradingKitError, get_device,
                              load_settings, project_root, seed_everything)

ROOT = Path(__file__).resolve().parents[1]


def test_settings_ini_matches_dataclass_defaults():
    # pip users without the repo get the dataclass defaults; they must be the repo's settings.ini
    assert load_settings(ROOT / "settings.ini", env=False).to_dict() == Settings().to_dict()


def test_every_ini_key_is_a_setting():
    ini = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
    ini.read(ROOT / "settings.ini")
    defaults = Settings().to_dict()
    for section in ini.sections():
        assert set(ini[section]) == set(defaults[section]), section


def test_env_and_override_precedence(monkeypatch):
    monkeypatch.setenv("TRADING_KIT_TRAINING_EPOCHS", "7")
    monkeypatch.setenv("TRADING_KIT_DATA_UNIVERSE", "AAPL, BTC-USD")
    monkeypatch.setenv("TRADING_KIT_SOME_API_KEY", "not-a-setting")  # ignored: not a section
    s = load_settings()
    assert s.training.epochs == 7 and s.data.universe == ["AAPL", "BTC-USD"]
    assert load_settings(overrides={"training.epochs": 2}).training.epochs == 2


@pytest.mark.parametrize("override,needle", [
    ({"training.epochs": "many"}, "training.epochs"),
    ({"labels.purge_bars": 2}, "purge_bars"),
    ({"risk.risk_per_trade": 0.2}, "risk_per_trade"),
    ({"labels.train_frac": 0.9, "labels.val_frac": 0.2}, "test part"),
    ({"nosuch.key": 1}, "nosuch"),
    ({"backtest.fractional": "maybe"}, "backtest.fractional"),
    ({"risk.pdt": "sometimes"}, "risk.pdt"),
])
def test_bad_settings_name_the_setting(override, needle):
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.")):
        load_settings(overrides=override, env=False)


def test_bad_env_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("TRADING_KIT_TRAINING_BATCH_SIZE", "big")
    with pytest.raises(ConfigError, match="TRADING_KIT_TRAINING_BATCH_SIZE"):
        load_settings()


def test_missing_settings_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("/nonexistent/settings.ini")


def test_hierarchy():
    for cls in (ConfigError, DataError, ProviderError):
        assert issubclass(cls, TradingKitError)


def test_seed_everything_reproducible():
    seed_everything(123)
    a = np.random.rand(4), torch.randn(4)
    seed_everything(123)
    b = np.random.rand(4), torch.randn(4)
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_get_device():
    assert get_device("cpu") == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA"):
            get_device("cuda")


def test_project_root_from_subfolder(monkeypatch):
    monkeypatch.chdir(ROOT / "nbs")
    assert project_root() == ROOT
