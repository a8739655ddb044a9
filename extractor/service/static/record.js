// The record page: evidence highlighting, live re-checking while editing, save, approve, keys.
"use strict";
(function () {
  const payload = JSON.parse(document.getElementById("payload").textContent);
  const source = document.getElementById("source");
  const text = payload.text || "";
  const astral = /[\uD800-\uDFFF]/.test(text);
  const flash = document.getElementById("flash");
  let version = payload.version;
  let timer = null;

  if (payload.text !== null && payload.text !== undefined) source.textContent = text;

  // Python offsets count code points; JS strings count UTF-16 units.
  function unitIndex(cp) {
    if (!astral) return cp;
    let i = 0, n = 0;
    while (n < cp && i < text.length) {
      const c = text.charCodeAt(i);
      i += (c >= 0xD800 && c <= 0xDBFF) ? 2 : 1;
      n++;
    }
    return i;
  }

  function say(message, kind) {
    flash.textContent = message;
    flash.className = "flash " + (kind || "");
  }

  function highlight(path) {
    const note = document.getElementById("evidence-note");
    document.querySelectorAll("td.cell.selected").forEach((td) => td.classList.remove("selected"));
    const td = document.querySelector('td.cell[data-path="' + CSS.escape(path) + '"]');
    if (td) td.classList.add("selected");
    const span = payload.evidence[path];
    source.textContent = text;
    if (!span) { note.textContent = path + ": no evidence span"; return; }
    const s = unitIndex(span.start), e = unitIndex(span.end);
    source.textContent = "";
    source.append(text.slice(0, s));
    const mark = document.createElement("mark");
    mark.id = "evidence-mark";
    mark.textContent = text.slice(s, e) || "\u2003";
    source.append(mark, text.slice(e));
    note.textContent = path + " ← [" + span.start + ":" + span.end + "] (" + span.method + ")";
    // scroll the source pane only, so the table the reviewer is editing stays where it is
    source.scrollTop = Math.max(0, mark.offsetTop - source.clientHeight / 2);
  }

  function inputs() { return Array.from(document.querySelectorAll("input.cell-input:not([readonly])")); }
  function dirty() { return Object.keys(changes()).length > 0; }
  let leaving = false;  // the reviewer already confirmed leaving with unsaved edits
  const UNSAVED = "You have unsaved edits on this record. Leave and lose them?";
  function go(url) {
    if (dirty() && !window.confirm(UNSAVED)) return;
    leaving = true;
    window.location.href = url;
  }
  window.addEventListener("beforeunload", (ev) => {
    if (leaving || !dirty()) return;
    ev.preventDefault();
    ev.returnValue = UNSAVED;
  });
  document.addEventListener("click", (ev) => {
    const a = ev.target.closest("a[href]");
    if (!a || a.target || ev.ctrlKey || ev.metaKey || ev.shiftKey || !dirty()) return;
    ev.preventDefault();
    go(a.href);
  });

  function changes() {
    const out = {};
    for (const box of inputs()) {
      if (box.value.trim() !== box.dataset.original) out[box.dataset.path] = box.value.trim();
    }
    return out;
  }

  function renderEquations(equations) {
    const list = document.getElementById("equations");
    const bad = equations.filter((e) => e.ok === false);
    document.getElementById("eq-count").textContent = String(bad.length);
    list.textContent = "";
    if (!bad.length) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "none";
      list.append(li);
      return;
    }
    for (const e of bad) {
      const li = document.createElement("li");
      li.className = "equation";
      li.dataset.cells = e.cells.join(" ");
      const title = document.createElement("div");
      title.className = "eq-title";
      title.textContent = e.rule + ": " + e.title;
      const sides = document.createElement("div");
      sides.className = "eq-sides";
      const show = (v) => (v === null || v === undefined ? "?" : String(v));
      sides.textContent = e.left_label + " = " + show(e.left) + "  ≠  " + e.right_label + " = " + show(e.right);
      li.append(title, sides);
      list.append(li);
    }
  }

  function markCells(violated) {
    const bad = new Set(violated);
    document.querySelectorAll("td.cell").forEach((td) => {
      td.classList.toggle("violated", bad.has(td.dataset.path));
    });
  }

  async function recheck() {
    const res = await nianbao.api("POST", "/api/records/" + payload.id + "/check", {changes: changes()});
    if (!res.ok) { say(nianbao.errorText(res.data, res.status), "error"); return; }
    markCells(res.data.violated_cells);
    for (const box of document.querySelectorAll("input.cell-input[readonly]")) {
      const value = res.data.derived[box.dataset.path];
      if (value !== undefined) box.value = value;  // summary figures follow their table cells
    }
    renderEquations(res.data.equations);
    say(res.data.errors ? res.data.errors + " error(s) after your edits" : "all equations hold", res.data.errors ? "warn" : "ok");
  }

  async function save() {
    const edits = changes();
    const reason = document.getElementById("reason");
    if (!Object.keys(edits).length) { say("nothing changed", "warn"); return; }
    if (!reason.value.trim()) { say("give a reason for the change", "error"); reason.focus(); return; }
    const res = await nianbao.api("PATCH", "/api/records/" + payload.id,
      {expected_version: version, reason: reason.value.trim(), changes: edits, reviewer: nianbao.reviewer()});
    if (res.status === 409) { say(nianbao.errorText(res.data, res.status), "error"); return; }
    if (!res.ok) { say(nianbao.errorText(res.data, res.status), "error"); return; }
    version = res.data.version;
    say("saved version " + version, "ok");
    leaving = true;
    window.location.reload();
  }

  async function approve() {
    if (dirty()) { say("save or undo your edits before approving", "error"); return; }
    if (payload.status === "failed") { say("a failed record cannot be approved", "error"); return; }
    const body = {expected_version: version, reviewer: nianbao.reviewer()};
    if (payload.n_errors) {
      const why = window.prompt("This record still has " + payload.n_errors + " error(s). Approve anyway only " +
                                "if they are the report's own errors — say why (kept in the audit log):");
      if (!why || !why.trim()) { say("not approved: an override needs a reason", "warn"); return; }
      body.override_reason = why.trim();
    }
    const res = await nianbao.api("POST", "/api/records/" + payload.id + "/approve", body);
    if (!res.ok) { say(nianbao.errorText(res.data, res.status), "error"); return; }
    leaving = true;
    window.location.href = payload.next_id ? "/records/" + payload.next_id : "/queue";
  }

  for (const box of inputs()) {
    box.addEventListener("focus", () => highlight(box.dataset.path));
    box.addEventListener("input", () => {
      box.parentElement.classList.toggle("edited", box.value.trim() !== box.dataset.original);
      clearTimeout(timer);
      timer = setTimeout(recheck, 200);
    });
  }
  document.getElementById("equations").addEventListener("click", (ev) => {
    const li = ev.target.closest("li.equation");
    if (!li) return;
    const first = li.dataset.cells.split(" ")[0];
    const box = document.querySelector('input.cell-input[data-path="' + CSS.escape(first) + '"]');
    if (box) box.focus();
  });
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("approve").addEventListener("click", approve);

  document.addEventListener("keydown", (ev) => {
    const typing = ev.target.matches("input, textarea, select");
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "s") { ev.preventDefault(); save(); return; }
    if (typing) { if (ev.key === "Escape") ev.target.blur(); return; }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "j" && payload.next_id) go("/records/" + payload.next_id);
    else if (ev.key === "k" && payload.prev_id) go("/records/" + payload.prev_id);
    else if (ev.key === "a") approve();
    else if (ev.key === "s") save();
  });
})();
