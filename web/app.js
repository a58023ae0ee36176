// dalil serve's page: sends the editor's statements to POST /query and shows what comes back
// (tables, why trees, reports at their spans), the timeline and the graph (SVG drawn by the
// server, the same as `--format svg`), and the lessons step by step. No framework.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) e.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) e.append(c);
  return e;
};
const ARABIC = /[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]/;

// ── The tab's session ───────────────────────────────────────────────────────────────────────
const SESSION_KEY = "dalil-session";
async function api(path, body) {
  const session = sessionStorage.getItem(SESSION_KEY);
  let response;
  if (body === undefined) {
    const sep = path.includes("?") ? "&" : "?";
    response = await fetch(session ? `${path}${sep}session=${encodeURIComponent(session)}` : path);
  } else {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ ...body, session }),
    });
  }
  const data = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  if (data.session) sessionStorage.setItem(SESSION_KEY, data.session);
  return data;
}
const query = (text, format = "json") => api("/query", { text, format });

function setStatus(text, kind = "") {
  const s = $("#status");
  s.textContent = text;
  s.className = `status ${kind}`;
}

// ── Editor ──────────────────────────────────────────────────────────────────────────────────
const START = `# Type statements; Ctrl-Enter runs them all.
visit where partner = "US" after 2025-09-01`;
const editor = DalilEditor.create($("#editor"), {
  doc: START,
  onRun: (text) => run(text),
  placeholderText: "visit where partner = \"US\"",
});
async function loadCatalog() {
  try { editor.setCatalog(await api("/catalog")); } catch (e) { setStatus(e.message, "bad"); }
}

// ── Results ─────────────────────────────────────────────────────────────────────────────────
let lastSteps = [];
let selected = null; // { statement, data } of the result the downloads and pictures use

async function run(text) {
  setStatus("running…");
  whyCache.clear();
  $("#run").disabled = true;
  try {
    const answer = await query(text);
    lastSteps = answer.steps;
    editor.showDiagnostics(answer.diagnostics);
    renderAnswer($("#results"), answer);
    const errors = answer.diagnostics.filter((d) => d.severity === "error").length;
    setStatus(errors ? `${errors} error${errors > 1 ? "s" : ""}` : "ok", errors ? "bad" : "good");
    showTab("results");
    loadCatalog();
  } catch (e) {
    setStatus(e.message, "bad");
  } finally {
    $("#run").disabled = false;
  }
}
$("#run").addEventListener("click", () => run(editor.getText()));

function renderAnswer(root, answer, { presenter = false } = {}) {
  root.replaceChildren();
  if (!answer.steps.length) root.append(el("p", { class: "empty" }, "(nothing to run)"));
  for (const step of answer.steps) root.append(renderStep(step, answer.diagnostics, presenter));
}

function renderStep(step, diagnostics, presenter) {
  const box = el("article", { class: "step" });
  if (step.comment) box.append(el("pre", { class: "comment" }, step.comment));
  if (step.statement) box.append(el("pre", { class: "statement" }, el("span", { class: "prompt" }, "dalil> "), step.statement));
  for (const out of step.output) box.append(renderOutput(out, step, diagnostics, presenter));
  return box;
}

function renderOutput(out, step, diagnostics, presenter) {
  switch (out.type) {
    case "json": {
      const data = out.data;
      const isWhy = Array.isArray(data) && data.length > 0 && data[0] && data[0].origin;
      if (isWhy) return el("div", { class: "why-list" }, data.map((t) => whyTree(t, true)));
      if (!presenter) {
        selected = { statement: step.statement, data };
        $("#download-json").disabled = false;
        $("#download-csv").disabled = false;
        for (const f of document.querySelectorAll(".picture-form input")) f.dataset.fromResults = step.statement;
      }
      return resultTable(data, step.statement, presenter);
    }
    case "svg": {
      const d = el("div", { class: "picture" });
      d.innerHTML = out.svg;
      return d;
    }
    case "text": return el("pre", { class: "text" }, out.text);
    case "note": return el("pre", { class: "note" }, out.text);
    case "error": {
      const d = diagnostics[out.diagnostic];
      return el("div", { class: `report ${d.severity}`, role: "alert" },
        el("pre", {}, d.rendered));
    }
  }
  return el("pre", {}, JSON.stringify(out));
}

