#!/usr/bin/env bash
# Store ingest with the Merkle log against the same run without it
# (docs/ledger.md, "The sequencer"): the load of bench/ingest_bench.sh
# (bench/load_agents.cc, pre-signed chains, window 64) into a fresh database
# under three setups, taking turns, RUNS times each:
#   no log     the log's queue trigger dropped, `sequencer: false`: ingest as
#              it was before the log;
#   queue      `sequencer: false`: every record queued for the log in its own
#              transaction, never integrated;
#   log        the store as shipped: queued, and integrated into the tree by
#              the sequencer with checkpoints signed on the default schedule
#              while the agents upload.
# Prints the median (and best) records/s of each and its ratio to "no log",
# and for "log" how long after the last ack the tree held every record. On a
# machine others share, throughput moves with their load more than with the
# log; so each run also counts the CPU the store and the database server
# spent on it, up to a tree of every record: the CPU per record, whose ratio
# is the throughput ratio of a store that has the machine's cores to itself.
# SQLite, then PostgreSQL in a throwaway cluster (scripts/pg-cluster) when
# installed.
#
#   bench/log_ingest_bench.sh [AGENTS] [RECORDS_PER_AGENT] [RUNS] [sqlite|postgres|both]
#                                                   (default 20 5000 3 both)
set -euo pipefail
cd "$(dirname "$0")/.."
agents=${1:-20}
records=${2:-5000}
runs=${3:-3}
backends=${4:-both}
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOKO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target shoko-store shoko_load_agents >/dev/null

tmp=$(mktemp -d)
store_pid= pgdir= pgurl=
cleanup() {
  [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null || true
  [ -n "$pgdir" ] && ./scripts/pg-cluster stop "$pgdir"
  rm -rf "$tmp"
}
trap cleanup EXIT
total=$((agents * records))

# sql DB QUERY: one value from the database.
sql() {
  case $1 in
    postgres*) psql -At "$1" -c "$2" ;;
    *) sqlite3 "$1" "$2" ;;
  esac
}

