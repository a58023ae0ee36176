//! JSON Lines: one JSON object a line, its keys fields of the kind.

use super::{At, Loader};
use crate::diagnostic::Diagnostic;
use crate::store::{Type, Value};
use std::fs::File;
use std::io::{BufRead, BufReader};

pub(super) fn read(loader: &mut Loader, file: File) -> Result<(), Diagnostic> {
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut number = 0u64;
    loop {
        if loader.should_stop() {
            break;
        }
        line.clear();
        number += 1;
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let at = At {
                    line: number,
                    column: 1,
                };
                return Err(loader.error(at, format!("cannot read this line: {e}")));
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        loader.begin_row();
        let at = At {
            line: number,
            column: 1,
        };
        let bad = row(loader, &line, number).err();
        loader.end_row(bad, at);
    }
    Ok(())
}

fn row(loader: &mut Loader, line: &str, number: u64) -> Result<(), Diagnostic> {
    let at = At {
        line: number,
        column: 1,
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(line).map_err(|e| {
            let at = At {
                line: number,
                column: e.column() as u64,
            };
            loader
                .error(at, format!("not a JSON object: {e}"))
                .with_help(
                    r#"write one object a line, e.g. {"type": "visit", "date": "2025-09-14"}"#,
                )
        })?;
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
