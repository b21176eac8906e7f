"""The report's figures, drawn from ``metrics.json`` as PNG files.

Each figure is a bare :class:`matplotlib.figure.Figure` rendered by the Agg
canvas: no display, no pyplot state, safe in tests and servers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from framing.codebook import LABELS
from framing.experiment.metrics import SYSTEMS

COLOURS = {"model": "#1f5fa8", "lexicon": "#d9822b", "majority": "#8a8a8a"}
LABEL_COLOURS = ("#c0392b", "#1f5fa8", "#2e8b57", "#8a8a8a")
"""One colour per label, in ``LABELS`` order."""
DPI = 110


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return path


def confusion_figure(matrix: list[list[int]], path: Path) -> Path:
    """Counts and row-normalised proportions (rows gold, columns predicted), side by side."""
    counts = np.asarray(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    figure = Figure(figsize=(11, 4.6), layout="constrained")
    for ax, values, fmt, title in zip(
        figure.subplots(1, 2),
        (counts, rows),
        ("d", ".2f"),
        ("Counts", "Row-normalised (recall on the diagonal)"),
        strict=True,
    ):
        ConfusionMatrixDisplay(values, display_labels=list(LABELS)).plot(
            ax=ax, values_format=fmt, colorbar=False, cmap="Blues", xticks_rotation=25
        )
        ax.set(title=title, xlabel="predicted", ylabel="gold")
    return _save(figure, path)


def f1_figure(systems: dict[str, Any], path: Path) -> Path:
    """Per-label and macro F1 of each system with 95% intervals."""
    rows = [*LABELS, "macro-F1"]
    figure = Figure(figsize=(8, 0.75 * len(rows) + 1), layout="constrained")
    ax = figure.subplots()
    offsets = np.linspace(-0.22, 0.22, len(systems))
    for offset, (name, report) in zip(offsets, systems.items(), strict=True):
        estimates = [report["per_label"][label]["f1"] for label in LABELS] + [report["scores"]["macro_f1"]]
        y = np.arange(len(rows)) + offset
        value = np.array([e["value"] if e["value"] is not None else np.nan for e in estimates])
        low = np.array([e["low"] if e["low"] is not None else np.nan for e in estimates])
        high = np.array([e["high"] if e["high"] is not None else np.nan for e in estimates])
        error = np.nan_to_num(np.vstack([value - low, high - value]))
        ax.errorbar(
            value, y, xerr=error, fmt="o", capsize=3, color=COLOURS.get(name), label=SYSTEMS.get(name, name)
        )
    ax.set_yticks(np.arange(len(rows)), rows)
    ax.invert_yaxis()
    ax.set(xlim=(0, 1), xlabel="F1 (95% document-bootstrap interval)", title="F1 per label")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return _save(figure, path)


def learning_curve_figure(curve: dict[str, Any], path: Path) -> Path:
    """Mean of per-fold macro-F1 against the number of training labels, one faint line per seed."""
    points = curve["points"]
    x = np.array([p["training_labels"] for p in points])
    mean = np.array([p["macro_f1"] for p in points])
    figure = Figure(figsize=(7, 4.2), layout="constrained")
    ax = figure.subplots()
    ax.fill_between(
        x,
        [p["low"] for p in points],
        [p["high"] for p in points],
        color=COLOURS["model"],
        alpha=0.15,
        label="95% t interval (seeds × folds)",
    )
    for s in range(curve["seeds"]):
        seed_line = [p["per_seed"][s] if s < len(p["per_seed"]) else p["per_seed"][0] for p in points]
        ax.plot(x, seed_line, color=COLOURS["model"], alpha=0.3, lw=1, label="one seed" if s == 0 else None)
    ax.plot(x, mean, "o-", color=COLOURS["model"], lw=2, label="framing model (mean)")
    for name, value in curve["baselines"].items():
        ax.axhline(value, ls="--", color=COLOURS.get(name), label=SYSTEMS.get(name, name))
    ax.set(
        xlabel="training labels",
        ylabel="mean of per-fold macro-F1",
        ylim=(0, 1),
        title="Would more labels help?",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return _save(figure, path)


def precision_recall_figure(curves: dict[str, Any], path: Path) -> Path:
    """A precision-recall curve per label (one against the rest), with average precision and chance level."""
    figure = Figure(figsize=(7, 5), layout="constrained")
    ax = figure.subplots()
    for colour, (label, curve) in zip(LABEL_COLOURS, curves.items(), strict=False):
        ax.step(
            curve["recall"],
            curve["precision"],
            where="post",
            color=colour,
            label=f"{label} (AP {curve['average_precision']:.2f})",
        )
        ax.axhline(curve["prevalence"], ls=":", lw=1, color=colour)
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        xlabel="recall",
        ylabel="precision",
        title="Precision-recall per label (dotted: chance, the label's share)",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize="small")
    return _save(figure, path)


def reliability_figure(calibration: dict[str, Any], path: Path) -> Path:
    """Accuracy against confidence per bin, with the number of predictions per bin below."""
    bins = calibration["bins"]
    centres = np.array([(b["lower"] + b["upper"]) / 2 for b in bins])
    width = bins[0]["upper"] - bins[0]["lower"]
    filled = [b["count"] > 0 for b in bins]
    figure = Figure(figsize=(6, 6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    top.plot([0, 1], [0, 1], ls="--", color="#555555", label="perfect calibration")
    top.bar(
        centres[filled],
        [b["accuracy"] for b, f in zip(bins, filled, strict=True) if f],
        width=width * 0.9,
        color=COLOURS["model"],
        alpha=0.8,
        label="accuracy in bin",
    )
    top.plot(
        [b["confidence"] for b, f in zip(bins, filled, strict=True) if f],
        [b["accuracy"] for b, f in zip(bins, filled, strict=True) if f],
        "o",
        color="#111111",
        ms=4,
        label="(mean confidence, accuracy)",
    )
    ece = calibration["ece"]
    top.set(
        ylim=(0, 1),
        ylabel="accuracy",
        title=f"Reliability: ECE {ece['value']:.2f} (95% interval {ece['low']:.2f} to {ece['high']:.2f})",
    )
    top.legend(loc="upper left", fontsize="small")
    bottom.bar(centres, [b["count"] for b in bins], width=width * 0.9, color="#999999")
    bottom.set(xlim=(0, 1), xlabel="confidence (probability of the predicted label)", ylabel="units")
    return _save(figure, path)


def draw_figures(metrics: dict[str, Any], directory: Path) -> dict[str, Path]:
    """Every figure of the report, as ``{"<protocol>-<figure>": path}`` under ``directory/figures``."""
    folder = Path(directory) / "figures"
    paths = {}
    for key, protocol in metrics["protocols"].items():
        model = protocol["systems"]["model"]
        paths[f"{key}-confusion"] = confusion_figure(
            model["confusion_matrix"], folder / f"{key}-confusion.png"
        )
        paths[f"{key}-f1"] = f1_figure(protocol["systems"], folder / f"{key}-f1.png")
        paths[f"{key}-precision-recall"] = precision_recall_figure(
            protocol["precision_recall"], folder / f"{key}-precision-recall.png"
        )
        paths[f"{key}-reliability"] = reliability_figure(
            protocol["calibration"], folder / f"{key}-reliability.png"
        )
        if "learning_curve" in protocol:
            paths[f"{key}-learning-curve"] = learning_curve_figure(
                protocol["learning_curve"], folder / f"{key}-learning-curve.png"
            )
    return paths
