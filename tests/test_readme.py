"The README's promises: its first lines are the two commands CI and newcomers use, and its code runs."
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    assert [l.split("#")[0].strip() for l in first_block.strip().splitlines()] == ["make demo", "make test"]
    assert README.index("make demo") < 200
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_research_loop_snippet_runs(monkeypatch):
    import torch
    torch.set_num_threads(1)
    code = re.search(r"## The research loop, stage by stage.*?```python\n(.*?)```", README, re.S).group(1)
    code = code.replace("epochs=20", "epochs=1").replace("print(", "verdict = (")
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert "baseline" in scope["verdict"] and scope["probs"].shape[1] == 3


def test_hello_world_snippet_runs(monkeypatch, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    monkeypatch.setenv("TRADING_KIT_RUN_OUTPUT_DIR", str(tmp_path))      # the trials ledger goes to a scratch folder
    code = re.search(r"## Hello world.*?```python\n(.*?)```", README, re.S).group(1)
    assert "run_experiment(" in code and "exp.verdict" in code
    scope = {}
    exec(compile(code.replace("print(", "verdict = ("), "README.md", "exec"), scope)
    assert "baseline" in scope["verdict"] and "buy-and-hold" in scope["verdict"]
    assert (tmp_path / "trials.jsonl").is_file()
