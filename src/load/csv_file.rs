//! CSV: a header naming fields of the kind, then one fact a line. Lines without quotes are
//! split by hand (the common case, and several times faster), on every core: the file is read
//! a block of whole lines at a time, each block cut at line ends into pieces that workers
//! split and convert (numbers, dates, and each distinct text once per piece), and the pieces'
//! rows are then added in file order, so row ids and the lines and columns of reports are
//! those of a reader that reads one line after another. From the first line with a quote on,
//! the `csv` crate reads the rest, quotes, embedded commas and newlines included.

use super::{At, CSV_BLOCK, Loader, fill_block};
use crate::date::Date;
use crate::diagnostic::Diagnostic;
use crate::store::{Names, RowHasher, Sym, Type, Value, short_key};
use hashbrown::HashMap;
use rayon::prelude::*;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::ops::Range;
use std::rc::Rc;
use std::sync::Mutex;

pub(super) fn read(
    loader: &mut Loader,
    file: impl Read + Send,
    size: u64,
) -> Result<(), Diagnostic> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .map_err(|e| loader.error(At { line: 1, column: 1 }, e))?;
    if line.contains(&b'"') {
        // A quoted header: the csv crate reads everything.
        let rest = std::io::Cursor::new(std::mem::take(&mut line)).chain(reader);
        return with_csv_crate(loader, rest, None, 0);
    }
    let header = trim_end(&line);
    let names: Vec<&str> = header
        .split(|&b| b == b',')
        .map(|h| std::str::from_utf8(h).unwrap_or("?"))
        .collect();
    let columns = header_columns(loader, &names)?;
    let types: Vec<Type> = columns.iter().map(|&c| loader.field_type(c)).collect();
    let mut target = {
        let (db, kind) = loader.target();
        Target {
            names: db.names(),
            hasher: db.kind(kind).relation.row_hasher(),
            types,
            width: db.kind(kind).fields.len(),
            cell_of_column: (0..db.kind(kind).fields.len())
                .map(|col| columns.iter().position(|&c| c == col))
                .collect(),
            spare: Mutex::default(),
        }
    };
    // Lines read so far, and the bytes before the block (for the first reservation).
    let mut number = 1u64;
    let mut before = line.len() as u64;
    let read_error = |loader: &Loader, number: u64, e| {
        let at = At {
            line: number + 1,
            column: 1,
        };
        loader.error(at, e)
    };
    // A block of whole lines; the part line at its end waits for the next block. The workers
    // find a text the database holds at once, and hash the row for the duplicate check
    // (prefetched when it is added), but the texts of the first two blocks are new to them:
    // those blocks are small, so that this is true of a few lines only.
    let mut blocks = 0;
    let mut block_size = || {
        blocks += 1;
        if blocks <= 2 {
            CSV_BLOCK / 16
        } else {
            CSV_BLOCK
        }
    };
    let mut block = Vec::new();
    let mut whole =
        fill_block(&mut reader, &mut block, block_size()).map_err(|e| read_error(loader, 1, e))?;
    let mut parsed = target.parse(&block[..whole]);
    // The block before last, its memory reused for the next (fresh memory costs a page fault
    // every 4 KiB).
    let mut spare = Vec::new();
    loop {
        if block.is_empty() {
            // As a reader of one line after another would, look at the limits once more.
            loader.should_stop();
            return Ok(());
        }
        // The next block is read, split and converted while this one's rows are added (the
        // workers read a copy of the names, so the database may change meanwhile). Both on the
        // pool: a worker that is done with its side (the adding, or its pieces) takes pieces
        // of the other's, so no core waits while there is work.
        let (text, rest) = block.split_at(whole);
        crate::eval::start_pool();
        let (merged, (next, next_read, next_parsed)) = rayon::join(
            || merge_all(loader, text, &parsed, &columns, &mut number, before, size),
            || {
                let mut next = std::mem::take(&mut spare);
                next.clear();
                next.extend_from_slice(rest);
                let read = fill_block(&mut reader, &mut next, block_size());
                let parsed = match read {
                    Ok(n) if n > 0 => target.parse(&next[..n]),
                    _ => Vec::new(),
                };
                (next, read, parsed)
            },
        );
        let next_whole = *next_read.as_ref().unwrap_or(&0);
        match merged {
            Merged::Done => {}
            Merged::Stopped => return Ok(()),
            Merged::QuoteAt(offset) => {
                // From the first line with a quote on, the csv crate reads the rest: this
                // block from there, the next one as read, and the rest of the file.
                let mut rest = block[offset..whole].to_vec();
                rest.extend_from_slice(&next);
                let rest = std::io::Cursor::new(rest).chain(reader);
                return with_csv_crate(loader, rest, Some(columns), number);
            }
        }
        next_read.map_err(|e| read_error(loader, number, e))?;
        before += whole as u64;
        // Texts this block interned are found by the workers from the block after next on.
        target.names.interner.catch_up(&loader.target().0.interner);
        spare = std::mem::replace(&mut block, next);
        whole = next_whole;
        target.recycle(std::mem::replace(&mut parsed, next_parsed));
    }
}

