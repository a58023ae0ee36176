//! A fast path for the two statements fact files are made of — facts and entity declarations —
//! so that a file of a million facts loads at tens of megabytes a second. It reads the common
//! forms by hand and builds exactly the syntax tree the grammar would (spans included, down to
//! pest's habit of counting the blanks after a statement's last token into its span); anything
//! it is not sure of — an escape in a text, a keyword, an unexpected character — makes it give
//! up, and the grammar parses the piece instead, with its precise error reports.
//!
//! Invariant: for any piece, the fast path either gives up or returns what the grammar and
//! the tree builder would have returned (tested in `tests` below against the grammar).

use super::ast::{
    Citation, EntityDecl, Fact, FieldValue, Literal, Name, Provenance, Statement, Value,
};
use super::parse::{Grammar, Rule};
use crate::diagnostic::{SourceId, Span};
use hashbrown::HashMap;
use pest::Parser as _;

/// Remembers which words the grammar accepts as names (not keywords), so each distinct word is
/// asked about once.
#[derive(Default)]
pub struct Names {
    /// Lowercase words of up to 15 letters, packed into an integer (no string to compare).
    short: HashMap<u128, bool>,
    known: HashMap<String, bool>,
    /// The last names seen, by a few bits of their packed form: a fact file repeats the same
    /// field names on every line, and this answers for them without hashing.
    recent: [u128; 32],
}

thread_local! {
    /// The cache [`super::parse::fact_at`] uses when it reads a fact again.
    pub static NAMES: std::cell::RefCell<Names> = std::cell::RefCell::new(Names::default());
}

impl Names {
    fn is_name(&mut self, word: &str) -> bool {
        // Every keyword is a lowercase word (tested below), so `p01234` or `Tudor` is a name.
        // Lowercase words of up to 15 letters are packed with their length into an integer.
        let mut key = word.len() as u128;
        for (i, b) in word.bytes().enumerate() {
            if !b.is_ascii_lowercase() {
                return true;
            }
            if i < 15 {
                key |= u128::from(b) << (8 * (i + 1));
            }
        }
        let packed = (word.len() <= 15).then_some(key);
        let slot = packed.map(|k| {
            let folded = (k as u64) ^ ((k >> 64) as u64);
            (folded.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 59) as usize
        });
        if let (Some(k), Some(i)) = (packed, slot)
            && self.recent[i] == k
        {
            return true;
        }
        let cached = match packed {
            Some(k) => self.short.get(&k),
            None => self.known.get(word),
        };
        if let Some(&ok) = cached {
            if let (true, Some(k), Some(i)) = (ok, packed, slot) {
                self.recent[i] = k;
            }
            return ok;
        }
        let ok =
            matches!(Grammar::parse(Rule::name, word), Ok(p) if p.as_str().len() == word.len());
        match packed {
            Some(k) => {
                self.short.insert(k, ok);
            }
            None if self.known.len() < 100_000 => {
                self.known.insert(word.to_string(), ok);
            }
            None => {}
        }
        ok
    }
}

struct Cursor<'a, 'n> {
    /// False to only check that the piece reads (no strings or lists are built).
    build: bool,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    offset: usize,
    source: SourceId,
    names: &'n mut Names,
}

impl<'a, 'n> Cursor<'a, 'n> {
    fn new(
        text: &'a str,
        offset: usize,
        source: SourceId,
        names: &'n mut Names,
        build: bool,
    ) -> Cursor<'a, 'n> {
        Cursor {
            build,
            text,
            bytes: text.as_bytes(),
            pos: 0,
            offset,
            source,
            names,
        }
    }
}

/// Gives up on the fast path.
struct GiveUp;

