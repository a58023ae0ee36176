//! The terminal's size, so result tables and `why` trees fit its width and the pager knows its
//! height. Asked before each statement, since the window may have been resized; `COLUMNS` and
//! `LINES` stand in when the terminal does not say (or, for the width, when standard output is
//! not a terminal: `COLUMNS=60 dalil -c … | less`).

use std::io::IsTerminal;

/// Narrowest width worth fitting a table to.
const MIN_WIDTH: usize = 20;

/// The width to fit output to: standard output's terminal, else `COLUMNS`, else none.
pub fn terminal_width() -> Option<usize> {
    size()
        .map(|(w, _)| w)
        .or_else(|| from_env("COLUMNS"))
        .filter(|&w| w >= MIN_WIDTH)
}

/// The height of standard output's terminal, else `LINES`; none when standard output is not a
/// terminal (nothing is paged there).
pub fn terminal_height() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    size()
        .map(|(_, h)| h)
        .or_else(|| from_env("LINES"))
        .filter(|&h| h > 0)
}

/// Standard output's terminal size (columns, lines), when it is a terminal that says.
fn size() -> Option<(usize, usize)> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(&stdout).map(|(w, h)| (w.0 as usize, h.0 as usize))
}

fn from_env(name: &str) -> Option<usize> {
    std::env::var(name).ok()?.trim().parse().ok()
}