/// Adds the rows of a block's pieces in order (see [`merge`]); stops at the first piece that
/// does not end with `Done`.
fn merge_all(
    loader: &mut Loader,
    text: &[u8],
    parsed: &[Piece],
    columns: &[usize],
    number: &mut u64,
    before: u64,
    size: u64,
) -> Merged {
    for piece in parsed {
        match merge(loader, text, piece, columns, number, before, size) {
            Merged::Done => {}
            stop => return stop,
        }
    }
    Merged::Done
}

/// The fewest bytes worth a worker of their own.
#[cfg(not(test))]
const MIN_PIECE: usize = 1 << 16;
#[cfg(test)]
const MIN_PIECE: usize = 1 << 9;

/// `text` cut at line ends into about four pieces a worker.
fn pieces(text: &[u8]) -> Vec<Range<usize>> {
    crate::eval::start_pool();
    let n = (rayon::current_num_threads() * 4).max(1);
    let step = (text.len() / n).max(MIN_PIECE);
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = match text.get(start + step..) {
            Some(rest) => rest
                .iter()
                .position(|&c| c == b'\n')
                .map_or(text.len(), |i| start + step + i + 1),
            None => text.len(),
        };
        out.push(start..end);
        start = end;
    }
    out
}

/// One field as a worker left it.
#[derive(Clone, Debug)]
enum Cell {
    /// Empty: unknown.
    Null,
    /// Converted already.
    Ready(Ready),
    /// A text (or an entity's name), by its number among the piece's distinct texts (each is
    /// converted once per piece when the rows are added), and the byte where it starts.
    Local(u32, u32),
    /// Converted when the row is added, as the one-thread reader would (a bad value, a fact
    /// id, a list): bytes `start..end` of the block.
    Later(u32, u32),
}

/// A value a worker converted (a [`Value`] may hold a list, which cannot cross threads).
#[derive(Clone, Copy, Debug)]
enum Ready {
    Num(f64),
    Date(Date),
    /// A single day (the common case of a date: a smaller value to copy), as days from the
    /// common era.
    Day(i32),
    Bool(bool),
    /// A text interned already.
    Text(Sym),
    /// An entity's name, resolved (entities are declared before a load).
    Entity(Sym),
}

impl Ready {
    fn value(self) -> Value {
        match self {
            Ready::Num(n) => Value::Num(n),
            Ready::Date(d) => Value::Date(d),
            Ready::Day(d) => Value::Date(Date::from_days(d)),
            Ready::Bool(b) => Value::Bool(b),
            Ready::Text(s) => Value::Text(s),
            Ready::Entity(s) => Value::Entity(s),
        }
    }
}

/// What the workers read while they convert a block: copies, since the rows of the block
/// before are added to the database meanwhile.
struct Target {
    /// The texts interned and the entities' names, as of the block before the one before.
    names: Names,
    /// The hash the relation gives a row.
    hasher: RowHasher,
    types: Vec<Type>,
    /// The kind's number of columns.
    width: usize,
    /// Per column of the kind, the header's field that gives it (`None`: none does).
    cell_of_column: Vec<Option<usize>>,
    /// The lines and cells of pieces already added, their memory reused for the next.
    spare: Mutex<Vec<(Vec<Line>, Vec<Cell>)>>,
}

