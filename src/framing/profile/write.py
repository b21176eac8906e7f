"""A profile's files: ``profile.json`` (the source of truth), ``profile.csv`` and ``profile.html``.

The HTML uses the evaluation report's blocks, page and style
(:mod:`framing.report.html`): figures are drawn with matplotlib and embedded as
base64 PNG, so the page needs no network.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from framing.codebook import LABELS
from framing.files import atomic_write, check_output
from framing.model.actors import ROLE_NAMES
from framing.profile.shares import METHOD_NAMES
from framing.report.blocks import Image, Items, Note, Section, Table
from framing.report.html import render_html

if TYPE_CHECKING:
    from framing.profile.build import Group, Profile

FILES = ("profile.json", "profile.csv", "profile.html", "actors.csv")
"""What :func:`write_profile` writes (``actors.csv`` only when the profile counted actors)."""
INTERVAL = "95% percentile bootstrap"
COLOURS = dict(zip(LABELS, ("#c0392b", "#1f5fa8", "#2e8b57", "#8a8a8a"), strict=False))
MOST_GROUPS = 30
MOST_PANELS = 6
LINE_COLOURS = ("#1f5fa8", "#d9822b", "#2e8b57", "#c0392b", "#7b4ea3")
METHOD_TEXT = {
    "cc": "the share of units whose most probable label is this one. It is biased whenever the classifier "
    "confuses labels unevenly, but in this project's evaluation on unseen sources it erred less than the "
    "corrections, whose error rates, learnt on other sources, did not carry over",
    "pcc": "the mean calibrated probability of the label over the group's units. It is unbiased when the "
    "probabilities are calibrated for this corpus",
    "acc": "the shares of predicted labels, corrected with the rates at which the classifier confuses each "
    "label with each other one, measured on held-out labelled units (clipped at 0 and renormalised)",
    "pacc": "as acc, with mean probabilities in place of counts of predicted labels",
}


ACTORS_TEXT = (
    "Actors are mentions found by rules (spaCy phrase and token patterns, docs/actors.md): on a 200-unit "
    "written sample they found 94% correct mentions (lenient micro precision 0.94) and 71% of the mentions "
    "there were (recall 0.71), so roles are undercounted. A role co-occurring with a frame means that units "
    "with that frame mention the role; it is not proof that the actor is the one blamed. Shares are read by "
    "each unit's predicted label (cc) or by each label's probability (pcc); they are not corrected for the "
    "classifier's errors. Only the whole corpus has 95% intervals (corpus documents resampled, and for pcc "
    "the calibration temperature)."
)
"""What the actor counts are and are not, in every profile that has them."""
MOST_ACTOR_GROUPS = 6


def how_text(profile: Profile) -> str:
    """The plain paragraph saying how the numbers were obtained and how sure they are."""
    from framing.profile.build import SMALL_DOCUMENTS, SMALL_UNITS

    reference = profile.model.get("reference")
    model_side = (
        f"the labelled units the classifier's errors were measured on ({reference['units']} units in "
        f"{reference['documents']} documents, resampled by document, which changes the corrections and "
        "the calibration temperature)"
        if reference
        else "nothing on the model's side (this model has no stored out-of-fold predictions, so the "
        "intervals leave out the uncertainty about its errors)"
    )
    return (
        f"Each share is the estimated proportion of a group's units framed with that label. The model "
        f"({profile.model.get('id')}) gave every unit a probability for each label; the shares shown "
        f"first are {METHOD_NAMES[profile.method]} ({profile.method}): {METHOD_TEXT[profile.method]}. "
        f"Each 95% interval is the middle 95% of {profile.resamples} bootstrap replicates; each replicate "
        f"resamples both {model_side} and the corpus documents (a Poisson bootstrap: each document counts "
        "0, 1, 2, ... times, all its units together). So the intervals cover the sampling of documents and "
        "the uncertainty in the classifier's errors as far as the labelled units show it; they do not "
        "cover errors that the labelled units cannot show, for instance on a corpus unlike the texts the "
        f"model was trained and checked on. Groups with fewer than {SMALL_UNITS} units or {SMALL_DOCUMENTS} "
        "documents are marked: "
        "their shares and intervals are unreliable."
    ) + _held_out_text(profile)


def _held_out_text(profile: Profile) -> str:
    """How the held-out share errors of an evaluation entered the intervals, or that they did not."""
    evaluation = profile.evaluation
    if evaluation is None:
        return (
            " No evaluation of the model was given, so the intervals leave out how wrong the method is on "
            "text unlike the labelled units: run `make evaluate` and pass its metrics.json with "
            "--evaluation."
        )
    error = evaluation["mean_total_variation"].get(profile.method)
    measured = (
        f" there, {profile.method} shares were off by {error:.0%} in total variation on average (the share "
        "of units that would have to change label)"
        if error is not None
        else ""
    )
    return (
        f" Each replicate also carries the share errors of one of the {evaluation['held_out_folds']} "
        f"held-out sources of the evaluation {evaluation['path']}, drawn at random: a source its model never "
        f"saw;{measured}. So the intervals also cover how wrong the method was on unseen text, as far as "
        f"{evaluation['held_out_folds']} sources can show it."
    )


def _group_dict(group: Group, profile: Profile) -> dict[str, Any]:
    values, period = group.key
    return {
        "name": group.name,
        "by": dict(zip(profile.grouping.by, values, strict=False)),
        "period": period,
        "units": group.units,
        "documents": group.documents,
        "small": group.small,
        "shares": {
            method: {label: vars(estimate) for label, estimate in estimates.items()}
            for method, estimates in group.shares.items()
        },
        **({"actors": _actors_dict(group, profile)} if profile.actors else {}),
    }


def profile_dict(profile: Profile) -> dict[str, Any]:
    """The JSON form of a profile: every number, and how it was obtained."""
    grouping = profile.grouping
    result = {
        "labels": list(LABELS),
        "method": profile.method,
        "method_name": METHOD_NAMES[profile.method],
        "methods": {method: METHOD_NAMES[method] for method in profile.methods},
        "interval": {
            "type": INTERVAL,
            "level": 0.95,
            "resamples": profile.resamples,
            "seed": profile.seed,
            "resampled": "the labelled reference by document, the corpus documents (Poisson bootstrap), and "
            "with an evaluation one held-out source's share errors per replicate",
        },
        "model": profile.model,
        "evaluation": profile.evaluation,
        "input": {
            "sources": profile.sources,
            "units": profile.units,
            "documents": profile.documents,
            "units_without_document": profile.units_without_document,
            "units_without_readable_date": profile.undated if grouping.date else None,
        },
        "grouping": {"by": list(grouping.by), "date": grouping.date, "period": grouping.period},
        "how": how_text(profile),
        "warnings": profile.warnings,
        "groups": [_group_dict(group, profile) for group in profile.groups],
    }
    if profile.actors:
        result["actors"] = {
            "roles": ROLE_NAMES,
            "how": ACTORS_TEXT,
            "methods": {"cc": "each unit's predicted label", "pcc": "each label's probability"},
        }
    return result


def _actors_dict(group: Group, profile: Profile) -> dict[str, Any]:
    """Per role: units mentioning it, their share of the group, and their frames (see ``RoleCount``)."""
    return {
        role: {
            "units": count.units,
            "share": vars(count.share),
            "label_units": count.label_units,
            "among_mentioning": _estimates(count.among),
            "of_label_units": _estimates(count.of_label),
        }
        for role, count in profile.actors[group.key].items()
    }


def _estimates(by_method: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        method: {label: vars(e) for label, e in estimates.items()} for method, estimates in by_method.items()
    }


def profile_csv(profile: Profile) -> str:
    """One row per group x label x method: share, low, high, units, documents."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    period = ["period"] if profile.grouping.date else []
    numbers = ["share", "low", "high", "n", "documents"]
    writer.writerow([*profile.grouping.by, *period, "label", "method", *numbers])
    for group in profile.groups:
        values, key_period = group.key
        cells = list(values) or [""] * len(profile.grouping.by)
        cells += [key_period or ""] if profile.grouping.date else []
        for label in LABELS:
            for method in profile.methods:
                estimate = group.shares[method][label]
                numbers = [_cell(estimate.share), _cell(estimate.low), _cell(estimate.high)]
                writer.writerow([*cells, label, method, *numbers, group.units, group.documents])
    return stream.getvalue()


