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
from framing.labels.store import LabelRecord, append_records, latest, read_records

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
def servers(*commands: list[str]):
    """Start each ``framing`` command (a server on a free port) at once.

    Yields ``[(url, process), ...]`` once every server answers; always stops them.
    """
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "framing.cli", *command, "--port", "0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    try:
        yield [(wait_for_url(process), process) for process in processes]
    finally:
        for process in processes:
            process.kill()
            process.wait(10)


def label_servers(units_file: Path, labels_dir: Path, *annotators: str, seed: int = 7):
    """`framing label` for each annotator (default one, "ann"), each on its own server."""
    common = ["--source", str(units_file), "--labels-dir", str(labels_dir), "--seed", str(seed)]
    return servers(*(["label", "--annotator", name, *common] for name in annotators or ("ann",)))


def wait_for_url(process: subprocess.Popen, timeout: float = 60) -> str:
    """The URL a starting server prints, once the server answers on it."""
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    threading.Thread(target=lambda: [lines.put(line) for line in process.stderr], daemon=True).start()
    deadline = time.monotonic() + timeout
    url = None
    while url is None:
        assert time.monotonic() < deadline, f"the server did not print its URL: {seen}"
        try:
            seen.append(lines.get(timeout=1))
        except queue.Empty:
            assert process.poll() is None, f"the server exited before it printed its URL: {seen}"
            continue
        found = re.search(r"http://127\.0\.0\.1:\d+/", seen[-1])
        url = found.group(0) if found else None
    while True:
        try:
            if httpx.get(f"{url}api/codebook", timeout=2).status_code == 200:
                return url
        except httpx.TransportError:
            pass
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
                    body = {
                        "unit_id": decision[0],
                        "revision": state["unit"]["revision"],
                        "label": decision[1],
                    }
                    try:
                        response = client.post("/api/decide", json=body)
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
            unit = httpx.get(f"{url}api/state").json()["unit"]
            body = {"unit_id": unit["unit_id"], "revision": unit["revision"], "label": label}
            assert httpx.post(f"{url}api/decide", json=body).status_code == 200
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
        before_undo = current_unit(page)
        page.keyboard.press("u")
        assert wait_for_unit_change(page, before_undo) == decisions[-1][0]
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


# --------------------------------------------------------------------------- issue 9, in Chromium

LONG_COMMENT = (
    "I have worked in children's services for twenty years and I have never seen morale this low. "
    "Every week another experienced colleague leaves, the agency staff who replace them do not know "
    "the families, and the caseloads keep climbing while managers talk about performance indicators. "
) * 9
LONG_COMMENT = LONG_COMMENT[:2279]


def in_viewport(page, selector: str) -> bool:
    """Whether every element matching ``selector`` is wholly inside the viewport."""
    height = page.viewport_size["height"]
    boxes = [element.bounding_box() for element in page.query_selector_all(selector)]
    return bool(boxes) and all(box and box["y"] >= 0 and box["y"] + box["height"] <= height for box in boxes)


@pytest.mark.browser
def test_the_label_bar_stays_on_screen_with_a_long_comment(browser, tmp_path):
    units = [Unit("c-0", "c", "comment", 0, LONG_COMMENT, meta={"title": "A thread", "author": "reader"})]
    units_file = tmp_path / "units.jsonl"
    write_units(units, units_file)
    assert len(LONG_COMMENT) == 2279
    with label_servers(units_file, tmp_path / "labels") as [(url, _)]:
        for width, height in ((1280, 800), (375, 667)):  # a desktop, then a phone, which labels it
            context = browser.new_context(viewport={"width": width, "height": height}, has_touch=width < 600)
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready]")
            assert current_unit(page) == "c-0"
            assert page.evaluate("document.documentElement.scrollHeight") > height  # longer than the screen
            assert in_viewport(page, ".label") and in_viewport(page, "#skip"), (width, height)
            page.mouse.wheel(0, 2000)  # scrolled to the end of the comment, the bar is still there
            page.wait_for_function("() => window.scrollY > 0")
            assert in_viewport(page, ".label"), (width, height)
            if width < 600:
                page.locator(".label[data-label='resource']").tap()
                page.wait_for_selector("#finished:not([hidden])")
            context.close()
    [record] = read_records(tmp_path / "labels" / "ann.jsonl").records
    assert (record.unit_id, record.label) == ("c-0", "resource")


@pytest.mark.browser
def test_a_stale_tab_shows_the_conflict_and_reloads(browser, tmp_path):
    units_file = tmp_path / "units.jsonl"
    write_units(make_units(4), units_file)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    first, second = context.new_page(), context.new_page()
    with label_servers(units_file, tmp_path / "labels") as [(url, _)]:
        for tab in (first, second):
            tab.goto(url)
            tab.wait_for_selector("body[data-ready]")
        shown = current_unit(second)
        assert current_unit(first) == shown
        first.keyboard.press("4")  # none, in the first tab
        moved_on = wait_for_unit_change(first, shown)
        second.keyboard.press("3")  # resource, in the stale second tab
        second.wait_for_selector("#alert:not([hidden])")
        assert "another tab or window" in second.text_content("#alert")
        assert "labelled 'none'" in second.text_content("#alert")
        assert wait_for_unit_change(second, shown) == moved_on  # it reloaded the current state
        assert second.text_content("#progress-text") == "1 / 4 labelled"
    context.close()
    records = read_records(tmp_path / "labels" / "ann.jsonl").records
    assert [(r.unit_id, r.label) for r in records] == [(shown, "none")]


