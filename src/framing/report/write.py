"""Write an evaluation's files.

``metrics.json`` (the source of truth), the figures, ``report.md`` and ``report.html``.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from framing.files import atomic_write
from framing.report.content import build_report
from framing.report.figures import draw_figures
from framing.report.html import render_html
from framing.report.markdown import render_markdown


def write_reports(metrics: dict[str, Any], directory: str | Path) -> dict[str, Path]:
    """Write metrics.json, the figures, report.md and report.html into ``directory``; return the paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {"metrics": directory / "metrics.json"}
    with atomic_write(files["metrics"]) as stream:
        stream.write(json.dumps(metrics, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    figures = draw_figures(metrics, directory)
    title, sections = build_report(metrics)
    relative = {key: path.relative_to(directory).as_posix() for key, path in figures.items()}
    embedded = {key: base64.b64encode(path.read_bytes()).decode("ascii") for key, path in figures.items()}
    files["markdown"] = directory / "report.md"
    files["html"] = directory / "report.html"
    with atomic_write(files["markdown"]) as stream:
        stream.write(render_markdown(title, sections, relative))
    with atomic_write(files["html"]) as stream:
        stream.write(render_html(title, sections, embedded))
    return {**files, **figures}
