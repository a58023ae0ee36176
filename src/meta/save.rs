//! `:save FILE` and `:save! FILE`: the session written as a fact file, without silently losing
//! someone else's work. The session remembers each file it loaded or saved by its content then
//! (length and hash); `:save` refuses to write over a file that changed on disk since (another
//! session saved to it, or it was edited), or over an existing file this session never read,
//! and says to use `:save!`, which overwrites anyway.

use crate::diagnostic::{Diagnostic, Span, quoted};
use crate::session::Session;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

/// A file's content as the session last saw it: its length on disk, and a hash of its text
/// as read (decoded: a byte-order mark dropped, UTF-16 made UTF-8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    hash: u64,
}

impl Stamp {
    fn of(len: u64, text: &str) -> Stamp {
        let mut h = DefaultHasher::new();
        text.as_bytes().hash(&mut h);
        Stamp {
            len,
            hash: h.finish(),
        }
    }
}

/// The files this session loaded or saved, each with its content as it was then.
#[derive(Clone, Debug, Default)]
pub struct SeenFiles(HashMap<PathBuf, Stamp>);

/// What `:save` finds at the path before writing.
#[derive(Debug, PartialEq)]
enum OnDisk {
    /// No file there (or nothing readable): writing loses nothing.
    Nothing,
    /// The file is as this session last loaded or saved it.
    AsSeen,
    /// The file changed since this session loaded or saved it.
    Changed,
    /// A file this session never loaded or saved.
    Unseen,
}

impl SeenFiles {
    /// Notes `path` as `text`, the text just read from it (by `:load` or `--facts`), so the
    /// file is not read a second time.
    pub fn remember(&mut self, path: &Path, text: &str) {
        if let Ok(meta) = std::fs::metadata(path) {
            self.0.insert(identity(path), Stamp::of(meta.len(), text));
        }
    }

    fn wrote(&mut self, path: &Path, text: &str) {
        self.0
            .insert(identity(path), Stamp::of(text.len() as u64, text));
    }

    fn on_disk(&self, path: &Path) -> OnDisk {
        let Ok(meta) = std::fs::metadata(path) else {
            return OnDisk::Nothing;
        };
        let Some(seen) = self.0.get(&identity(path)) else {
            return OnDisk::Unseen;
        };
        // Only a file of the same length is read to compare its content.
        if meta.len() != seen.len {
            return OnDisk::Changed;
        }
        let Ok(bytes) = std::fs::read(path) else {
            return OnDisk::Nothing;
        };
        match crate::files::decode_text(bytes, "") {
            Ok(text) if Stamp::of(meta.len(), &text) == *seen => OnDisk::AsSeen,
            _ => OnDisk::Changed,
        }
    }
}

/// The same file under whatever name it was given: `notes.dl`, `./notes.dl` and its absolute
/// path are one key (the directory resolved, so a file not yet written has one too).
fn identity(path: &Path) -> PathBuf {
    if let Ok(p) = path.canonicalize() {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match (dir.canonicalize(), path.file_name()) {
        (Ok(d), Some(name)) => d.join(name),
        _ => std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()),
    }
}

impl Session {
    /// Notes a fact file read at start (`--facts FILE`) as `text`, so that `:save FILE` may
    /// write it back.
    pub fn remember_file(&mut self, path: &str, text: &str) {
        self.seen_files.remember(Path::new(path), text);
    }

    /// `:save FILE` (`force` for `:save! FILE`): writes [`Session::saved_text`] after checking
    /// that it loads on its own and that no one else's work would be lost. Reports point at
    /// the file name (`at`), and name the file as the user wrote it.
    pub(super) fn save_file(
        &mut self,
        args: &str,
        span: Span,
        at: Span,
        force: bool,
    ) -> Result<String, Diagnostic> {
        let path = super::file_arg(args, span, "save")?;
        let text = self.saved_text();
        let mut check = Session::new();
        check.limits = self.limits.clone();
        if let Err(e) = check.load(&path, text.as_str()) {
            return Err(Diagnostic::error(
                "the session cannot be saved: the file would not load on its own",
                span,
                "here",
            )
            .with_note(e));
        }
        let file = Path::new(&path);
        if file.is_dir() {
            return Err(Diagnostic::error(
                format!("cannot write {}: it is a directory", quoted(&path)),
                at,
                "a directory",
            )
            .with_help("name a file inside it, e.g. `:save DIR/notes.dl`"));
        }
        if !force {
            self.refuse_overwrite(file, args, at)?;
        }
        write_atomically(file, &text).map_err(|e| cannot_write(&path, &e, at))?;
        self.seen_files.wrote(file, &text);
        let base: Vec<&str> = self.base.iter().map(|(n, _)| n.as_str()).collect();
        Ok(format!(
            "saved to {path}: {} statements typed in this session, after {}\n",
            self.defined.len(),
            if base.is_empty() {
                "no fact base".into()
            } else {
                base.join(", ")
            }
        ))
    }

