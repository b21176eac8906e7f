"""What the evaluation report says: its sections, tables and prose, built from ``metrics.json``.

The report is built once as a list of sections made of a few block types
(:mod:`framing.report.blocks`), then rendered by :mod:`framing.report.markdown`
and :mod:`framing.report.html`.
"""

from __future__ import annotations

from typing import Any

from framing.codebook import LABELS
from framing.experiment.metrics import HEADLINE, SYSTEMS
from framing.report.blocks import Block, Image, Items, Note, Section, Table
from framing.report.card import model_card, read_learning_curve
from framing.report.text import estimate_text, verdict

SCORE_SYSTEMS = {"accuracy": "accuracy", "macro_f1": "macro-F1", "kappa": "Cohen's kappa"}
MAX_DOCUMENTS = 30
EXPLANATION = (
    "The model's score (logit) of the predicted label minus that of the other label is split exactly into "
    "contributions: each feature's value in the unit times the difference of its two coefficients (positive "
    "pushes towards the prediction), plus the difference of the two intercepts. The largest contributions "
    "each way are listed, with the rest summed as 'other features'; character n-grams and embedding "
    "dimensions count as one entry each; features contributing less than 0.005 are not listed."
)


def headline_table(protocol: dict[str, Any], compact: bool = False) -> Table:
    """Model and baselines in one table: accuracy, macro-F1 and kappa with 95% intervals."""
    rows = [
        [SYSTEMS[name], *(estimate_text(report["scores"][score], compact=compact) for score in HEADLINE)]
        for name, report in protocol["systems"].items()
    ]
    return Table(["system", *(SCORE_SYSTEMS[s] for s in HEADLINE)], rows, numeric=(1, 2, 3))


def difference_table(protocol: dict[str, Any]) -> Table:
    """The model's headline scores minus each baseline's, on the same document resamples."""
    rows = [
        [f"model − {SYSTEMS[name]}", *(estimate_text(diff[score], "+") for score in HEADLINE)]
        for name, diff in protocol["model_minus"].items()
    ]
    return Table(["difference", *(SCORE_SYSTEMS[s] for s in HEADLINE)], rows, numeric=(1, 2, 3))


def per_label_table(protocol: dict[str, Any]) -> Table:
    """Precision, recall and F1 per label for every system, with the gold support."""
    rows = []
    for label in LABELS:
        for name, report in protocol["systems"].items():
            row = report["per_label"][label]
            rows.append(
                [
                    label,
                    SYSTEMS[name],
                    *(estimate_text(row[m]) for m in ("precision", "recall", "f1")),
                    str(row["support"]),
                ]
            )
    return Table(["label", "system", "precision", "recall", "F1", "support"], rows, numeric=(2, 3, 4, 5))


def confusion_table(matrix: list[list[int]]) -> Table:
    """Counts, rows gold and columns predicted."""
    rows = [[f"gold {label}", *(str(v) for v in row)] for label, row in zip(LABELS, matrix, strict=True)]
    return Table(["", *(f"predicted {label}" for label in LABELS)], rows, numeric=(1, 2, 3, 4))


def feature_text(feature: dict[str, Any], key: str = "weight") -> str:
    """A word n-gram in quotes (``"social worker" +0.42``), other features named with their part."""
    part, name = feature["part"], feature["feature"]
    if part == "words":
        name = f'"{name}"'
    elif not name.startswith(part):
        name = f"{part}: {name}"
    return f"{name} {feature[key]:+.2f}"


def features_text(features: list[dict[str, Any]], key: str = "weight", separator: str = "; ") -> str:
    """Features joined by ``separator``, or a dash."""
    return separator.join(feature_text(f, key) for f in features) or "–"


