"""The label set and its one-line definitions, following the project's codebook.

The rules are those of codebook v1.1, explained at length in ``docs/guidelines.md``;
everything in code that names or explains a label reads it from here.
"""

from __future__ import annotations

from framing.errors import UnknownLabelError

CODEBOOK_VERSION = "1.1"

LABELS: tuple[str, ...] = ("individual-blame", "systemic-failure", "resource", "none")
"""The four labels, in the order used for probabilities, shortcuts and reports."""

NONE_LABEL = "none"

DEFINITIONS: dict[str, str] = {
    "individual-blame": (
        "Responsibility lies with particular people: named persons, or professionals and "
        'officials as persons ("the social workers", "managers", "ministers", "the mother"); '
        "their conduct, competence, judgement, character or choices."
    ),
    "systemic-failure": (
        "Responsibility lies with structures: the system, procedures, policy, law, targets, IT, "
        "inspection, inter-agency arrangements, organisational or political/media culture, or an "
        "organisation blamed as a whole (a council, trust, police force, agency, department)."
    ),
    "resource": (
        "Responsibility lies with the level of resources: money, budgets, cuts, funding, staffing, "
        "vacancies, caseloads, workload, time, pay, recruitment and retention, costs."
    ),
    "none": ("No attribution of responsibility for a failure, harm or problem, and no remedy for one."),
}
"""The codebook's one-line definition of each label, word for word."""

DECISION_PROCEDURE: tuple[str, ...] = (
    "1. Does the unit say why something went wrong, who or what is responsible, "
    "or what must change? If not: none.",
    "2. Is the cause or remedy the amount of money, staff, time or workload? resource.",
    "3. Is it a structure, process, policy, institution or culture, or does the unit "
    "reject blaming individuals (scapegoating, witch-hunts)? systemic-failure.",
    "4. Is it the behaviour, competence or decisions of identifiable people or of a "
    "professional group treated as culpable individuals? individual-blame.",
    "Ties: resource over systemic-failure; systemic-failure over individual-blame "
    "when the unit weighs the two and lands on the system.",
    "An organisation blamed as a whole is systemic-failure; blame on people, named "
    "or in roles, is individual-blame. Blame reported in order to deplore it is "
    "systemic-failure.",
)


def check_label(label: object) -> str:
    """Return ``label`` if it is one of :data:`LABELS`, else raise :class:`UnknownLabelError`.

    This is the one check of a label, wherever labels come in (the app, label
    files, imports, test sets).

    >>> check_label("resource")
    'resource'
    """
    if not isinstance(label, str) or label not in LABELS:
        raise UnknownLabelError(f"Unknown label {label!r}; expected one of {', '.join(LABELS)}.")
    return label
