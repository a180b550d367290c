"The prepared bench scripts run (figures are printed, never asserted: they depend on the machine)."
import os, re, subprocess, sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def test_gpu_training_script_runs_its_smoke_path_on_any_device():
    "The GPU check is prepared for a lent device; its --smoke path proves it here (2 tickers, 2 epochs)."
    out = subprocess.run([sys.executable, str(BENCH / "gpu_training.py"), "--smoke", "--years", "2"], capture_output=True,
                         text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    text = out.stdout
    n = int(re.search(r"([\d,]+) train windows/epoch", text).group(1).replace(",", ""))
    assert 2 * 2 * 252 * 0.5 < n < 2 * 2 * 252            # two tickers' train parts of 2 years each
    assert re.search(r"epochs 2; seconds/epoch: first [\d.]+", text) and "final val accuracy" in text and "majority-class baseline" in text
    import torch
    if not torch.cuda.is_available(): assert "amp: off" in text and "not sampled" in text
