"""Frame profiles: per-group frame shares, corrected for classifier error, with 95% bootstrap intervals.

Rows stream through :func:`accumulate` in batches: each unit's probabilities
(read from a predictions file, or predicted), its groups and its document's
Poisson weights are folded into an :class:`Accumulator` that holds, per group
and per replicate, the weighted totals the share estimators need. Its size is
O(groups x replicates) (plus 8 bytes per distinct document and group, to
count documents), whatever the number of units; accumulators of partitions
add up (:meth:`Accumulator.merge`), and :func:`summarise` turns the total into
a :class:`Profile`.

With actors (``Plan.actors``), each unit's actor roles (its ``actors`` field,
or the rules' finds on its text, in the same batches as prediction) are
counted too, per group, role and label (:func:`count_actor_mentions`):
O(groups x roles x labels), plus O(replicates x roles x labels) for the
whole corpus's intervals.

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
from framing.model.actors import ROLES, find_actors
from framing.model.calibration import LOG_FLOOR
from framing.model.persist import FramingModel
from framing.model.predict import BATCH_SIZE, ActorFinder, iter_predict
from framing.profile.bootstrap import (
    DEFAULT_RESAMPLES,
    HeldOutErrors,
    Replicates,
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
from framing.profile.shares import CORRECTED, METHODS, Reference, Totals, adjust, estimate

DEFAULT_METHOD = "cc"
"""The method a profile leads with when no evaluation of its model is at hand (with one, its best method).

Chosen on the share-error evaluation of `make evaluate` (docs/results.md): on the five held-out sources of
the seed corpus, plain counting erred least (mean total variation 0.15, against 0.19 for pcc, 0.20 for acc
and 0.30 for pacc); the corrections learn error rates on other sources, which did not carry over."""

SMALL_UNITS = 30
SMALL_DOCUMENTS = 5
QUANTUM = 2.0**20
CHUNK = 1024
"""Units folded into the accumulator at once (bounds the per-batch arrays to a few MB per replicate)."""
K = len(LABELS)
N, COUNTS, SUMS, TEMPERED = 0, slice(1, 1 + K), slice(1 + K, 1 + 2 * K), slice(1 + 2 * K, 1 + 3 * K)
WIDTH = 1 + 3 * K
"""Per group and replicate: units (weighted), predicted-label counts, probability sums, re-tempered sums."""
ACTOR_WIDTH = 1 + 2 * K
"""Per group and role: units mentioning it, their predicted-label counts, their probability sums."""
ROLE_INDEX = {role: index for index, role in enumerate(ROLES)}

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
    actors: ActorFinder | None = None
    """Finds each unit's actors (rows with an ``actors`` field keep theirs); ``None``: no actors."""

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
    actors: dict[Key, np.ndarray] = field(default_factory=dict)
    """Per group, ``(roles, 1 + 2 * labels)``: units mentioning each role, their predicted-label counts and
    their probability sums (see :func:`count_actor_mentions`); empty when actors are not counted."""
    actor_replicates: np.ndarray | None = None
    """The same totals for the whole corpus in every replicate, ``(replicates, roles, 1 + 2 * labels)``
    (probability sums re-tempered as the pcc shares are); ``None`` until actors are counted."""

    def table(self, key: Key) -> np.ndarray:
        if key not in self.tables:
            self.tables[key] = np.zeros((self.replicates, WIDTH))
        return self.tables[key]

    def actor_table(self, key: Key) -> np.ndarray:
        if key not in self.actors:
            self.actors[key] = np.zeros((len(ROLES), ACTOR_WIDTH))
        return self.actors[key]

    def actor_replicates_table(self) -> np.ndarray:
        if self.actor_replicates is None:
            self.actor_replicates = np.zeros((self.replicates, len(ROLES), ACTOR_WIDTH))
        return self.actor_replicates

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
        for key, values in other.actors.items():
            self.actor_table(key)[...] += values
        if other.actor_replicates is not None:
            self.actor_replicates = self.actor_replicates_table() + other.actor_replicates
        return self


