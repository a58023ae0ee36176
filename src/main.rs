//! The `dalil` command: arguments → mode (REPL, script, one statement, check) → exit code.
//! Exit status: 0 success, 1 a statement failed, 2 bad usage.

use dalil::output::Format;
use dalil::repl::{self, ReplOptions};
use dalil::session::{Reply, Session};
use std::io::{IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

const HELP: &str = "\
dalil — ask questions of facts traced to the article they come from

Usage:
  dalil [OPTIONS]                  start the interactive prompt on the article's facts
                                   (reads statements from standard input when it is not a terminal)
  dalil [OPTIONS] -c STATEMENTS    run statements and exit
  dalil [OPTIONS] run FILE…        run script files
  dalil [OPTIONS] check FILE…      check fact files: every mistake, then a summary

Options:
  -c, --command TEXT      statements to run (separate several with `;`)
  --facts FILE            load FILE instead of the embedded article fact base (repeatable)
  --format FORMAT         table (default), json or csv
  --color WHEN            auto (default: only on a terminal, not with NO_COLOR), always, never
  --no-history            do not read or write the prompt's history file
  --max-depth N           deepest bracket nesting accepted (default 128)
  --max-input BYTES       largest input accepted (default 67108864)
  --max-rows N            most rows a statement may produce (default 10000000)
  --timeout SECONDS       longest a statement may run (default 60)
  -h, --help              this help
  -V, --version           the version

Exit status: 0 success, 1 a statement failed, 2 bad usage.
Examples:
  dalil -c 'visit where partner = \"US\" after 2025-09-01'
  dalil -c 'visit where partner = \"RU\"' --format json
  dalil run examples/01-first-query.dl
";

#[derive(Default)]
struct Args {
    command: Option<String>,
    mode: Mode,
    files: Vec<String>,
    facts: Vec<String>,
    format: Option<Format>,
    color: Option<String>,
    no_history: bool,
    max_depth: Option<usize>,
    max_input: Option<usize>,
    max_rows: Option<u64>,
    timeout: Option<u64>,
}

#[derive(Default, PartialEq)]
enum Mode {
    #[default]
    Default,
    Run,
    Check,
}

fn usage_error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("Error: {msg}\n  help: `dalil --help` shows the usage");
    ExitCode::from(2)
}

fn parse_args() -> Result<Option<Args>, String> {
    use lexopt::prelude::*;
    let mut args = Args::default();
    let mut parser = lexopt::Parser::from_env();
    let number = |v: std::ffi::OsString, flag: &str| -> Result<u64, String> {
        v.to_string_lossy()
            .parse::<u64>()
            .map_err(|_| format!("{flag} takes a whole number, not `{}`", v.to_string_lossy()))
    };
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("dalil {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            Short('c') | Long("command") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                args.command = Some(v.to_string_lossy().into_owned());
            }
            Long("facts") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                args.facts.push(v.to_string_lossy().into_owned());
            }
            Long("format") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                args.format = Some(v.to_string_lossy().parse()?);
            }
            Long("color") | Long("colour") => {
                let v = parser
                    .value()
                    .map_err(|e| e.to_string())?
                    .to_string_lossy()
                    .into_owned();
                if !["auto", "always", "never"].contains(&v.as_str()) {
                    return Err(format!("--color takes auto, always or never, not `{v}`"));
                }
                args.color = Some(v);
            }
            Long("no-history") => args.no_history = true,
            Long("max-depth") => {
                args.max_depth = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--max-depth",
                )? as usize)
            }
            Long("max-input") => {
                args.max_input = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--max-input",
                )? as usize)
            }
            Long("max-rows") => {
                args.max_rows = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--max-rows",
                )?)
            }
            Long("timeout") => {
                args.timeout = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--timeout",
                )?)
            }
            Value(v) => {
                let v = v.to_string_lossy().into_owned();
                if args.mode == Mode::Default
                    && args.files.is_empty()
                    && (v == "run" || v == "check")
                {
                    args.mode = if v == "run" { Mode::Run } else { Mode::Check };
                } else if args.mode == Mode::Default {
                    return Err(format!(
                        "unexpected argument `{v}`; to run a script write `dalil run {v}`"
                    ));
                } else {
                    args.files.push(v);
                }
            }
            _ => return Err(arg.unexpected().to_string()),
        }
    }
    if args.mode != Mode::Default && args.files.is_empty() {
        return Err("name at least one FILE".into());
    }
    Ok(Some(args))
}

