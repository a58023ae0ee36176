//! Long results through a pager, as psql does: at the prompt, a statement's output taller than
//! the screen is handed to `$PAGER` (split into words as a shell would; set but empty: no
//! pager), or `less -FRX` when `PAGER` is not set. `:pager on` pages every result, `:pager off`
//! none. Scripts, `-c` and piped runs never come here. A pager that cannot be started, or that
//! ends with a failure status, leaves the output to be printed directly: no result is lost.

use crate::session::PagerMode;
use std::io::Write;
use std::process::{Command, Stdio};
use unicode_width::UnicodeWidthStr;

/// The pager to use when `PAGER` is not set: `-F` quits at once when the text fits the
/// screen, `-R` keeps colours, `-X` leaves the text on the screen after quitting.
const DEFAULT: [&str; 2] = ["less", "-FRX"];

/// The pager of a prompt: its command, and whether a failure to start it was reported yet.
pub struct Pager {
    command: Option<Vec<String>>,
    warned: bool,
}

impl Pager {
    /// The pager `PAGER` names (read once, when the prompt starts).
    pub fn from_env() -> Pager {
        let var = std::env::var_os("PAGER").map(|v| v.to_string_lossy().into_owned());
        Pager {
            command: command(var.as_deref()),
            warned: false,
        }
    }

    /// Whether results may go through the pager now: it is not off, there is one, and
    /// standard output is a terminal. Otherwise they are printed as they come.
    pub fn active(&self, mode: PagerMode) -> bool {
        mode != PagerMode::Off
            && self.command.is_some()
            && std::io::IsTerminal::is_terminal(&std::io::stdout())
    }

