// The editor of dalil serve's page: CodeMirror 6 with dalil's highlighting, completion from
// the session's catalog (kinds, fields, entities in both scripts) and the server's reports
// drawn inline at their spans. Built into ../dist/editor.js (see ../README.md).

import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, placeholder,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import {
  StreamLanguage, HighlightStyle, syntaxHighlighting, bracketMatching,
} from "@codemirror/language";
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { tags as t } from "@lezer/highlight";

let catalog = { kinds: [], entities: [], keywords: [], commands: [] };
let kindNames = new Set();
let fieldNames = new Set();
let keywordSet = new Set();

function setCatalogData(c) {
  catalog = c;
  kindNames = new Set(c.kinds.map((k) => k.name));
  fieldNames = new Set(c.kinds.flatMap((k) => k.fields.map((f) => f.name)));
  keywordSet = new Set(c.keywords);
}

const WORD = /^[\p{L}_][\p{L}\p{N}_]*/u;

// A line-by-line tokenizer: comments, strings, dates, numbers, variables, meta-commands,
// keywords, kinds and fields (known from the catalog).
// A fresh language each time the catalog changes, so the whole text is tokenized again.
const makeLanguage = () => StreamLanguage.define({
  name: "dalil",
  startState: () => ({}),
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("#")) { stream.skipToEnd(); return "comment"; }
    if (stream.sol() && stream.match(/^:[a-z]+/)) return "meta";
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^\d{4}(?:-\d{2}(?:-\d{2})?)?(?:\/\d{4}(?:-\d{2}(?:-\d{2})?)?)?[~?%]?(?![\d.])/)) return "date";
    if (stream.match(/^\d+(?:\.\d+)?/)) return "number";
    if (stream.match(/^\?[\p{L}_][\p{L}\p{N}_]*/u) || stream.match("?_")) return "variableName";
    const m = stream.match(WORD);
    if (m) {
      const w = m[0];
      if (keywordSet.has(w)) return "keyword";
      if (kindNames.has(w)) return "typeName";
      if (fieldNames.has(w)) return "propertyName";
      return "name";
    }
    if (stream.match(/^(:-|[=<>!]=?|[(),;:.])/)) return "punctuation";
    stream.next();
    return null;
  },
  tokenTable: { meta: t.meta, date: t.special(t.number), name: t.variableName },
});

const style = HighlightStyle.define([
  { tag: t.comment, color: "#6a737d", fontStyle: "italic" },
  { tag: t.keyword, color: "#8250df", fontWeight: "bold" },
  { tag: t.typeName, color: "#0550ae", fontWeight: "bold" },
  { tag: t.propertyName, color: "#116329" },
  { tag: t.string, color: "#a3440b" },
  { tag: t.special(t.number), color: "#cf222e" },
  { tag: t.number, color: "#cf222e" },
  { tag: t.meta, color: "#953800", fontWeight: "bold" },
  { tag: t.variableName, color: "#24292f" },
  { tag: t.punctuation, color: "#57606a" },
]);

// Completion: meta-commands after `:`, entity names inside quotes, otherwise kinds, fields
// (of the statement's kind first), keywords and entity names.
function complete(context) {
  const before = context.matchBefore(/:?[\p{L}\p{N}_]*$/u);
  const quoted = context.matchBefore(/"[^"]*$/);
  if (quoted) {
    const from = quoted.from + 1;
    return {
      from,
      options: catalog.entities.map((e) => ({ label: e, type: "constant", apply: e + '"' })),
      validFor: /^[^"]*$/,
    };
  }
  if (!before || (before.from === before.to && !context.explicit)) return null;
  if (before.text.startsWith(":")) {
    return {
      from: before.from,
      options: catalog.commands.map((c) => ({ label: ":" + c, type: "function" })),
    };
  }
  const line = context.state.doc.lineAt(context.pos);
  const stmt = line.text.slice(0, context.pos - line.from).split(";").pop();
  const firstWord = (stmt.match(/[\p{L}_][\p{L}\p{N}_]*/gu) || []).find((w) => kindNames.has(w));
  const kind = catalog.kinds.find((k) => k.name === firstWord);
  const options = [];
  if (kind) {
    for (const f of kind.fields) options.push({ label: f.name, type: "property", detail: f.type, boost: 2 });
  }
  for (const k of catalog.kinds) options.push({ label: k.name, type: "class", detail: k.derived ? "derived" : "kind", boost: kind ? 0 : 1 });
  for (const w of catalog.keywords) options.push({ label: w, type: "keyword" });
  for (const e of catalog.entities) options.push({ label: `"${e}"`, type: "constant", boost: -1 });
  return { from: before.from, options, validFor: /^[\p{L}\p{N}_]*$/u };
}

const languageConf = new Compartment();

/** Creates an editor in `parent`. `onRun(text)` is called on Ctrl-Enter / Cmd-Enter. */
export function create(parent, { doc = "", onRun = () => {}, placeholderText = "" } = {}) {
  const run = (view) => { onRun(view.state.doc.toString()); return true; };
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        closeBrackets(),
        lintGutter(),
        autocompletion({ override: [complete], activateOnTyping: true }),
        languageConf.of(makeLanguage()),
        syntaxHighlighting(style),
        placeholder(placeholderText),
        EditorView.lineWrapping,
        keymap.of([
          { key: "Mod-Enter", run },
          { key: "Shift-Enter", run },
          ...closeBracketsKeymap,
          ...completionKeymap,
          ...defaultKeymap,
          ...historyKeymap,
          indentWithTab,
        ]),
      ],
    }),
  });
  return {
    view,
    getText: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    setCatalog(c) {
      setCatalogData(c);
      view.dispatch({ effects: languageConf.reconfigure(makeLanguage()) });
    },
    /** Reports from the server (`diagnostics` of POST /query), drawn at their spans. */
    showDiagnostics(list) {
      const len = view.state.doc.length;
      const marks = [];
      for (const d of list) {
        const s = d.span;
        if (!s || s.source !== "<editor>") continue;
        let from = Math.min(s.utf16_start, len);
        let to = Math.min(Math.max(s.utf16_end, from), len);
        if (from === to && to < len) to += 1;
        else if (from === to && from > 0) from -= 1;
        let message = d.message;
        const label = (d.labels || []).find((l) => l.primary);
        if (label && label.message) message += ` — ${label.message}`;
        if (d.help) message += `\nhelp: ${d.help}`;
        marks.push({ from, to, severity: d.severity === "warning" ? "warning" : "error", message });
      }
      view.dispatch(setDiagnostics(view.state, marks));
    },
    focus: () => view.focus(),
  };
}