def explanation_text(explanation: dict[str, Any]) -> str:
    """What separates the predicted label from the other one, as contributions to their logit difference."""
    parts = [
        f"for: {features_text(explanation['for'], 'contribution', ', ')}",
        f"against: {features_text(explanation['against'], 'contribution', ', ')}",
        f"intercept {explanation['intercept']:+.2f}",
    ]
    if round(explanation["rest"], 2):
        parts.append(f"other features {explanation['rest']:+.2f}")
    parts.append(f"logit difference {explanation['logit_difference']:+.2f}")
    return f"vs {explanation['versus']}: " + " · ".join(parts)


def examples_table(examples: list[dict[str, Any]], versus: str) -> Table | str:
    """Units with gold and predicted label, confidence, and what separates the prediction from ``versus``."""
    if not examples:
        return "None."
    rows = [
        [
            e["text"],
            e["gold"],
            e["predicted"],
            f"{e['confidence']:.2f}",
            f"{e['kind']} in {e['doc_id']}",
            explanation_text(e["explanation"]),
        ]
        for e in examples
    ]
    return Table(
        ["text", "gold", "predicted", "confidence", "unit", f"predicted rather than {versus}: why"],
        rows,
        (3,),
    )


def kind_table(rows: list[dict[str, Any]]) -> Table:
    """Headline scores per kind of unit, for every system."""
    table = []
    for row in rows:
        for name, scores in row["scores"].items():
            table.append(
                [
                    row["kind"],
                    f"{row['units']} units, {row['documents']} documents",
                    SYSTEMS[name],
                    *(estimate_text(scores[s]) for s in HEADLINE),
                ]
            )
    return Table(["kind", "size", "system", *(SCORE_SYSTEMS[s] for s in HEADLINE)], table, (3, 4, 5))


def document_table(rows: list[dict[str, Any]]) -> Table:
    """The model's accuracy per document, most mistakes first, with the gold labels and the confusions."""
    table = [
        [
            row["doc_id"],
            ", ".join(row["kinds"]),
            str(row["units"]),
            f"{row['accuracy']:.2f}",
            ", ".join(f"{label} {n}" for label, n in row["gold"].items()),
            ", ".join(f"{pair} ×{n}" for pair, n in row["confusions"].items()) or "–",
        ]
        for row in rows[:MAX_DOCUMENTS]
    ]
    return Table(
        ["document", "kind", "units", "accuracy", "gold labels", "mistakes (gold → predicted)"],
        table,
        (2, 3),
    )


def interval_text(value: float, bounds: list[float] | None) -> str:
    """``0.92 (0.87 to 0.96)``, or the value alone without bounds."""
    return estimate_text(
        {"value": value, "low": bounds[0] if bounds else None, "high": bounds[1] if bounds else None}
    )


def ceiling_blocks(ceiling: dict[str, Any], protocols: dict[str, Any]) -> list[Block]:
    """The annotators' agreement as the ceiling, beside the model's kappa against the gold labels."""
    if not ceiling.get("available"):
        return [
            "Ceiling: no annotators' agreement to compare with "
            f"({ceiling.get('reason', 'no annotator files')})."
        ]
    rows = [
        [f"annotators: Cohen's kappa, {pair}", interval_text(k["value"], k["interval"]), str(k["n"])]
        for pair, k in ceiling["kappa"].items()
    ]
    alpha = ceiling["alpha"]
    rows.append(
        [
            "annotators: Krippendorff's alpha",
            interval_text(alpha["value"], alpha["interval"]),
            str(alpha["n"]),
        ]
    )
    for key, protocol in protocols.items():
        model = protocol["systems"]["model"]
        rows.append(
            [
                f"model against the gold labels: Cohen's kappa ({key})",
                estimate_text(model["scores"]["kappa"]),
                str(model["n"]),
            ]
        )
    return [
        f"Ceiling: the gold labels are only as consistent as the annotators who made them, so a model "
        f"cannot be expected to agree with them much better than the annotators agree with each other "
        f"({', '.join(ceiling['annotators'])}, {ceiling['units']} units labelled by two or more; raw "
        f"agreement {ceiling['raw_agreement']:.2f}; annotators' intervals resample units).",
        Table(["agreement", "value (95% interval)", "units"], rows, (1, 2)),
    ]


