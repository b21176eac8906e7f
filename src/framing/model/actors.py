"""Who is blamed: the actors a text mentions, found by spaCy rules and grouped into roles.

The rules are patterns in spaCy's EntityRuler format (JSON Lines, one
``{"label": ROLE, "pattern": ...}`` per line) in one file shipped with the
package, ``actor_patterns.jsonl`` (docs/actors.md explains it). A phrase
pattern (a string) is matched on lower-case tokens by a ``PhraseMatcher``; a
token pattern (a list of token objects) by a ``Matcher``. Both run on spaCy's
blank English tokenizer, with no tagger, parser or statistical NER, so they are
fast and need nothing downloaded.

>>> [(a.text, a.role) for a in next(find_actors(["The council blamed the social workers."]))]
[('council', 'council_agency'), ('social workers', 'frontline')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from framing.errors import FramingError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

ROLES: tuple[str, ...] = (
    "named_person",
    "frontline",
    "management",
    "council_agency",
    "government",
    "regulator",
    "media",
    "family_perpetrator",
)
"""The actor roles, in a fixed order."""

ROLE_NAMES: dict[str, str] = {
    "named_person": "named persons",
    "frontline": "social workers and other front-line professionals",
    "management": "managers and directors",
    "council_agency": "councils and agencies",
    "government": "government and ministers",
    "regulator": "inspectors and regulators",
    "media": "media",
    "family_perpetrator": "parents and perpetrators",
}
"""A short human label for each role."""

NOT_ACTOR = "not_actor"
"""Label of patterns that name no actor but keep shorter matches inside them out (``council tax``)."""

DEFAULT_PATTERNS = Path(__file__).with_name("actor_patterns.jsonl")
"""The shipped patterns file."""

BATCH_SIZE = 1000
MAX_NEW_STRINGS = 200_000
"""New strings the cached rules may learn before they are rebuilt (as :func:`framing.model.nlp.load_nlp`)."""

_MATCHABLE = frozenset(
    (
        *("ORTH", "TEXT", "NORM", "LOWER", "LENGTH", "IS_ALPHA", "IS_ASCII", "IS_DIGIT", "IS_LOWER"),
        *("IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE", "IS_STOP", "IS_BRACKET", "IS_QUOTE"),
        *("IS_LEFT_PUNCT", "IS_RIGHT_PUNCT", "IS_CURRENCY", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL"),
        *("SPACY", "SHAPE", "PREFIX", "SUFFIX", "OP"),
    )
)
"""Token-pattern keys the blank tokenizer provides (no lemmas, tags, parse, entities or sentences)."""


@dataclass(frozen=True)
class Actor:
    """One actor mention: its text, character offsets into the text (``end`` exclusive) and role."""

    text: str
    start: int
    end: int
    role: str

    def to_dict(self) -> dict[str, Any]:
        """``{"text", "start", "end", "role"}`` for JSON output."""
        return asdict(self)


class ActorPatternError(FramingError):
    """An actor patterns file is missing or holds a pattern that cannot be used."""


def read_patterns(path: str | Path) -> list[dict[str, Any]]:
    """The patterns of an EntityRuler JSON Lines file, checked; an error names the file and line."""
    from spacy.schemas import validate_token_pattern

    from framing.files import iter_jsonl

    path = Path(path)
    if not path.is_file():
        raise ActorPatternError(f"{path}: no such actor patterns file.")
    try:
        lines = list(iter_jsonl(path))
    except FramingError as exc:
        raise ActorPatternError(f"{exc} (actor patterns are JSON Lines, see docs/actors.md)") from None
    patterns: list[dict[str, Any]] = []
    phrases: dict[str, tuple[str, int]] = {}
    for number, record in lines:
        where = f"{path}:{number}"
        unknown = sorted(set(record) - {"label", "pattern", "id"})
        if unknown:
            raise ActorPatternError(f"{where}: unknown key(s) {unknown}; a pattern has label, pattern, id.")
        label, pattern = record.get("label"), record.get("pattern")
        if label not in (*ROLES, NOT_ACTOR):
            allowed = ", ".join((*ROLES, NOT_ACTOR))
            raise ActorPatternError(f"{where}: label {label!r} is not one of {allowed}.")
        if isinstance(pattern, str):
            if not pattern.strip():
                raise ActorPatternError(f"{where}: empty phrase pattern.")
            label_before, line_before = phrases.setdefault(pattern.lower(), (label, number))
            if label_before != label:
                raise ActorPatternError(
                    f"{where}: {pattern!r} is already a {label_before} pattern (line {line_before})."
                )
        elif isinstance(pattern, list) and pattern and all(isinstance(token, dict) for token in pattern):
            problems = validate_token_pattern(pattern)
            unusable = sorted({key.upper() for token in pattern for key in token} - _MATCHABLE)
            if not problems and unusable:
                problems = [
                    f"cannot match on {unusable}: the blank pipeline has no lemmas, tags, parse, "
                    "entities or sentences (use LOWER, TEXT, IS_TITLE, REGEX, IN ...)"
                ]
            if problems:
                raise ActorPatternError(f"{where}: bad token pattern: {'; '.join(problems)}")
        else:
            raise ActorPatternError(f"{where}: a pattern is a phrase (a string) or a list of token objects.")
        patterns.append({"label": label, "pattern": pattern})
    if not patterns:
        raise ActorPatternError(f"{path}: no patterns.")
    return patterns


class _PatternSet:
    """The matchers of one patterns file: a PhraseMatcher on LOWER and a Matcher."""

    def __init__(self, nlp: Language, patterns: list[dict[str, Any]]) -> None:
        from spacy.matcher import Matcher, PhraseMatcher

        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.tokens = Matcher(nlp.vocab)
        texts, labels, token_patterns = [], [], []
        for entry in patterns:
            pattern = entry["pattern"]
            if isinstance(pattern, str):
                # A curly apostrophe is a different token: "children’s" gets its own copy.
                for variant in dict.fromkeys((pattern, pattern.replace("'", "’"))):
                    texts.append(variant)
                    labels.append(entry["label"])
            else:
                self.tokens.add(entry["label"], [pattern])
                token_patterns.append(pattern)
        for label, doc in zip(labels, nlp.tokenizer.pipe(texts), strict=True):
            self.phrases.add(label, [doc])
        # For each token pattern, the (attribute, words) sets a text must all meet for it to match.
        self.needs = [_required_words(pattern) for pattern in token_patterns]
        self.always = any(not needs for needs in self.needs)

    def matches(self, doc: Doc, words: dict[str, set[int]]) -> list[tuple[int, int, int, int]]:
        """``(match_id, start, end, kind)`` of every match, kind 0 for phrases and 1 for token patterns.

        The Matcher costs far more per token than the PhraseMatcher, so it runs
        only on texts holding the words some token pattern requires.
        """
        found = [(key, start, end, 0) for key, start, end in self.phrases(doc)]
        if self.needs and (
            self.always
            or any(all(not words[attr].isdisjoint(wanted) for attr, wanted in needs) for needs in self.needs)
        ):
            found += [(key, start, end, 1) for key, start, end in self.tokens(doc)]
        return found


def _required_words(pattern: list[dict[str, Any]]) -> list[tuple[str, frozenset[int]]]:
    """The words a token pattern cannot match without: ``(ORTH or LOWER, hashes)`` per required token.

    A token is required unless its ``OP`` allows zero occurrences (or negates it).
    Tokens described otherwise (REGEX, IS_TITLE ...) add nothing, so a pattern
    made of them alone has no requirement and always runs.
    """
    from spacy.strings import get_string_id

    required = []
    for token in pattern:
        spec = {key.upper(): value for key, value in token.items()}
        op = str(spec.pop("OP", "1"))
        if op in ("?", "*", "!") or re.fullmatch(r"\{0?,.*\}|\{0\}", op):
            continue
        for attr in ("ORTH", "TEXT", "LOWER"):
            value = spec.get(attr)
            words = (
                [value] if isinstance(value, str) else value.get("IN") if isinstance(value, dict) else None
            )
            if words is not None:
                hashes = frozenset(map(get_string_id, words))
                required.append(("LOWER" if attr == "LOWER" else "ORTH", hashes))
                break
    return required


class ActorRules:
    """Compiled actor patterns: the shipped ones, a user's file, or both (the user's win overlaps).

    Build it with :func:`actor_rules`, which caches it per process.
    """

    def __init__(self, sources: list[list[dict[str, Any]]]) -> None:
        import spacy

        self.nlp = spacy.blank("en")
        self.sets = [_PatternSet(self.nlp, patterns) for patterns in sources]
        self.fresh_strings = len(self.nlp.vocab.strings)
        strings = self.nlp.vocab.strings
        order = {NOT_ACTOR: -1} | {role: n for n, role in enumerate(ROLES)}
        self._label = {strings[label]: label for label in order}
        self._order = {strings[label]: n for label, n in order.items()}

    def actors(self, doc: Doc) -> list[Actor]:
        """The actor mentions of a tokenized text, in text order.

        Where matches overlap, one of an earlier file wins, then the longest,
        then the first; of two on the same tokens, a phrase beats a token
        pattern. ``not_actor`` matches are dropped after that, and a leading
        "the" is never part of a mention.
        """
        from spacy.attrs import LOWER, ORTH

        words: dict[str, set[int]] = {}
        if any(patterns.needs for patterns in self.sets):
            array = doc.to_array([ORTH, LOWER])
            words = {"ORTH": set(array[:, 0].tolist()), "LOWER": set(array[:, 1].tolist())}
        taken = bytearray(len(doc))
        chosen = []
        for patterns in self.sets:
            found = patterns.matches(doc, words)
            found.sort(key=lambda m: (m[1] - m[2], m[1], m[3], self._order[m[0]]))
            for key, start, end, _ in found:
                if not any(taken[start:end]):
                    taken[start:end] = b"\1" * (end - start)
                    chosen.append((start, end, self._label[key]))
        actors = []
        for start, end, role in sorted(chosen):
            if role == NOT_ACTOR:
                continue
            if end - start > 1 and doc[start].lower_ == "the":
                start += 1
            span = doc[start:end]
            actors.append(Actor(span.text, span.start_char, span.end_char, role))
        return actors


def actor_rules(patterns: str | Path | None = None, replace: bool = False) -> ActorRules:
    """The compiled rules, built once per process (and version of the patterns file).

    ``patterns`` adds a user file to the shipped patterns, or replaces them with
    ``replace``. Raises :class:`ActorPatternError` for a missing or bad file.
    """
    if patterns is None:
        key: tuple[str | None, tuple[int, int], bool] = (None, (0, 0), False)
    else:
        path = Path(patterns)
        try:
            found = path.stat()
            stamp = (found.st_size, found.st_mtime_ns)
        except OSError:
            stamp = (0, 0)
        key = (str(path.resolve()), stamp, replace)
    rules = _cached_rules(*key)
    if len(rules.nlp.vocab.strings) > rules.fresh_strings + MAX_NEW_STRINGS:
        _cached_rules.cache_clear()  # whoever still holds the old rules keeps them until done
        rules = _cached_rules(*key)
    return rules


@lru_cache(maxsize=4)
def _cached_rules(path: str | None, stamp: tuple[int, int], replace: bool) -> ActorRules:
    sources = [] if path is None else [read_patterns(path)]
    if path is None or not replace:
        sources.append(read_patterns(DEFAULT_PATTERNS))
    return ActorRules(sources)


def find_actors(
    texts: Iterable[str],
    patterns: str | Path | None = None,
    batch_size: int = BATCH_SIZE,
    replace: bool = False,
) -> Iterator[list[Actor]]:
    """The actors each text mentions, one list per text in text order, streamed.

    Parameters
    ----------
    texts : iterable of str
        Read ``batch_size`` at a time, so memory does not grow with the input.
    patterns : path or None
        A patterns file (EntityRuler JSON Lines) added to the shipped one; its
        matches win where the two overlap. ``None``: the shipped patterns alone.
    batch_size : int
        Texts per ``nlp.tokenizer.pipe`` batch.
    replace : bool
        Use ``patterns`` instead of the shipped patterns.

    Raises
    ------
    ActorPatternError
        When a patterns file is missing or holds a bad pattern.
    TypeError
        When ``texts`` is one string, or a text is not a string (the message names its position).

    """
    if isinstance(texts, str | bytes):
        raise TypeError("find_actors takes an iterable of texts: pass [text] for one text.")
    iterator = iter(texts)
    position = 0
    while batch := list(islice(iterator, batch_size)):
        for offset, text in enumerate(batch):
            if not isinstance(text, str):
                raise TypeError(f"Text {position + offset} is {type(text).__name__} ({text!r:.60}), not str.")
        position += len(batch)
        rules = actor_rules(patterns, replace)
        for doc in rules.nlp.tokenizer.pipe(batch, batch_size=batch_size):
            yield rules.actors(doc)