function cellText(v) {
  if (v === null || v === undefined) return "";
  if (Array.isArray(v)) return v.map(cellText).join(", ");
  return String(v);
}

function resultTable(rows, statement, presenter) {
  const wrap = el("div", { class: "result" });
  if (!Array.isArray(rows) || rows.length === 0) {
    wrap.append(el("p", { class: "empty" }, "(no rows)"));
    return wrap;
  }
  const columns = Object.keys(rows[0]);
  const canWhy = !presenter && !/^\s*(why|count|explain)\b/.test(statement) && statement;
  const table = el("table", { class: "rows" });
  const thead = el("thead", {}, el("tr", {},
    canWhy ? el("th", { class: "why-col" }, "") : null,
    columns.map((c, i) => el("th", { scope: "col", "data-col": i, title: "click to sort", onclick: () => sortBy(i) }, c))));
  const tbody = el("tbody");
  table.append(thead, tbody);
  let order = rows.map((_, i) => i);
  let sorted = { col: -1, dir: 1 };
  function fill() {
    tbody.replaceChildren();
    for (const i of order) {
      const row = rows[i];
      const tr = el("tr", { "data-row": i });
      if (canWhy) {
        tr.append(el("td", { class: "why-col" }, el("button", {
          class: "why-button", title: "why: the evidence for this row",
          onclick: (e) => toggleWhy(e.target, tr, statement, row, i, columns.length + 1),
        }, "why ▸")));
      }
      for (const c of columns) {
        const text = cellText(row[c]);
        const rtl = ARABIC.test(text);
        tr.append(el("td", { class: rtl ? "rtl" : (typeof row[c] === "number" ? "num" : ""), dir: rtl ? "rtl" : null, lang: rtl ? "ar" : null }, text));
      }
      tbody.append(tr);
    }
  }
  function sortBy(col) {
    const key = columns[col];
    sorted = { col, dir: sorted.col === col ? -sorted.dir : 1 };
    order.sort((a, b) => {
      const x = rows[a][key], y = rows[b][key];
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      if (typeof x === "number" && typeof y === "number") return (x - y) * sorted.dir;
      return cellText(x).localeCompare(cellText(y)) * sorted.dir;
    });
    for (const th of thead.querySelectorAll("th[data-col]")) {
      th.removeAttribute("aria-sort");
      if (Number(th.dataset.col) === col) th.setAttribute("aria-sort", sorted.dir > 0 ? "ascending" : "descending");
    }
    fill();
  }
  fill();
  wrap.append(table, el("p", { class: "count" }, `(${rows.length} row${rows.length === 1 ? "" : "s"})`));
  return wrap;
}

// `why` of a statement, cached: the trees come in the order of the rows.
const whyCache = new Map();
async function whyTrees(statement) {
  if (!whyCache.has(statement)) {
    whyCache.set(statement, query(`why ${statement.replace(/;\s*$/, "")}`).then((a) => {
      const out = a.steps.flatMap((s) => s.output).find((o) => o.type === "json");
      if (!out) {
        const d = a.diagnostics[0];
        throw new Error(d ? d.message : "no evidence");
      }
      return out.data;
    }));
  }
  return whyCache.get(statement);
}
async function whyOf(statement, row, index) {
  const trees = await whyTrees(statement);
  return (row && row.id && trees.find((t) => t.fields && t.fields.id === row.id)) || trees[index];
}