/// A non-empty line of a piece.
#[derive(Clone, Copy, Debug)]
struct Line {
    /// Lines of the piece before this one.
    offset: u32,
    /// Bytes of the block where the line starts.
    start: u32,
    /// Values on the line (its cells are the first `min(values, columns)`).
    values: u32,
    /// The row's hash in the relation, when every cell was converted by the worker.
    hash: Option<u32>,
}

/// A piece of a block, split and converted by one worker.
struct Piece {
    lines: Vec<Line>,
    cells: Vec<Cell>,
    /// Per column: the distinct texts met, as byte ranges of the block, by local number.
    texts: Vec<Vec<(u32, u32)>>,
    /// Lines in the piece (up to the first quote, when there is one).
    count: u64,
    /// Where the first line with a quote starts, if any.
    quote: Option<usize>,
}

impl Piece {
    fn read(text: &[u8], range: Range<usize>, target: &Target) -> Piece {
        let types = &target.types;
        let width = types.len();
        let mut met: Vec<Met> = vec![Met::default(); width];
        let mut row = vec![Value::Null; target.width];
        // Room for every line at once: grown by doubling, the cells of a block would take up
        // to twice their size, and two blocks are in hand at a time.
        let lines = memchr::memchr_iter(b'\n', &text[range.clone()]).count() + 1;
        let (mut line_room, mut cell_room) = target
            .spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        line_room.clear();
        line_room.reserve(lines);
        cell_room.clear();
        cell_room.reserve(lines * width);
        let mut p = Piece {
            lines: line_room,
            cells: cell_room,
            texts: vec![Vec::new(); width],
            count: 0,
            quote: None,
        };
        // Checked once for the whole piece: a field cut at commas and line ends (ASCII) out of
        // valid UTF-8 is valid UTF-8.
        let utf8 = std::str::from_utf8(&text[range.clone()]).is_ok();
        // The lines before the first one with a quote are read here; the csv crate reads the
        // rest of the file.
        let end = match memchr::memchr(b'"', &text[range.clone()]) {
            Some(q) => {
                let line = memchr::memrchr(b'\n', &text[range.start..range.start + q])
                    .map_or(range.start, |i| range.start + i + 1);
                p.quote = Some(line);
                line
            }
            None => range.end,
        };
        // One pass over the commas and line ends (a file's last line may have no line end).
        let (mut line, mut field, mut values) = (range.start, range.start, 0u32);
        let ends = memchr::memchr2_iter(b',', b'\n', &text[range.start..end])
            .map(|i| range.start + i)
            .chain((end > range.start && text[end - 1] != b'\n').then_some(end));
        for at in ends {
            let line_end = at == end || text[at] == b'\n';
            let mut bytes = &text[field..at];
            if line_end {
                bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            }
            if let Some(&ty) = types.get(values as usize)
                && !(line_end && values == 0 && bytes.is_empty())
            {
                let i = values as usize;
                let (met, texts) = (&mut met[i], &mut p.texts[i]);
                let f = Field {
                    bytes,
                    start: field,
                    utf8,
                };
                p.cells.push(cell(f, ty, &target.names, met, texts));
            }
            values += 1;
            field = at + 1;
            if !line_end {
                continue;
            }
            p.count += 1;
            // An empty line (nothing but its end) is counted and holds no row.
            if values > 1 || !bytes.is_empty() {
                for _ in values as usize..width {
                    p.cells.push(Cell::Null);
                }
                let cells = &p.cells[p.cells.len() - width..];
                let hash = (values as usize == width)
                    .then(|| target.hash(cells, &mut row))
                    .flatten();
                p.lines.push(Line {
                    offset: p.count as u32 - 1,
                    start: line as u32,
                    values,
                    hash,
                });
            }
            (line, values) = (at + 1, 0);
        }
        p
    }
}

impl Target {
    /// Keeps the memory of pieces whose rows were added, for the pieces of a later block.
    fn recycle(&self, pieces: Vec<Piece>) {
        if let Ok(mut spare) = self.spare.lock() {
            spare.extend(pieces.into_iter().map(|p| (p.lines, p.cells)));
        }
    }

    /// `text` (whole lines) split and converted on every core, in pieces in file order.
    fn parse(&self, text: &[u8]) -> Vec<Piece> {
        pieces(text)
            .into_par_iter()
            .map(|range| Piece::read(text, range, self))
            .collect()
    }