fn color_wanted(choice: Option<&str>) -> bool {
    match choice {
        Some("always") => true,
        Some("never") => false,
        _ => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

fn read_file(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{path}` is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Runs a text, printing results on stdout and reports on stderr; true when all went well.
fn run_text(session: &mut Session, name: &str, text: &str) -> (bool, bool) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let summary = session.run(name, text, &mut |r| match r {
        Reply::Text(t) => {
            let _ = out.write_all(t.as_bytes());
        }
        Reply::Note(t) | Reply::Error(t) => {
            let _ = out.flush();
            eprint!("{t}");
        }
        Reply::Quit => {}
    });
    let _ = out.flush();
    (summary.failed == 0, summary.quit)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => return usage_error(e),
    };
    let color = color_wanted(args.color.as_deref());

    if args.mode == Mode::Check {
        return check_files(&args.files, color);
    }

    let mut session = Session::new();
    session.settings.color = color;
    apply_limits(&mut session, &args);
    if args.facts.is_empty() {
        for (name, text) in dalil::session::EMBEDDED {
            if let Err(e) = session.load(name, text) {
                eprint!("{e}");
                return ExitCode::from(1);
            }
        }
    } else {
        for f in &args.facts {
            let text = match read_file(f) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::from(1);
                }
            };
            if let Err(e) = session.load(f, &text) {
                eprint!("{e}");
                eprintln!("Error: `{f}` could not be loaded");
                return ExitCode::from(1);
            }
        }
    }
    session.defined.clear();
    if let Some(f) = args.format {
        session.settings.format = f;
    }

    let mut ok = true;
    if let Some(cmd) = &args.command {
        ok &= run_text(&mut session, "<command line>", cmd).0;
    } else if args.mode == Mode::Run {
        for f in &args.files {
            match read_file(f) {
                Ok(text) => {
                    let (good, quit) = run_text(&mut session, f, &text);
                    ok &= good;
                    if quit {
                        break;
                    }
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ok = false;
                }
            }
        }
    } else if !std::io::stdin().is_terminal() {
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
            eprintln!("Error: cannot read standard input: {e}");
            return ExitCode::from(1);
        }
        match String::from_utf8(bytes) {
            Ok(text) => ok &= run_text(&mut session, "<stdin>", &text).0,
            Err(e) => {
                eprintln!(
                    "Error: standard input is not UTF-8 text (invalid byte at offset {})",
                    e.utf8_error().valid_up_to()
                );
                return ExitCode::from(1);
            }
        }
    } else {
        let opts = ReplOptions {
            no_history: args.no_history,
            color: match args.color.as_deref() {
                Some("always") => repl::ColorWhen::Always,
                Some("never") => repl::ColorWhen::Never,
                _ => repl::ColorWhen::Auto,
            },
        };
        return ExitCode::from(repl::run(&mut session, &opts) as u8);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn apply_limits(session: &mut Session, args: &Args) {
    if let Some(d) = args.max_depth {
        session.limits.parse.max_depth = d;
    }
    if let Some(m) = args.max_input {
        session.limits.parse.max_input = m;
    }
    if let Some(r) = args.max_rows {
        session.limits.max_rows = r;
    }
    if let Some(t) = args.timeout {
        session.limits.max_time = Duration::from_secs(t);
    }
}

/// `dalil check FILE…`: each file on its own, every mistake reported, then a summary.
fn check_files(files: &[String], color: bool) -> ExitCode {
    let mut all_ok = true;
    for f in files {
        let mut session = Session::new();
        session.settings.color = color;
        let text = match read_file(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("Error: {e}");
                all_ok = false;
                continue;
            }
        };
        let mut errors = 0;
        let summary = session.run(f, &text, &mut |r| {
            if let Reply::Error(e) = r {
                errors += 1;
                eprint!("{e}");
            }
        });
        if summary.failed == 0 && errors == 0 {
            println!("{f}: ok — {}", session.describe());
        } else {
            all_ok = false;
            println!(
                "{f}: {errors} error{} — what is valid: {}",
                if errors == 1 { "" } else { "s" },
                session.describe()
            );
        }
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
