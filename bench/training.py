"""Training throughput and peak memory of every model in the zoo.

Usage: python bench/training.py [--models cnn_lstm,lstm] [--batches 64,256] [--samples 2048] [--threads 1,2]

For each model and batch size a fresh child process (so peak RSS belongs to that model alone) builds the
model with its default hyper-parameters, trains it with `trading_kit.training.fit` for 3 epochs on random
(60, 32) windows, and reports the faster of epochs 2 and 3 in samples/s (the first one warms up allocators
and kernels; the faster one is the least disturbed by other processes) and the child's peak RSS. On CUDA it also times the same run with and without AMP.
Figures are noisy on a shared machine; the lead re-measures on a quiet one.
"""
import argparse, json, os, resource, subprocess, sys, time

SEQ_LEN, N_FEATURES = 60, 32


def one(name: str, batch: int, samples: int, threads: int, device: str, amp) -> dict:
    import torch
    from torch.utils.data import TensorDataset
    from trading_kit.models import get_model
    from trading_kit.training import fit
    torch.set_num_threads(threads)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    g = torch.Generator().manual_seed(0)
    ds = TensorDataset(torch.randn(samples, SEQ_LEN, N_FEATURES, generator=g), torch.randint(0, 3, (samples,), generator=g))
    model = get_model(name, N_FEATURES, seed=0)
    stamps = []
    def stamp(*_):
        if device.startswith("cuda"): torch.cuda.synchronize()
        stamps.append(time.perf_counter())
    stamp()
    res = fit(model, ds, epochs=3, batch_size=batch, patience=0, progress=False, device=device, amp=amp,
              on_epoch_end=stamp)
    return dict(model=name, batch=batch, device=device, amp=res.amp_dtype,
                samples_per_s=samples / min(stamps[2] - stamps[1], stamps[3] - stamps[2]),
                params=sum(p.numel() for p in model.parameters()),
                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, base_rss_mb=rss0 / 1024)


def child(args_list) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(args_list)], capture_output=True, text=True)
    if out.returncode != 0: return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=None)
    ap.add_argument("--batches", default="64,256")
    ap.add_argument("--samples", type=int, default=2048)
    ap.add_argument("--threads", default="1,2", help="torch intra-op threads; a list runs each (on a busy machine 1 can beat 2)")
    ap.add_argument("--child", default=None)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(one(*json.loads(a.child))))
        return
    import torch
    from trading_kit.models import MODELS
    names = a.models.split(",") if a.models else list(MODELS)
    batches = [int(b) for b in a.batches.split(",")]
    threads = [int(t) for t in str(a.threads).split(",")]
    cols = [(b, t) for b in batches for t in threads]
    print(f"training throughput, windows ({SEQ_LEN}, {N_FEATURES}), default hyper-parameters, "
          f"{a.samples} samples/epoch, torch {torch.__version__}, {threads} threads, cpu count {os.cpu_count()}, "
          f"load avg {os.getloadavg()[0]:.1f}")
    print(f"{'model':<20}{'params':>9}" + "".join(f"{f'b{b} t{t} smp/s':>16}{f'b{b} t{t} RSS MB':>16}" for b, t in cols))
    results = {}
    for name in names:
        row = []
        for b, t in cols:
            r = child([name, b, a.samples, t, "cpu", False])
            results[(name, b, t)] = r
            row.append(r)
        params = next((r["params"] for r in row if "params" in r), 0)
        cells = "".join(f"{r['samples_per_s']:>16,.0f}{r['peak_rss_mb']:>16,.0f}" if "error" not in r
                        else f"{'error':>16}{'':>16}" for r in row)
        print(f"{name:<20}{params:>9,}{cells}", flush=True)
        for r in row:
            if "error" in r: print(f"  {name}: {r['error']}")
    print(f"load avg at the end {os.getloadavg()[0]:.1f} (above ~1 on this 2-core machine, other processes took CPU time)")
    base = [r["base_rss_mb"] for r in results.values() if "base_rss_mb" in r]
    if base: print(f"(peak RSS includes ~{min(base):,.0f} MB for python + torch + trading_kit before the model is built)")

    for b, t in cols:
        r = results.get(("cnn_lstm", b, t))
        if r and "samples_per_s" in r and b == 256:
            ok = r["samples_per_s"] >= 2500
            print(f"target cnn_lstm >= 2,500 samples/s (batch {b}, {t} threads): {r['samples_per_s']:,.0f} -> "
                  f"{'met' if ok else 'MISSED by %.0f%%' % (100 * (1 - r['samples_per_s'] / 2500))}")

    if torch.cuda.is_available():
        print(f"\nCUDA: {torch.cuda.get_device_name(0)}; AMP speed-up (batch {batches[-1]})")
        for name in names:
            f32 = child([name, batches[-1], a.samples * 4, threads[-1], "cuda", False])
            amp = child([name, batches[-1], a.samples * 4, threads[-1], "cuda", "auto"])
            if "error" in f32 or "error" in amp: print(f"  {name}: {f32.get('error') or amp.get('error')}"); continue
            print(f"  {name:<20} fp32 {f32['samples_per_s']:>10,.0f}  {amp['amp']} {amp['samples_per_s']:>10,.0f} "
                  f" x{amp['samples_per_s'] / f32['samples_per_s']:.2f}")
    else:
        print("\nCUDA: not available here; AMP speed-up not measured")

    windows = 20 * 5 * 252
    total = 50 * windows
    print(f"projection '50 epochs over 20 tickers x 5 years daily ({windows:,} windows, {total:,} samples) on one GPU "
          f"in < 2 min': NOT MEASURED (no GPU here); bench/gpu_training.py is the prepared check")
    r = max((results.get(("cnn_lstm", batches[-1], t)) or {} for t in threads), key=lambda r: r.get("samples_per_s", 0))
    if r and "samples_per_s" in r:
        print(f"  for scale, at this CPU's cnn_lstm rate (batch {batches[-1]}) it would take "
              f"~{total / r['samples_per_s'] / 60:,.0f} min (extrapolated, not measured)")


if __name__ == "__main__":
    main()