    /// The hash of a line's row in the relation, when every cell is converted (else `None`);
    /// `row` is room for the row.
    fn hash(&self, cells: &[Cell], row: &mut [Value]) -> Option<u32> {
        let mut dated = false;
        for c in cells {
            match c {
                Cell::Ready(Ready::Day(_) | Ready::Date(_)) => dated = true,
                Cell::Local(..) | Cell::Later(..) => return None,
                Cell::Null | Cell::Ready(_) => {}
            }
        }
        // The row's values in the kind's order.
        let values = self
            .cell_of_column
            .iter()
            .map(|c| match c.map(|i| &cells[i]) {
                Some(Cell::Ready(v)) => v.value(),
                _ => Value::Null,
            });
        if dated {
            // A row with a date never packs: hashed as it comes, with no row built.
            return Some(self.hasher.hash_of_dated(values));
        }
        for (slot, v) in row.iter_mut().zip(values) {
            *slot = v;
        }
        Some(self.hasher.hash_of(row))
    }
}

/// A field of a line: its bytes, the byte of the block where it starts, and whether the piece
/// it is in is valid UTF-8 (then so is the field).
struct Field<'t> {
    bytes: &'t [u8],
    start: usize,
    utf8: bool,
}

/// How many of the short texts a worker met first in a column it keeps at hand.
const SHORT_TEXTS: usize = 16;

/// What a worker met in one column of its piece.
#[derive(Clone, Default)]
struct Met<'t> {
    /// Each distinct field not converted at once, and its cell.
    seen: HashMap<&'t [u8], Cell>,
    /// The first short texts found interned ([`short_key`] and symbol).
    short: Vec<(u128, Sym)>,
}

/// `s.trim()`, without a look at Unicode's spaces when `s` begins and ends with a visible
/// ASCII character (as ids, dates and numbers do).
#[inline]
fn trim(s: &str) -> &str {
    let visible = |b: u8| b > b' ' && b < 0x80;
    match s.as_bytes() {
        [first, .., last] if visible(*first) && visible(*last) => s,
        [only] if visible(*only) => s,
        _ => s.trim(),
    }
}

/// A field's cell: the conversions that need no change to the database are done here (a text
/// interned already, an entity's name, a number, a date).
fn cell<'t>(
    Field {
        bytes: field,
        start,
        utf8,
    }: Field<'t>,
    ty: Type,
    names: &Names,
    Met { seen, short }: &mut Met<'t>,
    texts: &mut Vec<(u32, u32)>,
) -> Cell {
    if field.is_empty() {
        return Cell::Null;
    }
    let later = Cell::Later(start as u32, (start + field.len()) as u32);
    let s = if utf8 {
        // SAFETY: the piece is valid UTF-8 and the field is cut out of it at ASCII bytes (a
        // comma, a line end), which never fall inside a character.
        unsafe { std::str::from_utf8_unchecked(field) }
    } else {
        match std::str::from_utf8(field) {
            Ok(s) => s,
            Err(_) => return later,
        }
    };
    let ready = match ty {
        Type::Text | Type::Entity => {
            // A text interned already, an entity by its id: found at once.
            let known = match ty {
                Type::Text => {
                    // A column of a few distinct short texts (a type, a category) finds them
                    // among the first it met, without hashing.
                    let key = short_key(field);
                    if let Some(k) = key
                        && let Some(&(_, sym)) = short.iter().find(|(x, _)| *x == k)
                    {
                        return Cell::Ready(Ready::Text(sym));
                    }
                    let sym = names.interner.get(s);
                    if let (Some(k), Some(sym)) = (key, sym)
                        && short.len() < SHORT_TEXTS
                    {
                        short.push((k, sym));
                    }
                    sym.map(Ready::Text)
                }
                _ => names.entity_by_id(trim(s)).map(Ready::Entity),
            };
            if let Some(v) = known {
                return Cell::Ready(v);
            }
            // Else (a new text, a name or alias, a mistake) each distinct one of the piece is
            // looked at once.
            let found = seen.entry(field).or_insert_with(|| match ty {
                // A new text is interned when the rows are added.
                Type::Text => {
                    texts.push((start as u32, (start + field.len()) as u32));
                    Cell::Local(texts.len() as u32 - 1, 0)
                }
                // An entity's name or alias; a name that is no entity's is reported when the
                // rows are added, in line order.
                _ => match names.resolve_entity(trim(s)) {
                    Some(e) => Cell::Ready(Ready::Entity(e)),
                    None => Cell::Later(0, field.len() as u32),
                },
            });
            return match *found {
                Cell::Local(id, _) => Cell::Local(id, start as u32),
                Cell::Later(_, len) => Cell::Later(start as u32, start as u32 + len),
                ref c => c.clone(),
            };
        }
        Type::Number => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Ready::Num),
        Type::Date => match Date::plain_day(trim(s)) {
            Some(day) => Some(Ready::Day(day)),
            None => Date::parse(trim(s)).ok().map(Ready::Date),
        },
        Type::Bool => match s.trim() {
            "true" => Some(Ready::Bool(true)),
            "false" => Some(Ready::Bool(false)),
            _ => None,
        },
        Type::Ref | Type::List => None,
    };
    ready.map_or(later, Cell::Ready)
}

