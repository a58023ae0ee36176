//! Bulk facts: a CSV or JSON Lines file loaded as facts of one declared kind, every value
//! checked against the kind's schema, every bad row reported with its file, line and column
//! (up to a number of errors), the good rows kept.
//!
//! Values are written as in the language, without quotes: texts as they are, numbers, dates
//! `2025-09-14` / `2025-09` / `2025` (`~` for "about"), entities by id, name or alias, `true` /
//! `false`; an empty CSV cell (or JSON `null`) is unknown; a list's items are separated by `|`
//! in CSV (a JSON array in JSON Lines). An entity that no `entity` declaration names is an
//! error of its row, as in a fact: a typo must not quietly become a new entity.
//!
//! Every row of a file shares one origin: `background "loaded from FILE"`.

mod csv_file;
mod jsonl_file;

use crate::date::Date;
use crate::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::eval::Interrupt;
use crate::session::{Reply, Session};
use crate::store::{
    Database, ENTITY, KindId, MENTION, Origin, OriginId, RowOrigin, Sym, Type, Value, short_key,
};
use hashbrown::HashMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Told every few thousand rows how far a load has got: rows read, bytes read, the file's size.
pub type LoadProgress = Arc<dyn Fn(u64, u64, u64) + Send + Sync>;

/// How a load may proceed.
#[derive(Clone)]
pub struct LoadOptions {
    /// Stop reading after this many bad rows.
    pub max_errors: usize,
    /// Checked every few thousand rows: a raised flag stops the load.
    pub interrupt: Option<Interrupt>,
    /// Where to show progress (a terminal's progress line), if anywhere.
    pub progress: Option<LoadProgress>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("max_errors", &self.max_errors)
            .field("interrupt", &self.interrupt)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            max_errors: 20,
            interrupt: None,
            progress: None,
        }
    }
}

/// What a load did.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub kind: String,
    pub file: String,
    /// Data rows read (not counting the header).
    pub read: u64,
    /// Rows added (new).
    pub added: u64,
    /// Rows equal to one already there (a relation holds each row once).
    pub duplicates: u64,
    /// One report per bad row.
    pub errors: Vec<Diagnostic>,
    /// Reading stopped early: too many errors, or an interrupt.
    pub stopped: Option<String>,
    pub elapsed: Duration,
}

impl LoadReport {
    /// `loaded 1000000 rows into `event` from events.csv in 412.3 ms (2 rejected)`.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "loaded {} rows into `{}` from {} in {:.1} ms",
            self.added,
            self.kind,
            self.file,
            self.elapsed.as_secs_f64() * 1000.0
        );
        let mut notes = Vec::new();
        if self.duplicates > 0 {
            notes.push(format!("{} duplicates", self.duplicates));
        }
        if !self.errors.is_empty() {
            notes.push(format!("{} rejected", self.errors.len()));
        }
        if !notes.is_empty() {
            s.push_str(&format!(" ({})", notes.join(", ")));
        }
        if let Some(why) = &self.stopped {
            s.push_str(&format!("; stopped early: {why}"));
        }
        s
    }
}

/// The formats a file may be in, by its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    JsonLines,
}

impl FileFormat {
    pub fn of(path: &str) -> Option<FileFormat> {
        let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(FileFormat::Csv),
            "jsonl" | "ndjson" => Some(FileFormat::JsonLines),
            _ => None,
        }
    }
}

