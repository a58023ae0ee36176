//! The `dalil` command: arguments → mode (REPL, script, one statement, check) → exit code.
//! Exit status: 0 success, 1 a statement failed, 2 bad usage.

use dalil::diagnostic::Text;
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
  dalil run --echo [--step] FILE…  replay scripts for an audience: each statement, then its result
  dalil [OPTIONS] check FILE…      check scripts against the embedded article fact base (or
                                   the --facts files): every mistake, then a summary
  dalil check --facts FILE…        check fact files on their own
  dalil [OPTIONS] serve [LESSON…]  a local web page: editor, results, why trees, timeline, graph,
                                   lessons (default: those of examples/); see docs/SERVE.md

Options:
  -c, --command TEXT      statements to run (separate several with `;`)
  -e, --stop-on-error     scripts (run FILE, standard input, -c) stop at the first failed
                          statement; by default they go on and exit 1 at the end if any failed
  --facts FILE            load FILE instead of the embedded article fact base (repeatable)
  --load KIND=FILE        load a CSV (.csv) or JSON Lines (.jsonl, .ndjson) file as facts of
                          KIND, declared in a --facts file (repeatable; CSV: a header of fields)
  --max-errors N          bad rows reported by --load or :import before it stops (default 20)
  --timing                print the time of each file loaded and of each statement
  --format FORMAT         table (default), json, csv, or svg (the timeline and the graph of
                          the result; svg-timeline or svg-graph for one of them)
  --trust STATUS          show only rows at least this strong: stated, inferred or
                          background (the default: every row)
  --approx WIDENING       how far `possibly` widens an approximate date (2023~): 1 (one unit
                          of its own precision, the default), 0, \"2 years\", \"10 days\"
  --echo                  print each statement (and the comment above it) before its result
  --step                  --echo, and wait for Enter before running each statement
  --color WHEN            auto (default: only on a terminal, not with NO_COLOR), always, never
  --no-history            do not read or write the prompt's history file
  --max-depth N           deepest nesting of brackets and `not` accepted (default 128)
  --max-input BYTES       largest script, fact file or standard input (default 67108864)
  --max-rows N            most rows a statement may produce (default 10000000)
  --timeout SECONDS       longest a statement may run (default 60; 10 with serve)
  --listen ADDR           serve: the address to listen on (default 127.0.0.1:8420; port 0: any)
  --allow-files           serve: let statements read and write files (:load, :save, :import)
  --threads N             worker threads for rules and bulk loads (default: every core, or
                          DALIL_THREADS); answers are the same for any number
  --max-memory MB         most memory rules may fill with derived rows (default 384); a rule
                          whose kind grows past it (or past --max-rows) is set aside
  --engine ENGINE         local (default) or dataflow: derived kinds on differential dataflow,
                          updated incrementally as facts are added (docs/CLUSTER.md)
  --workers N             dataflow worker threads in each process (default 1)
  --processes N           dataflow processes; without --process, starts a local cluster of N
  --process I             this process's index in a cluster (0 prints the results)
  --hostfile FILE         the cluster's processes, one HOST:PORT per line
  -h, --help              this help
  -V, --version           the version

Exit status: 0 success, 1 a statement failed, 2 bad usage.
Examples:
  dalil -c 'visit where partner = \"US\" after 2025-09-01'
  dalil -c 'visit where partner = \"RU\"' --format json
  dalil run examples/01-first-query.dl
  dalil run --echo --step examples/05-rules.dl
  dalil -c 'dated_event' --format svg > timeline.svg
  dalil serve
";

#[derive(Default, Clone)]
struct Args {
    command: Option<String>,
    mode: Mode,
    files: Vec<String>,
    facts: Vec<String>,
    loads: Vec<(String, String)>,
    max_errors: Option<usize>,
    timing: bool,
    format: Option<Format>,
    approx: Option<dalil::date::Widening>,
    trust: Option<dalil::store::Status>,
    color: Option<String>,
    no_history: bool,
    echo: bool,
    step: bool,
    max_depth: Option<usize>,
    max_input: Option<usize>,
    max_rows: Option<u64>,
    max_memory: Option<u64>,
    threads: Option<usize>,
    timeout: Option<u64>,
    listen: Option<std::net::SocketAddr>,
    allow_files: bool,
    stop_on_error: bool,
    engine: Option<String>,
    workers: Option<usize>,
    processes: Option<usize>,
    process: Option<usize>,
    hostfile: Option<String>,
    /// The hosts of a local cluster, as process 0 hands them to the others.
    hosts: Option<String>,
}

