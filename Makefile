# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INFRA_VENV := .venv-infra
# Web pages are tested in Debian's Chromium, driven by Playwright (its own browser download cannot run here).
CHROMIUM := /usr/bin/chromium

.PHONY: setup infra-venv demo test lint typecheck pytest clean

setup: $(VENV)/.installed node_modules/.installed infra-venv $(CHROMIUM)

$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-fund --no-audit --loglevel=error
	touch $@

# Offline infra checks (tests/infra): pycep-parser 0.7.1 and checkov (which pins pycep-parser 0.5.1)
# cannot share an environment, so each gets its own venv under .venv-infra/.
infra-venv: $(INFRA_VENV)/.installed

$(INFRA_VENV)/.installed: infra/requirements-pycep.txt infra/requirements-checkov.txt
	test -x $(INFRA_VENV)/pycep/bin/python || $(PYTHON) -m venv $(INFRA_VENV)/pycep
	$(INFRA_VENV)/pycep/bin/python -m pip install --quiet -r infra/requirements-pycep.txt
	test -x $(INFRA_VENV)/checkov/bin/python || $(PYTHON) -m venv $(INFRA_VENV)/checkov
	$(INFRA_VENV)/checkov/bin/python -m pip install --quiet -r infra/requirements-checkov.txt
	touch $@

demo: setup
	$(PY) -m scripts.demo

test: setup pytest lint typecheck

pytest: setup
	$(PY) -m pytest

# ruff (with C901, see pyproject) and a dead-code check: vulture reads its paths from pyproject's [tool.vulture].
lint: setup
	$(PY) -m ruff check .
	$(PY) -m vulture

typecheck: setup
	$(PY) -m mypy --strict shared function_app.py

clean:
	rm -rf $(VENV) $(INFRA_VENV) node_modules .mypy_cache .pytest_cache .ruff_cache .hypothesis
