# The whole set-up on a fresh machine is `make run` or `make test`; nothing else is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export BROKERSEC_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test lint install install-dev runtime-deps system-deps clean

# What brokersec needs from the operating system (Debian): Pango and a CJK font to render PDFs.
# What its tests need on top: a PostgreSQL server to start on loopback, Chromium for the browser
# tests, poppler to read PDFs back, LibreOffice Calc (headless) to open the XLSX checklist as a
# second real reader. Installed only when missing.
RUNTIME_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
TEST_PACKAGES    := $(RUNTIME_PACKAGES) postgresql chromium poppler-utils libreoffice-calc-nogui
RUNTIME_OK := $(shell test -d /usr/share/fonts/opentype/noto \
	-a -n "$$(ls /usr/lib/*/libpangoft2-1.0.so.0 2>/dev/null)" && echo yes)
TEST_OK := $(shell test "$(RUNTIME_OK)" = yes -a -x /usr/lib/postgresql/15/bin/initdb -a -x /usr/bin/chromium \
	-a -x /usr/bin/pdftotext -a -x /usr/bin/soffice && echo yes)

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

run: install runtime-deps
	$(BIN)/brokersec init
	$(BIN)/brokersec serve

lint: install-dev
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

runtime-deps:
ifneq ($(RUNTIME_OK),yes)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(RUNTIME_PACKAGES) >/dev/null
endif

system-deps:
ifneq ($(TEST_OK),yes)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PACKAGES) >/dev/null
endif

test: install-dev lint system-deps
	$(BIN)/pytest

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
