//! A session: the database, the texts it was read from, and the settings. Every way in — the
//! REPL, scripts, `-c`, stdin, fact files — goes through [`Session::run`], so they cannot
//! disagree.

use crate::check::{self, CheckedQuery};
use crate::diagnostic::{Diagnostic, SourceId, Sources, Text};
use crate::eval::{Budget, Interrupt, LimitHit};
use crate::output::{Format, TableOptions};
use crate::store::Database;
use crate::syntax::ast::{QueryMode, Statement};
use crate::syntax::{ParseLimits, Piece, fact_at, fast, parse_pieces};
use crate::{eval, plan, why};
use std::time::{Duration, Instant};

/// The article's fact base, embedded in the binary.
pub const ARTICLE: &str = include_str!("../data/article.dl");
/// The name the embedded fact base is reported under.
pub const ARTICLE_NAME: &str = "data/article.dl";
/// The article's rules, embedded beside its facts.
pub const RULES: &str = include_str!("../data/rules.dl");
/// The name the embedded rules are reported under.
pub const RULES_NAME: &str = "data/rules.dl";
/// The embedded fact base: the article's facts, then its rules.
pub static EMBEDDED: [(&str, &str); 2] = [(ARTICLE_NAME, ARTICLE), (RULES_NAME, RULES)];

/// Limits that keep any input from exhausting the machine.
#[derive(Clone, Debug)]
pub struct Limits {
    pub parse: ParseLimits,
    /// Most rows a statement may produce (results and derived facts).
    pub max_rows: u64,
    /// Longest a statement may run.
    pub max_time: Duration,
    /// Most bytes the rows derived by rules may take, by the store's estimate.
    pub max_memory: u64,
    /// Most bad rows reported by a bulk load (`--load`, `:import`) before it stops reading.
    pub max_errors: usize,
    /// Worker threads a round of rules is split between (`--threads`, `DALIL_THREADS`,
    /// `:set threads`; 0: every core); answers are the same for any number.
    pub threads: usize,
    /// The fewest outer rows a worker is given when a round is split (smaller rounds run on
    /// fewer workers: splitting them costs more than it saves). Tests set it to 1 to split
    /// every round.
    pub min_split: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            parse: ParseLimits::default(),
            max_rows: 10_000_000,
            max_time: Duration::from_secs(60),
            max_memory: eval::DEFAULT_MAX_MEMORY,
            max_errors: 20,
            // Counted when a round is first split: a quick query reads no cgroup file.
            threads: 0,
            min_split: eval::MIN_SPLIT,
        }
    }
}

/// What running a text produces, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// Output for standard output.
    Text(String),
    /// An error report, already rendered.
    Error(String),
    /// A short note (for standard error in scripts).
    Note(String),
    /// `:quit` was asked for.
    Quit,
}

/// A statement about to run, as written, for `dalil run --echo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Echo<'a> {
    /// The comment lines directly above the statement (no blank line between), or "".
    pub comment: &'a str,
    pub statement: &'a str,
}

impl<'a> Echo<'a> {
    fn of(text: &'a str, span: crate::diagnostic::Span) -> Echo<'a> {
        let statement = text.get(span.start..span.end).unwrap_or("").trim();
        let line_start = text[..span.start].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..span.start].trim().is_empty() {
            // Something else (an earlier statement) precedes it on its line.
            return Echo {
                comment: "",
                statement,
            };
        }
        let mut start = line_start;
        while start > 0 {
            let prev = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
            if !text[prev..start - 1].trim_start().starts_with('#') {
                break;
            }
            start = prev;
        }
        Echo {
            comment: text[start..line_start].trim_end(),
            statement,
        }
    }
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub statements: usize,
    pub failed: usize,
    pub quit: bool,
}

/// The settings a user can change with meta-commands or flags.
#[derive(Clone, Debug)]
pub struct Settings {
    pub format: Format,
    pub color: bool,
    pub timing: bool,
    pub table: TableOptions,
    /// Stop a run at its first failed statement (`--stop-on-error`); by default a run goes on
    /// and only counts the failures.
    pub stop_on_error: bool,
    /// When the prompt hands a result to a pager (`:pager`); scripts and `-c` never do.
    pub pager: PagerMode,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            format: Format::Table,
            color: false,
            timing: false,
            table: TableOptions::default(),
            stop_on_error: false,
            pager: PagerMode::Auto,
        }
    }
}

/// When the prompt shows a result through a pager (`:pager on|off|auto`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PagerMode {
    /// Never.
    Off,
    /// Every result, on a terminal.
    On,
    /// A result taller than the screen, on a terminal.
    #[default]
    Auto,
}

impl std::str::FromStr for PagerMode {
    type Err = String;
    fn from_str(s: &str) -> Result<PagerMode, String> {
        match s.trim() {
            "off" => Ok(PagerMode::Off),
            "on" => Ok(PagerMode::On),
            "auto" => Ok(PagerMode::Auto),
            other => Err(format!("`:pager` takes on, off or auto, not `{other}`")),
        }
    }
}