def count_actor_mentions(
    accumulator: Accumulator,
    keys: list[Key],
    margins: Callable[[Key], list[Key]],
    mentions: np.ndarray,
    probabilities: np.ndarray,
    documents: np.ndarray,
    ratios: np.ndarray,
) -> None:
    """Count, per group (and every margin of it), the units mentioning each actor role.

    ``mentions`` is a ``(units, roles)`` 0/1 array (a unit counts once per role). For each role: the
    units mentioning it, how many of them have each predicted label, and the sum of each label's
    probability over them. The whole corpus also gets these totals in every bootstrap replicate (its
    documents' Poisson weights; probabilities re-tempered by each replicate's ratio, as for pcc).
    """
    rounded = _quantise(probabilities)
    features = np.concatenate(
        [np.ones((len(keys), 1)), np.eye(K)[probabilities.argmax(axis=1)], rounded], axis=1
    )
    rows: dict[Key, list[int]] = {}
    for index, key in enumerate(keys):
        rows.setdefault(key, []).append(index)
    for key, indices in rows.items():
        totals = mentions[indices].T @ features[indices]  # exact: sums of multiples of 2^-20
        for target in margins(key):
            accumulator.actor_table(target)[...] += totals
    mentioning = mentions.any(axis=1)
    replicates = accumulator.actor_replicates_table()
    if not mentioning.any():
        return
    mentions, features, p = mentions[mentioning], features[mentioning], probabilities[mentioning]
    weights = np.empty((len(p), len(ratios)))
    weights[:, 0] = 1.0
    weights[:, 1:] = poisson_weights(documents[mentioning], len(ratios) - 1)
    # all sums below are exact (integer weights times 0/1 or multiples of 2^-20), so matrix products do
    by_role = (mentions[:, :, None] * features[:, None, : 1 + K]).reshape(len(p), -1)
    replicates[:, :, : 1 + K] += (weights.T @ by_role).reshape(len(ratios), len(ROLES), 1 + K)
    tempered = [features[:, 1 + K + k, None] for k in range(K)]  # replicate 0: the probabilities
    if not np.all(ratios[1:] == 1.0):
        tempered = [
            np.hstack([t, _quantise(r)]) for t, r in zip(tempered, _tempered(p, ratios[1:]), strict=True)
        ]
    for k in range(K):
        replicates[:, :, 1 + K + k] += (mentions.T @ (weights * tempered[k])).T


def role_mentions(actors: Iterable[Iterable[Any]]) -> np.ndarray:
    """``(units, roles)``: 1 where a unit's actors (``Actor`` objects or their dicts) include the role."""
    lists = list(actors)
    mentions = np.zeros((len(lists), len(ROLES)))
    for index, found in enumerate(lists):
        for actor in found:
            role = actor["role"] if isinstance(actor, Mapping) else actor.role
            mentions[index, ROLE_INDEX[role]] = 1.0
    return mentions


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
        if plan.actors is not None:
            mentions = role_mentions(_actors(batch, plan))
            count_actor_mentions(
                accumulator, keys, grouping.margins, mentions, probabilities, documents, plan.ratios
            )
        accumulator.units += len(batch)
        first = False
        if progress is not None:
            progress(len(batch))
    return accumulator


def _actors(batch: list[Record], plan: Plan) -> list[list[Any]]:
    """Each row's actors: its ``actors`` field (a `framing predict --actors` line), else the rules' finds."""
    found: list[list[Any]] = []
    to_find: list[int] = []
    for index, (source, number, row) in enumerate(batch):
        value = row.get("actors")
        if value is None:
            to_find.append(index)
            found.append([])
        elif isinstance(value, list) and all(
            isinstance(actor, Mapping) and actor.get("role") in ROLE_INDEX for actor in value
        ):
            found.append(value)
        else:
            raise FramingError(
                f"{source}:{number}: 'actors' must be a list of objects whose 'role' is one of "
                f"{', '.join(ROLE_INDEX)}, as `framing predict --actors` writes it."
            )
    if to_find:
        texts = [_text(*batch[index], plan.text_column) for index in to_find]
        for index, actors in zip(to_find, plan.actors(texts), strict=True):
            found[index] = actors
    return found


def _text(source: str, number: int, row: Mapping[str, Any], column: str) -> str:
    text = text_value(Path(source), number, row, column)
    if text is None:
        raise FramingError(f"{source}:{number}: the {column!r} value is empty (null), not text.")
    return text


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
    texts = [_text(*batch[index], plan.text_column) for index in indices]
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
    evaluation: dict[str, Any] | None = None
    actors: dict[Key, dict[str, RoleCount]] = field(default_factory=dict)
    """Per group, per role: its mentions and their labels (:func:`summarise_actors`); empty without actors."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``profile.json``."""
        from framing.profile.write import profile_dict

        return profile_dict(self)


@dataclass(frozen=True)
class RoleCount:
    """The units of one group that mention one actor role, and their frames.

    ``share``: of the group's units, those mentioning the role. Per method (``cc``: each unit's predicted
    label; ``pcc``: each label's probability) and label: ``label_units``, the units mentioning the role
    with the label (a probability sum for pcc); ``among``, their share of the units mentioning the role;
    ``of_label``, their share of the group's units with the label. Intervals: whole corpus only.
    """

    units: int
    share: Estimate
    label_units: dict[str, dict[str, float]]
    among: dict[str, dict[str, Estimate]]
    of_label: dict[str, dict[str, Estimate]]


ACTOR_METHODS = {"cc": (slice(1, 1 + K), COUNTS), "pcc": (slice(1 + K, 1 + 2 * K), TEMPERED)}
"""How a unit's frame is read for actors, as the shares of the same name: its predicted label (cc), or
each label's probability (pcc). Per method: the actor-table columns, and the group-table columns."""


