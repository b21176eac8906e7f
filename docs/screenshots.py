"""Retake the README's screenshots in headless Chromium.

    python docs/screenshots.py labelling   # docs/labelling.png: the labelling page
    python docs/screenshots.py report      # docs/report.png: the newest reports/*/report.html

The labelling page is served on the seed units with a copy of the first
decisions of annotator-a, in a temporary folder: the real labels files are
never written. The report must load without console errors.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium_page(executable: str, width: int, height: int) -> Iterator[Page]:
    """A page of a headless Chromium launched for one screenshot."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": width, "height": height}, device_scale_factor=1)
        finally:
            browser.close()


@contextmanager
def labelling_server(units: str, labels: str, decisions: int) -> Iterator[str]:
    """Run `framing label` on a temporary copy of some decisions; yield its URL."""
    with tempfile.TemporaryDirectory() as folder:
        lines = Path(labels).read_text(encoding="utf-8").splitlines(keepends=True)[:decisions]
        Path(folder, "annotator-a.jsonl").write_text("".join(lines), encoding="utf-8")
        command = [sys.executable, "-m", "framing.cli", "label", "--annotator", "annotator-a"]
        command += ["--source", units, "--labels-dir", folder, "--port", "0"]
        server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            url = next(m.group(0) for line in server.stderr if (m := re.search(r"http://\S+/", line)))
            while True:
                try:
                    httpx.get(f"{url}api/state").raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            yield url
        finally:
            server.kill()
            server.wait()


def labelling(args: argparse.Namespace) -> None:
    """Screenshot of the labelling page."""
    server = labelling_server(args.units, args.labels, args.decisions)
    with server as url, chromium_page(args.chromium, 1280, 760) as page:
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        page.screenshot(path=args.output or "docs/labelling.png")


def report(args: argparse.Namespace) -> None:
    """Screenshot of the top of an evaluation report."""
    reports = sorted(Path("reports").glob("*/report.html"), key=lambda path: path.stat().st_mtime)
    if args.report is None and not reports:
        raise SystemExit("No report under reports/: run `make evaluate` first.")
    path = (args.report or reports[-1]).resolve()
    with chromium_page(args.chromium, 1280, args.height) as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(path.as_uri())
        if problems:
            raise SystemExit(f"{path}: the page logged errors: {problems}")
        page.screenshot(path=args.output or "docs/report.png")


def main() -> None:
    """Parse the command line and take the screenshot asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    parser.add_argument("--output", help="PNG file to write (default: docs/labelling.png or docs/report.png)")
    pages = parser.add_subparsers(dest="page", required=True)
    label_page = pages.add_parser("labelling", help="the labelling page")
    label_page.add_argument("--units", default="data/units.jsonl", help="units file from `framing ingest`")
    label_page.add_argument(
        "--labels", default="data/labels/annotator-a.jsonl", help="decisions to start from"
    )
    label_page.add_argument("--decisions", type=int, default=57, help="how many of those decisions to copy")
    label_page.set_defaults(take=labelling)
    report_page = pages.add_parser("report", help="the newest evaluation report")
    report_page.add_argument("--report", type=Path, help="report.html (default: the newest in reports/)")
    report_page.add_argument("--height", type=int, default=1100, help="height of the page shown, in pixels")
    report_page.set_defaults(take=report)
    args = parser.parse_args()
    args.take(args)
    print(f"screenshot written to {args.output or f'docs/{args.page}.png'}")


if __name__ == "__main__":
    main()
