# Two commands are the contract (README): `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

FOCUS_VENV ?= .venv-focus

.PHONY: serve test bench install install-dev chromium postgresql focus-validator notebook clean

# Runtime: venv + pinned requirements + the package (editable, so notebooks see it).
$(VENV)/.installed: requirements.txt setup.cfg pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

serve: $(VENV)/.installed
	$(VENV)/bin/tco serve

# Browser tests drive Debian's chromium; install it when absent (never a downloaded browser).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "installing Debian's chromium"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium; \
	fi

# The store tests run on SQLite and on a throwaway PostgreSQL cluster (tests/pgcluster.py):
# install Debian's PostgreSQL when absent.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "installing Debian's postgresql"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q postgresql; \
	fi

# The FOCUS tests call the FinOps Foundation's focus-validator CLI, kept in a venv of its own
# (it pins pandas 2 / numpy 1). If it cannot be installed, those tests skip and say why.
$(FOCUS_VENV)/.installed: requirements-focus.txt
	test -x $(FOCUS_VENV)/bin/python || $(PYTHON) -m venv $(FOCUS_VENV)
	$(FOCUS_VENV)/bin/python -m pip install -q -r requirements-focus.txt
	touch $@

focus-validator:
	@$(MAKE) --no-print-directory $(FOCUS_VENV)/.installed || \
	  echo "focus-validator could not be installed: the FOCUS validation tests will skip"

test: $(VENV)/.installed-dev chromium postgresql focus-validator
	FOCUS_VALIDATOR=$(CURDIR)/$(FOCUS_VENV)/bin/focus-validator $(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) -m pytest tests/bench -o addopts="" -p no:randomly --benchmark-only --benchmark-columns=min,median,max,rounds -s

# The analyst door: JupyterLab on the notebooks, with the package importable.
$(VENV)/.installed-notebook: $(VENV)/.installed requirements-notebook.txt
	$(PY) -m pip install -q -r requirements-notebook.txt
	touch $@

# (Jupyter refuses root unless told: the CI/sandbox machines run as root.)
notebook: $(VENV)/.installed-notebook
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 $(if $(SUDO),,--allow-root)

clean:
	rm -rf $(VENV) $(FOCUS_VENV) build *.egg-info .pytest_cache .benchmarks
