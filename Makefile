# Two commands set up a fresh machine: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install test test-all demo bench reproduce clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,plot]'
	touch $(STAMP)

# The layering test is part of the suite; ruff keeps the style (check and format) the same everywhere.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

test-all: install
	$(BIN)/pytest -q -m ''

demo: install
	$(BIN)/parity train --d 50 --k 3 --seeds 8 --out runs/demo --overwrite

# The PyTorch reference is optional: TORCH names the wheel to install (the CPU build here).
# Every target of docs/performance.md in one run: the engine, start-up, read-only commands, a short
# run against PyTorch's process, and the test suite (--suite: a few minutes more).
TORCH ?= torch==2.13.0
bench: install
	$(BIN)/pip install --quiet '$(TORCH)' || echo "could not install $(TORCH): the reference column is skipped"
	$(BIN)/python benchmarks/bench.py --suite --readme docs/performance.md

# The papers' three findings at laptop scale (README "Reproducing the papers"): QUICK=1 runs the smaller grids.
reproduce: install
	$(BIN)/python experiments/reproduce.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) runs
