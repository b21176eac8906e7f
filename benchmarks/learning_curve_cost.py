"""Time of the evaluation's learning curve on the real labels (a smaller setting than `make evaluate`).

Every outer fold refits the given model's configuration (no model selection,
so the curve alone is timed), with the written corpus in every training fold
as in `make evaluate`. Compare two versions of the code by running the script
with each on PYTHONPATH.

Usage: python benchmarks/learning_curve_cost.py [--model models/framing.joblib] [--seeds 1] [--jobs 1]
"""

from __future__ import annotations

import argparse
import inspect
import time

from framing.experiment.analysis import learning_curve
from framing.experiment.protocols import outer_splits
from framing.labels.dataset import LabelledData, load_training_sets
from framing.model.predict import load_model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/framing.joblib")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    model = load_model(args.model)
    data, extras = load_training_sets("data/labels", None, ["data/written"])
    extra = LabelledData.concat(extras)
    folds = outer_splits(data)
    first = next(iter(inspect.signature(learning_curve).parameters))
    pipeline = [model.pipeline] * len(folds) if first == "pipelines" else model.pipeline
    start = time.perf_counter()
    curve = learning_curve(pipeline, data, folds, {}, extra, n_seeds=args.seeds, n_jobs=args.jobs)
    seconds = time.perf_counter() - start
    fits = sum(len(folds) * (1 if p["fraction"] >= 1 else args.seeds) for p in curve["points"])
    print(f"learning curve: {fits} fits, {args.seeds} seed(s), {args.jobs} job(s): {seconds:.0f} s")
    for p in curve["points"]:
        print(f"  {p['fraction']:.0%}: {p['training_labels']:.0f} labels, macro-F1 {p['macro_f1']:.3f}")


if __name__ == "__main__":
    main()
