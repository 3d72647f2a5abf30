#!/usr/bin/env bash
# What the compliance matrix costs the store: `shokoctl compliance` (one pass
# over the ledger, every payload parsed, the roll-up per host) against a bare
# read of the same envelopes by the sqlite3 command (the floor for any matrix
# built by a scan), measured in the same run on the same database. The ledger
# comes from bench/load_agents: AGENTS agents x RECORDS records of 10 checks.
#
#   bench/compliance_bench.sh [AGENTS] [RECORDS_PER_AGENT]      (default 20 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
agents=${1:-20}
records=${2:-5000}
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOKO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target shoko-store shokoctl shoko_load_agents >/dev/null
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 command (apt-get install sqlite3)" >&2; exit 2; }

tmp=$(mktemp -d)
store_pid=
cleanup() {
  [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
coproc STORE { exec "$build/store/shoko-store" serve --listen 127.0.0.1:0 --db "$tmp/store.db" \
  --insecure-loopback 2>"$tmp/store.log"; }
store_pid=$STORE_PID
read -r -t 30 line <&"${STORE[0]}" || { cat "$tmp/store.log" >&2; exit 1; }
address=${line#listening on }
"$build/bench/shoko_load_agents" --store "$address" --agents "$agents" --records "$records" >/dev/null

# best LABEL CMD...: the fastest of 5 runs, in ms.
best() {
  local label=$1 t0 t1 ms min=
  shift
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$min" ] || [ "$ms" -lt "$min" ]; then min=$ms; fi
  done
  echo "$min"
}
scan=$(best scan sqlite3 "$tmp/store.db" "SELECT sum(length(envelope)) FROM evidence")
matrix=$(best matrix "$build/cli/shokoctl" compliance --store "$address" --format json)
n=$((agents * records))
echo "ledger: $n records from $agents agents"
echo "baseline, sqlite3 reads every envelope: $scan ms"
awk -v m="$matrix" -v s="$scan" -v n="$n" 'BEGIN {
  printf "shokoctl compliance (json, ismap): %d ms = %.1fx the bare read, %.1f us per record\n",
    m, (s > 0 ? m / s : 0), 1000 * m / n }'
