"""Frame profiles: per-group frame shares, corrected for classifier error, with 95% bootstrap intervals.

Rows stream through :func:`accumulate` in batches: each unit's probabilities
(read from a predictions file, or predicted), its groups and its document's
Poisson weights are folded into an :class:`Accumulator` that holds, per group
and per replicate, the weighted totals the share estimators need. Its size is
O(groups x replicates) (plus 8 bytes per distinct document and group, to
count documents), whatever the number of units; accumulators of partitions
add up (:meth:`Accumulator.merge`), and :func:`summarise` turns the total into
a :class:`Profile`.

Probabilities are rounded to multiples of 2^-20 (about 1e-6) before they are
summed, so every sum is exact in floating point: the result does not depend
on the order of the input or on how it was split into partitions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from framing.codebook import LABELS
from framing.corpus.tables import read_rows, text_value
from framing.errors import FramingError
from framing.model.calibration import LOG_FLOOR
from framing.model.persist import FramingModel
from framing.model.predict import BATCH_SIZE, iter_predict
from framing.profile.bootstrap import (
    DEFAULT_RESAMPLES,
    HeldOutErrors,
    Replicates,
    adjust_many,
    document_key,
    poisson_weights,
    shifted,
)
from framing.profile.groups import (
    MISSING,
    PERIODS,
    Grouping,
    Key,
    columns_of,
    describe,
    group_value,
    lookup,
    period_of,
    sort_key,
)
from framing.profile.shares import CORRECTED, METHODS, Reference, Totals, estimate

DEFAULT_METHOD = "cc"
"""The method a profile leads with when no evaluation of its model is at hand (with one, its best method).

