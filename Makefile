# The whole set-up on a fresh machine is `make run` or `make test`; nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export BROKERSEC_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint install install-dev system-deps clean

# What brokersec and its tests need from the operating system (Debian): a PostgreSQL server to start
# on loopback, Chromium for the browser tests, Pango for PDF rendering, a CJK font for PDFs and
# screenshots, poppler for reading PDFs back.
DEBIAN_PACKAGES := postgresql chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk poppler-utils
SYSTEM_DEPS_OK := $(shell test -x /usr/lib/postgresql/15/bin/initdb -a -x /usr/bin/chromium \
	-a -x /usr/bin/pdftotext -a -d /usr/share/fonts/opentype/noto \
	-a -n "$$(ls /usr/lib/*/libpangoft2-1.0.so.0 2>/dev/null)" && echo yes)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install system-deps
	$(BIN)/brokersec init
	$(BIN)/brokersec serve

lint: install-dev
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

system-deps:
ifneq ($(SYSTEM_DEPS_OK),yes)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null
endif

test: install-dev lint system-deps
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
