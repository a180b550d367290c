# Two commands for a newcomer: `make demo` (the main job on the bundled sample data) and
# `make test` (the whole suite). Both create .venv and install what they need.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
PIP    := $(PY) -m pip install -q --disable-pip-version-check
# uv installs everything but torch about 10x faster than pip (parallel downloads, no bytecode compile at install);
# torch stays with pip, which finds the pinned CPU wheel on disk (an index-only installer would pull a CUDA build),
# and the constraint keeps uv from replacing it. Without uv (no wheel for the platform) pip does it all.
UV     = $(BIN)/uv pip install -q --python $(PY) -c $(VENV)/torch-pin.txt
define install_pkgs
	($(PIP) uv && UV_LINK_MODE=copy $(UV) $(1)) || $(PIP) $(1)
endef

.PHONY: install install-dev test demo export clean-nbs sync-check nbtest pytest bench

# `make install`: what `make demo`, `trading-kit run` and the notebooks need; `make install-dev` adds the test tools.
install: $(STAMP)
install-dev: $(DEVSTAMP)

PYTHON ?= python3

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "trading-kit needs Python >= 3.11; run make with PYTHON=python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) $(TORCH)
	$(PY) -c 'import importlib.metadata as m; print("torch==" + m.version("torch"))' > $(VENV)/torch-pin.txt
	$(call install_pkgs,-e .)
	$(PY) -c 'from trading_kit.warmup import warm_kernels; warm_kernels()'  # numba kernels compiled once, cached on disk
	touch $(STAMP)

$(DEVSTAMP): $(STAMP)
	$(call install_pkgs,-e ".[dev]")
	touch $(DEVSTAMP)

export: install-dev
	$(BIN)/nbdev-export

clean-nbs: install-dev
	$(BIN)/nbdev-clean

sync-check: install-dev
	PATH=$(abspath $(BIN)):$$PATH bash .ci/check-sync

nbtest: install-dev
	$(BIN)/nbdev-test --n-workers 2

pytest: install-dev
	$(BIN)/python -m pytest -q

test: sync-check nbtest pytest

# The main job, CPU-sized: every sample ticker at its own interval (MSFT, SPX, GOOG daily; EURUSD hourly),
# a small model and few epochs (see trading_kit.cli.DEMO_OVERRIDES); prints where the summary page is.
demo: install
	$(BIN)/trading-kit demo $(DEMO_ARGS)

bench: install-dev
	for f in bench/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done