impl std::fmt::Display for PagerMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PagerMode::Off => "off",
            PagerMode::On => "on",
            PagerMode::Auto => "auto",
        })
    }
}

/// A database with its sources and settings. A clone is an independent copy (it shares only
/// the interrupt flag): a loaded session can serve as a snapshot to start many from.
#[derive(Clone)]
pub struct Session {
    pub db: Database,
    pub sources: Sources,
    pub settings: Settings,
    pub limits: Limits,
    pub interrupt: Interrupt,
    /// Source text of each rule, for `why` and `:rules`.
    pub rule_texts: Vec<String>,
    /// The checked rules, in the order they were given.
    pub rules: Vec<check::CheckedRule>,
    /// The rules grouped into strata.
    pub strata: check::Strata,
    /// Facts or rules changed since the derived kinds were computed.
    pub derived_stale: bool,
    /// What the last computation of the derived kinds did.
    pub last_fixpoint: eval::FixpointStats,
    /// Declarations, facts and rules typed in this session, for `:save`.
    pub defined: Vec<String>,
    /// The statement before the current one, for `:why` and `:explain`.
    pub last_query: Option<String>,
    /// The fact files loaded with [`Session::load`] (name, text), for `:reset` and `:save`.
    pub base: Vec<(String, Text)>,
    /// Whether statements may read or write files (`:load`, `:save`, `:import`); `dalil serve`
    /// turns this off unless started with `--allow-files`.
    pub files_allowed: bool,
    /// Whether `:save` writes its file; `dalil check` turns this off (it checks the command
    /// and its path, and writes nothing).
    pub writes_allowed: bool,
    /// When set, every report is also kept here as JSON ([`Diagnostic::to_json`]), for the
    /// HTTP API of `dalil serve`.
    pub report_log: Option<Vec<serde_json::Value>>,
    /// Rules set aside because their kind grew past a limit (rule index → the limit): not
    /// applied until they are entered again, dropped, or that limit is raised.
    pub set_aside: std::collections::BTreeMap<usize, LimitHit>,
    /// The files this session loaded or saved, as they were then: `:save` refuses to overwrite
    /// one that changed since (or one it never saw) unless forced with `:save!`.
    pub(crate) seen_files: crate::meta::SeenFiles,
    /// The rule the last fixpoint stopped in, when it grew past a limit (for its report).
    runaway: Option<Runaway>,
    /// Where long work shows its progress (a terminal's standard error), if anywhere; it is
    /// cleared before each reply.
    pub progress: Option<std::sync::Arc<crate::progress::ProgressLine>>,
    /// The dataflow engine (`--engine dataflow`), when derived kinds run on it.
    #[cfg(feature = "dataflow")]
    pub dataflow: crate::dataflow::Slot,
}

