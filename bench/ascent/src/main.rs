//! Two recursive programs with ascent, for bench/compare.py: the transitive closure of the
//! edges in a CSV file (header `from,to`), or with `--sg` "same generation" over a tree (header
//! `parent,child`). Prints the number of rows derived and the load and evaluation times as JSON.

use ascent::ascent;
use std::time::Instant;

ascent! {
    struct Closure;
    relation edge(u32, u32);
    relation tc(u32, u32);
    tc(x, y) <-- edge(x, y);
    tc(x, z) <-- tc(x, y), edge(y, z);
}

ascent! {
    struct SameGeneration;
    relation par(u32, u32);
    relation sg(u32, u32);
    sg(x, y) <-- par(p, x), par(p, y);
    sg(x, y) <-- par(a, x), sg(a, b), par(b, y);
}

/// The pairs of a two-column CSV file with a header.
fn pairs(path: &str) -> Vec<(u32, u32)> {
    let text = std::fs::read_to_string(path).expect("readable CSV");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let (a, b) = l.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (sg, path) = match args.as_slice() {
        [flag, path] if flag == "--sg" => (true, path.clone()),
        [path] => (false, path.clone()),
        _ => panic!("usage: tc-ascent EDGES.csv | tc-ascent --sg TREE.csv"),
    };
    let started = Instant::now();
    let rows = pairs(&path);
    let load = started.elapsed();
    let started = Instant::now();
    let count = if sg {
        let mut prog = SameGeneration::default();
        prog.par = rows;
        prog.run();
        prog.sg.len()
    } else {
        let mut prog = Closure::default();
        prog.edge = rows;
        prog.run();
        prog.tc.len()
    };
    let query = started.elapsed();
    println!(
        "{{\"count\": {count}, \"load_ms\": {:.3}, \"query_ms\": {:.3}}}",
        load.as_secs_f64() * 1000.0,
        query.as_secs_f64() * 1000.0
    );
}