async function toggleWhy(button, tr, statement, row, index, span) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains("why-row")) {
    next.remove();
    button.textContent = "why ▸";
    return;
  }
  button.textContent = "why ▾";
  const cell = el("td", { colspan: span }, el("p", { class: "empty" }, "…"));
  tr.after(el("tr", { class: "why-row" }, cell));
  try {
    const tree = await whyOf(statement, row, index);
    cell.replaceChildren(tree ? whyTree(tree, true) : el("p", { class: "empty" }, "(no evidence for this row)"));
  } catch (e) {
    cell.replaceChildren(el("p", { class: "report error" }, e.message));
  }
}

// ── why trees ───────────────────────────────────────────────────────────────────────────────
const STRENGTH = { stated: 3, inferred: 2, background: 1 };
function strength(node) {
  const o = node.origin || {};
  // A derived row carries its status (the weakest premise of its strongest derivation).
  if (o.premises && STRENGTH[o.status]) return STRENGTH[o.status];
  if (o.premises) return o.premises.length ? Math.min(...o.premises.map(strength)) : 3;
  if (o.background !== null && o.background !== undefined) return 1;
  if (o.inferred) return 2;
  return STRENGTH[o.status] || 3;
}
function citeCount(node) {
  const o = node.origin || {};
  return o.premises ? Math.min(...o.premises.map(citeCount), 99) : (o.cites || []).length;
}
function statusOf(node) {
  const s = strength(node);
  const o = node.origin || {};
  if (o.premises) return s === 3 ? "derived" : `derived · ${s === 2 ? "inferred" : "background"} premise`;
  return s === 1 ? "background" : s === 2 ? "inferred" : "stated";
}

function factLine(node) {
  const fields = Object.entries(node.fields || {}).filter(([k]) => k !== "cite");
  return el("span", { class: "fact" },
    el("b", { class: "kind" }, node.kind), "(",
    fields.map(([k, v], i) => [i ? ", " : "", el("span", { class: "field" }, k), ": ",
      el("span", { class: "value", dir: ARABIC.test(cellText(v)) ? "rtl" : null }, cellText(v))]),
    ")");
}

function whyTree(node, open, weakest = false, openAll = false) {
  const o = node.origin || {};
  const status = statusOf(node);
  const details = el("details", { class: `why ${o.premises ? "derived" : "leaf"}` });
  if (open || openAll) details.open = true;
  const summary = el("summary", {},
    factLine(node), " ",
    el("span", { class: `badge s${strength(node)}` }, status),
    weakest ? el("span", { class: "badge weakest", title: "the weakest premise of the rule above" }, "weakest") : null);
  details.append(summary);
  const body = el("div", { class: "why-body" });
  if (o.premises) {
    body.append(el("div", { class: "rule" }, `rule ${o.rule}: `, el("code", {}, o.rule_text || "")));
    // The weakest premise: as the engine marks it, else the lowest status, then the fewest
    // citations.
    let weak = (o.weakest_premises || [])[0] ?? -1;
    if (weak < 0 && o.premises.length > 1) {
      const score = (p) => strength(p) * 100 + citeCount(p);
      weak = o.premises.reduce((best, p, i, all) => (score(p) < score(all[best]) ? i : best), 0);
    }
    o.premises.forEach((p, i) => body.append(whyTree(p, false, i === weak, openAll)));
  } else {
    const list = el("ul", { class: "cites" });
    for (const c of o.cites || []) {
      list.append(el("li", { class: "cite" },
        el("span", { class: "where" }, `${c.source ? c.source + ":" : ""}p${c.paragraph}.s${c.sentence}`), " ",
        c.quote ? el("q", { lang: "ar", dir: "rtl" }, c.quote) : null));
    }
    if (o.inferred) list.append(el("li", { class: "inferred" }, `inferred, not stated: ${o.inferred}`));
    if (o.background !== null && o.background !== undefined) list.append(el("li", { class: "background" }, `background, not in the article${o.background ? ": " + o.background : ""}`));
    if (!list.children.length) list.append(el("li", {}, "typed in this session, no citation"));
    body.append(list);
  }
  details.append(body);
  return details;
}