type Fast<T> = Result<T, GiveUp>;

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Cursor<'_, '_> {
    /// `s` as an owned string, or an empty one (no allocation) when only checking.
    fn owned(&self, s: &str) -> String {
        if self.build {
            s.to_string()
        } else {
            String::new()
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.source, self.offset + start, self.offset + end)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The grammar's implicit whitespace and comments.
    #[inline]
    fn skip(&mut self) {
        if self.peek().is_some_and(|b| b > b'#' && b != 0xEF) {
            return;
        }
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(b'#') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.pos += 1;
                    }
                }
                Some(0xEF) if self.text[self.pos..].starts_with('\u{FEFF}') => self.pos += 3,
                _ => return,
            }
        }
    }

    #[inline]
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, b: u8) -> Fast<()> {
        if self.eat(b) { Ok(()) } else { Err(GiveUp) }
    }

    /// `[A-Za-z_][A-Za-z0-9_]*` at the cursor, without moving.
    #[inline]
    fn word_end(&self) -> Option<usize> {
        let first = self.peek()?;
        if !(first.is_ascii_alphabetic() || first == b'_') {
            return None;
        }
        let mut end = self.pos + 1;
        while self.bytes.get(end).is_some_and(|&b| is_name_char(b)) {
            end += 1;
        }
        Some(end)
    }

    /// A keyword such as `cite` (followed by no name character), consumed when present.
    #[inline]
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        if self.text[self.pos..].starts_with(kw)
            && !self.bytes.get(end).is_some_and(|&b| is_name_char(b))
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    /// A name (an identifier that is not a keyword).
    fn name(&mut self) -> Fast<Name> {
        let end = self.word_end().ok_or(GiveUp)?;
        let word = &self.text[self.pos..end];
        if !self.names.is_name(word) {
            return Err(GiveUp);
        }
        let name = Name {
            text: self.owned(word),
            span: self.span(self.pos, end),
        };
        self.pos = end;
        Ok(name)
    }

    fn keep<T>(&self, items: &mut Vec<T>, item: T) {
        if self.build {
            items.push(item);
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A text without escapes (one with an escape is left to the grammar).
    fn string(&mut self) -> Fast<(String, usize, usize)> {
        let start = self.pos;
        self.expect(b'"')?;
        let body = self.pos;
        let len = self.bytes[body..]
            .iter()
            .position(|&b| b == b'"' || b == b'\\')
            .ok_or(GiveUp)?;
        if self.bytes[body + len] == b'\\' {
            return Err(GiveUp);
        }
        self.pos = body + len + 1;
        Ok((self.owned(&self.text[body..body + len]), start, self.pos))
    }

    /// `value = { date | number | string | boolean | kw_unknown | list | name }`.
    fn value(&mut self) -> Fast<Value> {
        let start = self.pos;
        let lit = match self.peek().ok_or(GiveUp)? {
            b'0'..=b'9' => {
                if let Some(end) = self.date_end()? {
                    self.pos = end;
                    Literal::Date(self.owned(&self.text[start..end]))
                } else {
                    self.number()?
                }
            }
            b'-' => self.number()?,
            b'"' => Literal::Text(self.string()?.0),
            b'[' => self.list()?,
            _ => {
                if self.keyword("true") {
                    Literal::Bool(true)
                } else if self.keyword("false") {
                    Literal::Bool(false)
                } else if self.keyword("unknown") {
                    Literal::Unknown
                } else {
                    Literal::Name(self.name()?.text)
                }
            }
        };
        Ok(Value {
            lit,
            span: self.span(start, self.pos),
        })
    }

    /// The plain dates of the `date` rule (`DIGIT+ ~ ("-" ~ DIGIT+){1,2} ~ "~"? | DIGIT{4} ~ "~"`,
    /// and `2025/09/01`): where a date starting at the cursor ends, if one does. Gives up on
    /// the other EDTF forms (intervals, `?`, `%`), which the grammar reads.
    fn date_end(&self) -> Fast<Option<usize>> {
        let end = self.plain_date_end();
        let at = end.unwrap_or(self.pos + self.digits_ahead());
        let edtf = match self.bytes.get(at) {
            Some(b'/' | b'?' | b'%' | b'~') => true,
            Some(b'.') => self.bytes.get(at + 1) == Some(&b'.'),
            _ => false,
        };
        if edtf {
            return Err(GiveUp);
        }
        Ok(end)
    }

    /// How many digits follow the cursor.
    fn digits_ahead(&self) -> usize {
        self.bytes[self.pos..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    }

    fn plain_date_end(&self) -> Option<usize> {
        let b = self.bytes;
        let digits_from = |mut i: usize| {
            let s = i;
            while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
            (i > s).then_some(i)
        };
        let first = digits_from(self.pos)?;
        let mut end = first;
        let mut groups = 0;
        while groups < 2 {
            match b.get(end) {
                Some(b'-' | b'/') => match digits_from(end + 1) {
                    Some(e) => {
                        end = e;
                        groups += 1;
                    }
                    None => break,
                },
                _ => break,
            }
        }
        if groups == 2 || groups == 1 && first - self.pos == 4 {
            return Some(if b.get(end) == Some(&b'~') {
                end + 1
            } else {
                end
            });
        }
        (first - self.pos == 4 && b.get(first) == Some(&b'~')).then_some(first + 1)
    }

    /// `number = @{ "-"? ~ DIGIT+ ~ ("." ~ DIGIT+)? ~ !name_char }`.
    fn number(&mut self) -> Fast<Literal> {
        let start = self.pos;
        self.eat(b'-');
        if self.digits() == 0 {
            return Err(GiveUp);
        }
        if self.peek() == Some(b'.')
            && self
                .bytes
                .get(self.pos + 1)
                .is_some_and(|b| b.is_ascii_digit())
        {
            self.pos += 1;
            self.digits();
        }
        if self.peek().is_some_and(is_name_char) {
            return Err(GiveUp);
        }
        let n: f64 = self.text[start..self.pos].parse().map_err(|_| GiveUp)?;
        Ok(Literal::Number(n))
    }

    /// `open ~ (item ~ ("," ~ item)* ~ ","?)? ~ close`: a list's items or a fact's fields.
    fn separated<T>(
        &mut self,
        open: u8,
        close: u8,
        item: fn(&mut Self) -> Fast<T>,
    ) -> Fast<Vec<T>> {
        self.expect(open)?;
        self.skip();
        let mut items = Vec::new();
        if self.peek() != Some(close) {
            let v = item(self)?;
            self.keep(&mut items, v);
            loop {
                self.skip();
                if !self.eat(b',') {
                    break;
                }
                self.skip();
                if self.peek() == Some(close) {
                    break;
                }
                let v = item(self)?;
                self.keep(&mut items, v);
            }
        }
        self.skip();
        self.expect(close)?;
        Ok(items)
    }

    /// `list = { "[" ~ (value ~ ("," ~ value)* ~ ","?)? ~ "]" }`.
    fn list(&mut self) -> Fast<Literal> {
        Ok(Literal::List(self.separated(b'[', b']', Self::value)?))
    }

    /// `"(" ~ field_list? ~ ")"` where `field_list = field_value ~ ("," ~ field_value)* ~ ","?`.
    fn fields(&mut self) -> Fast<Vec<FieldValue>> {
        self.separated(b'(', b')', Self::field_value)
    }

    fn field_value(&mut self) -> Fast<FieldValue> {
        let name = self.name()?;
        self.skip();
        self.expect(b':')?;
        self.skip();
        let value = self.value()?;
        Ok(FieldValue {
            name,
            value,
            positional: false,
        })
    }

    /// `provenance = { citations? ~ inferred? ~ background? }`, entered after the blanks
    /// that follow `)`. Like the grammar, each part's blanks are skipped before the next part
    /// is tried, so the statement's span ends after them when a later part is missing.
    fn provenance(&mut self) -> Fast<Provenance> {
        let mut prov = Provenance::default();
        if self.keyword("cite") {
            self.skip();
            let c = self.citation()?;
            self.keep(&mut prov.cites, c);
            loop {
                self.skip();
                let save = self.pos;
                if !self.eat(b',') {
                    break;
                }
                self.skip();
                if !self.text[self.pos..].starts_with('p') {
                    self.pos = save;
                    break;
                }
                let c = self.citation()?;
                self.keep(&mut prov.cites, c);
            }
        }
        self.skip();
        if self.keyword("inferred") {
            self.skip();
            prov.inferred = Some(self.string()?.0);
        }
        self.skip();
        if self.keyword("background") {
            prov.is_background = true;
            self.skip();
            if self.peek() == Some(b'"') {
                prov.background = Some(self.string()?.0);
            }
        }
        Ok(prov)
    }

    /// `citation = { cite_ref ~ string? }`, `cite_ref = @{ "p" ~ DIGIT+ ~ "." ~ "s" ~ DIGIT+ }`.
    fn citation(&mut self) -> Fast<Citation> {
        let start = self.pos;
        self.expect(b'p')?;
        let p_start = self.pos;
        if self.digits() == 0 {
            return Err(GiveUp);
        }
        let paragraph = self.text[p_start..self.pos].parse().map_err(|_| GiveUp)?;
        self.expect(b'.')?;
        self.expect(b's')?;
        let s_start = self.pos;
        if self.digits() == 0 {
            return Err(GiveUp);
        }
        let sentence = self.text[s_start..self.pos].parse().map_err(|_| GiveUp)?;
        self.skip();
        let quote = if self.peek() == Some(b'"') {
            Some(self.string()?.0)
        } else {
            None
        };
        Ok(Citation {
            source: None,
            paragraph,
            sentence,
            quote,
            span: self.span(start, self.pos),
        })
    }

    /// After the statement: blanks, then `;` or the end, then nothing but blanks.
    fn end(&mut self) -> Fast<()> {
        self.skip();
        self.eat(b';');
        self.skip();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    /// A whole piece: the statement, then nothing but an optional `;`, blanks and comments.
    fn statement(&mut self) -> Fast<Statement> {
        let st = self.statement_body()?;
        self.end()?;
        Ok(st)
    }

    /// The statement at the cursor, up to its `;` (which must follow): the end of the
    /// statement is found while reading it.
    fn statement_to_semicolon(&mut self) -> Fast<Statement> {
        let st = self.statement_body()?;
        self.skip();
        self.expect(b';')?;
        Ok(st)
    }

    /// A fact or an entity declaration, without what may follow it.
    fn statement_body(&mut self) -> Fast<Statement> {
        self.skip();
        let start = self.pos;
        if self.keyword("entity") {
            // `entity id: type(fields) provenance`
            self.skip();
            let id = self.name()?;
            self.skip();
            self.expect(b':')?;
            self.skip();
            let entity_type = self.name()?;
            self.skip();
            let fields = self.fields()?;
            self.skip();
            let provenance = self.provenance()?;
            let span = self.span(start, self.pos);
            return Ok(Statement::Entity(EntityDecl {
                id,
                entity_type,
                fields,
                provenance,
                span,
            }));
        }
        let kind = self.name()?;
        self.skip();
        let fields = self.fields()?;
        self.skip();
        let provenance = self.provenance()?;
        let span = self.span(start, self.pos);
        Ok(Statement::Fact(Fact {
            kind,
            fields,
            provenance,
            span,
        }))
    }
}

/// The fact or entity declaration that `chunk` (a piece of a text starting at byte `offset`)
/// holds, when the fast path is sure of it; `None` leaves the piece to the grammar.
pub fn statement(
    chunk: &str,
    offset: usize,
    source: SourceId,
    names: &mut Names,
) -> Option<Statement> {
    read(chunk, offset, source, names, true)
}

/// Whether the fast path reads `chunk`, and as what: the statement comes back with its
/// spans but without its texts, names and lists (nothing is allocated for them).
pub fn check(chunk: &str, offset: usize, source: SourceId, names: &mut Names) -> Option<Statement> {
    read(chunk, offset, source, names, false)
}

/// The fact or entity declaration that starts at byte `start` of `text` (after blanks and
/// comments), read up to its `;`, and the byte just past that `;`: so a reader that splits a
/// text into statements need not scan this one twice. `build` as for [`statement`] against
/// [`check`]; `None` when the fast path is not sure of it.
pub fn statement_at(
    text: &str,
    start: usize,
    source: SourceId,
    names: &mut Names,
    build: bool,
) -> Option<(Statement, usize)> {
    let rest = &text[start..];
    let mut c = Cursor::new(rest, start, source, names, build);
    let st = c.statement_to_semicolon().ok()?;
    Some((st, start + c.pos))
}

fn read(
    chunk: &str,
    offset: usize,
    source: SourceId,
    names: &mut Names,
    build: bool,
) -> Option<Statement> {
    Cursor::new(chunk, offset, source, names, build)
        .statement()
        .ok()
}

/// A value of a plain fact, as written (no escapes, no lists).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Raw<'t> {
    Text(&'t str),
    Name(&'t str),
    Date(&'t str),
    Number(f64),
    Bool(bool),
    Unknown,
}

/// A plain fact — `kind(field: value, …);` with no citations, lists or escapes — read without
/// building a syntax tree. Reused from fact to fact (see [`plain_fact`]).
#[derive(Default)]
pub struct PlainFact<'t> {
    pub kind: &'t str,
    /// Each field's name, its value, and the value as written (for caches keyed by it).
    pub fields: Vec<(&'t str, Raw<'t>, &'t str)>,
    /// The statement's span, as the grammar gives it.
    pub span: Span,
}

/// Reads `chunk` (at byte `offset` of its text) as a plain fact into `out`; false for anything
/// else, which is then left to [`statement`] and the checker (nothing is lost but time).
pub fn plain_fact<'t>(
    chunk: &'t str,
    offset: usize,
    source: SourceId,
    out: &mut PlainFact<'t>,
) -> bool {
    out.fields.clear();
    // The cursor wants a cache of names; it goes unused (the piece's names were checked when
    // it was first read).
    NAMES.with_borrow_mut(|names| {
        Cursor::new(chunk, offset, source, names, false)
            .plain(out)
            .is_ok()
    })
}

impl<'a> Cursor<'a, '_> {
    /// A word (not checked against the keywords: the piece was read by [`check`] before).
    #[inline]
    fn word(&mut self) -> Fast<&'a str> {
        let end = self.word_end().ok_or(GiveUp)?;
        let text: &'a str = self.text;
        let w = &text[self.pos..end];
        self.pos = end;
        Ok(w)
    }

    fn raw_value(&mut self) -> Fast<Raw<'a>> {
        let text: &'a str = self.text;
        let start = self.pos;
        Ok(match self.peek().ok_or(GiveUp)? {
            b'0'..=b'9' => {
                if let Some(end) = self.date_end()? {
                    self.pos = end;
                    Raw::Date(&text[start..end])
                } else {
                    match self.number()? {
                        Literal::Number(n) => Raw::Number(n),
                        _ => return Err(GiveUp),
                    }
                }
            }
            b'-' => match self.number()? {
                Literal::Number(n) => Raw::Number(n),
                _ => return Err(GiveUp),
            },
            b'"' => {
                let (_, s, e) = self.string()?;
                Raw::Text(&text[s + 1..e - 1])
            }
            b'[' => return Err(GiveUp),
            _ => {
                if self.keyword("true") {
                    Raw::Bool(true)
                } else if self.keyword("false") {
                    Raw::Bool(false)
                } else if self.keyword("unknown") {
                    Raw::Unknown
                } else {
                    Raw::Name(self.word()?)
                }
            }
        })
    }

    fn plain(&mut self, out: &mut PlainFact<'a>) -> Fast<()> {
        self.skip();
        let start = self.pos;
        if self.keyword("entity") {
            return Err(GiveUp);
        }
        out.kind = self.word()?;
        self.skip();
        self.expect(b'(')?;
        self.skip();
        if self.peek() != Some(b')') {
            loop {
                let name = self.word()?;
                self.skip();
                self.expect(b':')?;
                self.skip();
                let v_start = self.pos;
                let value = self.raw_value()?;
                let text: &'a str = self.text;
                out.fields.push((name, value, &text[v_start..self.pos]));
                self.skip();
                if !self.eat(b',') {
                    break;
                }
                self.skip();
                if self.peek() == Some(b')') {
                    break;
                }
            }
        }
        self.skip();
        self.expect(b')')?;
        self.skip();
        // Citations and statuses are left to the full path.
        if self.keyword("cite") || self.keyword("inferred") || self.keyword("background") {
            return Err(GiveUp);
        }
        out.span = self.span(start, self.pos);
        self.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse::parse_with_grammar;

    /// The fast path agrees with the grammar, or gives up.
    fn same(text: &str) -> bool {
        let fast = statement(text, 0, 0, &mut Names::default());
        let slow = parse_with_grammar(text, 0);
        match fast {
            Some(f) => {
                assert_eq!(slow, Ok(vec![f]), "fast path differs on {text:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn agrees_with_the_grammar() {
        let sure = [
            "visit(partner: united_states, date: 2025-09-14);",
            "visit(id: v1, partner: \"US\", n: -2.5, ok: true, x: unknown,) cite p5.s1 \"في 14\", p2.s1;",
            "  # a comment\n visit ( partner : us , date : 2025-09 ) cite p1.s2 ;  ",
            "visit(date: 2023~) inferred \"why\" background \"note\";",
            "visit(date: 2023) cite p1.s1 background;",
            "visit(date: 2023/09/01) background ;\n# after",
            "visit() cite p1.s1 # c\n , p2.s2 \"q\"  ;",
            "visit(a: 12-3-4, b: 2025-01-01~, c: [\"a\", b, 3,], d: [])",
            "entity claude: person(name: \"Claude\", aliases: [\"Tudor\", \"تيودر\"]) cite p5.s1;",
            "entity x: country();",
            "visit(a: b) cite p1.s1  \n\n",
            "visit(whereabouts: b, indexed: unknownx, trueish: c);",
            "visit(a: 2025/2026, b: 12.5);",
        ];
        for t in sure {
            assert!(same(t), "the fast path gave up on {t:?}");
        }
        let unsure = [
            "visit(a: \"x\\\"y\");",
            "visit(where: 1);",
            "visit(a: 1) cite p0.s99999999999;",
            "within(a: ?x) :- visit(a: ?x);",
            "visit where partner = us;",
            "visit(a: 1) nonsense;",
            "entity(a: 1);",
            "visit(a: 12abc);",
            "kind visit(a: text);",
            "count(a: 1);",
            "visit(date: 2025-09-14/2025-09-23);",
            "visit(date: 2025?);",
            "visit(date: 2025-09%);",
            "visit(date: ../2025);",
            "visit(date: 2025-09/..);",
            "visit(date: 2023~/2025);",
        ];
        for t in unsure {
            assert!(!same(t), "the fast path should give up on {t:?}");
        }
    }

    /// A plain fact reads as the full fast path reads it: same kind, fields, values and span.
    #[test]
    fn plain_facts_agree_with_the_fast_path() {
        let texts = [
            "visit(partner: united_states, date: 2025-09-14);",
            "visit(id: v1, partner: \"US\", n: -2.5, ok: true, x: unknown,)",
            "  # a comment\n visit ( partner : us , date : 2025-09 ) # c\n ;  ",
            "visit(a: 12-3-4, b: 2025-01-01~, c: 7, d: false, e: 2023~)",
            "visit()",
            "visit(a: b)  \n\n",
            "visit(whereabouts: b, indexed: unknownx, trueish: c);",
        ];
        for t in texts {
            let mut plain = PlainFact::default();
            assert!(plain_fact(t, 3, 1, &mut plain), "{t:?}");
            let Some(Statement::Fact(f)) = statement(t, 3, 1, &mut Names::default()) else {
                panic!("the fast path reads {t:?}");
            };
            assert_eq!(plain.kind, f.kind.text);
            assert_eq!(plain.span, f.span, "{t:?}");
            assert_eq!(plain.fields.len(), f.fields.len());
            for ((name, raw, written), fv) in plain.fields.iter().zip(&f.fields) {
                assert_eq!(*name, fv.name.text);
                assert_eq!(*written, &t[fv.value.span.start - 3..fv.value.span.end - 3]);
                let same = match (raw, &fv.value.lit) {
                    (Raw::Text(a), Literal::Text(b))
                    | (Raw::Name(a), Literal::Name(b))
                    | (Raw::Date(a), Literal::Date(b)) => a == b,
                    (Raw::Number(a), Literal::Number(b)) => a == b,
                    (Raw::Bool(a), Literal::Bool(b)) => a == b,
                    (Raw::Unknown, Literal::Unknown) => true,
                    _ => false,
                };
                assert!(same, "{raw:?} against {:?} in {t:?}", fv.value.lit);
            }
        }
        // Citations, statuses, lists, escapes and entities are left to the full path.
        for t in [
            "visit(a: b) cite p1.s1;",
            "visit(a: b) inferred \"x\";",
            "visit(a: b) background;",
            "visit(a: [\"x\"]);",
            "visit(a: \"x\\\"y\");",
            "entity x: country();",
            "visit(a: b) visit(a: c);",
        ] {
            assert!(!plain_fact(t, 0, 0, &mut PlainFact::default()), "{t:?}");
        }
    }

    #[test]
    fn every_keyword_is_a_lowercase_word() {
        for kw in crate::syntax::keywords() {
            assert!(kw.bytes().all(|b| b.is_ascii_lowercase()), "{kw}");
            assert!(!Names::default().is_name(kw), "{kw} is taken for a name");
        }
        let grammar = include_str!("../../grammar/dalil.pest");
        for line in grammar.lines().filter(|l| l.starts_with("kw_")) {
            let word = line
                .split('"')
                .nth(1)
                .expect("a keyword rule quotes its word");
            assert!(word.bytes().all(|b| b.is_ascii_lowercase()), "{line}");
        }
    }

    /// Every statement of the article's fact base: the fast path reads nearly all of them, and
    /// reads each exactly as the grammar does.
    #[test]
    fn agrees_on_the_article() {
        let text = crate::session::ARTICLE;
        let (mut fast_count, mut all) = (0, 0);
        for piece in crate::syntax::split::split_statements(text) {
            let chunk = &text[piece.clone()];
            all += 1;
            if let Some(f) = statement(chunk, piece.start, 0, &mut Names::default()) {
                let slow = super::super::parse::grammar_piece(text, piece, 0);
                assert_eq!(slow, (vec![f], vec![]), "fast path differs on {chunk:?}");
                fast_count += 1;
            }
        }
        assert!(
            fast_count * 10 > all * 8,
            "{fast_count} of {all} pieces took the fast path"
        );
    }
}
