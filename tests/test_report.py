import re

import pytest

from framing.report.markdown import markdown_cell
from framing.report.write import write_reports

SECTIONS = {
    "headline": "How good is the model?",
    "cv-labels": "Cross-validation: results per label",
    "cv-failures": "Cross-validation: where the model fails",
    "cv-mistakes": "Most confident mistakes",
    "cv-unsure": "Least confident correct predictions",
    "cv-kinds": "By kind of unit",
    "cv-documents": "By document",
    "cv-calibration": "Cross-validation: calibration",
    "cv-learning-curve": "Would more labels help?",
    "test-labels": "External test set: results per label",
    "model-card": "Model card",
    "limits": "Limits",
    "method": "How the numbers were produced",
}
MARKUP = "<script>alert('x')</script>"


def test_markdown_report_has_every_section(evaluation):
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,3} (.+)$", markdown, flags=re.MULTILINE)
    assert set(SECTIONS.values()) <= set(headings)
    assert "| framing model | " in markdown and "| keyword lexicon | " in markdown
    assert "![" in markdown and "(figures/cv-learning-curve.png)" in markdown
    assert "Intended use" in markdown or "intended use" in markdown
    assert "codebook version | 1.1" in markdown


def test_unit_text_is_never_markup(evaluation):
    page = evaluation.files["html"].read_text(encoding="utf-8")
    assert MARKUP not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<script" not in page
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    assert MARKUP not in markdown
    assert markdown_cell("a | <b> *c*") == r"a \| \<b\> \*c\*"


def test_html_is_self_contained(evaluation):
    page = evaluation.files["html"].read_text(encoding="utf-8")
    images = re.findall(r'<img src="([^"]+)"', page)
    # cv: confusion, F1, precision-recall, reliability, learning curve; test: all but the learning curve
    assert len(images) == 5 + 4
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r'(src|href)="(https?:|//|file:)', page)
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in page


def test_reports_render_again_from_metrics_alone(evaluation, tmp_path):
    files = write_reports(evaluation.metrics, tmp_path)
    assert files["markdown"].read_text(encoding="utf-8") == evaluation.files["markdown"].read_text(
        encoding="utf-8"
    )


@pytest.mark.browser
def test_html_report_renders_in_chromium(evaluation, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    page.goto(evaluation.files["html"].as_uri())
    assert problems == []
    for anchor, title in SECTIONS.items():
        assert page.locator(f"#{anchor}").first.is_visible()
        assert title in page.locator(f"#{anchor}").first.inner_text()
    widths = page.eval_on_selector_all("img", "images => images.map(i => i.complete && i.naturalWidth)")
    assert len(widths) == 9 and all(width > 100 for width in widths)
    # The test file's six units are all shown as mistakes or correct predictions: as text.
    assert MARKUP in page.locator("#test-failures").inner_text()
    screenshot = tmp_path / "report.png"
    page.screenshot(path=screenshot)
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    page.close()


def test_each_macro_f1_is_named_pooled_or_mean_of_folds(evaluation):
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    assert "macro-F1 (pooled out-of-fold" in markdown
    folds = evaluation.metrics["protocols"]["cv"]["folds"]
    fold_mean = sum(f["macro_f1"] for f in folds) / len(folds)
    assert f"Mean of per-fold macro-F1: {fold_mean:.2f}" in markdown
    assert "| macro-F1 of the fold |" in markdown


def test_examples_show_contrastive_explanations(evaluation):
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    assert "| predicted rather than gold: why |" in markdown
    assert "| predicted rather than runner-up: why |" in markdown
    mistake = evaluation.metrics["protocols"]["cv"]["errors"]["confident_mistakes"][0]["explanation"]
    assert f"vs {mistake['versus']}: for: " in markdown
    assert f"intercept {mistake['intercept']:+.2f}" in markdown


def test_report_shows_ceiling_probabilities_and_precision_recall(evaluation):
    markdown = evaluation.files["markdown"].read_text(encoding="utf-8")
    # The fixture's labels folder holds only gold.jsonl.
    assert "Ceiling: no annotators' agreement to compare with (no annotator files in " in markdown
    assert "| score (lower is better) | model | prior (training label shares) | model − prior |" in markdown
    assert "| log loss | " in markdown and "| Brier score | " in markdown
    assert "(figures/cv-precision-recall.png)" in markdown and "Average precision: " in markdown
    assert "Why the majority baseline's kappa can be below 0" in markdown
    assert evaluation.files["cv-precision-recall"].exists()
