//! Meta-commands (`:help`, `:kinds`, `:format json`, …): commands for the session rather
//! than statements of the language. They work in the REPL, in scripts and with `-c`.

use crate::diagnostic::{Diagnostic, Span, suggestion};
use crate::eval;
use crate::session::{Flow, Reply, Session};
use crate::store::{ENTITY, Type, Value, entity_cols};

impl Session {
    pub(crate) fn meta(
        &mut self,
        name: &str,
        args: &str,
        span: Span,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<Flow, Diagnostic> {
        match name {
            "help" | "h" | "?" => sink(Reply::Text(crate::help::help(args))),
            "quit" | "q" | "exit" => return Ok(Flow::Quit),
            "kinds" => sink(Reply::Text(self.kinds_text())),
            "schema" => sink(Reply::Text(self.schema_text(args, span)?)),
            "entities" => sink(Reply::Text(self.entities_text(args))),
            "format" => {
                if args.is_empty() {
                    sink(Reply::Text(format!("format: {}\n", self.settings.format)));
                } else {
                    self.settings.format = args.parse().map_err(|e: String| {
                        Diagnostic::error(e, span, "format")
                            .with_help("write `:format table`, `:format json` or `:format csv`")
                    })?;
                }
            }
            "timing" => match args {
                "on" => self.settings.timing = true,
                "off" => self.settings.timing = false,
                "" => sink(Reply::Text(format!(
                    "timing: {}\n",
                    if self.settings.timing { "on" } else { "off" }
                ))),
                _ => {
                    return Err(Diagnostic::error(
                        "`:timing` takes `on` or `off`",
                        span,
                        "here",
                    ));
                }
            },
            "why" | "explain" => {
                let Some(last) = self.last_query.clone() else {
                    return Err(Diagnostic::error(
                        "there is no query yet to explain",
                        span,
                        "here",
                    )
                    .with_help("run a query first, e.g. `visit`"));
                };
                let body = last
                    .trim_start()
                    .trim_start_matches("why ")
                    .trim_start_matches("explain ")
                    .to_string();
                let text = format!("{name} {body}");
                let summary = self.run_inner(&format!("<:{name}>"), &text, false, sink);
                if summary.failed > 0 {
                    return Err(Diagnostic::plain(format!("`:{name}` failed")));
                }
            }
            _ => {
                let d = Diagnostic::error(
                    format!("there is no command `:{name}`"),
                    span,
                    "unknown command",
                );
                let names = crate::help::COMMANDS.iter().map(|(n, _)| *n);
                return Err(d
                    .with_help_opt(suggestion(name, names, "commands"))
                    .with_note("`:help` lists the commands"));
            }
        }
        Ok(Flow::Continue)
    }

    pub(crate) fn kinds_text(&self) -> String {
        let mut out = String::new();
        for k in &self.db.kinds {
            let what = if k.is_derived() { "derived" } else { "" };
            out.push_str(&format!(
                "{:<20} {:>5} rows  {:<8} {}\n",
                k.name,
                k.relation.len(),
                what,
                k.doc.as_deref().unwrap_or("")
            ));
        }
        out
    }

    fn schema_text(&self, args: &str, span: Span) -> Result<String, Diagnostic> {
        let names: Vec<&str> = if args.is_empty() {
            self.db.kind_names().collect()
        } else {
            args.split_whitespace().collect()
        };
        let mut out = String::new();
        for n in names {
            let Some(id) = self.db.kind_id(n) else {
                return Err(
                    Diagnostic::error(format!("there is no kind `{n}`"), span, "here")
                        .with_help_opt(suggestion(n, self.db.kind_names(), "kinds")),
                );
            };
            let k = self.db.kind(id);
            out.push_str(&format!("kind {}", k.name));
            if let Some(doc) = &k.doc {
                out.push_str(&format!(" \"{doc}\""));
            }
            out.push_str(" (\n");
            for f in &k.fields {
                out.push_str(&format!("  {}: {}", f.name, f.ty));
                if let Some(doc) = &f.doc {
                    out.push_str(&format!(" \"{doc}\""));
                }
                out.push_str(",\n");
            }
            out.push_str(");\n");
        }
        Ok(out)
    }

    fn entities_text(&self, filter: &str) -> String {
        let kind = self.db.kind(self.db.kind_id(ENTITY).expect("built-in"));
        let needle = filter.to_lowercase();
        let mut rs = eval::ResultSet {
            columns: ["id", "type", "name", "name_ar", "aliases"]
                .map(String::from)
                .to_vec(),
            types: vec![Type::Entity, Type::Text, Type::Text, Type::Text, Type::List],
            ..Default::default()
        };
        for row in kind.relation.rows() {
            let cols = [
                entity_cols::ID,
                entity_cols::TYPE,
                entity_cols::NAME,
                entity_cols::NAME_AR,
                entity_cols::ALIASES,
            ];
            let mut cells: Vec<Value> = cols.iter().map(|&c| row[c].clone()).collect();
            if let Value::Entity(s) = cells[0] {
                cells[0] = Value::Ref(s);
            }
            let hay = cells
                .iter()
                .map(|c| self.db.display(c).to_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            if needle.is_empty() || hay.contains(&needle) {
                rs.rows.push(cells);
                rs.sources.push(None);
            }
        }
        crate::output::render(&self.db, &rs, self.settings.format, &self.settings.table)
    }
}
