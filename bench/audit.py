"""Time the claims audit: `python bench/audit.py` runs `--quick` (fresh cache) and prints its time per claim and in all.

The full audit is not run here (2 shared cores); its time is estimated from the quick one's per-claim times and printed as an
estimate: full runs 3 daily series x 2 horizons, all 8 models, 3 seeds, 15 epochs, hidden 64 x 2 layers.
"""
import sys, tempfile, time, warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
warnings.simplefilter("ignore")
from trading_kit.audit import AuditSettings
from trading_kit.audit_report import count_configs, run_audit

# how much longer each claim's full settings take than --quick (runs x epochs x network size), measured on CPU as
# ~3x per run for 15 vs 4 epochs and hidden 64x2 vs 32x1 on these series
RUN_FACTOR = 3 * 3.5
FULL_RUNS = {"acc-daily": 3 * 2 * 8 / 2, "arch-table": 6, "arch-rnn": 6, "gru-vs-lstm": 9, "sched": 3, "perf-8wk": 1, "acc-6mo": 1,
             "portfolio": 1, "acc-tiers": 1}

if __name__ == "__main__":
    times = {}
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        recs = run_audit(None, AuditSettings.preset(True), cache_dir=d, progress=lambda c, cached, s: (times.__setitem__(c, s), print(f"{c:<12} {s:6.1f} s", flush=True)))
        quick = time.perf_counter() - t0
    full = sum(s * (RUN_FACTOR * FULL_RUNS[c] if c in FULL_RUNS else 1.0) for c, s in times.items())
    print(f"--quick: {quick:.0f} s ({quick / 60:.1f} min) on this machine, {count_configs(recs)} configurations")
    print(f"full (ESTIMATE, not run): ~{full / 60:.0f} min from the quick per-claim times x the full settings' extra runs and epochs")