ACTOR_COLUMNS = (
    *("label", "method", "units", "role_units", "role_share", "role_low", "role_high", "label_units"),
    *("share", "low", "high", "share_of_label", "share_of_label_low", "share_of_label_high"),
)


def actors_csv(profile: Profile) -> str:
    """One row per group x role x label x method (cc, pcc): how the units mentioning the role are framed.

    ``role_units`` of the group's ``units`` mention the role (``role_share``); ``label_units`` of them
    have the label (predicted: cc; probability sum: pcc), ``share`` of the role's units; and
    ``share_of_label`` is the share of the group's units with the label that mention the role.
    """
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    period = ["period"] if profile.grouping.date else []
    writer.writerow([*profile.grouping.by, *period, "role", *ACTOR_COLUMNS])
    for group in profile.groups:
        values, key_period = group.key
        cells = list(values) or [""] * len(profile.grouping.by)
        cells += [key_period or ""] if profile.grouping.date else []
        for role, count in profile.actors[group.key].items():
            share = [count.units, _cell(count.share.share), _cell(count.share.low), _cell(count.share.high)]
            for label in LABELS:
                for method in count.among:
                    among, of_label = count.among[method][label], count.of_label[method][label]
                    writer.writerow(
                        [
                            *cells,
                            role,
                            label,
                            method,
                            group.units,
                            *share,
                            _cell(count.label_units[method][label]),
                            *(_cell(v) for v in (among.share, among.low, among.high)),
                            *(_cell(v) for v in (of_label.share, of_label.low, of_label.high)),
                        ]
                    )
    return stream.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def write_profile(profile: Profile, folder: str | Path) -> dict[str, Path]:
    """Write ``profile.json``, ``profile.csv`` and ``profile.html`` into ``folder``; return their paths."""
    folder = Path(folder)
    texts = {
        "profile.json": json.dumps(profile_dict(profile), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
        "profile.csv": profile_csv(profile),
        "profile.html": profile_html(profile),
        "actors.csv": actors_csv(profile) if profile.actors else None,
    }
    paths = {name: check_output(folder / name) for name in FILES}
    for name, path in paths.items():
        if texts[name] is None:
            path.unlink(missing_ok=True)  # a profile without actors leaves no earlier run's actors.csv behind
            continue
        with atomic_write(path) as stream:
            stream.write(texts[name])
    return {name: path for name, path in paths.items() if texts[name] is not None}


# --------------------------------------------------------------------------- HTML


def _share_text(estimate: Any) -> str:
    if estimate.low is None:
        return f"{estimate.share:.2f}"
    return f"{estimate.share:.2f} [{estimate.low:.2f}, {estimate.high:.2f}]"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _largest(groups: list[Group], most: int) -> list[Group]:
    whole = [g for g in groups if not g.key[0]]
    rest = sorted((g for g in groups if g.key[0]), key=lambda g: -g.units)[: most - len(whole)]
    return whole + sorted(rest, key=lambda g: g.key)


def groups_figure(groups: list[Group], method: str) -> Figure:
    """Shares of each label by group, with 95% interval bars: one panel per label."""
    figure = Figure(figsize=(11, 1.2 + 0.32 * len(groups)), layout="constrained")
    axes = figure.subplots(1, len(LABELS), sharey=True)
    y = np.arange(len(groups))
    for ax, label in zip(axes, LABELS, strict=True):
        estimates = [g.shares[method][label] for g in groups]
        share = np.array([e.share for e in estimates])
        low = np.array([e.low if e.low is not None else e.share for e in estimates])
        high = np.array([e.high if e.high is not None else e.share for e in estimates])
        error = np.clip(np.vstack([share - low, high - share]), 0, None)
        ax.errorbar(share, y, xerr=error, fmt="o", capsize=3, color=COLOURS[label])
        ax.set(xlim=(0, 1), title=label, xlabel="share")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y, [g.name + (" *" if g.small else "") for g in groups])
    axes[0].invert_yaxis()
    return figure


