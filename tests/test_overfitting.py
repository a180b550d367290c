"PBO on noise and on a planted edge; CPCV folds never let a train label window reach a test sample."
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from trading_kit.core import ConfigError
from trading_kit.overfitting import cpcv_folds, pbo


def test_pbo_of_pure_noise_is_near_one_half():
    # one noise matrix gives a PBO anywhere in about 0.25..0.8 (the splits share their data); ten average near 0.5
    vals = [pbo(np.random.default_rng(seed).normal(0, 0.01, (2500, 40))).pbo for seed in range(10)]
    assert 0.4 <= np.mean(vals) <= 0.6 and np.median(vals) >= 0.3


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pbo_with_one_real_edge_is_low(seed):
    rng = np.random.default_rng(seed)
    R = rng.normal(0, 0.01, (2500, 40))
    R[:, 13] += 0.0015         # a per-bar Sharpe of 0.15 (about 2.4 a year on daily bars)
    res = pbo(R)
    assert res.pbo < 0.1 and res.median_oos_rank > 0.8


def test_pbo_counts_every_split_and_ranks_in_the_unit_interval():
    res = pbo(np.random.default_rng(3).normal(size=(400, 10)), n_splits=10)
    assert len(res.logits) == math.comb(10, 5) and ((res.oos_rank > 0) & (res.oos_rank < 1)).all()
    np.testing.assert_allclose(res.logits, np.log(res.oos_rank / (1 - res.oos_rank)))


@settings(max_examples=150, deadline=None)
@given(n=st.integers(20, 400), n_groups=st.integers(2, 10), k=st.integers(1, 9), purge=st.integers(0, 15), embargo=st.integers(0, 10))
def test_cpcv_train_label_windows_never_touch_test(n, n_groups, k, purge, embargo):
    if k >= n_groups or n < n_groups:
        with pytest.raises(ConfigError): cpcv_folds(n, n_groups, k, purge, embargo)
        return
    folds = cpcv_folds(n, n_groups, k, purge, embargo)
    assert len(folds) == math.comb(n_groups, k)
    for f in folds:
        test = np.zeros(n, bool); test[f.test] = True
        assert not test[f.train].any()
        # a train label window [i, i + purge] holds no test sample, and no test window reaches a train sample
        win = np.add.outer(f.train, np.arange(purge + 1))
        assert not test[np.clip(win, 0, n - 1)].any()
        back = np.add.outer(f.train, -np.arange(purge + embargo + 1))
        assert not test[np.clip(back, 0, n - 1)][back >= 0].any()
    assert (np.bincount(np.concatenate([f.test for f in folds]), minlength=n) == math.comb(n_groups - 1, k - 1)).all()
