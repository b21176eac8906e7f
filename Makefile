# The workflow: ingest -> train -> evaluate. File targets skip unchanged steps.
# `make train` and `make test` build .venv themselves on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FRAMING := $(BIN)/framing
STAMP := $(VENV)/.installed
RAW := $(shell find data/raw -type f ! -name README.md 2>/dev/null)
LABELS := $(wildcard data/labels/*.jsonl)
# Labelled sets used for training only (text written for training); `make train EXTRA_LABELS=` leaves them out.
EXTRA_LABELS ?= data/written
EXTRA := $(foreach dir,$(EXTRA_LABELS),--extra-labels $(dir))
EXTRA_FILES := $(foreach dir,$(EXTRA_LABELS),$(dir)/gold.jsonl)
UNITS := data/units.jsonl
MODEL := models/framing.joblib

.PHONY: help setup units train evaluate test lint format benchmark benchmark-scale active-learning clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,scale]'
	touch $@

setup: $(STAMP)  ## Create .venv and install framing with its dev tools

$(UNITS): $(STAMP) $(RAW)
	$(FRAMING) ingest data/raw --output $@

units: $(UNITS)  ## Ingest data/raw into data/units.jsonl

$(MODEL): $(STAMP) $(UNITS) $(LABELS) $(EXTRA_FILES)
	$(FRAMING) train --labels-dir data/labels $(EXTRA) --units $(UNITS) --output $@ --jobs 2 --quiet

train: $(MODEL)  ## Train the model on data/labels plus $(EXTRA_LABELS) and show its scores
	@$(FRAMING) info $(MODEL)

evaluate: $(MODEL)  ## Write the evaluation reports to reports/
	$(FRAMING) evaluate --labels-dir data/labels $(EXTRA) --units $(UNITS) --jobs 2

test: $(STAMP)  ## Run the test suite
	$(BIN)/pytest

lint: $(STAMP)  ## Check code style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)  ## Reformat the code with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

benchmark: $(MODEL)  ## Measure prediction throughput and memory on one core
	taskset -c 0 $(BIN)/python benchmarks/predict_throughput.py
	taskset -c 0 $(BIN)/python benchmarks/streaming_memory.py
	taskset -c 0 $(BIN)/python benchmarks/vocabulary_memory.py --sizes 100000 400000

benchmark-scale: $(MODEL)  ## Dask workers against one process: predict 1,000,000 units, ingest 10,000 documents
	$(BIN)/python benchmarks/scale_out.py

active-learning: $(STAMP) $(UNITS)  ## Simulate random vs uncertainty labelling order on the labels
	$(BIN)/python benchmarks/active_learning.py --jobs 2

clean:  ## Remove generated files (keeps .venv and labels)
	rm -rf $(UNITS) models/*.skops models/*.joblib models/*.json reports .pytest_cache