Chosen on the share-error evaluation of `make evaluate` (docs/results.md): on the five held-out sources of
the seed corpus, plain counting erred least (mean total variation 0.15, against 0.16 for pcc, 0.20 for acc
and 0.24 for pacc); the corrections learn error rates on other sources, which did not carry over."""

SMALL_UNITS = 30
SMALL_DOCUMENTS = 5
QUANTUM = 2.0**20
CHUNK = 1024
"""Units folded into the accumulator at once (bounds the per-batch arrays to a few MB per replicate)."""
K = len(LABELS)
N, COUNTS, SUMS, TEMPERED = 0, slice(1, 1 + K), slice(1 + K, 1 + 2 * K), slice(1 + 2 * K, 1 + 3 * K)
WIDTH = 1 + 3 * K
"""Per group and replicate: units (weighted), predicted-label counts, probability sums, re-tempered sums."""

Record = tuple[str, int, Mapping[str, Any]]
"""``(source, line or row number, row)``: one input row and where it came from."""


@dataclass(frozen=True)
class Plan:
    """What every partition needs to know to accumulate its rows the same way."""

    grouping: Grouping = field(default_factory=Grouping)
    ratios: np.ndarray = field(default_factory=lambda: np.ones(DEFAULT_RESAMPLES + 1))
    seed: int = 0
    text_column: str = "text"
    batch_size: int = BATCH_SIZE

    @property
    def resamples(self) -> int:
        return len(self.ratios) - 1


@dataclass
class Accumulator:
    """Per group, per replicate (0: the corpus as it is), the weighted totals of its units."""

    replicates: int
    tables: dict[Key, np.ndarray] = field(default_factory=dict)
    documents: dict[Key, list[np.ndarray]] = field(default_factory=dict)
    units: int = 0
    units_without_document: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    undated_examples: set[str] = field(default_factory=set)
    actor_mentions: Counter[tuple[Key, str, str]] = field(default_factory=Counter)
    """Hook for actors (issue 10, item 3): units mentioning each actor role, by (group, label, role).

    Filled by :func:`count_actor_mentions`; merged and reported with the rest."""

    def table(self, key: Key) -> np.ndarray:
        if key not in self.tables:
            self.tables[key] = np.zeros((self.replicates, WIDTH))
        return self.tables[key]

    def add_documents(self, key: Key, keys: np.ndarray) -> None:
        pending = self.documents.setdefault(key, [])
        pending.append(np.unique(keys))
        if len(pending) > 16:
            self.documents[key] = [np.unique(np.concatenate(pending))]

    def document_count(self, key: Key) -> int:
        pending = self.documents.get(key, [])
        return len(np.unique(np.concatenate(pending))) if pending else 0

    def merge(self, other: Accumulator) -> Accumulator:
        """Add ``other`` (another partition's accumulator) into this one; return this one."""
        for key, values in other.tables.items():
            self.table(key)[...] += values
        for key, pending in other.documents.items():
            for keys in pending:
                self.add_documents(key, keys)
        self.units += other.units
        self.units_without_document += other.units_without_document
        self.missing.update(other.missing)
        self.undated += other.undated
        self.undated_examples = set(sorted(self.undated_examples | other.undated_examples)[:5])
        self.actor_mentions.update(other.actor_mentions)
        return self


def count_actor_mentions(
    accumulator: Accumulator,
    keys: list[Key],
    margins: Callable[[Key], list[Key]],
    labels: list[str],
    rows: list[Record],
) -> None:
    """HOOK for actors: count, per (group, predicted label, role), the units that mention each role.

    Called once per batch with each unit's own group, predicted label and row. Does nothing yet.
    Once ``framing.model.actors.find_actors(texts)`` exists, this is the one place to call it on the
    batch's texts and add ``accumulator.actor_mentions[(group, label, role)] += 1`` for each role a
    unit mentions, for each ``group`` in ``margins(key)``.
    """


def _quantise(values: np.ndarray) -> np.ndarray:
    return np.rint(values * QUANTUM) / QUANTUM


def add_units(
    accumulator: Accumulator,
    keys: list[Key],
    documents: np.ndarray,
    probabilities: np.ndarray,
    ratios: np.ndarray,
    margins: Callable[[Key], list[Key]] = lambda key: [key],
) -> None:
    """Fold units into ``accumulator``: each unit's own group, document key and probabilities.

    The totals of each group in a chunk are added to every group ``margins(group)`` names.
    """
    for start in range(0, len(keys), CHUNK):
        chunk = slice(start, start + CHUNK)
        _add_chunk(accumulator, keys[chunk], documents[chunk], probabilities[chunk], ratios, margins)


def _tempered(p: np.ndarray, ratios: np.ndarray) -> list[np.ndarray]:
    """``retemper(p, ratio)`` for every ratio at once: one (units, ratios) array per label.

    No maximum is subtracted before ``exp``: log-probabilities are at most 0, and the
    largest is at least log(1/labels), so nothing overflows and the sum never underflows.
    """
    logits = np.log(np.clip(p, LOG_FLOOR, None))
    inverse = 1.0 / ratios[None, :]
    exps = [np.exp(logits[:, k, None] * inverse) for k in range(K)]
    scale = 1.0 / np.add.reduce(exps)
    return [e * scale for e in exps]


def _add_chunk(
    accumulator: Accumulator,
    keys: list[Key],
    documents: np.ndarray,
    p: np.ndarray,
    ratios: np.ndarray,
    margins: Callable[[Key], list[Key]],
) -> None:
    local: dict[Key, int] = {}
    index = np.array([local.setdefault(key, len(local)) for key in keys])
    order = np.argsort(index, kind="stable")
    index, documents, p = index[order], documents[order], p[order]
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    n, width = len(keys), len(ratios)
    weights = np.empty((n, width))
    weights[:, 0] = 1.0
    weights[:, 1:] = poisson_weights(documents, width - 1)
    contributions = np.empty((n, WIDTH, width))  # replicates last: each slice below is contiguous
    contributions[:, N] = weights
    predicted = p.argmax(axis=1)
    rounded = _quantise(p)
    tempered = None if np.all(ratios == 1.0) else _tempered(p, ratios)
    for k in range(K):
        np.multiply(weights, (predicted == k)[:, None], out=contributions[:, COUNTS.start + k])
        np.multiply(weights, rounded[:, k, None], out=contributions[:, SUMS.start + k])
        if tempered is None:
            contributions[:, TEMPERED.start + k] = contributions[:, SUMS.start + k]
        else:
            np.multiply(weights, _quantise(tempered[k]), out=contributions[:, TEMPERED.start + k])
    totals = np.add.reduceat(contributions, starts, axis=0).transpose(0, 2, 1)
    stops = [*starts[1:], n]
    for key, segment in local.items():  # segments are in local index order, every index having one
        members = np.unique(documents[starts[segment] : stops[segment]])
        for target in margins(key):
            accumulator.table(target)[...] += totals[segment]
            accumulator.add_documents(target, members)


def _probabilities(source: str, number: int, value: Any) -> list[float]:
    if not isinstance(value, Mapping) or any(label not in value for label in LABELS):
        raise FramingError(
            f"{source}:{number}: 'probabilities' must map each label ({', '.join(LABELS)}) to a number, "
            "as `framing predict` writes it."
        )
    try:
        return [float(value[label]) for label in LABELS]
    except (TypeError, ValueError):
        raise FramingError(f"{source}:{number}: a probability is not a number.") from None


def _group_of(row: Mapping[str, Any], grouping: Grouping, accumulator: Accumulator, found: Counter) -> Key:
    """The unit's own group; counts in ``found`` the columns it has, in ``accumulator`` an unreadable date."""
    values = []
    for name in grouping.by:
        present, value = lookup(row, name)
        found[name] += present
        values.append(group_value(value) if present else MISSING)
    period = None
    if grouping.date:
        present, value = lookup(row, grouping.date)
        found[grouping.date] += present
        period = period_of(value, grouping.period)
        if period is None:
            accumulator.undated += 1
            accumulator.undated_examples = set(sorted(accumulator.undated_examples | {repr(value)[:40]})[:5])
    return tuple(values), period


def _document_of(source: str, number: int, row: Mapping[str, Any], accumulator: Accumulator) -> str:
    """The unit's ``doc_id``; without one, the unit is its own document (by unit_id, id, or place)."""
    document = row.get("doc_id")
    if document is None or document == "":
        accumulator.units_without_document += 1
        document = row.get("unit_id") or row.get("id") or f"{source}:{number}"
    return str(document)


def accumulate(
    records: Iterable[Record],
    plan: Plan,
    model: FramingModel | None = None,
    accumulator: Accumulator | None = None,
    progress: Callable[[int], None] | None = None,
) -> Accumulator:
    """Fold ``records`` into ``accumulator`` (a new one by default) and return it.

    A row's probabilities are its ``probabilities`` field (a `framing predict`
    line), else the ``model``'s prediction of its ``plan.text_column``.
    ``progress(rows)`` is called after each batch.
    """
    grouping = plan.grouping
    accumulator = accumulator or Accumulator(plan.resamples + 1)
    records = iter(records)
    first = True
    while batch := list(islice(records, plan.batch_size)):
        keys: list[Key] = []
        documents = np.empty(len(batch), dtype=np.uint64)
        probabilities = np.empty((len(batch), K))
        to_predict: list[int] = []
        found = Counter()
        for index, (source, number, row) in enumerate(batch):
            keys.append(_group_of(row, grouping, accumulator, found))
            documents[index] = document_key(plan.seed, _document_of(source, number, row, accumulator))
            if row.get("probabilities") is not None:
                probabilities[index] = _probabilities(source, number, row["probabilities"])
            else:
                to_predict.append(index)
        for name in grouping.columns:
            accumulator.missing[name] += len(batch) - found[name]
            if first and not found[name]:
                seen = list(dict.fromkeys(c for _, _, row in batch for c in columns_of(row)))
                raise FramingError(
                    f"{batch[0][0]}: no column {name!r} in the first {len(batch)} rows, nor in their meta "
                    f"(columns seen: {', '.join(seen[:40]) or 'none'})."
                )
        if to_predict:
            _predict(batch, to_predict, probabilities, plan, model)
        add_units(accumulator, keys, documents, probabilities, plan.ratios, grouping.margins)
        labels = [LABELS[i] for i in probabilities.argmax(axis=1)]
        count_actor_mentions(accumulator, keys, grouping.margins, labels, batch)
        accumulator.units += len(batch)
        first = False
        if progress is not None:
            progress(len(batch))
    return accumulator


def _predict(
    batch: list[Record], indices: list[int], into: np.ndarray, plan: Plan, model: FramingModel | None
):
    source, number, _ = batch[indices[0]]
    if model is None:
        raise FramingError(
            f"{source}:{number}: no 'probabilities' field, and no model to predict with. The input was "
            "read as a predictions file (`framing predict` output); give units to predict, or complete "
            "predictions."
        )
    texts = []
    for index in indices:
        source, number, row = batch[index]
        text = text_value(Path(source), number, row, plan.text_column)
        if text is None:
            raise FramingError(
                f"{source}:{number}: the {plan.text_column!r} value is empty (null), not text."
            )
        texts.append(text)
    for index, prediction in zip(indices, iter_predict(texts, model, plan.batch_size), strict=True):
        into[index] = [prediction.probabilities[label] for label in LABELS]


def file_records(path: str | Path, span: Any = None) -> Iterator[Record]:
    """The rows of a table file (or of its span) as records."""
    for number, row in read_rows(path, span):
        yield str(path), number, row


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Estimate:
    """A share and its 95% interval (``None`` when too few replicates had units)."""

    share: float
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Group:
    """One group's size and its shares: ``shares[method][label]``."""

    key: Key
    name: str
    units: int
    documents: int
    shares: dict[str, dict[str, Estimate]]

    @property
    def small(self) -> bool:
        return self.units < SMALL_UNITS or self.documents < SMALL_DOCUMENTS


@dataclass(frozen=True)
class Profile:
    """A corpus frame profile: every group's shares under every method, and how they were obtained."""

    groups: list[Group]
    grouping: Grouping
    method: str
    methods: tuple[str, ...]
    resamples: int
    seed: int
    model: dict[str, Any]
    units: int
    documents: int
    units_without_document: int
    undated: int
    warnings: list[str]
    sources: list[str] = field(default_factory=list)
    actor_mentions: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``profile.json``."""
        from framing.profile.write import profile_dict

        return profile_dict(self)


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 6)


def summarise(
    accumulator: Accumulator,
    replicates: Replicates,
    reference: Reference | None,
    grouping: Grouping,
    method: str = DEFAULT_METHOD,
    seed: int = 0,
    model: Mapping[str, Any] | None = None,
    warnings: Sequence[str] = (),
    sources: Sequence[str] = (),
    evaluation: HeldOutErrors | None = None,
) -> Profile:
    """The :class:`Profile` of an accumulator: point estimates from replicate 0, percentile intervals.

    With ``evaluation``, each replicate also carries one held-out source's share errors.
    """
    if not accumulator.units:
        raise FramingError("No units to profile: the input is empty.")
    warnings = list(warnings)
    for name in grouping.columns:
        if accumulator.missing[name] == accumulator.units:
            raise FramingError(f"No unit has a column {name!r} (in the row or in its meta).")
        if accumulator.missing[name]:
            warnings.append(
                f"{accumulator.missing[name]} of {accumulator.units} units have no {name!r} column; "
                f"they are grouped as {MISSING}."
            )
    if accumulator.undated:
        examples = ", ".join(sorted(accumulator.undated_examples))
        warnings.append(
            f"{accumulator.undated} of {accumulator.units} units have a {grouping.date!r} that is not a "
            f"readable date (e.g. {examples}); they count in the shares by group but not over time."
        )
    if accumulator.units_without_document:
        warnings.append(
            f"{accumulator.units_without_document} units have no doc_id: each is its own document in the "
            "bootstrap and in the document counts, so their intervals are too narrow if units of one "
            "document are alike."
        )
    methods = tuple(m for m in METHODS if reference is not None or m not in CORRECTED)
    keys = sorted(accumulator.tables, key=sort_key)
    stacked = np.stack([accumulator.tables[key] for key in keys])
    replicate_shares = _replicate_shares(stacked, replicates, methods)
    for m in methods:
        errors = evaluation.draw(m, replicates.resamples, seed) if evaluation is not None else None
        if errors is not None:
            replicate_shares[m] = shifted(replicate_shares[m], errors)
    groups = []
    for g, key in enumerate(keys):
        table = stacked[g]
        totals = Totals(float(table[0, N]), table[0, COUNTS], table[0, SUMS])
        shares = {}
        for m in methods:
            point = estimate(totals, m, reference)
            spread = replicate_shares[m][g, 1:]
            usable = np.isfinite(spread[:, 0])
            if usable.sum() >= max(2, 0.9 * replicates.resamples):
                low, high = np.percentile(spread[usable], [2.5, 97.5], axis=0)
            else:
                low = high = np.full(K, np.nan)
            shares[m] = {
                label: Estimate(_round(point[i]), _round(low[i]), _round(high[i]))
                for i, label in enumerate(LABELS)
            }
        groups.append(
            Group(key, describe(key, grouping), int(table[0, N]), accumulator.document_count(key), shares)
        )
    small = [group.name for group in groups if group.small]
    if small:
        shown = "; ".join(small[:10]) + (f"; and {len(small) - 10} more" if len(small) > 10 else "")
        warnings.append(
            f"{len(small)} group(s) have fewer than {SMALL_UNITS} units or {SMALL_DOCUMENTS} documents; "
            f"their shares and intervals are unreliable: {shown}."
        )
    whole = next(group for group in groups if group.key == ((), None))
    return Profile(
        groups=groups,
        grouping=grouping,
        method=method,
        methods=methods,
        resamples=replicates.resamples,
        seed=seed,
        model=dict(model or {}),
        units=accumulator.units,
        documents=whole.documents,
        units_without_document=accumulator.units_without_document,
        undated=accumulator.undated,
        warnings=warnings,
        sources=list(sources),
        evaluation=evaluation_summary(evaluation),
        actor_mentions={
            f"{describe(key, grouping)} | {label} | {role}": count
            for (key, label, role), count in sorted(accumulator.actor_mentions.items(), key=str)
        },
    )


def _replicate_shares(
    stacked: np.ndarray, replicates: Replicates, methods: Sequence[str]
) -> dict[str, np.ndarray]:
    """``(groups, replicates, labels)`` shares of each method; NaN where a replicate drew no unit."""
    n = stacked[:, :, N][:, :, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = {
            "cc": stacked[:, :, COUNTS] / n,
            "pcc": stacked[:, :, TEMPERED] / n,
            "pacc": stacked[:, :, SUMS] / n,
        }
    result = {m: observed[m] for m in ("cc", "pcc") if m in methods}
    for m, source, matrices in (("acc", "cc", replicates.hard), ("pacc", "pacc", replicates.soft)):
        if m not in methods:
            continue
        shares = np.full_like(observed[source], np.nan)
        for b in range(stacked.shape[1]):
            filled = np.isfinite(observed[source][:, b, 0])
            if filled.any():
                shares[filled, b] = adjust_many(observed[source][filled, b], matrices[b])
        result[m] = shares
    return result


# --------------------------------------------------------------------------- the whole step


def model_summary(metadata: Mapping[str, Any], path: str | Path | None, reference: Reference | None) -> dict:
    """What a profile says about the model it used."""
    summary: dict[str, Any] = {"id": metadata.get("model_id"), "path": str(path) if path else None}
    if reference is not None:
        summary["reference"] = {
            "units": len(reference),
            "documents": len(set(reference.groups.tolist())),
            "what": "the labelled units' out-of-fold predictions (each predicted by a model that never saw "
            "its source), from which the corrections learn the classifier's errors",
        }
    else:
        summary["reference"] = None
    return summary


def evaluation_summary(evaluation: HeldOutErrors | None) -> dict[str, Any] | None:
    """What a profile says about the evaluation whose held-out share errors its intervals include."""
    if evaluation is None:
        return None
    return {
        "path": evaluation.path,
        "model_id": evaluation.model_id,
        "held_out_folds": evaluation.folds,
        "best_method": evaluation.best_method,
        "mean_total_variation": {
            method: round(float(np.abs(errors).sum(axis=1).mean() / 2), 6)
            for method, errors in evaluation.errors.items()
        },
    }


def prepare(
    metadata: Mapping[str, Any],
    method: str | None,
    resamples: int,
    seed: int,
    evaluation: HeldOutErrors | None = None,
) -> tuple[Reference | None, Replicates, str, list[str]]:
    """The model's reference, its bootstrap replicates, the method to lead with, and warnings.

    Without a ``method``, the profile leads with the evaluation's best one, else :data:`DEFAULT_METHOD`.
    """
    warnings = []
    if evaluation is None:
        warnings.append(
            "No evaluation of this model was given (`--evaluation`, made by `make evaluate`): the intervals "
            "leave out how wrong each share method was on sources its model never saw, which is larger "
            "than the sampling error on any corpus of more than a few hundred units."
        )
    elif evaluation.model_id != metadata.get("model_id"):
        warnings.append(
            f"The evaluation {evaluation.path} is of model {evaluation.model_id}, not of the model used here "
            f"({metadata.get('model_id')}): its share errors stand in for this model's."
        )
    if method is None:
        method = evaluation.best_method if evaluation is not None else DEFAULT_METHOD
    if method not in METHODS:
        raise FramingError(f"Unknown share method {method!r}: choose one of {', '.join(METHODS)}.")
    if resamples < 10:
        raise FramingError(f"--resamples {resamples}: at least 10 are needed for a 95% interval.")
    reference = Reference.from_metadata(metadata)
    if reference is None:
        warnings.append(
            "The model's metadata has no out-of-fold predictions of its labelled units (it was trained "
            "before `framing train` kept them): acc and pacc are left out, and the intervals include "
            "only the corpus sampling, not the uncertainty about the classifier's errors. Retrain "
            "(`make train`) for corrected shares."
        )
        if method in CORRECTED:
            warnings.append(f"{method} needs those predictions; the profile leads with pcc instead.")
            method = "pcc"
    return reference, Replicates.draw(reference, resamples, seed), method, warnings


def profile(
    rows: Iterable[Mapping[str, Any]],
    model: FramingModel | None = None,
    *,
    metadata: Mapping[str, Any] | None = None,
    by: Sequence[str] = (),
    date: str | None = None,
    period: str = "month",
    method: str | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    text_column: str = "text",
    batch_size: int = BATCH_SIZE,
    evaluation: HeldOutErrors | None = None,
) -> Profile:
    """The frame profile of ``rows`` (units, or `framing predict` lines that carry probabilities).

    ``model`` predicts rows without probabilities; its metadata (or ``metadata``,
    for predictions alone) gives the reference the corrections and intervals use.
    """
    records = (("<rows>", number, row) for number, row in enumerate(rows, start=1))
    options = {
        "by": by,
        "date": date,
        "period": period,
        "method": method,
        "resamples": resamples,
        "evaluation": evaluation,
    }
    return _run(
        lambda plan, _: accumulate(records, plan, model),
        model,
        metadata,
        None,
        [],
        seed=seed,
        text_column=text_column,
        batch_size=batch_size,
        **options,
    )


def profile_files(
    paths: Sequence[str | Path],
    model: FramingModel | None = None,
    *,
    metadata: Mapping[str, Any] | None = None,
    model_path: str | Path | None = None,
    client: Any = None,
    rows_per_part: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    **options: Any,
) -> Profile:
    """The frame profile of table files, in this process or, given a Dask ``client``, on its cluster.

    ``options`` are those of :func:`profile`. ``progress(rows done, rows in all or None)``.
    """

    def run(plan: Plan, model: FramingModel | None) -> Accumulator:
        if client is not None:
            from framing.scale.steps import profile_partitioned

            return profile_partitioned(client, list(paths), plan, model, rows_per_part, progress)
        accumulator = Accumulator(plan.resamples + 1)
        done = 0

        def advance(rows: int) -> None:
            nonlocal done
            done += rows
            if progress is not None:
                progress(done, None)

        for path in paths:
            accumulate(file_records(path), plan, model, accumulator, advance)
        return accumulator

    return _run(run, model, metadata, model_path, [str(p) for p in paths], **options)


def _run(
    run: Callable[[Plan, FramingModel | None], Accumulator],
    model: FramingModel | None,
    metadata: Mapping[str, Any] | None,
    model_path: str | Path | None,
    sources: list[str],
    by: Sequence[str] = (),
    date: str | None = None,
    period: str = "month",
    method: str | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    text_column: str = "text",
    batch_size: int = BATCH_SIZE,
    evaluation: HeldOutErrors | None = None,
) -> Profile:
    metadata = metadata if metadata is not None else (model.metadata if model is not None else None)
    if metadata is None:
        raise FramingError("A profile needs the model (or its metadata) that made or makes the predictions.")
    if period not in PERIODS:
        raise FramingError(f"Unknown period {period!r}: choose one of {', '.join(PERIODS)}.")
    reference, replicates, method, warnings = prepare(metadata, method, resamples, seed, evaluation)
    grouping = Grouping(by, date, period)
    plan = Plan(grouping, replicates.ratios, seed, text_column, batch_size)
    accumulator = run(plan, model)
    summary = model_summary(metadata, model_path or getattr(model, "path", None), reference)
    return summarise(
        accumulator, replicates, reference, grouping, method, seed, summary, warnings, sources, evaluation
    )
