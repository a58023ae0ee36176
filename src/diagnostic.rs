//! One error type for everything dalil reports: a message, the exact span, labels and a help
//! line, rendered by ariadne against the text it points into.

mod excerpt;

use ariadne::{Color, Config, Label, Report, ReportKind};
use excerpt::{Excerpt, MAX_EXCERPT_LINES, renumber};
use std::fmt;
use std::ops::{Deref, Range};
use std::sync::{Arc, OnceLock};

/// Which text a span points into: an index into [`Sources`].
pub type SourceId = u32;

/// A byte range in one source text.
#[derive(
    serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, Default,
)]
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

/// A text the session read: one built into the binary (borrowed from it), or one read at run
/// time, shared, so that the sources and the session's base hold the same bytes, not copies.
#[derive(Clone, Debug)]
pub enum Text {
    Embedded(&'static str),
    Read(Arc<String>),
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Embedded(t) => t,
            Text::Read(t) => t,
        }
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text::Read(Arc::new(text))
    }
}

impl From<&Text> for Text {
    fn from(text: &Text) -> Text {
        text.clone()
    }
}

impl From<&String> for Text {
    fn from(text: &String) -> Text {
        Text::from(text.as_str())
    }
}

impl From<&str> for Text {
    /// Borrowed when `text` is one of the [`EMBEDDED`](crate::session::EMBEDDED) texts itself
    /// (the same bytes in the binary, not merely equal ones), else copied.
    fn from(text: &str) -> Text {
        crate::session::EMBEDDED
            .iter()
            .find(|(_, t)| std::ptr::eq(*t, text))
            .map_or_else(|| Text::from(text.to_owned()), |(_, t)| Text::Embedded(t))
    }
}

/// Every text the session has read, by name ("<command line>", a file path, "<input 3>").
#[derive(serde::Serialize, serde::Deserialize, Default, Debug, Clone)]
pub struct Sources {
    items: Vec<SourceText>,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
struct SourceText {
    name: String,
    /// Borrowed when it is a text built into the binary (the snapshot then stores which one).
    #[serde(with = "crate::snapshot::text")]
    text: Text,
    /// Byte offset of the start of each line, computed on first use, so that a text with many
    /// mistakes costs one scan, not one per report.
    #[serde(skip)]
    line_starts: OnceLock<Vec<usize>>,
    /// (byte offset, characters before it) every [`CHECKPOINT_BYTES`] or so: a column in a
    /// very long line is then counted from the nearest checkpoint, not from the line's start.
    #[serde(skip)]
    checkpoints: OnceLock<Vec<(usize, usize)>>,
}

const CHECKPOINT_BYTES: usize = 4096;

impl SourceText {
    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// How many characters come before byte `offset` (a char boundary).
    fn chars_before(&self, offset: usize) -> usize {
        let points = self.checkpoints.get_or_init(|| {
            let mut points = vec![(0, 0)];
            let mut chars = 0;
            let mut at = 0;
            while at + CHECKPOINT_BYTES < self.text.len() {
                let next = floor_boundary(&self.text, at + CHECKPOINT_BYTES);
                chars += self.text[at..next].chars().count();
                at = next;
                points.push((at, chars));
            }
            points
        });
        let i = points
            .partition_point(|&(b, _)| b <= offset)
            .saturating_sub(1);
        let (b, c) = points[i];
        c + self.text[b..offset].chars().count()
    }

    /// 0-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        let starts = self.line_starts();
        starts.partition_point(|&s| s <= offset).saturating_sub(1)
    }

    /// Byte range of a line, without its line break.
    fn line_range(&self, line: usize) -> Range<usize> {
        let starts = self.line_starts();
        let start = starts.get(line).copied().unwrap_or(self.text.len());
        let end = starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next - 1);
        let end = if self.text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        start..end.max(start)
    }
}

impl Sources {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<Text>) -> SourceId {
        self.items.push(SourceText {
            name: name.into(),
            text: text.into(),
            line_starts: OnceLock::new(),
            checkpoints: OnceLock::new(),
        });
        (self.items.len() - 1) as SourceId
    }

    /// No text read yet?
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn name(&self, id: SourceId) -> &str {
        self.items
            .get(id as usize)
            .map_or("<unknown>", |s| s.name.as_str())
    }

    pub fn text(&self, id: SourceId) -> &str {
        self.items.get(id as usize).map_or("", |s| &s.text)
    }

    /// The text under a span.
    pub fn slice(&self, span: Span) -> &str {
        self.text(span.source)
            .get(span.start..span.end)
            .unwrap_or("")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: SourceId, offset: usize) -> (usize, usize) {
        let Some(src) = self.items.get(id as usize) else {
            return (1, 1);
        };
        let offset = floor_boundary(&src.text, offset);
        let line = src.line_of(offset);
        let start = src.line_range(line).start.min(offset);
        (
            line + 1,
            src.chars_before(offset) - src.chars_before(start) + 1,
        )
    }
}