@pytest.mark.browser
def test_history_revisit_and_edit_with_a_note(page, tmp_path):
    units_file = tmp_path / "units.jsonl"
    write_units(make_units(5), units_file)
    labels_file = tmp_path / "labels" / "ann.jsonl"
    with label_servers(units_file, tmp_path / "labels") as [(url, _)]:
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        decided = []
        for key in "124":
            unit_id = current_unit(page)
            page.keyboard.press(key)
            wait_for_unit_change(page, unit_id)
            decided.append(unit_id)
        waiting = current_unit(page)
        page.keyboard.press("h")
        page.wait_for_selector("#history-list button")
        items = page.locator("#history-list button")
        assert items.count() == 3
        assert items.nth(2).get_attribute("data-unit-id") == decided[0]  # newest first
        items.nth(2).click()
        assert wait_for_unit_change(page, waiting) == decided[0]
        assert not page.locator("#history").is_visible()
        assert "You labelled this individual-blame" in page.text_content("#current")
        page.keyboard.press("n")
        page.keyboard.type("on reflection, caseloads")
        page.keyboard.press("Enter")  # leaves the note
        page.keyboard.press("3")
        assert wait_for_unit_change(page, decided[0]) == waiting  # back where the annotator was
        page.keyboard.press("h")
        edited = f"#history-list button[data-unit-id='{decided[0]}'] .tag"
        page.wait_for_function("tag => document.querySelector(tag)?.textContent === 'resource'", arg=edited)
        page.fill("#search-box", decided[1])
        page.click("#search-form button")
        page.wait_for_selector(f"#search-results button[data-unit-id='{decided[1]}']")
    records = read_records(labels_file).records
    assert [(r.unit_id, r.label) for r in records] == [
        (decided[0], "individual-blame"),
        (decided[1], "systemic-failure"),
        (decided[2], "none"),
        (decided[0], "resource"),
    ]
    assert records[-1].note == "on reflection, caseloads"
    assert all(r.seconds is not None and r.seconds >= 0 for r in records)  # time on task, from the page


@pytest.mark.browser
def test_two_annotators_on_one_server(browser, tmp_path):
    units_file = tmp_path / "units.jsonl"
    write_units(make_units(6), units_file)
    labels = tmp_path / "labels"
    command = ["label", "--source", str(units_file), "--labels-dir", str(labels), "--overlap", "1"]
    with servers(command) as [(url, _)]:
        alice = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        alice.goto(url)
        alice.wait_for_selector("#start:not([hidden])")
        alice.fill("#start-name", "alice")
        alice.press("#start-name", "Enter")
        alice.wait_for_selector("body[data-ready]")
        assert "annotator=alice" in alice.url and alice.text_content("#who") == "labelling as alice"

        bob = browser.new_context(viewport={"width": 390, "height": 800}, has_touch=True).new_page()
        bob.goto(url)
        bob.wait_for_selector("#names button[data-name='alice']")  # alice is known now
        bob.fill("#start-name", "bob")
        bob.click("#start-form button")
        bob.wait_for_selector("body[data-ready]")
        assert current_unit(alice) != current_unit(bob)  # overlap 1: one annotator per unit

        for page, label in ((alice, "none"), (bob, "resource"), (alice, "none"), (bob, "resource")):
            unit_id = current_unit(page)
            page.locator(f".label[data-label='{label}']").click()
            wait_for_unit_change(page, unit_id)
        alice.reload()  # the name stays in the address
        alice.wait_for_selector("body[data-ready]")
        assert alice.text_content("#progress-text").startswith("2 / ")
    by_alice = latest(read_records(labels / "alice.jsonl").records)
    by_bob = latest(read_records(labels / "bob.jsonl").records)
    assert {r.label for r in by_alice.values()} == {"none"} and {r.label for r in by_bob.values()} == {
        "resource"
    }
    assert len(by_alice) == len(by_bob) == 2 and not by_alice.keys() & by_bob.keys()


@pytest.mark.browser
def test_review_and_rules_work_by_touch(browser, tmp_path):
    units = make_units(3)
    units_file = tmp_path / "units.jsonl"
    write_units(units, units_file)
    labels = tmp_path / "labels"
    for name, chosen in (("a", ["none", "resource", "none"]), ("b", ["none", "none", "none"])):
        records = [LabelRecord(u.unit_id, u.text, y, name) for u, y in zip(units, chosen, strict=True)]
        append_records(labels / f"{name}.jsonl", records)
    context = browser.new_context(viewport={"width": 390, "height": 700}, has_touch=True, is_mobile=True)
    page = context.new_page()
    with servers(["review", "--labels-dir", str(labels), "--units", str(units_file)]) as [(url, _)]:
        page.goto(url)
        page.wait_for_selector("body[data-ready]")
        assert current_unit(page) == units[1].unit_id
        page.tap("#rules-open")
        assert page.locator("#rules").is_visible()
        page.tap("#rules-close")
        assert not page.locator("#rules").is_visible()
        page.tap(".label[data-label='systemic-failure']")
        page.tap("#note")
        page.keyboard.type("the agency as a whole")
        page.tap("#save")
        page.wait_for_selector("#finished:not([hidden])")
    context.close()
    gold = latest(read_records(labels / "gold.jsonl").records)
    assert gold[units[1].unit_id].label == "systemic-failure"
    assert gold[units[1].unit_id].note == "adjudicated (a: resource, b: none): the agency as a whole"
    assert {gold[u.unit_id].note for u in (units[0], units[2])} == {"agreed by a and b"}
