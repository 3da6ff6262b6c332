# Two commands set up a fresh machine: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install test test-all demo clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,plot]'
	touch $(STAMP)

test: install
	$(BIN)/pytest -q

test-all: install
	$(BIN)/pytest -q -m ''

demo: install
	$(BIN)/parity train --d 50 --k 3 --seeds 8 --out runs/demo --overwrite

clean:
	rm -rf $(VENV) runs
