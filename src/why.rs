//! `why`: for each answer, the derivation tree down to the stated facts and the paragraph and
//! sentence of the article each one comes from, as text or JSON. A derived row shows its
//! status, and under each rule the premises that set it (the weakest) are marked, so the marks
//! lead down to the inferred or background fact a row rests on.

use crate::output::{json_value, wrap_words};
use crate::store::{Database, KindId, Origin, Status, Value};
use serde_json::json;
use unicode_width::UnicodeWidthStr;

/// How deep a derivation tree is printed before it is cut (`…`).
const MAX_DEPTH: usize = 24;

/// `visit(id: us_visit, partner: United States, date: 2025-09-14)`; unknown fields left out.
pub fn describe_fact(db: &Database, kind: KindId, row: u32) -> String {
    let k = db.kind(kind);
    let r = k.relation.row(row);
    let fields: Vec<String> = k
        .fields
        .iter()
        .zip(r.iter())
        .filter(|(_, v)| !v.is_null())
        .map(|(f, v)| match v {
            Value::Text(_) => format!("{}: \"{}\"", f.name, db.display(v)),
            _ => format!("{}: {}", f.name, db.display(v)),
        })
        .collect();
    // Text from a file reaches the terminal: its control characters are escaped.
    crate::output::escape_controls(&format!("{}({})", k.name, fields.join(", "))).into_owned()
}

/// Where a stated fact comes from, in one line.
fn source_line(origin: &Origin, with_sources: bool) -> String {
    match origin {
        Origin::Stated {
            cites,
            inferred,
            background,
            is_background,
            ..
        } => {
            let mut parts = Vec::new();
            if !cites.is_empty() {
                let list: Vec<String> = cites
                    .iter()
                    .map(|c| match &c.quote {
                        Some(q) => format!("{} «{q}»", c.label(with_sources)),
                        None => c.label(with_sources),
                    })
                    .collect();
                parts.push(format!("cited: {}", list.join(", ")));
            }
            if let Some(basis) = inferred {
                parts.push(format!("inferred, not stated: {basis}"));
            }
            if *is_background {
                parts.push(match background {
                    Some(note) => format!("background, not in the article: {note}"),
                    None => "background, not in the article".into(),
                });
            }
            if parts.is_empty() {
                parts.push("typed in this session, no citation".into());
            }
            parts.join("; ")
        }
        Origin::Derived { rule, .. } => format!("derived by rule {}", rule + 1),
    }
}

/// The derivation tree of one row, as indented text. With a `width` (the terminal's), a line
/// wider than it is wrapped by whole words, its continuation lines under its own branch with
/// the tree's bars kept; without one, each line is as long as it is.
pub fn why_text(
    db: &Database,
    rules: &[String],
    kind: KindId,
    row: u32,
    width: Option<usize>,
) -> String {
    let mut tree = Tree {
        db,
        rules,
        width,
        out: String::new(),
    };
    let mut top = describe_fact(db, kind, row);
    if let Origin::Derived { status, .. } = db.kind(kind).relation.origin(row) {
        top.push_str(&format!("  [{status}]"));
    }
    tree.line("", "", &top);
    tree.node(kind, row, "", 0);
    tree.out
}

/// The narrowest text a wrapped line keeps beside its branches, however deep the tree.
const MIN_TEXT: usize = 24;

/// A derivation tree being written.
struct Tree<'a> {
    db: &'a Database,
    rules: &'a [String],
    width: Option<usize>,
    out: String,
}

