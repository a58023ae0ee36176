//! CSV: a header naming fields of the kind, then one fact a line. Lines without quotes are
//! split by hand (the common case, and several times faster); from the first line with a
//! quote on, the `csv` crate reads the rest, quotes, embedded commas and newlines included.

use super::{At, Loader};
use crate::diagnostic::Diagnostic;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};

pub(super) fn read(loader: &mut Loader, file: File, size: u64) -> Result<(), Diagnostic> {
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
    let mut number = 1u64;
    let mut consumed = line.len() as u64;
    loop {
        if loader.should_stop() {
            return Ok(());
        }
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(|e| {
            loader.error(
                At {
                    line: number + 1,
                    column: 1,
                },
                e,
            )
        })?;
        if n == 0 {
            return Ok(());
        }
        number += 1;
        consumed += n as u64;
        if line.contains(&b'"') {
            let rest = std::io::Cursor::new(std::mem::take(&mut line)).chain(reader);
            return with_csv_crate(loader, rest, Some(columns), number - 1);
        }
        let fields = trim_end(&line);
        if fields.is_empty() {
            continue;
        }
        if loader.report.read == 1000 {
            // Room for the whole file at the bytes per row seen so far.
            loader.reserve((size / (consumed / 1000).max(1)) as usize + 1);
        }
        loader.begin_row();
        let mut bad = None;
        let mut count = 0;
        let mut start = 0usize;
        for field in fields.split(|&b| b == b',') {
            if let Some(&col) = columns.get(count)
                && bad.is_none()
            {
                let at = At {
                    line: number,
                    column: start as u64 + 1,
                };
                if let Err(d) = loader.set_text(col, field, at) {
                    bad = Some(d);
                }
            }
            count += 1;
            start += field.len() + 1;
        }
        if count != columns.len() && bad.is_none() {
            bad = Some(wrong_width(loader, number, count, columns.len()));
        }
        loader.end_row(
            bad,
            At {
                line: number,
                column: 1,
            },
        );
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
                let line = before + e.position().map_or(0, |p| p.line());
                loader
                    .report
                    .errors
                    .push(loader.error(At { line, column: 1 }, e));
                continue;
            }
        }
        let line = before + record.position().map_or(0, |p| p.line());
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