def summarise_actors(accumulator: Accumulator, resamples: int) -> dict[Key, dict[str, RoleCount]]:
    """Per group and role, :class:`RoleCount`; 95% intervals for the whole corpus from its replicates.

    Only the whole corpus carries replicates: per group they would take groups x replicates x roles x
    labels numbers (100 KB per group at 200 replicates), too much when groups are many (``--by doc_id``).
    """
    result = {}
    for key, counts in accumulator.actors.items():
        counts, group = counts[None], accumulator.tables[key][:1].copy()
        if key == ((), None) and accumulator.actor_replicates is not None:
            counts, group = accumulator.actor_replicates, accumulator.tables[key].copy()
        group[0, TEMPERED] = group[0, SUMS]  # the point estimate: the probabilities themselves
        roles = {}
        for r, role in enumerate(ROLES):
            mentioning = counts[:, r, :1]
            among, of_label, label_units = {}, {}, {}
            for method, (columns, group_columns) in ACTOR_METHODS.items():
                numerators = counts[:, r, columns]
                among[method] = dict(zip(LABELS, _ratios(numerators, mentioning, resamples), strict=True))
                of_label[method] = dict(
                    zip(LABELS, _ratios(numerators, group[:, group_columns], resamples), strict=True)
                )
                label_units[method] = dict(zip(LABELS, map(_round, numerators[0]), strict=True))
            share = _ratios(mentioning, group[:, N, None], resamples)[0]
            roles[role] = RoleCount(int(mentioning[0, 0]), share, label_units, among, of_label)
        result[key] = roles
    return result


def _ratios(numerators: np.ndarray, denominators: np.ndarray, resamples: int) -> list[Estimate]:
    """Per column, ``numerators / denominators`` of replicate 0 (row 0), with a 95% percentile interval.

    The interval needs replicates (rows 1...), enough of them with a non-zero denominator.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = numerators / denominators
    low = high = np.full(ratios.shape[1], np.nan)
    if len(ratios) > 1:
        spread = ratios[1:]
        usable = np.isfinite(spread[:, 0])
        if usable.sum() >= max(2, 0.9 * resamples):
            low, high = np.percentile(spread[usable], [2.5, 97.5], axis=0)
    return [Estimate(_round(ratios[0, i]), _round(low[i]), _round(high[i])) for i in range(ratios.shape[1])]


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
        actors=summarise_actors(accumulator, replicates.resamples),
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
                shares[filled, b] = adjust(observed[source][filled, b], matrices[b])
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


@dataclass(frozen=True)
class ProfileOptions:
    """How a profile groups, estimates and resamples: the options of :func:`profile`."""

    by: Sequence[str] = ()
    date: str | None = None
    period: str = "month"
    method: str | None = None
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0
    text_column: str = "text"
    batch_size: int = BATCH_SIZE
    evaluation: HeldOutErrors | None = None
    actors: ActorFinder | None = find_actors


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
    actors: ActorFinder | None = find_actors,
) -> Profile:
    """The frame profile of ``rows`` (units, or `framing predict` lines that carry probabilities).

    ``model`` predicts rows without probabilities; its metadata (or ``metadata``,
    for predictions alone) gives the reference the corrections and intervals use.
    ``actors`` finds the actor roles each unit mentions (rows with an ``actors`` field, from
    `framing predict --actors`, keep theirs), e.g. ``partial(find_actors, patterns=path)``;
    ``None`` leaves actors out.
    """
    records = (("<rows>", number, row) for number, row in enumerate(rows, start=1))
    options = ProfileOptions(
        by, date, period, method, resamples, seed, text_column, batch_size, evaluation, actors
    )
    return _run(lambda plan, _: accumulate(records, plan, model), model, metadata, None, [], options)


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

    ``options`` are those of :func:`profile` (:class:`ProfileOptions`). ``progress(rows done, rows in
    all or None)``.
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

    return _run(run, model, metadata, model_path, [str(p) for p in paths], ProfileOptions(**options))


def _run(
    run: Callable[[Plan, FramingModel | None], Accumulator],
    model: FramingModel | None,
    metadata: Mapping[str, Any] | None,
    model_path: str | Path | None,
    sources: list[str],
    options: ProfileOptions,
) -> Profile:
    metadata = metadata if metadata is not None else (model.metadata if model is not None else None)
    if metadata is None:
        raise FramingError("A profile needs the model (or its metadata) that made or makes the predictions.")
    if options.period not in PERIODS:
        raise FramingError(f"Unknown period {options.period!r}: choose one of {', '.join(PERIODS)}.")
    reference, replicates, method, warnings = prepare(
        metadata, options.method, options.resamples, options.seed, options.evaluation
    )
    grouping = Grouping(options.by, options.date, options.period)
    plan = Plan(
        grouping, replicates.ratios, options.seed, options.text_column, options.batch_size, options.actors
    )
    accumulator = run(plan, model)
    summary = model_summary(metadata, model_path or getattr(model, "path", None), reference)
    return summarise(
        accumulator,
        replicates,
        reference,
        grouping,
        method,
        options.seed,
        summary,
        warnings,
        sources,
        options.evaluation,
    )
