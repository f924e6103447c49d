# One command sets everything up and runs the main job; one runs the tests.
#   make reproduce   create .venv, install the pinned environment, build data, analysis and book
#   make test        the test suite (creates the environment first if needed)
# Setting up as root also installs Debian's chromium when /usr/bin/chromium is missing
# (the headless browser test of the book, tests/book/test_browser.py).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: reproduce test lint constraints clean

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

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests analysis benchmarks

constraints:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet --upgrade "pip>=24"
	.venv-lock/bin/pip install --quiet -e ".[book,dev]"
	{ echo "# Exact versions of every dependency (direct and transitive). Resolved on Python 3.11.2 so that"; \
	  echo "# every 3.11.x (Debian's 3.11.2 and newer) can install them. Regenerate: make constraints PYTHON=python3.11"; \
	  .venv-lock/bin/pip freeze --exclude-editable | grep -v '^massincidents'; } > constraints.txt
	rm -rf .venv-lock

clean:
	rm -rf book/_build $(VENV)