// ── Downloads ───────────────────────────────────────────────────────────────────────────────
function download(name, type, text) {
  const a = el("a", { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  a.remove();
}
$("#download-json").addEventListener("click", () => {
  if (selected) download("result.json", "application/json", JSON.stringify(selected.data, null, 2) + "\n");
});
$("#download-csv").addEventListener("click", async () => {
  if (!selected) return;
  const a = await query(selected.statement, "csv");
  const out = a.steps.flatMap((s) => s.output).find((o) => o.type === "text");
  if (out) download("result.csv", "text/csv", out.text);
});

// ── Tabs ────────────────────────────────────────────────────────────────────────────────────
function showTab(name) {
  for (const b of document.querySelectorAll("[role=tab]")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const p of document.querySelectorAll(".tab-panel")) p.hidden = p.id !== `tab-${name}`;
  if (name === "lessons" && !$("#lesson-list").options.length) loadLessons();
}
for (const b of document.querySelectorAll("[role=tab]")) {
  b.addEventListener("click", () => {
    showTab(b.dataset.tab);
    const form = $(`#tab-${b.dataset.tab} .picture-form`);
    if (form) {
      const input = form.elements.query;
      // The picture follows the last result, unless one was drawn for another query.
      if (input.dataset.fromResults && !input.dataset.drawn) input.value = input.dataset.fromResults;
      if (!input.dataset.drawn || input.dataset.drawn !== input.value) drawPicture(form);
    }
  });
}

// ── Timeline and graph ──────────────────────────────────────────────────────────────────────
async function drawPicture(form) {
  const format = form.dataset.picture;
  const which = format === "svg-timeline" ? "timeline" : "graph";
  const target = $(`#${which}`);
  const statement = form.elements.query.value.trim();
  form.elements.query.dataset.drawn = statement;
  target.replaceChildren(el("p", { class: "empty" }, "drawing…"));
  $(`#${which}-detail`).hidden = true;
  try {
    const [pic, rows] = await Promise.all([query(statement, format), query(statement)]);
    const outputs = pic.steps.flatMap((s) => s.output);
    const svg = outputs.find((o) => o.type === "svg");
    if (!svg) {
      const d = pic.diagnostics[0];
      target.replaceChildren(el("div", { class: "report error" }, el("pre", {}, d ? d.rendered : "nothing to draw")));
      return;
    }
    target.innerHTML = svg.svg;
    const data = rows.steps.flatMap((s) => s.output).find((o) => o.type === "json");
    const list = data ? data.data : [];
    for (const mark of target.querySelectorAll(".mark[data-row]")) {
      mark.setAttribute("tabindex", "0");
      const open = () => showDetail(which, statement, list, Number(mark.dataset.row), mark);
      mark.addEventListener("click", open);
      mark.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    }
    if (which === "graph") graphFilter(target);
  } catch (e) {
    target.replaceChildren(el("p", { class: "report error" }, e.message));
  }
}
for (const form of document.querySelectorAll(".picture-form")) {
  form.addEventListener("submit", (e) => { e.preventDefault(); drawPicture(form); });
}

async function showDetail(which, statement, rows, index, mark) {
  for (const m of document.querySelectorAll(`#${which} .mark.selected`)) m.classList.remove("selected");
  mark.classList.add("selected");
  const box = $(`#${which}-detail`);
  box.hidden = false;
  const row = rows[index];
  box.replaceChildren(el("h3", {}, mark.dataset.kind || "fact", mark.dataset.date ? ` · ${mark.dataset.date}` : ""),
    row ? el("dl", {}, Object.entries(row).map(([k, v]) => [el("dt", {}, k), el("dd", { dir: ARABIC.test(cellText(v)) ? "rtl" : null }, cellText(v) || "—")])) : null,
    el("p", { class: "empty" }, "why …"));
  try {
    const tree = await whyOf(statement, row, index);
    box.lastChild.replaceWith(tree ? whyTree(tree, true, false, true) : el("p", { class: "empty" }, "(no evidence)"));
  } catch (e) {
    box.lastChild.replaceWith(el("p", { class: "report error" }, e.message));
  }
}

function graphFilter(target) {
  const kinds = [...new Set([...target.querySelectorAll(".node.fact")].map((n) => n.dataset.kind))].filter(Boolean).sort();
  const box = $("#graph-filter");
  box.replaceChildren(kinds.length > 1 ? "show: " : "");
  if (kinds.length < 2) return;
  const hidden = new Set();
  const apply = () => {
    for (const n of target.querySelectorAll(".node.fact")) n.style.display = hidden.has(n.dataset.kind) ? "none" : "";
    for (const e of target.querySelectorAll(".edge-group")) {
      const ends = (e.dataset.factKinds || "").split(" ").filter(Boolean);
      e.style.display = ends.some((k) => hidden.has(k)) ? "none" : "";
    }
  };
  for (const k of kinds) {
    const box2 = el("input", { type: "checkbox", checked: "", "data-kind": k });
    box2.addEventListener("change", () => { box2.checked ? hidden.delete(k) : hidden.add(k); apply(); });
    box.append(el("label", { class: "chip" }, box2, k));
  }
}

// ── Lessons ─────────────────────────────────────────────────────────────────────────────────
let lesson = null; // { steps, diagnostics, shown }
async function loadLessons() {
  const list = await api("/lessons");
  const select = $("#lesson-list");
  select.replaceChildren(...list.map((l) => el("option", { value: l.index }, `${l.name.replace(/^.*\//, "")} — ${l.title}`)));
  select.addEventListener("change", () => openLesson(Number(select.value)));
  if (list.length) openLesson(0);
}
async function openLesson(n) {
  $("#lesson").replaceChildren(el("p", { class: "empty" }, "…"));
  try {
    const l = await api(`/lessons/${n}`);
    lesson = { ...l, shown: 1 };
    renderLesson();
  } catch (e) {
    $("#lesson").replaceChildren(el("p", { class: "report error" }, e.message));
  }
}
function renderLesson() {
  if (!lesson) return;
  const root = $("#lesson");
  root.replaceChildren();
  // A step is shown in two beats: the statement, then (on Next) its result.
  const total = lesson.steps.length * 2;
  lesson.shown = Math.max(1, Math.min(lesson.shown, total));
  lesson.steps.forEach((step, i) => {
    if (i * 2 >= lesson.shown) return;
    const withOutput = i * 2 + 1 < lesson.shown;
    const view = renderStep({ ...step, output: withOutput ? step.output : [] }, lesson.diagnostics, true);
    if (i * 2 + 2 >= lesson.shown) view.classList.add("current");
    root.append(view);
  });
  $("#lesson-pos").textContent = `step ${Math.ceil(lesson.shown / 2)} of ${lesson.steps.length}`;
  const current = root.querySelector(".current");
  if (current) current.scrollIntoView({ block: "nearest", behavior: "smooth" });
}
$("#lesson-next").addEventListener("click", () => { if (lesson) { lesson.shown++; renderLesson(); } });
$("#lesson-prev").addEventListener("click", () => { if (lesson) { lesson.shown--; renderLesson(); } });
document.addEventListener("keydown", (e) => {
  if ($("#tab-lessons").hidden || e.target.closest(".cm-editor, input, select, textarea")) return;
  if (e.key === "ArrowRight" || e.key === " ") { e.preventDefault(); $("#lesson-next").click(); }
  if (e.key === "ArrowLeft") { e.preventDefault(); $("#lesson-prev").click(); }
});

loadCatalog();
editor.focus();
