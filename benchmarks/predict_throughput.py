"""Throughput and memory of batch prediction on the seed sentences.

Repeats the seed corpus's sentences to N texts (default 100,000) and predicts
them on one core with the trained model, then with the same model refitted
with character n-grams switched on (the slower of the two configurations that
`framing train` chooses between). Prints sentences per second, the spaCy
tokenizer alone for comparison, and the peak resident memory.

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

from sklearn.base import clone

from framing.corpus.units import read_units
from framing.labels.dataset import load_labelled
from framing.model.nlp import load_nlp
from framing.model.persist import FramingModel
from framing.model.pipeline import feature_set, hyper_parameters, make_char_vectorizer, param_grid
from framing.model.predict import iter_predict, load_model


def rate(texts: list[str], model: FramingModel) -> float:
    """Sentences per second of ``iter_predict`` over ``texts``."""
    list(iter_predict(texts[:1000], model))  # warm up caches
    start = time.perf_counter()
    count = sum(1 for _ in iter_predict(texts, model))
    return count / (time.perf_counter() - start)


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
    start = time.perf_counter()
    for _ in nlp.tokenizer.pipe(texts, batch_size=1000):
        pass
    tokenizer_rate = len(texts) / (time.perf_counter() - start)

    chars = hyper_parameters(model.pipeline)["chars"] == "on"
    chars_switch = next(name for name in param_grid(feature_set(model.pipeline)) if name.endswith("__chars"))
    with_chars = clone(model.pipeline).set_params(**{chars_switch: make_char_vectorizer()})
    data = load_labelled("data/labels", args.units)
    with_chars.fit(data.texts, data.labels)

    print(f"texts:                 {len(texts):,} ({len(sentences)} distinct seed sentences, repeated)")
    print(f"spaCy tokenizer alone: {tokenizer_rate:,.0f} sentences/s")
    print(
        f"framing.predict():     {rate(texts, model):,.0f} sentences/s "
        f"(trained model, character n-grams {'on' if chars else 'off'})"
    )
    print(
        f"framing.predict():     {rate(texts, FramingModel(with_chars, model.metadata)):,.0f} sentences/s "
        "(same model with character n-grams on)"
    )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS):     {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
