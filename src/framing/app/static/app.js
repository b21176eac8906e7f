// The labelling page. Data from the server is only ever put on the page as
// text (textContent, setAttribute), never parsed as HTML.
"use strict";

const params = new URLSearchParams(location.search);
const token = params.get("token");
const headers = { "Content-Type": "application/json" };
if (token) headers.Authorization = `Bearer ${token}`;

const $ = (id) => document.getElementById(id);
let labels = [];
let team = null; // {mode, names, only, overlap}
let annotator = params.get("annotator");
let state = null;
let busy = false;
let chosen = null; // review mode: the label picked, saved with Enter or Save

// Time on task: how long the current unit has been on screen while the page was visible.
let timer = { unit: null, spent: 0, since: null };

function startTimer(unitId) {
  if (timer.unit === unitId) return;
  timer = { unit: unitId, spent: 0, since: document.hidden ? null : performance.now() };
}

function secondsOnTask() {
  const running = timer.since === null ? 0 : performance.now() - timer.since;
  return Math.min(86400, Math.round((timer.spent + running) / 100) / 10);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden && timer.since !== null) {
    timer.spent += performance.now() - timer.since;
    timer.since = null;
  } else if (!document.hidden && timer.since === null) {
    timer.since = performance.now();
  }
});

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

async function api(path, body) {
  let url = path;
  let options = { headers };
  if (body === undefined) {
    if (annotator) url += `${path.includes("?") ? "&" : "?"}annotator=${encodeURIComponent(annotator)}`;
  } else {
    options = { method: "POST", headers, body: JSON.stringify(annotator ? { annotator, ...body } : body) };
  }
  const response = await fetch(url, options);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = { error: `${response.status} ${response.statusText}` };
  }
  if (!response.ok) throw new ApiError(data.error || response.statusText, response.status);
  return data;
}

