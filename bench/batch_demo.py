"Time the CPU-sized demo (`trading-kit demo`: every sample ticker, 2 workers) and print seconds per ticker and stage."
import json, subprocess, sys, tempfile, time
from pathlib import Path

root = Path(__file__).resolve().parents[1]
exe = Path(sys.executable).parent / "trading-kit"
with tempfile.TemporaryDirectory() as out:
    t0 = time.perf_counter()
    r = subprocess.run([str(exe), "demo", "--output-dir", out, "--run-id", "bench", "--no-progress"], cwd=root,
                       capture_output=True, text=True)
    wall = time.perf_counter() - t0
    print(r.stdout)
    if r.returncode: print(r.stderr[-3000:])
    run = json.loads((Path(out) / "bench" / "run.json").read_text())
    print(f"demo wall time: {wall:.1f} s (budget 600 s on 2 cores); exit code {r.returncode}")
    for t, v in run["tickers"].items():
        stages = ", ".join(f"{k} {s:.1f}" for k, s in (v.get("timings") or {}).items())
        print(f"  {t:10s} {v['status']:6s} {v['seconds'] or 0:6.1f} s  [{stages}]")
