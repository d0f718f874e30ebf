# vae-study: `make help` lists the targets.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
SHELL := /bin/bash
# The torch build: on a machine without an NVIDIA driver `make install` takes the CPU build.
# Elsewhere than this project's machines, point TORCH_INDEX at PyTorch's CPU wheel index, e.g.
# make install TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
STUDY ?= mini
# Python's bytecode cache, on even where the environment turns it off: without it every process
# a target starts (test workers, each run of a sweep, joblib's workers) compiles every module anew.
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help install test test-long test-all test-faults test-slurm lint demo sweep-mini status figures viz bench bench-train bench-metrics clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-14s %s\n", $$1, $$2}'

# PYTHONWARNINGS=ignore: the build backend's notes on editable installs are not for users.
install: ## create .venv and install the package with its dev tools (CPU torch without a GPU)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	if ! command -v nvidia-smi >/dev/null 2>&1; then \
		$(BIN)/pip install --quiet "$(TORCH)" $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); \
	fi
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -c "import torch, lightning, hydra, sklearn; print('installed: torch', torch.__version__)"

test: ## the fast test suite, one worker per core (pytest-xdist)
	$(BIN)/pytest -q -n auto --dist worksteal

test-long: ## the checks that take ten seconds or more each, which make test leaves out (CI runs them)
	$(BIN)/pytest -q -n auto --dist worksteal -m long

test-all: ## every test but the Slurm ones, the slow ones too
	$(BIN)/pytest -q -m "not slurm"

test-faults: ## the fault-injection suite (kills, signals, corrupt files, full and read-only disks; root) and the local launcher's workers
	$(BIN)/pytest -q -n auto --dist worksteal -m "faults or launcher"

SLURM_DIR ?= /tmp/vae-study-slurm

test-slurm: ## the Slurm launcher test on a local one-node Slurm (root, ~3 min): start, test, stop
	export VAE_STUDY_SLURM_DIR=$(SLURM_DIR) SLURM_CONF=$(SLURM_DIR)/slurm.conf VAE_STUDY_SLURM_REQUIRED=1; \
	scripts/slurm/start.sh && $(BIN)/pytest -q -s -m slurm; status=$$?; scripts/slurm/stop.sh; exit $$status

lint: ## ruff
	$(BIN)/ruff check .

demo: ## train the demo beta-VAE on procedural dSprites (~8 min on 2 cores) and write its record
	$(BIN)/vae-study experiment=demo

sweep-mini: ## the mini study (24 runs, CPU-sized) with 2 local jobs at once, then its status
	$(BIN)/vae-study -m study=mini hydra/launcher=local
	$(BIN)/vae-study-status study=mini

status: ## where each run of a study stands: make status STUDY=<name>
	$(BIN)/vae-study-status study=$(STUDY)

figures: ## the study table and every figure of a study: make figures STUDY=<name>
	$(BIN)/python -m vae_study.analysis figures --study $(STUDY)

viz: ## one model's pictures into <run_dir>/viz/: make viz RUN=<run_id or run folder>
	$(BIN)/vae-study-viz --run $(RUN)

bench: ## one table: plain loop, Lightning, packed K=1,4,16 (images/s, model-steps/s) -> results/bench/
	$(BIN)/python benchmarks/bench_train.py --packs 1 4 16
	$(BIN)/python benchmarks/bench_train.py --packs --host-memory release --out results/bench/train_cpu_release.json

bench-train: bench

bench-metrics: ## each metric's scores and wall time at the study's counts, exact boosting ours and sklearn's side by side (+ hist, + without the levers) -> results/bench/
	set -o pipefail; $(BIN)/python benchmarks/bench_metrics.py --baseline 2>&1 | grep -v -i warn | tee results/bench/metrics_cpu.txt

clean: ## remove caches and the demo's results (keeps .venv)
	rm -rf .pytest_cache .ruff_cache results/demo