def time_figure(series: list[tuple[str, list[Group]]], method: str) -> Figure:
    """Shares over time with 95% bands: one panel per label, one line per group (all units first)."""
    periods = sorted({g.key[1] for _, groups in series for g in groups})
    position = {period: i for i, period in enumerate(periods)}
    figure = Figure(figsize=(11, 7), layout="constrained")
    axes = figure.subplots(2, 2, sharex=True, sharey=True).ravel()
    colours = ["#111111", *LINE_COLOURS]
    for ax, label in zip(axes, LABELS, strict=True):
        for colour, (name, groups) in zip(colours, series, strict=False):
            x = np.array([position[g.key[1]] for g in groups])
            estimates = [g.shares[method][label] for g in groups]
            share = np.array([e.share for e in estimates])
            low = np.array([np.nan if e.low is None else e.low for e in estimates])
            high = np.array([np.nan if e.high is None else e.high for e in estimates])
            ax.plot(x, share, "o-", color=colour, label=name, ms=3, lw=2 if colour == colours[0] else 1.2)
            ax.fill_between(x, low, high, color=colour, alpha=0.1)
        ax.set(ylim=(0, 1), title=label)
        ax.grid(alpha=0.3)
    for ax in axes[2:]:
        ax.set_xticks(range(len(periods)), periods, rotation=45 if len(periods) > 6 else 0, ha="right")
    axes[0].set_ylabel("share")
    axes[2].set_ylabel("share")
    axes[0].legend(loc="upper left", fontsize="small")
    return figure


def _shares_table(groups: list[Group], method: str) -> Table:
    rows = [
        [
            g.name,
            str(g.units),
            str(g.documents),
            *(_share_text(g.shares[method][label]) for label in LABELS),
            "small" if g.small else "",
        ]
        for g in groups
    ]
    return Table(["group", "units", "documents", *LABELS, ""], rows, numeric=(1, 2, 3, 4, 5, 6))


