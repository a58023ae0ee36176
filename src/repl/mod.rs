//! The interactive prompt, on rustyline: multi-line statements (Enter on an incomplete
//! statement continues it), history, Ctrl-C and Ctrl-D.

use crate::session::{Reply, Session};
use crate::syntax::is_incomplete;
use rustyline::error::ReadlineError;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Completer, Editor, Helper, Highlighter, Hinter};
use std::io::Write;
use std::path::PathBuf;

/// The rustyline helper: knows when a statement is complete.
#[derive(Helper, Completer, Hinter, Highlighter)]
pub struct DalilHelper;

impl Validator for DalilHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if is_incomplete(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

/// Where history is kept: `$XDG_STATE_HOME/dalil/history` (or `~/.local/state/dalil/history`),
/// unless `DALIL_HISTORY` names a file.
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("DALIL_HISTORY") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(base.join("dalil").join("history"))
}

/// Options of the prompt.
#[derive(Clone, Debug, Default)]
pub struct ReplOptions {
    pub no_history: bool,
}

/// Runs the prompt until `:quit` or Ctrl-D. Returns the process exit code.
pub fn run(session: &mut Session, opts: &ReplOptions) -> i32 {
    let mut editor: Editor<DalilHelper, rustyline::history::DefaultHistory> = match Editor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Error: cannot start the prompt: {e}");
            return 2;
        }
    };
    editor.set_helper(Some(DalilHelper));
    let history = if opts.no_history {
        None
    } else {
        history_path()
    };
    if let Some(p) = &history {
        let _ = editor.load_history(p);
    }
    println!(
        "dalil {} — {}. Type :help for help, :help tour for a tour, Ctrl-D to leave.",
        env!("CARGO_PKG_VERSION"),
        session.describe()
    );
    let mut n = 0;
    loop {
        match editor.readline("dalil> ") {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = editor.add_history_entry(line.as_str());
                n += 1;
                let mut quit = false;
                session.run(&format!("<input {n}>"), &line, &mut |r| match r {
                    Reply::Text(t) => {
                        print!("{t}");
                    }
                    Reply::Note(t) | Reply::Error(t) => eprint!("{t}"),
                    Reply::Quit => quit = true,
                });
                let _ = std::io::stdout().flush();
                if quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("Error: {e}");
                break;
            }
        }
    }
    if let Some(p) = &history {
        if let Some(dir) = p.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(p);
    }
    0
}