MAJORITY_KAPPA = (
    "Why the majority baseline's kappa can be below 0: in each fold it predicts one label for every unit, "
    "the most frequent label of that fold's training data, which on its own would give a kappa of 0. The "
    "pooled kappa compares its agreement with the gold labels over all folds with the agreement expected "
    "by chance from the pooled shares; when the folds where it predicts a label hold fewer units of that "
    "label than the data as a whole (the held-out source is unlike the rest), it agrees less often than "
    "chance and the kappa falls below 0. That means no skill, not a skill at being wrong."
)


def probability_table(report: dict[str, Any]) -> Table:
    """Log loss and Brier score of the model, of the prior, and their paired difference."""
    names = {"log_loss": "log loss", "brier": "Brier score"}
    rows = [
        [
            names[score],
            estimate_text(values["model"]),
            estimate_text(values["prior"]),
            estimate_text(values["model_minus_prior"], "+"),
        ]
        for score, values in report.items()
    ]
    return Table(
        ["score (lower is better)", "model", "prior (training label shares)", "model − prior"],
        rows,
        (1, 2, 3),
    )


def average_precision_text(curves: dict[str, Any]) -> str:
    """Average precision per label, with the chance level (the label's share)."""
    return "; ".join(
        f"{label} {curve['average_precision']:.2f} (chance {curve['prevalence']:.2f})"
        for label, curve in curves.items()
    )


def share_error_section(key: str, errors: dict[str, Any], title: str) -> Section:
    """Which share method to trust, and how wrong its shares are likely to be."""
    summary, methods, best = errors["summary"], errors["methods"], errors["best_method"]
    rows = [
        [
            f"{method}: {summary[method]['name']}",
            f"{summary[method]['mean_total_variation']:.3f}",
            f"{summary[method]['max_total_variation']:.3f}",
            *(f"{summary[method]['mean_abs_error'][label]:.3f}" for label in LABELS),
        ]
        for method in methods
    ]
    table = Table(
        ["method", "mean TV", "max TV", *(f"mean abs. error, {label}" for label in LABELS)],
        rows,
        tuple(range(1, 3 + len(LABELS))),
    )
    chosen = summary[best]
    parts = errors["folds"]
    sizes = ", ".join(str(part["units"]) for part in parts)
    smallest, largest = min(part["units"] for part in parts), max(part["units"] for part in parts)
    if errors["parts"] > 1:
        spread = (
            f"on the {errors['parts']} held-out folds ({sizes} units), its estimated shares were off by "
            f"{chosen['mean_total_variation']:.0%} in total variation on average, from "
            f"{chosen['min_total_variation']:.0%} to {chosen['max_total_variation']:.0%}"
        )
        caveat = (
            f" With only {errors['parts']} folds this is a rough guide, not a precise error rate. Each "
            f"fold holds {smallest} to {largest} units of held-out sources, so the errors mix the "
            "method's bias with the chance variation of small groups: in large groups of similar text the "
            "chance part shrinks and the bias stays; in text unlike the training data the errors can be "
            "larger."
        )
    else:
        spread = (
            f"on the {sizes} units of the test set, its estimated shares were off by "
            f"{chosen['mean_total_variation']:.0%} in total variation"
        )
        caveat = " One test set gives one number, not an error rate: read it as an example."
    pooled = errors["pooled"]["errors"]
    blocks: list[Block] = [
        Note(
            f"Trust {best}, {chosen['name']}: it has the lowest mean total variation (methods within "
            f"{errors['tie']} of each other count as tied, and the simpler one wins); {spread}: about "
            f"{100 * chosen['mean_total_variation']:.0f} in every 100 units would have to move to another "
            f"frame for its shares to be right.{caveat}"
        ),
        f"{errors['description']} Total variation (TV) is half the summed absolute errors of the four "
        "shares: the share of units that would have to change label for the estimate to be right. Absolute "
        "errors are in share points (0.05 is 5 percentage points).",
        table,
    ]
    if errors["parts"] > 1:
        blocks += [
            "Total variation per held-out fold, and for all held-out units pooled (each method's estimate "
            "of the whole being the size-weighted mean of its fold estimates):",
            Table(
                ["", "units", *methods],
                [
                    [
                        f"fold {part['fold']}",
                        str(part["units"]),
                        *(f"{part['errors'][m]['total_variation']:.3f}" for m in methods),
                    ]
                    for part in parts
                ]
                + [
                    [
                        "pooled",
                        str(errors["pooled"]["units"]),
                        *(f"{pooled[m]['total_variation']:.3f}" for m in methods),
                    ]
                ],
                tuple(range(1, 2 + len(methods))),
            ),
        ]
    return Section(f"{key}-shares", f"{title}: how wrong are frame shares?", level=2, blocks=blocks)