#[derive(Default, PartialEq, Clone, Copy)]
enum Mode {
    #[default]
    Default,
    Run,
    Check,
    Serve,
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
            Short('e') | Long("stop-on-error") => args.stop_on_error = true,
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
            Long("trust") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy();
                args.trust = Some(dalil::store::Status::parse_trust(&v).ok_or_else(|| {
                    format!("--trust takes stated, inferred or background, not `{v}`")
                })?);
            }
            Long("approx") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                let w = dalil::date::Widening::parse(&v.to_string_lossy())
                    .map_err(|e| format!("--approx: {}; {}", e.message, e.help))?;
                args.approx = Some(w);
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
            Long("echo") => args.echo = true,
            Long("step") => {
                args.echo = true;
                args.step = true;
            }
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
            Long("load") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy().into_owned();
                match v.split_once('=') {
                    Some((kind, file)) if !kind.is_empty() && !file.is_empty() => {
                        args.loads.push((kind.to_string(), file.to_string()))
                    }
                    _ => return Err(format!("--load takes KIND=FILE, not `{v}`")),
                }
            }
            Long("max-errors") => {
                args.max_errors = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--max-errors",
                )? as usize)
            }
            Long("timing") => args.timing = true,
            Long("allow-files") => args.allow_files = true,
            Long("listen") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy();
                args.listen = Some(v.parse().map_err(|_| {
                    format!("--listen takes an address with a port, like 127.0.0.1:8420, not `{v}`")
                })?);
            }
            Long("max-rows") => {
                args.max_rows = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--max-rows",
                )?)
            }
            Long("threads") => {
                let n: u64 = number(parser.value().map_err(|e| e.to_string())?, "--threads")?;
                if n == 0 {
                    return Err("--threads takes a number of threads of at least 1".into());
                }
                args.threads = Some(n as usize);
            }
            Long("max-memory") => {
                args.max_memory = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--max-memory",
                )?)
            }
            Long("timeout") => {
                args.timeout = Some(number(
                    parser.value().map_err(|e| e.to_string())?,
                    "--timeout",
                )?)
            }
            Long("engine") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                let v = v.to_string_lossy().into_owned();
                if v != "local" && v != "dataflow" {
                    return Err(format!("--engine takes local or dataflow, not `{v}`"));
                }
                args.engine = Some(v);
            }
            Long("workers") => {
                let n = number(parser.value().map_err(|e| e.to_string())?, "--workers")?;
                args.workers = Some(n.max(1) as usize);
            }
            Long("processes") => {
                let n = number(parser.value().map_err(|e| e.to_string())?, "--processes")?;
                args.processes = Some(n.max(1) as usize);
            }
            Long("process") => {
                let n = number(parser.value().map_err(|e| e.to_string())?, "--process")?;
                args.process = Some(n as usize);
            }
            Long("hostfile") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                args.hostfile = Some(v.to_string_lossy().into_owned());
            }
            Long("hosts") => {
                let v = parser.value().map_err(|e| e.to_string())?;
                args.hosts = Some(v.to_string_lossy().into_owned());
            }
            Value(v) => {
                let v = v.to_string_lossy().into_owned();
                if args.mode == Mode::Default
                    && args.files.is_empty()
                    && (v == "run" || v == "check" || v == "serve")
                {
                    args.mode = match v.as_str() {
                        "run" => Mode::Run,
                        "check" => Mode::Check,
                        _ => Mode::Serve,
                    };
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
    if args.mode == Mode::Run && args.files.is_empty()
        || args.mode == Mode::Check && args.files.is_empty() && args.facts.is_empty()
    {
        return Err("name at least one FILE".into());
    }
    Ok(Some(args))
}

/// Colour for reports (on standard error).
fn color_wanted(choice: Option<&str>) -> bool {
    color_on(choice, std::io::stderr().is_terminal())
}

fn color_on(choice: Option<&str>, terminal: bool) -> bool {
    match choice {
        Some("always") => true,
        Some("never") => false,
        _ => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var("TERM").map_or(true, |t| t != "dumb")
        }
    }
}

