"The paper-trading workflow: after the close on weekdays, keys only from secrets via the environment, one cycle of `trading-kit paper`."
from test_workflows import load, runs, uses, walk


def test_paper_runs_after_the_close_on_weekdays():
    wf = load("paper.yml")
    cron = wf["on"]["schedule"][0]["cron"].split()
    assert cron[4] == "1-5" and int(cron[1]) >= 21                        # weekdays, after 16:00 New York in UTC
    assert wf["on"]["workflow_dispatch"]["inputs"]["broker"]["default"] == "alpaca"
    assert wf["concurrency"]["cancel-in-progress"] is False               # never two cycles at once


def test_paper_cycle_uses_the_cli_and_secrets_only_in_the_environment():
    wf = load("paper.yml")
    job = wf["jobs"]["cycle"]
    assert {"ALPACA_API_KEY", "ALPACA_SECRET_KEY", "TRADING_KIT_STORE_URL"} <= set(job["env"])
    secret_paths = [p for p, v in walk(wf) if "secrets." in v]
    assert secret_paths and all(p[:3] == ("jobs", "cycle", "env") for p in secret_paths)
    cmds = runs(job)
    assert all("${{" not in c for c in cmds)                              # no expression interpolated into a shell line
    assert any('trading-kit paper --run "$RUN_DIR" --broker "$BROKER"' in c for c in cmds)
    assert any(".[live]" in c for c in cmds) and "actions/upload-artifact" in uses(job)
