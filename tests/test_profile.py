"""Frame profiles: groups, periods, shares, intervals, order independence, inputs, outputs and the CLI."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.codebook import LABELS
from framing.errors import FramingError
from framing.model.actors import ROLES, find_actors
from framing.model.predict import load_model, predict
from framing.profile.bootstrap import document_key, poisson_weights
from framing.profile.build import Plan, accumulate, profile
from framing.profile.groups import Grouping, period_of
from framing.profile.shares import Reference, Totals, estimate
from framing.profile.write import write_profile

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()
OUTLETS = ("Mail", "Guardian", "Sun")


def labelled() -> list[dict]:
    return [json.loads(line) for line in (FIXTURES / "labels.jsonl").read_text().splitlines()]


def make_units(count: int = 240, per_document: int = 4, alike: bool = False) -> list[dict]:
    """Units of ``count // per_document`` documents, each with an outlet and a month in its meta.

    ``alike``: each document's texts all have one gold label, so documents differ from each other.
    """
    pool = [record["text"] for record in labelled()]
    by_label = {label: [r["text"] for r in labelled() if r["label"] == label] for label in LABELS}
    units = []
    for i in range(count):
        document = i // per_document
        if alike:
            pool = by_label[LABELS[(document * 7) % len(LABELS)]]
        meta = {"outlet": OUTLETS[document % 3], "published": f"2009-0{1 + document % 4}-15"}
        units.append(
            {
                "unit_id": f"u{i}",
                "doc_id": f"d{document}",
                "kind": "sentence",
                "text": pool[i % len(pool)],
                "meta": meta,
            }
        )
    return units


@pytest.fixture(scope="module")
def model(model_path):
    return load_model(model_path)


@pytest.fixture(scope="module")
def units() -> list[dict]:
    return make_units()


def as_jsonl(rows: list[dict], path: Path) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_the_model_keeps_its_out_of_fold_reference(model):
    assert Reference.from_metadata(model.metadata) is not None


def test_groups_count_in_their_group_and_every_margin(model, units):
    result = profile(units, model, by=["outlet"], date="published", resamples=20)
    names = [g.name for g in result.groups]
    assert names[0] == "all units"
    assert (
        "outlet=Mail" in names and "published 2009-01" in names and "outlet=Mail, published 2009-01" in names
    )
    by_name = {g.name: g for g in result.groups}
    assert by_name["all units"].units == len(units) and by_name["all units"].documents == len(units) // 4
    assert sum(by_name[f"outlet={o}"].units for o in OUTLETS) == len(units)
    assert sum(by_name[f"published 2009-0{m}"].units for m in range(1, 5)) == len(units)
    assert result.methods == ("cc", "pcc", "acc", "pacc")


def test_no_by_is_the_whole_corpus(model, units):
    result = profile(units, model, resamples=20)
    assert [g.name for g in result.groups] == ["all units"]


@pytest.mark.parametrize(
    ("value", "period", "expected"),
    [
        ("2009-03-12", "month", "2009-03"),
        ("2009-03-12T23:30:00Z", "quarter", "2009-Q1"),
        ("2009-11", "quarter", "2009-Q4"),
        ("2009", "year", "2009"),
        ("2009", "month", None),
        ("11 April , 2013 11:00 pm", "month", "2013-04"),
        ("12/03/2009", "month", None),
        ("soon", "year", None),
        (None, "year", None),
        (20090312, "year", None),
    ],
)
def test_date_periods(value, period, expected):
    assert period_of(value, period) == expected


def test_unreadable_dates_are_counted_and_left_out_of_the_periods_only(model, units):
    rows = [
        dict(u, meta={**u["meta"], "published": "last week"}) if i < 3 else u for i, u in enumerate(units)
    ]
    result = profile(rows, model, date="published", period="year", resamples=20)
    assert result.undated == 3
    assert any("3 of 240 units have a 'published' that is not a readable date" in w for w in result.warnings)
    by_name = {g.name: g.units for g in result.groups}
    assert by_name == {"all units": 240, "published 2009": 237}


def test_shares_match_the_estimators_on_the_same_units(model, units):
    result = profile(units, model, by=["outlet"], resamples=20)
    reference = Reference.from_metadata(model.metadata)
    for outlet in OUTLETS:
        members = [u["text"] for u in units if u["meta"]["outlet"] == outlet]
        probabilities = np.array(
            [[p.probabilities[label] for label in LABELS] for p in predict(members, model)]
        )
        group = next(g for g in result.groups if g.name == f"outlet={outlet}")
        for method in result.methods:
            expected = estimate(Totals.of(probabilities), method, reference)
            shares = [group.shares[method][label].share for label in LABELS]
            assert shares == pytest.approx(expected, abs=1e-5), method


def test_intervals_contain_the_estimate_and_widen_with_fewer_documents(model):
    many = profile(make_units(240, per_document=2, alike=True), model, resamples=100)
    few = profile(make_units(240, per_document=20, alike=True), model, resamples=100)
    for result in (many, few):
        for group in result.groups:
            for estimates in group.shares.values():
                for e in estimates.values():
                    assert e.low - 1e-9 <= e.share <= e.high + 1e-9

    def width(result):
        shares = result.groups[0].shares["cc"]
        return sum(e.high - e.low for e in shares.values())

    assert width(few) > 1.5 * width(many)
    assert any("fewer than 30 units or 5 documents" in w for w in profile(make_units(40, 10), model).warnings)


def test_poisson_weights_have_mean_and_variance_one_and_depend_only_on_the_document():
    keys = np.array([document_key(0, f"d{i}") for i in range(2000)], dtype=np.uint64)
    weights = poisson_weights(keys, 200)
    assert (poisson_weights(np.arange(2000, dtype=np.uint64), 200).mean(axis=0) > 0.85).all()
    assert weights.mean() == pytest.approx(1, abs=0.01) and weights.var() == pytest.approx(1, abs=0.02)
    assert (poisson_weights(keys[::-1], 200) == weights[::-1]).all()


def test_the_result_does_not_depend_on_order_or_partitioning(model, units):
    shuffled = units[:]
    random.Random(3).shuffle(shuffled)
    options = {"by": ["outlet", "kind"], "date": "published", "resamples": 50, "seed": 7}
    first = profile(units, model, **options).to_dict()
    assert profile(shuffled, model, **options).to_dict() == first

    plan = Plan(Grouping(["outlet"]), np.linspace(0.8, 1.2, 31), seed=7, batch_size=16, actors=find_actors)
    records = [("<rows>", i, row) for i, row in enumerate(units)]
    whole = accumulate(records, plan, model)
    parts = accumulate(records[:100], plan, model).merge(accumulate(records[100:], plan, model))
    assert whole.tables.keys() == parts.tables.keys() == whole.actors.keys() == parts.actors.keys()
    for key, table in whole.tables.items():
        assert (parts.tables[key] == table).all()
        assert (parts.actors[key] == whole.actors[key]).all()
        assert parts.document_count(key) == whole.document_count(key)
    assert whole.actor_replicates.shape == (31, len(ROLES), 1 + 2 * len(LABELS))
    assert whole.actor_replicates[:, :, 0].sum() > 0
    assert (parts.actor_replicates == whole.actor_replicates).all()
    assert (whole.actor_replicates[0] == whole.actors[((), None)]).all()


def test_a_predictions_file_gives_the_same_profile_as_its_units(model_path, units, tmp_path):
    source = as_jsonl(units, tmp_path / "units.jsonl")
    predictions = tmp_path / "predictions.jsonl"
    result = runner.invoke(app, ["predict", str(source), "-o", str(predictions), "--model", str(model_path)])
    assert result.exit_code == 0, result.output
    options = ["--by", "outlet", "--date", "published", "--resamples", "30", "--model", str(model_path)]
    for name, path in (("a", source), ("b", predictions)):
        result = runner.invoke(app, ["profile", str(path), "-o", str(tmp_path / name), *options])
        assert result.exit_code == 0, result.output
    a, b = (json.loads((tmp_path / name / "profile.json").read_text()) for name in "ab")
    assert a["input"]["sources"] != b["input"]["sources"]
    assert {**a, "input": None} == {**b, "input": None}
    assert (tmp_path / "a" / "profile.csv").read_text() == (tmp_path / "b" / "profile.csv").read_text()


def test_the_cli_writes_json_csv_and_self_contained_html(model_path, units, tmp_path):
    source = as_jsonl(units, tmp_path / "units.jsonl")
    out = tmp_path / "out"
    command = ["profile", str(source), "-o", str(out), "--by", "outlet", "--date", "published", "--model"]
    result = runner.invoke(app, [*command, str(model_path), "--resamples", "20", "--method", "acc"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "profile.json").read_text())
    assert data["method"] == "acc" and data["interval"]["resamples"] == 20
    assert data["model"]["reference"]["units"] == 48
    assert data["input"] == {
        "sources": [str(source)],
        "units": 240,
        "documents": 60,
        "units_without_document": 0,
        "units_without_readable_date": 0,
    }
    lines = (out / "profile.csv").read_text().splitlines()
    assert lines[0] == "outlet,period,label,method,share,low,high,n,documents"
    assert len(lines) == 1 + len(data["groups"]) * len(LABELS) * 4
    page = (out / "profile.html").read_text()
    assert "How these numbers were obtained" in page and "Shares over time" in page
    assert page.count("data:image/png;base64,") == 2
    assert "Who is blamed" in page and "not proof that the actor is the one blamed" in page
    assert "precision 0.94" in page and "recall 0.71" in page
    actors = (out / "actors.csv").read_text().splitlines()
    assert actors[0] == "outlet,period,role,label,method,units,role_units,role_share,role_low,role_high," + (
        "label_units,share,low,high,share_of_label,share_of_label_low,share_of_label_high"
    )
    assert len(actors) == 1 + len(data["groups"]) * len(ROLES) * len(LABELS) * 2
    assert set(data["groups"][0]["actors"]) == set(ROLES)
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page


def test_a_missing_column_is_an_error_that_lists_the_columns(model_path, units, tmp_path):
    source = as_jsonl(units, tmp_path / "units.jsonl")
    result = runner.invoke(
        app, ["profile", str(source), "-o", str(tmp_path / "o"), "--by", "outlt", "--model", str(model_path)]
    )
    assert result.exit_code == 1
    assert "no column 'outlt'" in result.output
    assert "columns seen: unit_id, doc_id, kind, text, meta, outlet, published" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o" / "profile.json").exists()


def test_units_without_documents_are_their_own_and_say_so(model, units):
    rows = [{k: v for k, v in u.items() if k != "doc_id"} for u in units]
    result = profile(rows, model, resamples=20)
    assert result.groups[0].documents == len(units)
    assert any("240 units have no doc_id: each is its own document" in w for w in result.warnings)


def test_a_model_without_a_reference_falls_back_to_pcc_with_a_warning(model, units):
    metadata = {k: v for k, v in model.metadata.items() if k != "out_of_fold"}
    rows = [
        {**u, "probabilities": p.probabilities}
        for u, p in zip(units, predict([u["text"] for u in units], model), strict=True)
    ]
    result = profile(rows, metadata=metadata, method="pacc", resamples=20)
    assert result.method == "pcc" and result.methods == ("cc", "pcc")
    assert any("no out-of-fold predictions" in w for w in result.warnings)
    assert result.model["reference"] is None


def test_rows_without_probabilities_need_a_model(model, units):
    with pytest.raises(FramingError, match="no 'probabilities' field, and no model"):
        profile(units, metadata=model.metadata, resamples=20)


def test_outputs_are_checked_before_the_work(model_path, units, tmp_path):
    source = as_jsonl(units, tmp_path / "units.jsonl")
    (tmp_path / "blocked").write_text("a file")
    result = runner.invoke(
        app, ["profile", str(source), "-o", str(tmp_path / "blocked"), "--model", str(model_path)]
    )
    assert result.exit_code == 1 and "is a file" in result.output


def test_the_profile_can_be_written_from_python(model, units, tmp_path):
    paths = write_profile(profile(units[:40], model, resamples=20), tmp_path / "p")
    assert sorted(path.name for path in paths.values()) == [
        "actors.csv",
        "profile.csv",
        "profile.html",
        "profile.json",
    ]


def test_an_empty_input_and_damaged_probabilities_are_clean_errors(model, units):
    with pytest.raises(FramingError, match="No units to profile"):
        profile([], model, resamples=20)
    damaged = [{**units[0], "probabilities": {"none": 1.0}}]
    with pytest.raises(FramingError, match=r"<rows>:1: 'probabilities' must map each label"):
        profile(damaged, model, resamples=20)


def test_replicate_temperatures_rescale_probabilities_as_retemper_does():
    from framing.profile.build import _tempered
    from framing.profile.shares import retemper

    probabilities = np.random.default_rng(1).dirichlet(np.full(len(LABELS), 0.3), size=200)
    probabilities[0] = [1.0, 0.0, 0.0, 0.0]
    ratios = np.array([1.0, 0.5, 2.0, 0.01, 50.0])
    tempered = _tempered(probabilities, ratios)
    for j, ratio in enumerate(ratios):
        got = np.stack([tempered[k][:, j] for k in range(len(LABELS))], axis=1)
        assert got == pytest.approx(retemper(probabilities, ratio), abs=1e-12)


# --------------------------------------------------------------------------- actors

HAND_MADE = [  # outlet, predicted label's probabilities (IB, SF, R, none), the actors' roles
    ("A", (0.7, 0.1, 0.1, 0.1), ["frontline", "frontline", "council_agency"]),
    ("A", (0.6, 0.2, 0.1, 0.1), ["named_person"]),
    ("B", (0.2, 0.5, 0.2, 0.1), ["frontline"]),
    ("B", (0.1, 0.1, 0.1, 0.7), []),
]


def hand_made_predictions() -> list[dict]:
    """Four `framing predict --actors` lines whose text the rules find nothing in: the field counts."""
    return [
        {
            "unit_id": f"u{i}",
            "doc_id": f"d{i}",
            "meta": {"outlet": outlet},
            "text": "Nothing to see here.",
            "label": LABELS[int(np.argmax(p))],
            "probabilities": dict(zip(LABELS, p, strict=True)),
            "actors": [{"text": "x", "start": 0, "end": 1, "role": role} for role in roles],
        }
        for i, (outlet, p, roles) in enumerate(HAND_MADE)
    ]


def test_actor_counts_on_hand_made_predictions(model):
    result = profile(hand_made_predictions(), metadata=model.metadata, by=["outlet"], resamples=200)
    whole, a, b = (result.actors[key] for key in [((), None), (("A",), None), (("B",), None)])
    frontline = whole["frontline"]
    assert frontline.units == 2 and frontline.share.share == 0.5  # the first unit counts once
    assert frontline.label_units["cc"] == {
        "individual-blame": 1,
        "systemic-failure": 1,
        "resource": 0,
        "none": 0,
    }
    assert frontline.label_units["pcc"] == pytest.approx(
        {"individual-blame": 0.9, "systemic-failure": 0.6, "resource": 0.3, "none": 0.2}, abs=2e-6
    )
    assert frontline.among["cc"]["individual-blame"].share == 0.5
    assert frontline.among["pcc"]["individual-blame"].share == pytest.approx(0.45, abs=2e-6)
    assert frontline.of_label["cc"]["individual-blame"].share == 0.5  # 1 of the 2 individual-blame units
    assert frontline.of_label["pcc"]["individual-blame"].share == pytest.approx(0.9 / 1.6, abs=2e-6)
    assert whole["named_person"].units == 1 and whole["named_person"].share.share == 0.25
    assert whole["named_person"].of_label["cc"]["individual-blame"].share == 0.5
    assert whole["council_agency"].units == 1 and whole["media"].units == 0
    assert whole["media"].share.share == 0 and whole["media"].among["cc"]["none"].share is None
    assert a["frontline"].units == 1 and a["frontline"].of_label["pcc"]["individual-blame"].share == (
        pytest.approx(0.7 / 1.3, abs=2e-6)
    )
    assert b["frontline"].among["cc"]["systemic-failure"].share == 1
    assert b["frontline"].of_label["cc"]["individual-blame"].share is None  # no unit of B is predicted so
    assert b["frontline"].of_label["pcc"]["individual-blame"].share == pytest.approx(0.2 / 0.3, abs=2e-6)
    share = frontline.share
    assert share.low is not None and share.low <= share.share <= share.high  # the whole corpus has intervals
    assert a["frontline"].share.low is None  # groups do not


def test_actor_counts_add_up_over_margins(model, units):
    result = profile(units, model, by=["outlet"], date="published", resamples=20)
    by_name = {g.name: g.key for g in result.groups}
    mentioned = 0
    for role in ROLES:

        def count(name: str, role: str = role) -> int:
            return result.actors[by_name[name]][role].units

        for method in ("cc", "pcc"):
            total = sum(result.actors[by_name["all units"]][role].label_units[method].values())
            assert total == pytest.approx(count("all units"), abs=1e-4)
        assert count("all units") == sum(count(f"outlet={o}") for o in OUTLETS)
        assert count("all units") == sum(count(f"published 2009-0{m}") for m in range(1, 5))
        assert count("outlet=Mail") == sum(count(f"outlet=Mail, published 2009-0{m}") for m in range(1, 5))
        mentioned += count("all units")
    assert mentioned > 0


def test_predictions_with_actors_give_the_same_profile_as_the_rules(model_path, units, tmp_path):
    source = as_jsonl(units, tmp_path / "units.jsonl")
    predictions = tmp_path / "predictions.jsonl"
    command = ["predict", str(source), "-o", str(predictions), "--model", str(model_path), "--actors"]
    assert runner.invoke(app, command).exit_code == 0
    options = ["--by", "outlet", "--resamples", "20", "--model", str(model_path)]
    for name, path in (("a", source), ("b", predictions)):
        result = runner.invoke(app, ["profile", str(path), "-o", str(tmp_path / name), *options])
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a" / "actors.csv").read_text() == (tmp_path / "b" / "actors.csv").read_text()


def test_no_actors_leaves_them_out(model_path, units, tmp_path):
    source = as_jsonl(units[:40], tmp_path / "units.jsonl")
    out = tmp_path / "out"
    (out).mkdir()
    (out / "actors.csv").write_text("from an earlier run")
    command = ["profile", str(source), "-o", str(out), "--model", str(model_path), "--resamples", "20"]
    result = runner.invoke(app, [*command, "--no-actors"])
    assert result.exit_code == 0, result.output
    assert "actors" not in json.loads((out / "profile.json").read_text())
    assert "actors" not in json.loads((out / "profile.json").read_text())["groups"][0]
    assert "Who is blamed" not in (out / "profile.html").read_text()
    assert not (out / "actors.csv").exists()
    result = runner.invoke(app, [*command, "--no-actors", "--actor-patterns", str(tmp_path / "p.jsonl")])
    assert result.exit_code == 1 and "--no-actors leaves actors out" in result.output


def test_actor_patterns_options(model_path, units, tmp_path):
    rows = [dict(u, text=f"The zzpress said so. {u['text']}") for u in units[:40]]
    source = as_jsonl(rows, tmp_path / "units.jsonl")
    patterns = tmp_path / "patterns.jsonl"
    patterns.write_text('{"label": "media", "pattern": "zzpress"}\n')
    command = ["profile", str(source), "--model", str(model_path), "--resamples", "20"]
    for name, options in (("added", []), ("replaced", ["--replace-actor-patterns"])):
        result = runner.invoke(
            app, [*command, "-o", str(tmp_path / name), "--actor-patterns", str(patterns), *options]
        )
        assert result.exit_code == 0, result.output
    added, replaced = (
        json.loads((tmp_path / name / "profile.json").read_text())["groups"][0]["actors"]
        for name in ("added", "replaced")
    )
    assert added["media"]["units"] == replaced["media"]["units"] == 40
    assert replaced["media"]["share"]["share"] == 1.0
    assert sum(r["units"] for r in added.values()) > 40  # the shipped patterns still count
    assert sum(r["units"] for r in replaced.values()) == 40  # only the given patterns
    result = runner.invoke(app, [*command, "-o", str(tmp_path / "x"), "--replace-actor-patterns"])
    assert result.exit_code == 1 and "needs --actor-patterns FILE" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"label": "journalists", "pattern": "press"}\n')
    result = runner.invoke(app, [*command, "-o", str(tmp_path / "x"), "--actor-patterns", str(bad)])
    assert result.exit_code == 1 and "bad.jsonl:1" in result.output and "Traceback" not in result.output


def test_a_damaged_actors_field_is_a_clean_error(model):
    rows = hand_made_predictions()
    rows[2]["actors"] = [{"role": "journalists"}]
    with pytest.raises(FramingError, match=r"<rows>:3: 'actors' must be a list of objects whose 'role'"):
        profile(rows, metadata=model.metadata, resamples=20)


def test_profile_without_actors_from_python(model, units):
    assert profile(units[:20], model, resamples=20, actors=None).actors == {}


def _metrics(model_id: str, errors: dict[str, list[float]], best: str = "pcc") -> dict:
    """An evaluation's metrics with one held-out fold per error vector (truth: equal shares)."""
    true = dict.fromkeys(LABELS, 0.25)
    folds = [
        {"true": true, "estimates": {m: {label: 0.25 + e for label, e in zip(LABELS, errs, strict=True)}}}
        for m, errs in errors.items()
    ]
    return {
        "model_id": model_id,
        "protocols": {"cv": {"share_error": {"methods": list(errors), "folds": folds, "best_method": best}}},
    }


