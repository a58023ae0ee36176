//! Reading the files users name (scripts, fact files): bounded in size, so `/dev/zero` cannot
//! fill the memory, and with errors that say what to do.

use std::io::Read;

/// Reads `path` as UTF-8 text of at most `max` bytes. The error is a message and a help line
/// (`message\n  help: …`), ready to print after "Error: ".
pub fn read_source(path: &str, max: usize) -> Result<String, String> {
    use std::io::ErrorKind;
    let cannot = |e: std::io::Error| {
        let (what, help) = match e.kind() {
            ErrorKind::NotFound => (
                "there is no such file".to_string(),
                "check the name; a relative path starts from the current directory",
            ),
            ErrorKind::PermissionDenied => (
                "permission denied".to_string(),
                "check the file's permissions",
            ),
            ErrorKind::IsADirectory => ("it is a directory".to_string(), "name a file inside it"),
            _ => (e.to_string(), "check the name and the file"),
        };
        format!("cannot read `{path}`: {what}\n  help: {help}")
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() > max {
        return Err(format!(
            "`{path}` is more than {max} bytes\n  help: split it, or raise the limit with --max-input BYTES"
        ));
    }
    decode_text(bytes, &format!("`{path}`"))
}

/// The UTF-8 byte-order mark spreadsheet programs and Windows editors put first.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Text from bytes: UTF-8, without a byte-order mark; UTF-16 (told by its byte-order mark, as
/// Windows tools write it) is decoded. `what` names the input in the error ("`notes.dl`",
/// "standard input"), which is a message and a help line, like [`read_source`]'s.
pub fn decode_text(bytes: Vec<u8>, what: &str) -> Result<String, String> {
    if let Some(units) = utf16_units(&bytes) {
        return String::from_utf16(&units).map_err(|_| {
            format!(
                "{what} is UTF-16 text (it starts with a UTF-16 byte-order mark) with a broken \
                 character\n  help: save the file as UTF-8"
            )
        });
    }
    let bytes = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!(
            "{what} is not UTF-8 text: line {line} has a byte that is not UTF-8 (offset {at})\n  \
             help: save the file as UTF-8"
        )
    })
}

/// The 16-bit units of UTF-16 text that starts with its byte-order mark (little- or
/// big-endian), without the mark; `None` for anything else.
fn utf16_units(bytes: &[u8]) -> Option<Vec<u16>> {
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return None,
    };
    let body = &bytes[2..];
    Some(
        body.chunks(2)
            .map(|c| {
                let pair = [c[0], c.get(1).copied().unwrap_or(0)];
                if little {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect(),
    )
}

/// Skips a UTF-8 byte-order mark at the start of a data file (CSV, JSON Lines); fails on a
/// UTF-16 one, which the row readers cannot read, saying what to do.
pub fn skip_bom(file: &mut std::fs::File, path: &str) -> Result<(), String> {
    use std::io::{Seek, SeekFrom};
    let mut head = Vec::with_capacity(3);
    (&mut *file)
        .take(3)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read `{path}`: {e}"))?;
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "`{path}` is UTF-16 text (it starts with a UTF-16 byte-order mark)\n  \
             help: save it as UTF-8 (in a spreadsheet: \"CSV UTF-8\"), e.g. \
             `iconv -f UTF-16 -t UTF-8 {path} > new.csv`"
        ));
    }
    let skip = if head == UTF8_BOM { 3 } else { 0 };
    file.seek(SeekFrom::Start(skip))
        .map_err(|e| format!("cannot read `{path}`: {e}"))?;
    Ok(())
}