# ticks PID: the CPU clock ticks PID has used, and those of its children it
# has waited for.
ticks() { awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# db_ticks: the CPU ticks the PostgreSQL server has used so far (the
# postmaster with its ended children, and every child still running); 0 for
# SQLite, which runs in the store.
db_ticks() {
  [ -n "$pgdir" ] || { echo 0; return; }
  local pm sum p
  pm=$(head -n 1 "$pgdir/data/postmaster.pid")
  sum=$(ticks "$pm")
  for p in $(ps -o pid= --ppid "$pm"); do sum=$((sum + $(ticks "$p"))); done
  echo "$sum"
}

# start DB CONFIG: a store on DB; sets store_pid and address.
start() {
  coproc STORE { exec "$build/store/shoko-store" serve --listen 127.0.0.1:0 --db "$1" \
    --insecure-loopback --config "$2" 2>>"$tmp/store.log"; }
  store_pid=$STORE_PID
  local line
  if ! read -r -t 30 line <&"${STORE[0]}"; then
    cat "$tmp/store.log" >&2
    exit 1
  fi
  address=${line#listening on }
}

stop() {
  kill -TERM "$store_pid"
  wait "$store_pid" || true
  store_pid=
}

# fresh N: a new empty database (a file, or a database of the cluster).
fresh() {
  if [ -n "$pgurl" ]; then
    psql -q "$pgurl" -c "CREATE DATABASE bench_$1"
    echo "${pgurl/\/postgres\?//bench_$1?}"
  else
    echo "$tmp/store-$1.db"
  fi
}

# run SETUP N: one run of SETUP on a fresh database; appends its records/s
# to $tmp/SETUP and, for "log", the milliseconds from the last ack to a tree
# of every record to $tmp/lag.
run() {
  local setup=$1 db config result
  db=$(fresh "$2")
  config="$tmp/$setup.yaml"
  printf 'log_key: %s\nsequencer: %s\n' "$tmp/log.key" \
    "$([ "$setup" = log ] && echo true || echo false)" >"$config"
  if [ "$setup" = "no-log" ]; then
    start "$db" "$config"  # makes the schema
    stop
    sql "$db" "DROP TRIGGER evidence_queued_for_the_log$([ -n "$pgurl" ] && echo ' ON evidence')" >/dev/null
  fi
  local db_before cpu
  db_before=$(db_ticks)
  start "$db" "$config"
  result=$("$build/bench/shoko_load_agents" --store "$address" --agents "$agents" --records "$records")
  local acked_at=$SECONDS start_ns lag=
  start_ns=$(date +%s%N)
  if [ "$setup" = log ]; then
    while [ "$(sql "$db" "SELECT tree_size FROM log_state")" -lt "$total" ]; do
      sleep 0.1
      if ((SECONDS - acked_at > 120)); then echo "the tree never caught up" >&2; exit 1; fi
    done
    lag=$((($(date +%s%N) - start_ns) / 1000000))
    echo "$lag" >>"$tmp/lag"
  fi
  # µs of CPU per record: ticks are 1/100 s.
  cpu=$(((($(ticks "$store_pid") + $(db_ticks) - db_before) * 10000) / total))
  stop
  sed -n 's/.*records_per_second=\([0-9]*\).*/\1/p' <<<"$result" >>"$tmp/$setup"
  echo "$cpu" >>"$tmp/$setup.cpu"
  echo "  $setup: $result cpu_us_per_record=$cpu${lag:+ tree_complete_after_ms=$lag}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { sort -n | tail -n 1; }

# bench LABEL: every setup RUNS times, taking turns; prints the figures.
bench() {
  local label=$1 n=0 setup
  : >"$tmp/no-log" && : >"$tmp/queue" && : >"$tmp/log" && : >"$tmp/lag"
  : >"$tmp/no-log.cpu" && : >"$tmp/queue.cpu" && : >"$tmp/log.cpu"
  for ((r = 0; r < runs; r++)); do
    for setup in no-log queue log; do
      n=$((n + 1))
      run "$setup" "$n"
    done
  done
  local base queue tree lag
  base=$(median <"$tmp/no-log") queue=$(median <"$tmp/queue") tree=$(median <"$tmp/log")
  lag=$(median <"$tmp/lag")
  awk -v l="$label" -v b="$base" -v q="$queue" -v t="$tree" -v g="$lag" -v r="$runs" 'BEGIN {
    printf "%s, median of %d: no log %d records/s; queue %d records/s = %.3f; log %d records/s = %.3f of no log (%.1f%% lower); tree complete %d ms after the last ack\n",
      l, r, b, q, q / b, t, t / b, 100 * (1 - t / b), g }'
  base=$(median <"$tmp/no-log.cpu") queue=$(median <"$tmp/queue.cpu") tree=$(median <"$tmp/log.cpu")
  awk -v l="$label" -v b="$base" -v q="$queue" -v t="$tree" -v r="$runs" 'BEGIN {
    printf "%s, CPU per record (store and database server), median of %d: no log %d us; queue %d us; log %d us: %.3f of no log'"'"'s throughput when CPU-bound (%.1f%% lower)\n",
      l, r, b, q, t, b / t, 100 * (1 - b / t) }'
  # The best run of each: the one least disturbed by anything else the
  # machine ran meanwhile.
  base=$(best <"$tmp/no-log") queue=$(best <"$tmp/queue") tree=$(best <"$tmp/log")
  awk -v l="$label" -v b="$base" -v q="$queue" -v t="$tree" -v r="$runs" 'BEGIN {
    printf "%s, best of %d: no log %d records/s; queue %d records/s = %.3f; log %d records/s = %.3f of no log (%.1f%% lower)\n",
      l, r, b, q, q / b, t, t / b, 100 * (1 - t / b) }'
}

echo "$agents agents x $records records, $runs runs of each setup"
[ "$backends" = postgres ] || bench SQLite
if [ "$backends" = sqlite ]; then
  :
elif ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  pgdir=$(mktemp -d /tmp/shoko-bench-pg.XXXXXX)
  pgurl=$(./scripts/pg-cluster start "$pgdir")
  bench PostgreSQL
else
  echo "PostgreSQL: skipped, no PostgreSQL server installed (apt-get install postgresql)"
fi
