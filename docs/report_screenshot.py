"""Take the README's screenshot of the evaluation report (docs/report.png) in headless Chromium.

Opens a ``report.html`` written by ``make evaluate`` (by default the newest one
under reports/), fails if the page logs an error, and saves the top of the page.

Usage: python docs/report_screenshot.py [--report reports/<model id>/report.html] [--output docs/report.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def newest_report(folder: Path = Path("reports")) -> Path:
    """The most recently written report.html under ``folder``."""
    reports = sorted(folder.glob("*/report.html"), key=lambda path: path.stat().st_mtime)
    if not reports:
        raise SystemExit(f"No report under {folder}/: run `make evaluate` first.")
    return reports[-1]


def main() -> None:
    """Open the report in Chromium and save the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, help="report.html to show (default: the newest in reports/)")
    parser.add_argument("--output", default="docs/report.png", help="PNG file to write")
    parser.add_argument("--height", type=int, default=1100, help="height of the page shown, in pixels")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args()
    report = (args.report or newest_report()).resolve()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": args.height}, device_scale_factor=1)
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(report.as_uri())
        if problems:
            raise SystemExit(f"{report}: the page logged errors: {problems}")
        page.screenshot(path=args.output)
        browser.close()
    print(f"screenshot of {report} written to {args.output}")


if __name__ == "__main__":
    main()
