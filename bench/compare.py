#!/usr/bin/env python3
"""Runs the same workloads on dalil, SQLite, DuckDB, SWI-Prolog and ascent (compiled Datalog),
checks that they agree on every count, and prints a table of times, peak memory and dalil's
ratio to each. Run it through bench/compare.sh, which installs what it needs first.

Every measurement runs in a fresh process; a system reports its own load and query times (so
interpreter start-up is not counted against it), and its peak memory is read from the kernel
(/usr/bin/time's maximum resident set size). Times are medians over --runs runs; query times are "warm": the median of
the repetitions after the first inside one process (the first, "cold", is shown too — for dalil
it includes building the index the plan uses).

Workloads (see docs/PERFORMANCE.md):
  W1  selective filter over 1M events: type, partner and a two-year date range
  W2  join of 1M events with 10k entities, filtered on the entity's affiliation
  W3  recursion: the transitive closure of a chain of 4,000 nodes, of a random graph of 5,000
      nodes and 20,000 edges, and of a wide graph of 50,000 nodes and 100,000 edges (50 random
      graphs side by side); and "same generation" over a random tree of 10,000 nodes
  W4  loading 1M events: from CSV (every system), and from dalil's own syntax
  W5  start-up: `dalil -c` on the embedded article fact base, to the answer

`--engines local,df1,df2,dfp2` (or `all`) runs instead dalil's own engines side by side: the
local engine and the dataflow engine with 1 and 2 worker threads and as 2 processes on
localhost, on W2, W3's chain and graph and W4's load, one run each under a time and memory
limit (docs/CLUSTER.md holds the table).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import socket
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DALIL = os.path.join(ROOT, "target", "release", "dalil")
ASCENT = os.path.join(HERE, "ascent", "target", "release", "tc-ascent")

W1_DALIL = 'count event where type = "meeting" and partner = c07 between 2015-01-01 and 2016-12-31'
W1_SQL = ("SELECT count(*) FROM event WHERE type = 'meeting' AND partner = 'c07' "
          "AND date BETWEEN '2015-01-01' AND '2016-12-31'")
W2_DALIL = "count event where actor.affiliation = c07"
W2_SQL = ("SELECT count(*) FROM event JOIN entity ON entity.id = event.actor "
          "WHERE entity.affiliation = 'c07'")
TC_RULES = """kind edge "An edge of a graph" (from: number, to: number);
tc(from: ?x, to: ?y) :- edge(from: ?x, to: ?y);
tc(from: ?x, to: ?z) :- tc(from: ?x, to: ?y), edge(from: ?y, to: ?z);
"""
TC_SQL = ("WITH RECURSIVE tc(a, b) AS (SELECT src, dst FROM edge UNION "
          "SELECT tc.a, edge.dst FROM tc JOIN edge ON edge.src = tc.b) SELECT count(*) FROM tc")
TC_PROLOG = """:- table tc/2.
tc(X, Y) :- edge(X, Y).
tc(X, Z) :- tc(X, Y), edge(Y, Z).
main :- statistics(walltime, _), aggregate_all(count, tc(_, _), N), statistics(walltime, [_, Q]),
        format("{\\"count\\": ~d, \\"query_ms\\": ~d}~n", [N, Q]).
"""
# Same generation: two nodes are of one generation when their parents are (siblings to begin).
SG_RULES = """kind par "A parent and its child in a tree" (parent: number, child: number);
sg(x: ?x, y: ?y) :- par(parent: ?p, child: ?x), par(parent: ?p, child: ?y);
sg(x: ?x, y: ?y) :- par(parent: ?a, child: ?x), sg(x: ?a, y: ?b), par(parent: ?b, child: ?y);
"""
SG_SQL = ("WITH RECURSIVE sg(a, b) AS (SELECT p1.child, p2.child FROM par p1 JOIN par p2 "
          "ON p1.parent = p2.parent UNION SELECT p1.child, p2.child FROM sg "
          "JOIN par p1 ON p1.parent = sg.a JOIN par p2 ON p2.parent = sg.b) "
          "SELECT count(*) FROM sg")
SG_PROLOG = """:- table sg/2.
sg(X, Y) :- par(P, X), par(P, Y).
sg(X, Y) :- par(A, X), sg(A, B), par(B, Y).
main :- statistics(walltime, _), aggregate_all(count, sg(_, _), N), statistics(walltime, [_, Q]),
        format("{\\"count\\": ~d, \\"query_ms\\": ~d}~n", [N, Q]).
