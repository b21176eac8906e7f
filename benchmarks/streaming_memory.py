"""Peak memory of `framing predict` on files of growing size: streaming keeps it flat.

Writes the seed sentences repeated to each size (default 50,000 and 400,000
lines) into a temporary file, runs `framing predict FILE -o OUT` in a fresh
process for each, and prints the process's peak resident memory and its rate.

Usage: python benchmarks/streaming_memory.py [--sizes 50000 400000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from framing.corpus.units import read_units

# The child reports VmHWM, the peak of its own memory map: getrusage's ru_maxrss
# would also count the parent's memory at fork time.
CHILD = """
import sys
from framing.cli import app
try:
    app(["predict", *sys.argv[1:]])
except SystemExit as exit:
    if exit.code:
        raise
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmHWM")))
"""


def measure_predict(source: Path, output: Path, *options: str) -> tuple[float, int, int]:
    """Run `framing predict SOURCE -o OUTPUT [options]` in a child process.

    Returns the wall time in seconds, the predictions written, and the child's peak memory (VmHWM) in MiB.
    """
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), "-o", str(output), *options],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    lines = sum(1 for _ in output.open(encoding="utf-8"))
    return seconds, lines, int(result.stdout.split()[-1])


def main() -> None:
    """Run `framing predict` at each size and print peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[50_000, 400_000], help="lines per input file"
    )
    parser.add_argument("--units", default="data/units.jsonl", help="units file from `framing ingest`")
    args = parser.parse_args()
    sentences = [u.text for u in read_units(args.units) if u.kind == "sentence"]
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            source, output = Path(folder, "in.txt"), Path(folder, "out.jsonl")
            with source.open("w", encoding="utf-8") as stream:
                stream.writelines(f"{text}\n" for text in islice(cycle(sentences), size))
            seconds, lines, peak_mib = measure_predict(source, output)
            print(
                f"{size:>9,} lines in, {lines:>9,} predictions out: peak memory {peak_mib:>4} MiB, "
                f"{size / seconds:,.0f} lines/s including start-up"
            )


if __name__ == "__main__":
    main()
