// The labelling page. Data from the server is only ever put on the page as
// text (textContent, setAttribute), never parsed as HTML.
"use strict";

const token = new URLSearchParams(location.search).get("token");
const headers = { "Content-Type": "application/json" };
if (token) headers.Authorization = `Bearer ${token}`;

const $ = (id) => document.getElementById(id);
let labels = [];
let state = null;
let busy = false;
let chosen = null; // review mode: the label picked, saved with Enter

async function api(path, body) {
  const options = body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) };
  const response = await fetch(path, options);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = { error: `${response.status} ${response.statusText}` };
  }
  if (!response.ok) throw new Error(data.error || response.statusText);
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
  });
  $("rules-title").textContent = `Decision procedure (codebook v${codebook.version})`;
  for (const step of codebook.procedure) $("procedure").append(element("li", step));
}

function sourceLine(unit) {
  const where = unit.title || unit.doc_id;
  if (unit.kind === "comment") return `Reader comment${unit.author ? ` by ${unit.author}` : ""} on: ${where}`;
  return where;
}

function render(next) {
  state = next;
  const { progress, unit } = state;
  $("who").textContent = state.mode === "review" ? `reviewing as ${state.annotator}` : `labelling as ${state.annotator}`;
  const share = progress.total ? (100 * progress.done) / progress.total : 0;
  $("progress-fill").style.width = `${share}%`;
  $("progress-bar").setAttribute("aria-valuemax", String(progress.total));
  $("progress-bar").setAttribute("aria-valuenow", String(progress.done));
  $("progress-text").textContent = `${progress.done} / ${progress.total} ${state.mode === "review" ? "adjudicated" : "labelled"}`;
  const counts = $("counts");
  counts.replaceChildren(...labels.map((label) => element("li", `${label} ${progress.counts[label]}`, { "data-label": label })));

  $("card").hidden = !unit;
  $("finished").hidden = Boolean(unit);
  $("finished").textContent = state.mode === "review" ? "Every disagreement is adjudicated." : "Every unit is labelled. Thank you!";
  $("text").textContent = unit ? unit.text : "";
  $("text").setAttribute("data-unit-id", unit ? unit.unit_id : "");
  $("prev").textContent = unit ? unit.prev : "";
  $("next").textContent = unit ? unit.next : "";
  $("source").textContent = unit ? sourceLine(unit) : "";

  const reviewing = state.mode === "review" && Boolean(unit);
  $("review").hidden = !reviewing;
  if (reviewing) {
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
    $("note").value = "";
  }
  chosen = null;
  markChosen();
  $("undo").disabled = !state.can_undo;
  $("skip").disabled = !unit;
  $("status").textContent = state.status;
  if (state.problems.length) {
    showAlert(`Damaged lines were skipped (the rest loaded): ${state.problems.join("; ")}`, "warning");
  }
}

function markChosen() {
  for (const button of document.querySelectorAll(".label")) {
    button.classList.toggle("chosen", button.dataset.label === chosen);
    button.disabled = !state || !state.unit;
  }
}

async function act(path, body, saved) {
  if (busy) return;
  busy = true;
  document.body.setAttribute("aria-busy", "true");
  try {
    const next = await api(path, body);
    showAlert("");
    render(next);
    $("saved").textContent = saved || "";
  } catch (error) {
    showAlert(`Not saved: ${error.message}`);
  } finally {
    busy = false;
    document.body.removeAttribute("aria-busy");
  }
}

function choose(label) {
  if (!state || !state.unit || busy) return;
  if (state.mode === "review") {
    chosen = label;
    markChosen();
    $("note").focus();
    return;
  }
  act("/api/decide", { unit_id: state.unit.unit_id, label }, `✓ saved: ${label}`);
}

function submitReview() {
  if (!state || !state.unit) return;
  if (!chosen) {
    showAlert("Pick the gold label first (keys 1-4).", "warning");
    return;
  }
  const note = $("note").value;
  $("note").blur();
  act("/api/decide", { unit_id: state.unit.unit_id, label: chosen, note }, `✓ gold: ${chosen}`);
}

function skip() {
  if (state && state.unit) act("/api/skip", { unit_id: state.unit.unit_id }, "skipped");
}

function undo() {
  if (state && state.can_undo) act("/api/undo", {}, "↶ undone");
}

function toggleRules() {
  const rules = $("rules");
  if (rules.open) rules.close();
  else rules.showModal();
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target === $("note")) {
    if (event.key === "Enter") {
      event.preventDefault();
      submitReview();
    } else if (event.key === "Escape") {
      $("note").blur();
    }
    return;
  }
  if ($("rules").open) {
    if (event.key === "?" || event.key === "h") {
      event.preventDefault();
      toggleRules();
    }
    return;
  }
  if (event.repeat) return;
  const index = ["1", "2", "3", "4"].indexOf(event.key);
  let handled = true;
  if (index >= 0 && index < labels.length) choose(labels[index]);
  else if (event.key === "s") skip();
  else if (event.key === "u" || event.key === "Backspace") undo();
  else if (event.key === "?" || event.key === "h") toggleRules();
  else if (event.key === "Enter" && state && state.mode === "review") submitReview();
  else handled = false;
  if (handled) event.preventDefault();
}

async function start() {
  $("skip").addEventListener("click", skip);
  $("undo").addEventListener("click", undo);
  $("rules-open").addEventListener("click", toggleRules);
  document.addEventListener("keydown", onKey);
  // A clicked button keeps no focus, so a later Enter or Space cannot click it again on the next unit.
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (button) button.blur();
  });
  try {
    buildLabels(await api("/api/codebook"));
    render(await api("/api/state"));
    document.body.dataset.ready = "true";
  } catch (error) {
    showAlert(`Cannot load: ${error.message}`);
  }
}

start();