"""
# SQLite: the indexes a user would create for these queries (one per filtered or joined column).
SQLITE_INDEXES = [
    "CREATE INDEX event_partner ON event(partner)",
    "CREATE INDEX event_type ON event(type)",
    "CREATE INDEX event_date ON event(date)",
    "CREATE INDEX event_actor ON event(actor)",
    "CREATE UNIQUE INDEX entity_id ON entity(id)",
    "CREATE INDEX entity_affiliation ON entity(affiliation)",
    # Statistics for the planner, as SQLite's documentation advises after creating indexes.
    "ANALYZE",
]


TIME = "/usr/bin/time"


def timed(cmd):
    """`cmd` run under /usr/bin/time, which writes the peak resident memory (KB) to a file."""
    if not os.path.exists(TIME):
        return cmd, None
    fd, path = tempfile.mkstemp(prefix="rss-")
    os.close(fd)
    return [TIME, "-o", path, "-f", "%M", *cmd], path


def read_rss(path):
    """Peak memory in MB from a file `timed` named (and remove it)."""
    if not path:
        return None
    try:
        with open(path) as f:
            kb = [int(x) for x in f.read().split() if x.isdigit()]
        return kb[-1] / 1024.0 if kb else None
    finally:
        os.unlink(path)


def run(cmd, stdin=None, timeout=None, cwd=None):
    """Runs `cmd`; returns (stdout, stderr, wall seconds, peak RSS in MB, exit code)."""
    cmd, rss_file = timed(cmd)
    started = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    try:
        out, err = p.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        read_rss(rss_file)
        return None, "timeout", timeout, None, -1
    wall = time.perf_counter() - started
    return out, err, wall, read_rss(rss_file), p.returncode


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Result:
    def __init__(self, system, workload, count=None, load_ms=None, cold_ms=None, warm_ms=None,
                 rss_mb=None, note=""):
        self.system, self.workload, self.count = system, workload, count
        self.load_ms, self.cold_ms, self.warm_ms = load_ms, cold_ms, warm_ms
        self.rss_mb, self.note = rss_mb, note


# ── dalil ─────────────────────────────────────────────────────────────────────────────────────

def dalil_times(stderr):
    loads = [float(x) for x in re.findall(r"^Loaded .* from \S+ in ([0-9.]+) ms", stderr, re.M)]
    facts = [float(x) for x in re.findall(r"^Loaded \S+ in ([0-9.]+) ms", stderr, re.M)]
    times = [float(x) for x in re.findall(r"^Time: ([0-9.]+) ms", stderr, re.M)]
    return loads, facts, times


def dalil_counts(stdout):
    return [int(x) for x in re.findall(r"^ *([0-9]+)\s*$", stdout, re.M)]


def dalil_query(data, name, query, loads, reps, runs, extra=(), facts=("schema.dl",), timeout=None):
    # The closures take gigabytes: far past the default budget that stops a runaway rule.
    cmd = [DALIL, "--timing", "--max-rows", "1000000000", "--max-memory", "20000",
           "--timeout", "3600", *extra]
    for f in facts:
        cmd += ["--facts", os.path.join(data, f)]
    for kind, f in loads:
        cmd += ["--load", f"{kind}={os.path.join(data, f)}"]
    cmd += ["-c", "; ".join([query] * reps)]
    loads_ms, colds, warms, counts, rsss = [], [], [], set(), []
    for _ in range(runs):
        out, err, wall, rss, code = run(cmd, timeout=timeout)
        if code != 0:
            return Result("dalil", name, note=f"failed: {(err or '').strip()[:200]}")
        rsss.append(rss)
        l, f, t = dalil_times(err)
        loads_ms.append(sum(l) if l else None)
        colds.append(t[0])
        warms.append(median(t[1:]) if len(t) > 1 else None)
        counts.update(dalil_counts(out))
    return Result("dalil", name, count=counts.pop() if len(counts) == 1 else sorted(counts),
                  load_ms=median(loads_ms), cold_ms=median(colds), warm_ms=median(warms),
                  rss_mb=median(rsss))


# ── SQLite (the sqlite3 command-line shell: .import is its bulk loader) ───────────────────────

def sqlite_script(data, queries, reps, indexes, tables):
    lines = [".bail on", ".timer on"]
    for table, f in tables:
        lines.append(f".import --csv {os.path.join(data, f)} {table}")
    lines += [i + ";" for i in indexes]
    lines.append("SELECT 'QUERIES';")
    for q in queries:
        lines += [q + ";"] * reps
    return "\n".join(lines) + "\n"


def sqlite_run(data, name, query, reps, runs, tables, indexes, timeout=None):
    script = sqlite_script(data, [query], reps, indexes, tables)
    colds, warms, loads, counts, rsss = [], [], [], set(), []
    for _ in range(runs):
        started = time.perf_counter()
        cmd, rss_file = timed(["sqlite3", ":memory:"])
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        p.stdin.write(script)
        p.stdin.close()
        # Read line by line to time the load (until the QUERIES marker) from outside.
        load_ms = None
        out_lines = []
        for line in p.stdout:
            if line.strip() == "QUERIES" and load_ms is None:
                load_ms = (time.perf_counter() - started) * 1000
            out_lines.append(line)
            if timeout and time.perf_counter() - started > timeout:
                p.kill()
                p.wait()
                read_rss(rss_file)
                return Result("SQLite", name, note=f"timeout: over {timeout} s")
        p.wait()
        rsss.append(read_rss(rss_file))
        if p.returncode != 0:
            return Result("SQLite", name, note="failed: " + p.stderr.read()[:200])
        out = "".join(out_lines)
        after = out.split("QUERIES", 1)[1]
        # The first time after the marker is the marker's own statement.
        t = [float(x) * 1000 for x in re.findall(r"Run Time: real ([0-9.]+)", after)][1:]
        counts.update(int(x) for x in re.findall(r"^([0-9]+)$", after, re.M))
        loads.append(load_ms)
        colds.append(t[0])
        warms.append(median(t[1:]) if len(t) > 1 else None)
    return Result("SQLite", name, count=counts.pop() if len(counts) == 1 else sorted(counts),
                  load_ms=median(loads), cold_ms=median(colds), warm_ms=median(warms),
                  rss_mb=median(rsss),
                  note="indexed" if indexes else "")


# ── DuckDB and Python-driven runs (a worker process reports JSON) ─────────────────────────────

DUCKDB_WORKER = r"""
import duckdb, json, sys, time
data, query, reps, tables = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute("SET enable_progress_bar = false")
t = time.perf_counter()
for table, f in tables:
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_csv('{data}/{f}', header=true, all_varchar=false)")
load = (time.perf_counter() - t) * 1000
times, counts = [], set()
for _ in range(reps):
    t = time.perf_counter()
    counts.add(con.execute(query).fetchone()[0])
    times.append((time.perf_counter() - t) * 1000)
