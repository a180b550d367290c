"""Sentiment scorer throughput on CPU: texts per second for VADER (one core, pure Python), the TF-IDF + logistic
regression classifier, and a FinBERT-shaped model (BERT-base: 12 layers x 768, vocabulary 30,522, random weights,
built locally and loaded through the FinBERT code path), at batch sizes 1 and 32. Figures are wall-clock and
machine-dependent; the texts are made-up headlines (toy_labelled_texts), all distinct so the score cache never hits.
Usage: python bench/sentiment.py [--bert-texts 64] [--threads 1] [--no-bert]"""
import argparse, shutil, tempfile, time
from pathlib import Path

import numpy as np


def rate(fn, texts, batch: int, repeats: int = 3) -> float:
    "Best of `repeats` runs: texts per second scoring `texts` in batches of `batch`."
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(0, len(texts), batch): fn(texts[i:i + batch])
        best = min(best, time.perf_counter() - t0)
    return len(texts) / best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=2000, help="texts for VADER and the classifier")
    ap.add_argument("--bert-texts", type=int, default=64, help="texts for the BERT-base model (slow on CPU)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads (the machine may be shared)")
    ap.add_argument("--no-bert", action="store_true")
    a = ap.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    from trading_kit.sentiment import FinBERTScorer, SentimentClassifier, VaderScorer, build_local_bert, toy_labelled_texts
    df = toy_labelled_texts(a.texts + 500, seed=1)
    texts = [f"{t} (item {i})" for i, t in enumerate(df.text)]   # distinct texts
    train, bench = (texts[:500], df.label[:500]), texts[500:]
    rows = []
    vader, clf = VaderScorer(finance=True), SentimentClassifier().fit(*train)
    for name, scorer in (("vader (finance words)", vader), ("classifier (tf-idf + logreg)", clf)):
        scorer.score(bench[:10])
        for b in (1, 32): rows.append((name, b, len(bench), rate(scorer.score, bench, b)))
    if not a.no_bert:
        folder = Path(tempfile.mkdtemp(prefix="bert-base-"))
        try:
            words = {w.lower() for t in texts for w in t.replace("(", " ").replace(")", " ").split()}
            words |= {f"tok{i:05d}" for i in range(30522 - 5 - len(words))}   # BERT-base vocabulary size
            t0 = time.perf_counter(); build_local_bert(folder, words, size="base")
            fb = FinBERTScorer(folder, device="cpu", batch_size=32)
            print(f"built and loaded a BERT-base model ({sum(p.numel() for p in fb.model.parameters()) / 1e6:.0f}M parameters) "
                  f"in {time.perf_counter() - t0:.1f} s")
            sub = bench[:a.bert_texts]
            def uncached(x): fb.cache.clear(); return fb.score(x)
            uncached(sub[:4])
            for b in (1, 32):
                fb.batch_size = b
                rows.append(("finbert-shaped (BERT-base, cpu)", b, len(sub), rate(uncached, sub, b, repeats=1)))
        finally: shutil.rmtree(folder, ignore_errors=True)
    print(f"torch threads: {torch.get_num_threads()}")
    print(f"{'scorer':34s} {'batch':>5s} {'texts':>6s} {'texts/s':>10s}")
    for name, b, n, r in rows: print(f"{name:34s} {b:5d} {n:6d} {r:10,.0f}")


if __name__ == "__main__":
    main()
