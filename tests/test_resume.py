"Interrupting a run (Ctrl-C, SIGTERM) and `trading-kit run --resume`: the original run is finished, exactly as asked."
import hashlib, json, os, signal, subprocess, sys, time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini_template.ipynb"
CLI = [sys.executable, "-c", "import sys; from trading_kit.cli import main; sys.exit(main())"]


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def _start(tmp_path, env_extra):
    env = {**os.environ, **env_extra}
    return subprocess.Popen(CLI + ["run", "--template", str(MINI), "--tickers", "GOOG", "MSFT", "--epochs", "1",
                                   "-p", "model.hidden=16", "--workers", "1", "--no-progress", "--output-dir", str(tmp_path)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a shell starts background jobs with SIGINT ignored, and Python keeps an inherited SIG_IGN:
                            # give the run Ctrl-C back, as a terminal would
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def _wait_for(path: Path, proc, seconds=240):
    t0 = time.time()
    while not path.is_file():
        if proc.poll() is not None: raise AssertionError(f"run ended early: {proc.communicate()}")
        if time.time() - t0 > seconds: proc.kill(); raise AssertionError(f"{path} never appeared")
        time.sleep(0.2)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_run_resumes_with_its_own_settings(tmp_path, sig):
    proc = _start(tmp_path, {"MINI_DELAY_MSFT": "120"})
    run_json = lambda: next(tmp_path.glob("*/run.json"))
    t0 = time.time()
    while not list(tmp_path.glob("*/GOOG/status.json")):
        if proc.poll() is not None: raise AssertionError(f"run ended early: {proc.communicate()}")
        assert time.time() - t0 < 240, "GOOG never finished"
        time.sleep(0.2)
    run_dir = run_json().parent
    _wait_for(run_dir / "MSFT" / "notebook.ipynb", proc)  # MSFT is running (sleeping in its kernel)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "Traceback" not in err and "--resume" in err
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["state"] == "interrupted" and manifest["request"]["tickers"] == ["GOOG", "MSFT"]
    goog = _digest(run_dir / "GOOG")

    # a second, newer run under another configuration must not be what --resume picks up
    bad = subprocess.run(CLI + ["run", "--resume", "--tickers", "SPX", "--output-dir", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "drop --tickers" in bad.stderr
    bad = subprocess.run(CLI + ["run", "--resume", "-p", "model.hidden=32", "--output-dir", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "would change it" in bad.stderr

    done = subprocess.run(CLI + ["run", "--resume", "--no-progress", "--output-dir", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert _digest(run_dir / "GOOG") == goog                              # byte-identical
    st = {t: json.loads((run_dir / t / "status.json").read_text()) for t in ("GOOG", "MSFT")}
    assert st["MSFT"]["status"] == "ok" and st["MSFT"]["config_hash"] == st["GOOG"]["config_hash"]
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["state"] == "finished" and manifest["settings"]["model"]["hidden"] == 16
    assert manifest["params"]["epochs"] == 1


def test_resume_without_a_run_says_so(tmp_path):
    r = subprocess.run(CLI + ["run", "--resume", "--output-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "no run to resume" in r.stderr


def test_tickers_from_a_file_and_up_front_checks(tmp_path):
    from trading_kit.run_commands import read_tickers, check_run_specs
    from trading_kit.core import ConfigError, load_settings
    f = tmp_path / "t.txt"; f.write_text("MSFT GOOG  # two stocks\nEURUSD:1h\n")
    assert read_tickers(["SPX", f"@{f}"]) == ["SPX", "MSFT", "GOOG", "EURUSD:1h"]
    with pytest.raises(ConfigError, match="cannot read"): read_tickers([f"@{tmp_path / 'none.txt'}"])
    cfg = load_settings(overrides={"model.name": "xgboost"})
    with pytest.raises(ConfigError, match="not in the zoo"): check_run_specs(["MSFT"], cfg)
    with pytest.raises(ConfigError, match="MSFT:2h"): check_run_specs(["MSFT:2h"], load_settings())
    check_run_specs(["EURUSD:4h", "MSFT"], load_settings())
    r = subprocess.run(CLI + ["run", "--model", "xgboost", "--tickers", "MSFT"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2 and "not in the zoo" in r.stderr and "Traceback" not in r.stderr