print(json.dumps({"load_ms": load, "times": times, "counts": sorted(counts)}))
"""


def python_worker(system, code, args, name, runs, timeout=None):
    cmd = [sys.executable, "-c", code, *args]
    colds, warms, loads, counts, rsss = [], [], [], set(), []
    for _ in range(runs):
        out, err, wall, rss, rc = run(cmd, timeout=timeout)
        rsss.append(rss)
        if rc != 0:
            return Result(system, name, note=(f"timeout: over {timeout} s" if err == "timeout"
                                              else "failed: " + err.strip()[-200:]))
        r = json.loads([x for x in out.splitlines() if x.startswith("{")][-1])
        loads.append(r["load_ms"])
        colds.append(r["times"][0])
        warms.append(median(r["times"][1:]) if len(r["times"]) > 1 else None)
        counts.update(r["counts"])
    return Result(system, name, count=counts.pop() if len(counts) == 1 else sorted(counts),
                  load_ms=median(loads), cold_ms=median(colds), warm_ms=median(warms),
                  rss_mb=median(rsss))


def duckdb_query(data, name, query, reps, runs, tables, timeout=None):
    return python_worker("DuckDB", DUCKDB_WORKER, [data, query, str(reps), json.dumps(tables)],
                         name, runs, timeout)


# ── SWI-Prolog and ascent (transitive closure only) ───────────────────────────────────────────

def prolog_tc(data, name, graph, runs, timeout, program=TC_PROLOG):
    tmp = tempfile.mkdtemp()
    prog = os.path.join(tmp, "tc.pl")
    with open(prog, "w") as f:
        f.write(program)
    cmd = ["swipl", "-q", "-O", "--stack-limit=16g", "--table-space=16g", "-g",
           f"statistics(walltime,_),consult('{os.path.join(data, graph + '.pl')}'),"
           "statistics(walltime,[_,L]),format('{\"load_ms\": ~d}~n',[L]),main", "-t", "halt", prog]
    qs, ls, counts, rsss = [], [], set(), []
    for _ in range(runs):
        out, err, wall, rss, rc = run(cmd, timeout=timeout)
        rsss.append(rss)
        if rc != 0 or out is None:
            return Result("SWI-Prolog", name, note=f"timeout: over {timeout} s"
                          if err == "timeout" else "failed: " + (err or "").strip()[-200:])
        rows = [json.loads(x) for x in out.strip().splitlines() if x.startswith("{")]
        ls.append(rows[0]["load_ms"])
        qs.append(rows[1]["query_ms"])
        counts.add(rows[1]["count"])
    shutil.rmtree(tmp, ignore_errors=True)
    return Result("SWI-Prolog", name, count=counts.pop(), load_ms=median(ls), cold_ms=median(qs),
                  warm_ms=median(qs), rss_mb=median(rsss), note="tabling")


def ascent_tc(data, name, graph, runs, timeout, flags=()):
    cmd = [ASCENT, *flags, os.path.join(data, graph + ".csv")]
    qs, ls, counts, rsss = [], [], set(), []
    for _ in range(runs):
        out, err, wall, rss, rc = run(cmd, timeout=timeout)
        rsss.append(rss)
        if rc != 0 or out is None:
            return Result("ascent", name, note="failed")
        r = json.loads(out)
        qs.append(r["query_ms"])
        ls.append(r["load_ms"])
        counts.add(r["count"])
    return Result("ascent", name, count=counts.pop(), load_ms=median(ls), cold_ms=median(qs),
                  warm_ms=median(qs), rss_mb=median(rsss), note="compiled")


# ── The workloads ─────────────────────────────────────────────────────────────────────────────

def w1_w2(data, runs):
    results = []
    tables = [("event", "events.csv"), ("entity", "entities.csv")]
    for name, dq, sq in [("W1 filter", W1_DALIL, W1_SQL), ("W2 join", W2_DALIL, W2_SQL)]:
        results.append(dalil_query(data, name, dq, [("event", "events.csv")], 6, runs))
        results.append(sqlite_run(data, name, sq, 6, runs, tables, SQLITE_INDEXES))
        results.append(duckdb_query(data, name, sq, 6, runs, tables))
    return results


def w3(data, runs, timeout, slow_runs):
    results = []
    tmp = tempfile.mkdtemp()
    tc_rules, sg_rules = os.path.join(tmp, "tc.dl"), os.path.join(tmp, "sg.dl")
    with open(tc_rules, "w") as f:
        f.write(TC_RULES)
    with open(sg_rules, "w") as f:
        f.write(SG_RULES)
    tc_sql = TC_SQL.replace("src", '"from"').replace("dst", '"to"')
    # (workload, file, kind loaded, dalil's rules, its query, SQL, SQLite's index, Prolog, ascent)
    cases = [(f"W3 tc {g}", g, "edge", tc_rules, "count tc", tc_sql,
              'CREATE INDEX edge_from ON edge("from")', TC_PROLOG, ())
             for g in ["chain", "graph", "wide"]]
    cases.append(("W3 sg tree", "tree", "par", sg_rules, "count sg", SG_SQL,
                  "CREATE INDEX par_parent ON par(parent)", SG_PROLOG, ("--sg",)))
    for name, graph, kind, rules, query, sql, index, prolog, flags in cases:
        if not os.path.exists(os.path.join(data, graph + ".csv")):
            continue
        table = [(kind, f"{graph}.csv")]
        results.append(dalil_query(data, name, query, table, 1, runs, facts=(rules,),
                                   timeout=timeout))
        results.append(ascent_tc(data, name, graph, runs, timeout, flags))
        results.append(sqlite_run(data, name, sql, 1, slow_runs, table, [index], timeout))
        results.append(duckdb_query(data, name, sql, 1, slow_runs, table, timeout))
        results.append(prolog_tc(data, name, graph, slow_runs, timeout, prolog))
    shutil.rmtree(tmp, ignore_errors=True)
    return results


def w4(data, runs):
    results = []
    r = dalil_query(data, "W4 load CSV", "count event", [("event", "events.csv")], 1, runs)
    results.append(r)
    results.append(sqlite_run(data, "W4 load CSV", "SELECT count(*) FROM event", 1, runs,
                              [("event", "events.csv")], []))
    results.append(duckdb_query(data, "W4 load CSV", "SELECT count(*) FROM event", 1, runs,
                                [("event", "events.csv")]))
    # dalil's own syntax: the facts file is loaded by --facts, timed by --timing.
    cmd = [DALIL, "--timing", "--max-input", "4000000000", "--facts", os.path.join(data, "schema.dl"),
           "--facts", os.path.join(data, "events.dl"), "-c", "count event"]
    loads, counts, rsss = [], set(), []
    for _ in range(runs):
        out, err, wall, rss, rc = run(cmd)
        rsss.append(rss)
        f = [float(x) for x in re.findall(r"^Loaded \S*events.dl in ([0-9.]+) ms", err, re.M)]
        loads.append(f[0] if f else None)
        counts.update(dalil_counts(out))
    size = os.path.getsize(os.path.join(data, "events.dl"))
    ms = median(loads)
    results.append(Result("dalil", "W4 load .dl", count=counts.pop() if len(counts) == 1 else None,
                          load_ms=ms, rss_mb=median(rsss),
                          note=f"{size / 1e6 / (ms / 1000):.0f} MB/s" if ms else ""))
    # Memory: the events' share of dalil's peak memory, against the CSV's size.
    base = median([run([DALIL, "--facts", os.path.join(data, "schema.dl"), "-c",
                        "count event"])[3] for _ in range(runs)])
    full = next(x.rss_mb for x in results if x.workload == "W4 load CSV" and x.system == "dalil")
    csv_mb = os.path.getsize(os.path.join(data, "events.csv")) / 2**20
    results.append(Result("dalil", "memory", load_ms=None, rss_mb=full - base,
                          note=f"events take {(full - base) / csv_mb:.2f}× their CSV "
                               f"({csv_mb:.1f} MiB)"))
    return results


def whole_process_ms(cmd, runs):
    """Median wall time of `cmd` as a whole process, in ms: by hyperfine when it is installed
    (no shell, no Python between), else timed from here."""
    if shutil.which("hyperfine"):
        fd, path = tempfile.mkstemp(prefix="hyperfine-", suffix=".json")
        os.close(fd)
        try:
            subprocess.run(["hyperfine", "-N", "--warmup", "10", "--runs", str(max(runs * 20, 100)),
                            "--export-json", path, *[" ".join(shell_quote(a) for a in cmd)]],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            with open(path) as f:
                return json.load(f)["results"][0]["median"] * 1000
        finally:
            os.unlink(path)
    walls = []
    for _ in range(max(runs * 4, 20)):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append((time.perf_counter() - started) * 1000)
    return median(walls)


def shell_quote(a):
    return a if re.fullmatch(r"[A-Za-z0-9_./:=-]+", a) else "'" + a.replace("'", "'\\''") + "'"


def w5(runs):
    """Start-up, whole process, to the answer. Timed on the binary as `cargo install` places it
    (a copy), which is what a user runs, and again on target/release/dalil as the linker left
    it: a file just written sits in the page cache in 4 KB pieces, and mapping those costs a
    few tenths of a millisecond at every start until the cache is refreshed (a reboot, memory
    pressure, a copy; docs/PERFORMANCE.md)."""
    query = ["-c", 'visit where partner = "US" after 2025-09-01']
    results = []
    with tempfile.TemporaryDirectory(prefix="dalil-w5-") as tmp:
        installed = os.path.join(tmp, "dalil")
        shutil.copy2(DALIL, installed)
        for binary, workload, note in [
                (installed, "W5 start-up", "whole process, to the answer (installed binary)"),
                (DALIL, "W5 start-up, just linked",
                 "the same, target/release/dalil as `cargo build` left it")]:
            cmd = [binary, *query]
            # The first run may write the start-up cache (see docs/PERFORMANCE.md); not timed.
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ms = whole_process_ms(cmd, runs)
            results.append(Result("dalil", workload, count=1, cold_ms=ms, warm_ms=ms,
                                  rss_mb=run(cmd)[3], note=note))
            if workload == "W5 start-up" and shutil.which("sqlite3"):
                # For scale: the sqlite3 shell answering a constant, in memory, also a whole
                # process.
                cmd = ["sqlite3", ":memory:", "SELECT 1"]
                ms = whole_process_ms(cmd, runs)
                results.append(Result("SQLite", workload, count=1, cold_ms=ms, warm_ms=ms,
                                      rss_mb=run(cmd)[3], note="`SELECT 1`, no data"))
    return results


# ── The dataflow engine (docs/CLUSTER.md): the local engine against --engine dataflow ───────

# W2 and the load of W4 as rules, so that the dataflow engine computes them (a query over facts
# alone runs on the local engine whatever --engine says). `w2` holds the events W2 counts (one
# row per distinct event: the same count unless two events are identical).
W2_RULES = """w2(type: ?t, actor: ?a, partner: ?p, host: ?h, date: ?d) :-
  event(type: ?t, actor: ?a, partner: ?p, host: ?h, date: ?d), entity(id: ?a, affiliation: c07);