def protocol_sections(key: str, protocol: dict[str, Any], title: str) -> list[Section]:
    """Per-label results, failures and calibration of one protocol."""
    systems = protocol["systems"]
    model = systems["model"]
    where = f"({protocol['name']})"
    ece = protocol["calibration"]["ece"]
    curve = protocol.get("learning_curve")
    documents = f"{len(protocol['by_document'])} documents"
    if len(protocol["by_document"]) > MAX_DOCUMENTS:
        documents += f"; the first {MAX_DOCUMENTS} shown, all in metrics.json"
    sections = [
        Section(
            f"{key}-labels",
            f"{title}: results per label",
            level=2,
            blocks=[
                f"Precision, recall and F1 of each label with 95% intervals {where}. A dash marks an "
                "undefined value (a label a system never predicts has no precision).",
                per_label_table(protocol),
                Image(f"{key}-f1", "F1 per label and macro-F1, with 95% document-bootstrap intervals."),
                "Precision-recall curves: each label against the rest, ranking the units by the model's "
                "probability of the label; the average precision summarises a curve, and a model that "
                "ranks at random scores the label's share of the units. Average precision: "
                + average_precision_text(protocol["precision_recall"])
                + ".",
                Image(
                    f"{key}-precision-recall", "Precision-recall curve of each label, one against the rest."
                ),
            ],
        ),
        Section(
            f"{key}-failures",
            f"{title}: where the model fails",
            level=2,
            blocks=[
                f"Confusion matrix of the model {where}: rows are gold labels, columns predicted labels.",
                confusion_table(model["confusion_matrix"]),
                Image(f"{key}-confusion", "Confusion matrix: counts (left) and row-normalised (right)."),
                Section(
                    f"{key}-mistakes",
                    "Most confident mistakes",
                    level=3,
                    blocks=[
                        "Wrong predictions the model was surest of, each with what made the model prefer "
                        "its label to the gold one. " + EXPLANATION,
                        protocol["explanations"],
                        examples_table(protocol["errors"]["confident_mistakes"], "gold"),
                    ],
                ),
                Section(
                    f"{key}-unsure",
                    "Least confident correct predictions",
                    level=3,
                    blocks=[
                        "Right predictions the model was least sure of: the units closest to the boundary, "
                        "each with what separates its label from the runner-up (the second most probable "
                        "label).",
                        examples_table(protocol["errors"]["unsure_correct"], "runner-up"),
                    ],
                ),
                Section(f"{key}-kinds", "By kind of unit", level=3, blocks=[kind_table(protocol["by_kind"])]),
                Section(
                    f"{key}-documents",
                    "By document",
                    level=3,
                    blocks=[
                        f"The model's accuracy in each document, most mistakes first ({documents}).",
                        document_table(protocol["by_document"]),
                    ],
                ),
            ],
        ),
        Section(
            f"{key}-calibration",
            f"{title}: calibration",
            level=2,
            blocks=[
                f"Expected calibration error {estimate_text(ece)} over {protocol['calibration']['n_bins']} "
                "equal-width confidence bins: on average, the probability the model gives its label differs "
                f"from how often that label is right by this much {where}.",
                Image(f"{key}-reliability", "Reliability diagram: accuracy against confidence per bin."),
                "Log loss (minus the log of the probability given to the gold label) and Brier score (the "
                "squared distance between the probabilities and the gold label, 0 to 2), averaged over the "
                "units, against the prior: the label shares of the real-text labels the model was trained "
                "on, add-one smoothed, given to every unit. The difference is paired on the same document "
                "resamples; below 0, the model's probabilities are better than knowing the shares alone.",
                probability_table(protocol["probabilities"]),
            ],
        ),
    ]
    if "label_shares" in protocol:
        sections.insert(0, test_set_section(key, protocol, title))
    if "share_error" in protocol:
        sections.append(share_error_section(key, protocol["share_error"], title))
    if curve:
        per_label = protocol["systems"]["model"]["per_label"]
        weakest = min(LABELS, key=lambda label: per_label[label]["f1"]["value"] or 0.0)
        sections.append(learning_curve_section(key, curve, weakest))
    return sections