impl Tree<'_> {
    /// One line of the tree: `branch` before its text (`└─ ` under `│  ` …), and `under` before
    /// each of its continuation lines.
    fn line(&mut self, branch: &str, under: &str, text: &str) {
        let Some(width) = self.width else {
            self.out.push_str(&format!("{branch}{text}\n"));
            return;
        };
        let room = width.saturating_sub(branch.width()).max(MIN_TEXT);
        for (i, part) in wrap_words(text, room).iter().enumerate() {
            let prefix = if i == 0 { branch } else { under };
            self.out.push_str(&format!("{prefix}{part}\n"));
        }
    }

    fn node(&mut self, kind: KindId, row: u32, indent: &str, depth: usize) {
        let db = self.db;
        let origin = &db.origin(kind, row);
        let branch = format!("{indent}└─ ");
        let under = format!("{indent}   ");
        match origin {
            Origin::Stated { .. } => {
                self.line(
                    &branch,
                    &under,
                    &source_line(origin, db.cites_show_sources()),
                );
            }
            Origin::Derived {
                rule,
                premises,
                status,
                ..
            } => {
                let text = self.rules.get(*rule).map_or("", |s| s.as_str());
                self.line(
                    &branch,
                    &under,
                    &format!("rule {}: {}", rule + 1, one_line(text)),
                );
                let inner = under;
                if depth >= MAX_DEPTH {
                    let deeper = format!("{inner}└─ ");
                    self.line(&deeper, &inner, "… (deeper steps left out)");
                    return;
                }
                for (i, &(pk, pr)) in premises.iter().enumerate() {
                    let last = i + 1 == premises.len();
                    let (branch, cont) = if last {
                        ("└─ ", "   ")
                    } else {
                        ("├─ ", "│  ")
                    };
                    let mark = if is_weakest(db, *status, pk, pr) {
                        format!("  ◂ weakest: {status}")
                    } else {
                        String::new()
                    };
                    let text = format!("{}{mark}", describe_fact(db, pk, pr));
                    let under = format!("{inner}{cont}");
                    self.line(&format!("{inner}{branch}"), &under, &text);
                    self.node(pk, pr, &under, depth + 1);
                }
            }
        }
    }
}

/// Is the premise `(kind, row)` of a row with status `status` one that makes it that weak?
fn is_weakest(db: &Database, status: Status, kind: KindId, row: u32) -> bool {
    status < Status::Stated && db.kind(kind).relation.status(row) == status
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The derivation tree of one row, as JSON.
pub fn why_json(db: &Database, rules: &[String], kind: KindId, row: u32) -> serde_json::Value {
    why_json_at(db, rules, kind, row, 0)
}

fn why_json_at(
    db: &Database,
    rules: &[String],
    kind: KindId,
    row: u32,
    depth: usize,
) -> serde_json::Value {
    let k = db.kind(kind);
    let r = k.relation.row(row);
    let mut fields = serde_json::Map::new();
    for (f, v) in k.fields.iter().zip(r.iter()) {
        if !v.is_null() {
            fields.insert(f.name.clone(), json_value(db, v));
        }
    }
    let origin = match &db.origin(kind, row) {
        Origin::Stated {
            cites,
            inferred,
            background,
            is_background,
            ..
        } => json!({
            "status": k.relation.status(row).name(),
            "cites": cites.iter().map(|c| if db.cites_show_sources() {
                json!({
                    "source": c.source, "paragraph": c.paragraph, "sentence": c.sentence,
                    "quote": c.quote
                })
            } else {
                json!({"paragraph": c.paragraph, "sentence": c.sentence, "quote": c.quote})
            }).collect::<Vec<_>>(),
            "inferred": inferred,
            "background": if *is_background { json!(background.clone().unwrap_or_default()) } else { json!(null) },
        }),
        Origin::Derived {
            rule,
            premises,
            status,
            ..
        } => {
            let weakest: Vec<usize> = premises
                .iter()
                .enumerate()
                .filter(|(_, (pk, pr))| is_weakest(db, *status, *pk, *pr))
                .map(|(i, _)| i)
                .collect();
            let children: Vec<serde_json::Value> = if depth >= MAX_DEPTH {
                vec![]
            } else {
                premises
                    .iter()
                    .map(|&(pk, pr)| why_json_at(db, rules, pk, pr, depth + 1))
                    .collect()
            };
            json!({
                "status": status.name(),
                "derived": true,
                "weakest_premises": weakest,
                "rule": rule + 1,
                "rule_text": rules.get(*rule).map(|s| one_line(s)),
                "premises": children,
            })
        }
    };
    json!({ "kind": k.name, "fields": fields, "origin": origin })
}
