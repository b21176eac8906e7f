"""Precision and recall of the actor rules on a labelled sample.

The sample is JSON Lines, one unit a line:
``{"id": ..., "text": ..., "actors": [{"start", "end", "text", "role"}, ...]}``
with character offsets (``end`` exclusive) and roles from
``framing.model.actors.ROLES``. Prints strict (exact span and role) and lenient
(overlapping span, same role) mention-level counts, precision, recall and F1
per role and micro-averaged, with 95% bootstrap intervals over units.

Usage: python benchmarks/actor_rules.py --sample FILE [--json scores.json]
       [--actor-patterns FILE [--replace-actor-patterns]] [--resamples 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from framing.errors import FramingError
from framing.experiment.actor_scores import actor_scores, score_table
from framing.files import atomic_write, iter_jsonl
from framing.model.actors import ROLES, find_actors


def read_sample(path: Path) -> tuple[list[str], list[list[dict]], int]:
    """Texts and labelled mentions of a sample; also how many mentions' ``text`` differ from their offsets."""
    texts, gold, mismatched = [], [], 0
    for number, record in iter_jsonl(path):
        text, actors = record.get("text"), record.get("actors")
        if not isinstance(text, str) or not isinstance(actors, list):
            raise FramingError(f"{path}:{number}: needs a text string and an actors list.")
        for actor in actors:
            if not isinstance(actor, dict) or actor.get("role") not in ROLES:
                raise FramingError(f"{path}:{number}: {actor!r} has no role among {', '.join(ROLES)}.")
            start, end = actor.get("start"), actor.get("end")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
                raise FramingError(f"{path}:{number}: {actor!r} has no valid start and end in its text.")
            mismatched += "text" in actor and actor["text"] != text[start:end]
        texts.append(text)
        gold.append(actors)
    return texts, gold, mismatched


def main() -> None:
    """Score the rules on the sample and print (and optionally save) the scores."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, required=True, help="labelled JSON Lines sample")
    parser.add_argument("--json", type=Path, help="also write the scores to this JSON file")
    parser.add_argument("--actor-patterns", type=Path, help="patterns added to the shipped ones")
    parser.add_argument("--replace-actor-patterns", action="store_true", help="use only --actor-patterns")
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples of units")
    parser.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    args = parser.parse_args()
    try:
        texts, gold, mismatched = read_sample(args.sample)
        found = list(find_actors(texts, args.actor_patterns, replace=args.replace_actor_patterns))
    except FramingError as exc:
        sys.exit(f"error: {exc}")
    scores = actor_scores(gold, found, args.resamples, args.seed)
    scores["sample"] = str(args.sample)
    scores["patterns"] = {"file": args.actor_patterns and str(args.actor_patterns)}
    scores["patterns"]["replace"] = args.replace_actor_patterns
    print(score_table(scores))
    if mismatched:
        print(f"warning: {mismatched} labelled mentions' text differs from the text at their offsets")
    if args.json:
        with atomic_write(args.json) as stream:
            json.dump(scores, stream, indent=2)
            stream.write("\n")
        print(f"scores written to {args.json}")


if __name__ == "__main__":
    main()