function element(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

function showAlert(message, kind = "error") {
  const alert = $("alert");
  alert.textContent = message;
  alert.className = kind;
  alert.hidden = !message;
}

function buildLabels(codebook) {
  labels = codebook.labels.map((entry) => entry.label);
  const container = $("labels");
  codebook.labels.forEach((entry, index) => {
    const button = element("button", undefined, { type: "button", class: "label", "data-label": entry.label });
    const name = element("span", undefined, { class: "name" });
    name.append(element("kbd", String(index + 1)), ` ${entry.label}`);
    button.append(name, element("span", entry.definition, { class: "definition" }));
    button.addEventListener("click", () => choose(entry.label));
    container.append(button);
    $("definitions").append(element("dt", entry.label), element("dd", entry.definition));
  });
  $("rules-title").textContent = `Decision procedure (codebook v${codebook.version})`;
  for (const step of codebook.procedure) $("procedure").append(element("li", step));
}

function sourceLine(unit) {
  const where = unit.title || unit.doc_id;
  if (unit.kind === "comment") return `Reader comment${unit.author ? ` by ${unit.author}` : ""} on: ${where}`;
  return where;
}

function decisionText(decision) {
  if (decision.decision === "skip") return "skipped";
  return decision.label;
}

function render(next) {
  const previous = state && state.unit ? `${state.unit.unit_id}:${state.unit.revision}` : null;
  state = next;
  const { progress, unit } = state;
  const reviewing = state.mode === "review";
  $("who").textContent = reviewing ? `reviewing as ${state.annotator}` : `labelling as ${state.annotator}`;
  const share = progress.total ? (100 * progress.done) / progress.total : 0;
  $("progress-fill").style.width = `${share}%`;
  $("progress-bar").setAttribute("aria-valuemax", String(progress.total));
  $("progress-bar").setAttribute("aria-valuenow", String(progress.done));
  const skipped = progress.skipped ? `, ${progress.skipped} skipped` : "";
  $("progress-text").textContent = `${progress.done} / ${progress.total} ${reviewing ? "adjudicated" : "labelled"}${skipped}`;
  const counts = $("counts");
  counts.replaceChildren(...labels.map((label) => element("li", `${label} ${progress.counts[label]}`, { "data-label": label })));

  $("card").hidden = !unit;
  $("finished").hidden = Boolean(unit);
  let finished = "Every unit is labelled. Thank you!";
  if (reviewing) finished = "Every disagreement is adjudicated.";
  else if (team && team.overlap) finished = `Nothing left for you: every other unit has its ${team.overlap} annotator(s). Thank you!`;
  $("finished").textContent = finished;
  $("text").textContent = unit ? unit.text : "";
  $("text").setAttribute("data-unit-id", unit ? unit.unit_id : "");
  $("prev").textContent = unit ? unit.prev : "";
  $("next").textContent = unit ? unit.next : "";
  $("source").textContent = unit ? sourceLine(unit) : "";

  const current = unit && !reviewing ? unit.current : null;
  $("current").hidden = !current;
  if (current) {
    const note = current.note ? ` (note: ${current.note})` : "";
    $("current").textContent = `You ${current.decision === "skip" ? "skipped this unit" : `labelled this ${current.label}`}${note}. `
      + "A new decision is added to your file and replaces it.";
  }
  const suggestion = unit && unit.suggestion;
  $("suggestion").hidden = !suggestion;
  if (suggestion) $("suggestion").textContent = `Model suggests: ${suggestion.label} (${Math.round(100 * suggestion.confidence)}% sure)`;

  $("review").hidden = !(reviewing && unit);
  if (reviewing && unit) {
    $("votes").replaceChildren(...unit.votes.map((vote) => {
      const item = element("li");
      item.append(element("strong", `${vote.annotator}: `), vote.label);
      if (vote.note) item.append(" ", element("span", `(${vote.note})`, { class: "note" }));
      return item;
    }));
    const gold = $("gold");
    gold.replaceChildren();
    if (unit.gold) {
      gold.append(element("strong", "current gold: "), unit.gold.label);
      if (unit.gold.note) gold.append(" ", element("span", `(${unit.gold.note})`, { class: "note" }));
    }
  }
  const now = unit ? `${unit.unit_id}:${unit.revision}` : null;
  if (now !== previous) {
    $("note").value = current && current.note ? current.note : "";
    chosen = null;
  }
  if (unit) startTimer(unit.unit_id);
  $("save").hidden = !reviewing;
  $("note-hint").textContent = reviewing
    ? "why this label? (Enter or Save)"
    : "(optional; N to type, Enter to leave it)";
  markChosen();
  $("undo").disabled = !state.can_undo;
  $("skip").disabled = !unit;
  $("save").disabled = !unit;
  $("note").disabled = !unit;
  $("status").textContent = state.status;
  if (state.problems.length) {
    showAlert(`Damaged lines were skipped (the rest loaded): ${state.problems.join("; ")}`, "warning");
  }
}

function markChosen() {
  const unit = state && state.unit;
  for (const button of document.querySelectorAll(".label")) {
    const label = button.dataset.label;
    button.classList.toggle("chosen", label === chosen);
    button.classList.toggle("current", Boolean(unit && unit.current && unit.current.label === label && !chosen));
    button.disabled = !unit;
    button.querySelector(".badge")?.remove();
    if (unit && unit.suggestion && unit.suggestion.label === label) {
      button.append(element("span", `model ${Math.round(100 * unit.suggestion.confidence)}%`, { class: "badge" }));
    }
  }
}

async function act(path, body, saved) {
  if (busy) return false;
  busy = true;
  document.body.setAttribute("aria-busy", "true");
  try {
    const next = await api(path, body);
    showAlert("");
    render(next);
    $("saved").textContent = saved || "";
    return true;
  } catch (error) {
    showAlert(error.status === 409 ? error.message : `Not saved: ${error.message}`);
    $("saved").textContent = "";
    if (error.status === 409) {
      try {
        render(await api("/api/state")); // the page was stale: show what the server has now
      } catch {
        // the alert already says what went wrong
      }
    }
    return false;
  } finally {
    busy = false;
    document.body.removeAttribute("aria-busy");
  }
}

function shown() {
  return { unit_id: state.unit.unit_id, revision: state.unit.revision };
}

function choose(label) {
  if (!state || !state.unit || busy) return;
  if (state.mode === "review") {
    chosen = label;
    markChosen();
    $("note").focus();
    return;
  }
  const body = { ...shown(), label, note: $("note").value, seconds: secondsOnTask() };
  act("/api/decide", body, `✓ saved: ${label}`);
}

function submitReview() {
  if (!state || !state.unit) return;
  if (!chosen) {
    showAlert("Pick the gold label first (keys 1-4, or tap a label).", "warning");
    return;
  }
  const body = { ...shown(), label: chosen, note: $("note").value, seconds: secondsOnTask() };
  $("note").blur();
  act("/api/decide", body, `✓ gold: ${chosen}`);
}

function skip() {
  if (state && state.unit) act("/api/skip", { ...shown(), seconds: secondsOnTask() }, "skipped: it comes back at the end");
}

function undo() {
  if (state && state.undo) act("/api/undo", state.undo, "↶ undone");
}

function toggle(dialog) {
  if (dialog.open) dialog.close();
  else dialog.showModal();
}

function listItem(unitId, text, decision) {
  const item = element("li");
  const button = element("button", undefined, { type: "button", "data-unit-id": unitId });
  const tag = decision ? decisionText(decision) : "not labelled";
  const attributes = { class: "tag" };
  if (decision && decision.label) attributes["data-label"] = decision.label;
  button.append(element("span", tag, attributes), element("span", text, { class: "snippet" }));
  button.addEventListener("click", async () => {
    if (await act("/api/show", { unit_id: unitId }, "")) $("history").close();
  });
  item.append(button);
  return item;
}

async function openHistory(focusSearch = false) {
  const dialog = $("history");
  if (!dialog.open) dialog.showModal();
  if (focusSearch) $("search-box").focus();
  try {
    const history = await api("/api/history");
    $("history-list").replaceChildren(...history.items.map((item) => listItem(item.unit_id, item.text, item)));
    if (!history.items.length) $("history-list").append(element("li", "No decisions yet.", { class: "hint" }));
    const summary = await api("/api/summary");
    const mine = summary.annotators.find((row) => row.annotator === state.annotator);
    $("pace").textContent = mine && mine.units_per_hour !== null
      ? `${mine.annotator}: ${mine.labelled} labelled, ${mine.skipped} skipped; ${mine.units_per_hour} units per hour on task (median ${mine.median_seconds} s a unit).`
      : "";
  } catch (error) {
    showAlert(`Cannot load the history: ${error.message}`);
  }
}

async function search(event) {
  event.preventDefault();
  const query = $("search-box").value.trim();
  if (!query) return;
  try {
    const found = await api(`/api/search?q=${encodeURIComponent(query)}`);
    $("search-results").replaceChildren(...found.items.map((item) => listItem(item.unit_id, item.text, item.current)));
    if (!found.items.length) $("search-results").append(element("li", "No unit found.", { class: "hint" }));
  } catch (error) {
    showAlert(`Cannot search: ${error.message}`);
  }
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target === $("note")) {
    if (event.key === "Enter") {
      event.preventDefault();
      if (state && state.mode === "review") submitReview();
      else $("note").blur();
    } else if (event.key === "Escape") {
      event.preventDefault();
      $("note").blur();
    }
    return;
  }
  if ($("rules").open) {
    if (event.key === "?") {
      event.preventDefault();
      toggle($("rules"));
    }
    return;
  }
  if ($("history").open || !$("start").hidden || event.target.tagName === "INPUT") return;
  if (event.repeat) return;
  const index = ["1", "2", "3", "4"].indexOf(event.key);
  let handled = true;
  if (index >= 0 && index < labels.length) choose(labels[index]);
  else if (event.key === "s") skip();
  else if (event.key === "u" || event.key === "Backspace") undo();
  else if (event.key === "?") toggle($("rules"));
  else if (event.key === "h") openHistory();
  else if (event.key === "/") openHistory(true);
  else if (event.key === "n") $("note").focus();
  else if (event.key === "Enter" && state && state.mode === "review") submitReview();
  else handled = false;
  if (handled) event.preventDefault();
}

