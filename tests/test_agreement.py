import json
import re

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from framing.cli import app
from framing.codebook import LABELS
from framing.errors import LabelFileError
from framing.labels.agreement import (
    agreement_of,
    agreement_of_files,
    alpha_from_coincidences,
    bootstrap_kappa,
    coincidences,
)
from framing.labels.store import LabelRecord, append_records

R, N = "resource", "none"


def decisions(**rows):
    return {
        name: {f"u{i}": LabelRecord(f"u{i}", f"text {i}", label, name) for i, label in enumerate(labels)}
        for name, labels in rows.items()
    }


def test_perfect_agreement():
    result = agreement_of(decisions(a=[R, N, R, "systemic-failure"], b=[R, N, R, "systemic-failure"]))
    assert result.raw_agreement == 1.0
    assert result.cohen_kappa == {"a vs b": 1.0}
    assert result.krippendorff_alpha == 1.0
    assert result.disagreements == []


def test_chance_level_agreement_gives_kappa_zero():
    # Each annotator says "resource" half the time, independently: p_o = p_e = 0.5.
    result = agreement_of(decisions(a=[R, R, N, N], b=[R, N, R, N]))
    assert result.raw_agreement == 0.5
    assert result.cohen_kappa["a vs b"] == pytest.approx(0.0)


def test_known_kappa_and_alpha():
    # p_o = 0.8, p_e = 0.5*0.5 + 0.5*0.5 = 0.5, kappa = (0.8 - 0.5) / 0.5 = 0.6.
    # alpha: D_o = 4/20, D_e = 2*10*10/(20*19), alpha = 1 - 0.2/0.5263 = 0.62.
    result = agreement_of(decisions(a=[R] * 5 + [N] * 5, b=[R] * 4 + [N] * 5 + [R]))
    assert result.cohen_kappa["a vs b"] == pytest.approx(0.6)
    assert result.krippendorff_alpha == pytest.approx(0.62)
    assert [d["unit_id"] for d in result.disagreements] == ["u4", "u9"]
    assert result.disagreements[0]["labels"] == {"a": R, "b": N}
    matrix = result.confusion["a vs b"]  # rows a, columns b, in LABELS order
    assert matrix[2][2] == 4 and matrix[2][3] == 1 and matrix[3][2] == 1 and matrix[3][3] == 4


def test_three_annotators_give_pairwise_kappas_and_alpha():
    result = agreement_of(decisions(a=[R, N, R], b=[R, N, R], c=[R, N, N]))
    assert set(result.cohen_kappa) == {"a vs b", "a vs c", "b vs c"}
    assert result.cohen_kappa["a vs b"] == 1.0
    assert 0 < result.krippendorff_alpha < 1


def test_only_shared_units_count():
    rows = decisions(a=[R, N, R], b=[R, N])
    assert agreement_of(rows).units == 2


def test_one_annotator_is_an_error():
    with pytest.raises(LabelFileError, match="at least two annotators"):
        agreement_of(decisions(a=[R]))


def test_cli_reproduces_figures_from_files(tmp_path):
    rows = decisions(a=[R] * 5 + [N] * 5, b=[R] * 4 + [N] * 5 + [R])
    paths = []
    for name, by_unit in rows.items():
        append_records(tmp_path / f"{name}.jsonl", list(by_unit.values()))
        paths.append(str(tmp_path / f"{name}.jsonl"))
    with (tmp_path / "a.jsonl").open("a") as stream:
        stream.write("{broken\n")
    assert agreement_of_files(paths).cohen_kappa["a vs b"] == pytest.approx(0.6)
    result = CliRunner().invoke(app, ["agreement", *paths, "--json"])
    assert result.exit_code == 0
    figures = json.loads(result.stdout)
    assert figures["cohen_kappa"]["a vs b"] == pytest.approx(0.6)
    assert figures["problems"] == [
        f"{paths[0]}:11: not JSON (Expecting property name enclosed in double quotes)"
    ]
    text = CliRunner().invoke(app, ["agreement", *paths])
    assert "Cohen's kappa (a vs b): 0.600" in text.stdout
    assert "disagreements (2)" in text.stdout


def spread(n_units=30, seed=0, **spans):
    """Annotators labelling overlapping ranges of units, mostly agreeing with a hidden truth."""
    rng = np.random.default_rng(seed)
    truth = [LABELS[k] for k in rng.integers(0, 4, n_units)]
    rows = {}
    for name, (start, stop) in spans.items():
        rows[name] = {
            f"u{i:02d}": LabelRecord(
                f"u{i:02d}", f"text {i}", truth[i] if rng.random() < 0.8 else LABELS[rng.integers(0, 4)], name
            )
            for i in range(start, stop)
        }
    return rows