def test_set_section(key: str, protocol: dict[str, Any], title: str) -> Section:
    """Texts shared between the test set and the training data, and the label distributions of each."""
    overlap = protocol["overlap"]
    shares = protocol["label_shares"]
    columns = {"training": "all training labels", "main": "real-text training labels", "test": "test set"}
    rows = [
        [label, *(f"{shares[part][label]['n']} ({shares[part][label]['share']:.0%})" for part in columns)]
        for label in LABELS
    ]
    shared = (
        f"{overlap['units']} test units ({overlap['share']:.0%}) have the same text as a training unit "
        "(white space aside): the model saw them in training, so the test scores are optimistic by as much "
        "as those units weigh; their ids are in metrics.json."
        if overlap["units"]
        else "No test unit has the same text as a training unit (white space aside)."
    )
    return Section(
        f"{key}-data",
        f"{title}: test data against training data",
        level=2,
        blocks=[
            Note(shared) if overlap["units"] else shared,
            "Label counts and shares. A test set whose shares differ from the training labels' changes "
            "accuracy and the majority baseline even at equal per-label quality; per-label scores and "
            "macro-F1 depend on it less.",
            Table(["label", *columns.values()], rows, (1, 2, 3)),
        ],
    )


def learning_curve_section(key: str, curve: dict[str, Any], weakest: str) -> Section:
    """The learning curve, its settings, and what it suggests."""
    chosen = "; ".join(
        f"fold {k}: " + ", ".join(f"{name} = {value}" for name, value in params.items())
        for k, params in enumerate(curve["hyper_parameters"], start=1)
    )
    rows = [
        [
            f"{p['fraction']:.0%}",
            f"{p['training_documents']:.1f}",
            f"{p['training_labels']:.0f}",
            f"{p['macro_f1']:.2f} ({p['low']:.2f} to {p['high']:.2f})",
            str(p["n"]),
            f"{min(p['per_seed']):.2f}–{max(p['per_seed']):.2f}",
        ]
        for p in curve["points"]
    ]
    return Section(
        f"{key}-learning-curve",
        "Would more labels help?",
        level=2,
        blocks=[
            Note(read_learning_curve(curve["points"], weakest)),
            Image(
                f"{key}-learning-curve",
                "Learning curve: mean of per-fold macro-F1 on the held-out documents of each outer fold, "
                "with its t-based 95% interval over seeds × folds.",
            ),
            f"Within each of the {curve['folds']} outer folds, the model is trained on a random share of the "
            f"fold's training documents (whole documents, {curve['seeds']} seed(s); the full share once) and "
            "scored on the held-out documents. Each fold uses the configuration its own model selection "
            f"chose ({chosen}). Each point is the mean of per-fold macro-F1 over seeds × folds with a "
            "t-based 95% interval; seeds share their folds and folds share training documents, so the "
            "scores are not independent and the interval is, if anything, too narrow. Baselines: "
            + ", ".join(f"{SYSTEMS[n]} {v:.2f}" for n, v in curve["baselines"].items())
            + " (mean of per-fold macro-F1).",
            Table(
                [
                    "share of training documents",
                    "training documents",
                    "training labels",
                    "mean of per-fold macro-F1 (95% t interval)",
                    "fits",
                    "range over seeds",
                ],
                rows,
                (1, 2, 3, 4, 5),
            ),
        ],
    )