function useName(name) {
  annotator = name;
  const query = new URLSearchParams(location.search);
  query.set("annotator", name);
  history.replaceState(null, "", `?${query}`);
  return begin();
}

function showStart() {
  $("start").hidden = false;
  $("work").hidden = true;
  $("bar").hidden = true;
  $("names").replaceChildren(...team.names.map((name) => {
    const button = element("button", name, { type: "button", "data-name": name });
    button.addEventListener("click", () => useName(name));
    return button;
  }));
  $("start-name").focus();
}

async function begin() {
  try {
    render(await api("/api/state"));
  } catch (error) {
    showAlert(`Cannot start: ${error.message}`);
    if (team.mode === "label" && !team.only) {
      annotator = null;
      showStart();
    }
    return;
  }
  showAlert("");
  $("start").hidden = true;
  $("work").hidden = false;
  $("bar").hidden = false;
  $("switch").hidden = !(team.mode === "label" && !team.only);
  document.body.dataset.ready = "true";
}

async function start() {
  $("skip").addEventListener("click", skip);
  $("undo").addEventListener("click", undo);
  $("save").addEventListener("click", submitReview);
  $("rules-open").addEventListener("click", () => toggle($("rules")));
  $("rules-close").addEventListener("click", () => $("rules").close());
  $("history-open").addEventListener("click", () => openHistory());
  $("history-close").addEventListener("click", () => $("history").close());
  $("search-form").addEventListener("submit", search);
  $("start-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const name = $("start-name").value.trim();
    if (name) useName(name);
  });
  const query = new URLSearchParams(location.search);
  query.delete("annotator");
  $("switch").setAttribute("href", `?${query}`);
  document.addEventListener("keydown", onKey);
  // A clicked button keeps no focus, so a later Enter or Space cannot click it again on the next unit.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button && !button.closest("form")) button.blur();
  });
  try {
    buildLabels(await api("/api/codebook"));
    team = await api("/api/annotators");
  } catch (error) {
    showAlert(`Cannot load: ${error.message}`);
    return;
  }
  if (team.mode === "review") annotator = null;
  else if (team.only) annotator = team.only;
  if (team.mode === "label" && !annotator) showStart();
  else await begin();
}

start();
