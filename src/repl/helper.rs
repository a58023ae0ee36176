//! The rustyline helper: completion, highlighting and hints, reading a [`Catalog`] snapshot of the
//! database that the prompt refreshes after each statement.
//!
//! Multi-line statements are gathered by the prompt loop itself (see `super::run`) rather than by
//! a rustyline `Validator`: rustyline draws the lines after the first without any prompt, and a
//! visible continuation prompt (`   ...> `, as in sqlite3) tells the user why Enter did not run
//! the statement. The lines typed so far are in `earlier`, so completion and colours still know
//! the statement's kind on a continuation line.

use super::catalog::Catalog;
use super::complete::{Proposal, propose};
use super::highlight::{HINT, highlight};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::{Context, Helper, Validator};
use std::borrow::Cow;

#[derive(Helper, Validator)]
pub struct DalilHelper {
    /// What completion and colours know of the database.
    pub catalog: Catalog,
    /// The lines of the statement typed before the current one (empty on the first line).
    pub earlier: String,
    files: FilenameCompleter,
    history: HistoryHinter,
}

impl DalilHelper {
    pub fn new(catalog: Catalog) -> DalilHelper {
        DalilHelper {
            catalog,
            earlier: String::new(),
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
        }
    }
}

impl Completer for DalilHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let (text, offset) = if self.earlier.is_empty() {
            (line[..pos].to_string(), 0)
        } else {
            (
                format!("{}\n{}", self.earlier, &line[..pos]),
                self.earlier.len() + 1,
            )
        };
        match propose(&self.catalog, &text) {
            Proposal::Files => self.files.complete(line, pos, ctx),
            Proposal::Items(start, candidates) => Ok((
                start.saturating_sub(offset).min(pos),
                candidates
                    .into_iter()
                    .map(|c| Pair {
                        display: c.display,
                        replacement: c.replacement,
                    })
                    .collect(),
            )),
        }
    }
}

/// The rest of a statement from history. A multi-line one shows its first line and `…`, and
/// taking the hint (→ or End) inserts all of it.
pub struct StatementHint {
    display: String,
    rest: String,
}

impl Hint for StatementHint {
    fn display(&self) -> &str {
        &self.display
    }

    fn completion(&self) -> Option<&str> {
        Some(&self.rest)
    }
}

impl Hinter for DalilHelper {
    type Hint = StatementHint;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<StatementHint> {
        // History holds whole statements: a continuation line has nothing to match there.
        if !self.earlier.is_empty() {
            return None;
        }
        let rest = self.history.hint(line, pos, ctx)?;
        let display = match rest.split_once('\n') {
            Some((first, _)) => format!("{first} …"),
            None => rest.clone(),
        };
        Some(StatementHint { display, rest })
    }
}

impl Highlighter for DalilHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Owned(highlight(&self.catalog, &self.earlier, line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("{HINT}{hint}\x1b[0m"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        // Any keystroke may change a token (a word becomes a keyword, a quote opens a text).
        true
    }
}
