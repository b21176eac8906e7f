"""Take the README's screenshot of the labelling page (docs/labelling.png) in headless Chromium.

Starts `framing label` on the seed units with a copy of the first decisions
of annotator-a (so progress and counts show), in a temporary folder: the
real labels files are never written.

Usage: python docs/screenshot.py [--units data/units.jsonl] [--output docs/labelling.png]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    """Serve a labelling session, open it in Chromium and save the screenshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", default="data/units.jsonl", help="units file from `framing ingest`")
    parser.add_argument("--labels", default="data/labels/annotator-a.jsonl", help="decisions to start from")
    parser.add_argument("--decisions", type=int, default=57, help="how many of those decisions to copy")
    parser.add_argument("--output", default="docs/labelling.png", help="PNG file to write")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        lines = Path(args.labels).read_text(encoding="utf-8").splitlines(keepends=True)[: args.decisions]
        Path(folder, "annotator-a.jsonl").write_text("".join(lines), encoding="utf-8")
        command = [sys.executable, "-m", "framing.cli", "label", "--annotator", "annotator-a"]
        command += ["--source", args.units, "--labels-dir", folder, "--port", "0"]
        server = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
        try:
            url = next(m.group(0) for line in server.stderr if (m := re.search(r"http://\S+/", line)))
            while True:
                try:
                    httpx.get(f"{url}api/state").raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 760}, device_scale_factor=1)
                page.goto(url)
                page.wait_for_selector("body[data-ready]")
                page.screenshot(path=args.output)
                browser.close()
        finally:
            server.kill()
            server.wait()
    print(f"screenshot written to {args.output}")


if __name__ == "__main__":
    main()
