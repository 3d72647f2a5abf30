#!/usr/bin/env bash
# Store ingest throughput (records/s with signature verification and durable
# group commit) against the machine's Ed25519 verification capacity, cores x
# `openssl speed ed25519` verify/s, measured in the same run; and p50/p99 ack
# latency. The load comes from bench/load_agents.cc, which signs everything
# before the clock starts and reports its own CPU. Runs on SQLite, then on
# PostgreSQL in a throwaway cluster (scripts/pg-cluster) when the server is
# installed.
#
#   bench/ingest_bench.sh [AGENTS] [RECORDS_PER_AGENT]      (default 20 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
agents=${1:-20}
records=${2:-5000}
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOKO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target shoko-store shoko_load_agents >/dev/null

cores=$(nproc)
verify=$(openssl speed -seconds 3 ed25519 2>/dev/null | awk '/Ed25519/ {print $NF}')
tmp=$(mktemp -d)
store_pid= pgdir=
cleanup() {
  [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null || true
  [ -n "$pgdir" ] && ./scripts/pg-cluster stop "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT
echo "openssl speed ed25519: $verify verify/s per core, $cores core(s)"

# run LABEL DB: one store on DB, loaded until every record is acknowledged.
run() {
  local label=$1 db=$2 line address result rate
  coproc STORE { exec "$build/store/shoko-store" serve --listen 127.0.0.1:0 --db "$db" \
    --insecure-loopback 2>"$tmp/store-$label.log"; }
  store_pid=$STORE_PID
  if ! read -r -t 30 line <&"${STORE[0]}"; then
    cat "$tmp/store-$label.log" >&2
    exit 1
  fi
  address=${line#listening on }
  result=$("$build/bench/shoko_load_agents" --store "$address" --agents "$agents" --records "$records")
  kill -TERM "$store_pid"; wait "$store_pid" || true
  store_pid=
  rate=$(sed -n 's/.*records_per_second=\([0-9]*\).*/\1/p' <<<"$result")
  echo "load ($label): $result"
  awk -v l="$label" -v r="$rate" -v v="$verify" -v c="$cores" 'BEGIN {
    printf "store ingest (%s): %d records/s = %.1f%% of %d cores x %.0f verify/s\n", l, r, 100*r/(c*v), c, v }'
}

run SQLite "$tmp/store.db"
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/shoko-bench-pg.XXXXXX)
  url=$(./scripts/pg-cluster start "$pgdir")
  run PostgreSQL "$url"
else
  echo "store ingest (PostgreSQL): skipped, no PostgreSQL server installed (apt-get install postgresql)"
fi
