"Every trading_kit module imports without the research extras: their packages are imported inside functions only."
import subprocess, sys

RESEARCH = ("ripser", "persim", "gymnasium", "stable_baselines3", "torch_geometric", "pytorch_forecasting",
            "lightning", "dowhy", "flwr", "ray")

CODE = f"""
import importlib, pkgutil, sys
for m in {RESEARCH!r}: sys.modules[m] = None   # any top-level import of them now raises ImportError
import trading_kit
names = sorted(m.name for m in pkgutil.iter_modules(trading_kit.__path__, 'trading_kit.'))
for name in names: importlib.import_module(name)
assert any(n.startswith('trading_kit.research_') for n in names), names
print(len(names))
"""


def test_every_module_imports_without_research_packages(tmp_path):
    r = subprocess.run([sys.executable, "-c", CODE], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert int(r.stdout.strip()) > 50, r.stdout
