"""Throughput and memory of batch prediction on the seed sentences.

Repeats the seed corpus's units to N texts (default 100,000), predicts them
with the trained model on one core, and prints sentences per second and the
peak resident memory. Also times the spaCy tokenizer alone for comparison.

Usage: python benchmarks/predict_throughput.py [--n 100000] [--model models/framing.joblib]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from itertools import cycle, islice

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from framing.ingest import read_units  # noqa: E402
from framing.nlp import load_nlp  # noqa: E402
from framing.predict import iter_predict, load_model  # noqa: E402


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of texts to predict")
    parser.add_argument("--model", default=None, help="model file (default: models/framing.joblib)")
    parser.add_argument("--units", default="data/units.jsonl", help="units file from `framing ingest`")
    args = parser.parse_args()

    sentences = [u.text for u in read_units(args.units) if u.kind == "sentence"]
    texts = list(islice(cycle(sentences), args.n))
    model = load_model(args.model)
    nlp = load_nlp()
    list(iter_predict(texts[:1000], model))  # warm up caches

    start = time.perf_counter()
    for _ in nlp.tokenizer.pipe(texts, batch_size=1000):
        pass
    tokenizer_seconds = time.perf_counter() - start

    start = time.perf_counter()
    count = sum(1 for _ in iter_predict(texts, model))
    predict_seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"texts:                 {count:,} ({len(sentences)} distinct seed sentences, repeated)")
    print(f"spaCy tokenizer alone: {count / tokenizer_seconds:,.0f} sentences/s")
    print(f"framing.predict:       {count / predict_seconds:,.0f} sentences/s ({predict_seconds:.1f} s, one core)")
    print(f"peak memory (RSS):     {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