"""
# Every loaded event handed through the dataflow and back: the load, then a copy of the events.
W4_RULES = """ev(type: ?t, actor: ?a, partner: ?p, host: ?h, date: ?d) :-
  event(type: ?t, actor: ?a, partner: ?p, host: ?h, date: ?d);
"""
ENGINES = {
    "local": ("local engine", []),
    "df1": ("dataflow, 1 worker", ["--engine", "dataflow", "--workers", "1"]),
    "df2": ("dataflow, 2 workers", ["--engine", "dataflow", "--workers", "2"]),
    "dfp2": ("dataflow, 2 processes", ["--engine", "dataflow", "--workers", "1"]),
}
GNU_TIME_FORMAT = "%M %e %U %S"


def group_rss_mb(pgids):
    """Resident memory of every process in these process groups, in MB (from /proc)."""
    total = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) in pgids:
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total / 2**20


def run_group(cmds, timeout, memory_mb):
    """Runs `cmds` at once (the processes of one computation), each under /usr/bin/time in a
    process group of its own. Gives up when the first has run `timeout` seconds or together
    they hold more than `memory_mb`: every group is killed. Returns (outputs, stderrs, wall
    seconds, [(peak MB, user + system s)] per command, why it stopped or None)."""
    files, procs = [], []
    for i, cmd in enumerate(cmds):
        fd, path = tempfile.mkstemp(prefix="time-")
        os.close(fd)
        files.append(path)
        out = subprocess.PIPE if i == 0 else subprocess.DEVNULL
        procs.append(subprocess.Popen([TIME, "-o", path, "-f", GNU_TIME_FORMAT, *cmd],
                                      stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.PIPE, text=True,
                                      start_new_session=True))
        if i == 0 and len(cmds) > 1:
            time.sleep(0.2)  # process 0 listens first
    started = time.perf_counter()
    stopped, peak = None, 0.0
    pgids = {p.pid for p in procs}
    # Collect the outputs on threads (a pipe that fills would stop the process).
    outs = [[None, None] for _ in procs]

    def drain(i, p):
        outs[i][0] = p.stdout.read() if p.stdout else ""
        outs[i][1] = p.stderr.read()
    readers = [threading.Thread(target=drain, args=(i, p)) for i, p in enumerate(procs)]
    for r in readers:
        r.start()
    while any(p.poll() is None for p in procs):
        rss = group_rss_mb(pgids)
        peak = max(peak, rss)
        if time.perf_counter() - started > timeout:
            stopped = f"timed out after {timeout} s"
        elif rss > memory_mb:
            stopped = (f"stopped at {rss / 1024:.1f} GB "
                       f"(over the {memory_mb / 1024:.1f} GB allowed)")
        if stopped:
            for p in procs:
                try:
                    os.killpg(p.pid, 9)
                except ProcessLookupError:
                    pass
            break
        time.sleep(0.5)
    for p in procs:
        p.wait()
    wall = time.perf_counter() - started
    for r in readers:
        r.join()
    usage = []
    for path in files:
        with open(path) as f:
            words = f.read().split()
        os.unlink(path)
        try:
            m, _, u, s = (float(x) for x in words[-4:])
            usage.append((m / 1024, u + s))
        except ValueError:
            usage.append((None, None))
    codes = [p.returncode for p in procs]
    if not stopped and any(codes):
        stopped = "failed: " + " | ".join((e or "").strip()[-200:] for _, e in outs if e)
    return [o for o, _ in outs], [e for _, e in outs], wall, usage, stopped


def dataflow_case(data, name, engine, rules, query, loads, facts, timeout, memory_mb):
    """One run of a workload on one engine, as a Result (times in ms)."""
    label, flags = ENGINES[engine]
    # dalil's own --timeout later than the watchdog's, which reports the time given.
    cmd = [DALIL, "--timing", "--format", "csv", "--max-rows", "1000000000", "--max-memory",
           "20000", "--timeout", str(timeout + 60), *flags]
    for f in facts:
        cmd += ["--facts", f]
    cmd += ["--facts", rules]
    for kind, f in loads:
        cmd += ["--load", f"{kind}={os.path.join(data, f)}"]
    cmd += ["-c", query]
    if engine == "dfp2":
        hosts = ",".join(f"127.0.0.1:{free_port()}" for _ in range(2))
        cmds = [cmd + ["--processes", "2", "--process", str(i), "--hosts", hosts]
                for i in range(2)]
    else:
        cmds = [cmd]
    outs, errs, wall, usage, stopped = run_group(cmds, timeout, memory_mb)
    peaks = [m for m, _ in usage if m is not None]
    cpus = [c for _, c in usage if c is not None]
    r = Result(label, name, rss_mb=sum(peaks) if peaks else None)
    r.wall_s, r.cpu_s = wall, (sum(cpus) if cpus else None)
    r.peaks = peaks
    if stopped:
        r.note = stopped
        return r
    loads_ms, facts_ms, times = dalil_times(errs[0])
    flow = [float(x) for x in re.findall(r"^Dataflow: computed from scratch in ([0-9.]+) ms",
                                         errs[0], re.M)]
    r.load_ms = sum(loads_ms) if loads_ms else None
    r.cold_ms = times[0] if times else None
    r.flow_ms = flow[0] if flow else None
    counts = dalil_counts(outs[0])
    r.count = counts[0] if len(counts) == 1 else counts
    if engine == "dfp2":
        r.note = "peak " + " + ".join(f"{m:.0f}" for m in peaks) + " MB (process 0 + 1)"
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dataflow_runs(data, engines, timeout, memory_mb, only):
    """W2, W3's chain and graph and the 1M-event load, on each engine of `engines`, one run
    each (the dataflow runs take minutes)."""
    tmp = tempfile.mkdtemp()
    files = {}
    for key, text in [("tc", TC_RULES), ("w2", W2_RULES), ("w4", W4_RULES)]:
        files[key] = os.path.join(tmp, key + ".dl")
        with open(files[key], "w") as f:
            f.write(text)
    schema = os.path.join(data, "schema.dl")
    events = [("event", "events.csv")]
    cases = [("w2", "W2 join (as a rule)", files["w2"], "count w2", events, [schema]),
             ("w3", "W3 tc chain", files["tc"], "count tc", [("edge", "chain.csv")], []),
             ("w3", "W3 tc graph", files["tc"], "count tc", [("edge", "graph.csv")], []),
             ("w4", "W4 load 1M events (and copy)", files["w4"], "count ev", events, [schema])]
    results = []
    for group, name, rules, query, loads, facts in cases:
        if group not in only:
            continue
        for engine in engines:
            r = dataflow_case(data, name, engine, rules, query, loads, facts, timeout, memory_mb)
            print(f"{name} | {r.system}: count {r.count}, {r.wall_s:.1f} s, "
                  f"{fmt_ms(r.rss_mb)} MB {r.note}", file=sys.stderr, flush=True)
            results.append(r)
    shutil.rmtree(tmp, ignore_errors=True)
    return results


def fmt_s(ms):
    return "–" if ms is None else f"{ms / 1000:.1f}" if ms >= 1000 else f"{ms / 1000:.3f}"


def dataflow_report(results):
    """The table of docs/CLUSTER.md, and the workloads whose engines disagree."""
    lines = ["| workload | engine | count | wall s | CPU s | load s | derive s | peak MB | note |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    problems = []
    workloads = []
    for r in results:
        if r.workload not in workloads:
            workloads.append(r.workload)
    for w in workloads:
        rs = [r for r in results if r.workload == w]
        counts = {str(r.count) for r in rs if r.count is not None}
        if len(counts) > 1:
            problems.append(f"{w}: the engines disagree: " +
                            ", ".join(f"{r.system} {r.count}" for r in rs))
        for r in rs:
            wall = getattr(r, "wall_s", None)
            cpu = getattr(r, "cpu_s", None)
            flow = getattr(r, "flow_ms", None)
            if r.note.startswith(("timed", "stopped")):
                wall = None
            lines.append(
                f"| {w} | {r.system} | {r.count if r.count is not None else '–'} | "
                f"{'–' if wall is None else f'{wall:.1f}'} | "
                f"{'–' if cpu is None else f'{cpu:.1f}'} | {fmt_s(r.load_ms)} | "
                f"{fmt_s(flow if flow is not None else r.cold_ms)} | {fmt_ms(r.rss_mb)} | {r.note} |")
    return "\n".join(lines), problems


# ── Report ────────────────────────────────────────────────────────────────────────────────────

def fmt_ms(x):
    if x is None:
        return "–"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def measure(r):
    """The time a workload is compared on: warm query time for W1–W2, the one run of the
    recursion for W3, load time for W4, the whole process for W5."""
    if r.workload.startswith(("W1", "W2", "W3", "W5")):
        return r.warm_ms or r.cold_ms
    return r.load_ms


def report(results):
    workloads = []
    for r in results:
        if r.workload not in workloads:
            workloads.append(r.workload)
    lines = ["| workload | system | load ms | query ms (cold) | query ms (warm) | peak MB | count | dalil × | note |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    best = ["| workload | dalil ms | dalil peak MB | best other | its ms | its peak MB | dalil × best | least peak MB of the others |",
            "|---|---:|---:|---|---:|---:|---:|---:|"]
    problems = []
    for w in workloads:
        rs = [r for r in results if r.workload == w]
        d = next((r for r in rs if r.system == "dalil"), None)
        counts = {str(r.count) for r in rs if r.count is not None}
        if len(counts) > 1:
            problems.append(f"{w}: the systems disagree: " +
                            ", ".join(f"{r.system} {r.count}" for r in rs))
        for r in rs:
            ratio = ""
            if d and r is not d:
                mine, theirs = measure(d), measure(r)
                over = re.match(r"timeout: over ([0-9]+) s", r.note)
                if over and mine:
                    ratio = f"> {int(over.group(1)) * 1000 / mine:.1f}"
                elif mine and theirs:
                    ratio = f"{theirs / mine:.1f}"
            lines.append(f"| {w} | {r.system} | {fmt_ms(r.load_ms)} | {fmt_ms(r.cold_ms)} | "
                         f"{fmt_ms(r.warm_ms)} | {fmt_ms(r.rss_mb)} | "
                         f"{r.count if r.count is not None else '–'} | {ratio} | {r.note} |")
        # dalil against the fastest other system of the same run (that gave an answer).
        others = [r for r in rs if r is not d and measure(r) and not r.note.startswith(
            ("timeout", "failed"))]
        if d and measure(d):
            top = min(others, key=measure) if others else None
            peaks = [r.rss_mb for r in others if r.rss_mb]
            best.append(
                f"| {w} | {fmt_ms(measure(d))} | {fmt_ms(d.rss_mb)} | "
                f"{top.system if top else '–'} | {fmt_ms(measure(top)) if top else '–'} | "
                f"{fmt_ms(top.rss_mb) if top else '–'} | "
                f"{measure(top) / measure(d):.2f} | " if top else
                f"| {w} | {fmt_ms(measure(d))} | {fmt_ms(d.rss_mb)} | – | – | – | – | ")
            best[-1] += f"{fmt_ms(min(peaks)) if peaks else '–'} |"
    table = "\n".join(lines)
    if len(best) > 2:
        table += ("\n\ndalil against the fastest other system on each workload (dalil × best: "
                  "above 1, dalil is faster):\n\n" + "\n".join(best))
    return table, problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(HERE, "data"), help="where dalil-gen wrote")
    ap.add_argument("--runs", type=int, default=5, help="runs per fast measurement (median)")
    ap.add_argument("--slow-runs", type=int, default=1, help="runs of the slow baselines of W3")
    ap.add_argument("--timeout", type=int, default=600, help="seconds before a run is given up")
    ap.add_argument("--only", default="", help="comma-separated: w1,w2 (together), w3, w4, w5")
    ap.add_argument("--json", help="also write every result to this file")
    ap.add_argument("--engines", help="instead of the other systems: dalil's engines side by "
                    "side on W2, W3's chain and graph and W4's load (docs/CLUSTER.md), one run "
                    "each; comma-separated: local, df1 (dataflow, 1 worker), df2 (2 workers), "
                    "dfp2 (2 processes on localhost); `all` for the four")
    ap.add_argument("--memory", type=int, default=14000,
                    help="with --engines: MB a run may hold (its processes together) before it "
                         "is stopped")
    ap.add_argument("--from-json", help="print the table of a run saved with --json, and exit")
    args = ap.parse_args()
    if args.from_json:
        with open(args.from_json) as f:
            saved = [Result(r["system"], r["workload"]) for r in json.load(f)]
        with open(args.from_json) as f:
            for r, d in zip(saved, json.load(f)):
                r.__dict__.update(d)
        dataflow = any(hasattr(r, "wall_s") for r in saved)
        print((dataflow_report if dataflow else report)(saved)[0])
        return
    if args.engines:
        engines = list(ENGINES) if args.engines == "all" else args.engines.split(",")
        unknown = [e for e in engines if e not in ENGINES]
        if unknown:
            ap.error(f"unknown engine {unknown[0]}: one of {', '.join(ENGINES)}")
        only = set(args.only.split(",")) if args.only else {"w2", "w3", "w4"}
        results = dataflow_runs(args.data, engines, args.timeout, args.memory, only)
        table, problems = dataflow_report(results)
    else:
        only = set(args.only.split(",")) if args.only else {"w1", "w3", "w4", "w5"}
        results = []
        if only & {"w1", "w2"}:
            results += w1_w2(args.data, args.runs)
        if "w3" in only:
            results += w3(args.data, args.runs, args.timeout, args.slow_runs)
        if "w4" in only:
            results += w4(args.data, args.runs)
        if "w5" in only:
            results += w5(args.runs)
        table, problems = report(results)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([r.__dict__ for r in results], f, indent=1)
    for p in problems:
        print("MISMATCH:", p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