def test_held_out_errors_are_read_from_an_evaluation_and_drawn_per_replicate(tmp_path):
    from framing.profile.bootstrap import HeldOutErrors, read_held_out_errors

    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(_metrics("m1", {"cc": [0.1, -0.1, 0.0, 0.0]})))
    evaluation = read_held_out_errors(path)
    assert evaluation.errors["cc"] == pytest.approx(np.array([[0.1, -0.1, 0.0, 0.0]]))
    drawn = evaluation.draw("cc", 5, seed=0)
    assert drawn.shape == (6, len(LABELS))
    assert drawn[0].tolist() == [0, 0, 0, 0]  # the point estimate carries no error
    assert drawn[1:] == pytest.approx(np.tile([0.1, -0.1, 0.0, 0.0], (5, 1)))
    assert evaluation.draw("acc", 5, seed=0) is None
    with pytest.raises(FramingError, match="no share errors"):
        HeldOutErrors.from_metrics({"protocols": {"cv": {}}}, path)


def test_shifted_shares_stay_shares():
    from framing.profile.bootstrap import shifted

    shares = np.array([[[0.05, 0.45, 0.2, 0.3]]])
    moved = shifted(shares, np.array([[0.1, -0.1, 0.0, 0.0]]))
    assert (moved >= 0).all()
    assert moved.sum() == pytest.approx(1.0)
    assert moved[0, 0, 0] == 0.0