/// Loads `path` as facts of `kind`. Fails as a whole (adding nothing) when the kind, the file
/// or its header is wrong; otherwise adds the good rows and reports the bad ones.
pub fn load_file(
    db: &mut Database,
    kind: &str,
    path: &str,
    opts: &LoadOptions,
) -> Result<LoadReport, Diagnostic> {
    let started = Instant::now();
    let kind_id = loadable_kind(db, kind)?;
    let format = FileFormat::of(path).ok_or_else(|| {
        Diagnostic::plain(format!("cannot tell the format of `{path}` from its name"))
            .with_help("name CSV files `….csv` and JSON Lines files `….jsonl` or `….ndjson`")
    })?;
    let mut file = std::fs::File::open(path)
        .map_err(|e| Diagnostic::plain(format!("cannot read `{path}`: {e}")))?;
    // A byte-order mark (what spreadsheet programs write first) is not part of the header.
    crate::files::skip_bom(&mut file, path).map_err(|e| {
        let (message, help) = e.split_once("\n  help: ").unwrap_or((&e, ""));
        Diagnostic::plain(message).with_help(help)
    })?;
    let size = file.metadata().map_or(0, |m| m.len());
    let origin = db.kind_mut(kind_id).relation.add_origin(Origin::Stated {
        cites: vec![],
        inferred: None,
        background: Some(format!("loaded from {path}")),
        is_background: true,
        span: None,
    });
    let mut loader = Loader::new(db, kind_id, path, origin, opts);
    loader.size = size;
    let file = Counted {
        inner: file,
        read: loader.bytes.clone(),
    };
    match format {
        FileFormat::Csv => csv_file::read(&mut loader, file, size)?,
        FileFormat::JsonLines => jsonl_file::read(&mut loader, file)?,
    }
    loader.check_refs();
    let mut report = loader.report;
    report.elapsed = started.elapsed();
    Ok(report)
}

fn loadable_kind(db: &Database, kind: &str) -> Result<KindId, Diagnostic> {
    let Some(id) = db.kind_id(kind) else {
        let d = Diagnostic::plain(format!("there is no kind `{kind}` to load into"));
        return Err(match did_you_mean(kind, db.kind_names()) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help("declare it first, e.g. in a file given with --facts"),
        });
    };
    if kind == ENTITY {
        return Err(
            Diagnostic::plain("entities cannot be loaded from CSV or JSON Lines")
                .with_help("declare them with `entity` in a .dl file given with --facts"),
        );
    }
    if db.kind(id).is_only_derived() {
        return Err(Diagnostic::plain(format!(
            "`{kind}` is defined by rules; its facts are derived, not loaded"
        )));
    }
    if kind == MENTION {
        return Err(Diagnostic::plain(
            "`mention` is computed by dalil from every fact; it cannot be loaded",
        ));
    }
    Ok(id)
}

/// Where a value was read: for reports.
#[derive(Clone, Copy, Debug)]
pub(crate) struct At {
    pub line: u64,
    pub column: u64,
}

/// The state of one load: the target kind, cached conversions, and the report so far.
pub(crate) struct Loader<'a> {
    db: &'a mut Database,
    kind: KindId,
    path: &'a str,
    origin: OriginId,
    opts: &'a LoadOptions,
    /// Per column: text → value, for the values that repeat (entities, dates, categories);
    /// texts of up to 15 bytes are keyed by an integer (no bytes to compare).
    memo: Vec<HashMap<Box<[u8]>, Value>>,
    short: Vec<HashMap<u128, Value>>,
    /// References to fact ids, checked when the whole file is in.
    refs: Vec<(Sym, String, At)>,
    row: Vec<Value>,
    /// Bytes of the file read so far, and its size (for progress).
    bytes: Arc<AtomicU64>,
    size: u64,
    pub report: LoadReport,
}

/// A reader that counts the bytes read through it.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Most distinct values remembered per column (a column of unique texts gains nothing).
const MEMO_LIMIT: usize = 1 << 16;

