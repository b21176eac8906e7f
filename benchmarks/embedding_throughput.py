"""Prediction throughput of each feature set, one model per set, on one core.

Run it under ``taskset -c 0``. Train the models first, one per feature set:

    framing train --features NAME --jobs 2 -o models/NAME.joblib

(the ``static`` sets also need ``framing distill``). Repeats the seed corpus's
sentences to N texts and predicts them with ``iter_predict`` (the code behind
``framing.predict()`` and ``framing predict``), after a warm-up batch that
loads the embedding model. Sets with MiniLM are far slower, so they predict
fewer texts (``--n-minilm``), and their per-process text cache is turned off
so that every repeated text is encoded again, as a new one would be. Prints
sentences per second (the best of ``--repeats`` runs), the spaCy tokenizer
alone and the n-gram model for comparison, and each model's load time. Missing model
files are reported and skipped.

Usage: python benchmarks/embedding_throughput.py [--n 50000] [--n-minilm 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import time
from itertools import cycle, islice
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from framing.corpus.units import read_units
from framing.model import embeddings
from framing.model.nlp import load_nlp
from framing.model.pipeline import FEATURE_SETS, hyper_parameters
from framing.model.predict import iter_predict, load_model


def best_rate(run, count: int, repeats: int) -> float:
    """Best of ``repeats`` runs of ``run()``, as ``count`` sentences per second.

    Other work on the machine only ever slows a run down, so the fastest run
    is the closest to what a free core does.
    """
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return count / best


def main() -> None:
    """Run the benchmark and print one line per feature set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="texts per model without MiniLM")
    parser.add_argument("--n-minilm", type=int, default=2_000, help="texts per model with MiniLM")
    parser.add_argument("--repeats", type=int, default=3, help="runs per model; the fastest counts")
    parser.add_argument("--models-dir", default="models", help="folder holding <feature set>.joblib")
    parser.add_argument("--units", default="data/units.jsonl", help="units file from `framing ingest`")
    args = parser.parse_args()
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) != 1:
        print("warning: not pinned to one core; run under `taskset -c 0`")

    try:
        import torch  # the MiniLM sets run on torch: one thread, like everything else here

        torch.set_num_threads(1)
    except ImportError:
        pass

    embeddings.MAX_CACHED_TEXTS = 0  # measure new texts, not cache hits
    sentences = [u.text for u in read_units(args.units) if u.kind == "sentence"]
    texts = list(islice(cycle(sentences), args.n))
    tokenizer = load_nlp().tokenizer
    tokenizer_rate = best_rate(lambda: list(tokenizer.pipe(texts, batch_size=1000)), len(texts), args.repeats)
    print(f"texts: {len(sentences)} distinct seed sentences, repeated; best of {args.repeats} runs")
    print(f"{'spaCy tokenizer alone':24} {tokenizer_rate:>7,.0f} sentences/s")
    baseline = None

    for features in FEATURE_SETS:
        path = Path(args.models_dir) / f"{features}.joblib"
        if not path.exists():
            print(f"{features:24} skipped: no {path} (framing train --features {features} -o {path})")
            continue
        start = time.perf_counter()
        model = load_model(path)
        list(iter_predict(texts[:200], model))  # loads the embedding model, warms caches
        loaded = time.perf_counter() - start
        n = args.n_minilm if "minilm" in FEATURE_SETS[features] else args.n
        rate = best_rate(lambda: sum(1 for _ in iter_predict(texts[:n], model)), n, args.repeats)  # noqa: B023
        baseline = baseline or rate  # the first set, ngrams
        print(
            f"{features:24} {rate:>7,.0f} sentences/s  ({rate / baseline:.2f} x ngrams; {n:,} texts; "
            f"load + warm-up {loaded:.1f} s; {hyper_parameters(model.pipeline)})"
        )


if __name__ == "__main__":
    main()