/// The largest char boundary at or before `i`.
fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How bad a report is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// The edit a help line proposes ("did you mean `partner`?", "write `2025-09-01`"): the text
/// to put in place of `span`. Applied, it must give a statement that reads (tests/fixes.rs
/// holds every report to that).
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    pub span: Span,
    pub text: String,
}

/// A report for the user: what is wrong (`message`), where (`span`, with a label under it),
/// other places that explain it, and what to do (`help`, and `fix` when that is an edit).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Option<Span>,
    pub label: String,
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
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
            fix: None,
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
            fix: None,
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

    /// The edit the help line proposes: `text` in place of `span`.
    pub fn with_fix(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.fix = Some(Fix {
            span,
            text: text.into(),
        });
        self
    }

    /// "did you mean `x`?" with the edit that puts `x` in place of `span` (the misspelt name),
    /// or else the list of choices when they are few (see [`suggestion`]).
    pub fn with_suggestion<'a, I>(
        self,
        span: Span,
        word: &str,
        candidates: I,
        what: &str,
    ) -> Diagnostic
    where
        I: IntoIterator<Item = &'a str> + Clone,
    {
        match did_you_mean(word, candidates.clone()) {
            Some(best) => self
                .with_help(format!("did you mean `{best}`?"))
                .with_fix(span, best),
            None => self.with_help_opt(suggestion(word, candidates, what)),
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_note_opt(mut self, note: Option<impl Into<String>>) -> Diagnostic {
        if let Some(n) = note {
            self.notes.push(n.into());
        }
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
        let Some(src) = sources.items.get(span.source as usize) else {
            return self.render_plain(color);
        };
        let name = src.name.clone();
        let text: &str = &src.text;
        let mut span = Span::new(
            span.source,
            floor_boundary(text, span.start),
            floor_boundary(text, span.end.max(span.start)),
        );
        // A span over very many lines (a whole long statement) is shown by its first line.
        let first_line = src.line_of(span.start);
        if src.line_of(span.end).saturating_sub(first_line) > MAX_EXCERPT_LINES {
            span.end = src.line_range(first_line).end.max(span.start);
        }
        // Secondary spans far from the primary one would drag a long excerpt along.
        let near = |s: &Span| {
            s.source == span.source
                && src.line_of(s.start).abs_diff(src.line_of(span.start)) <= MAX_EXCERPT_LINES
        };
        let secondary: Vec<(Span, &str)> = self
            .secondary
            .iter()
            .filter(|(s, _)| near(s))
            .map(|(s, m)| {
                let s = Span::new(
                    s.source,
                    floor_boundary(text, s.start),
                    floor_boundary(text, s.end.max(s.start)),
                );
                (s, m.as_str())
            })
            .collect();
        let excerpt = Excerpt::new(src, span, secondary.iter().map(|(s, _)| *s));
        let Some(primary) = excerpt.map(text, span) else {
            return self.render_plain(color);
        };
        let mut report = Report::build(kind, (name.clone(), primary.clone()))
            .with_config(Config::default().with_color(color).with_compact(false))
            .with_message(shown(&self.message));
        let label_color = if self.severity == Severity::Error {
            Color::Red
        } else {
            Color::Yellow
        };
        let mut primary_label = Label::new((name.clone(), primary.clone())).with_color(label_color);
        if !self.label.is_empty() {
            primary_label = primary_label.with_message(shown(&self.label));
        }
        report = report.with_label(primary_label);
        for (s, msg) in &secondary {
            if let Some(range) = excerpt.map(text, *s) {
                report = report.with_label(
                    Label::new((name.clone(), range))
                        .with_message(shown(msg))
                        .with_color(Color::Blue),
                );
            }
        }
        if let Some(help) = &self.help {
            report = report.with_help(shown(help));
        }
        for note in &self.notes {
            report = report.with_note(shown(note));
        }
        let mut out = Vec::new();
        let source = ariadne::Source::from(excerpt.text.as_str())
            .with_display_line_offset(excerpt.first_line);
        if report
            .finish()
            .write((name.clone(), source), &mut out)
            .is_err()
        {
            return self.render_plain(color);
        }
        let rendered = renumber(
            &String::from_utf8_lossy(&out),
            excerpt.first_line,
            excerpt.text.matches('\n').count() + 1,
        );
        // The header's column counts from the excerpt's cut line; give the real one.
        let (line, col) = sources.line_col(span.source, span.start);
        let shown_col = excerpt.text[..excerpt.byte_of_char(primary.start)]
            .rsplit('\n')
            .next()
            .map_or(0, |l| l.chars().count())
            + 1;
        if shown_col == col {
            return rendered;
        }
        rendered.replacen(
            &format!("{name}:{line}:{shown_col} "),
            &format!("{name}:{line}:{col} "),
            1,
        )
    }

    /// The report as JSON for programs (the HTTP API of `dalil serve`): severity, message,
    /// the span with its label, the other labelled spans, help and notes, and the text the
    /// terminal shows (`rendered`, without colour).
    pub fn to_json(&self, sources: &Sources) -> serde_json::Value {
        let span = |s: &Span| {
            let text = sources.text(s.source);
            let start = floor_boundary(text, s.start);
            let end = floor_boundary(text, s.end.max(s.start));
            let (line, column) = sources.line_col(s.source, start);
            let (end_line, end_column) = sources.line_col(s.source, end);
            serde_json::json!({
                "source": sources.name(s.source),
                "start": start,
                "end": end,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                // Offsets in UTF-16 code units: what a JavaScript editor counts in.
                "utf16_start": text[..start].encode_utf16().count(),
                "utf16_end": text[..end].encode_utf16().count(),
            })
        };
        let mut labels = Vec::new();
        if let Some(s) = &self.span {
            labels.push(
                serde_json::json!({ "span": span(s), "message": self.label, "primary": true }),
            );
        }
        for (s, m) in &self.secondary {
            labels.push(serde_json::json!({ "span": span(s), "message": m, "primary": false }));
        }
        serde_json::json!({
            "severity": match self.severity { Severity::Error => "error", Severity::Warning => "warning" },
            "message": self.message,
            "span": self.span.as_ref().map(span),
            "labels": labels,
            "help": self.help,
            // The edit the help proposes, by byte offsets in the source text.
            "fix": self.fix.as_ref().map(|f| serde_json::json!({
                "span": span(&f.span),
                "text": f.text,
            })),
            "notes": self.notes,
            "rendered": self.render(sources, false),
        })
    }

    fn render_plain(&self, color: bool) -> String {
        let head = match (self.severity, color) {
            (Severity::Error, true) => "\x1b[31mError:\x1b[0m",
            (Severity::Error, false) => "Error:",
            (Severity::Warning, true) => "\x1b[33mWarning:\x1b[0m",
            (Severity::Warning, false) => "Warning:",
        };
        let mut out = format!("{head} {}\n", shown(&self.message));
        if let Some(help) = &self.help {
            out.push_str(&format!("  help: {}\n", shown(help)));
        }
        for note in &self.notes {
            out.push_str(&format!("  note: {}\n", shown(note)));
        }
        out
    }

    /// `file:line:col: message`, the one-line form (used by `--errors short` and logs).
    pub fn short(&self, sources: &Sources) -> String {
        match self.span {
            Some(s) => {
                let (l, c) = sources.line_col(s.source, s.start);
                format!(
                    "{}:{l}:{c}: {}",
                    sources.name(s.source),
                    shown(&self.message)
                )
            }
            None => shown(&self.message).into_owned(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

/// A report's own words as the terminal shows them: a control character that came from the
/// input (a NUL, an escape) is written out (`\0`, `\e`), never sent raw.
fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    crate::output::escape_controls(text)
}

/// Several reports at once: a statement or file may have many independent mistakes.
pub type Diagnostics = Vec<Diagnostic>;

/// Words longer than this many characters get no "did you mean" (no name is that long).
pub const MAX_SUGGEST_CHARS: usize = 64;

/// User text quoted in a message title, in backticks: control characters escaped (NUL as
/// `\0`), and cut after a few dozen characters, saying how long it was, so a megabyte
/// literal gives a one-line title.
pub fn quoted(text: &str) -> String {
    const SHOWN: usize = 40;
    let escaped = crate::output::escape_controls(text);
    match escaped.char_indices().nth(SHOWN) {
        None => format!("`{escaped}`"),
        Some((cut, _)) => format!(
            "`{}…` ({} characters)",
            &escaped[..cut],
            text.chars().count()
        ),
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    // A word longer than any name is no typo of one: not compared at all (a 10 MB literal
    // would otherwise cost minutes of edit distances).
    if word.chars().nth(MAX_SUGGEST_CHARS).is_some() {
        return None;
    }
    let lower = word.to_lowercase();
    let len = word.chars().count();
    // How many edits still look like a typo: none for one or two letters (`y` is not a typo
    // of `by`), one for short words, a third of the word for long ones.
    let allowed = match len {
        0..=2 => 0,
        3..=5 => 1,
        6..=8 => 2,
        _ => len / 3,
    };
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        // Lengths far apart can be neither a few edits apart nor similar enough for Jaro-Winkler
        // (at twice the length it cannot reach 0.9): skipped before any comparison.
        let clen = c.chars().count();
        if clen.abs_diff(len) > allowed && (clen > 2 * len || len > 2 * clen) {
            continue;
        }
        let candidate = c.to_lowercase();
        let score = strsim::jaro_winkler(&lower, &candidate);
        let dist = strsim::damerau_levenshtein(&lower, &candidate);
        let close = dist <= allowed || (len >= 5 && score >= 0.9);
        let better = best.is_none_or(|(d, s, _)| dist < d || dist == d && score > s);
        if close && better {
            best = Some((dist, score, c));
        }
    }
    best.map(|(_, _, c)| c.to_string())
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
