"""Time of ingest's HTML reader on pages with many blocks and deeply nested blocks.

For each count N it times `framing.corpus.ingest.html_to_text` on a page of N
`<p>` paragraphs and on a page of N nested `<div>`s, and prints seconds and
microseconds per block: flat figures per block mean time linear in the page.

Usage: python benchmarks/html_blocks.py [--paragraphs 25000 50000 100000] [--nested 5000 10000 20000]
"""

from __future__ import annotations

import argparse
import time

from framing.corpus.ingest import html_to_text


def timed(html: str) -> float:
    """Seconds of one ``html_to_text`` call."""
    start = time.perf_counter()
    html_to_text(html)
    return time.perf_counter() - start


def main() -> None:
    """Time both page shapes at each size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--nested", type=int, nargs="+", default=[5_000, 10_000, 20_000])
    args = parser.parse_args()
    for n in args.paragraphs:
        seconds = timed("<html><body>" + "".join(f"<p>Point {i} was made.</p>" for i in range(n)) + "</body>")
        print(f"{n:>7,} <p> blocks:      {seconds:7.2f} s, {1e6 * seconds / n:6.1f} µs per block", flush=True)
    for n in args.nested:
        seconds = timed("<html><body>" + "<div>Level one." * n + "</div>" * n + "</body>")
        print(f"{n:>7,} nested <div>s:  {seconds:7.2f} s, {1e6 * seconds / n:6.1f} µs per block", flush=True)


if __name__ == "__main__":
    main()
