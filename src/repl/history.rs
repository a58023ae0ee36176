//! Where the prompt's history lives, and keeping it: one entry per statement (a multi-line
//! statement is one entry), appended to the file after each statement so that a crash loses
//! nothing and several sessions at once add to the same file.

use rustyline::history::History;
use std::path::{Path, PathBuf};

/// Most statements kept.
pub const MAX_ENTRIES: usize = 5000;

/// Where history is kept: `DALIL_HISTORY` if set, else `$XDG_STATE_HOME/dalil/history`, else
/// `~/.local/state/dalil/history`.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DALIL_HISTORY").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("dalil").join("history"))
}

/// Reads the history file into `history` (a missing file is an empty history).
pub fn load(history: &mut impl History, path: &Path) {
    if path.exists()
        && let Err(e) = history.load(path)
    {
        eprintln!("note: cannot read the history file {}: {e}", path.display());
    }
}

/// Adds `entry` and appends it to the file. Reports a failure once, then stays quiet.
pub fn add(history: &mut impl History, path: Option<&Path>, entry: &str, warned: &mut bool) {
    let _ = history.add(entry);
    let Some(path) = path else { return };
    let result = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => std::fs::create_dir_all(dir),
        _ => Ok(()),
    }
    .map_err(|e| e.to_string())
    .and_then(|()| history.append(path).map_err(|e| e.to_string()));
    if let Err(e) = result
        && !*warned
    {
        *warned = true;
        eprintln!(
            "note: cannot write the history file {}: {e} (set DALIL_HISTORY, or use --no-history)",
            path.display()
        );
    }
}