impl<'a> Loader<'a> {
    fn new(
        db: &'a mut Database,
        kind: KindId,
        path: &'a str,
        origin: OriginId,
        opts: &'a LoadOptions,
    ) -> Loader<'a> {
        let width = db.kind(kind).fields.len();
        Loader {
            report: LoadReport {
                kind: db.kind(kind).name.clone(),
                file: path.to_string(),
                ..LoadReport::default()
            },
            db,
            kind,
            path,
            origin,
            opts,
            memo: vec![HashMap::new(); width],
            short: vec![HashMap::new(); width],
            refs: Vec::new(),
            row: vec![Value::Null; width],
            bytes: Arc::new(AtomicU64::new(0)),
            size: 0,
        }
    }

    /// The columns of the kind that `names` (a header, or a JSON object's keys) stand for.
    pub fn columns(&self, names: &[&str], at: At) -> Result<Vec<usize>, Diagnostic> {
        let kind = self.db.kind(self.kind);
        let mut cols = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let Some(c) = kind.column(name.trim()) else {
                let d = self.error(
                    At {
                        line: at.line,
                        column: i as u64 + 1,
                    },
                    format!("kind `{}` has no field `{}`", kind.name, name.trim()),
                );
                return Err(d.with_help_opt(
                    did_you_mean(name, kind.field_names())
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| {
                            Some(format!(
                                "its fields are {}",
                                kind.field_names().collect::<Vec<_>>().join(", ")
                            ))
                        }),
                ));
            };
            if cols.contains(&c) {
                return Err(self.error(at, format!("field `{}` is given twice", name.trim())));
            }
            cols.push(c);
        }
        Ok(cols)
    }

    pub fn error(&self, at: At, message: impl std::fmt::Display) -> Diagnostic {
        Diagnostic::plain(format!(
            "{}:{}:{}: {message}",
            self.path, at.line, at.column
        ))
    }

    /// Should reading stop (too many errors, or an interrupt)?
    pub fn should_stop(&mut self) -> bool {
        if self.report.errors.len() >= self.opts.max_errors {
            self.report.stopped = Some(format!("{} errors", self.report.errors.len()));
            return true;
        }
        if !self.report.read.is_multiple_of(4096) {
            return false;
        }
        if self.opts.interrupt.as_ref().is_some_and(|i| i.is_raised()) {
            self.report.stopped = Some("interrupted".into());
            return true;
        }
        if let Some(show) = &self.opts.progress {
            show(
                self.report.read,
                self.bytes.load(Ordering::Relaxed),
                self.size,
            );
        }
        false
    }

    pub fn reserve(&mut self, rows: usize) {
        self.db.kind_mut(self.kind).relation.reserve(rows);
    }

    /// Starts a row: every field unknown.
    pub fn begin_row(&mut self) {
        self.report.read += 1;
        for v in &mut self.row {
            *v = Value::Null;
        }
    }

    /// Sets column `col` of the row from its text; on a bad value, the row's report.
    pub fn set_text(&mut self, col: usize, text: &[u8], at: At) -> Result<(), Diagnostic> {
        if text.is_empty() {
            return Ok(());
        }
        let key = short_key(text);
        let cached = match key {
            Some(k) => self.short[col].get(&k),
            None => self.memo[col].get(text),
        };
        if let Some(v) = cached {
            self.row[col] = v.clone();
            return Ok(());
        }
        let ty = self.db.kind(self.kind).fields[col].ty;
        let s = std::str::from_utf8(text)
            .map_err(|_| self.error(at, "this value is not UTF-8 text"))?;
        let v = self.convert(col, ty, s, at)?;
        if ty == Type::Ref && col > 0 {
            self.refs.push((ref_sym(&v), self.field_name(col), at));
        }
        if !matches!(ty, Type::Ref) {
            match key {
                Some(k) if self.short[col].len() < MEMO_LIMIT => {
                    self.short[col].insert(k, v.clone());
                }
                None if self.memo[col].len() < MEMO_LIMIT => {
                    self.memo[col].insert(text.into(), v.clone());
                }
                _ => {}
            }
        }
        self.row[col] = v;
        Ok(())
    }

    /// The type of column `col`.
    pub fn field_type(&self, col: usize) -> Type {
        self.db.kind(self.kind).fields[col].ty
    }

    /// The value column `col` of the row has now.
    pub fn value(&self, col: usize) -> &Value {
        &self.row[col]
    }

    /// Sets column `col` of the row to a value already typed (JSON, or converted already).
    pub fn set_value(&mut self, col: usize, v: Value) {
        self.row[col] = v;
    }

    fn field_name(&self, col: usize) -> String {
        self.db.kind(self.kind).fields[col].name.clone()
    }

    /// A text as a value of type `ty`, as the language would read it without quotes.
    pub fn convert(&mut self, col: usize, ty: Type, s: &str, at: At) -> Result<Value, Diagnostic> {
        let field = || format!("field `{}`", self.db.kind(self.kind).fields[col].name);
        Ok(match ty {
            Type::Text => Value::Text(self.db.interner.intern(s)),
            Type::Ref => Value::Ref(self.db.interner.intern(s.trim())),
            Type::Number => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Value::Num(n),
                _ => {
                    return Err(self
                        .error(at, format!("{}: `{s}` is not a number", field()))
                        .with_help("write a number like 12 or -2.5"));
                }
            },
            Type::Date => match Date::parse(s.trim()) {
                Ok(d) => Value::Date(d),
                Err(e) => {
                    return Err(self
                        .error(at, format!("{}: {}", field(), e.message))
                        .with_help(e.help));
                }
            },
            Type::Bool => match s.trim() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(self
                        .error(at, format!("{}: `{s}` is neither true nor false", field()))
                        .with_help("write true or false, or leave the cell empty"));
                }
            },
            Type::Entity => match self.db.resolve_entity(s.trim()) {
                Some(sym) => Value::Entity(sym),
                None => {
                    let d = self.error(
                        at,
                        format!(
                            "{}: no entity is called {}",
                            field(),
                            crate::diagnostic::quoted(s)
                        ),
                    );
                    return Err(match self.db.entity_suggestion(s.trim()) {
                        Some(m) => d.with_help(m),
                        None => d.with_help(
                            "declare it with `entity` (in a --facts file) before loading",
                        ),
                    });
                }
            },
            Type::List => Value::List(
                s.split('|')
                    .map(|item| Value::Text(self.db.interner.intern(item.trim())))
                    .collect::<Vec<_>>()
                    .into(),
            ),
        })
    }

    /// The database and the kind loaded into, to read (by the workers that convert a block).
    pub fn target(&self) -> (&Database, KindId) {
        (self.db, self.kind)
    }

    /// Adds the row (unless a bad value was reported for it).
    pub fn end_row(&mut self, bad: Option<Diagnostic>, at: At) {
        self.end_row_hashed(bad, at, None);
    }

    /// Asks the processor to fetch what the duplicate check of a row with this hash will read
    /// (see [`crate::store::Relation::prefetch_hashed`]).
    #[inline]
    pub fn prefetch_row(&self, hash: u32) {
        self.db.kind(self.kind).relation.prefetch_hashed(hash);
    }

    /// [`Loader::end_row`], with the row's hash in its relation ([`Relation::hash_of`]) when it
    /// was computed already.
    ///
    /// [`Relation::hash_of`]: crate::store::Relation::hash_of
    pub fn end_row_hashed(&mut self, bad: Option<Diagnostic>, at: At, hash: Option<u32>) {
        if let Some(d) = bad {
            self.report.errors.push(d);
            return;
        }
        if let Value::Ref(id) = self.row[0]
            && self.db.fact_by_id(id).is_some()
        {
            let msg = format!(
                "another fact already has the id `{}`",
                self.db.interner.resolve(id)
            );
            self.report.errors.push(self.error(at, msg));
            return;
        }
        self.db.kind_mut(self.kind).before_stating();
        let rel = &mut self.db.kind_mut(self.kind).relation;
        let origin = RowOrigin::Shared(self.origin);
        let (i, new) = match hash {
            Some(h) => rel.insert_hashed(h, &self.row, origin),
            None => rel.insert_with(&self.row, origin),
        };
        if !new {
            self.report.duplicates += 1;
            return;
        }
        self.report.added += 1;
        if let Value::Ref(id) = self.row[0] {
            self.db.register_fact_id(id, self.kind, i);
        }
    }

    /// Every `ref` value must be the id of a fact or an entity, once the file is in.
    fn check_refs(&mut self) {
        let refs = std::mem::take(&mut self.refs);
        for (sym, field, at) in refs {
            if self.db.fact_by_id(sym).is_none() && !self.db.has_entity(sym) {
                let d = self.error(
                    at,
                    format!(
                        "field `{field}`: `{}` is not the id of any fact",
                        self.db.interner.resolve(sym)
                    ),
                );
                self.report.errors.push(d);
            }
        }
        self.db.kind_mut(self.kind).relation.shrink_to_fit();
    }
}

