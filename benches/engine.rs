//! The engine's hot paths, for regression tracking (`cargo bench`). The side-by-side
//! comparison with other systems is bench/compare.sh; this measures dalil against itself.

use dalil::session::{Reply, Session};
use std::fmt::Write as _;

fn main() {
    divan::main();
}

const SCHEMA: &str = "kind event(type: text, actor: entity, partner: entity, date: date);";

/// `n` events over 500 actors (in 20 countries), 20 partners, 10 types and ten years, as
/// dalil facts after the schema and entities.
fn events_text(n: usize) -> String {
    let mut t = String::from(SCHEMA);
    t.push('\n');
    for c in 0..20 {
        writeln!(t, "entity c{c}: country();").unwrap();
    }
    for a in 0..500 {
        writeln!(t, "entity a{a}: person(affiliation: c{});", a % 20).unwrap();
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        writeln!(
            t,
            "event(type: \"t{}\", actor: a{}, partner: c{}, date: {}-{:02}-{:02});",
            x % 10,
            (x >> 8) % 500,
            (x >> 20) % 20,
            2010 + (x >> 30) % 10,
            1 + (x >> 40) % 12,
            1 + (x >> 48) % 28
        )
        .unwrap();
    }
    t
}

fn loaded(n: usize) -> Session {
    let mut s = Session::new();
    s.load("events.dl", events_text(n)).expect("events load");
    s
}

fn answer(s: &mut Session, q: &str) -> String {
    let mut out = String::new();
    s.run("<bench>", q, &mut |r| {
        if let Reply::Text(t) | Reply::Error(t) = r {
            out.push_str(&t)
        }
    });
    out
}

/// Parse, check and store 20,000 facts of dalil's own syntax.
#[divan::bench(sample_count = 10)]
fn parse_and_load_facts(b: divan::Bencher) {
    let text = events_text(20_000);
    b.bench(|| {
        let mut s = Session::new();
        s.load("events.dl", divan::black_box(&text)).expect("loads");
        s
    });
}

/// 100,000 events from CSV through `Session::import`.
#[divan::bench(sample_count = 10)]
fn load_csv(b: divan::Bencher) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("events.csv");
    let mut csv = String::from("type,actor,partner,date\n");
    let mut x: u64 = 7;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        writeln!(
            csv,
            "t{},a{},c{},2015-{:02}-{:02}",
            x % 10,
            (x >> 8) % 500,
            (x >> 20) % 20,
            1 + (x >> 40) % 12,
            1 + (x >> 48) % 28
        )
        .unwrap();
    }
    std::fs::write(&path, csv).expect("written");
    let base = events_text(0);
    let path = path.to_string_lossy().into_owned();
    b.with_inputs(|| {
        let mut s = Session::new();
        s.load("schema.dl", &base).expect("schema");
        s
    })
    .bench_local_values(|mut s| {
        s.import("event", &path).expect("imports");
        s
    });
}

/// A selective filter (type, partner, a date range) over 100,000 events, indexes built.
#[divan::bench]
fn selective_query(b: divan::Bencher) {
    let mut s = loaded(100_000);
    let q = "count event where type = \"t3\" and partner = c7 between 2012-01-01 and 2013-12-31";
    answer(&mut s, q);
    b.bench_local(|| answer(&mut s, q));
}

/// Events joined with their actor's entity, filtered on the entity's affiliation.
#[divan::bench]
fn indexed_join(b: divan::Bencher) {
    let mut s = loaded(100_000);
    let q = "count event where actor.affiliation = c3";
    answer(&mut s, q);
    b.bench_local(|| answer(&mut s, q));
}

/// The transitive closure of a chain of 600 edges (180,300 rows), recomputed each time.
#[divan::bench(sample_count = 10)]
fn transitive_closure(b: divan::Bencher) {
    let mut text = String::from(
        "kind edge(from: number, to: number);\n\
         tc(from: ?x, to: ?y) :- edge(from: ?x, to: ?y);\n\
         tc(from: ?x, to: ?z) :- tc(from: ?x, to: ?y), edge(from: ?y, to: ?z);\n",
    );
    for i in 0..600 {
        writeln!(text, "edge(from: {i}, to: {});", i + 1).unwrap();
    }
    let mut s = Session::new();
    s.load("chain.dl", &text).expect("chain");
    b.bench_local(|| {
        s.derived_stale = true;
        answer(&mut s, "count tc")
    });
}
