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
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!(
            "`{path}` is not UTF-8 text: line {line} has a byte that is not UTF-8 (offset {at})\n  \
             help: save the file as UTF-8"
        )
    })
}
