#!/usr/bin/env bash
# Store ingest throughput (records/s with signature verification and durable
# group commit) against the machine's Ed25519 verification capacity, cores x
# `openssl speed ed25519` verify/s, measured in the same run; and p50/p99 ack
# latency. The load comes from bench/load_agents.cc, which signs everything
# before the clock starts and reports its own CPU.
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
trap 'kill "$store_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
coproc STORE { exec "$build/store/shoko-store" serve --listen 127.0.0.1:0 --db "$tmp/store.db" \
  --insecure-loopback 2>"$tmp/store.log"; }
store_pid=$STORE_PID
read -r -t 30 line <&"${STORE[0]}"
address=${line#listening on }
result=$("$build/bench/shoko_load_agents" --store "$address" --agents "$agents" --records "$records")
kill -TERM "$store_pid"; wait "$store_pid" || true

rate=$(sed -n 's/.*records_per_second=\([0-9]*\).*/\1/p' <<<"$result")
echo "openssl speed ed25519: $verify verify/s per core, $cores core(s)"
echo "load: $result"
awk -v r="$rate" -v v="$verify" -v c="$cores" 'BEGIN {
  printf "store ingest (SQLite): %d records/s = %.1f%% of %d cores x %.0f verify/s\n", r, 100*r/(c*v), c, v }'
