//! Transitive closure of the edges in a CSV file (header `from,to`), with ascent: prints the
//! number of pairs and the load and closure times as JSON, for bench/compare.py.

use ascent::ascent;
use std::time::Instant;

ascent! {
    relation edge(u32, u32);
    relation tc(u32, u32);
    tc(x, y) <-- edge(x, y);
    tc(x, z) <-- tc(x, y), edge(y, z);
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: tc-ascent EDGES.csv");
    let started = Instant::now();
    let text = std::fs::read_to_string(&path).expect("readable edges");
    let edges: Vec<(u32, u32)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (a, b) = l.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect();
    let load = started.elapsed();
    let started = Instant::now();
    let mut prog = AscentProgram::default();
    prog.edge = edges;
    prog.run();
    let count = prog.tc.len();
    let query = started.elapsed();
    println!(
        "{{\"count\": {count}, \"load_ms\": {:.3}, \"query_ms\": {:.3}}}",
        load.as_secs_f64() * 1000.0,
        query.as_secs_f64() * 1000.0
    );
}
