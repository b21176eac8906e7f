"""Tests against a real `framing label` server process: kill -9 safety, and the page in headless Chromium."""

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from framing.app.stream import pick_next, seeded_order
from framing.codebook import LABELS
from framing.corpus.units import Unit, write_units
from framing.labels.store import latest, read_records

SCRIPT = '<script>window.pwned = true</script><img src=x onerror="window.pwned = true"> & <b>not bold</b>'


def make_units(n: int, doc: str = "doc") -> list[Unit]:
    texts = [f"Sentence {i}: caseloads rose while the inspection regime failed." for i in range(n)]
    return [
        Unit(
            f"{doc}-{i:03d}",
            doc,
            "sentence",
            i,
            text,
            prev=texts[i - 1] if i else "",
            next=texts[i + 1] if i + 1 < n else "",
            meta={"title": "Social work after Baby P"},
        )
        for i, text in enumerate(texts)
    ]


@contextmanager
def label_servers(units_file: Path, labels_dir: Path, *annotators: str, seed: int = 7):
    """Start `framing label` for each annotator (default one, "ann") on free ports, all at once.

    Yields ``[(url, process), ...]`` once every server answers; always stops them.
    """
    processes = []
    for annotator in annotators or ("ann",):
        command = [sys.executable, "-m", "framing.cli", "label", "--annotator", annotator]
        command += [
            "--source",
            str(units_file),
            "--labels-dir",
            str(labels_dir),
            "--seed",
            str(seed),
            "--port",
            "0",
        ]
        processes.append(
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        )
    try:
        yield [(wait_for_url(process), process) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait(10)


def wait_for_url(process: subprocess.Popen, timeout: float = 60) -> str:
    """The URL a starting server prints, once the server answers on it."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    deadline = time.monotonic() + timeout
    url = None
    while url is None:
        assert time.monotonic() < deadline, "the server did not print its URL"
        try:
            found = re.search(r"http://127\.0\.0\.1:\d+/", lines.get(timeout=1))
        except queue.Empty:
            assert process.poll() is None, "the server exited before it printed its URL"
            continue
        url = found.group(0) if found else None
    while True:
        try:
            if httpx.get(f"{url}api/state", timeout=2).status_code == 200:
                return url
        except httpx.TransportError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.05)


def test_kill_9_loses_no_acknowledged_decision_and_restart_resumes(tmp_path):
    units = make_units(400)
    units_file = tmp_path / "units.jsonl"
    write_units(units, units_file)
    labels_file = tmp_path / "labels" / "ann.jsonl"
    acknowledged: list[tuple[str, str]] = []

    with label_servers(units_file, tmp_path / "labels") as [(url, process)]:

        def label_until_killed() -> None:
            with httpx.Client(base_url=url, timeout=5) as client:
                state = client.get("/api/state").json()
                while state["unit"] is not None:
                    decision = (state["unit"]["unit_id"], LABELS[len(acknowledged) % len(LABELS)])
                    try:
                        response = client.post(
                            "/api/decide", json={"unit_id": decision[0], "label": decision[1]}
                        )
                    except httpx.TransportError:
                        return
                    assert response.status_code == 200
                    acknowledged.append(decision)
                    state = response.json()

        worker = threading.Thread(target=label_until_killed)
        worker.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 25 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)  # mid-session, while decisions are being posted
        worker.join(10)
        assert process.wait(10) == -signal.SIGKILL

    assert 25 <= len(acknowledged) < len(units)
    loaded = read_records(labels_file)
    assert loaded.problems == []
    on_disk = [(r.unit_id, r.label) for r in loaded.records]
    assert on_disk[: len(acknowledged)] == acknowledged  # every acknowledged decision, in order
    assert len(on_disk) <= len(acknowledged) + 1  # at most the one in flight when the server died

    done = latest(loaded.records)
    expected = pick_next(seeded_order([u.unit_id for u in units], 7), done)
    with label_servers(units_file, tmp_path / "labels") as [(url, _)]:
        state = httpx.get(f"{url}api/state").json()
    assert state["unit"]["unit_id"] == expected and expected not in done
    assert state["progress"]["done"] == len(done)


def test_two_annotators_label_at_the_same_time(tmp_path):
    units_file = tmp_path / "units.jsonl"
    write_units(make_units(5), units_file)
    labels = tmp_path / "labels"
    with label_servers(units_file, labels, "alice", "bob") as [(alice, _), (bob, _)]:
        for url, label in ((alice, "none"), (bob, "resource"), (alice, "none")):
            unit_id = httpx.get(f"{url}api/state").json()["unit"]["unit_id"]
            assert (
                httpx.post(f"{url}api/decide", json={"unit_id": unit_id, "label": label}).status_code == 200
            )
    assert [r.label for r in read_records(labels / "alice.jsonl").records] == ["none", "none"]
    assert [r.label for r in read_records(labels / "bob.jsonl").records] == ["resource"]


# --------------------------------------------------------------------------- in Chromium


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == []


def current_unit(page) -> str:
    return page.get_attribute("#text", "data-unit-id")


def wait_for_unit_change(page, old: str) -> str:
    page.wait_for_function("old => document.querySelector('#text').dataset.unitId !== old", arg=old)
    return current_unit(page)


@pytest.mark.browser
def test_label_by_keyboard_undo_and_reload(page, tmp_path):
    units_file = tmp_path / "units.jsonl"
    write_units(make_units(6), units_file)
    labels_file = tmp_path / "labels" / "ann.jsonl"
    with label_servers(units_file, tmp_path / "labels") as [(url, _)]:
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        assert page.text_content("#progress-text") == "0 / 6 labelled"
        assert page.locator(".label .definition").count() == 4  # the definitions are always visible
        decisions = []
        for key, label in zip("123", LABELS, strict=False):
            unit_id = current_unit(page)
            page.keyboard.press(key)
            wait_for_unit_change(page, unit_id)
            decisions.append((unit_id, label))
        assert page.text_content("#progress-text") == "3 / 6 labelled"
        page.keyboard.press("u")
        assert wait_for_unit_change(page, current_unit(page)) == decisions[-1][0]
        page.wait_for_function("document.querySelector('#progress-text').textContent === '2 / 6 labelled'")

        page.reload()
        page.wait_for_selector("body[data-ready]")
        assert current_unit(page) == decisions[-1][0]  # resumes at the undone unit
        assert page.text_content("#progress-text") == "2 / 6 labelled"
        counts = page.locator("#counts li").all_text_contents()
        assert counts == ["individual-blame 1", "systemic-failure 1", "resource 0", "none 0"]

        page.keyboard.press("?")
        assert page.locator("#rules").is_visible()
        assert "Does the unit say why" in page.text_content("#procedure")
        page.keyboard.press("Escape")
        assert not page.locator("#rules").is_visible()

    records = [json.loads(line) for line in labels_file.read_text().splitlines()]
    assert [(r["unit_id"], r["label"]) for r in records] == [*decisions, (decisions[-1][0], None)]
    assert {r["annotator"] for r in records} == {"ann"}


@pytest.mark.browser
def test_script_in_a_unit_shows_as_text(page, tmp_path):
    units = [
        Unit("x-0", "x", "comment", 0, SCRIPT, prev=SCRIPT, meta={"title": SCRIPT, "author": "<i>me</i>"})
    ]
    units_file = tmp_path / "units.jsonl"
    write_units(units, units_file)
    with label_servers(units_file, tmp_path / "labels") as [(url, _)]:
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        assert page.text_content("#text") == SCRIPT
        assert page.text_content("#prev") == SCRIPT
        assert page.text_content("#source") == f"Reader comment by <i>me</i> on: {SCRIPT}"
        assert page.locator("#card script, #card img, #card b, #card i").count() == 0
        assert page.evaluate("window.pwned") is None
