//! Meta-commands (`:help`, `:kinds`, `:format json`, …): commands for the session rather
//! than statements of the language. They work in the REPL, in scripts and with `-c`.

use crate::diagnostic::{Diagnostic, Span, suggestion};
use crate::eval;
use crate::session::{Flow, Reply, Session};
use crate::store::{ENTITY, Type, Value, entity_cols};
use std::cell::Cell;
use std::path::Path;

mod save;

pub use save::SeenFiles;

/// How deep `:load` may nest (a file that loads itself stops here).
const MAX_LOAD_DEPTH: usize = 16;

thread_local! {
    static LOAD_DEPTH: Cell<usize> = const { Cell::new(0) };
}

impl Session {
    pub(crate) fn meta(
        &mut self,
        name: &str,
        args: &str,
        span: Span,
        args_span: Span,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<Flow, Diagnostic> {
        if matches!(name, "load" | "save" | "save!" | "import") && !self.files_allowed {
            return Err(Diagnostic::error(
                format!("`:{name}` reads or writes files, which this server does not allow"),
                span,
                "refused",
            )
            .with_help("start the server with `dalil serve --allow-files` to allow it"));
        }
        if matches!(name, "save" | "save!") && !self.writes_allowed {
            let path = file_arg(args, args_span, name)?;
            sink(Reply::Note(format!(
                "not saved to {path}: a check writes no files\n"
            )));
            return Ok(Flow::Continue);
        }
        match name {
            "help" | "h" | "?" => sink(Reply::Text(crate::help::help(args))),
            "quit" | "q" | "exit" => return Ok(Flow::Quit),
            "kinds" => {
                // Derived kinds are computed on demand; count their rows as a query would.
                let mut budget = self.budget();
                if let Err(hit) = self.refresh_derived(&mut budget) {
                    return Err(self.limit_report(hit, span));
                }
                self.db.refresh_mentions();
                sink(Reply::Text(self.kinds_text()))
            }
            "rules" => sink(Reply::Text(self.rules_text())),
            "drop" => sink(Reply::Note(self.drop_rules(args, span)?)),
            "load" => return self.load_file(args, span, args_span, sink),
            "save" => sink(Reply::Note(self.save_file(args, span, args_span, false)?)),
            "save!" => sink(Reply::Note(self.save_file(args, span, args_span, true)?)),
            "reset" => sink(Reply::Note(self.reset()?)),
            "schema" => sink(Reply::Text(self.schema_text(args, span)?)),
            "entities" => sink(Reply::Text(self.entities_text(args))),
            "format" => {
                if args.is_empty() {
                    sink(Reply::Text(format!("format: {}\n", self.settings.format)));
                } else {
                    self.settings.format = args.parse().map_err(|e: String| {
                        Diagnostic::error(e, span, "format").with_help(
                            "write `:format table`, `:format json`, `:format csv` or `:format svg`",
                        )
                    })?;
                }
            }
            "import" => self.import_command(args, span, sink)?,
            "set" => self.set_command(args, span, sink)?,
            "trust" => match args.trim() {
                "" => sink(Reply::Text(format!(
                    "trust: {} (queries show rows at least this strong)\n",
                    self.db.trust
                ))),
                level => {
                    self.db.trust = crate::store::Status::parse_trust(level).ok_or_else(|| {
                        Diagnostic::error(format!("`{level}` is not a status"), span, "here")
                            .with_help("write `:trust stated`, `:trust inferred` or `:trust background` (everything)")
                    })?;
                }
            },
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
            "pager" => match args.trim() {
                "" => sink(Reply::Text(format!(
                    "pager: {} ({})\n",
                    self.settings.pager,
                    match self.settings.pager {
                        crate::session::PagerMode::Off => "results are never paged",
                        crate::session::PagerMode::On => "every result at the prompt is paged",
                        crate::session::PagerMode::Auto =>
                            "results taller than the screen are paged at the prompt",
                    }
                ))),
                mode => {
                    self.settings.pager = mode.parse().map_err(|e: String| {
                        Diagnostic::error(e, span, "here")
                            .with_help("write `:pager off`, `:pager on` or `:pager auto`")
                    })?;
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
                // `:explain analyze` measures the last query as it runs.
                let mode = match (name, args.trim()) {
                    ("explain", "analyze") => "explain analyze",
                    _ => name,
                };
                let text = format!("{mode} {body}");
                let summary = self.run_inner(&format!("<:{name}>"), text, false, sink);
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
                let d = match crate::diagnostic::did_you_mean(name, names) {
                    Some(best) => d
                        .with_help(format!("did you mean `:{best}`?"))
                        .with_fix(span, best),
                    None => d,
                };
                return Err(d.with_note("`:help` lists the commands"));
            }
        }
        Ok(Flow::Continue)
    }

    pub(crate) fn kinds_text(&self) -> String {
        let width = self
            .db
            .kinds
            .iter()
            .map(|k| k.name.len())
            .max()
            .unwrap_or(0);
        let mut out = String::new();
        for k in &self.db.kinds {
            let what = if k.is_derived() { "derived" } else { "" };
            let rows = k.relation.len();
            let line = format!(
                "{:<width$} {rows:>5} {:<4}  {what:<8} {}",
                k.name,
                if rows == 1 { "row" } else { "rows" },
                k.doc.as_deref().unwrap_or("")
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// `:rules`: the rules in the order they were given, numbered.
    fn rules_text(&self) -> String {
        if self.rule_texts.is_empty() {
            return "(no rules)\n".into();
        }
        let mut out = String::new();
        for (i, text) in self.rule_texts.iter().enumerate() {
            let number = format!("{:>3}. ", i + 1);
            for (j, line) in text.trim().lines().enumerate() {
                out.push_str(if j == 0 { &number } else { "     " });
                out.push_str(line.trim_start());
                out.push('\n');
            }
            if let Some(hit) = self.set_aside.get(&i) {
                out.push_str(&format!(
                    "     (disabled: stopped by {}; `:drop {}` removes it)\n",
                    crate::session::limit_reason(hit),
                    i + 1
                ));
            }
        }
        out
    }

    /// `:drop N` or `:drop KIND`: removes rules; what is derived is computed again.
    fn drop_rules(&mut self, args: &str, span: Span) -> Result<String, Diagnostic> {
        let arg = args.trim();
        let chosen: Vec<usize> = match arg.parse::<usize>() {
            Ok(n) if (1..=self.rules.len()).contains(&n) => vec![n - 1],
            Ok(n) => {
                return Err(
                    Diagnostic::error(format!("there is no rule {n}"), span, "here").with_help(
                        format!(
                            "the rules are numbered 1 to {}: `:rules` lists them",
                            self.rules.len()
                        ),
                    ),
                );
            }
            Err(_) => {
                let kind = self.db.kind_id(arg);
                let chosen: Vec<usize> = (0..self.rules.len())
                    .filter(|&i| Some(self.rules[i].head_kind) == kind)
                    .collect();
                if arg.is_empty() || chosen.is_empty() {
                    let heads = self
                        .rules
                        .iter()
                        .map(|r| self.db.kind(r.head_kind).name.as_str());
                    return Err(Diagnostic::error(
                        if arg.is_empty() {
                            "`:drop` needs a rule number or a derived kind".to_string()
                        } else {
                            format!("no rule derives `{arg}`")
                        },
                        span,
                        "here",
                    )
                    .with_help_opt(
                        crate::diagnostic::did_you_mean(arg, heads)
                            .map(|k| format!("did you mean `:drop {k}`?")),
                    )
                    .with_note("write `:drop N` with a number from `:rules`, or `:drop KIND`"));
                }
                chosen
            }
        };
        for &i in chosen.iter().rev() {
            self.remove_rule(i);
        }
        Ok(format!(
            "dropped {} rule{}; now {}\n",
            chosen.len(),
            if chosen.len() == 1 { "" } else { "s" },
            self.describe()
        ))
    }

    /// `:load FILE`: runs the file's statements into the session, as if typed.
    fn load_file(
        &mut self,
        args: &str,
        span: Span,
        args_span: Span,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<Flow, Diagnostic> {
        let path = file_arg(args, span, "load")?;
        let text = read_text(&path, self.limits.parse.max_input).map_err(|e| {
            let (message, help) = e.split_once("\n  help: ").unwrap_or((e.as_str(), ""));
            let d = Diagnostic::error(message, args_span, "this file");
            if help.is_empty() {
                d
            } else {
                d.with_help(help)
            }
        })?;
        if LOAD_DEPTH.get() >= MAX_LOAD_DEPTH {
            return Err(Diagnostic::error(
                format!("files load each other more than {MAX_LOAD_DEPTH} deep"),
                span,
                "here",
            )
            .with_help("a file probably loads itself, directly or through another"));
        }
        self.seen_files.remember(Path::new(&path), &text);
        LOAD_DEPTH.set(LOAD_DEPTH.get() + 1);
        let summary = self.run_inner(&path, text, true, sink);
        LOAD_DEPTH.set(LOAD_DEPTH.get() - 1);
        if summary.quit {
            return Ok(Flow::Quit);
        }
        if summary.failed > 0 {
            return Err(Diagnostic::plain(format!(
                "`{path}`: {} of {} statements failed; the others were loaded",
                summary.failed, summary.statements
            )));
        }
        sink(Reply::Note(format!(
            "loaded {path}: {} statements; now {}\n",
            summary.statements,
            self.describe()
        )));
        Ok(Flow::Continue)
    }

    /// The file `:save` writes: the fact base the session started from, then what was typed
    /// (declarations, entities, facts, rules), so that `dalil --facts FILE` alone rebuilds it.
    pub(crate) fn saved_text(&self) -> String {
        let mut out = String::from(
            "# A dalil session written by `:save`: the fact base it started from, then the\n\
             # declarations, facts and rules typed in it. Load it with `dalil --facts FILE`.\n",
        );
        for (name, text) in &self.base {
            out.push_str(&format!("\n# ══ {name} ══\n\n"));
            out.push_str(text.trim_end());
            // A last statement may lack its `;`; an empty statement is harmless.
            out.push_str(if text.trim_end().ends_with(';') {
                "\n"
            } else {
                "\n;\n"
            });
        }
        out.push_str("\n# ══ typed in the session ══\n\n");
        let set_aside: Vec<(&str, &crate::eval::LimitHit)> = self
            .set_aside
            .iter()
            .map(|(&i, hit)| (self.rule_texts[i].as_str(), hit))
            .collect();
        for d in &self.defined {
            let d = d.trim_end();
            if let Some((_, hit)) = set_aside.iter().find(|(text, _)| *text == d) {
                // A rule set aside stays out of the file, but visible.
                out.push_str(&format!(
                    "# set aside (stopped by {}):\n",
                    crate::session::limit_reason(hit)
                ));
                for line in d.lines() {
                    out.push_str(&format!("# {line}\n"));
                }
                continue;
            }
            out.push_str(d);
            // A statement that ends in a comment gets its `;` on a line of its own.
            let last_line = d.rsplit('\n').next().unwrap_or("");
            out.push_str(if d.ends_with(';') {
                "\n"
            } else if last_line.contains('#') {
                "\n;\n"
            } else {
                ";\n"
            });
        }
        out
    }

    /// `:reset`: back to the fact base the session started from; settings stay.
    /// `:set` lists the settings; `:set approx 2 years` changes one.
    fn set_command(
        &mut self,
        args: &str,
        span: Span,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<(), Diagnostic> {
        let (name, value) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
        match (name, value.trim()) {
            ("", _) => sink(Reply::Text(format!(
                "approx: {} (how far `possibly` widens an approximate date)\n\
                 threads: {} (worker threads a round of rules is split between)\n",
                self.db.widening,
                eval::threads_or_default(self.limits.threads)
            ))),
            ("approx", "") => sink(Reply::Text(format!(
                "approx: {} (how far `possibly` widens an approximate date)\n",
                self.db.widening
            ))),
            ("threads", "") => sink(Reply::Text(format!(
                "threads: {} (worker threads a round of rules is split between)\n",
                eval::threads_or_default(self.limits.threads)
            ))),
            ("threads", value) => match value.parse::<usize>() {
                Ok(n) if n > 0 => self.limits.threads = n,
                _ => {
                    return Err(Diagnostic::error(
                        format!("`{value}` is not a number of threads"),
                        span,
                        "here",
                    )
                    .with_help("write a whole number of at least 1, e.g. `:set threads 2`"));
                }
            },
            ("approx", value) => {
                self.db.widening = crate::date::Widening::parse(value).map_err(|e| {
                    Diagnostic::error(e.message, span, "widening").with_help(e.help)
                })?;
                // Rules that compare dates `possibly` may now derive other rows.
                self.derived_stale = true;
            }
            (other, _) => {
                return Err(Diagnostic::error(
                    format!("there is no setting `{other}`"),
                    span,
                    "here",
                )
                .with_help("the settings are `approx` and `threads`, e.g. `:set approx 1 year`"));
            }
        }
        Ok(())
    }

    fn reset(&mut self) -> Result<String, Diagnostic> {
        let mut fresh = Session::new();
        fresh.settings = self.settings.clone();
        fresh.db.widening = self.db.widening;
        fresh.db.trust = self.db.trust;
        fresh.limits = self.limits.clone();
        fresh.interrupt = self.interrupt.clone();
        #[cfg(feature = "dataflow")]
        {
            fresh.dataflow = std::mem::take(&mut self.dataflow);
            if let Some(engine) = &mut fresh.dataflow.0 {
                engine.invalidate();
            }
        }
        // Keep every text read so far: reports about statements still to run point into them.
        fresh.sources = std::mem::take(&mut self.sources);
        for (name, text) in &self.base {
            if let Err(e) = fresh.load(name, text) {
                self.sources = std::mem::take(&mut fresh.sources);
                return Err(Diagnostic::plain(format!("cannot reload `{name}`")).with_note(e));
            }
        }
        *self = fresh;
        Ok(format!("back to the fact base: {}\n", self.describe()))
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

/// The file named after `:load` or `:save` (quotes and a leading `~/` allowed).
pub(crate) fn file_arg(args: &str, span: Span, command: &str) -> Result<String, Diagnostic> {
    let arg = args.trim();
    let arg = arg
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(arg);
    if arg.is_empty() {
        return Err(
            Diagnostic::error(format!("`:{command}` needs a file name"), span, "here").with_help(
                format!("write `:{command} FILE`, e.g. `:{command} notes.dl`"),
            ),
        );
    }
    if let Some(rest) = arg.strip_prefix("~/")
        && let Some(home) = std::env::var_os("HOME")
    {
        return Ok(Path::new(&home).join(rest).to_string_lossy().into_owned());
    }
    Ok(arg.to_string())
}

fn read_text(path: &str, max: usize) -> Result<String, String> {
    crate::files::read_source(path, max)
}

/// What to write instead of a bare word that is a meta-command in other tools (`help`, `exit`,
/// `\q`, `.quit`, …): a sentence pointing to dalil's command, or `None` for any other word.
pub(crate) fn meta_word_hint(word: &str) -> Option<&'static str> {
    let w = word.trim().trim_end_matches(';').trim_end();
    Some(match w.to_ascii_lowercase().as_str() {
        "help" | "\\?" | "\\h" | ".help" | "?" => "for help, write `:help` (with the colon)",
        "exit" | "quit" | "\\q" | "\\quit" | ".quit" | ".exit" | ".q" => {
            "to leave, write `:quit` (with the colon) or press Ctrl-D"
        }
        "clear" | "\\c" | ".clear" | "cls" => {
            "Ctrl-L clears the screen; `:reset` sets the session back to its start"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod meta_word_tests {
    use super::meta_word_hint;

    #[test]
    fn meta_words_of_other_tools_point_to_dalils_command() {
        assert!(meta_word_hint("help").unwrap().contains(":help"));
        assert!(meta_word_hint(" exit; ").unwrap().contains(":quit"));
        assert!(meta_word_hint("\\q").unwrap().contains(":quit"));
        assert!(meta_word_hint(".quit").unwrap().contains(":quit"));
        assert!(meta_word_hint("clear").unwrap().contains("Ctrl-L"));
        assert_eq!(meta_word_hint("visit"), None);
        assert_eq!(meta_word_hint("help me"), None);
    }
}
