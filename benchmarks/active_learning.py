"""Active learning on the gold labels: macro-F1 against labels spent, random vs uncertainty order.

For each seed, one of three folds of documents (stratified, grouped by
document; seed 0 holds out the first fold, seed 1 the second, ...) is held out
as the test set; the labelling of the rest is simulated. The random
order is the app's seeded order; the uncertainty order is the app's mixed
strategy (``framing.app.stream``): after every ``--every`` labels a model is
retrained on the labels so far and the next unit is the most uncertain one,
except for a share ``--fraction`` of random picks. At every retraining the
model is scored on the held-out documents. The simulation retrains at once,
where the app retrains in the background and may lag by a few labels.

Writes the table to reports/active_learning.md and prints it.

Usage: python benchmarks/active_learning.py [--seeds 10] [--every 10] [--fraction 0.2] [--jobs 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedGroupKFold

from framing.app.stream import (
    POOL_SIZE,
    fit_model,
    is_random_pick,
    margin_uncertainty,
    pick_next,
    seeded_order,
)
from framing.labels.dataset import LabelledData, load_labelled


def macro_f1(model, texts: list[str], labels: list[str]) -> float:
    """Macro-F1 over the labels present in the test set; NaN while there is no model yet."""
    if model is None:
        return float("nan")
    return float(f1_score(labels, model.predict(texts), labels=sorted(set(labels)), average="macro"))


def simulate(data: LabelledData, seed: int, every: int, fraction: float) -> dict[str, dict[int, float]]:
    """Macro-F1 at every ``every`` labels for both orders, on one grouped train/test split."""
    folds = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=seed)
    train, test = list(folds.split(data.texts, data.labels, groups=data.groups))[seed % 3]
    test_texts = [data.texts[i] for i in test]
    test_labels = [data.labels[i] for i in test]
    text = {data.unit_ids[i]: data.texts[i] for i in train}
    gold = {data.unit_ids[i]: data.labels[i] for i in train}
    order = seeded_order(sorted(text), seed)
    checkpoints = [*range(every, len(order), every), len(order)]

    def fit(labelled: list[str]):
        return fit_model([text[u] for u in labelled], [gold[u] for u in labelled], seed)

    curves: dict[str, dict[int, float]] = {"random": {}, "uncertainty": {}}
    for k in checkpoints:
        curves["random"][k] = macro_f1(fit(order[:k]), test_texts, test_labels)

    labelled: list[str] = []
    done: set[str] = set()
    scores: dict[str, float] = {}
    while len(labelled) < len(order):
        explore = is_random_pick(seed, len(labelled), fraction)
        unit = pick_next(order, done, scores=scores, explore=explore)
        labelled.append(unit)
        done.add(unit)
        if len(labelled) in checkpoints:
            model = fit(labelled)
            curves["uncertainty"][len(labelled)] = macro_f1(model, test_texts, test_labels)
            pool = [u for u in order if u not in done][:POOL_SIZE]
            scores = {}
            if model is not None and pool:
                uncertainty = margin_uncertainty(model.predict_proba([text[u] for u in pool]))
                scores = dict(zip(pool, uncertainty.tolist(), strict=True))
    return curves


def table(runs: list[dict[str, dict[int, float]]], shown: list[int]) -> list[str]:
    """Markdown rows: mean ± standard deviation of macro-F1 at each label count, then with every label."""
    rows = ["| labels | random | uncertainty (mixed) | difference |", "|---:|---:|---:|---:|"]
    for k in [*shown, 0]:
        at = [max(run["random"]) if k == 0 else k for run in runs]
        random_scores = np.array([run["random"][n] for run, n in zip(runs, at, strict=True)])
        mixed_scores = np.array([run["uncertainty"][n] for run, n in zip(runs, at, strict=True)])
        if np.isnan(random_scores).any() or np.isnan(mixed_scores).any():
            continue
        diff = mixed_scores - random_scores
        cells = [f"{scores.mean():.3f} ± {scores.std():.3f}" for scores in (random_scores, mixed_scores)]
        rows.append(f"| {k or 'all'} | {' | '.join(cells)} | {diff.mean():+.3f} ± {diff.std():.3f} |")
    return rows


def main() -> None:
    """Run the simulation for several seeds and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels-dir", default="data/labels", help="gold.jsonl, else the agreed labels")
    parser.add_argument("--units", default="data/units.jsonl", help="units file, for the documents")
    parser.add_argument("--seeds", type=int, default=10, help="number of seeds (splits and orders)")
    parser.add_argument("--every", type=int, default=10, help="retrain and score every this many labels")
    parser.add_argument("--fraction", type=float, default=0.2, help="share of random picks")
    parser.add_argument("--jobs", type=int, default=2, help="seeds simulated in parallel")
    parser.add_argument("--output", default="reports/active_learning.md", help="Markdown report to write")
    args = parser.parse_args()

    start = time.perf_counter()
    data = load_labelled(args.labels_dir, args.units)
    runs = Parallel(n_jobs=args.jobs)(
        delayed(simulate)(data, seed, args.every, args.fraction) for seed in range(args.seeds)
    )
    pool_sizes = sorted({max(run["random"]) for run in runs})
    common = [k for k in sorted(set.intersection(*(set(run["random"]) for run in runs))) if k < pool_sizes[0]]
    shown = [k for k in common if k <= 100 or k % 50 == 0]
    mean_gap = np.nanmean([run["uncertainty"][k] - run["random"][k] for run in runs for k in common])
    lines = [
        "# Active learning: random vs uncertainty order",
        "",
        f"Labels: {data.source}; {len(data)} units in {len(set(data.groups))} documents. "
        f"{args.seeds} seeds; each holds out one of three folds of documents in turn (stratified, grouped by "
        "document) "
        f"and simulates labelling the rest ({', '.join(map(str, pool_sizes))} units). Uncertainty order: "
        f"retrain every {args.every} labels, next = smallest margin between the two most probable labels, "
        f"{args.fraction:.0%} random picks. Scores: macro-F1 on the held-out documents over the labels "
        "present there, mean ± standard deviation over seeds; the difference is paired by seed. Rows "
        "before a model can be fitted (3 examples of 2 labels) are left out.",
        "",
        *table(runs, shown),
        "",
        f"Mean difference (uncertainty - random) over the label counts before the pool is exhausted: "
        f"{mean_gap:+.3f}. Run time {time.perf_counter() - start:.0f} s.",
        "",
    ]
    text = "\n".join(lines)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