def profile_html(profile: Profile) -> str:
    """The profile as one self-contained HTML page."""
    method = profile.method
    overall = [g for g in profile.groups if g.key[1] is None]
    over_time = [g for g in profile.groups if g.key[1] is not None]
    images: dict[str, str] = {}
    shown = _largest(overall, MOST_GROUPS)
    images["groups"] = _png(groups_figure(shown, method))
    caption = f"Shares by group ({method}), 95% intervals; * marks small groups"
    if len(shown) < len(overall):
        caption += f"; the {len(shown)} largest of {len(overall)} groups"
    sources = ", ".join(profile.sources) or "rows"
    summary = [
        f"{profile.units} units in {profile.documents} documents from {sources}; "
        f"model {profile.model.get('id')}; shares by {METHOD_NAMES[method]} ({method}); "
        f"{INTERVAL} intervals from {profile.resamples} replicates (seed {profile.seed})."
    ]
    how = "How these numbers were obtained and how sure they are"
    sections = [Section("how", how, [*summary, how_text(profile)])]
    if profile.warnings:
        sections.append(Section("warnings", "Warnings", [Note(w) for w in profile.warnings]))
    sections.append(
        Section("groups", "Shares by group", [Image("groups", caption), _shares_table(overall, method)])
    )
    if over_time:
        by_group: dict[tuple[str, ...], list[Group]] = {}
        for group in over_time:
            by_group.setdefault(group.key[0], []).append(group)
        names = {g.key[0]: g.name for g in overall}
        ordered = sorted(by_group, key=lambda v: (len(v) > 0, -sum(g.units for g in by_group[v])))
        series = [(names.get(values, "all units"), by_group[values]) for values in ordered[:MOST_PANELS]]
        images["time"] = _png(time_figure(series, method))
        time_caption = f"Shares per {profile.grouping.period} ({method}), 95% bands"
        if len(ordered) > MOST_PANELS:
            time_caption += f"; all units and the {MOST_PANELS - 1} largest of {len(ordered) - 1} groups"
        sections.append(
            Section(
                "time",
                f"Shares over time (by {profile.grouping.period} of {profile.grouping.date})",
                [Image("time", time_caption), _shares_table(over_time, method)],
            )
        )
    if profile.actors:
        sections.append(actors_section(profile, overall))
    compared = [
        [g.name, m, *(_share_text(g.shares[m][label]) for label in LABELS)]
        for g in shown
        for m in profile.methods
    ]
    sections.append(
        Section(
            "methods",
            "Every method",
            [
                Items([f"{m}: {METHOD_NAMES[m]}: {METHOD_TEXT[m]}." for m in profile.methods]),
                Table(["group", "method", *LABELS], compared, numeric=(2, 3, 4, 5)),
            ],
        )
    )
    return render_html("Frame profile", sections, images)


def _role_rows(group: Group, profile: Profile, with_group: bool) -> list[list[str]]:
    rows = []
    for role, count in profile.actors[group.key].items():
        rows.append(
            [
                *([group.name] if with_group else []),
                ROLE_NAMES[role],
                str(count.units),
                _share_text(count.share) if count.share.share is not None else "",
                *(_maybe(count.among["pcc"][label]) for label in LABELS),
                _maybe(count.of_label["pcc"][LABELS[0]]),
            ]
        )
    return rows


def _maybe(estimate: Any) -> str:
    return "" if estimate.share is None else _share_text(estimate)


def actors_section(profile: Profile, overall: list[Group]) -> Section:
    """The "Who is blamed" section: roles x labels for the whole corpus, then for the largest groups."""
    blame = LABELS[0]
    header = ["role", "units", "share of units", *(f"{label} among them" for label in LABELS)]
    header.append(f"of {blame} units, mentioning it")
    whole = overall[0]
    blocks: list[Any] = [
        ACTORS_TEXT,
        "Per actor role: the units mentioning it and their share of all units; how those units are framed "
        f"(pcc: the mean probability of each label); and the share of the {blame} units that mention it. "
        "profile.json and actors.csv also give counts by predicted label (cc).",
        Table(header, _role_rows(whole, profile, False), numeric=tuple(range(1, len(header)))),
    ]
    largest = _largest(overall, MOST_ACTOR_GROUPS + 1)[1:]
    if largest:
        rows = [row for group in largest for row in _role_rows(group, profile, True)]
        blocks.append(f"The {len(largest)} largest groups (no intervals per group):")
        blocks.append(Table(["group", *header], rows, numeric=tuple(range(2, len(header) + 1))))
    return Section("actors", "Who is blamed", blocks)
