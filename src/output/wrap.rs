//! Text fitted to a width by whole words, for `why` trees: a line wider than the width breaks at
//! spaces, and only a word wider than a whole line breaks inside (between letters, never between
//! a letter and its combining marks). Widths are terminal columns, so Arabic counts right.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` in lines of at most `width` columns (at least one line, even for an empty text). The
/// spaces where a line breaks are dropped; spaces inside a line are kept as written.
pub fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let spaces = rest.len() - rest.trim_start_matches(' ').len();
        let (gap, after) = rest.split_at(spaces);
        let word_len = after.find(' ').unwrap_or(after.len());
        let (word, after) = after.split_at(word_len);
        rest = after;
        let (gap_w, word_w) = (gap.width(), word.width());
        if line.is_empty() {
            // Spaces that start the text are kept; those at a break are not.
            if lines.is_empty() {
                line.push_str(gap);
                used += gap_w;
            }
        } else if used + gap_w + word_w <= width {
            line.push_str(gap);
            used += gap_w;
        } else {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used + word_w <= width {
            line.push_str(word);
            used += word_w;
            continue;
        }
        // Wider than what is left of a line: cut between letters.
        for cluster in clusters(word) {
            let w = cluster.width();
            if used + w > width && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push_str(cluster);
            used += w;
        }
    }
    lines.push(line);
    lines
}

/// A word's letters, each with the combining marks that follow it.
fn clusters(word: &str) -> impl Iterator<Item = &str> {
    let mut rest = word;
    std::iter::from_fn(move || {
        let mut chars = rest.char_indices();
        chars.next()?;
        let end = chars
            .find(|(_, c)| c.width() != Some(0))
            .map_or(rest.len(), |(i, _)| i);
        let (cluster, after) = rest.split_at(end);
        rest = after;
        Some(cluster)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_one_line() {
        assert_eq!(
            wrap_words("rule 1: a(x) :- b(x)", 40),
            ["rule 1: a(x) :- b(x)"]
        );
        assert_eq!(wrap_words("", 10), [""]);
    }

    #[test]
    fn a_long_text_breaks_between_words() {
        let lines = wrap_words("cited: p1.s2 «the minister said» p3.s1", 20);
        assert_eq!(lines, ["cited: p1.s2 «the", "minister said» p3.s1"]);
        for l in &lines {
            assert!(l.width() <= 20, "{l:?}");
        }
    }

    #[test]
    fn spaces_inside_a_line_are_kept_and_dropped_at_a_break() {
        assert_eq!(wrap_words("a(x)  ◂ weakest", 40), ["a(x)  ◂ weakest"]);
        assert_eq!(wrap_words("a(x)  ◂ weakest", 7), ["a(x)  ◂", "weakest"]);
        assert_eq!(
            wrap_words("a(x)  ◂ weakest", 5),
            ["a(x)", "◂", "weake", "st"]
        );
    }

    #[test]
    fn a_word_wider_than_a_line_is_cut_between_letters() {
        assert_eq!(wrap_words("ab abcdefgh", 4), ["ab", "abcd", "efgh"]);
    }

    #[test]
    fn arabic_is_measured_in_columns_and_keeps_its_marks() {
        // Each letter is one column; the marks (fatha, shadda) take none and stay with it.
        let text = "وزير الخارجيّة عطّاف";
        let lines = wrap_words(text, 14);
        assert_eq!(lines, ["وزير الخارجيّة", "عطّاف"]);
        // Cut inside a word, a mark never starts a line.
        for l in wrap_words("الخارجيّة", 6) {
            assert!(l.width() <= 6, "{l:?}");
            assert_ne!(l.chars().next().and_then(|c| c.width()), Some(0), "{l:?}");
        }
    }

    #[test]
    fn wide_characters_count_two_columns() {
        assert_eq!(wrap_words("東京 大阪 京都", 5), ["東京", "大阪", "京都"]);
    }
}
