//! Rules over columns of whole numbers are walked over registers instead of values
//! (src/eval/ints.rs). The same program answers the same when one row with a fraction in
//! each kind turns its columns into general numbers, so the general walk runs instead: the
//! same rows, statuses and derivations under `why`, on one thread and on four.

use dalil::{Format, Reply, Session};

fn run(threads: usize, text: &str) -> String {
    let mut s = Session::new();
    s.limits.max_rows = 500_000;
    s.limits.threads = threads;
    s.limits.min_split = 1;
    s.settings.format = Format::Csv;
    let mut out = String::new();
    s.run("ints.dl", text, &mut |r| match r {
        Reply::Text(t) | Reply::Error(t) | Reply::Note(t) => out.push_str(&t),
        _ => {}
    });
    out
}

/// A graph with cross edges, a self-loop, nodes past what packs into 27 bits and one inferred
/// edge; rules with a constant, a repeated variable, three atoms and a head column left
/// unknown. With `fractions`, every kind also holds a row of its own with a fraction in it,
/// joined with nothing (the queries leave its rows out).
fn program(fractions: bool) -> String {
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
    let general = run(1, &program(true));
    if std::env::var_os("SHOW").is_some() {
        println!("{general}");
    }
    assert!(!general.contains("Error"), "{general}");
    assert!(general.contains("inferred"), "{general}");
    assert!(general.contains(&format!("{}", 300_000_001)), "{general}");
    for threads in [1, 4] {
        let ints = run(threads, &program(false));
        assert_eq!(general, ints, "{threads} threads");
    }
}