/// Reads a script or fact file, at most `--max-input` bytes (see [`dalil::files::read_source`]).
fn read_file(path: &str) -> Result<String, String> {
    dalil::files::read_source(path, MAX_FILE.load(std::sync::atomic::Ordering::Relaxed))
}

/// The largest file [`read_file`] accepts: `--max-input`, once the arguments are read.
static MAX_FILE: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(64 * 1024 * 1024);

/// `--echo`: how statements are shown before they run, and where `--step` waits for Enter.
struct Demo {
    color: bool,
    /// The terminal (or standard input) to wait on; `None` once it is closed, or without --step.
    enter: Option<Box<dyn std::io::BufRead>>,
}

impl Demo {
    fn new(args: &Args) -> Option<Demo> {
        if !args.echo {
            return None;
        }
        let enter: Option<Box<dyn std::io::BufRead>> = if !args.step {
            None
        } else if let Ok(tty) = std::fs::File::open("/dev/tty") {
            Some(Box::new(std::io::BufReader::new(tty)))
        } else {
            Some(Box::new(std::io::stdin().lock()))
        };
        Some(Demo {
            color: color_on(args.color.as_deref(), std::io::stdout().is_terminal()),
            enter,
        })
    }

    /// Shows a statement like the prompt would (`dalil> `, `   ...> `), then waits if stepping.
    /// `gap`: the output before did not end with a blank line, so one is put before the echo.
    fn show(&mut self, echo: dalil::session::Echo, gap: bool) {
        let (grey, prompt, bold, reset) = if self.color {
            ("\x1b[90m", "\x1b[1;32m", "\x1b[1m", "\x1b[0m")
        } else {
            ("", "", "", "")
        };
        let mut text = String::from(if gap { "\n" } else { "" });
        for line in echo.comment.lines() {
            text.push_str(&format!("{grey}{line}{reset}\n"));
        }
        for (i, line) in echo.statement.lines().enumerate() {
            let p = if i == 0 { "dalil>" } else { "   ...>" };
            text.push_str(&format!("{prompt}{p}{reset} {bold}{line}{reset}\n"));
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
        if let Some(enter) = &mut self.enter {
            let mut line = String::new();
            if !matches!(enter.read_line(&mut line), Ok(n) if n > 0) {
                self.enter = None;
            }
        }
    }
}

/// Runs a text, printing results on stdout and reports on stderr; true when all went well.
/// With a [`Demo`], each statement is shown before it runs.
fn run_text(
    session: &mut Session,
    name: &str,
    text: &str,
    demo: Option<&mut Demo>,
) -> (bool, bool) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Whether the output so far ends with a blank line (or nothing), for --echo's spacing.
    let spaced = std::cell::Cell::new(true);
    #[cfg(feature = "dataflow")]
    let quiet = session.is_secondary_process();
    #[cfg(not(feature = "dataflow"))]
    let quiet = false;
    let mut sink = |r| match r {
        // Only process 0 of a cluster prints: the others compute the same statements.
        _ if quiet => {}
        Reply::Text(t) => {
            spaced.set((t.is_empty() && spaced.get()) || t.ends_with("\n\n"));
            let _ = out.write_all(t.as_bytes());
        }
        Reply::Note(t) | Reply::Error(t) => {
            spaced.set(false);
            let _ = out.flush();
            eprint!("{t}");
        }
        Reply::Quit => {}
    };
    let summary = match demo {
        Some(demo) => session.run_each(
            name,
            text,
            &mut |e| {
                demo.show(e, !spaced.get());
                spaced.set(true);
            },
            &mut sink,
        ),
        None => session.run(name, text, &mut sink),
    };
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
    // Rules and bulk loads share one pool of worker threads, as many as asked for (0: every
    // core, counted only then), started when work first needs it (a quick query starts none).
    dalil::eval::set_pool_threads(args.threads.unwrap_or(0));
    // Before any file is read: the --facts files below are read before the session exists.
    if let Some(m) = args.max_input {
        MAX_FILE.store(m, std::sync::atomic::Ordering::Relaxed);
    }

