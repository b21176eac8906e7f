"""Time and peak memory of `framing profile` on a large corpus: from units, and from a predictions file.

Writes N synthetic units (default 1,000,000): the labelled seed and written
texts in turn, in D documents (default 50,000, so 20 units each), with an
outlet (4 values) and a publication date (24 months) in ``meta``. Then, each
as a fresh process: (a) `framing profile units.jsonl --by outlet --date
published` (predicting every unit), `framing predict` of the same units, and
(b) `framing profile` of those predictions (nothing predicted); with
``--workers``, (a) and (b) again on a local Dask cluster. Peak memory is the
largest sum of the resident memory of the run and its child processes (the
Dask workers), sampled every 0.1 s; CPU time is user + system of the run and
its children. Every profile.json is checked to hold the same groups and
numbers as the single-process profile of the units.

Needs a trained model ($FRAMING_MODEL or models/framing.joblib; one trained
since `framing train` stores its out-of-fold predictions, for the corrected
methods) and, for ``--workers``, the scale extra.

Profiles count actor roles by default (rules on the text); ``--compare-actors``
adds the single-process profiles again with ``--no-actors``, and `framing
predict --actors` with a profile of its output (actors read, not matched), to
show what the actors cost.

Usage: python benchmarks/profile_scale.py [--units 1000000] [--documents 50000] [--workers 2]
[--compare-actors]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from itertools import cycle
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scale_out import FRAMING, measure

from framing.files import iter_jsonl

OUTLETS = ("Mail", "Guardian", "Sun", "Times")


def seed_texts() -> list[str]:
    """The texts of the labelled seed and written sets."""
    texts = []
    for path in (Path("data/labels/gold.jsonl"), Path("data/written/gold.jsonl")):
        texts.extend(record["text"] for _, record in iter_jsonl(path))
    return texts


def write_units(path: Path, count: int, documents: int) -> None:
    """``count`` units in ``documents`` documents, each document with one outlet and one month."""
    texts = cycle(seed_texts())
    per_document = max(1, count // documents)
    with path.open("w", encoding="utf-8") as stream:
        for number in range(count):
            document = min(number // per_document, documents - 1)
            month = document % 24
            meta = {
                "outlet": OUTLETS[(document * 7) % len(OUTLETS)],
                "published": f"{2008 + month // 12}-{month % 12 + 1:02d}-{1 + document % 28:02d}",
            }
            unit = {"unit_id": f"u{number}", "doc_id": f"doc-{document}", "kind": "sentence"}
            stream.write(json.dumps({**unit, "text": next(texts), "meta": meta}, ensure_ascii=False) + "\n")


def numbers(folder: Path) -> list:
    """The groups of a profile.json (sizes and every share, not actors), to compare runs."""
    groups = json.loads((folder / "profile.json").read_text(encoding="utf-8"))["groups"]
    return [{k: v for k, v in group.items() if k != "actors"} for group in groups]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000, help="units to profile")
    parser.add_argument("--documents", type=int, default=50_000, help="documents they belong to")
    parser.add_argument("--workers", type=int, nargs="*", default=[], help="local Dask worker counts")
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap replicates")
    parser.add_argument("--compare-actors", action="store_true", help="also profile with --no-actors")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores; load average before the runs: {os.getloadavg()[0]:.1f}")
    grouping = ["--by", "outlet", "--date", "published", "--resamples", str(args.resamples), "-q"]
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        units, predictions = folder / "units.jsonl", folder / "predictions.jsonl"
        write_units(units, args.units, args.documents)
        print(f"{args.units:,} units in {args.documents:,} documents, {units.stat().st_size / 2**20:.0f} MiB")
        runs = [
            ("profile, from units (predicting)", [*FRAMING, "profile", str(units), "-o", str(folder / "a")]),
            ("predict (for comparison)", [*FRAMING, "predict", str(units), "-o", str(predictions)]),
            ("profile, from predictions", [*FRAMING, "profile", str(predictions), "-o", str(folder / "b")]),
        ]
        if args.compare_actors:
            for name, source in (("units", units), ("predictions", predictions)):
                output = str(folder / f"{name}-no-actors")
                runs.append(
                    (f"profile, from {name}, --no-actors", [*FRAMING, "profile", str(source), "-o", output])
                )
            with_actors = folder / "predictions-actors.jsonl"
            runs.append(
                ("predict --actors", [*FRAMING, "predict", str(units), "-o", str(with_actors), "--actors"])
            )
            runs.append(
                (
                    "profile, from predictions with actors",
                    [*FRAMING, "profile", str(with_actors), "-o", str(folder / "with-actors")],
                )
            )
        for count in args.workers:
            workers = ["--workers", str(count)]
            for name, source in (("units", units), ("predictions", predictions)):
                output = str(folder / f"{name}-{count}")
                runs.append(
                    (
                        f"profile, from {name}, --workers {count}",
                        [*FRAMING, "profile", str(source), "-o", output, *workers],
                    )
                )
        print(f"{'run':<44} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'units/s':>9}")
        for name, command in runs:
            profile = command[len(FRAMING)] == "profile"
            no_actors = ["--no-actors"] if "--no-actors" in name else []
            wall, cpu, peak = measure([*command, *(grouping if profile else []), *no_actors])
            print(f"{name:<44} {wall:8.1f} {cpu:8.1f} {peak:9d} {args.units / wall:9,.0f}", flush=True)
            if profile and numbers(Path(command[len(FRAMING) + 3])) != numbers(folder / "a"):
                raise SystemExit(f"{name}: the profile differs from the single-process profile of the units")
        groups = numbers(folder / "a")
        print(f"every profile holds the same {len(groups)} groups and numbers")


if __name__ == "__main__":
    main()
