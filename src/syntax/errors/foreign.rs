//! Input a person from the article's world types, recognised by name: Arabic-Indic and Persian
//! digits in a date or number, typographic quotes (“US”, «US», ‘US’) around a text, a name in
//! Arabic letters where a value goes. Each report proposes the exact rewrite as a fix.

use super::Site;
use super::scan::unclosed_string_start;
use crate::diagnostic::Diagnostic;

/// The Western digit for an Arabic-Indic (U+0660–0669) or Persian (U+06F0–06F9) one, and `.`
/// for the Arabic decimal separator.
fn western(c: char) -> Option<char> {
    let digit = |base: u32| char::from_digit(c as u32 - base, 10);
    match c {
        '\u{660}'..='\u{669}' => digit(0x660),
        '\u{6F0}'..='\u{6F9}' => digit(0x6F0),
        '\u{66B}' => Some('.'),
        _ => None,
    }
}

/// `٢٠٢٥-٠٩-٠١`, `limit ٣`: the run of digits (of any script), `-`, `/` and `.` around the
/// point where the parser stopped, written with Western digits.
pub(super) fn foreign_digits(site: &Site) -> Option<Diagnostic> {
    let part = |c: char| c.is_ascii_digit() || western(c).is_some() || matches!(c, '-' | '/' | '.');
    let start = site.chunk[..site.pos]
        .char_indices()
        .rev()
        .take_while(|&(_, c)| part(c))
        .last()
        .map_or(site.pos, |(i, _)| i);
    let end = site.chunk[site.pos..]
        .char_indices()
        .take_while(|&(_, c)| part(c))
        .last()
        .map_or(site.pos, |(i, c)| site.pos + i + c.len_utf8());
    // Separators at either end belong to what is around (`x -٣`, `p٥.s١`).
    let run = site.chunk[start..end].trim_matches(['-', '/', '.']);
    let start = start + site.chunk[start..end].find(run)?;
    let persian = run.chars().any(|c| ('\u{6F0}'..='\u{6F9}').contains(&c));
    if !run.chars().any(|c| !c.is_ascii() && western(c).is_some()) {
        return None;
    }
    let written: String = run.chars().map(|c| western(c).unwrap_or(c)).collect();
    let what = if written.contains(['-', '/']) {
        "dates"
    } else {
        "numbers"
    };
    Some(
        Diagnostic::error(
            format!("{what} are written with the digits 0-9"),
            site.span(start, run.len()),
            if persian {
                "Persian digits"
            } else {
                "Arabic-Indic digits"
            },
        )
        .with_help(format!("write `{written}`"))
        .with_fix(site.span(start, run.len()), written),
    )
}

/// Quotation marks that are not dalil's `"`: what word processors and Arabic keyboards type.
const TYPOGRAPHIC: &[char] = &[
    '“', '”', '„', '‟', '«', '»', '‘', '’', '‚', '‛', '‹', '›', '＂',
];

/// `“US”`, `«US»`, `‘US’` where a text goes, or a text opened with `"` and closed with `”`.
pub(super) fn typographic_quotes(site: &Site) -> Option<Diagnostic> {
    if let Some(open) = site.chunk[site.pos..].chars().next()
        && TYPOGRAPHIC.contains(&open)
    {
        return Some(opened_typographic(site, open));
    }
    closed_typographic(site)
}

/// The text starts with a typographic quote at the stopping point: everything up to the next
/// quote of any kind (or the end of the word) becomes one text in straight quotes.
fn opened_typographic(site: &Site, open: char) -> Diagnostic {
    let start = site.pos;
    let inner_start = start + open.len_utf8();
    let rest = &site.chunk[inner_start..];
    let line = rest.split('\n').next().unwrap_or("");
    // The text ends at the next typographic quote, with the pairs of `"` before it inside the
    // text (“he said "no"”); after a lone `"` it ends there (“US" and …); else with the word.
    let typographic = line
        .find(|c: char| TYPOGRAPHIC.contains(&c))
        .filter(|&i| line[..i].matches('"').count().is_multiple_of(2));
    let close = typographic.or_else(|| line.find('"'));
    let (inner, end) = match close {
        Some(i) => {
            let len = line[i..].chars().next().map_or(1, char::len_utf8);
            (&line[..i], inner_start + i + len)
        }
        None => {
            let word = line.split(char::is_whitespace).next().unwrap_or("");
            (word, inner_start + word.len())
        }
    };
    let text = format!("\"{}\"", inner.replace('\\', "\\\\").replace('"', "\\\""));
    Diagnostic::error(
        "text is written in straight double quotes",
        site.span(start, open.len_utf8()),
        "a typographic quote",
    )
    .with_help(format!("write `{text}`"))
    .with_fix(site.span(start, end - start), text)
}

/// `"US”`: a text opened with `"` that runs to the end because it was closed with a typographic
/// quote. The last such quote whose replacement closes the text is the one meant.
fn closed_typographic(site: &Site) -> Option<Diagnostic> {
    let open = unclosed_string_start(site.chunk)?;
    let (at, quote) = site.chunk[open + 1..]
        .char_indices()
        .filter(|(_, c)| TYPOGRAPHIC.contains(c))
        .map(|(i, c)| (open + 1 + i, c))
        .rev()
        .find(|&(i, c)| {
            let fixed = format!("{}\"{}", &site.chunk[..i], &site.chunk[i + c.len_utf8()..]);
            unclosed_string_start(&fixed).is_none()
        })?;
    Some(
        Diagnostic::error(
            "this text is closed with a typographic quote",
            site.span(at, quote.len_utf8()),
            "not a straight `\"`",
        )
        .with_secondary(site.span(open, 1), "the text starts here")
        .with_help("end the text with a straight double quote `\"`")
        .with_fix(site.span(at, quote.len_utf8()), "\""),
    )
}

/// `partner = الجزائر`: a name in another script where a value goes; names of that kind are
/// texts, written in quotes.
pub(super) fn unquoted_foreign_name(site: &Site) -> Option<Diagnostic> {
    let first = site.token.chars().next()?;
    let wants_value = site.expected.words.iter().any(|w| w.starts_with("a value"));
    if first.is_ascii() || !first.is_alphabetic() || !wants_value {
        return None;
    }
    let text = format!("\"{}\"", site.token);
    Some(
        Diagnostic::error(
            format!("`{}` must be written in quotes", super::shorten(site.token)),
            site.token_span(),
            "not in quotes",
        )
        .with_help(format!("write `{text}`"))
        .with_fix(site.token_span(), text)
        .with_note(
            "a bare name is an entity's id in Latin letters (`algeria`); other names are texts",
        ),
    )
}