    if args.mode == Mode::Check && args.files.is_empty() {
        return check_files(&args.facts, None, color);
    }

    let mut facts = Vec::new();
    for f in &args.facts {
        match read_file(f) {
            Ok(t) => facts.push((f.clone(), Text::from(t))),
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::from(1);
            }
        }
    }
    if args.mode == Mode::Serve {
        if args.engine.is_some() || args.workers.is_some() || args.processes.is_some() {
            return usage_error(
                "serve runs on dalil's own engine: leave out --engine and its options",
            );
        }
        return serve(args, facts, color);
    }
    if args.mode == Mode::Check {
        let base = match open_session(&args, &facts, color, None) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let name = if facts.is_empty() {
            let names: Vec<&str> = dalil::session::EMBEDDED.iter().map(|(n, _)| *n).collect();
            format!("the embedded article fact base ({})", names.join(", "))
        } else {
            format!("the fact base {}", args.facts.join(", "))
        };
        return check_files(&args.files, Some((&base, &name)), color);
    }
    #[cfg(feature = "dataflow")]
    let (engine, cluster) = match dataflow_options(&args) {
        Ok(c) => c,
        Err(code) => return code,
    };
    #[cfg(not(feature = "dataflow"))]
    let engine = match args.engine.as_deref() {
        Some("dataflow") => {
            return usage_error(
                "this dalil was built without the dataflow engine (feature `dataflow`)",
            );
        }
        _ => None,
    };
    let mut session = match open_session(&args, &facts, color, engine) {
        Ok(s) => s,
        Err(code) => return code,
    };

    // Tables and `why` trees fit the terminal (or `COLUMNS`); piped output is not narrowed.
    session.settings.table.terminal_width = repl::terminal_width();
    let mut demo = Demo::new(&args);
    let mut ok = true;
    if let Some(cmd) = &args.command {
        ok &= run_text(&mut session, "<command line>", cmd, demo.as_mut()).0;
    } else if args.mode == Mode::Run {
        for f in &args.files {
            match read_file(f) {
                Ok(text) => {
                    let (good, quit) = run_text(&mut session, f, &text, demo.as_mut());
                    ok &= good;
                    if quit || !good && args.stop_on_error {
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
        let max = session.limits.parse.max_input;
        // One byte more than the limit is enough to know it is over.
        let read = std::io::stdin()
            .take(max as u64 + 1)
            .read_to_end(&mut bytes);
        if let Err(e) = read {
            eprintln!("Error: cannot read standard input: {e}");
            return ExitCode::from(1);
        }
        if bytes.len() > max {
            eprintln!(
                "Error: standard input is more than {max} bytes\n  \
                 help: split it, or raise the limit with --max-input BYTES"
            );
            return ExitCode::from(1);
        }
        match dalil::files::decode_text(bytes, "standard input") {
            Ok(text) => ok &= run_text(&mut session, "<stdin>", &text, demo.as_mut()).0,
            Err(e) => {
                eprintln!("Error: {e}");
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
    #[cfg(feature = "dataflow")]
    {
        // The workers stop with the session; then the other processes of a local cluster end.
        drop(session);
        if let Some(cluster) = cluster
            && !cluster.finish(Duration::from_secs(60))
        {
            eprintln!("Error: a process of the local cluster failed");
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A session on the fact base the arguments name (the embedded article by default), with
/// `--load` files, limits and format applied.
fn open_session(
    args: &Args,
    facts: &[(String, Text)],
    color: bool,
    engine: Option<EngineOptions>,
) -> Result<Session, ExitCode> {
    let mut session = Session::new();
    session.settings.color = color;
    apply_limits(&mut session, args);
    // The other processes of a cluster compute what process 0 prints, silently.
    let secondary = args.process.is_some_and(|p| p > 0);
    session.settings.timing &= !secondary;
    // Long work shows progress on a terminal (not for the server, nor a cluster's other
    // processes).
    if !secondary && args.mode != Mode::Serve {
        session.progress = dalil::progress::ProgressLine::on_stderr();
    }
    #[cfg(feature = "dataflow")]
    if let Some(options) = engine {
        start_engine(&mut session, options)?;
    }
    #[cfg(not(feature = "dataflow"))]
    let _ = engine;
    if facts.is_empty() {
        // --max-input limits what the user gives, not the embedded fact base.
        let max_input = std::mem::replace(&mut session.limits.parse.max_input, usize::MAX);
        // From the start-up snapshot when there is one (src/snapshot.rs).
        if let Err(e) = session.load_embedded() {
            eprint!("{e}");
            return Err(ExitCode::from(1));
        }
        session.limits.parse.max_input = max_input;
    } else {
        for (f, text) in facts {
            let started = std::time::Instant::now();
            if let Err(e) = session.load(f, text) {
                eprint!("{e}");
                eprintln!("Error: `{f}` could not be loaded");
                return Err(ExitCode::from(1));
            }
            // `:save` may write it back (the file is as this session read it).
            session.remember_file(f, text);
            if session.settings.timing {
                eprintln!(
                    "Loaded {f} in {:.1} ms",
                    started.elapsed().as_secs_f64() * 1000.0
                );
            }
        }
    }
    if !load_bulk(&mut session, args) {
        return Err(ExitCode::from(1));
    }
    session.defined.clear();
    if let Some(f) = args.format {
        session.settings.format = f;
    }
    session.settings.stop_on_error = args.stop_on_error;
    Ok(session)
}

/// `dalil serve`: checks that the fact base loads, then serves it until Ctrl-C.
fn serve(mut args: Args, facts: Vec<(String, Text)>, color: bool) -> ExitCode {
    use dalil::serve::{ServeOptions, serve};
    args.timeout = args.timeout.or(Some(10));
    if let Err(code) = open_session(&args, &facts, color, None) {
        return code;
    }
    let mut options = ServeOptions::new(8420);
    if let Some(addr) = args.listen {
        options.listen = addr;
    }
    options.allow_files = args.allow_files;
    if !args.files.is_empty() {
        options.lessons.clear();
        for f in &args.files {
            match read_file(f) {
                Ok(t) => options.lessons.push((f.clone(), t)),
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    let factory = std::sync::Arc::new(move || {
        open_session(&args, &facts, false, None)
            .map_err(|_| "the fact base could not be loaded".into())
    });
    match serve(options, factory) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: cannot serve: {e}");
            ExitCode::from(1)
        }
    }
}

/// The dataflow engine's options (`()` when dalil is built without it).
#[cfg(feature = "dataflow")]
type EngineOptions = dalil::dataflow::Options;
#[cfg(not(feature = "dataflow"))]
type EngineOptions = ();

/// `--engine dataflow`: the worker options from the arguments (`None`: the local engine); for
/// a local cluster, its other processes are started here. An `Err` is the exit code.
#[cfg(feature = "dataflow")]
fn dataflow_options(
    args: &Args,
) -> Result<
    (
        Option<EngineOptions>,
        Option<dalil::dataflow::cluster::LocalCluster>,
    ),
    ExitCode,
> {
    use dalil::dataflow::{Options, cluster};
    let cluster_flags = args.processes.is_some()
        || args.process.is_some()
        || args.hostfile.is_some()
        || args.hosts.is_some();
    if args.engine.as_deref() != Some("dataflow") {
        if cluster_flags || args.workers.is_some() {
            return Err(usage_error(
                "--workers, --processes, --process and --hostfile need --engine dataflow",
            ));
        }
        return Ok((None, None));
    }
    let mut hosts: Vec<String> = match (&args.hostfile, &args.hosts) {
        (Some(f), _) => match read_file(f).and_then(|t| cluster::read_hostfile(&t)) {
            Ok(h) => h,
            Err(e) => return Err(usage_error(format!("--hostfile {f}: {e}"))),
        },
        (None, Some(h)) => h.split(',').map(str::to_string).collect(),
        (None, None) => vec![],
    };
    let mut local = None;
    let processes = args.processes.unwrap_or(hosts.len().max(1));
    if processes > 1 && hosts.is_empty() {
        if args.process.is_some() {
            return Err(usage_error(
                "--process needs --hostfile (or leave both out for a local cluster)",
            ));
        }
        // A local cluster: this process is 0, the others run the same command.
        if args.command.is_none() && args.mode != Mode::Run {
            return Err(usage_error(
                "a cluster runs statements given with -c or script files (`run FILE`), not the prompt",
            ));
        }
        hosts = match cluster::free_ports(processes) {
            Ok(ports) => ports.iter().map(|p| format!("127.0.0.1:{p}")).collect(),
            Err(e) => return Err(usage_error(e)),
        };
        let own: Vec<String> = std::env::args().skip(1).collect();
        match cluster::LocalCluster::start(processes, &own, &hosts) {
            Ok(c) => local = Some(c),
            Err(e) => {
                eprintln!("Error: {e}");
                return Err(ExitCode::from(1));
            }
        }
    }
    if !hosts.is_empty() && hosts.len() != processes {
        return Err(usage_error(format!(
            "--processes {processes}, but the hostfile names {} hosts",
            hosts.len()
        )));
    }
    let process = args.process.unwrap_or(0);
    if process >= processes {
        return Err(usage_error(format!(
            "--process {process}: the processes are numbered 0 to {}",
            processes - 1
        )));
    }
    let options = Options {
        workers: args.workers.unwrap_or(1),
        process,
        hosts: if processes > 1 { hosts } else { vec![] },
    };
    Ok((Some(options), local))
}

/// Starts the dataflow workers for `session` (in a cluster: once every process connected).
#[cfg(feature = "dataflow")]
fn start_engine(session: &mut Session, options: EngineOptions) -> Result<(), ExitCode> {
    let processes = options.processes();
    // Connecting waits for every process: give up, rather than hang, if one never comes.
    let connected = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if processes > 1 {
        let connected = connected.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(60) {
                if connected.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            eprintln!("Error: the processes of the cluster did not all connect within 60 seconds");
            std::process::exit(1);
        });
    }
    let started = session.use_dataflow(options);
    connected.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Err(e) = started {
        eprint!("{e}");
        if !e.ends_with('\n') {
            eprintln!();
        }
        return Err(ExitCode::from(1));
    }
    Ok(())
}

fn apply_limits(session: &mut Session, args: &Args) {
    if let Some(d) = args.max_depth {
        session.limits.parse.max_depth = d;
    }
    if let Some(m) = args.max_input {
        session.limits.parse.max_input = m;
        MAX_FILE.store(m, std::sync::atomic::Ordering::Relaxed);
    }
    if let Some(r) = args.max_rows {
        session.limits.max_rows = r;
    }
    if let Some(m) = args.max_memory {
        session.limits.max_memory = m.saturating_mul(1024 * 1024);
    }
    if let Some(n) = args.threads {
        session.limits.threads = n;
    }
    if let Some(t) = args.timeout {
        session.limits.max_time = Duration::from_secs(t);
    }
    if let Some(n) = args.max_errors {
        session.limits.max_errors = n;
    }
    session.settings.timing |= args.timing;
    if let Some(w) = args.approx {
        session.db.widening = w;
    }
    if let Some(t) = args.trust {
        session.db.trust = t;
    }
}

/// `--load KIND=FILE`: each file in turn; false (after reporting) when one has bad rows.
fn load_bulk(session: &mut Session, args: &Args) -> bool {
    for (kind, file) in &args.loads {
        match session.import(kind, file) {
            Ok(report) => {
                for d in &report.errors {
                    eprint!("{}", session.render(d));
                }
                if session.settings.timing || !report.errors.is_empty() {
                    eprintln!("{}", capitalized(&report.summary()));
                }
                if !report.errors.is_empty() {
                    eprintln!("Error: `{file}` has rows that could not be loaded");
                    return false;
                }
            }
            Err(d) => {
                eprint!("{}", session.render(&d));
                return false;
            }
        }
    }
    true
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `n thing` or `n things`.
fn plural(n: usize, thing: &str) -> String {
    match (n, thing.strip_suffix('y')) {
        (1, _) => format!("1 {thing}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {thing}s"),
    }
}

/// Items after a heading, wrapped under one another: `  kinds     visit (2 facts), …`.
fn wrapped(heading: &str, items: &[String]) -> String {
    const WIDTH: usize = 100;
    let indent = format!("  {heading:<12}");
    let mut out = indent.clone();
    let mut line = indent.chars().count();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item},")
        } else {
            item.clone()
        };
        let width = piece.chars().count();
        if i > 0 && line + 1 + width > WIDTH {
            out.push_str(&format!("\n{}", " ".repeat(indent.chars().count())));
            line = indent.chars().count();
        } else if i > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(&piece);
        line += width;
    }
    out.push('\n');
    out
}

/// What a checked file declares: its kinds with their facts, its entities, its rules.
fn declarations(session: &Session) -> String {
    let db = &session.db;
    let kinds: Vec<String> = db
        .kinds
        .iter()
        .filter(|k| k.is_written())
        .map(|k| format!("{} ({})", k.name, plural(k.relation.len(), "fact")))
        .collect();
    let entities = &db.kinds[0].relation;
    let ids: Vec<String> = (0..entities.len() as u32)
        .map(|i| match entities.get(i, dalil::store::entity_cols::ID) {
            dalil::store::Value::Entity(s) => db.interner.resolve(s).to_string(),
            other => db.display(&other),
        })
        .collect();
    let mut derived: Vec<(String, usize)> = Vec::new();
    for r in &session.rules {
        let name = &db.kind(r.head_kind).name;
        match derived.iter_mut().find(|(n, _)| n == name) {
            Some((_, count)) => *count += 1,
            None => derived.push((name.clone(), 1)),
        }
    }
    let derived: Vec<String> = derived
        .iter()
        .map(|(n, c)| format!("{n} ({})", plural(*c, "rule")))
        .collect();
    let mut out = String::new();
    for (heading, items) in [("kinds", kinds), ("entities", ids), ("rules", derived)] {
        if !items.is_empty() {
            out.push_str(&wrapped(heading, &items));
        }
    }
    out
}

/// `dalil check FILE…`: each file on its own or on a copy of a named fact base, every mistake
/// reported, then a summary (what a file checked on its own declares).
fn check_files(files: &[String], base: Option<(&Session, &str)>, color: bool) -> ExitCode {
    let mut all_ok = true;
    for f in files {
        let mut session = match base {
            Some((b, _)) => b.clone(),
            None => Session::new(),
        };
        session.settings.color = color;
        session.settings.stop_on_error = false;
        // A check runs the script to check it, but never writes a file (`:save`).
        session.writes_allowed = false;
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
        if let Some((_, name)) = base {
            if summary.failed == 0 && errors == 0 {
                println!("{f}: ok — checked against {name}");
            } else {
                all_ok = false;
                println!(
                    "{f}: {} — checked against {name}",
                    plural(errors.max(summary.failed), "error")
                );
            }
            continue;
        }
        let db = &session.db;
        let kinds = db.kinds.iter().filter(|k| k.is_written()).count();
        let counts = format!(
            "{} of {}, {}, {}",
            plural(db.fact_count(), "fact"),
            plural(kinds, "kind"),
            plural(db.entity_count(), "entity"),
            plural(session.rules.len(), "rule")
        );
        if summary.failed == 0 && errors == 0 {
            println!("{f}: ok — {counts}");
        } else {
            all_ok = false;
            println!("{f}: {} — what is valid: {counts}", plural(errors, "error"));
        }
        print!("{}", declarations(&session));
    }
    if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
