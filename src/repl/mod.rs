//! The interactive prompt, on rustyline: a statement runs when it is complete (otherwise it goes
//! on at `   ...> `), history across sessions, completion and colours that know the database,
//! Ctrl-C to clear a line or stop a query, Ctrl-D to leave. Every statement goes through
//! [`Session::run`], like scripts and `-c`. docs/REPL.md describes it for users.

mod catalog;
mod complete;
mod context;
mod helper;
mod highlight;
mod history;
mod interrupt;
mod lex;
mod pager;
mod width;

pub use catalog::Catalog;
pub use history::history_path;
pub use width::terminal_width;

use crate::meta::meta_word_hint;
use crate::session::{Reply, Session};
use crate::syntax::is_incomplete;
use helper::DalilHelper;
use interrupt::CtrlC;
use pager::Pager;
use rustyline::Editor;
use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use std::io::Write;

const PROMPT: &str = "dalil> ";
const PROMPT_STYLED: &str = "\x1b[1;32mdalil>\x1b[0m ";
const CONTINUE: &str = "   ...> ";
const CONTINUE_STYLED: &str = "\x1b[32m   ...>\x1b[0m ";
/// Shown once per statement when it goes on at `...>`.
const CONTINUE_HINT: &str =
    "(the statement goes on — finish it here, or Ctrl-D / Ctrl-C to cancel it)";

/// When the prompt colours what is typed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set.
    #[default]
    Auto,
    Always,
    Never,
}

/// Options of the prompt.
#[derive(Clone, Debug, Default)]
pub struct ReplOptions {
    /// Neither read nor write the history file.
    pub no_history: bool,
    pub color: ColorWhen,
}

/// Runs the prompt until `:quit` or Ctrl-D. Returns the process exit code.
pub fn run(session: &mut Session, opts: &ReplOptions) -> i32 {
    let mut editor = match new_editor(session, opts) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Error: cannot start the prompt: {e}");
            return 2;
        }
    };
    let history = if opts.no_history {
        None
    } else {
        history_path()
    };
    if let Some(p) = &history {
        history::load(editor.history_mut(), p);
    }
    let ctrl_c = CtrlC::install(session.interrupt.clone(), session.progress.clone());
    let mut pager = Pager::from_env();
    println!("{}", welcome(session));
    let mut signature = Catalog::signature(&session.db);
    let mut pending = String::new();
    let mut history_warned = false;
    // Whether the continuation hint was shown for the statement being typed.
    let mut hinted = false;
    let color = dim_allowed(opts.color);
    let mut n = 0;
    loop {
        // rustyline shows the plain prompt when it does not colour.
        let prompt = if pending.is_empty() {
            (PROMPT, PROMPT_STYLED)
        } else {
            (CONTINUE, CONTINUE_STYLED)
        };
        if let Some(h) = editor.helper_mut() {
            h.earlier.clone_from(&pending);
        }
        let line = match editor.readline(&prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                // Ctrl-C drops the whole statement being typed, as in psql and DuckDB.
                pending.clear();
                hinted = false;
                continue;
            }
            Err(ReadlineError::Eof) if !pending.is_empty() => {
                // Ctrl-D at `...>` cancels the statement; at an empty `dalil>` it leaves.
                pending.clear();
                hinted = false;
                eprintln!("{}", dim("(statement cancelled)", color));
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("Error: {e}");
                break;
            }
        };
        if pending.is_empty() && line.trim().is_empty() {
            continue;
        }
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        if is_incomplete(&pending) {
            if !hinted {
                hinted = true;
                eprintln!("{}", dim(CONTINUE_HINT, color));
            }
            continue;
        }
        hinted = false;
        let statement = std::mem::take(&mut pending);
        if let Some(hint) = meta_word_hint(&statement)
            && !catalog_has_kind(&editor, statement.trim().trim_end_matches(';').trim_end())
        {
            // `help`, `exit`, `\q`: the user wants a meta-command, not a kind of that name.
            eprintln!(
                "Note: `{}` is not a statement here; {hint}",
                statement.trim()
            );
            continue;
        }
        history::add(
            editor.history_mut(),
            history.as_deref(),
            &statement,
            &mut history_warned,
        );
        n += 1;
        let quit = run_statement(
            session,
            &format!("<input {n}>"),
            &statement,
            ctrl_c.as_ref(),
            &mut pager,
        );
        let now = Catalog::signature(&session.db);
        if now != signature {
            signature = now;
            if let Some(h) = editor.helper_mut() {
                h.catalog = Catalog::of(&session.db);
            }
        }
        if quit {
            break;
        }
    }
    0
}

