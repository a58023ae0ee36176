//! One error type for everything dalil reports: a message, the exact span, labels and a help
//! line, rendered by ariadne against the text it points into.

use ariadne::{Color, Config, Label, Report, ReportKind};
use std::fmt;

/// Which text a span points into: an index into [`Sources`].
pub type SourceId = u32;

/// A byte range in one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub source: SourceId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(source: SourceId, start: usize, end: usize) -> Span {
        Span { source, start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            source: self.source,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// Every text the session has read, by name ("<command line>", a file path, "<repl:3>").
#[derive(Default, Debug, Clone)]
pub struct Sources {
    items: Vec<(String, String)>,
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        self.items.push((name.into(), text.into()));
        (self.items.len() - 1) as SourceId
    }

    pub fn name(&self, id: SourceId) -> &str {
        self.items
            .get(id as usize)
            .map_or("<unknown>", |s| s.0.as_str())
    }

    pub fn text(&self, id: SourceId) -> &str {
        self.items.get(id as usize).map_or("", |s| s.1.as_str())
    }

    /// The text under a span.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.source)
            .get(span.start..span.end)
            .unwrap_or("")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: SourceId, offset: usize) -> (usize, usize) {
        let text = self.text(id);
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

/// How bad a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A report for the user: what is wrong (`message`), where (`span`, with a label under it),
/// other places that explain it, and what to do (`help`).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    pub label: String,
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error pointing at `span`, with `label` under it.
    pub fn error(message: impl Into<String>, span: Span, label: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: Some(span),
            label: label.into(),
            secondary: vec![],
            help: None,
            notes: vec![],
        }
    }

    /// An error about no particular text (a missing file, a bad flag).
    pub fn plain(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span: None,
            label: String::new(),
            secondary: vec![],
            help: None,
            notes: vec![],
        }
    }

    pub fn warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_help_opt(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }

    /// Renders the report as text, with ANSI colour when `color` is set.
    pub fn render(&self, sources: &Sources, color: bool) -> String {
        let kind = match self.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let Some(span) = self.span else {
            return self.render_plain(color);
        };
        let name = sources.name(span.source).to_string();
        let text = sources.text(span.source);
        // ariadne counts columns in characters; give it character offsets.
        let to_chars = |byte: usize| {
            let byte = byte.min(text.len());
            text.get(..byte).map_or(0, |s| s.chars().count())
        };
        let char_range = |s: Span| to_chars(s.start)..to_chars(s.end.max(s.start));
        let primary = char_range(span);
        let mut report = Report::build(kind, (name.clone(), primary.clone()))
            .with_config(Config::default().with_color(color).with_compact(false))
            .with_message(&self.message);
        let label_color = if self.severity == Severity::Error {
            Color::Red
        } else {
            Color::Yellow
        };
        let mut primary_label = Label::new((name.clone(), primary)).with_color(label_color);
        if !self.label.is_empty() {
            primary_label = primary_label.with_message(&self.label);
        }
        report = report.with_label(primary_label);
        for (s, msg) in &self.secondary {
            if s.source == span.source {
                report = report.with_label(
                    Label::new((name.clone(), char_range(*s)))
                        .with_message(msg)
                        .with_color(Color::Blue),
                );
            }
        }
        if let Some(help) = &self.help {
            report = report.with_help(help);
        }
        for note in &self.notes {
            report = report.with_note(note);
        }
        let mut out = Vec::new();
        let cache = ariadne::sources(vec![(name, text.to_string())]);
        if report.finish().write(cache, &mut out).is_err() {
            return self.render_plain(color);
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn render_plain(&self, color: bool) -> String {
        let head = match (self.severity, color) {
            (Severity::Error, true) => "\x1b[31mError:\x1b[0m",
            (Severity::Error, false) => "Error:",
            (Severity::Warning, true) => "\x1b[33mWarning:\x1b[0m",
            (Severity::Warning, false) => "Warning:",
        };
        let mut out = format!("{head} {}\n", self.message);
        if let Some(help) = &self.help {
            out.push_str(&format!("  help: {help}\n"));
        }
        for note in &self.notes {
            out.push_str(&format!("  note: {note}\n"));
        }
        out
    }

    /// `file:line:col: message`, the one-line form (used by `--errors short` and logs).
    pub fn short(&self, sources: &Sources) -> String {
        match self.span {
            Some(s) => {
                let (l, c) = sources.line_col(s.source, s.start);
                format!("{}:{l}:{c}: {}", sources.name(s.source), self.message)
            }
            None => self.message.clone(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// Several reports at once: a statement or file may have many independent mistakes.
pub type Diagnostics = Vec<Diagnostic>;

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let lower = word.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&lower, &c.to_lowercase());
        let dist = strsim::damerau_levenshtein(&lower, &c.to_lowercase());
        let close = dist <= 2.max(word.chars().count() / 3) || score >= 0.88;
        if close && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

/// "did you mean `x`?" or, when the set is small, the list of valid choices.
pub fn suggestion<'a, I>(word: &str, candidates: I, what: &str) -> Option<String>
where
    I: IntoIterator<Item = &'a str> + Clone,
{
    if let Some(best) = did_you_mean(word, candidates.clone()) {
        return Some(format!("did you mean `{best}`?"));
    }
    let all: Vec<&str> = candidates.into_iter().collect();
    if !all.is_empty() && all.len() <= 12 {
        let list = all
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return Some(format!("the {what} are {list}"));
    }
    None
}
