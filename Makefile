# Two commands set up a fresh machine: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp

.PHONY: install test test-all test-slurm demo bench bench-gpu reproduce clean

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
	$(BIN)/pytest -q -n auto

test-all: install
	PARITY_TEST_OPTIMIZED=1 $(BIN)/pytest -q -n auto -m ''

# sweep --executor slurm against a real SLURM: a single-node cluster on this machine (needs root and Debian's
# slurm-wlm, munge, slurmdbd and mariadb-server, installed here), stopped again whatever the tests did.
# OWN_CLUSTER=1: against the cluster this machine already submits to (docs/sweeps.md), nothing installed or started.
# KillWait 30 s (SLURM's default): the time a task has from SIGTERM to its next segment boundary.
test-slurm: install
ifdef OWN_CLUSTER
	$(BIN)/pytest -q -m slurm -rs tests/test_cli_slurm.py
else
	tests/slurm/cluster.sh install
	@set -e; trap 'tests/slurm/cluster.sh stop' EXIT; trap 'exit 130' INT TERM; \
	PARITY_SLURM_KILL_WAIT=30 tests/slurm/cluster.sh start >/dev/null; \
	eval "$$(tests/slurm/cluster.sh env)"; \
	$(BIN)/pytest -q -m slurm -rs tests/test_cli_slurm.py
endif

demo: install
	$(BIN)/parity train --d 50 --k 3 --seeds 8 --out runs/demo --overwrite

# The PyTorch reference is optional: TORCH names the wheel to install (the CPU build here).
# Every target of docs/performance.md in one run: the engine, start-up, read-only commands, a short
# run against PyTorch's process, and the test suite (--suite: a few minutes more).
TORCH ?= torch==2.13.0
bench: install
	$(BIN)/pip install --quiet '$(TORCH)' || echo "could not install $(TORCH): the reference column is skipped"
	$(BIN)/python benchmarks/bench.py --suite --readme docs/performance.md

# One accelerator's throughput and the paper-scale estimate (benchmarks/gpu.py): CUDA JAX where nvidia-smi finds a GPU;
# on a CPU the same script runs tiny sizes. Writes benchmarks/gpu.json.
bench-gpu: install
	if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then $(BIN)/pip install --quiet -e '.[cuda]'; fi
	$(BIN)/python benchmarks/gpu.py --out benchmarks/gpu.json

# The papers' three findings at laptop scale (README "Reproducing the papers"): QUICK=1 runs the smaller grids.
reproduce: install
	$(BIN)/python experiments/reproduce.py $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) runs