/// A rule whose kind grew past a limit: which rule, and its newest rows as text.
#[derive(Clone, Debug)]
struct Runaway {
    rule: usize,
    rows: u64,
    newest: Vec<String>,
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl Session {
    /// An empty session (no facts).
    pub fn new() -> Session {
        Session {
            db: Database::new(),
            sources: Sources::default(),
            settings: Settings::default(),
            limits: Limits::default(),
            interrupt: Interrupt::default(),
            rule_texts: vec![],
            rules: vec![],
            strata: check::Strata::default(),
            derived_stale: false,
            last_fixpoint: eval::FixpointStats::default(),
            defined: vec![],
            last_query: None,
            base: vec![],
            files_allowed: true,
            writes_allowed: true,
            report_log: None,
            set_aside: Default::default(),
            seen_files: Default::default(),
            runaway: None,
            progress: None,
            #[cfg(feature = "dataflow")]
            dataflow: Default::default(),
        }
    }

    /// A session with the embedded article fact base loaded.
    pub fn with_article() -> Result<Session, String> {
        let mut s = Session::new();
        for (name, text) in EMBEDDED {
            s.load(name, text)?;
        }
        Ok(s)
    }

    /// Loads a fact file (declarations, entities, facts, rules). Fails with the rendered
    /// reports if anything in it is wrong; on failure nothing of it stays... except what was
    /// already valid, which a caller that gives up discards with the session.
    pub fn load(&mut self, name: &str, text: impl Into<Text>) -> Result<RunSummary, String> {
        let text = text.into();
        let mut errors = String::new();
        let mut out = String::new();
        let summary = self.run_inner(name, text.clone(), false, &mut |r| match r {
            Reply::Error(e) => errors.push_str(&e),
            Reply::Text(t) | Reply::Note(t) => out.push_str(&t),
            Reply::Quit => {}
        });
        if summary.failed > 0 {
            Err(errors)
        } else {
            self.base.push((name.to_string(), text));
            Ok(summary)
        }
    }

    /// Runs every statement of `text` (named `name` in reports), handing each reply to `sink`
    /// as it is produced. Declarations and facts typed here are remembered for `:save`.
    pub fn run(&mut self, name: &str, text: &str, sink: &mut dyn FnMut(Reply)) -> RunSummary {
        let progress = self.progress.clone();
        let summary = self.run_inner(name, text, true, &mut clearing(&progress, sink));
        clear(&progress);
        summary
    }

    /// Like [`Session::run`], but first hands each statement, as written, to `before` (for
    /// `dalil run --echo`: a script replayed statement by statement).
    pub fn run_each(
        &mut self,
        name: &str,
        text: &str,
        before: &mut dyn FnMut(Echo),
        sink: &mut dyn FnMut(Reply),
    ) -> RunSummary {
        let progress = self.progress.clone();
        let mut sink = clearing(&progress, sink);
        let summary = self.run_inner_with(name, text.into(), true, Some(before), &mut sink);
        clear(&progress);
        summary
    }

    pub(crate) fn run_inner(
        &mut self,
        name: &str,
        text: impl Into<Text>,
        remember: bool,
        sink: &mut dyn FnMut(Reply),
    ) -> RunSummary {
        self.run_inner_with(name, text.into(), remember, None, sink)
    }

    /// Runs `text`, kept among the sources as it is (shared, not copied).
    fn run_inner_with(
        &mut self,
        name: &str,
        shared: Text,
        remember: bool,
        mut before: Option<&mut dyn FnMut(Echo)>,
        sink: &mut dyn FnMut(Reply),
    ) -> RunSummary {
        let source = self.sources.add(name, shared.clone());
        let text: &str = &shared;
        // A `source` declaration holds for the rest of its own text only.
        self.db.current_source = None;
        let mut cap = ReportCap::default();
        let lengths: Vec<usize> = self.db.kinds.iter().map(|k| k.relation.len()).collect();
        // Facts the fast path read stay as byte ranges until their turn (see `Piece`).
        let (statements, syntax_errors) = parse_pieces(text, source, self.limits.parse);
        let mut summary = RunSummary {
            statements: statements.len() + syntax_errors.len(),
            failed: syntax_errors.len(),
            quit: false,
        };
        for d in &syntax_errors {
            cap.report(self, d, sink);
        }
        // With --stop-on-error, a text that does not parse runs nothing.
        if self.settings.stop_on_error && !syntax_errors.is_empty() {
            cap.finish(sink);
            return summary;
        }
        // Schemas and entity names first, so statements may refer to them in any order.
        let entities = statements
            .iter()
            .filter(|p| matches!(p, Piece::Parsed(st) if matches!(**st, Statement::Entity(_))));
        self.db.reserve_entities(entities.count());
        let mut skip = vec![false; statements.len()];
        for (i, piece) in statements.iter().enumerate() {
            let Piece::Parsed(st) = piece else { continue };
            let st: &Statement = st;
            if let (Some(f), Statement::Kind(_)) = (before.as_deref_mut(), st) {
                f(Echo::of(text, st.span()));
            }
            let result = match st {
                Statement::Kind(k) => Some(check::declare_kind(&mut self.db, k)),
                Statement::Entity(e) => {
                    for w in check::announce_entity(&mut self.db, e) {
                        cap.report(self, &w, sink);
                    }
                    None
                }
                _ => None,
            };
            if let Some(r) = result {
                skip[i] = true;
                match r {
                    Ok(()) => self.remember(remember, st),
                    Err(ds) => {
                        summary.failed += 1;
                        for d in ds {
                            cap.report(self, &d, sink);
                        }
                        if self.settings.stop_on_error {
                            cap.finish(sink);
                            return summary;
                        }
                    }
                }
            }
        }
        // A rule that reads a derived kind first defined by a later rule of this text waits
        // until that kind exists, so the rules of a file may come in any order.
        let heads: Vec<&str> = statements
            .iter()
            .filter_map(|p| match p {
                Piece::Parsed(st) => match &**st {
                    Statement::Rule(r) => Some(r.head.kind.text.as_str()),
                    _ => None,
                },
                Piece::Fact(_) => None,
            })
            .collect();
        let mut plain = fast::PlainFact::default();
        let mut fact_cache = check::FactCache::default();
        let mut queue: std::collections::VecDeque<usize> = (0..statements.len()).collect();
        let mut waiting: Vec<usize> = Vec::new();
        let mut forced = false;
        loop {
            let Some(i) = queue.pop_front() else {
                if waiting.is_empty() {
                    break;
                }
                let (ready, still): (Vec<usize>, Vec<usize>) = waiting
                    .drain(..)
                    .partition(|&w| !self.waits_for_a_rule(&statements[w], &heads));
                if ready.is_empty() {
                    // Kinds that need each other, or a real mistake: run them to report it.
                    forced = true;
                    queue.extend(still);
                } else {
                    queue.extend(ready);
                    waiting = still;
                }
                continue;
            };
            let is_rule =
                matches!(&statements[i], Piece::Parsed(st) if matches!(&**st, Statement::Rule(_)));
            if !is_rule && !waiting.is_empty() {
                // Before anything that might query them, the waiting rules that can run now do.
                let (ready, still): (Vec<usize>, Vec<usize>) = waiting
                    .drain(..)
                    .partition(|&w| !self.waits_for_a_rule(&statements[w], &heads));
                waiting = still;
                if !ready.is_empty() {
                    queue.push_front(i);
                    for r in ready.into_iter().rev() {
                        queue.push_front(r);
                    }
                    continue;
                }
            }
            if skip[i] {
                continue;
            }
            let piece = &statements[i];
            if !forced && self.waits_for_a_rule(piece, &heads) {
                waiting.push(i);
                continue;
            }
            if let (Piece::Fact(range), None) = (piece, before.as_deref()) {
                // A plain fact goes straight into its relation, without a syntax tree; should
                // the fast path not be sure of it, the full path below reads and reports it.
                let chunk = &text[range.clone()];
                if fast::plain_fact(chunk, range.start, source, &mut plain)
                    && check::add_plain_fact(&mut self.db, &plain, &mut fact_cache)
                {
                    self.interrupt.clear();
                    self.derived_stale = true;
                    if remember {
                        let text = self.sources.slice(plain.span).trim().to_string();
                        self.defined.push(text);
                    }
                    continue;
                }
            }
            // Anything else may change what the cache knows.
            fact_cache.clear();
            let fact;
            let st = match piece {
                Piece::Parsed(st) => st,
                Piece::Fact(range) => {
                    fact = fact_at(text, range.clone(), source);
                    &fact
                }
            };
            if let Some(f) = before.as_deref_mut() {
                f(Echo::of(text, st.span()));
            }
            self.interrupt.clear();
            match self.statement(st, source, sink) {
                Ok(Flow::Continue) => self.remember(remember, st),
                Ok(Flow::Quit) => {
                    summary.quit = true;
                    sink(Reply::Quit);
                    break;
                }
                Err(ds) => {
                    summary.failed += 1;
                    for d in ds {
                        cap.report(self, &d, sink);
                    }
                    if self.settings.stop_on_error {
                        break;
                    }
                }
            }
        }
        let dangling = check::dangling_references(&self.db, &lengths);
        if !dangling.is_empty() {
            for d in &dangling {
                cap.report(self, d, sink);
            }
            summary.failed += 1;
        }
        cap.finish(sink);
        summary
    }

    /// Does this rule read a kind that does not exist yet but a rule of the same text defines?
    fn waits_for_a_rule(&self, piece: &Piece, heads: &[&str]) -> bool {
        let Piece::Parsed(st) = piece else {
            return false;
        };
        let Statement::Rule(rule) = &**st else {
            return false;
        };
        rule.body.iter().any(|item| match item {
            crate::syntax::ast::BodyItem::Atom(a) | crate::syntax::ast::BodyItem::Not(a, _) => {
                a.kind.text != rule.head.kind.text
                    && self.db.kind_id(&a.kind.text).is_none()
                    && heads.contains(&a.kind.text.as_str())
            }
            _ => false,
        })
    }

    fn remember(&mut self, remember: bool, st: &Statement) {
        let keep = matches!(
            st,
            Statement::Kind(_) | Statement::Entity(_) | Statement::Fact(_) | Statement::Rule(_)
        );
        if remember && keep {
            let text = self.sources.slice(st.span()).trim().to_string();
            self.defined.push(text);
        }
    }

    /// Renders a report with the session's colour setting.
    pub fn render(&self, d: &Diagnostic) -> String {
        d.render(&self.sources, self.settings.color)
    }

    /// Hands a report to `sink`, rendered, and keeps it as JSON when [`Session::report_log`]
    /// is on.
    pub(crate) fn report(&mut self, d: &Diagnostic, sink: &mut dyn FnMut(Reply)) {
        if let Some(log) = &mut self.report_log {
            log.push(d.to_json(&self.sources));
        }
        sink(Reply::Error(self.render(d)));
    }

    fn statement(
        &mut self,
        st: &Statement,
        source: SourceId,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<Flow, Vec<Diagnostic>> {
        match st {
            Statement::Kind(_) => Ok(Flow::Continue),
            Statement::Entity(e) => check::add_entity(&mut self.db, e).map(|_| Flow::Continue),
            Statement::Fact(f) => {
                check::add_fact(&mut self.db, f)?;
                self.derived_stale = true;
                Ok(Flow::Continue)
            }
            Statement::Rule(r) => {
                self.add_rule(r)?;
                Ok(Flow::Continue)
            }
            Statement::Query(q) => {
                let text = self.sources.slice(q.span).to_string();
                let checked = check::check_query(&mut self.db, q)?;
                // `:why` and `:explain` rerun the query itself, not its `analyze`.
                self.last_query = Some(match q.mode {
                    QueryMode::Analyze => text.replacen("analyze", "", 1),
                    _ => text,
                });
                self.query(checked, q.span, sink).map_err(|d| vec![d])?;
                Ok(Flow::Continue)
            }
            Statement::Meta(m) => {
                let _ = source;
                self.meta(&m.name.text, &m.args, m.name.span, m.args_span, sink)
                    .map_err(|d| vec![d])
            }
        }
    }

    /// Checks a rule against the schema and the rules before it; refuses it (changing nothing
    /// else) when it is wrong or makes the program unstratifiable.
    fn add_rule(&mut self, r: &crate::syntax::ast::Rule) -> Result<(), Vec<Diagnostic>> {
        // A rule set aside and entered again (say after raising --max-memory) replaces itself.
        let text = self.sources.slice(r.span).trim();
        if let Some(&old) = self.set_aside.keys().find(|&&i| self.rule_texts[i] == text) {
            self.remove_rule(old);
        }
        let kinds_before = self.db.kinds.len();
        let rules_before = self.rules.len();
        // A rule with `or` stands for one rule per branch; they come and go together.
        let expanded = check::expand_or(r).map_err(|d| vec![d])?;
        let refuse = |s: &mut Session, e| {
            s.rules.truncate(rules_before);
            s.rule_texts.truncate(rules_before);
            s.db.truncate_kinds(kinds_before);
            Err(e)
        };
        let text = self.sources.slice(r.span).trim().to_string();
        for branch in &expanded {
            match check::check_rule(&mut self.db, branch, self.rules.len()) {
                Ok(c) => {
                    self.rules.push(c);
                    self.rule_texts.push(text.clone());
                }
                Err(e) => return refuse(self, e),
            }
        }
        #[cfg(feature = "dataflow")]
        let stratified =
            check::stratify(&self.db, &self.rules).and_then(|s| self.dataflow_check(&s).map(|_| s));
        #[cfg(not(feature = "dataflow"))]
        let stratified = check::stratify(&self.db, &self.rules);
        match stratified {
            Ok(strata) => {
                self.strata = strata;
                self.derived_stale = true;
                Ok(())
            }
            Err(d) => refuse(self, vec![d]),
        }
    }

    /// Removes rule `i` (`:drop`): the rules after it move up one number, and what is
    /// derived is computed again.
    pub fn remove_rule(&mut self, i: usize) {
        let rule = self.rules.remove(i);
        let text = self.rule_texts.remove(i);
        for r in &mut self.rules[i..] {
            r.index -= 1;
        }
        self.set_aside = std::mem::take(&mut self.set_aside)
            .into_iter()
            .filter(|&(j, _)| j != i)
            .map(|(j, why)| (if j > i { j - 1 } else { j }, why))
            .collect();
        if let Some(pos) = self.defined.iter().rposition(|d| d.trim_end() == text) {
            self.defined.remove(pos);
        }
        // Removing a rule cannot make the program unstratifiable.
        if let Ok(strata) = check::stratify(&self.db, &self.rules) {
            self.strata = strata;
        }
        self.db.kind_mut(rule.head_kind).relation.clear();
        self.derived_stale = true;
    }

    /// Brings the derived kinds up to date (after new facts or rules), within the budget.
    pub fn refresh_derived(&mut self, budget: &mut Budget) -> Result<(), LimitHit> {
        self.refresh_derived_with(budget, None, false)
    }

    /// [`Session::refresh_derived`]; with a profile, always recomputes, measuring each rule.
    /// `why`: the derived rows must carry their premises (the local engine computes them).
    fn refresh_derived_with(
        &mut self,
        budget: &mut Budget,
        profile: Option<&mut eval::FixpointProfile>,
        why: bool,
    ) -> Result<(), LimitHit> {
        // A rule set aside under a limit since raised is tried again.
        let (rows, memory, time) = (
            self.limits.max_rows,
            self.limits.max_memory,
            self.limits.max_time,
        );
        let before = self.set_aside.len();
        self.set_aside.retain(|_, hit| match hit {
            LimitHit::Rows(n) => rows <= *n,
            LimitHit::Memory(b) => memory <= *b,
            LimitHit::Time(t) => time <= *t,
            _ => true,
        });
        self.derived_stale |= self.set_aside.len() != before;
        #[cfg(feature = "dataflow")]
        let force = match self.dataflow_refresh(budget, why || profile.is_some()) {
            crate::dataflow::Route::Done(result) => return result,
            crate::dataflow::Route::Local { force } => force,
        };
        #[cfg(not(feature = "dataflow"))]
        let force = why && false;
        if (!self.derived_stale && profile.is_none() && !force) || self.rules.is_empty() {
            return Ok(());
        }
        // Rules may read the mentions.
        if let Some(mention) = self.db.kind_id(crate::store::MENTION) {
            let reads = |b: &check::BodyLit| matches!(b, check::BodyLit::Atom(a) | check::BodyLit::Not(a) if a.kind == mention);
            if self.rules.iter().any(|r| r.body.iter().any(reads)) {
                self.db.refresh_mentions();
            }
        }
        let strata = self.active_strata();
        let result =
            eval::evaluate_rules_profiled(&mut self.db, &self.rules, &strata, budget, profile);
        match result {
            Ok(stats) => {
                self.last_fixpoint = stats;
                self.derived_stale = false;
                Ok(())
            }
            Err(hit) => {
                // A rule whose kind grew past a limit is set aside, so the next query answers.
                // The rule that grew; when the clock ran out, the one that derived the most.
                let culprit = if hit.is_growth() || matches!(hit, LimitHit::Failed(_)) {
                    budget.current_rule()
                } else {
                    budget.busiest_rule().or(budget.current_rule())
                };
                self.runaway = culprit.map(|rule| self.runaway_of(rule, budget.rows_spent()));
                if let Some(rule) = culprit.filter(|_| hit.sets_rule_aside()) {
                    self.set_aside.insert(rule, hit.clone());
                }
                // Half-computed derived kinds are dropped; the next query starts again.
                for r in &self.rules {
                    self.db.kind_mut(r.head_kind).clear_derived();
                }
                Err(hit)
            }
        }
    }

    /// A warning for a query over a kind some of whose rules are set aside: its answer leaves
    /// them out.
    fn set_aside_note(&self, kind: crate::store::KindId) -> Option<String> {
        let numbers: Vec<String> = self
            .set_aside
            .keys()
            .filter(|&&i| self.rules[i].head_kind == kind)
            .map(|i| (i + 1).to_string())
            .collect();
        if numbers.is_empty() {
            return None;
        }
        let name = &self.db.kind(kind).name;
        Some(format!(
            "Warning: rule {} of `{name}` is set aside (it was stopped by a limit or an \
             expression with no value), so this answer leaves it out; `:rules` shows it\n",
            numbers.join(", ")
        ))
    }

    /// The strata without the rules set aside.
    pub(crate) fn active_strata(&self) -> check::Strata {
        let mut strata = self.strata.clone();
        if !self.set_aside.is_empty() {
            for (members, _) in &mut strata.strata {
                members.retain(|i| !self.set_aside.contains_key(i));
            }
            strata.strata.retain(|(members, _)| !members.is_empty());
        }
        strata
    }

    /// Another engine (the dataflow) stopped in `rule` with `hit`: the rule is named in the
    /// report and, like on the local engine's path, set aside when `hit` says so.
    #[cfg(feature = "dataflow")]
    pub(crate) fn stopped_in(&mut self, rule: usize, hit: &LimitHit, rows: u64) {
        self.runaway = Some(self.runaway_of(rule, rows));
        if hit.sets_rule_aside() {
            self.set_aside.insert(rule, hit.clone());
        }
    }

    /// What a runaway rule's report shows: its kind's size and newest rows.
    fn runaway_of(&self, rule: usize, rows: u64) -> Runaway {
        let rel = &self.db.kind(self.rules[rule].head_kind).relation;
        let n = rel.len() as u32;
        let newest = (n.saturating_sub(eval::NEWEST_KEPT as u32)..n)
            .filter(|&r| rel.rule_of(r) == Some(rule))
            .map(|r| crate::why::describe_fact(&self.db, self.rules[rule].head_kind, r))
            .collect();
        Runaway { rule, rows, newest }
    }

    /// The report for a statement stopped by a limit: it names the rule that grew, when one
    /// did, rather than the statement that asked for the derived kinds.
    pub(crate) fn limit_report(
        &mut self,
        hit: LimitHit,
        span: crate::diagnostic::Span,
    ) -> Diagnostic {
        let Some(run) = self.runaway.take() else {
            return limit_error(hit, span);
        };
        if matches!(hit, LimitHit::Failed(_)) {
            // Its report already names the rule and the values.
            let number = run.rule + 1;
            return limit_error(hit, span).with_note(format!(
                "rule {number} is set aside: queries no longer apply it (`:rules` shows it); \
                 correct it and enter it again, or remove it with `:drop {number}`"
            ));
        }
        let rule = &self.rules[run.rule];
        let kind = &self.db.kind(rule.head_kind).name;
        let number = run.rule + 1;
        if !hit.sets_rule_aside() {
            // Ctrl-C stopped it: the rule may be right, just slow; it stays.
            return limit_error(hit, span).with_note(format!(
                "it was computing rule {number} (of `{kind}`) when it was stopped; \
                 `:drop {number}` removes that rule"
            ));
        }
        let limit = match hit {
            LimitHit::Memory(_) => "--max-memory MB",
            LimitHit::Time(_) => "--timeout SECONDS",
            _ => "--max-rows N",
        };
        let what = match &hit {
            LimitHit::Time(t) => format!(
                "was still growing after {} second{}",
                t.as_secs(),
                if t.as_secs() == 1 { "" } else { "s" }
            ),
            _ => format!("grew past {}", limit_reason(&hit)),
        };
        let mut d = Diagnostic::error(
            format!("rule {number} was stopped: its kind `{kind}` {what}"),
            rule.span,
            format!("{} rows derived when this rule was stopped", run.rows),
        );
        if !run.newest.is_empty() {
            d = d.with_note(format!("its newest rows: {}", run.newest.join("; ")));
        }
        d.with_note(
            "the rule is set aside: queries no longer apply it (`:rules` shows it); \
             this statement needed the derived kinds, so it was not answered",
        )
        .with_help(format!(
            "narrow the rule and enter it again, or remove it with `:drop {number}`; \
             if it is right, raise the limit with {limit}"
        ))
    }

    pub(crate) fn budget(&self) -> Budget {
        let progress = self.progress.as_ref().map(|line| {
            let kinds = self
                .rules
                .iter()
                .map(|r| self.db.kind(r.head_kind).name.clone());
            line.fixpoint_sink(kinds.collect())
        });
        Budget::new(
            self.limits.max_rows,
            self.limits.max_time,
            self.interrupt.clone(),
        )
        .with_memory(self.limits.max_memory)
        .with_progress(progress)
        .with_threads(self.limits.threads, self.limits.min_split)
    }

    fn query(
        &mut self,
        checked: CheckedQuery,
        span: crate::diagnostic::Span,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<(), Diagnostic> {
        let started = Instant::now();
        let mut budget = self.budget();
        // Mentions are computed only for the queries that read them.
        if self.db.kind(checked.kind).name == crate::store::MENTION {
            self.db.refresh_mentions();
        }
        // `explain analyze` on a derived kind runs its rules again, measured.
        let mut fixpoint = eval::FixpointProfile::default();
        let measure = checked.mode == QueryMode::Analyze && self.db.kind(checked.kind).is_derived();
        // Base kinds never wait for rules: only a query on a derived kind brings them up to date.
        if self.db.kind(checked.kind).is_derived() {
            let why = checked.mode == QueryMode::Why;
            self.refresh_derived_with(&mut budget, measure.then_some(&mut fixpoint), why)
                .map_err(|hit| self.limit_report(hit, span))?;
        }
        if let Some(note) = self.set_aside_note(checked.kind) {
            sink(Reply::Note(note));
        }
        let plan = plan::plan_for(&self.db, checked);
        eval::intern_computed_texts(&mut self.db, &plan);
        if plan.mode == QueryMode::Why && matches!(plan.output, plan::Output::Count(_)) {
            let kind = &self.db.kind(plan.kind).name;
            return Err(Diagnostic::error(
                "`why` shows the evidence for facts, and a count is not a fact",
                span,
                "a count",
            )
            .with_help(format!(
                "drop `count` to see each counted fact with its evidence: `why {kind} …`"
            )));
        }
        if matches!(plan.mode, QueryMode::Explain | QueryMode::Analyze) {
            let program = plan::explain::Program {
                rules: &self.rules,
                strata: &self.strata,
                texts: &self.rule_texts,
            };
            let text = if plan.mode == QueryMode::Analyze {
                let mut profile = eval::QueryProfile::default();
                eval::execute_profiled(&self.db, &plan, &mut budget, Some(&mut profile))
                    .map_err(|hit| limit_error(hit, span))?;
                let measured = plan::explain::Measured {
                    query: &profile,
                    fixpoint: measure.then_some(&fixpoint),
                    total: started.elapsed(),
                };
                plan::explain::explain(&self.db, &plan, &program, Some(&measured))
            } else {
                plan::explain::explain(&self.db, &plan, &program, None)
            };
            #[cfg(feature = "dataflow")]
            let text = match self.dataflow_explain() {
                Some(lowering) if self.db.kind(plan.kind).is_derived() => {
                    format!("{text}{lowering}")
                }
                _ => text,
            };
            sink(Reply::Text(text));
            return Ok(());
        }
        let rs =
            eval::execute(&self.db, &plan, &mut budget).map_err(|hit| limit_error(hit, span))?;
        let text = if plan.mode == QueryMode::Why {
            self.why_output(&rs)
        } else {
            crate::output::render(&self.db, &rs, self.settings.format, &self.settings.table)
        };
        sink(Reply::Text(text));
        #[cfg(feature = "dataflow")]
        if let Some(note) = self.dataflow_timing()
            && self.settings.timing
        {
            sink(Reply::Note(note));
        }
        if self.settings.timing {
            sink(Reply::Note(format!(
                "Time: {:.3} ms\n",
                started.elapsed().as_secs_f64() * 1000.0
            )));
        }
        Ok(())
    }

    pub(crate) fn why_output(&self, rs: &eval::ResultSet) -> String {
        let sources: Vec<(usize, u32)> = rs.sources.iter().flatten().copied().collect();
        if self.settings.format == Format::Json {
            let trees: Vec<serde_json::Value> = sources
                .iter()
                .map(|&(k, r)| why::why_json(&self.db, &self.rule_texts, k, r))
                .collect();
            let mut s = serde_json::to_string_pretty(&trees).unwrap_or_default();
            s.push('\n');
            return s;
        }
        if sources.is_empty() {
            return "(no rows: nothing to explain)\n".into();
        }
        sources
            .iter()
            .map(|&(k, r)| {
                why::why_text(
                    &self.db,
                    &self.rule_texts,
                    k,
                    r,
                    self.settings.table.terminal_width,
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// "42 facts of 12 kinds, 40 entities, 0 rules".
    pub fn describe(&self) -> String {
        let kinds = self.db.kinds.iter().filter(|k| k.is_written()).count();
        format!(
            "{} facts of {} kinds, {} entities, {} rules",
            self.db.fact_count(),
            kinds,
            self.db.entity_count(),
            self.rule_texts.len()
        )
    }
}

/// `sink`, with the progress line (if any) cleared before each reply, so that no result or
/// report is printed over it.
fn clearing<'a>(
    progress: &'a Option<std::sync::Arc<crate::progress::ProgressLine>>,
    sink: &'a mut dyn FnMut(Reply),
) -> impl FnMut(Reply) + 'a {
    move |r| {
        clear(progress);
        sink(r)
    }
}

fn clear(progress: &Option<std::sync::Arc<crate::progress::ProgressLine>>) {
    if let Some(p) = progress {
        p.clear();
    }
}

/// At most this many reports are shown for one text; the rest are counted.
const MAX_REPORTS: usize = 100;

/// Shows the first [`MAX_REPORTS`] reports of a run and counts the rest, so a file of
/// thousands of mistakes ends with a line saying how many were left out.
#[derive(Default)]
struct ReportCap {
    shown: usize,
    hidden: usize,
}

impl ReportCap {
    fn report(&mut self, session: &mut Session, d: &Diagnostic, sink: &mut dyn FnMut(Reply)) {
        if self.shown < MAX_REPORTS {
            self.shown += 1;
            session.report(d, sink);
        } else {
            self.hidden += 1;
        }
    }

    fn finish(self, sink: &mut dyn FnMut(Reply)) {
        if self.hidden > 0 {
            sink(Reply::Note(format!(
                "… and {} more error{} not shown (the first {MAX_REPORTS} are above)\n",
                self.hidden,
                if self.hidden == 1 { "" } else { "s" }
            )));
        }
    }
}

/// Whether to go on after a statement.
pub(crate) enum Flow {
    Continue,
    Quit,
}

/// "the memory budget (384 MB)", "the row limit (10000000 rows)".
pub(crate) fn limit_reason(hit: &LimitHit) -> String {
    match hit {
        LimitHit::Memory(b) => format!("the memory budget ({} MB)", b / (1024 * 1024)),
        LimitHit::Rows(n) => format!("the row limit ({n} rows)"),
        LimitHit::Time(t) => format!("the time limit ({} s)", t.as_secs()),
        LimitHit::Interrupted => "an interrupt".into(),
        LimitHit::Failed(_) => "an expression with no value".into(),
    }
}

pub(crate) fn limit_error(hit: LimitHit, span: crate::diagnostic::Span) -> Diagnostic {
    match hit {
        LimitHit::Memory(b) => Diagnostic::error(
            format!(
                "the query was stopped: derived rows took more than {} MB",
                b / (1024 * 1024)
            ),
            span,
            "this query",
        )
        .with_help("narrow it with `where` or `limit`, or raise the limit with --max-memory MB"),
        LimitHit::Rows(n) => Diagnostic::error(
            format!("the query was stopped after producing {n} rows"),
            span,
            "this query",
        )
        .with_help("narrow it with `where` or `limit`, or raise the limit with --max-rows N"),
        LimitHit::Time(t) => Diagnostic::error(
            format!(
                "the query was stopped after {} second{}",
                t.as_secs(),
                if t.as_secs() == 1 { "" } else { "s" }
            ),
            span,
            "this query",
        )
        .with_help("narrow it, or raise the limit with --timeout SECONDS"),
        LimitHit::Failed(d) => *d,
        LimitHit::Interrupted => Diagnostic::error("interrupted", span, "this query was stopped")
            .with_help("nothing was lost: the facts and rules loaded so far are all still here"),
    }
}
