"""Throughput of the actor rules (``framing.model.actors.find_actors``) on one core.

Repeats the texts of a units file (default: the written training corpus) to N
texts (default 200,000) and finds the actors in each, with the shipped
patterns; prints texts per second, spaCy's blank tokenizer alone for
comparison, and the peak resident memory.

Usage: python benchmarks/actor_throughput.py [--n 200000] [--units data/written/units.jsonl]
"""

from __future__ import annotations

import argparse
import resource
import time
from itertools import cycle, islice

import spacy

from framing.files import iter_jsonl
from framing.model.actors import find_actors


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="number of texts")
    parser.add_argument("--units", default="data/written/units.jsonl", help="JSON Lines with a text field")
    parser.add_argument("--batch-size", type=int, default=1000, help="texts per nlp.pipe batch")
    args = parser.parse_args()

    pool = [record["text"] for _, record in iter_jsonl(args.units)]
    texts = list(islice(cycle(pool), args.n))
    words = sum(len(text.split()) for text in texts) / len(texts)

    tokenizer = spacy.blank("en").tokenizer
    start = time.perf_counter()
    for _ in tokenizer.pipe(texts, batch_size=args.batch_size):
        pass
    tokenizer_rate = len(texts) / (time.perf_counter() - start)

    list(find_actors(texts[:1000]))  # build the pipeline and warm its caches
    start = time.perf_counter()
    mentions = sum(len(actors) for actors in find_actors(texts, batch_size=args.batch_size))
    seconds = time.perf_counter() - start

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(texts):,} texts ({len(pool):,} distinct, {words:.1f} words each on average)")
    print(f"find_actors: {len(texts) / seconds:,.0f} texts/s ({seconds:.1f} s, {mentions:,} mentions)")
    print(f"blank tokenizer alone: {tokenizer_rate:,.0f} texts/s")
    print(f"peak memory: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
