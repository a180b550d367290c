"""Tickers per minute for the demo settings: 1 and 2 local workers, and a 2-worker Dask LocalCluster on 127.0.0.1.

    python bench/scale.py                       # the demo (every sample ticker, the packaged template): minutes
    python bench/scale.py --template tests/fixtures/mini_template.ipynb --repeat 2   # the runner's own overhead
"""
import argparse, tempfile, time
from pathlib import Path

from trading_kit.batch import run_batch
from trading_kit.cli import DEMO_OVERRIDES, parse_overrides, sample_specs
from trading_kit.core import load_settings

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--template", help="default: the packaged ticker_run.ipynb")
    ap.add_argument("--tickers", nargs="+", help="default: every sample ticker (as trading-kit demo)")
    ap.add_argument("--repeat", type=int, default=1, help="run the ticker list this many times per setting (more jobs)")
    args = ap.parse_args()

    overrides = parse_overrides(DEMO_OVERRIDES)
    cfg = load_settings(overrides=overrides)
    base = args.tickers or sample_specs(cfg)
    settings = [("local, 1 worker", dict(workers=1)), ("local, 2 workers", dict(workers=2)),
                ("dask LocalCluster, 2 workers", dict(workers=2, executor="dask"))]
    print(f"{len(base) * args.repeat} ticker runs per setting: {' '.join(base)} x{args.repeat}; template "
          f"{args.template or 'ticker_run.ipynb (demo settings)'}")
    with tempfile.TemporaryDirectory() as out:
        for name, kw in settings:
            total, ok = 0.0, 0
            for i in range(args.repeat):
                t0 = time.perf_counter()
                res = run_batch(base, args.template, {"overrides": overrides, "torch_threads": 1}, out,
                                run_id=f"{name.split(',')[0].split()[0]}-{kw['workers']}-{i}", progress=False,
                                settings=cfg.to_dict(), **kw)
                total += time.perf_counter() - t0
                ok += sum(s["status"] == "ok" for s in res.statuses)
            n = len(base) * args.repeat
            print(f"{name:30s} {n / total * 60:6.1f} tickers/min  ({total:6.1f} s for {n}, {ok} ok)")

if __name__ == "__main__":  # worker processes are spawned: they re-import this file
    main()
