//! Result sets written out: an aligned table for people, JSON and CSV for programs.

mod svg;
mod table;
mod wrap;

use crate::eval::ResultSet;
use crate::store::{Database, Value, format_number};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

pub use svg::{Picture, render_svg};
pub use table::{TableOptions, render_table, truncate};
pub use wrap::wrap_words;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    /// A standalone SVG picture: the timeline and/or the graph of the result.
    Svg(Picture),
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim() {
            "table" => Ok(Format::Table),
            "json" => Ok(Format::Json),
            "csv" => Ok(Format::Csv),
            "svg" => Ok(Format::Svg(Picture::Both)),
            "svg-timeline" => Ok(Format::Svg(Picture::Timeline)),
            "svg-graph" => Ok(Format::Svg(Picture::Graph)),
            other => Err(format!(
                "`{other}` is not an output format; the formats are table, json, csv and svg \
                 (or svg-timeline, svg-graph)"
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Svg(Picture::Both) => "svg",
            Format::Svg(Picture::Timeline) => "svg-timeline",
            Format::Svg(Picture::Graph) => "svg-graph",
        })
    }
}

/// A value as JSON: entities by name, dates as ISO text at their precision, lists as arrays.
struct JsonValue<'a>(&'a Database, &'a Value);

impl Serialize for JsonValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let JsonValue(db, v) = self;
        match v {
            Value::Null => s.serialize_none(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 9e15 => s.serialize_i64(*n as i64),
            Value::Num(n) => s.serialize_f64(*n),
            Value::List(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items.iter() {
                    seq.serialize_element(&JsonValue(db, i))?;
                }
                seq.end()
            }
            other => s.serialize_str(&db.display(other)),
        }
    }
}

struct JsonRow<'a>(&'a Database, &'a [String], &'a [Value]);

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.1.len()))?;
        for (k, v) in self.1.iter().zip(self.2) {
            map.serialize_entry(k, &JsonValue(self.0, v))?;
        }
        map.end()
    }
}

/// The rows as a JSON array of objects, one per row, keys in column order.
pub fn render_json(db: &Database, rs: &ResultSet) -> String {
    let rows: Vec<JsonRow> = rs
        .rows
        .iter()
        .map(|r| JsonRow(db, &rs.columns, r))
        .collect();
    let mut text = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// A value as JSON, for other modules (`why` as JSON).
pub fn json_value(db: &Database, v: &Value) -> serde_json::Value {
    serde_json::to_value(JsonValue(db, v)).unwrap_or(serde_json::Value::Null)
}

/// The rows as CSV with a header line; list items joined with `; `.
pub fn render_csv(db: &Database, rs: &ResultSet) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(&rs.columns);
    for row in &rs.rows {
        let cells: Vec<String> = row.iter().map(|v| csv_cell(db, v)).collect();
        let _ = w.write_record(&cells);
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn csv_cell(db: &Database, v: &Value) -> String {
    match v {
        Value::List(items) => items
            .iter()
            .map(|i| db.display(i))
            .collect::<Vec<_>>()
            .join("; "),
        Value::Num(n) => format_number(*n),
        other => db.display(other),
    }
}

/// The rows in `format`.
pub fn render(db: &Database, rs: &ResultSet, format: Format, opts: &TableOptions) -> String {
    match format {
        Format::Table => render_table(db, rs, opts),
        Format::Json => render_json(db, rs),
        Format::Csv => render_csv(db, rs),
        Format::Svg(picture) => render_svg(db, rs, picture),
    }
}

/// A control character as its Unicode control picture (ESC as `␛`, CR as `␍`, NUL as `␀`);
/// any other character (tab included) as it is. One character for one, so offsets in
/// characters still hold.
pub fn control_picture(c: char) -> char {
    match c {
        '\t' => c,
        '\0'..='\x1f' => char::from_u32(0x2400 + c as u32).unwrap_or('\u{fffd}'),
        '\x7f' => '\u{2421}',
        '\u{80}'..='\u{9f}' => '\u{fffd}',
        _ => c,
    }
}

/// Text with its control characters written as escapes — ESC as `\e`, CR as `\r`, NUL as
/// `\0`, any other as `\x1b`-style hex — so a value printed to a terminal cannot clear it,
/// move the cursor or set its title. Newlines and tabs stay (tables turn them into spaces).
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\x1b' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}