def test_held_out_errors_widen_the_intervals_and_choose_the_default_method(model, units):
    from framing.profile.bootstrap import HeldOutErrors

    errors = {m: [[0.08, -0.08, 0.0, 0.0], [-0.08, 0.08, 0.0, 0.0]] for m in ("cc", "pcc", "acc", "pacc")}
    folds = [
        {
            "true": dict.fromkeys(LABELS, 0.25),
            "estimates": {
                m: {label: 0.25 + e[k][i] for i, label in enumerate(LABELS)} for m, e in errors.items()
            },
        }
        for k in range(2)
    ]
    metrics = {
        "model_id": model.metadata["model_id"],
        "protocols": {"cv": {"share_error": {"methods": list(errors), "folds": folds, "best_method": "acc"}}},
    }
    evaluation = HeldOutErrors.from_metrics(metrics, "metrics.json")
    plain = profile(units, model, resamples=50)
    widened = profile(units, model, resamples=50, evaluation=evaluation)
    assert plain.method == "cc" and widened.method == "acc"
    first = LABELS[0]
    narrow = plain.groups[0].shares["cc"][first]
    wide = widened.groups[0].shares["cc"][first]
    assert wide.share == narrow.share  # the point estimate is unchanged
    assert wide.high - wide.low > (narrow.high - narrow.low) + 0.05
    assert any("No evaluation" in w for w in plain.warnings)
    assert not any("No evaluation" in w for w in widened.warnings)
    assert widened.to_dict()["evaluation"]["held_out_folds"] == 2


def test_an_evaluation_of_another_model_is_named_in_a_warning(model, units):
    from framing.profile.bootstrap import HeldOutErrors

    evaluation = HeldOutErrors.from_metrics(_metrics("other-model", {"cc": [0.0] * 4}), "m.json")
    result = profile(units, model, resamples=20, evaluation=evaluation)
    assert any("other-model" in w for w in result.warnings)


def test_profile_cli_finds_the_models_evaluation_in_reports(model, units, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model_id = model.metadata["model_id"]
    folder = tmp_path / "reports" / model_id
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(
        json.dumps(_metrics(model_id, {"cc": [0.05, -0.05, 0.0, 0.0]}, "cc"))
    )
    source = as_jsonl(units, tmp_path / "units.jsonl")
    result = runner.invoke(
        app,
        [
            "profile",
            str(source),
            "-o",
            str(tmp_path / "out"),
            "--model",
            str(model.path),
            "--resamples",
            "20",
        ],
    )
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "profile.json").read_text())
    assert written["evaluation"]["path"].endswith("metrics.json")
    assert written["method"] == "cc"
    assert "held-out sources" in written["how"]
