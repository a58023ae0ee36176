//! `dalil-gen`: writes the synthetic fact bases of the benchmark (bench/compare.py), seeded so
//! that every run on every machine writes the same bytes.
//!
//!     dalil-gen [--events N] [--entities N] [--chain N] [--nodes N] [--edges N]
//!               [--wide-nodes N] [--wide-edges N] [--wide-parts N] [--tree N] [--seed S] DIR
//!
//! Into DIR it writes, for each system the benchmark compares:
//!   schema.dl          the kinds (`event`, `edge`) and every entity, in dalil's own syntax
//!   events.csv         the events, one a line (header: type,actor,partner,host,date)
//!   events.dl          the same events as dalil facts
//!   entities.csv       id,type,name,affiliation of every entity (for the SQL systems)
//!   chain.csv/.pl      a chain of N nodes (edges i → i+1), as CSV and as Prolog facts
//!   graph.csv/.pl      a random directed graph, as CSV and as Prolog facts
//!   wide.csv/.pl       a wider random graph: `--wide-parts` random graphs side by side, so
//!                      many nodes reach many others but the closure stays countable
//!   tree.csv/.pl       a random tree (each node's parent an earlier node), for "same
//!                      generation": `parent,child` rows, Prolog `par(P, C)`
//!
//! Entities: 5 regions, 50 countries (each in a region), and people (each affiliated with a
//! country) up to `--entities`. Events: a type among 10, an actor (a person), a partner and a
//! host (countries), and a day over the 20 years 2006–2025; no two events are equal.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// splitmix64: small, fast and good enough to spread synthetic data evenly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) % n as u64) as usize
    }
}

const TYPES: [&str; 10] = [
    "meeting",
    "visit",
    "exercise",
    "agreement",
    "statement",
    "sale",
    "training",
    "summit",
    "call",
    "protest",
];
const REGIONS: usize = 5;
const COUNTRIES: usize = 50;

struct Opts {
    events: usize,
    entities: usize,
    chain: usize,
    nodes: usize,
    edges: usize,
    wide_nodes: usize,
    wide_edges: usize,
    wide_parts: usize,
    tree: usize,
    seed: u64,
    dir: PathBuf,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        events: 1_000_000,
        entities: 10_000,
        chain: 4_000,
        nodes: 5_000,
        edges: 20_000,
        wide_nodes: 50_000,
        wide_edges: 100_000,
        wide_parts: 50,
        tree: 10_000,
        seed: 42,
        dir: PathBuf::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .ok_or(format!("{name} takes a whole number"))
        };
        match a.as_str() {
            "--events" => o.events = num("--events")? as usize,
            "--entities" => o.entities = num("--entities")? as usize,
            "--chain" => o.chain = num("--chain")? as usize,
            "--nodes" => o.nodes = num("--nodes")? as usize,
            "--edges" => o.edges = num("--edges")? as usize,
            "--wide-nodes" => o.wide_nodes = num("--wide-nodes")? as usize,
            "--wide-edges" => o.wide_edges = num("--wide-edges")? as usize,
            "--wide-parts" => o.wide_parts = (num("--wide-parts")? as usize).max(1),
            "--tree" => o.tree = num("--tree")? as usize,
            "--seed" => o.seed = num("--seed")?,
            "-h" | "--help" => return Err(String::new()),
            d if !d.starts_with('-') && o.dir.as_os_str().is_empty() => o.dir = d.into(),
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    if o.dir.as_os_str().is_empty() {
        return Err("name the directory to write into".into());
    }
    if o.entities < REGIONS + COUNTRIES + 1 {
        return Err(format!(
            "--entities must be at least {}",
            REGIONS + COUNTRIES + 1
        ));
    }
    Ok(o)
}

fn create(dir: &Path, name: &str) -> std::io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 20,
        File::create(dir.join(name))?,
    ))
}

fn region(i: usize) -> String {
    format!("r{i}")
}
fn country(i: usize) -> String {
    format!("c{i:02}")
}
fn person(i: usize) -> String {
    format!("p{i:05}")
}