def test_three_annotators_with_partial_overlap_use_every_pair_and_every_shared_unit():
    rows = spread(a=(0, 20), b=(10, 30), c=(15, 25))  # units 15-19 labelled by all three
    result = agreement_of(rows)
    assert result.pair_units == {"a vs b": 10, "a vs c": 5, "b vs c": 10}
    assert result.units == 15 and result.units_by_all == 5  # the old figure used those 5 only
    for pair, kappa in result.cohen_kappa.items():
        first, second = pair.split(" vs ")
        shared = sorted(rows[first].keys() & rows[second].keys())
        expected = cohen_kappa_score(
            [rows[first][u].label for u in shared],
            [rows[second][u].label for u in shared],
            labels=list(LABELS),
        )
        assert kappa == pytest.approx(expected)
        low, high = result.kappa_interval[pair]
        assert low <= kappa + 1e-9 and kappa - 1e-9 <= high
    units = sorted({u for d in rows.values() for u in d})
    matrix = np.array(
        [[LABELS.index(rows[n][u].label) if u in rows[n] else np.nan for u in units] for n in "abc"]
    )
    keep = (~np.isnan(matrix)).sum(axis=0) >= 2
    expected_alpha = krippendorff.alpha(reliability_data=matrix[:, keep], level_of_measurement="nominal")
    assert result.krippendorff_alpha == pytest.approx(expected_alpha)
    assert result.alpha_values == 35 and result.alpha_interval[0] <= result.krippendorff_alpha
    assert any("a vs c rests on 5 shared units" in w for w in result.warnings)
    assert any("alpha rests on 15 units" in w for w in result.warnings)


def test_a_pair_without_shared_units_has_no_kappa_but_the_others_count():
    result = agreement_of(spread(a=(0, 10), b=(5, 15), c=(10, 20)))
    assert result.cohen_kappa["a vs c"] is None and result.pair_units["a vs c"] == 0
    assert result.kappa_interval["a vs c"] is None
    assert result.cohen_kappa["a vs b"] is not None and result.units == 10 and result.units_by_all == 0
    assert any("a and c labelled no unit in common" in w for w in result.warnings)


def test_no_warning_when_the_figures_rest_on_enough_units():
    result = agreement_of(spread(n_units=120, a=(0, 120), b=(0, 120)))
    assert result.warnings == [] and result.pair_units == {"a vs b": 120}


def test_bootstrap_matches_the_library_on_the_full_sample():
    rng = np.random.default_rng(3)
    codes = rng.integers(0, 4, size=(3, 40)).astype(float)
    codes[rng.random((3, 40)) < 0.3] = np.nan
    codes = codes[:, (~np.isnan(codes)).sum(axis=0) >= 2]
    library = krippendorff.alpha(reliability_data=codes, level_of_measurement="nominal")
    assert alpha_from_coincidences(coincidences(codes).sum(axis=0))[0] == pytest.approx(library)
    first, second = rng.integers(0, 4, 60), rng.integers(0, 4, 60)
    second[:40] = first[:40]
    samples = bootstrap_kappa(first, second, 2000, rng)
    kappa = cohen_kappa_score(first, second)
    assert np.percentile(samples, 2.5) < kappa < np.percentile(samples, 97.5)
    assert abs(np.median(samples) - kappa) < 0.05


def test_annotators_without_labels_are_left_out():
    rows = decisions(a=[R, N, R], b=[R, N, N])
    rows["c"] = {}
    result = agreement_of(rows)
    assert result.annotators == ["a", "b"] and "c has no labels; left out." in result.warnings


def test_cli_takes_a_folder_and_reports_n_intervals_warnings_and_pace(tmp_path):
    for name, by_unit in spread(a=(0, 20), b=(10, 30), c=(15, 25)).items():
        records = [LabelRecord(r.unit_id, r.text, r.label, name, seconds=9.0) for r in by_unit.values()]
        append_records(tmp_path / f"{name}.jsonl", records)
    append_records(tmp_path / "gold.jsonl", [LabelRecord("u00", "text 0", "none", "adjudicator")])
    result = CliRunner().invoke(app, ["agreement", str(tmp_path), "--limit", "0"])
    assert result.exit_code == 0, result.output
    assert "annotators: a, b, c; units labelled by two or more: 15 (by all: 5)" in result.stdout
    assert re.search(
        r"Cohen's kappa \(a vs c\): -?[01]\.\d{3} \[-?[01]\.\d\d, -?[01]\.\d\d\], n=5", result.stdout
    )
    assert "n=15 units (35 labels)" in result.stdout
    assert "a vs c rests on 5 shared units" in result.output
    assert re.search(r"│ a\s+│\s+20 │\s+0 │\s+0.05 │\s+9.0 │\s+400 │", result.stdout)
    figures = json.loads(CliRunner().invoke(app, ["agreement", str(tmp_path), "--json"]).stdout)
    assert figures["pair_units"]["b vs c"] == 10
    assert figures["annotator_summary"][0]["units_per_hour"] == 400.0
