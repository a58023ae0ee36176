//! A round of rules split between worker threads gives the same answers as one thread: the
//! same rows in the same order, the same derivations under `why`, the same statuses, and the
//! same reports when a budget stops a rule, the same rounds and rows under `explain analyze`. And rules over columns of whole numbers, walked
//! over registers instead of values (src/eval/ints.rs), answer as the general walk does.

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

/// `text` with every duration (`0.123 ms`) replaced by `T ms`: what `explain analyze`
/// reports besides its times must not depend on the number of threads.
fn without_times(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_inclusive(' ') {
        let number = word.trim_end().trim_end_matches(',');
        let is_time = number.contains('.')
            && number.chars().all(|c| c.is_ascii_digit() || c == '.')
            && !number.starts_with('.')
            && !number.ends_with('.');
        out.push_str(if is_time { "T " } else { word });
    }
    out
}

#[test]
fn explain_analyze_counts_the_same_rounds_and_rows_on_any_number_of_threads() {
    // Rules run under the explain: the first query of the session reads the closure.
    let text = program().replace("count tc;\n", "explain analyze count tc;\n");
    let one = without_times(&run(1, &text));
    if std::env::var_os("SHOW").is_some() {
        println!("{one}");
    }
    assert!(
        one.contains("rounds") && one.contains("rows derived"),
        "{one}"
    );
    assert!(!one.contains("Error"), "{one}");
    for threads in [2, 4] {
        let many = without_times(&run(threads, &text));
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

/// A graph with cross edges, a self-loop, nodes past what packs into 27 bits and one inferred
/// edge; rules with a constant, a repeated variable, three atoms and a head column left
/// unknown. With `fractions`, every kind also holds a row of its own with a fraction in it,
/// joined with nothing (the queries leave its rows out).
fn int_program(fractions: bool) -> String {
    let mut text = String::from(
        "kind edge(a: number, b: number);\n\
         kind weak(a: number, b: number);\n\
         kind hop(a: number, b: number, note: text);\n",
    );
    for i in 0..120u64 {
        text.push_str(&format!("edge(a: {i}, b: {});\n", i + 1));
        if i % 9 == 0 {
            text.push_str(&format!("edge(a: {i}, b: {});\n", (i * 7) % 120));
        }
    }
    text.push_str("edge(a: 50, b: 50);\n");
    let big = 300_000_000u64;
    text.push_str(&format!(
        "edge(a: 119, b: {big});\nedge(a: {big}, b: {});\n",
        big + 1
    ));
    text.push_str("weak(a: 10, b: 200) inferred \"a weaker edge\";\n");
    if fractions {
        text.push_str("edge(a: 0.5, b: 0.25);\nweak(a: 0.75, b: 0.125);\n");
    }
    text.push_str(
        "tc(a: ?x, b: ?y) :- edge(a: ?x, b: ?y);\n\
         tc(a: ?x, b: ?y) :- weak(a: ?x, b: ?y);\n\
         tc(a: ?x, b: ?z) :- tc(a: ?x, b: ?y), edge(a: ?y, b: ?z);\n\
         tc(a: ?x, b: ?z) :- tc(a: ?x, b: ?y), weak(a: ?y, b: ?z);\n\
         from3(b: ?y) :- tc(a: 3, b: ?y);\n\
         loop(a: ?x) :- tc(a: ?x, b: ?x);\n\
         hop(a: ?x, b: ?z) :- edge(a: ?x, b: ?y), edge(a: ?y, b: ?z);\n\
         sg(a: ?x, b: ?y) :- edge(a: ?p, b: ?x), edge(a: ?p, b: ?y);\n\
         sg(a: ?x, b: ?y) :- edge(a: ?p, b: ?x), sg(a: ?p, b: ?q), edge(a: ?q, b: ?y);\n",
    );
    let whole = "a >= 1 or a = 0";
    for q in [
        format!("count tc where {whole}"),
        format!("tc[a, b, status] where {whole} order by a, b"),
        "from3 order by b".to_string(),
        format!("loop where {whole} order by a"),
        format!("hop[a, b, note] where {whole} order by a, b"),
        format!("count sg where {whole}"),
        format!("sg where {whole} and a < 20 order by a, b"),
        "why tc where a = 0 and b = 200".to_string(),
        format!("why tc where a = 119 and b = {}", big + 1),
        "why sg where a = 9 and b = 64".to_string(),
        "why loop where a = 50".to_string(),
    ] {
        text.push_str(&q);
        text.push_str(";\n");
    }
    text
}

#[test]
fn whole_numbers_walked_over_registers_answer_as_the_general_walk() {
    let general = run(1, &int_program(true));
    if std::env::var_os("SHOW").is_some() {
        println!("{general}");
    }
    assert!(!general.contains("Error"), "{general}");
    assert!(general.contains("inferred"), "{general}");
    assert!(general.contains(&format!("{}", 300_000_001)), "{general}");
    for threads in [1, 4] {
        let ints = run(threads, &int_program(false));
        assert_eq!(general, ints, "{threads} threads");
    }
}
