#!/usr/bin/env bash
# The patch collector family on this host against `apt list --upgradable`, in
# one run: both must list the same updates; then wall time (median of RUNS) of
#   apt        `apt list --upgradable`, the baseline
#   cold       `shoko-agent collect --once --collector patch` with an empty
#              sweep memory (apt's cache built in memory, as apt does)
#   warm       the same with the memory of the previous run (indexes unchanged)
# as ratios to apt; and peak resident memory (VmHWM) of a `shoko-agent run`
# daemon through a cold sweep, whose apt lookup runs in a child process.
#
#   bench/patch_bench.sh [RUNS]      (default 7; Debian-family hosts only)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOKO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target shoko-agent shoko-store >/dev/null
agent=$build/agent/shoko-agent
command -v apt >/dev/null || { echo "patch_bench: needs apt (a Debian-family host)" >&2; exit 2; }

tmp=$(mktemp -d)
store_pid= agent_pid=
cleanup() {
  [ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null || true
  [ -n "$store_pid" ] && kill "$store_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# median_wall CMD...: the median wall time in seconds of RUNS runs.
median_wall() {
  local i
  for i in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done | sort -n | awk '{a[NR]=$1} END {printf "%.4f", a[int((NR+1)/2)]}'
}

# Same answer first.
apt list --upgradable 2>/dev/null | awk '/upgradable from/ {
  split($1, n, "/"); gsub(/]/, "", $6); print n[1], $3, $6, $2 }' | sort >"$tmp/apt.txt"
"$agent" collect --once --collector patch.pending_updates --format jsonl |
  python3 -c 'import json,sys
for line in sys.stdin:
    for u in json.loads(line)["facts"]["updates"]:
        print(u["name"], u["arch"], u["installed"], u["candidate"])' | sort >"$tmp/shoko.txt"
if ! diff -u "$tmp/apt.txt" "$tmp/shoko.txt"; then
  echo "patch_bench: shoko and apt disagree" >&2
  exit 1
fi
echo "same answer: $(wc -l <"$tmp/apt.txt") upgradable package(s) listed by both"

apt_s=$(median_wall apt list --upgradable)
cold_s=$(median_wall "$agent" collect --once --collector patch --format jsonl)
"$agent" collect --once --collector patch --state-dir "$tmp/warm" >/dev/null
warm_s=$(median_wall "$agent" collect --once --collector patch --state-dir "$tmp/warm")
apt_rss=$(python3 -c 'import resource, subprocess
subprocess.run(["apt", "list", "--upgradable"], capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)')
printf '%-44s %8s s  %s\n' "apt list --upgradable (baseline)" "$apt_s" "1.00"
printf '%-44s %8s s  %.3f x apt\n' "patch family, cold (empty memory)" "$cold_s" \
  "$(echo "$cold_s / $apt_s" | bc -l)"
printf '%-44s %8s s  %.3f x apt (1/%.0f)\n' "patch family, warm (indexes unchanged)" "$warm_s" \
  "$(echo "$warm_s / $apt_s" | bc -l)" "$(echo "$apt_s / $warm_s" | bc -l)"

# The daemon's own peak RSS through a cold sweep, next to apt's.
coproc STORE { exec "$build/store/shoko-store" serve --listen 127.0.0.1:0 --db "$tmp/store.db" \
  --insecure-loopback 2>"$tmp/store.log"; }
store_pid=$STORE_PID
read -r -t 30 line <&"${STORE[0]}"
address=${line#listening on }
cat >"$tmp/agent.yaml" <<YAML
state_dir: $tmp/agent
collectors: [patch]
interval: 1h
store:
  address: $address
  insecure_loopback: true
YAML
"$agent" run --config "$tmp/agent.yaml" 2>"$tmp/agent.log" &
agent_pid=$!
for _ in $(seq 300); do
  grep -q "store acknowledged" "$tmp/agent.log" && break
  sleep 0.1
done
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$agent_pid/status")
kill "$agent_pid"
wait "$agent_pid" 2>/dev/null || true
agent_pid=
printf '%-44s %8s KiB\n' "apt list --upgradable, max RSS" "$apt_rss"
printf '%-44s %8s KiB (now %s KiB)\n' "shoko-agent daemon, peak RSS over a cold sweep" "$hwm" "$rss"
