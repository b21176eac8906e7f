"""The report's prose that is derived from numbers: the model card and the reading of the learning curve."""

from __future__ import annotations

from typing import Any

import numpy as np

from framing.codebook import CODEBOOK_VERSION, DEFINITIONS, LABELS
from framing.report.text import estimate_text


def read_learning_curve(points: list[dict[str, Any]], weakest: str) -> str:
    """A plain statement of what the learning curve suggests about more labels.

    Gains are paired by outer fold (the same held-out documents) and called
    clear when they exceed twice their standard error. ``weakest`` names the
    label with the lowest F1, where new labels are most needed.
    """
    first, before, last = (np.array(p["per_fold"]) for p in (points[0], points[-2], points[-1]))

    def gain(start: np.ndarray) -> tuple[float, float]:
        differences = last - start
        return float(differences.mean()), float(2 * differences.std(ddof=1) / np.sqrt(len(differences)))

    (total, total_margin), (recent, recent_margin) = gain(first), gain(before)
    trend = (
        "The mean of per-fold macro-F1 on held-out documents went from "
        f"{points[0]['macro_f1']:.2f} with about "
        f"{points[0]['training_labels']:.0f} training labels to {points[-1]['macro_f1']:.2f} with "
        f"{points[-1]['training_labels']:.0f}: a gain of {total:+.2f} (± {total_margin:.2f}, two standard "
        f"errors over the folds), of which the last step brought {recent:+.2f} (± {recent_margin:.2f})."
    )
    if recent > max(0.01, recent_margin):
        verdict = "The curve is still rising at the full training set: more labels are likely to help."
    elif total > total_margin:
        verdict = (
            "The curve rose but flattens at the end: more labels of the same kind should help a little; "
            f"more examples of the weakest label, {weakest}, are likely to help more."
        )
    else:
        verdict = (
            "No clear gain: the differences are within the fold-to-fold noise, so more labels of the same "
            f"kind are unlikely to help much on their own; more examples of the weakest label, {weakest}, "
            "clearer guidelines or better features are more promising."
        )
    return f"{trend} {verdict}"


def features_limit(model: dict[str, Any]) -> str:
    """What the features rest on: spaCy lemmas for n-grams, a pretrained English model for embeddings."""
    features = model.get("features", "ngrams")
    parts = []
    if "ngrams" in features:
        parts.append(f"n-grams of lemmas from the spaCy pipeline '{model.get('spacy_model')}'")
    if "static" in features or "minilm" in features:
        parts.append("sentence embeddings from all-MiniLM-L6-v2, pretrained on general English web text")
    return f"English only; feature set '{features}': {' and '.join(parts)}."


def model_card(metrics: dict[str, Any]) -> dict[str, Any]:
    """Intended use, training data, label set, codebook version and limits, with numbers from the metrics."""
    metadata, data, cv = metrics["model"], metrics["data"], metrics["protocols"]["cv"]
    per_label = cv["systems"]["model"]["per_label"]
    support = {label: per_label[label]["support"] for label in LABELS}
    rare = [label for label in LABELS if support[label] < 30]
    limits = [
        f"Small training set: {data['units']} units from {data['documents']} documents, so every number "
        "in this report has a wide interval; compare systems by their paired differences, not by whether "
        "their intervals overlap.",
        *(
            f"'{label}' has only {support[label]} labelled units: its F1, "
            f"{estimate_text(per_label[label]['f1'])}, rests on few examples, and its predictions "
            "should be checked by hand."
            for label in rare
        ),
        "The documents come from one corpus and topic; performance on other topics, outlets, periods or "
        "registers is unknown until measured with `framing evaluate --test FILE`.",
        "Units are labelled one at a time with one primary frame; the model does not see neighbouring "
        "sentences, mixed frames, irony or who holds the frame.",
        features_limit(metadata),
        f"Probabilities are temperature-scaled; the expected calibration error under cross-validation is "
        f"{estimate_text(cv['calibration']['ece'])}.",
    ]
    return {
        "intended_use": (
            "Estimating how often responsibility is framed as individual blame, systemic failure or "
            "resources in a corpus of the same kind of public discourse, and finding units to read: "
            "aggregate shares, comparisons between sources or periods, with the error rates below in mind."
        ),
        "not_intended_for": (
            "Decisions about individual people, texts or authors; corpora unlike the training documents "
            "without first checking it on a labelled sample of them (framing evaluate --test FILE)."
        ),
        "label_set": dict(DEFINITIONS),
        "codebook_version": metadata.get("codebook_version", CODEBOOK_VERSION),
        "training_data": metadata["training"],
        "limits": limits,
    }