/// Days of the 20 years 2006-01-01 .. 2025-12-31, as `YYYY-MM-DD`.
fn all_days() -> Vec<String> {
    let mut days = Vec::new();
    for y in 2006..=2025 {
        for m in 1..=12u32 {
            let n = match m {
                2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            for d in 1..=n {
                days.push(format!("{y:04}-{m:02}-{d:02}"));
            }
        }
    }
    days
}

fn write_entities(o: &Opts, rng: &mut Rng) -> std::io::Result<Vec<usize>> {
    let mut dl = create(&o.dir, "schema.dl")?;
    let mut csv = create(&o.dir, "entities.csv")?;
    writeln!(
        dl,
        "# Synthetic fact base written by dalil-gen (seed {}).",
        o.seed
    )?;
    writeln!(
        dl,
        "kind event \"Something that happened\" (type: text, actor: entity, partner: entity, host: entity, date: date);"
    )?;
    writeln!(
        dl,
        "kind edge \"An edge of a graph\" (from: number, to: number);"
    )?;
    writeln!(csv, "id,type,name,affiliation")?;
    for r in 0..REGIONS {
        writeln!(dl, "entity {}: region(name: \"Region {r}\");", region(r))?;
        writeln!(csv, "{},region,Region {r},", region(r))?;
    }
    for c in 0..COUNTRIES {
        let r = region(c % REGIONS);
        writeln!(
            dl,
            "entity {}: country(name: \"Country {c:02}\", affiliation: {r});",
            country(c)
        )?;
        writeln!(csv, "{},country,Country {c:02},{r}", country(c))?;
    }
    let people = o.entities - REGIONS - COUNTRIES;
    let mut affiliation = Vec::with_capacity(people);
    for p in 0..people {
        let c = rng.below(COUNTRIES);
        affiliation.push(c);
        writeln!(
            dl,
            "entity {}: person(name: \"Person {p:05}\", affiliation: {});",
            person(p),
            country(c)
        )?;
        writeln!(csv, "{},person,Person {p:05},{}", person(p), country(c))?;
    }
    dl.flush()?;
    csv.flush()?;
    Ok(affiliation)
}

fn write_events(o: &Opts, rng: &mut Rng, people: usize) -> std::io::Result<()> {
    let days = all_days();
    let mut csv = create(&o.dir, "events.csv")?;
    let mut dl = create(&o.dir, "events.dl")?;
    writeln!(csv, "type,actor,partner,host,date")?;
    let mut seen = HashSet::with_capacity(o.events);
    while seen.len() < o.events {
        let t = rng.below(TYPES.len());
        let a = rng.below(people);
        let p = rng.below(COUNTRIES);
        let h = rng.below(COUNTRIES);
        let d = rng.below(days.len());
        if !seen.insert((t, a, p, h, d)) {
            continue;
        }
        let (t, a, p, h, d) = (TYPES[t], person(a), country(p), country(h), &days[d]);
        writeln!(csv, "{t},{a},{p},{h},{d}")?;
        writeln!(
            dl,
            "event(type: \"{t}\", actor: {a}, partner: {p}, host: {h}, date: {d});"
        )?;
    }
    csv.flush()?;
    dl.flush()
}

fn write_graph(o: &Opts, name: &str, edges: &[(usize, usize)]) -> std::io::Result<()> {
    write_pairs(o, name, ("from", "to", "edge"), edges)
}

/// Pairs as CSV (with the header `a,b`) and as Prolog facts `pred(a,b).`.
fn write_pairs(
    o: &Opts,
    name: &str,
    (a_name, b_name, pred): (&str, &str, &str),
    pairs: &[(usize, usize)],
) -> std::io::Result<()> {
    let mut csv = create(&o.dir, &format!("{name}.csv"))?;
    let mut pl = create(&o.dir, &format!("{name}.pl"))?;
    writeln!(csv, "{a_name},{b_name}")?;
    for (a, b) in pairs {
        writeln!(csv, "{a},{b}")?;
        writeln!(pl, "{pred}({a},{b}).")?;
    }
    csv.flush()?;
    pl.flush()
}

/// `edges` distinct random edges (no loops) among the nodes `first..first + nodes`.
fn random_graph(rng: &mut Rng, first: usize, nodes: usize, edges: usize) -> Vec<(usize, usize)> {
    let mut seen = HashSet::with_capacity(edges);
    let mut graph = Vec::with_capacity(edges);
    while graph.len() < edges.min(nodes * nodes.saturating_sub(1)) {
        let (a, b) = (first + rng.below(nodes), first + rng.below(nodes));
        if a != b && seen.insert((a, b)) {
            graph.push((a, b));
        }
    }
    graph
}

fn main() {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("Error: {e}");
            }
            eprintln!(
                "usage: dalil-gen [--events N] [--entities N] [--chain N] [--nodes N] [--edges N]\n                 [--wide-nodes N] [--wide-edges N] [--wide-parts N] [--tree N] [--seed S] DIR"
            );
            std::process::exit(2);
        }
    };
    let run = || -> std::io::Result<()> {
        std::fs::create_dir_all(&o.dir)?;
        let mut rng = Rng(o.seed);
        let affiliation = write_entities(&o, &mut rng)?;
        write_events(&o, &mut rng, affiliation.len())?;
        let chain: Vec<(usize, usize)> = (1..o.chain).map(|i| (i, i + 1)).collect();
        write_graph(&o, "chain", &chain)?;
        let graph = random_graph(&mut rng, 1, o.nodes, o.edges);
        write_graph(&o, "graph", &graph)?;
        // The wide graph: parts of equal size, each a random graph of its own.
        let (nodes, edges) = (o.wide_nodes / o.wide_parts, o.wide_edges / o.wide_parts);
        let wide: Vec<(usize, usize)> = (0..o.wide_parts)
            .flat_map(|p| random_graph(&mut rng, 1 + p * nodes, nodes, edges))
            .collect();
        write_graph(&o, "wide", &wide)?;
        // The tree: node 1 is the root; node i's parent is one of the nodes before it.
        let tree: Vec<(usize, usize)> = (2..=o.tree).map(|i| (1 + rng.below(i - 1), i)).collect();
        write_pairs(&o, "tree", ("parent", "child", "par"), &tree)
    };
    if let Err(e) = run() {
        eprintln!("Error: cannot write into `{}`: {e}", o.dir.display());
        std::process::exit(1);
    }
}
