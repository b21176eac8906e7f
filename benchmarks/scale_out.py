"""Scale-out on Dask against the single process: prediction and ingest throughput and peak memory.

Prediction: the seed sentences repeated to N units (default 1,000,000) in a
JSON Lines file, labelled by `framing predict` in one process, then with
`--workers 1` and `--workers 2` (a local Dask cluster on 127.0.0.1). Ingest:
D generated documents (default 10,000 text files of a heading and three
paragraphs) through `framing ingest`, the same three ways. Each run is a fresh
`framing` process; its peak memory is the largest sum of the resident memory
of it and all its child processes (the Dask workers), sampled every 0.1 s.
Every run's parts, concatenated, are checked byte for byte against the
single-process output. A run on 1,000 units gives the fixed start-up cost.
CPU time (user + system, of the run and all its child processes) shows the
cost of the work on a machine shared with other jobs, where wall time does not.

Needs the scale extra (`pip install 'framing[scale]'`) and a trained model.

Usage: python benchmarks/scale_out.py [--units 1000000] [--documents 10000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

import psutil

from framing.corpus.units import read_units

FRAMING = [sys.executable, "-m", "framing.cli"]


def cpu_seconds() -> float:
    """User and system time of this process's finished children and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(command: list[str]) -> tuple[float, float, int]:
    """Run ``command``; return its wall time, CPU time and the peak RSS (MiB) of it and its children."""
    cpu = cpu_seconds()
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):  # a process may end between listing and reading
            for member in [watched, *watched.children(recursive=True)]:
                total += member.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read()}")
    return seconds, cpu_seconds() - cpu, peak // 2**20


def digest(path: Path) -> str:
    """sha256 of a file, or of a folder's part files concatenated in name order."""
    files = sorted(path.glob("part-*.jsonl")) if path.is_dir() else [path]
    hasher = hashlib.sha256()
    for file in files:
        with file.open("rb") as stream:
            while block := stream.read(1 << 20):
                hasher.update(block)
    return hasher.hexdigest()


def run_three_ways(step: str, source: Path, folder: Path, workers: list[int]):
    """Yield (name, (wall s, CPU s, peak MiB)) for one process and each worker count; check the outputs."""
    single = folder / "single.jsonl"
    yield "single process", measure([*FRAMING, step, str(source), "-o", str(single)])
    expected = digest(single)
    for count in workers:
        parts = folder / f"workers-{count}"
        figures = measure([*FRAMING, step, str(source), "-o", str(parts), "--workers", str(count)])
        if digest(parts) != expected:
            raise SystemExit(f"--workers {count}: the parts differ from the single-process output")
        yield f"--workers {count}", figures


def write_units(path: Path, sentences: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8") as stream:
        for number, text in enumerate(islice(cycle(sentences), count)):
            stream.write(json.dumps({"unit_id": f"u{number}", "text": text}, ensure_ascii=False) + "\n")


def write_documents(folder: Path, sentences: list[str], count: int) -> None:
    """``count`` text files: a heading and three paragraphs of 3-5 seed sentences each."""
    folder.mkdir()
    source = cycle(sentences)
    for number in range(count):
        paragraphs = [" ".join(islice(source, 3 + (number + i) % 3)) for i in range(3)]
        text = f"Report {number} on the review\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"doc-{number:05d}.txt").write_text(text, encoding="utf-8")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000, help="units to predict")
    parser.add_argument("--documents", type=int, default=10_000, help="documents to ingest")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local Dask worker counts")
    parser.add_argument("--seed-units", default="data/units.jsonl", help="units file from `framing ingest`")
    args = parser.parse_args()
    sentences = [u.text for u in read_units(args.seed_units) if u.kind == "sentence"]
    print(f"{os.cpu_count()} cores; load average before the runs: {os.getloadavg()[0]:.1f}")

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        for units in (1_000, args.units):
            source = folder / f"units-{units}.jsonl"
            write_units(source, sentences, units)
            runs = folder / f"predict-{units}"
            runs.mkdir()
            print(f"\nframing predict, {units:,} units ({len(sentences)} distinct seed sentences, repeated):")
            for name, (seconds, cpu, peak) in run_three_ways("predict", source, runs, args.workers):
                print(
                    f"  {name:<15} {seconds:6.1f} s {units / seconds:>7,.0f} units/s  "
                    f"CPU {cpu:6.1f} s {units / cpu:>7,.0f} units/CPU-s  peak memory {peak:>5,} MiB"
                )

        documents = folder / "documents"
        write_documents(documents, sentences, args.documents)
        runs = folder / "ingest"
        runs.mkdir()
        produced = None
        print(f"\nframing ingest, {args.documents:,} documents (one text file each):")
        for name, (seconds, cpu, peak) in run_three_ways("ingest", documents, runs, args.workers):
            if produced is None:
                produced = sum(1 for _ in (runs / "single.jsonl").open(encoding="utf-8"))
            print(
                f"  {name:<15} {seconds:6.1f} s {args.documents / seconds:>5,.0f} documents/s "
                f"{produced / seconds:>6,.0f} units/s  CPU {cpu:5.1f} s  peak memory {peak:>5,} MiB"
            )
        print(f"  ({produced:,} units; every run's parts equal the single-process output)")
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
