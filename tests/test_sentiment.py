"Sentiment scorers and the benchmark command, offline (issue 11 acceptance)."
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from trading_kit.core import ConfigError, DataError
from trading_kit.sentiment import (FinBERTScorer, SentimentClassifier, VaderScorer, add_sentiment_bench_arguments,
                                   benchmark_scorers, build_local_bert, sentiment_bench_command,
                                   sentiment_bench_from_args, toy_labelled_texts)


@pytest.fixture(scope="module")
def labelled_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "labelled.csv"
    toy_labelled_texts(150, seed=3).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    words = " ".join(toy_labelled_texts(150, seed=3).text).split()
    return build_local_bert(tmp_path_factory.mktemp("models") / "tiny-finbert", words)


def test_bench_offline_scores_vader_and_classifier_beside_majority(labelled_csv, tiny_bert):
    import argparse
    args = add_sentiment_bench_arguments(argparse.ArgumentParser()).parse_args(
        ["--data", str(labelled_csv), "--n-boot", "100", "--finbert-model", str(tiny_bert)])
    table = sentiment_bench_from_args(args)
    assert list(table.index) == ["vader", "vader_finance", "textblob", "finbert", "classifier", "majority"]
    for name in ("vader", "classifier", "majority", "finbert"):
        assert 0 <= table.loc[name, "accuracy"] <= 1
        assert table.loc[name, "accuracy_lo"] <= table.loc[name, "accuracy"] <= table.loc[name, "accuracy_hi"]
    assert table.loc["finbert", "note"] == ""          # the tiny local BERT loaded through the FinBERT path
    assert table.loc["classifier", "accuracy"] > table.loc["majority", "accuracy"]
    assert table.attrs["n_train"] + table.attrs["n_test"] == 150
    assert (table.loc[["vader", "classifier", "finbert"], "texts_per_sec"] > 0).all()


def test_bench_skips_a_model_that_cannot_load_with_a_note(labelled_csv, tmp_path):
    table = sentiment_bench_command(labelled_csv, scorers="finbert,vader", n_boot=20, finbert_model=tmp_path / "no-such-model")
    assert table.loc["finbert", "note"].startswith("skipped: finbert: cannot load model")
    assert np.isnan(table.loc["finbert", "accuracy"])
    assert table.loc["vader", "note"] == "" and "majority" in table.index


def test_prefitted_classifier_is_flagged(labelled_csv):
    df = toy_labelled_texts(60, seed=9)
    clf = SentimentClassifier().fit(df.text, df.label)
    table = sentiment_bench_command(labelled_csv, scorers=[clf], n_boot=20)
    assert "fitted before the benchmark" in table.loc["classifier", "note"]


def test_bench_bad_input(tmp_path):
    p = tmp_path / "wrong.csv"
    p.write_text("sentence,sentiment\nUp we go,positive\n")
    with pytest.raises(DataError, match="needs columns text,label"):
        sentiment_bench_command(p)
    p.write_text("text,label\nUp we go,positive\nDown we go,bearish\n")
    with pytest.raises(DataError, match="row 1 has unknown label 'bearish'"):
        sentiment_bench_command(p)
    with pytest.raises(DataError, match="empty input"):
        benchmark_scorers([], [])
    with pytest.raises(DataError, match="row 2 is float"):
        benchmark_scorers(["a", "b", float("nan")], ["positive", "negative", "neutral"])
    with pytest.raises(DataError, match="3 texts but 2 labels"):
        benchmark_scorers(["a", "b", "c"], ["positive", "negative"])


def test_finbert_path_on_tiny_local_bert(tiny_bert):
    fb = FinBERTScorer(tiny_bert, device="auto", batch_size=4)
    texts = ["Apple beats estimates", "Tesla misses estimates"] * 5
    s = fb.score(texts)
    assert s.shape == (10,) and np.all(np.abs(s) <= 1)
    assert len(fb.cache) == 2
    assert list(fb.stream(iter(texts), batch_size=3)) == list(s)
    with pytest.raises(DataError, match="empty input"):
        fb.score([])


def test_vader_finance_words():
    assert VaderScorer().score(["Intel misses estimates"])[0] > VaderScorer(finance=True).score(["Intel misses estimates"])[0]
    assert VaderScorer(finance=True).predict(["Nvidia shares surge after upgrade"])[0] == 2
    with pytest.raises(ConfigError, match="finance must be"):
        VaderScorer(finance="yes")


def test_base_install_imports_without_nlp_packages():
    "trading_kit.sentiment and .news import without vaderSentiment/transformers/textblob; using one says which extra."
    code = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('vaderSentiment', 'transformers', 'textblob'): raise ImportError(name)
        sys.meta_path.insert(0, Block())
        import trading_kit.sentiment, trading_kit.news, trading_kit.news_features
        from trading_kit.core import ConfigError
        try: trading_kit.sentiment.VaderScorer()
        except ConfigError as e: print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install 'trading-kit[nlp]'" in out.stdout
