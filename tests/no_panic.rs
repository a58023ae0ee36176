//! Nothing typed can crash dalil: arbitrary bytes, random sequences of the language's own
//! tokens and deep random nesting all go through `Session::run` (the one way in) and must end
//! in results or error reports — never a panic, never a stack overflow — and the session must
//! still answer a plain query afterwards.

use dalil::{Reply, Session};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::RefCell;
use std::time::Duration;

/// One session for all the cases of a test (loading the article for each would dominate the
/// time), with small budgets so that a runaway query stops fast.
fn session() -> Session {
    let mut s = Session::with_article().expect("the article loads");
    s.limits.max_rows = 50_000;
    s.limits.max_time = Duration::from_secs(2);
    s
}

/// Runs `text`, checks every report is a rendered report, and that the session still works.
fn survives(session: &RefCell<Session>, text: &str) -> Result<(), TestCaseError> {
    // The commands that read or write files are left out: they would touch the file system.
    if [":save", ":load", ":import"]
        .iter()
        .any(|c| text.contains(c))
    {
        return Ok(());
    }
    let mut s = session.borrow_mut();
    let mut reports = Vec::new();
    let summary = s.run("<test>", text, &mut |r| {
        if let Reply::Error(e) = r {
            reports.push(e)
        }
    });
    for r in &reports {
        prop_assert!(
            r.starts_with("Error:") || r.starts_with("Warning:"),
            "not a report: {r:?}"
        );
    }
    prop_assert!(summary.failed <= summary.statements + 1, "{summary:?}");
    let mut answered = false;
    let after = s.run("<test>", "count visit", &mut |r| {
        answered |= matches!(r, Reply::Text(_));
    });
    prop_assert!(
        after.failed == 0 && answered,
        "the session no longer answers after {text:?}"
    );
    Ok(())
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn arbitrary_bytes_never_crash() {
    let session = RefCell::new(session());
    let bytes = proptest::collection::vec(any::<u8>(), 0..300);
    runner(300)
        .run(&bytes, |b| survives(&session, &String::from_utf8_lossy(&b)))
        .unwrap();
}

/// Pieces of the language: keywords, kinds, fields, values, punctuation, mistakes.
fn token() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "visit",
        "meeting",
        "statement",
        "entity",
        "within",
        "where",
        "and",
        "or",
        "not",
        "in",
        "contains",
        "after",
        "before",
        "between",
        "on",
        "during",
        "order",
        "by",
        "asc",
        "desc",
        "limit",
        "count",
        "why",
        "explain",
        "kind",
        "is",
        "unknown",
        "possibly",
        "certainly",
        "true",
        "false",
        "cite",
        "inferred",
        "background",
        "partner",
        "date",
        "host",
        "led_by",
        "name",
        "aliases",
        "id",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "==",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        ":",
        ":-",
        ".",
        "?x",
        "?y",
        "count(?x)",
        "\"US\"",
        "\"",
        "'",
        "#",
        "\n",
        "p5.s1",
        "2025-09-01",
        "2025-13-01",
        "2025-02-29",
        "25-09-01",
        "2025/09/01",
        "2023~",
        "-3",
        "2.5",
        "99999999999999999999999",
        ":help",
        ":format json",
        ":schema visit",
        ":entities",
        ":reset",
        ":kinds",
        ":quit",
        "\u{0627}\u{0644}",
        "\u{FEFF}",
        "~",
    ])
    .prop_map(str::to_string);
    prop_oneof![
        4 => fixed,
        1 => "[a-z_]{1,8}",
        1 => "[0-9]{1,6}",
        1 => "\"[^\"\\\\]{0,6}\"",
    ]
}

#[test]
fn random_token_sequences_never_crash() {
    let session = RefCell::new(session());
    let sequences = proptest::collection::vec((token(), prop::bool::weighted(0.8)), 0..40)
        .prop_map(|parts| {
            parts
                .into_iter()
                .map(|(t, space)| if space { format!("{t} ") } else { t })
                .collect::<String>()
        });
    runner(400)
        .run(&sequences, |text| survives(&session, &text))
        .unwrap();
}

/// Statements that start like real queries, rules and facts, then go on with random tokens.
#[test]
fn plausible_statements_never_crash() {
    let session = RefCell::new(session());
    let starts = prop::sample::select(vec![
        "visit where ",
        "count visit by ",
        "why visit where ",
        "explain within ",
        "visit[partner, date] where ",
        "within(inner: ?x, outer: ?y) :- ",
        "r(a: ?x) :- visit(partner: ?x), not ",
        "visit(partner: algeria, date: ",
        "entity e1: person(name: ",
        "kind k (a: ",
    ]);
    let text = (starts, proptest::collection::vec(token(), 0..25))
        .prop_map(|(s, rest)| format!("{s}{}", rest.join(" ")));
    runner(400)
        .run(&text, |text| survives(&session, &text))
        .unwrap();
}

/// Brackets and `not` nested at random depths, below and far above the limit, closed or not.
#[test]
fn deep_random_nesting_never_crashes() {
    let session = RefCell::new(session());
    let opener = prop::sample::select(vec!["(", "not ", "[", "not (", "f("]);
    let nesting = (
        proptest::collection::vec(opener, 0..600),
        prop::bool::ANY,
        prop::sample::select(vec!["visit where ", "visit(partner: ", "r(a: ?x) :- ", ""]),
    )
        .prop_map(|(openers, close, start)| {
            let mut text = String::from(start);
            for o in &openers {
                text.push_str(o);
            }
            text.push_str("partner = \"US\"");
            if close {
                for o in openers.iter().rev() {
                    text.push_str(match *o {
                        "[" => "]",
                        "not " => "",
                        _ => ")",
                    });
                }
            }
            text
        });
    runner(60)
        .run(&nesting, |text| survives(&session, &text))
        .unwrap();
}

/// The must-shows of the limits, through the library: 10 000 brackets, 10 000 `not`s, an empty
/// input and a 1 MB input each end with a report or a result.
#[test]
fn the_largest_inputs_end_in_a_report_or_a_result() {
    let session = RefCell::new(session());
    let parens = format!(
        "visit where {}partner = \"US\"{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    let nots = format!("visit where {}partner = \"US\"", "not ".repeat(10_000));
    let big_query = format!(
        "visit where {}",
        vec!["partner = \"US\""; 60_000].join(" or ")
    );
    let big_text = format!("visit where purpose = \"{}\"", "x".repeat(1 << 20));
    let many = "vist;".repeat(10_000);
    for text in [
        "",
        "   ;;; # nothing\n",
        &parens,
        &nots,
        &big_query,
        &big_text,
        &many,
    ] {
        survives(&session, text).unwrap();
    }
}