/// How many rows ahead of the one being added the duplicate check's slot is prefetched.
const PREFETCH_AHEAD: usize = 8;

/// How adding a piece's rows ended.
enum Merged {
    Done,
    /// Too many errors, or an interrupt.
    Stopped,
    /// The piece stopped at a line with a quote, starting at this byte of the block.
    QuoteAt(usize),
}

/// Adds a piece's rows in order, as the one-thread reader would have: the same values, the
/// same reports at the same lines and columns, the same row ids.
fn merge(
    loader: &mut Loader,
    text: &[u8],
    piece: &Piece,
    columns: &[usize],
    number: &mut u64,
    before: u64,
    size: u64,
) -> Merged {
    let width = columns.len();
    // Per column and local text: its value once converted (`None`: not yet, or it failed).
    let mut values: Vec<Vec<Option<Value>>> =
        piece.texts.iter().map(|t| vec![None; t.len()]).collect();
    let base = *number;
    for (r, line) in piece.lines.iter().enumerate() {
        if loader.should_stop() {
            return Merged::Stopped;
        }
        // The duplicate check's cache miss for a row a few lines on, fetched meanwhile.
        if let Some(h) = piece.lines.get(r + PREFETCH_AHEAD).and_then(|l| l.hash) {
            loader.prefetch_row(h);
        }
        let line_no = base + u64::from(line.offset) + 1;
        if loader.report.read == 1000 {
            // Room for the whole file at the bytes per row seen so far.
            let per_row = (before + u64::from(line.start)) / 1000;
            loader.reserve((size / per_row.max(1)) as usize + 1);
        }
        loader.begin_row();
        let mut bad = None;
        let cells = &piece.cells[r * width..(r + 1) * width];
        let given = (line.values as usize).min(width);
        for (i, c) in cells[..given].iter().enumerate() {
            let col = columns[i];
            let at = |start: &u32| At {
                line: line_no,
                column: u64::from(start - line.start) + 1,
            };
            let result = match c {
                Cell::Null => Ok(()),
                Cell::Ready(v) => {
                    loader.set_value(col, v.value());
                    Ok(())
                }
                Cell::Local(id, start) => match &values[i][*id as usize] {
                    Some(v) => {
                        loader.set_value(col, v.clone());
                        Ok(())
                    }
                    None => {
                        let (s, e) = piece.texts[i][*id as usize];
                        let r = loader.set_text(col, &text[s as usize..e as usize], at(start));
                        if r.is_ok() {
                            values[i][*id as usize] = Some(loader.value(col).clone());
                        }
                        r
                    }
                },
                Cell::Later(s, e) => loader.set_text(col, &text[*s as usize..*e as usize], at(s)),
            };
            if let Err(d) = result {
                bad = Some(d);
                break;
            }
        }
        if line.values as usize != width && bad.is_none() {
            bad = Some(wrong_width(loader, line_no, line.values as usize, width));
        }
        let at = At {
            line: line_no,
            column: 1,
        };
        loader.end_row_hashed(bad, at, line.hash);
    }
    *number += piece.count;
    match piece.quote {
        Some(q) => Merged::QuoteAt(q),
        None => Merged::Done,
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn header_columns(loader: &Loader, names: &[&str]) -> Result<Vec<usize>, Diagnostic> {
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err(loader
            .error(At { line: 1, column: 1 }, "the file has no header")
            .with_help("the first line names the fields, e.g. `type,actor,partner,date`"));
    }
    loader.columns(names, At { line: 1, column: 1 })
}

fn wrong_width(loader: &Loader, line: u64, values: usize, fields: usize) -> Diagnostic {
    loader.error(
        At { line, column: 1 },
        format!("this line has {values} values, but the header names {fields} fields"),
    )
}

/// Reads the rest with the `csv` crate: `columns` when the header was read already, and
/// `before` lines of the file consumed before `input` starts.
fn with_csv_crate(
    loader: &mut Loader,
    input: impl Read,
    columns: Option<Vec<usize>>,
    before: u64,
) -> Result<(), Diagnostic> {
    let ends = Rc::new(RefCell::new(VecDeque::new()));
    let input = LineEnds {
        inner: input,
        read: 0,
        ends: ends.clone(),
    };
    let mut lines = Lines { ends, passed: 0 };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut record = csv::ByteRecord::new();
    let columns = match columns {
        Some(c) => c,
        None => {
            let ok = reader
                .read_byte_record(&mut record)
                .map_err(|e| loader.error(At { line: 1, column: 1 }, e))?;
            let names: Vec<&str> = if ok {
                record
                    .iter()
                    .map(|h| std::str::from_utf8(h).unwrap_or("?"))
                    .collect()
            } else {
                vec![]
            };
            header_columns(loader, &names)?
        }
    };
    loop {
        if loader.should_stop() {
            return Ok(());
        }
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                let line = before + e.position().map_or(0, |p| lines.at(p.byte()));
                loader
                    .report
                    .errors
                    .push(loader.error(At { line, column: 1 }, e));
                continue;
            }
        }
        let line = before + record.position().map_or(0, |p| lines.at(p.byte()));
        if record.len() == 1 && record[0].is_empty() {
            continue;
        }
        loader.begin_row();
        let mut bad = None;
        if record.len() != columns.len() {
            bad = Some(wrong_width(loader, line, record.len(), columns.len()));
        }
        let mut column = 1u64;
        for (field, &col) in record.iter().zip(&columns) {
            if bad.is_none()
                && let Err(d) = loader.set_text(col, field, At { line, column })
            {
                bad = Some(d);
            }
            column += field.len() as u64 + 1;
        }
        loader.end_row(bad, At { line, column: 1 });
    }
}