def model_card_section(metrics: dict[str, Any]) -> Section:
    """Intended use, training data, label set, codebook version, limits, learned features."""
    card = model_card(metrics)
    training = card["training_data"]
    counts = ", ".join(f"{label} {n}" for label, n in (training["per_label"] or {}).items())
    features = Table(
        ["label", "strongest word and lexicon features (model trained on all labels)"],
        [[label, features_text(found)] for label, found in metrics["top_features"].items()],
    )
    return Section(
        "model-card",
        "Model card",
        blocks=[
            Table(
                ["", ""],
                [
                    ["model", metrics["model_id"]],
                    ["intended use", card["intended_use"]],
                    ["not intended for", card["not_intended_for"]],
                    [
                        "training data",
                        f"{training['units']} units from {training['documents']} documents: "
                        f"{training['source']}",
                    ],
                    ["training labels", counts],
                    ["training data sha256", str(training["sha256"])],
                    ["codebook version", card["codebook_version"]],
                    [
                        "hyper-parameters",
                        ", ".join(f"{k} = {v}" for k, v in metrics["model"]["hyper_parameters"].items())
                        + " (C: inverse regularisation strength; chars: character n-grams; extra_weight: "
                        "sample weight of each unit written for training, real units weigh 1)",
                    ],
                    ["spaCy pipeline", metrics["model"]["spacy_model"]],
                ],
            ),
            Section(
                "label-set",
                "Label set",
                level=3,
                blocks=[
                    Table(["label", "definition (codebook)"], [[k, v] for k, v in card["label_set"].items()])
                ],
            ),
            Section("limits", "Limits", level=3, blocks=[Items(card["limits"])]),
            Section("features", "What the model relies on", level=3, blocks=[features]),
        ],
    )


def method_section(metrics: dict[str, Any]) -> Section:
    """How each number was produced: protocols, bootstrap, folds, versions."""
    blocks: list[Block] = []
    for protocol in metrics["protocols"].values():
        boot = protocol["bootstrap"]
        blocks.append(
            f"{protocol['name'].capitalize()}: {protocol['description']} Intervals: {boot['confidence']:.0%} "
            f"percentile bootstrap, {boot['resamples']} resamples of {boot['resampling']}, "
            f"seed {boot['seed']}."
        )
        if "folds" in protocol:
            blocks.append(
                Table(
                    [
                        "outer fold",
                        "held-out units",
                        "held-out documents",
                        "macro-F1 of the fold",
                        "hyper-parameters chosen",
                    ],
                    [
                        [
                            str(f["fold"]),
                            str(f["test_units"]),
                            str(f["test_documents"]),
                            f"{f['macro_f1']:.2f}",
                            ", ".join(f"{k} = {v}" for k, v in f["chosen"].items()),
                        ]
                        for f in protocol["folds"]
                    ],
                    (0, 1, 2, 3),
                )
            )
            fold_mean = sum(f["macro_f1"] for f in protocol["folds"]) / len(protocol["folds"])
            pooled = protocol["systems"]["model"]["scores"]["macro_f1"]["value"]
            blocks.append(
                f"Mean of per-fold macro-F1: {fold_mean:.2f}; pooled out-of-fold macro-F1 (the headline): "
                f"{pooled:.2f}."
            )
    blocks += [
        "Baselines: the model trained on the main labels alone (when extra labelled sets were used) runs the "
        "same procedure without them on the same folds; the majority class predicts the most frequent "
        "training label for every unit; the keyword lexicon (framing.model.lexicon, a short word list per "
        "frame taken from the codebook's definitions) predicts the frame with most keyword hits among a "
        "unit's lemmas, and none when there is no hit.",
        "Cohen's kappa compares each system's labels with the gold labels, correcting for chance agreement. "
        "Macro-F1 averages the F1 of the labels present, so rare labels count as much as common ones. "
        "Every macro-F1 headed just 'macro-F1' is the pooled out-of-fold macro-F1: one macro-F1 over all "
        "held-out units of all folds together. The per-fold table and the learning curve show the mean of "
        "per-fold macro-F1 instead (each fold scored on its own, then averaged), named as such: with few "
        "units of a label per fold it is usually lower, because a fold without any correct prediction of a "
        "rare label scores 0 for it.",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in metrics["model"]["libraries"].items())
        + f"; evaluated with framing {metrics['framing_version']} on {metrics['evaluated']}.",
    ]
    return Section("method", "How the numbers were produced", blocks)


