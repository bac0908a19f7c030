# framewatch: the two commands of the README, and what they need.
#   make demo   install everything, run the pipeline on the local demo news site, print the paths
#   make test   install everything (with the test tools), run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# CPU build of torch, installed first: a plain `torch` requirement may pull a CUDA build of GBs.
TORCH  ?= torch==2.13.0

.PHONY: install demo test test-fast browser clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	# An old pip leaves trafilatura without lxml_html_clean.
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

demo: install
	HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/framewatch demo

# Headless Chromium (Debian's) for the report's browser test; needs root, as on CI.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "install chromium (apt-get install chromium) for the browser test"; fi; }

test: install browser
	HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest

# While working: the tests not marked slow (under 3 minutes on 2 cores). CI runs `make test`.
test-fast: install
	HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/python -m pytest -m "not slow"

clean-demo:
	rm -rf framewatch-demo
