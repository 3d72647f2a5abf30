#!/usr/bin/env bash
# What the compliance matrix costs the store: `shokoctl compliance` (one pass
# over the ledger, every payload parsed, the roll-up per host) against a bare
# read of the same envelopes by the database's own client (sqlite3, psql): the
# floor for any matrix built by a scan, measured in the same run on the same
# database. The ledger comes from bench/load_agents: AGENTS agents x RECORDS
# records of 10 checks. SQLite, then PostgreSQL in a throwaway cluster
# (scripts/pg-cluster) when the server is installed.
#
#   bench/compliance_bench.sh [AGENTS] [RECORDS_PER_AGENT]      (default 20 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
agents=${1:-20}
records=${2:-5000}
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOKO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target shoko-store shokoctl shoko_load_agents >/dev/null

tmp=$(mktemp -d)
store_pid= pgdir=
cleanup() {
  [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null || true
  [ -n "$pgdir" ] && ./scripts/pg-cluster stop "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT

# best CMD...: the fastest of 5 runs, in ms.
best() {
  local t0 t1 ms min=
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    if [ -z "$min" ] || [ "$ms" -lt "$min" ]; then min=$ms; fi
  done
  echo "$min"
}

# run LABEL DB BASELINE...: one store on DB, loaded, then both timings.
run() {
  local label=$1 db=$2 line address scan matrix
  shift 2
  coproc STORE { exec "$build/store/shoko-store" serve --listen 127.0.0.1:0 --db "$db" \
    --insecure-loopback 2>"$tmp/store-$label.log"; }
  store_pid=$STORE_PID
  read -r -t 30 line <&"${STORE[0]}" || { cat "$tmp/store-$label.log" >&2; exit 1; }
  address=${line#listening on }
  "$build/bench/shoko_load_agents" --store "$address" --agents "$agents" --records "$records" >/dev/null
  scan=$(best "$@")
  matrix=$(best "$build/cli/shokoctl" compliance --store "$address" --format json)
  kill -TERM "$store_pid"; wait "$store_pid" || true
  store_pid=
  awk -v l="$label" -v m="$matrix" -v s="$scan" -v n="$((agents * records))" -v b="$1" 'BEGIN {
    printf "%s, %d records: %s reads every envelope in %d ms; shokoctl compliance takes %d ms = %.1fx, %.1f us per record\n",
      l, n, b, s, m, (s > 0 ? m / s : 0), 1000 * m / n }'
}

if command -v sqlite3 >/dev/null; then
  run SQLite "$tmp/store.db" sqlite3 "$tmp/store.db" "SELECT sum(length(envelope)) FROM evidence"
else
  echo "SQLite: skipped, no sqlite3 command (apt-get install sqlite3)"
fi
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/shoko-bench-pg.XXXXXX)
  url=$(./scripts/pg-cluster start "$pgdir")
  run PostgreSQL "$url" psql "$url" -Atc "SELECT envelope FROM evidence ORDER BY id"
else
  echo "PostgreSQL: skipped, no PostgreSQL server installed (apt-get install postgresql)"
fi
