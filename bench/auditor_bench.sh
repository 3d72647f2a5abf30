#!/usr/bin/env bash
# What an auditor's commands cost against a real store (SQLite), as whole
# processes, each against a baseline measured in the same run:
#
#  - `shokoctl export --format bundle` of EXPORT records (default 10^5: 20
#    agents of 5,000), records/s, against `export --format dsse` of the same
#    records; `shokoctl verify --log-key` of that bundle against
#    `verify --key` of the DSSE file;
#  - `shokoctl monitor` mirroring the log of LEAVES leaves (default 10^6) from
#    an empty state, leaves/s, against the same leaves fetched with raw
#    GetLeaves calls and against SHA-256 leaf hashing of them
#    (bench/mirror_baseline.cc).
#
#   bench/auditor_bench.sh [LEAVES] [EXPORT]        (default 1000000 100000)
#
# The load comes from bench/load_agents.cc (5,000 records per agent); the
# store integrates it into its log and checkpoints it on its default schedule
# before anything is timed.
set -euo pipefail
cd "$(dirname "$0")/.."
leaves=${1:-1000000}
export_records=${2:-100000}
per_agent=5000
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOKO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target shoko-store shokoctl shoko_load_agents shoko_mirror_baseline >/dev/null
ctl=$build/cli/shokoctl

tmp=$(mktemp -d)
store_pid=
cleanup() {
  [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/store.yaml" <<YAML
listen: 127.0.0.1:0
db: $tmp/store.db
insecure_loopback: true
YAML
"$build/store/shoko-store" log-key --public --config "$tmp/store.yaml" >"$tmp/log.vkey"
coproc STORE { exec "$build/store/shoko-store" serve --config "$tmp/store.yaml" 2>"$tmp/store.log"; }
store_pid=$STORE_PID
read -r -t 30 line <&"${STORE[0]}" || { cat "$tmp/store.log" >&2; exit 1; }
address=${line#listening on }
log=(--store "$address" --log-key "$tmp/log.vkey")

# seconds CMD...: runs CMD (its output to $tmp/last.out), prints its wall time.
seconds() {
  local start end
  start=$(date +%s.%N)
  "$@" >"$tmp/last.out" || { echo "failed: $*" >&2; cat "$tmp/last.out" >&2; exit 1; }
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}

# load AGENTS [ARGS]: uploads AGENTS agents' chains, then waits until the
# log's latest checkpoint holds every record uploaded so far.
uploaded=0
load() {
  local agents=$1 size=0
  shift
  "$build/bench/shoko_load_agents" --store "$address" --agents "$agents" --records "$per_agent" "$@"
  uploaded=$((uploaded + agents * per_agent))
  for _ in $(seq 600); do
    size=$("$ctl" checkpoint "${log[@]}" --format json | sed -n 's/.*"tree_size": \([0-9]*\).*/\1/p')
    [ "$size" = "$uploaded" ] && return 0
    sleep 1
  done
  echo "the log holds $size of $uploaded records after 10 minutes" >&2
  exit 1
}

mkdir "$tmp/keys"
load $((export_records / per_agent)) --public-keys "$tmp/keys"
keys=()
for k in "$tmp"/keys/*.pub; do keys+=(--key "$k"); done
t_dsse=$(seconds "$ctl" export --store "$address" --format dsse -o "$tmp/export.jsonl")
t_bundle=$(seconds "$ctl" export --store "$address" --format bundle -o "$tmp/export.json")
t_verify_dsse=$(seconds "$ctl" verify "${keys[@]}" "$tmp/export.jsonl")
t_verify_bundle=$(seconds "$ctl" verify --log-key "$tmp/log.vkey" "$tmp/export.json")
tail -1 "$tmp/last.out"
ls -l "$tmp/export.jsonl" "$tmp/export.json" | awk '{print $5, $9}'

load $(((leaves - export_records) / per_agent))
baseline=$("$build/bench/shoko_mirror_baseline" --store "$address")
echo "baseline: $baseline"
t_monitor=$(seconds "$ctl" monitor "${log[@]}" --state "$tmp/monitor.json")
tail -1 "$tmp/last.out"
t_rerun=$(seconds "$ctl" monitor "${log[@]}" --state "$tmp/monitor.json")

awk -v n="$export_records" -v d="$t_dsse" -v b="$t_bundle" -v vd="$t_verify_dsse" \
  -v vb="$t_verify_bundle" 'BEGIN {
  printf "export --format dsse:   %d records in %.2f s = %.0f records/s\n", n, d, n / d
  printf "export --format bundle: %d records in %.2f s = %.0f records/s = %.1f%% of dsse\n", n, b, n / b, 100 * d / b
  printf "verify --key (dsse):    %d records in %.2f s = %.0f records/s\n", n, vd, n / vd
  printf "verify --log-key:       %d records in %.2f s = %.0f records/s = %.1f%% of verify --key\n", n, vb, n / vb, 100 * vd / vb }'
fetch=$(sed -n 's/.*getleaves_seconds=\([0-9.]*\).*/\1/p' <<<"$baseline")
hash=$(sed -n 's/.*hash_seconds=\([0-9.]*\).*/\1/p' <<<"$baseline")
awk -v n="$leaves" -v m="$t_monitor" -v f="$fetch" -v h="$hash" -v r="$t_rerun" 'BEGIN {
  printf "raw GetLeaves:          %d leaves in %.2f s = %.0f leaves/s\n", n, f, n / f
  printf "SHA-256 leaf hashing:   %d leaves in %.2f s = %.0f leaves/s\n", n, h, n / h
  printf "shokoctl monitor:       %d leaves in %.2f s = %.0f leaves/s = %.1f%% of raw GetLeaves\n", n, m, n / m, 100 * f / m
  printf "shokoctl monitor again (nothing new): %.2f s\n", r }'
