//! A round of rules split between worker threads gives the same answers as one thread: the
//! same rows in the same order, the same derivations under `why`, the same statuses, and the
//! same reports when a budget stops a rule.

use dalil::{Format, Reply, Session};

/// Runs `text` in a new session with `threads` workers, every round split as finely as it
/// goes; everything it printed, reports included.
fn run(threads: usize, text: &str) -> String {
    let mut s = Session::new();
    s.limits.max_rows = 200_000;
    s.limits.threads = threads;
    s.limits.min_split = 1;
    s.settings.format = Format::Csv;
    let mut out = String::new();
    s.run("threads.dl", text, &mut |r| match r {
        Reply::Text(t) | Reply::Error(t) => out.push_str(&t),
        Reply::Note(t) => out.push_str(&t),
        _ => {}
    });
    out
}

/// A graph of two chains joined by cross edges, with a weaker (inferred) edge in it, its
/// closure, a count per node, a computed value and a negation.
fn program() -> String {
    let mut text = String::from(
        "kind edge(a: number, b: number);\n\
         kind weak(a: number, b: number);\n",
    );
    for i in 0..300 {
        text.push_str(&format!("edge(a: {i}, b: {});\n", i + 1));
        if i % 7 == 0 {
            text.push_str(&format!("edge(a: {i}, b: {});\n", i + 13));
        }
    }
    text.push_str("weak(a: 300, b: 301) inferred \"a test of statuses\";\n");
    text.push_str(
        "tc(a: ?x, b: ?y) :- edge(a: ?x, b: ?y);\n\
         tc(a: ?x, b: ?y) :- weak(a: ?x, b: ?y);\n\
         tc(a: ?x, b: ?z) :- tc(a: ?x, b: ?y), edge(a: ?y, b: ?z);\n\
         tc(a: ?x, b: ?z) :- tc(a: ?x, b: ?y), weak(a: ?y, b: ?z);\n\
         reach(a: ?x, n: count(?y)) :- tc(a: ?x, b: ?y);\n\
         far(a: ?x, d: ?y - ?x) :- tc(a: ?x, b: ?y), ?y - ?x > 250;\n\
         short(a: ?x) :- edge(a: ?x), not far(a: ?x);\n\
         count tc;\n\
         tc where a = 0;\n\
         tc where b = 200;\n\
         reach order by a;\n\
         far order by a, d;\n\
         short order by a;\n\
         tc[a, b, status] where b = 301 order by a;\n\
         why tc where a = 0 and b = 301;\n\
         why far where a = 3 and d = 298;\n\
         why tc where a = 0 and b = 40;\n",
    );
    text
}

#[test]
fn one_two_and_four_threads_answer_the_same() {
    let text = program();
    let one = run(1, &text);
    if std::env::var_os("SHOW").is_some() {
        println!("{one}");
    }
    assert!(!one.contains("Error"), "{one}");
    for threads in [2, 4] {
        let many = run(threads, &text);
        assert_eq!(one, many, "{threads} threads differ from one");
    }
}

#[test]
fn a_runaway_rule_is_stopped_the_same_way_on_four_threads() {
    let text = "kind nat(n: number);\nnat(n: 0);\n\
                nat(n: ?n + 1) :- nat(n: ?n);\n\
                count nat;\n";
    let (one, four) = (run(1, text), run(4, text));
    assert!(one.contains("rule 1 was stopped"), "{one}");
    assert!(four.contains("rule 1 was stopped"), "{four}");
}
