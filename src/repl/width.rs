//! The terminal's width, so result tables and `why` trees fit it. Asked before each statement,
//! since the window may have been resized; `COLUMNS` stands in when the terminal does not say
//! (or when standard output is not a terminal: `COLUMNS=60 dalil -c … | less`).

use std::io::IsTerminal;

/// Narrowest width worth fitting a table to.
const MIN_WIDTH: usize = 20;

/// The width to fit output to: standard output's terminal, else `COLUMNS`, else none.
pub fn terminal_width() -> Option<usize> {
    let stdout = std::io::stdout();
    let asked = if stdout.is_terminal() {
        terminal_size::terminal_size_of(&stdout).map(|(w, _)| w.0 as usize)
    } else {
        None
    };
    asked
        .filter(|&w| w > 0)
        .or_else(|| std::env::var("COLUMNS").ok()?.trim().parse().ok())
        .filter(|&w| w >= MIN_WIDTH)
}