fn new_editor(
    session: &Session,
    opts: &ReplOptions,
) -> rustyline::Result<Editor<DalilHelper, DefaultHistory>> {
    let color = match opts.color {
        ColorWhen::Auto => ColorMode::Enabled,
        ColorWhen::Always => ColorMode::Forced,
        ColorWhen::Never => ColorMode::Disabled,
    };
    let config = Config::builder()
        .max_history_size(history::MAX_ENTRIES)?
        .history_ignore_dups(true)?
        .history_ignore_space(true)
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .color_mode(color)
        .build();
    let mut editor = Editor::with_config(config)?;
    editor.set_helper(Some(DalilHelper::new(Catalog::of(&session.db))));
    Ok(editor)
}

/// One line: what is loaded, and where help is.
fn welcome(session: &Session) -> String {
    let names: Vec<&str> = session.base.iter().map(|(n, _)| n.as_str()).collect();
    let embedded: Vec<&str> = crate::session::EMBEDDED.iter().map(|(n, _)| *n).collect();
    let base = if names.is_empty() {
        "no fact base".to_string()
    } else if names == embedded {
        "the article".to_string()
    } else {
        names.join(", ")
    };
    format!(
        "dalil {} · {base}: {} · :help for help, Ctrl-D to leave",
        env!("CARGO_PKG_VERSION"),
        session.describe()
    )
}

/// Runs one statement with Ctrl-C armed; results to stdout, reports to stderr. True on `:quit`.
/// When results may be paged, the replies are held until the statement ends and then shown
/// in order, the text between two notes through the pager if it is too tall; Ctrl-C is no
/// longer armed then, so quitting or interrupting the pager only returns to the prompt.
fn run_statement(
    session: &mut Session,
    name: &str,
    text: &str,
    ctrl_c: Option<&CtrlC>,
    pager: &mut Pager,
) -> bool {
    let width = width::terminal_width();
    session.settings.table.terminal_width = width;
    let mode = session.settings.pager;
    let paging = pager.active(mode);
    let mut quit = false;
    let mut held = Vec::new();
    let stdout = std::io::stdout();
    CtrlC::armed(ctrl_c, || {
        session.run(name, text, &mut |r| match r {
            Reply::Quit => quit = true,
            r if paging => held.push(r),
            Reply::Text(t) => {
                let mut out = stdout.lock();
                let _ = out.write_all(t.as_bytes());
                let _ = out.flush();
            }
            Reply::Note(t) | Reply::Error(t) => {
                let _ = stdout.lock().flush();
                eprint!("{t}");
            }
        })
    });
    // `:pager` may have just changed the mode: the statement's own output follows the new one.
    let mode = session.settings.pager;
    let height = width::terminal_height();
    let mut text = String::new();
    for r in held {
        match r {
            Reply::Text(t) => text.push_str(&t),
            Reply::Note(t) | Reply::Error(t) => {
                pager.print(&std::mem::take(&mut text), mode, width, height);
                eprint!("{t}");
            }
            Reply::Quit => {}
        }
    }
    if !text.is_empty() {
        pager.print(&text, mode, width, height);
    }
    quit
}

/// Whether a line on stderr may be dimmed: as the prompt's colours, on a terminal, not `NO_COLOR`.
fn dim_allowed(when: ColorWhen) -> bool {
    use std::io::IsTerminal;
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn dim(text: &str, color: bool) -> String {
    if color {
        format!("\x1b[2m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Whether the session has a kind of this name (so a bare `help` is a query, not a slip).
fn catalog_has_kind(editor: &Editor<DalilHelper, DefaultHistory>, name: &str) -> bool {
    editor.helper().is_some_and(|h| h.catalog.is_kind(name))
}
