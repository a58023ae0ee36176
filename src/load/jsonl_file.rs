//! JSON Lines: one JSON object a line, its keys fields of the kind. The file is read a block of
//! whole lines at a time; workers parse the block's lines, and the rows are then checked and
//! added in file order (so row ids and the lines of reports are those of a one-line-at-a-time
//! reader).

use super::{At, BLOCK, Loader, fill_block};
use crate::diagnostic::Diagnostic;
use crate::store::{Type, Value};
use rayon::prelude::*;

pub(super) fn read(loader: &mut Loader, mut file: impl std::io::Read) -> Result<(), Diagnostic> {
    let mut block = Vec::new();
    let mut number = 0u64;
    loop {
        let whole = fill_block(&mut file, &mut block, BLOCK).map_err(|e| {
            let at = At {
                line: number + 1,
                column: 1,
            };
            loader.error(at, format!("cannot read this line: {e}"))
        })?;
        if block.is_empty() {
            // As a reader of one line after another would, look at the limits once more.
            loader.should_stop();
            return Ok(());
        }
        let lines: Vec<&[u8]> = block[..whole].split_inclusive(|&c| c == b'\n').collect();
        crate::eval::start_pool();
        let parsed: Vec<Line> = lines.into_par_iter().map(Line::parse).collect();
        for line in parsed {
            if loader.should_stop() {
                return Ok(());
            }
            number += 1;
            let at = At {
                line: number,
                column: 1,
            };
            match line {
                Line::Blank => {}
                Line::NotUtf8 => {
                    return Err(loader.error(
                        at,
                        "cannot read this line: stream did not contain valid UTF-8",
                    ));
                }
                Line::Json(object) => {
                    loader.begin_row();
                    let bad = object
                        .map_err(|e| not_an_object(loader, &e, number))
                        .and_then(|o| row(loader, o, number))
                        .err();
                    loader.end_row(bad, at);
                }
            }
        }
        block.drain(..whole);
    }
}

/// One line, read by a worker.
enum Line {
    Blank,
    NotUtf8,
    Json(Result<serde_json::Map<String, serde_json::Value>, serde_json::Error>),
}

impl Line {
    fn parse(bytes: &[u8]) -> Line {
        match std::str::from_utf8(bytes) {
            Err(_) => Line::NotUtf8,
            Ok(s) if s.trim().is_empty() => Line::Blank,
            Ok(s) => Line::Json(serde_json::from_str(s)),
        }
    }
}

fn not_an_object(loader: &Loader, e: &serde_json::Error, number: u64) -> Diagnostic {
    let at = At {
        line: number,
        column: e.column() as u64,
    };
    loader
        .error(at, format!("not a JSON object: {e}"))
        .with_help(r#"write one object a line, e.g. {"type": "visit", "date": "2025-09-14"}"#)
}

fn row(
    loader: &mut Loader,
    object: serde_json::Map<String, serde_json::Value>,
    number: u64,
) -> Result<(), Diagnostic> {
    let at = At {
        line: number,
        column: 1,
    };
    let keys: Vec<&str> = object.keys().map(|k| k.as_str()).collect();
    let columns = loader.columns(&keys, at)?;
    for ((_, value), col) in object.iter().zip(columns) {
        let ty = loader.db.kind(loader.kind).fields[col].ty;
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(s) => loader.set_text(col, s.as_bytes(), at)?,
            serde_json::Value::Number(n) if ty == Type::Number => {
                let v = n.as_f64().filter(|f| f.is_finite());
                loader.set_value(col, v.map_or(Value::Null, Value::Num));
            }
            serde_json::Value::Number(n) if matches!(ty, Type::Date | Type::Text) => {
                loader.set_text(col, n.to_string().as_bytes(), at)?
            }
            serde_json::Value::Bool(b) if ty == Type::Bool => {
                loader.set_value(col, Value::Bool(*b))
            }
            serde_json::Value::Array(items) if ty == Type::List => {
                let mut list = Vec::new();
                for item in items {
                    match item {
                        serde_json::Value::String(s) => {
                            list.push(Value::Text(loader.db.interner.intern(s)))
                        }
                        _ => {
                            return Err(loader.error(at, "each item of a list must be a text"));
                        }
                    }
                }
                loader.set_value(col, Value::List(list.into()));
            }
            other => {
                let name = &loader.db.kind(loader.kind).fields[col].name;
                return Err(loader
                    .error(
                        at,
                        format!(
                            "field `{name}` is {} {ty}, but this is {}",
                            an(ty),
                            json_kind(other)
                        ),
                    )
                    .with_help(
                        "texts, entities, dates and ids are JSON strings; numbers are JSON numbers",
                    ));
            }
        }
    }
    Ok(())
}

fn an(t: Type) -> &'static str {
    if t == Type::Entity { "an" } else { "a" }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "true or false",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a text",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}
