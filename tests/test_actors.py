"""Who is blamed: the actor rules, their patterns file, `framing predict --actors` and their scoring."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import FramingError
from framing.experiment.actor_scores import actor_scores, score_table, unit_counts
from framing.model.actors import (
    DEFAULT_PATTERNS,
    NOT_ACTOR,
    ROLE_NAMES,
    ROLES,
    Actor,
    ActorPatternError,
    actor_rules,
    find_actors,
    read_patterns,
)

FIXTURES = Path(__file__).parent / "fixtures"
SAMPLE = FIXTURES / "actor_sample.jsonl"
runner = CliRunner()


def found(text: str, **options) -> list[tuple[str, str]]:
    return [(actor.text, actor.role) for actor in next(find_actors([text], **options))]


def test_the_shipped_patterns_load_and_cover_every_role():
    labels = {entry["label"] for entry in read_patterns(DEFAULT_PATTERNS)}
    assert labels == {*ROLES, NOT_ACTOR}
    assert set(ROLE_NAMES) == set(ROLES)


@pytest.mark.parametrize(
    ("role", "text", "mention"),
    [
        ("named_person", "The report was written by Lord Laming.", "Lord Laming"),
        ("frontline", "Two social-workers and a health visitor saw him.", "social-workers"),
        ("management", "Senior managers ignored the warnings.", "Senior managers"),
        ("council_agency", "Birmingham City Council apologised.", "Birmingham City Council"),
        ("government", "Ministers cut the grant, the govt said.", "Ministers"),
        ("regulator", "Ofsted rated the service good.", "Ofsted"),
        ("media", "The tabloids hounded her.", "tabloids"),
        ("family_perpetrator", "His stepfather was convicted.", "stepfather"),
    ],
)
def test_each_role_is_found(role, text, mention):
    assert (mention, role) in found(text)


def test_titles_and_first_names_make_named_persons():
    text = "Ms Shoesmith, Cllr Liz Santry, Dr Sabah Al-Zayyat and Ed Balls were named; Baby P died."
    assert found(text) == [
        ("Ms Shoesmith", "named_person"),
        ("Cllr Liz Santry", "named_person"),
        ("Dr Sabah Al-Zayyat", "named_person"),
        ("Ed Balls", "named_person"),
        ("Baby P", "named_person"),
    ]


def test_a_neutral_sentence_has_no_actor():
    assert found("Caseloads were 50% above the recommended level, and it rained on Monday.") == []


def test_offsets_point_into_the_text_and_the_longest_match_wins():
    text = "Sharon Shoesmith, the director of children’s services, blamed the Sun and the press."
    actors = next(find_actors([text]))
    assert all(text[a.start : a.end] == a.text for a in actors)
    assert [(a.text, a.role) for a in actors] == [
        ("Sharon Shoesmith", "named_person"),
        ("director of children’s services", "management"),
        ("Sun", "media"),  # a leading "the" is never part of a mention
        ("press", "media"),
    ]


def test_not_actor_patterns_hide_shorter_matches():
    assert found("Council tax rose at the press conference.") == []
    assert found("The council held a press conference.") == [("council", "council_agency")]


def test_a_user_file_adds_patterns_and_wins_overlaps(tmp_path):
    patterns = tmp_path / "mine.jsonl"
    patterns.write_text(
        '{"label": "council_agency", "pattern": "haringey"}\n'
        '{"label": "frontline", "pattern": [{"LOWER": "duty"}, {"LOWER": "team"}]}\n'
        '{"label": "frontline", "pattern": "police"}\n'
    )
    text = "Haringey's duty team and the police were told; ministers were not."
    assert found(text, patterns=patterns) == [
        ("Haringey", "council_agency"),
        ("duty team", "frontline"),
        ("police", "frontline"),  # the shipped patterns call it council_agency
        ("ministers", "government"),
    ]
    assert found(text, patterns=patterns, replace=True) == [
        ("Haringey", "council_agency"),
        ("duty team", "frontline"),
        ("police", "frontline"),
    ]
    assert found(text) == [("police", "council_agency"), ("ministers", "government")]


def test_skipping_the_matcher_never_changes_the_result():
    texts = [
        "Mr Justice McFarlane criticised Haringey Council and the PM.",
        "the times and the Times; Sarah Smith-Jones; baby p and Baby P.",
        "No capitalised anchor here, only social workers.",
    ]
    rules = actor_rules()
    quick = [rules.actors(doc) for doc in rules.nlp.tokenizer.pipe(texts)]
    for patterns in rules.sets:
        patterns.always = True
    try:
        slow = [rules.actors(doc) for doc in rules.nlp.tokenizer.pipe(texts)]
    finally:
        for patterns in rules.sets:
            patterns.always = any(not needs for needs in patterns.needs)
    assert quick == slow
    assert Actor("PM", 57, 59, "government") in quick[0]


def test_find_actors_streams_in_batches_and_names_a_bad_text():
    texts = ["The council failed.", "", "Social workers left."] * 3
    assert [len(a) for a in find_actors(texts, batch_size=2)] == [1, 0, 1] * 3
    with pytest.raises(TypeError, match="Text 2 is int"):
        list(find_actors(["a", "b", 3], batch_size=2))
    with pytest.raises(TypeError, match=r"pass \[text\]"):
        list(find_actors("The council failed."))


def test_the_rules_are_rebuilt_once_they_have_learned_many_new_words(monkeypatch):
    from framing.model import actors as module

    monkeypatch.setattr(module, "MAX_NEW_STRINGS", 50)
    first = module.actor_rules()
    texts = [f"Word{i} and the council." for i in range(200)]
    results = list(find_actors(texts, batch_size=20))
    assert module.actor_rules() is not first
    assert all(
        r == [Actor("council", len(t) - 8, len(t) - 1, "council_agency")]
        for t, r in zip(texts, results, strict=True)
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "mine.jsonl:1: not JSON"),
        ('{"label": "police", "pattern": "police"}\n', "mine.jsonl:1: label 'police' is not one of"),
        ('{"label": "media", "pattern": ""}\n', "empty phrase pattern"),
        ('{"label": "media", "pattern": [{"LOWERR": "bbc"}]}\n', "mine.jsonl:1: bad token pattern"),
        ('{"label": "media", "pattern": [{"LEMMA": "paper"}]}\n', "cannot match on ['LEMMA']"),
        ('{"label": "media", "pattern": 3}\n', "a phrase (a string) or a list of token objects"),
        ('{"label": "media", "pattern": "bbc", "colour": 1}\n', "unknown key(s) ['colour']"),
        ('{"label": "media", "pattern": "BBC"}\n{"label": "government", "pattern": "bbc"}\n', "line 1"),
        ("\n", "no patterns"),
    ],
)
def test_a_bad_patterns_file_is_a_clean_error(tmp_path, model_path, content, message):
    patterns = tmp_path / "mine.jsonl"
    patterns.write_text(content)
    with pytest.raises(ActorPatternError, match=None) as caught:
        read_patterns(patterns)
    assert message in str(caught.value)
    assert isinstance(caught.value, FramingError)
    result = runner.invoke(
        app, ["predict", "--model", str(model_path), "--actor-patterns", str(patterns)], input="x\n"
    )
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_a_missing_patterns_file_is_a_clean_error(tmp_path, model_path):
    result = runner.invoke(
        app,
        ["predict", "--model", str(model_path), "--actor-patterns", str(tmp_path / "no.jsonl")],
        input="x\n",
    )
    assert result.exit_code == 1
    assert "no such actor patterns file" in result.output and "Traceback" not in result.output


def test_replace_needs_a_patterns_file(model_path):
    result = runner.invoke(
        app, ["predict", "--model", str(model_path), "--replace-actor-patterns"], input="x\n"
    )
    assert result.exit_code == 1
    assert "--replace-actor-patterns needs --actor-patterns" in result.output


def test_predict_lists_actors_only_when_asked(model_path):
    text = "The council blamed Ms Shoesmith.\n"
    plain = runner.invoke(app, ["predict", "--model", str(model_path)], input=text)
    asked = runner.invoke(app, ["predict", "--model", str(model_path), "--actors"], input=text)
    assert plain.exit_code == 0 and asked.exit_code == 0, plain.output + asked.output
    row, with_actors = json.loads(plain.stdout), json.loads(asked.stdout)
    assert "actors" not in row
    assert with_actors == {
        **row,
        "actors": [
            {"text": "council", "start": 4, "end": 11, "role": "council_agency"},
            {"text": "Ms Shoesmith", "start": 19, "end": 31, "role": "named_person"},
        ],
    }
    assert list(with_actors) == ["text", "label", "probabilities", "actors"]


# --------------------------------------------------------------------------- scoring

# Found mentions, written by hand against tests/fixtures/actor_sample.jsonl (9 labelled mentions).
FOUND = [
    [
        {"start": 9, "end": 16, "role": "council_agency"},  # "Council": overlaps "Haringey Council"
        {"start": 28, "end": 42, "role": "frontline"},  # exact
    ],
    [
        {"start": 0, "end": 12, "role": "named_person"},  # exact
        {"start": 31, "end": 50, "role": "management"},  # right span, wrong role (it is government)
    ],
    [{"start": 0, "end": 7, "role": "council_agency"}],  # "Budgets": no mention there
    [
        {"start": 4, "end": 10, "role": "family_perpetrator"},  # exact
        {"start": 19, "end": 28, "role": "family_perpetrator"},  # exact
        {"start": 46, "end": 49, "role": "media"},  # "Sun" for "the Sun"
    ],
    [],  # both mentions missed
]


def sample_gold() -> list[list[dict]]:
    return [json.loads(line)["actors"] for line in SAMPLE.read_text().splitlines()]


def counts(entry: dict) -> tuple[int, int, int]:
    return entry["tp"], entry["fp"], entry["fn"]


def test_strict_and_lenient_counts_on_the_fixture():
    scores = actor_scores(sample_gold(), FOUND, n_resamples=200)
    strict, lenient = scores["strict"], scores["lenient"]
    assert scores["units"] == 5 and scores["mentions"] == 9
    assert counts(strict["micro"]) == (4, 4, 5)
    assert counts(lenient["micro"]) == (6, 2, 3)
    assert counts(strict["roles"]["council_agency"]) == (0, 2, 1)
    assert counts(lenient["roles"]["council_agency"]) == (1, 1, 0)
    assert counts(strict["roles"]["media"]) == (0, 1, 1)
    assert counts(lenient["roles"]["media"]) == (1, 0, 0)
    assert counts(strict["roles"]["government"]) == (0, 0, 1)
    assert counts(strict["roles"]["management"]) == (0, 1, 1)
    assert counts(strict["roles"]["family_perpetrator"]) == (2, 0, 0)
    assert strict["micro"]["precision"]["value"] == 0.5
    assert strict["micro"]["recall"]["value"] == pytest.approx(4 / 9)
    low, high = strict["micro"]["recall"]["low"], strict["micro"]["recall"]["high"]
    assert 0 <= low <= 4 / 9 <= high <= 1 and low < high
    assert lenient["roles"]["government"]["precision"]["value"] is None  # never predicted
    assert "micro-average" in score_table(scores)


def test_lenient_matching_pairs_each_labelled_mention_once_at_most():
    gold = [{"start": 0, "end": 10, "role": "media"}, {"start": 8, "end": 20, "role": "media"}]
    media = ROLES.index("media")
    # "x" overlaps both labelled mentions, "y" only the first: the best pairing matches both.
    found_two = [{"start": 5, "end": 9, "role": "media"}, {"start": 0, "end": 3, "role": "media"}]
    assert unit_counts(gold, found_two, lenient=True)[media].tolist() == [2, 0, 0]
    # Two found mentions inside one labelled one: one is right, the other a false positive.
    found_inside = [{"start": 0, "end": 3, "role": "media"}, {"start": 4, "end": 6, "role": "media"}]
    assert unit_counts(gold[:1], found_inside, lenient=True)[media].tolist() == [1, 1, 0]
    assert unit_counts(gold[:1], found_inside)[media].tolist() == [0, 2, 1]


def test_the_rules_benchmark_scores_the_fixture(tmp_path, monkeypatch, capsys):
    output = tmp_path / "scores.json"
    script = Path(__file__).parents[1] / "benchmarks" / "actor_rules.py"
    argv = [str(script), "--sample", str(SAMPLE), "--json", str(output), "--resamples", "100"]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(script), run_name="__main__")
    scores = json.loads(output.read_text())
    # The rules find all nine mentions, but "Sun" for "the Sun" is right only leniently.
    assert counts(scores["strict"]["micro"]) == (8, 1, 1)
    assert counts(scores["lenient"]["micro"]) == (9, 0, 0)
    assert "strict" in capsys.readouterr().out
