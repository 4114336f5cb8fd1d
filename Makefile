# The whole set-up on a fresh machine is `make run` or `make test`; nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export BROKERSEC_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint install install-dev system-deps clean

# What the tests need from the operating system (Debian): a PostgreSQL server to start on loopback,
# Chromium for the browser tests, a CJK font for PDFs and screenshots, poppler for reading PDFs back.
SYSTEM_DEPS_OK := $(shell test -x /usr/lib/postgresql/15/bin/initdb -a -x /usr/bin/chromium \
	-a -x /usr/bin/pdftotext -a -d /usr/share/fonts/opentype/noto && echo yes)

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

run: install
	$(BIN)/brokersec init
	$(BIN)/brokersec serve

lint: install-dev
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

system-deps:
ifneq ($(SYSTEM_DEPS_OK),yes)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql chromium fonts-noto-cjk poppler-utils >/dev/null
endif

test: install-dev lint system-deps
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