    /// Refuses to write over a file whose content this session has not seen as it is now.
    fn refuse_overwrite(&self, file: &Path, args: &str, at: Span) -> Result<(), Diagnostic> {
        let shown = quoted(&file.to_string_lossy());
        let force = format!("to overwrite it anyway, write `:save! {}`", args.trim());
        match self.seen_files.on_disk(file) {
            OnDisk::Nothing | OnDisk::AsSeen => Ok(()),
            OnDisk::Changed => Err(Diagnostic::error(
                format!("{shown} changed on disk since this session loaded or saved it"),
                at,
                "changed since",
            )
            .with_help(format!(
                "{force} (what changed is lost), or save to another file"
            ))
            .with_note("another session may have saved to it, or someone edited it")),
            OnDisk::Unseen => Err(Diagnostic::error(
                format!("{shown} already exists, and this session did not load or save it"),
                at,
                "an existing file",
            )
            .with_help(format!(
                "{force} (its content is lost), or save to another file"
            ))),
        }
    }
}

/// The report for a failed write: the user's path, what went wrong in words (never the
/// temporary file's name, which the system's message may carry).
fn cannot_write(path: &str, e: &std::io::Error, at: Span) -> Diagnostic {
    let dir = match Path::new(path).parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let shown = quoted(&dir.to_string_lossy());
    let (what, help) = if !dir.exists() {
        (
            format!("there is no directory {shown}"),
            "create the directory first, or save elsewhere; a relative path starts from the \
             current directory",
        )
    } else if !dir.is_dir() {
        (
            format!("{shown} is not a directory"),
            "a file of that name is in the way; save elsewhere",
        )
    } else {
        match e.kind() {
            ErrorKind::PermissionDenied => (
                format!("permission denied in {shown}"),
                "save to a directory you can write to",
            ),
            ErrorKind::ReadOnlyFilesystem => (
                format!("{shown} is on a read-only file system"),
                "save to a directory you can write to",
            ),
            ErrorKind::StorageFull => (
                "the disk is full".to_string(),
                "free some space, or save elsewhere",
            ),
            _ => (system_words(e), "check the path and the directory"),
        }
    };
    Diagnostic::error(
        format!("cannot write {}: {what}", quoted(path)),
        at,
        "this file",
    )
    .with_help(help)
}

/// The system's words for an error, without any path a library added to them.
fn system_words(e: &std::io::Error) -> String {
    let text = match e.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => std::io::Error::from(e.kind()).to_string(),
    };
    // "Permission denied (os error 13)" → "permission denied".
    let text = text.split(" (os error").next().unwrap_or(&text);
    let mut chars = text.chars();
    chars.next().map_or(String::new(), |c| {
        c.to_lowercase().chain(chars).collect::<String>()
    })
}

/// Writes `text` to a temporary file beside `path`, then renames it over `path`: a crash
/// leaves either the old file or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(ErrorKind::NotADirectory.into());
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".dalil-save-")
        .tempfile_in(dir)?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    // The temporary file is private (0600); give the result the usual permissions.
    let permissions = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => default_permissions(tmp.as_file())?,
    };
    tmp.as_file().set_permissions(permissions)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(unix)]
fn default_permissions(_: &std::fs::File) -> std::io::Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions(f: &std::fs::File) -> std::io::Result<std::fs::Permissions> {
    Ok(f.metadata()?.permissions())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_known_by_the_text_read_from_it_until_it_changes_on_disk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bom.dl");
        let text = "kind note (text: text);\n";
        // On disk with a byte-order mark; the text read (and remembered) is without it.
        std::fs::write(&path, format!("\u{feff}{text}")).expect("write");
        let mut seen = SeenFiles::default();
        assert_eq!(seen.on_disk(&path), OnDisk::Unseen);
        seen.remember(&path, text);
        assert_eq!(seen.on_disk(&path), OnDisk::AsSeen);
        // Edited to the same length: its content is compared, and found changed.
        std::fs::write(&path, format!("\u{feff}{}", text.replace("note", "NOTE"))).expect("write");
        assert_eq!(seen.on_disk(&path), OnDisk::Changed);
        std::fs::remove_file(&path).expect("remove");
        assert_eq!(seen.on_disk(&path), OnDisk::Nothing);
        // What :save wrote is known as written.
        seen.wrote(&path, text);
        std::fs::write(&path, text).expect("write");
        assert_eq!(seen.on_disk(&path), OnDisk::AsSeen);
    }
}
