"""Rules that recognise page furniture: the one place ingest decides what is not text.

Each rule is a named regular expression matched against a whole, stripped line.
Add a rule here (with a test in ``tests/test_ingest.py``) rather than filtering
anywhere else.
"""

from __future__ import annotations

import re

_NAME = r"[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){0,3}"

BOILERPLATE_RULES: dict[str, re.Pattern[str]] = {
    "job advert": re.compile(r"(?i)^[•*·\-\s]*click to see all the latest .*jobs\.?$"),
    "byline": re.compile(rf"^[Bb]y {_NAME}(?:(?:, | and ){_NAME})*$"),
    "comment prompt": re.compile(r"(?i)^(leave a (comment|reply)|\d+ comments?|no comments)$"),
    "comment count": re.compile(r"(?i)^\d+ (responses|replies|comments|thoughts) (to|on) .*$"),
    "filed under": re.compile(r"(?i)^(filed under|posted in|categories:|tagged:?) .*$"),
    "tag archive": re.compile(r"(?i)^(tag|category|author|monthly) archives?: .*$"),
    "share prompt": re.compile(
        r"(?i)^(share( this)?|like this|follow( us)?( on \w+)?|tweet|print|email|"
        r"facebook|twitter|linkedin|whatsapp|reddit|pinterest):?$"
    ),
    "image file": re.compile(r"(?i)^\S.*\.(jpe?g|png|gif|webp)$"),
    "author box": re.compile(rf"^About {_NAME}$"),
    "no words": re.compile(r"^[\W\d_]*$"),
}

MAX_CAPTION_WORDS = 2
"""A line of at most this many words with no sentence punctuation is a masthead,
caption or section label ("Community Care", "Baby Peter"), not a claim."""

MAX_ROLE_WORDS = 6
"""After an author box ("About Jane Smith"), one short unpunctuated line is the
author's role ("managing web editor") and is dropped with it."""

_SENTENCE_END = re.compile(r"[.!?…:;\"”’)]$")


def boilerplate_rule(line: str) -> str | None:
    """Return the name of the rule that marks ``line`` as boilerplate, or ``None``."""
    stripped = line.strip()
    for name, pattern in BOILERPLATE_RULES.items():
        if pattern.match(stripped):
            return name
    if is_label_like(stripped, MAX_CAPTION_WORDS):
        return "caption"
    return None


def is_label_like(line: str, max_words: int) -> bool:
    """True for a short line without sentence punctuation (a caption or a role)."""
    stripped = line.strip()
    return len(stripped.split()) <= max_words and not _SENTENCE_END.search(stripped)
