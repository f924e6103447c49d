# One command sets everything up and runs the main job; one runs the tests.
#   make reproduce   create .venv, install the pinned environment, build data, analysis and book
#   make test        the test suite in .venv (pinned), then again in .venv-latest (see below)
# Setting up as root also installs Debian's chromium when /usr/bin/chromium is missing
# (the headless browser test of the book, tests/book/test_browser.py, drives it with Playwright).
#
# .venv-latest: `make test` recreates it on every run with Python 3.13 and the NEWEST versions
# that pyproject.toml's ranges allow (no constraints file; the package's own dependencies are
# then upgraded past caps that test-only peers put on them, as a user who installs massincidents
# without the dev extra gets them), and runs the library's tests there
# (everything but tests/book: the book is built with the pinned environment of `make reproduce`),
# so that a new release of numpy, pandas, scipy, ... that breaks us is seen at once.
# The 3.13 interpreter is PYTHON_LATEST if given, else python3.13 on PATH, else pyenv's
# ($PYENV_ROOT or ~/.pyenv)/versions/3.13.*. Without one, that run is skipped with a printed
# reason (`make test` still fails if the pinned run fails); REQUIRE_LATEST=1 makes it an error.
#
# make test-floors (not part of `make test`): .venv-floors with Python 3.11 (PYTHON_FLOORS, else
# python3.11 on PATH, else pyenv's 3.11.*) and every [project] dependency at its declared floor
# (`numpy>=1.26` installed as numpy==1.26, i.e. 1.26.0), pyarrow at the parquet extra's floor
# (newer pyarrow refuses numpy 1.x), pytest and hypothesis as pinned; the other test peers are
# the newest that fit. Then the library's tests (everything but tests/book). A floor that fails
# here is false: raise it in pyproject.toml.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LATEST ?= .venv-latest
PYENV_ROOT ?= $(HOME)/.pyenv
LOWEST ?= .venv-floors
# the first candidate that runs and is Python $(1), e.g. 3.13: python$(1) on PATH, then pyenv's
# (a pyenv shim on PATH may exist and not run)
find_python = $(shell for p in python$(1) $(sort $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1))); do \
  "$$p" -c 'import sys; sys.exit("%d.%d" % sys.version_info[:2] != "$(1)")' >/dev/null 2>&1 && { command -v "$$p"; break; }; \
  done)
ifeq ($(origin PYTHON_LATEST), undefined)
PYTHON_LATEST := $(call find_python,3.13)
endif
ifeq ($(origin PYTHON_FLOORS), undefined)
PYTHON_FLOORS := $(call find_python,3.11)
endif

# each [project] dependency and the parquet extra at its floor ("numpy>=1.26" -> "numpy==1.26"),
# then pytest and hypothesis as constraints.txt pins them
export FLOOR_PINS := import re, tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
  print("\n".join(re.sub(r">=", "==", d) for d in p["dependencies"] + p["optional-dependencies"]["parquet"])); \
  print("".join(l for l in open("constraints.txt") if re.match(r"(pytest|hypothesis)==", l)), end="")

# the names of pyproject.toml's [project] dependencies, one per word
export CORE_DEPS := import re, tomllib; print(" ".join(re.split(r"[^A-Za-z0-9._-]", d, maxsplit=1)[0] for d in tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))

.PHONY: reproduce test test-pinned test-latest test-floors lint constraints clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[book,dev]"
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian's chromium for tests/book/test_browser.py"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif [ ! -x /usr/bin/chromium ]; then \
	  echo "note: /usr/bin/chromium is missing (not root, or no apt-get): tests/book/test_browser.py"; \
	  echo "      will fail until you run 'sudo apt-get install -y chromium'"; \
	  echo "      (or set MASSINCIDENTS_SKIP_BROWSER=1 to skip it)"; \
	fi
	touch $(STAMP)

reproduce: $(STAMP)
	$(VENV)/bin/massincidents reproduce

test: test-pinned test-latest

test-pinned: $(STAMP)
	$(PY) -m mypy src/massincidents
	$(PY) -m pytest

test-latest:
	@if [ -z "$(PYTHON_LATEST)" ]; then \
	  echo "SKIPPED the newest-versions run (.venv-latest): no Python 3.13 found (python3.13 on PATH,"; \
	  echo "        or $(PYENV_ROOT)/versions/3.13.*); install one or run make test PYTHON_LATEST=/path/to/python3.13"; \
	  if [ "$(REQUIRE_LATEST)" = 1 ]; then exit 1; fi; \
	  exit 0; \
	fi; \
	set -e; \
	echo "newest-versions run: $(PYTHON_LATEST) -> $(LATEST), pip install -e '.[dev]' without constraints"; \
	rm -rf $(LATEST); \
	"$(PYTHON_LATEST)" -m venv $(LATEST); \
	$(LATEST)/bin/python -m pip install --quiet --upgrade pip; \
	$(LATEST)/bin/python -m pip install --quiet -e ".[dev]"; \
	echo "upgrading the package's own dependencies past any cap a test peer puts on them (lifelines: pandas<3)"; \
	$(LATEST)/bin/python -m pip install --quiet --upgrade $$($(LATEST)/bin/python -c "$$CORE_DEPS"); \
	$(LATEST)/bin/python -m pip freeze --exclude-editable > $(LATEST)/versions.txt; \
	echo "installed: $$(grep -iE '^(numpy|pandas|scipy|statsmodels|pyfixest|formulaic|duckdb)==' $(LATEST)/versions.txt | tr '\n' ' ')"; \
	$(LATEST)/bin/python -m pytest --ignore=tests/book -p no:cacheprovider

test-floors:
	@if [ -z "$(PYTHON_FLOORS)" ]; then \
	  echo "no Python 3.11 found (python3.11 on PATH, or $(PYENV_ROOT)/versions/3.11.*):"; \
	  echo "run make test-floors PYTHON_FLOORS=/path/to/python3.11"; exit 1; \
	fi; \
	set -e; \
	rm -rf $(LOWEST); \
	"$(PYTHON_FLOORS)" -m venv $(LOWEST); \
	$(LOWEST)/bin/python -m pip install --quiet --upgrade "pip>=24"; \
	$(LOWEST)/bin/python -c "$$FLOOR_PINS" > $(LOWEST)/floors.txt; \
	echo "floors run: $(PYTHON_FLOORS) -> $(LOWEST), pip install -e '.[dev]' -c $(LOWEST)/floors.txt"; \
	$(LOWEST)/bin/python -m pip install --quiet -c $(LOWEST)/floors.txt -e ".[dev]"; \
	$(LOWEST)/bin/python -m pip check; \
	$(LOWEST)/bin/python -m pip freeze --exclude-editable > $(LOWEST)/versions.txt; \
	$(LOWEST)/bin/python -m pytest --ignore=tests/book -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests analysis benchmarks

constraints:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade "pip>=24"
	.venv-lock/bin/pip install --quiet -e ".[book,dev]"
	{ echo "# Exact versions of every dependency (direct and transitive). Resolved on Python 3.11.2 so that"; \
	  echo "# every 3.11.x (Debian's 3.11.2 and newer) can install them. Regenerate: make constraints PYTHON=python3.11"; \
	  .venv-lock/bin/pip freeze --all --exclude-editable | grep -v -e '^massincidents' -e '^pip=='; } > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf book/_build $(VENV) $(LATEST) $(LOWEST)
