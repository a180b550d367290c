"""Time the claims audit: `python bench/audit.py` runs `--quick` on a fresh cache and prints its time per claim and in all.

The full audit is not run by this script's default (2 shared cores); its time is ESTIMATED from the quick run: the seconds per
honest network run of --quick, times the full audit's runs (every model on 3 daily series x 2 horizons, 3 seeds for the paired
claims: about 67 runs) and its larger training (10 vs 4 epochs, hidden 64 vs 32: ~3.75x), plus the claims without networks.
`python bench/audit.py --full` runs it.
"""
import sys, tempfile, time, warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.simplefilter("ignore")
from trading_kit.audit import AuditSettings
from trading_kit.audit_report import count_configs, run_audit

NETWORK_CLAIMS = {"acc-daily", "acc-6mo", "acc-tiers", "arch-table", "arch-rnn", "gru-vs-lstm", "sched", "perf-8wk", "portfolio"}
FULL_RUNS, TRAIN_FACTOR = 67, 2.5 * 1.5

if __name__ == "__main__":
    full = "--full" in sys.argv
    times = {}
    with tempfile.TemporaryDirectory() as d:
        t0, c0 = time.perf_counter(), time.process_time()
        recs = run_audit(None, AuditSettings.preset(not full), cache_dir=d,
                         progress=lambda c, cached, s: (times.__setitem__(c, s), print(f"{c:<12} {s:6.1f} s", flush=True)))
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    name = "full" if full else "--quick"
    print(f"{name}: {wall:.0f} s wall ({wall / 60:.1f} min), {cpu:.0f} s CPU, {count_configs(recs)} configurations")
    if not full:
        runs = len({c for r in recs if r.id in NETWORK_CLAIMS for c in r.configs if "model.name=" in c})
        net = sum(s for c, s in times.items() if c in NETWORK_CLAIMS)
        est = (wall - net) + net / max(runs, 1) * FULL_RUNS * TRAIN_FACTOR
        print(f"full (ESTIMATE, not run): ~{est / 60:.0f} min wall at this machine's load "
              f"({net / max(runs, 1):.1f} s per quick network run x {FULL_RUNS} runs x {TRAIN_FACTOR:.2f})")
