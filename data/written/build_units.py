"""Build ``data/written/units.jsonl`` from the writers' drafts in ``data/written/drafts/``.

Each draft line is one unit written for training: its text, genre, domain,
kind, the label its writer aimed at (``written_as``, kept for the record and
never used as a label), the codebook boundary it exercises, its contrast pair
and the imagined piece it belongs to. A piece becomes a document
(``written-<piece>``), so grouped splits keep a piece together.

Run from the repository root: ``python data/written/build_units.py``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from framing.corpus.units import Unit, make_unit_id, write_units

HERE = Path(__file__).parent
DRAFT_FIELDS = ("genre", "domain", "boundary", "pair", "written_as", "writer")


def build() -> int:
    """Write the units file; return how many units."""
    pieces: dict[str, list[dict]] = defaultdict(list)
    for draft in sorted((HERE / "drafts").glob("writer-*.jsonl")):
        for line in draft.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                row["writer"] = draft.stem
                pieces[row["piece"]].append(row)
    units = []
    for piece, rows in pieces.items():
        doc_id = f"written-{piece}"
        for position, row in enumerate(rows):
            meta = {
                key: row.get(key) for key in ("genre", "domain", "boundary", "pair", "written_as", "writer")
            }
            units.append(
                Unit(
                    unit_id=make_unit_id(doc_id, row["text"]),
                    doc_id=doc_id,
                    kind=row["kind"],
                    position=position,
                    text=row["text"],
                    meta={"source": "written", **meta},
                )
            )
    return write_units(units, HERE / "units.jsonl")


if __name__ == "__main__":
    print(f"{build()} units written to {HERE / 'units.jsonl'}")