/// The input of the csv crate, with the offset of every `\r` and `\n` it reads: the crate's
/// own line numbers are off after a line that ends `\r\n` (rust-csv issue 395).
struct LineEnds<R> {
    inner: R,
    /// Bytes read so far.
    read: u64,
    /// The `\r` and `\n` bytes read and not yet passed by [`Lines::at`] (true: a `\n`).
    ends: Rc<RefCell<VecDeque<(u64, bool)>>>,
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut ends = self.ends.borrow_mut();
        let found = memchr::memchr2_iter(b'\r', b'\n', &buf[..n]);
        ends.extend(found.map(|i| (self.read + i as u64, buf[i] == b'\n')));
        self.read += n as u64;
        Ok(n)
    }
}

/// Line numbers from the line ends [`LineEnds`] saw.
struct Lines {
    ends: Rc<RefCell<VecDeque<(u64, bool)>>>,
    /// Line ends passed so far.
    passed: u64,
}

impl Lines {
    /// The line (from 1) of a record whose reading the crate says began at byte `offset`: the
    /// line of the first byte from there on that is no line end (the crate skips empty lines,
    /// and after a `\r\n` it begins at the `\n`). Offsets are asked in increasing order.
    fn at(&mut self, mut offset: u64) -> u64 {
        let mut ends = self.ends.borrow_mut();
        while let Some(&(at, newline)) = ends.front()
            && at <= offset
        {
            if at == offset {
                offset += 1;
            }
            ends.pop_front();
            self.passed += u64::from(newline);
        }
        self.passed + 1
    }
}
