#!/usr/bin/env bash
# The side-by-side benchmark: installs the other systems with their ordinary package tools,
# builds dalil and the ascent baseline, writes the synthetic data (seeded: the same bytes on
# every machine), then runs bench/compare.py, which prints the table. Not part of `cargo test`.
#
#   bash bench/compare.sh                 # W1–W5, about half an hour on 2 cores
#   bash bench/compare.sh --only w3       # one workload
#   bash bench/compare.sh --runs 3        # fewer runs per measurement
#   bash bench/compare.sh --engines all   # dalil's local engine against the dataflow engine
#                                         # (1 and 2 workers, 2 processes): docs/CLUSTER.md
# Options after the script's name go to compare.py (see `python3 bench/compare.py --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
# `--engines …` runs dalil's engines only (docs/CLUSTER.md): no other system to install.
engines_only=false
for a in "$@"; do case "$a" in --engines|--engines=*) engines_only=true ;; esac; done
if ! $engines_only && { ! need sqlite3 || ! need swipl || ! need hyperfine; }; then
  if need apt-get; then
    apt-get update -qq && apt-get install -y -qq sqlite3 swi-prolog-nox hyperfine >/dev/null
  else
    echo "install sqlite3, SWI-Prolog (swipl) and hyperfine first" >&2
    exit 1
  fi
fi
$engines_only || python3 -c "import duckdb" 2>/dev/null || python3 -m pip install --quiet duckdb
[ -x /usr/bin/time ] || { ! need apt-get || apt-get install -y -qq time >/dev/null; }

cargo build --release --bins --quiet
$engines_only || (cd bench/ascent && cargo build --release --quiet)

DATA=bench/data
if [ ! -f "$DATA/events.csv" ] || [ ! -f "$DATA/tree.csv" ]; then
  ./target/release/dalil-gen --events 1000000 --entities 10000 --chain 4000 \
    --nodes 5000 --edges 20000 --wide-nodes 50000 --wide-edges 100000 --wide-parts 50 \
    --tree 10000 --seed 42 "$DATA"
fi
python3 bench/compare.py --data "$DATA" "$@"
