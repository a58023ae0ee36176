//! The progress line long work shows on a terminal: a bulk load's rows and bytes, a fixpoint's
//! rounds, rows and busiest rule. Drawn on standard error by indicatif, only when standard error
//! is a terminal and neither `NO_COLOR` nor `TERM=dumb` asks for plain output, and only once the
//! work has run for a second (`DALIL_PROGRESS_AFTER_MS` changes that); the session clears it
//! before any result or report is printed.

use crate::eval::{Progress, ProgressSink};
use indicatif::{HumanBytes, HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The progress line of a session: drawn while work goes on, gone when it is cleared.
#[derive(Default)]
pub struct ProgressLine {
    bar: Mutex<Option<ProgressBar>>,
}

impl std::fmt::Debug for ProgressLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressLine")
    }
}

/// Whether progress is shown: on a terminal, unless `NO_COLOR` (set and not empty) or
/// `TERM=dumb` asks for plain output.
pub fn wanted(stderr_is_terminal: bool, no_color: Option<&str>, term: Option<&str>) -> bool {
    stderr_is_terminal && no_color.is_none_or(str::is_empty) && term != Some("dumb")
}

impl ProgressLine {
    /// A progress line on standard error, or `None` where none is to be shown.
    pub fn on_stderr() -> Option<Arc<ProgressLine>> {
        let no_color = std::env::var_os("NO_COLOR").map(|v| v.to_string_lossy().into_owned());
        let term = std::env::var("TERM").ok();
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        wanted(terminal, no_color.as_deref(), term.as_deref())
            .then(|| Arc::new(ProgressLine::default()))
    }

    /// Shows `message` (drawing the line first if it is not up yet).
    fn show(&self, message: String) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        let bar = bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                b.set_style(style);
            }
            b
        });
        // One line, shorter than the terminal, so that it takes one line on the screen (what
        // the Ctrl-C handler counts on, see [`ProgressLine::after_ctrl_c`]).
        let width = terminal_size::terminal_size_of(std::io::stderr()).map_or(80, |(w, _)| w.0);
        let message = crate::output::truncate(&message, usize::from(width).saturating_sub(3));
        // Drawn at most 20 times a second (indicatif's limit for standard error).
        bar.set_message(message);
    }

    /// After Ctrl-C: the terminal has echoed `^C` on the line below the progress line
    /// (indicatif leaves the cursor at the end of a line it fills). That `^C` is erased and the
    /// cursor goes back up, so clearing takes the progress line off and the report starts
    /// there. False (nothing done) when the line is not up.
    pub fn after_ctrl_c(&self) -> bool {
        let up = self.bar.lock().is_ok_and(|b| b.is_some());
        if up {
            eprint!("\r\x1b[2K\x1b[1A");
        }
        up
    }

    /// Takes the line off the screen (nothing when it is not up).
    pub fn clear(&self) {
        let mut bar = self.bar.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = bar.take() {
            b.finish_and_clear();
        }
    }

    /// A sink for a fixpoint's [`Progress`]; `rules` names each rule's kind, by rule index.
    pub fn fixpoint_sink(self: &Arc<Self>, rules: Vec<String>) -> ProgressSink {
        let line = self.clone();
        Arc::new(move |p: Progress, elapsed: Duration| {
            line.show(fixpoint_message(p, elapsed, &rules));
        })
    }

    /// Shows how far a bulk load of `file` has got: `rows` read, `bytes` of `total`.
    pub fn load(&self, file: &str, rows: u64, bytes: u64, total: u64, elapsed: Duration) {
        if elapsed >= crate::eval::progress_after() {
            self.show(load_message(file, rows, bytes, total, elapsed));
        }
    }
}

/// `computing rules: round 12 · 1,234,567 rows · busiest: rule 2 (reach) · 3.1 s`.
pub fn fixpoint_message(p: Progress, elapsed: Duration, rules: &[String]) -> String {
    let mut parts = vec![
        format!("computing rules: round {}", p.rounds),
        format!("{} rows", HumanCount(p.rows)),
    ];
    if let Some(r) = p.busiest {
        match rules.get(r) {
            Some(kind) => parts.push(format!("busiest: rule {} ({kind})", r + 1)),
            None => parts.push(format!("busiest: rule {}", r + 1)),
        }
    }
    parts.push(format!("{:.1} s", elapsed.as_secs_f64()));
    parts.join(" · ")
}

/// `loading events.csv: 1,200,000 rows · 96.00 MiB of 400.00 MiB (24%) · 2.0 s`.
pub fn load_message(file: &str, rows: u64, bytes: u64, total: u64, elapsed: Duration) -> String {
    let read = if total > 0 {
        format!(
            "{} of {} ({}%)",
            HumanBytes(bytes),
            HumanBytes(total),
            bytes.min(total) * 100 / total
        )
    } else {
        format!("{} read", HumanBytes(bytes))
    };
    format!(
        "loading {file}: {} rows · {read} · {:.1} s",
        HumanCount(rows),
        elapsed.as_secs_f64()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_shown_only_on_a_terminal_without_no_color_or_a_dumb_term() {
        assert!(wanted(true, None, Some("xterm")));
        assert!(wanted(true, None, None));
        // An empty NO_COLOR does not count (as https://no-color.org says).
        assert!(wanted(true, Some(""), Some("xterm")));
        assert!(!wanted(false, None, Some("xterm")));
        assert!(!wanted(true, Some("1"), Some("xterm")));
        assert!(!wanted(true, None, Some("dumb")));
    }

    #[test]
    fn a_fixpoint_shows_its_round_rows_and_busiest_rule() {
        let p = Progress {
            rounds: 12,
            rows: 1_234_567,
            rule: Some(1),
            busiest: Some(1),
        };
        let rules = vec!["reach".to_string(), "reach".to_string()];
        assert_eq!(
            fixpoint_message(p, Duration::from_millis(3100), &rules),
            "computing rules: round 12 · 1,234,567 rows · busiest: rule 2 (reach) · 3.1 s"
        );
        let early = Progress { busiest: None, ..p };
        assert!(!fixpoint_message(early, Duration::from_secs(1), &rules).contains("busiest"));
    }

    #[test]
    fn a_load_shows_its_rows_and_bytes() {
        let m = load_message("e.csv", 1000, 50 << 20, 200 << 20, Duration::from_secs(2));
        assert_eq!(
            m,
            "loading e.csv: 1,000 rows · 50.00 MiB of 200.00 MiB (25%) · 2.0 s"
        );
        let unknown = load_message("e.jsonl", 10, 2048, 0, Duration::from_secs(2));
        assert!(unknown.contains("2.00 KiB read"), "{unknown}");
    }

    #[test]
    fn clearing_a_line_that_is_not_up_does_nothing() {
        let line = ProgressLine::default();
        line.clear();
        assert!(line.bar.lock().unwrap().is_none());
    }
}