    /// Prints `text` on standard output, through the pager when `mode` wants it for a screen of
    /// `width` × `height`.
    pub fn print(
        &mut self,
        text: &str,
        mode: PagerMode,
        width: Option<usize>,
        height: Option<usize>,
    ) {
        if text.is_empty() {
            return;
        }
        if let Some(command) = &self.command
            && wanted(mode, screen_lines(text, width), height)
        {
            match show(command, text) {
                Ok(()) => return,
                Err(e) if !self.warned => {
                    self.warned = true;
                    eprintln!(
                        "Note: the pager {e}; results are printed here (`:pager off` stops trying)"
                    );
                }
                Err(_) => {}
            }
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
}

/// The pager's program and arguments, from the value of `PAGER` (`None`: not set). `None`
/// when there is to be no pager.
pub fn command(pager_var: Option<&str>) -> Option<Vec<String>> {
    let Some(value) = pager_var else {
        return Some(DEFAULT.map(String::from).to_vec());
    };
    // Unbalanced quotes: read the words as they stand rather than ignore the user's choice.
    let words =
        shlex::split(value).unwrap_or_else(|| value.split_whitespace().map(String::from).collect());
    (!words.is_empty()).then_some(words)
}

/// Whether a text that takes `lines` lines on a screen of `height` lines (`None`: not known)
/// goes through the pager. The last line of the screen is left for the prompt.
pub fn wanted(mode: PagerMode, lines: usize, height: Option<usize>) -> bool {
    match mode {
        PagerMode::Off => false,
        PagerMode::On => true,
        PagerMode::Auto => height.is_some_and(|h| lines >= h),
    }
}

/// How many lines `text` takes on a screen `width` columns wide (`None`: lines are not
/// folded), a line wider than the screen taking several.
pub fn screen_lines(text: &str, width: Option<usize>) -> usize {
    text.lines()
        .map(|line| match width {
            Some(w) if w > 0 => line.width().div_ceil(w).max(1),
            _ => 1,
        })
        .sum()
}

/// Hands `text` to the pager `command` and waits for it to end. `Err` (with the reason) when
/// it did not show the text: the caller prints it directly.
pub fn show(command: &[String], text: &str) -> Result<(), String> {
    let (program, args) = command.split_first().ok_or("no pager was given")?;
    let _ = std::io::stdout().flush();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("`{program}` could not be started: {e}"))?;
    // A pager quit early (`q` in less) stops reading, and writing the rest fails: it is not
    // wanted, so that failure is no error.
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(text.as_bytes());
    }
    let status = child
        .wait()
        .map_err(|e| format!("`{program}` could not be waited for: {e}"))?;
    // A failure status (`PAGER=false`, a pager that cannot open the terminal) may mean the
    // text was never shown: better twice than not at all. Ended by a signal (Ctrl-C): shown.
    match status.code() {
        Some(code) if code != 0 => Err(format!("`{program}` failed (exit status {code})")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_pager_set_less_is_used_and_an_empty_pager_means_none() {
        assert_eq!(command(None).unwrap(), ["less", "-FRX"]);
        assert_eq!(command(Some("")), None);
        assert_eq!(command(Some("  ")), None);
    }

    #[test]
    fn pager_is_split_into_words_as_a_shell_would() {
        assert_eq!(command(Some("more")).unwrap(), ["more"]);
        assert_eq!(command(Some("less -S  -R")).unwrap(), ["less", "-S", "-R"]);
        assert_eq!(
            command(Some("sh -c 'echo top; cat'")).unwrap(),
            ["sh", "-c", "echo top; cat"]
        );
        assert_eq!(
            command(Some(r#""/opt/my pager/bin/pg" -x"#)).unwrap(),
            ["/opt/my pager/bin/pg", "-x"]
        );
        // Unbalanced quotes: the words as they stand.
        assert_eq!(command(Some("less 'x")).unwrap(), ["less", "'x"]);
    }

    #[test]
    fn auto_pages_only_what_is_taller_than_the_screen() {
        assert!(!wanted(PagerMode::Auto, 5, Some(24)));
        assert!(!wanted(PagerMode::Auto, 23, Some(24)));
        // 24 lines and the prompt do not fit 24 lines.
        assert!(wanted(PagerMode::Auto, 24, Some(24)));
        assert!(wanted(PagerMode::Auto, 500, Some(24)));
        // An unknown height is never exceeded.
        assert!(!wanted(PagerMode::Auto, 500, None));
    }

    #[test]
    fn on_pages_everything_and_off_nothing() {
        assert!(wanted(PagerMode::On, 1, Some(24)));
        assert!(wanted(PagerMode::On, 1, None));
        assert!(!wanted(PagerMode::Off, 500, Some(24)));
    }

    #[test]
    fn a_line_wider_than_the_screen_takes_several() {
        let text = format!("short\n{}\n\nلا\n", "x".repeat(25));
        assert_eq!(screen_lines(&text, Some(10)), 1 + 3 + 1 + 1);
        assert_eq!(screen_lines(&text, None), 4);
        assert_eq!(screen_lines("", Some(10)), 0);
    }

    #[test]
    fn a_pager_that_cannot_start_or_fails_gives_the_text_back() {
        let missing = ["/nonexistent/pager".to_string()];
        let e = show(&missing, "text\n").unwrap_err();
        assert!(e.contains("could not be started"), "{e}");
        // Gone before it read anything, with more text than a pipe holds.
        let failing = ["sh", "-c", "exit 3"].map(String::from);
        let e = show(&failing, &"line\n".repeat(100_000)).unwrap_err();
        assert!(e.contains("exit status 3"), "{e}");
        let e = show(&["false".to_string()], "line\n").unwrap_err();
        assert!(e.contains("exit status 1"), "{e}");
    }

    #[test]
    fn a_pager_that_ends_well_has_shown_the_text() {
        let reader = ["sh", "-c", "cat > /dev/null"].map(String::from);
        assert_eq!(show(&reader, &"line\n".repeat(10_000)), Ok(()));
        // Quit before reading it all (as `q` in less): no error.
        let quits = ["sh", "-c", "head -c 10 > /dev/null"].map(String::from);
        assert_eq!(show(&quits, &"line\n".repeat(100_000)), Ok(()));
    }
}
