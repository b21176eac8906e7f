import json

import pytest
from typer.testing import CliRunner

from framing.cli import app
from framing.errors import LabelFileError
from framing.labels.agreement import agreement_of, agreement_of_files
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
