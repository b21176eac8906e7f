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
STATIC_MODEL := models/static-minilm
FEATURE_SETS := ngrams static ngrams+static minilm ngrams+minilm

.PHONY: help setup embeddings-setup units train evaluate test lint format benchmark benchmark-scale benchmark-profile static-embeddings benchmark-embeddings active-learning clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,scale]'
	touch $@

setup: $(STAMP)  ## Create .venv and install framing with its dev tools

embeddings-setup: $(STAMP)  ## Install the optional embedding extra (CPU torch 2.13 first, then the extra)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,embeddings]'

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

benchmark-profile: $(MODEL)  ## framing profile on 1,000,000 units, from units and from predictions, 1 process and 2 workers
	$(BIN)/python benchmarks/profile_scale.py --workers 2

$(STATIC_MODEL)/config.json: | $(STAMP)
	$(FRAMING) distill --output $(STATIC_MODEL)

static-embeddings: $(STATIC_MODEL)/config.json  ## Distill the static embedding model from MiniLM if it is missing (needs embeddings-setup; the project ships one)

benchmark-embeddings: $(STAMP) $(UNITS) $(STATIC_MODEL)/config.json  ## Train one model per feature set, compare prediction speed on one core
	for features in $(FEATURE_SETS); do \
		$(FRAMING) train --labels-dir data/labels --units $(UNITS) $(EXTRA) --features $$features \
			--output models/$$features.joblib --jobs 2 --quiet || exit 1; \
	done
	taskset -c 0 $(BIN)/python benchmarks/embedding_throughput.py

active-learning: $(STAMP) $(UNITS)  ## Simulate random vs uncertainty labelling order on the labels
	$(BIN)/python benchmarks/active_learning.py --jobs 2

clean:  ## Remove generated files (keeps .venv and labels)
	rm -rf $(UNITS) models/*.skops models/*.joblib models/*.json reports .pytest_cache
