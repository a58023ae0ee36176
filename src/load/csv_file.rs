//! CSV: a header naming fields of the kind, then one fact a line.

use super::{At, Loader};
use crate::diagnostic::Diagnostic;
use std::fs::File;

pub(super) fn read(loader: &mut Loader, file: File, size: u64) -> Result<(), Diagnostic> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let header = reader
        .byte_headers()
        .map_err(|e| loader.error(At { line: 1, column: 1 }, e))?
        .clone();
    let names: Vec<&str> = header
        .iter()
        .map(|h| std::str::from_utf8(h).unwrap_or("?"))
        .collect();
    if names.iter().all(|n| n.trim().is_empty()) {
        return Err(loader
            .error(At { line: 1, column: 1 }, "the file has no header")
            .with_help("the first line names the fields, e.g. `type,actor,partner,date`"));
    }
    let columns = loader.columns(&names, At { line: 1, column: 1 })?;
    let mut record = csv::ByteRecord::new();
    let mut reserved = false;
    loop {
        if loader.should_stop() {
            break;
        }
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                loader.report.errors.push(loader.error(At { line, column: 1 }, e));
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        if !reserved && loader.report.read == 1000 {
            // Room for the whole file at the bytes per row seen so far.
            let per_row = record.position().map_or(0, |p| p.byte()) / 1000;
            if per_row > 0 {
                loader.reserve((size / per_row) as usize + 1);
            }
            reserved = true;
        }
        loader.begin_row();
        let mut bad = None;
        if record.len() != columns.len() {
            bad = Some(loader.error(
                At { line, column: 1 },
                format!(
                    "this line has {} values, but the header names {} fields",
                    record.len(),
                    columns.len()
                ),
            ));
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
    Ok(())
}