/// Bytes read a block at a time: enough lines to keep every core busy, few enough that the
/// converted rows waiting to be added stay small.
#[cfg(not(test))]
pub(crate) const BLOCK: usize = 4 << 20;
/// The CSV reader's blocks: two are in hand at a time (one being added, the next being
/// converted), and 1 MiB took 30 MB less than 4 MiB at the peak of loading 1M events, in the
/// same time.
#[cfg(not(test))]
pub(crate) const CSV_BLOCK: usize = 1 << 20;
/// Small in unit tests, so a small file spans many blocks and pieces.
#[cfg(test)]
pub(crate) const BLOCK: usize = 1 << 13;
#[cfg(test)]
pub(crate) const CSV_BLOCK: usize = 1 << 13;

/// Appends up to `size` bytes to `block` (which may hold a part line from before) and
/// returns how many bytes of it are whole lines (all of them at the end of the file).
pub(crate) fn fill_block(
    reader: &mut impl Read,
    block: &mut Vec<u8>,
    size: usize,
) -> std::io::Result<usize> {
    let start = block.len();
    block.resize(start + size, 0);
    let mut filled = start;
    while filled < block.len() {
        match reader.read(&mut block[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let at_end = filled < block.len();
    block.truncate(filled);
    if at_end {
        return Ok(filled);
    }
    Ok(block.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1))
}

fn ref_sym(v: &Value) -> Sym {
    match v {
        Value::Ref(s) => *s,
        _ => Sym(u32::MAX),
    }
}

impl Session {
    /// Loads a CSV or JSON Lines file as facts of `kind` (see [`crate::load`]). Derived kinds
    /// are recomputed at the next query.
    pub fn import(&mut self, kind: &str, path: &str) -> Result<LoadReport, Diagnostic> {
        let progress = self.progress.clone().map(|line| {
            let (file, started) = (path.to_string(), Instant::now());
            Arc::new(move |rows, bytes, total| {
                line.load(&file, rows, bytes, total, started.elapsed());
            }) as LoadProgress
        });
        let opts = LoadOptions {
            max_errors: self.limits.max_errors,
            interrupt: Some(self.interrupt.clone()),
            progress,
        };
        let report = load_file(&mut self.db, kind, path, &opts);
        if let Some(line) = &self.progress {
            line.clear();
        }
        let report = report?;
        if report.added > 0 {
            self.derived_stale = true;
        }
        Ok(report)
    }

    /// `:import KIND FILE`: each bad row reported, then a line saying what was loaded.
    pub(crate) fn import_command(
        &mut self,
        args: &str,
        span: Span,
        sink: &mut dyn FnMut(Reply),
    ) -> Result<(), Diagnostic> {
        let mut words = args.splitn(2, char::is_whitespace);
        let (Some(kind), Some(path)) = (words.next().filter(|k| !k.is_empty()), words.next())
        else {
            return Err(
                Diagnostic::error("`:import` takes a kind and a file", span, "here")
                    .with_help("write e.g. `:import event data/events.csv`"),
            );
        };
        let path = path.trim().trim_matches('"');
        let report = self.import(kind, path)?;
        for d in &report.errors {
            self.report(d, sink);
        }
        sink(Reply::Note(format!("{}\n", report.summary())));
        if report.errors.is_empty() {
            Ok(())
        } else {
            Err(Diagnostic::plain(format!(
                "{} rows of `{path}` were rejected",
                report.errors.len()
            ))
            .with_help("correct them and import the file again: rows already loaded stay once"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    fn session() -> Session {
        let mut s = Session::new();
        s.load(
            "schema.dl",
            "kind event(type: text, actor: entity, n: number, date: date);\n\
             entity a1: person(); entity a2: person();",
        )
        .expect("schema");
        s.limits.max_errors = 1000;
        s
    }

    /// Lines spread over many blocks and pieces (read on every core) come out as a reader of
    /// one line after another reads them: rows in file order, each bad line reported at its
    /// own line and column, and the rest of the file after a quote read by the csv crate.
    #[test]
    fn a_csv_file_read_in_pieces_keeps_its_order_and_its_line_numbers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.csv");
        let mut csv = String::from("type,actor,n,date\n");
        let mut expected_errors = Vec::new();
        let mut good = Vec::new();
        let mut duplicates = 0;
        for line in 2..=6000u64 {
            let n = line * 7;
            match line {
                // The same as line 2 (its row was hashed by a worker, as this one is).
                _ if line % 101 == 0 && line % 500 != 0 => {
                    writeln!(csv, "t2,a1,14,2020-01-03").unwrap();
                    duplicates += 1;
                }
                _ if line % 997 == 0 => {
                    writeln!(csv, "t{},a1,{n},2020-13-01", line % 13).unwrap();
                    expected_errors.push((line, 5 + digits(line % 13) + digits(n)));
                }
                _ if line % 1499 == 0 => {
                    writeln!(csv, "t1,a1,{n}").unwrap();
                    expected_errors.push((line, 1));
                }
                _ if line % 2003 == 0 => {
                    writeln!(csv, "t1,zz,{n},2020-01-01").unwrap();
                    expected_errors.push((line, 4));
                }
                _ if line % 500 == 0 => writeln!(csv).unwrap(),
                4321 => {
                    writeln!(csv, "\"t, quoted\",a2,{n},2021").unwrap();
                    good.push(n);
                }
                // A byte that is not UTF-8 (`@@` below), in a piece that is then read field by
                // field; and texts that are UTF-8 but not ASCII, elsewhere.
                _ if line % 1201 == 0 => {
                    writeln!(csv, "t@@,a1,{n},2020-01-01").unwrap();
                    expected_errors.push((line, 1));
                }
                _ if line % 301 == 0 => {
                    writeln!(csv, "ملتقى {},a2,{n},2020-02-29", line % 3).unwrap();
                    good.push(n);
                }
                _ => {
                    writeln!(
                        csv,
                        "t{},a{},{n},2020-01-{:02}",
                        line % 13,
                        1 + line % 2,
                        1 + line % 28
                    )
                    .unwrap();
                    good.push(n);
                }
            }
        }
        let bytes: Vec<u8> = csv
            .split("@@")
            .collect::<Vec<_>>()
            .join("\u{1}")
            .bytes()
            .map(|b| if b == 1 { 0xff } else { b })
            .collect();
        std::fs::write(&path, &bytes).expect("written");
        let mut s = session();
        let report = s
            .import("event", path.to_str().expect("utf-8"))
            .expect("loads");
        let at: Vec<(u64, u64)> = report
            .errors
            .iter()
            .map(|d| {
                let m = d.message.split(':').collect::<Vec<_>>();
                (m[1].parse().unwrap(), m[2].parse().unwrap())
            })
            .collect();
        assert_eq!(at, expected_errors);
        let not_utf8 = report
            .errors
            .iter()
            .filter(|d| d.message.contains("not UTF-8"));
        assert_eq!(not_utf8.count(), 4, "lines 1201, 2402, 3603 and 4804");
        assert_eq!(report.added as usize, good.len());
        assert_eq!(report.duplicates, duplicates);
        let kind = s.db.kind_id("event").expect("event");
        let rel = &s.db.kind(kind).relation;
        let ns: Vec<u64> = (0..rel.len() as u32)
            .map(|i| match rel.get(i, 3) {
                Value::Num(n) => n as u64,
                _ => 0,
            })
            .collect();
        assert_eq!(ns, good);
        // Each row is found under the hash the relation gives it (the workers hashed most).
        for i in 0..rel.len() as u32 {
            assert_eq!(rel.find(&rel.row(i)), Some(i), "row {i}");
        }
    }

    /// The rows and reports of a CSV file, read by the quick reader or (with its header quoted)
    /// by the csv crate.
    fn read_csv(csv: &str, quoted_header: bool) -> (Vec<String>, Vec<String>) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.csv");
        let text = match quoted_header {
            true => csv.replacen("type", "\"type\"", 1),
            false => csv.to_string(),
        };
        std::fs::write(&path, text).expect("written");
        let mut s = session();
        let report = s
            .import("event", path.to_str().expect("utf-8"))
            .expect("loads");
        let rel = &s.db.kind(s.db.kind_id("event").expect("event")).relation;
        let text = |v: &Value| match v {
            Value::Text(t) | Value::Entity(t) => s.db.interner.resolve(*t).to_string(),
            v => format!("{v:?}"),
        };
        let rows = (0..rel.len() as u32)
            .map(|i| rel.row(i).iter().map(text).collect::<Vec<_>>().join(","))
            .collect();
        let errors = report
            .errors
            .iter()
            .map(|d| d.message.replace(path.to_str().unwrap(), ""));
        (rows, errors.collect())
    }

    /// Line ends written `\r\n`, empty lines, a line with a field too many or too few, and a
    /// last line with no line end: read by hand as the csv crate reads them, and reported at
    /// the same lines (the crate's own line numbers are off after `\r\n`).
    #[test]
    fn the_quick_csv_reader_splits_lines_as_the_csv_crate_does() {
        let mut csv = String::from("type,actor,n,date\r\n");
        for line in 2..3000 {
            match line % 7 {
                0 => csv.push_str("\r\n"),
                1 => csv.push('\n'),
                2 => writeln!(csv, "t{line},a1,{line},2020-01-01,extra").unwrap(),
                3 => writeln!(csv, "t{line},a2").unwrap(),
                4 => write!(csv, "t{line},,,\r\n").unwrap(),
                _ => write!(csv, "t{line},a{},{line},2020-01-02\r\n", 1 + line % 2).unwrap(),
            }
        }
        csv.push_str("last,a1,1,2021-05-06");
        let (rows, errors) = read_csv(&csv, false);
        let (crate_rows, crate_errors) = read_csv(&csv, true);
        assert!(
            rows.len() > 1000 && errors.len() > 700,
            "{} {}",
            rows.len(),
            errors.len()
        );
        for (quick, by_crate) in [(&rows, &crate_rows), (&errors, &crate_errors)] {
            let first = quick.iter().zip(by_crate).position(|(a, b)| a != b);
            assert_eq!(first.map(|i| (&quick[i], &by_crate[i])), None);
            assert_eq!(quick.len(), by_crate.len());
        }
    }

    fn digits(n: u64) -> u64 {
        n.to_string().len() as u64 + 1
    }

    #[test]
    fn a_json_lines_file_read_in_pieces_keeps_its_order_and_its_line_numbers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("events.jsonl");
        let mut text = String::new();
        let (mut bad, mut good) = (Vec::new(), Vec::new());
        for line in 1..=4000u64 {
            match line {
                _ if line % 701 == 0 => {
                    writeln!(text, "{{\"n\": {line}, \"date\": \"2020-02-30\"}}").unwrap();
                    bad.push(line);
                }
                _ if line % 901 == 0 => {
                    writeln!(text, "{{\"n\": {line},").unwrap();
                    bad.push(line);
                }
                _ if line % 333 == 0 => writeln!(text, "   ").unwrap(),
                _ => {
                    writeln!(
                        text,
                        "{{\"n\": {line}, \"actor\": \"a2\", \"type\": \"x\"}}"
                    )
                    .unwrap();
                    good.push(line);
                }
            }
        }
        std::fs::write(&path, &text).expect("written");
        let mut s = session();
        let report = s
            .import("event", path.to_str().expect("utf-8"))
            .expect("loads");
        let lines: Vec<u64> = report
            .errors
            .iter()
            .map(|d| d.message.split(':').nth(1).unwrap().parse().unwrap())
            .collect();
        assert_eq!(lines, bad);
        let kind = s.db.kind_id("event").expect("event");
        let rel = &s.db.kind(kind).relation;
        let ns: Vec<u64> = (0..rel.len() as u32)
            .map(|i| match rel.get(i, 3) {
                Value::Num(n) => n as u64,
                _ => 0,
            })
            .collect();
        assert_eq!(ns, good);
    }
}
