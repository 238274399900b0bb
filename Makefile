# Two commands are the contract (README): `make serve` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: serve test bench install install-dev chromium postgresql notebook clean

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

test: $(VENV)/.installed-dev chromium postgresql
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) -m pytest tests/bench -o addopts="" -p no:randomly --benchmark-only --benchmark-columns=min,median,max,rounds -s

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .benchmarks
