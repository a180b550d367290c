"""Latency of the signals API over loopback: one ticker, a 20-ticker batch, and a new bar -> signal.

Usage: python bench/serve.py [--requests 200] [--tickers 20] [--threads 1]

Builds a run folder of `--tickers` tickers (copies of the bundled daily samples under other names, read by
the csv provider) with CNN-LSTM checkpoints on 60 x 32 windows (seed32 features), starts `trading-kit`'s app
in a uvicorn child process on 127.0.0.1, and times with a keep-alive `requests` session:

- predict_window: POST /predict with one ready 60 x 32 feature window (model only);
- signals_pooled: GET /signals, 20 tickers sharing one pooled checkpoint (one batched forward);
- signals_separate: GET /signals, 20 tickers with 20 different checkpoints (20 forwards);
- new_bar_to_signal: POST /predict with a ticker's last 300 bars (features recomputed, scaled, model, sizing).

The models are untrained (latency does not depend on the weights). Figures are noisy on a shared machine.
"""
import argparse, json, os, shutil, socket, subprocess, sys, tempfile, time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WINDOW = 60


def make_runs(root: Path, n: int) -> tuple[Path, Path, list]:
    "CSV data for n tickers, and two run folders over them: one pooled checkpoint copied n times, n distinct ones."
    import torch
    from trading_kit.checkpoints import run_config, save_checkpoint
    from trading_kit.core import load_settings
    from trading_kit.data import load_ohlcv
    from trading_kit.features import engineer_features
    from trading_kit.models import get_model
    try: from trading_kit.scaling import Scaler
    except ImportError: from trading_kit.labels import Scaler
    csv = root / "csv"; csv.mkdir(parents=True)
    sources = ["MSFT", "GOOG", "SPX"]
    tickers = [f"T{i:02d}" for i in range(n)]
    for i, t in enumerate(tickers): shutil.copy(ROOT / "data" / "sample" / f"{sources[i % 3]}_1d.csv", csv / f"{t}_1d.csv")
    cfg = load_settings(overrides={"labels.window": WINDOW, "data.interval": "1d", "data.provider": "csv", "data.csv_dir": str(csv)})
    feats = engineer_features(load_ohlcv("MSFT", interval="1d", provider="sample"), "seed32").dropna()
    scaler = Scaler().fit(feats.to_numpy())
    pooled, separate = root / "pooled", root / "separate"
    for i, t in enumerate(tickers):
        for run, seed in ((pooled, 0), (separate, i)):
            torch.manual_seed(seed)
            save_checkpoint(run / t / "checkpoint", get_model("cnn_lstm", n_features=feats.shape[1]), "cnn_lstm",
                            scaler=scaler, config=run_config(cfg, t, list(feats.columns)))
    return pooled, separate, tickers


def start_server(run: Path, threads: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
    code = (f"import torch; torch.set_num_threads({threads}); from trading_kit.serve import serve; "
            f"serve({str(run)!r}, host='127.0.0.1', port={port})")
    env = dict(os.environ, TRADING_KIT_API_KEY="bench-key", PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    import requests
    for _ in range(600):
        try:
            if requests.get(f"{url}/health", timeout=1).ok: return proc, url
        except requests.RequestException: time.sleep(0.1)
    proc.kill(); raise RuntimeError("server did not start")


def timed(session, n: int, call) -> dict:
    for _ in range(10): call(session)                      # warm-up: first forwards, connection, caches
    ms = []
    for _ in range(n):
        t0 = time.perf_counter(); r = call(session); ms.append((time.perf_counter() - t0) * 1e3)
        assert r.status_code == 200, r.text[:300]
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p99_ms": round(float(np.percentile(ms, 99)), 2), "n": n}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--tickers", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    import requests
    from trading_kit.data import load_ohlcv
    root = Path(tempfile.mkdtemp(prefix="tk-bench-serve-"))
    pooled, separate, tickers = make_runs(root, a.tickers)
    h = {"X-API-Key": "bench-key"}
    window = np.random.default_rng(0).normal(size=(WINDOW, 32)).round(6).tolist()
    b = load_ohlcv("MSFT").iloc[-300:]
    bars = [{"ts": ts.isoformat(), **{k: float(v) for k, v in row.items()}} for ts, row in b.iterrows()]
    out = {"tickers": a.tickers, "window": [WINDOW, 32], "model": "cnn_lstm", "torch_threads": a.threads}
    try:
        for name, run in (("pooled", pooled), ("separate", separate)):
            proc, url = start_server(run, a.threads)
            try:
                with requests.Session() as s:
                    if name == "pooled":
                        out["predict_window"] = timed(s, a.requests, lambda s: s.post(f"{url}/predict", headers=h,
                                                                                       json={"ticker": tickers[0], "features": window}))
                        out["new_bar_to_signal"] = timed(s, a.requests // 2, lambda s: s.post(f"{url}/predict", headers=h,
                                                                                              json={"ticker": tickers[0], "bars": bars}))
                    s.get(f"{url}/signals", headers=h, timeout=120)    # first call fetches bars and builds the snapshots
                    out[f"signals_{name}"] = timed(s, a.requests, lambda s: s.get(f"{url}/signals", headers=h))
            finally:
                proc.terminate(); proc.wait(20)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
