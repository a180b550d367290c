# Two commands for a newcomer: `make demo` (the main job on the bundled sample data) and
# `make test` (the whole suite). Both create .venv and install what they need.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: install test demo export clean-nbs sync-check nbtest pytest bench

install: $(STAMP)

PYTHON ?= python3

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trading-kit needs Python >= 3.11; run make with PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH)
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	$(PY) -c 'from trading_kit.warmup import warm_kernels; warm_kernels()'  # numba kernels compiled once, cached on disk
	touch $(STAMP)

export: install
	$(BIN)/nbdev-export

clean-nbs: install
	$(BIN)/nbdev-clean

sync-check: install
	PATH=$(abspath $(BIN)):$$PATH bash .ci/check-sync

nbtest: install
	$(BIN)/nbdev-test --n-workers 2

pytest: install
	$(BIN)/python -m pytest -q

test: sync-check nbtest pytest

# The main job, CPU-sized: every sample ticker at its own interval (MSFT, SPX, GOOG daily; EURUSD hourly),
# a small model and few epochs (see trading_kit.cli.DEMO_OVERRIDES); prints where the summary page is.
demo: install
	$(BIN)/trading-kit demo $(DEMO_ARGS)

bench: install
	for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done
