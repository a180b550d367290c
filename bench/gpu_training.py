"""GPU check (issue 17 item 6): 50 epochs of `cnn_lstm` over 20 tickers x 5 years of daily windows, with AMP.

Prints the windows per epoch, seconds per epoch (CUDA-synchronised), the whole time, GPU utilisation (sampled by
`nvidia-smi` every 200 ms while training) and peak GPU memory. Built only from the kit's own stages: synthetic
OHLCV bars -> `engineer_features` (seed32) -> `prepare_many` (per-ticker train-only scalers, purged chronological
splits) -> `pool_prepared` -> `fit(model, pooled_train, val=pooled_val, device='cuda', amp='auto')`.

    python bench/gpu_training.py                # on a GPU: the full check (goal: under 2 minutes in all)
    python bench/gpu_training.py --smoke        # anywhere: 2 tickers, 2 epochs, on whatever device there is

On the device machine, in one call: `make install && .venv/bin/python bench/gpu_training.py | tee $OUT/gpu.txt`
(the install is most of the time; the training itself should take well under a minute on an H200).
"""
import argparse, shutil, subprocess, threading, time

import numpy as np


def gpu_sampler(stop: threading.Event, samples: list, every_ms: int = 200):
    "Poll nvidia-smi's utilisation.gpu (%) until `stop` is set; nothing when nvidia-smi is missing."
    if shutil.which("nvidia-smi") is None: return
    cmd = ["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"]
    while not stop.is_set():
        try: samples.append(float(subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout.split()[0]))
        except Exception: return
        stop.wait(every_ms / 1000)


def pooled_data(n_tickers: int, years: int):
    "Train and val Datasets pooled over `n_tickers` synthetic daily tickers of `years` x 252 bars each."
    from trading_kit.datasets import pool_prepared, prepare_many
    from trading_kit.features import engineer_features, synthetic_ohlcv
    frames = {}
    for i in range(n_tickers):
        bars = synthetic_ohlcv(years * 252 + 60, freq="B", seed=i, start="2019-01-02", vol=0.015)   # +60: feature warm-up
        frames[f"SYN{i:02d}"] = (engineer_features(bars, "seed32"), bars["close"])
    datas = prepare_many(frames)
    return pool_prepared(list(datas.values()), "train"), pool_prepared(list(datas.values()), "val"), len(frames[next(iter(frames))][0].columns)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickers", type=int, default=20)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--amp", default="auto", help="auto (bf16 where supported, else fp16) | off | bf16 | fp16")
    ap.add_argument("--smoke", action="store_true", help="2 tickers, 2 epochs: proves the script on any machine")
    a = ap.parse_args()
    if a.smoke: a.tickers, a.epochs = 2, 2
    t_all = time.perf_counter()
    import torch
    from trading_kit.models import get_model
    from trading_kit.training import fit
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name(0) if device == "cuda" else f"CPU ({torch.get_num_threads()} threads)"
    t0 = time.perf_counter()
    train, val, n_features = pooled_data(a.tickers, a.years)
    t_data = time.perf_counter() - t0
    print(f"device: {name}; torch {torch.__version__}; {a.tickers} tickers x {a.years} years daily: "
          f"{len(train):,} train windows/epoch, {len(val):,} val windows, {n_features} features; data {t_data:.1f} s")
    stamps = []
    def stamp(*_):
        if device == "cuda": torch.cuda.synchronize()
        stamps.append(time.perf_counter())
    util, stop = [], threading.Event()
    sampler = threading.Thread(target=gpu_sampler, args=(stop, util), daemon=True); sampler.start()
    if device == "cuda": torch.cuda.reset_peak_memory_stats()
    model = get_model("cnn_lstm", n_features, seed=0)
    stamp()
    res = fit(model, train, val=val, epochs=a.epochs, batch_size=a.batch, patience=0, progress=False, device=device,
              amp=a.amp, on_epoch_end=stamp)
    stop.set(); sampler.join(timeout=10)
    per_epoch = [b - c for c, b in zip(stamps, stamps[1:])]
    print(f"amp: {res.amp_dtype or 'off'}; epochs {len(per_epoch)}; seconds/epoch: first {per_epoch[0]:.2f}, "
          f"median {sorted(per_epoch)[len(per_epoch) // 2]:.2f}, last {per_epoch[-1]:.2f}; "
          f"{len(train) / min(per_epoch):,.0f} train samples/s at best")
    print(f"training {stamps[-1] - stamps[0]:.1f} s; whole script {time.perf_counter() - t_all:.1f} s "
          f"(goal for the full check on a GPU: under 120 s)")
    if util: print(f"GPU utilisation while training: mean {sum(util) / len(util):.0f}%, max {max(util):.0f}% ({len(util)} samples)")
    else: print("GPU utilisation: not sampled (no nvidia-smi)")
    if device == "cuda": print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**20:,.0f} MiB")
    y_val = np.concatenate([d.y[d.positions] for d in val.datasets])
    majority = np.bincount(y_val, minlength=3).max() / len(y_val)
    print(f"final val accuracy {float(res.history['val_acc'].iloc[-1]):.3f} vs the majority-class baseline {majority:.3f} "
          f"(synthetic random walks: no edge is the right answer)")


if __name__ == "__main__":
    main()