def build_report(metrics: dict[str, Any]) -> tuple[str, list[Section]]:
    """The title and sections of the report."""
    protocols = metrics["protocols"]
    data = metrics["data"]
    intro: list[Block] = [Note(f"Warning: {w}") for w in metrics["warnings"]]
    intro.append(
        f"Model {metrics['model_id']}, evaluated on {data['units']} labelled units of real text from "
        f"{data['documents']} documents in {data['sources']} sources; labels from {data['source']}. Every "
        "number comes with its 95% bootstrap interval in parentheses and says which protocol produced it."
    )
    for extra in metrics.get("extra_data", []):
        intro.append(
            Note(
                f"{extra['units']} units of {extra['source']}, text written for training, were in every "
                "training fold and in no test fold: no score here is measured on written text."
            )
        )
    for key, protocol in protocols.items():
        model = protocol["systems"]["model"]["scores"]["macro_f1"]
        lexicon = protocol["systems"]["lexicon"]["scores"]["macro_f1"]
        difference = protocol["model_minus"]["lexicon"]["macro_f1"]
        intro += [
            f"{protocol['name'].capitalize()} ({key}): {protocol['units']} units, {protocol['documents']} "
            f"documents. The model's macro-F1 (pooled out-of-fold: one score over all held-out units) is "
            f"{estimate_text(model)}, the keyword lexicon's "
            f"{estimate_text(lexicon)}; the difference, {estimate_text(difference, '+')}, says "
            f"{verdict(difference, 'keyword lexicon')}.",
            headline_table(protocol),
            "Paired differences: both systems are scored on the same resampled documents, so each "
            "interval is that of the difference itself; when it excludes 0, the data tell the two apart.",
            difference_table(protocol),
        ]
        if key == "cv" and "majority" in protocol["systems"]:
            kappa = protocol["systems"]["majority"]["scores"]["kappa"]["value"]
            intro.append(Note(f"{MAJORITY_KAPPA} Here it is {kappa:.2f}."))
        if "seed_only" in protocol["model_minus"]:
            gain = protocol["model_minus"]["seed_only"]["macro_f1"]
            intro.append(
                f"Gain from the written training text ({key}): macro-F1 {estimate_text(gain, '+')} over the "
                f"same model trained on the main labels alone; {verdict(gain, SYSTEMS['seed_only'])}."
            )
    if "ceiling" in metrics:
        intro += ceiling_blocks(metrics["ceiling"], protocols)
    sections = [Section("headline", "How good is the model?", intro)]
    titles = {"cv": "Cross-validation", "test": "External test set"}
    for key, protocol in protocols.items():
        sections += protocol_sections(key, protocol, titles.get(key, key))
    sections += [model_card_section(metrics), method_section(metrics)]
    return f"framing evaluation report: {metrics['model_id']}", sections
