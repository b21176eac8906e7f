"""Peak memory of `framing predict` on text whose vocabulary keeps growing.

Each input line holds four words never seen before (so 100,000 lines bring
400,000 new words), the worst case for every per-word structure: spaCy's
StringStore, its tokenizer cache and lexemes, the lemma and n-gram caches.
For each size (default 100,000, 1,000,000 and 2,000,000 lines) it runs
`framing predict FILE -o OUT` in a fresh process and prints the peak
resident memory that process reports (VmHWM) and its rate.

Usage: python benchmarks/vocabulary_memory.py [--sizes 100000 1000000 2000000] [--model PATH]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from streaming_memory import measure_predict

# The child reports VmHWM, the peak of its own memory map: getrusage's ru_maxrss
# would also count the parent's memory at fork time.
_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def new_word(number: int) -> str:
    """A distinct letters-only word for each ``number`` (its hexadecimal digits, as letters)."""
    return f"{number:x}".translate(_LETTERS)


def write_input(path: Path, lines: int) -> None:
    """``lines`` sentences, each with four words that occur nowhere else in the file."""
    with path.open("w", encoding="utf-8") as stream:
        for i in range(lines):
            a, b, c, d = (new_word(4 * i + k + 0x10000) for k in range(4))
            stream.write(f"The council blamed {a} and {b} for the {c} {d} failures.\n")


def main() -> None:
    """Run `framing predict` at each size and print its peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 2_000_000], help="lines per input"
    )
    parser.add_argument("--model", default=None, help="model file (default: $FRAMING_MODEL or models/)")
    args = parser.parse_args()
    model = ["--model", args.model] if args.model else []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            source, output = Path(folder, "in.txt"), Path(folder, "out.jsonl")
            write_input(source, size)
            seconds, lines, peak_mib = measure_predict(source, output, *model)
            print(
                f"{size:>9,} lines ({4 * size:>9,} distinct new words), {lines:>9,} predictions: "
                f"peak memory {peak_mib:>5,} MiB, {size / seconds:,.0f} lines/s including start-up",
                flush=True,
            )


if __name__ == "__main__":
    main()
