"The GitHub Actions workflows: parsed as YAML, their jobs and commands checked (nothing runs here)."
import os
from pathlib import Path

import pytest
import yaml

WF = Path(__file__).resolve().parents[1] / ".github" / "workflows"


def load(name):
    wf = yaml.safe_load((WF / name).read_text())
    wf["on"] = wf.get("on", wf.pop(True, None))      # YAML 1.1 reads the key `on` as True
    return wf


def walk(node, path=()):
    "Every (path, string) in a parsed YAML tree."
    if isinstance(node, dict):
        for k, v in node.items(): yield from walk(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node): yield from walk(v, path + (i,))
    elif isinstance(node, str):
        yield path, node


def runs(job):
    return [s["run"] for s in job["steps"] if "run" in s]


def uses(job):
    return [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]


def test_ci_runs_make_test_on_python_311_with_cpu_torch():
    wf = load("ci.yml")
    assert {"push", "pull_request"} <= set(wf["on"])
    job = wf["jobs"]["test"]
    assert "actions/checkout" in uses(job) and "actions/setup-python" in uses(job)
    py = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert str(py["with"]["python-version"]) == "3.11"
    cmd = " ".join(runs(job))
    assert "make test" in cmd and "download.pytorch.org/whl/cpu" in cmd


def test_make_test_covers_sync_clean_nbdev_test_and_pytest():
    mk = (WF.parents[1] / "Makefile").read_text()
    line = next(l for l in mk.splitlines() if l.startswith("test:"))
    assert set(line.split(":")[1].split()) == {"sync-check", "nbtest", "pytest"}


def test_batch_schedule_and_dispatch_inputs():
    wf = load("batch.yml")
    assert wf["on"]["schedule"] == [{"cron": "0 20 * * *"}]     # daily 20:00 UTC
    inputs = wf["on"]["workflow_dispatch"]["inputs"]
    assert {"tickers", "model", "epochs", "provider"} <= set(inputs)
    assert all(not i.get("required") and i.get("default") for i in inputs.values())


def test_batch_matrix_over_tickers_runs_the_cli_and_uploads_outputs():
    jobs = load("batch.yml")["jobs"]
    run = jobs["run"]
    assert run["needs"] == "plan" and run["strategy"]["fail-fast"] is False
    assert "matrix.ticker" not in str(run["strategy"]) and "fromJSON(needs.plan.outputs.tickers)" in run["strategy"]["matrix"]["ticker"]
    assert run["env"]["TICKER"] == "${{ matrix.ticker }}"
    cmd = " ".join(runs(run))
    assert "make install" in cmd and "trading-kit run --tickers \"$TICKER\"" in cmd
    assert '--model "$MODEL"' in cmd and '--epochs "$EPOCHS"' in cmd and '--provider "$PROVIDER"' in cmd
    up = [s for s in run["steps"] if s.get("uses", "").startswith("actions/upload-artifact")]
    assert len(up) == 1 and up[0]["with"]["path"] == "outputs/" and up[0]["if"] == "always()"
    summ = jobs["summary"]
    assert summ["needs"] == "run" and summ["if"] == "always()"
    assert "actions/download-artifact" in uses(summ) and any("trading-kit summarize" in r for r in runs(summ))
    last = summ["steps"][-1]
    assert last["uses"].startswith("actions/upload-artifact") and last["if"] == "always()"   # uploaded even after a failure


def test_batch_secrets_only_in_environment_and_no_expressions_in_commands():
    wf = load("batch.yml")
    hits = [(p, v) for p, v in walk(wf) if "secrets." in v]
    assert hits, "the workflow should pass API keys from secrets"
    for path, value in hits:
        assert "env" in path[:-1] and path[-2] == "env", f"secret outside an env block at {path}"
        assert value.strip().startswith("${{ secrets.") and value.strip().endswith("}}")
    for name, job in wf["jobs"].items():
        for cmd in runs(job):                                  # no ${{ }} inside shell: inputs go through env
            assert "${{" not in cmd, f"{name}: expression interpolated into a command: {cmd!r}"


@pytest.mark.parametrize("name", ["ci.yml", "batch.yml"])
def test_workflows_pin_action_major_versions(name):
    for _, v in walk(load(name)):
        if v.startswith("actions/"):
            assert "@v" in v, v


def make_plan(target, tmp_path):
    "The commands `make -n <target>` would run for a fresh clone (nothing runs)."
    import subprocess
    root = WF.parents[1]
    out = subprocess.run(["make", "--no-print-directory", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=root, capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")})
    return out.stdout


def test_make_demo_installs_the_base_package_only_with_torch_pinned(tmp_path):
    plan = make_plan("demo", tmp_path)
    assert "torch==2.13.0" in plan and "torch-pin.txt" in plan       # pip installs the pinned torch; uv is constrained to it
    assert "uv pip install" in plan and "|| " in plan                 # uv for the rest, pip if uv is unavailable
    assert "[dev]" not in plan                                        # the demo does not install the test tools
    assert "warm_kernels" in plan and plan.rstrip().endswith("trading-kit demo")


def test_make_test_installs_the_dev_tools_after_the_base(tmp_path):
    plan = make_plan("test", tmp_path)
    assert plan.index("-e .") < plan.index('-e ".[dev]"') < plan.index("check-sync") < plan.index("nbdev-test") < plan.index("python -m pytest")
