#!/usr/bin/env bash
# Confman and etcd side by side on this machine: the same workloads, through the same load
# driver (`bin/confman bench`; `--api etcd` speaks etcd's v3 JSON gateway), against a fresh
# three-member cluster of each with default settings, alternating which system goes first,
# for several rounds. Prints a table of medians with the Confman/etcd ratio per workload and
# writes the raw lines, the table and a latency plot. bench/RESULTS.md holds a run of it.
#
#   bench/compare.sh [--rounds N] [--out DIR] [--workloads NAME,...] [--quick]
#
#   --rounds N      rounds (default 3); round r runs Confman first when r is odd
#   --out DIR       where everything goes (default bench/runs/compare-<UTC time>)
#   --workloads L   only these workloads (names as in the table below)
#   --quick         a tenth of the operations (a check of the script, not a measurement)
#
# Before each measured run the script waits until the machine is idle (the CPUs together at
# least 90 % idle over a second, I/O wait counted as busy; at most 120 s, and a run that
# started on a busy machine is flagged under the table); the wait comes before the run's own
# warm-up operations (--warmup-ops), which are short. Each system gets the same unmeasured warm-up
# runs after its start (about 170,000 requests of every kind), so that a JVM's compilation
# is not counted against it: a JVM's optimising compiler keeps working through the first
# hundred thousand requests or so, on the cores the servers share. The driver lists the
# leader's URL first for both systems, so the lone worker of a concurrency-1 run writes to
# the leader (other workers spread round-robin over the three). The server CPU time per
# operation is the user and system time of the three server processes during the measured
# operations (/proc), divided by the operations (a cas operation is two requests).
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=bench/peers/lib.sh
source "$root/bench/peers/lib.sh"
# The launcher and the classpath of the probes; the tests point them at their own build.
confman=${CONFMAN_CMD:-$root/bin/confman}
rounds=3
out=""
only=""
scale=1
usage() { echo "usage: compare.sh [--rounds N] [--out DIR] [--workloads NAME,...] [--quick]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--out|--workloads) [ $# -ge 2 ] || usage ;;
  esac
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --workloads) only=$2; shift 2 ;;
    --quick) scale=10; shift ;;
    *) usage ;;
  esac
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: --rounds must be a positive number" >&2; exit 2; }
[ "$rounds" -ge 3 ] || echo "compare.sh: fewer than 3 rounds: medians of so few say little" >&2
out=${out:-$root/bench/runs/compare-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# name | driver flags (operations before scaling; --warmup-ops: unmeasured operations of the
# same workload in the same driver process first, so the driver's own compilation is not
# measured) | systems
workloads=(
  "put-c1|--workload put --ops 10000 --concurrency 1 --value-size 100 --warmup-ops 3000|confman etcd"
  "put-c16|--workload put --ops 10000 --concurrency 16 --value-size 100 --warmup-ops 5000|confman etcd"
  "put-c64|--workload put --ops 10000 --concurrency 64 --value-size 100 --warmup-ops 5000|confman etcd"
  "get-c16|--workload get --ops 10000 --concurrency 16 --value-size 100 --keys 1000 --warmup-ops 5000|confman etcd"
  "get-stale-c16|--workload get --ops 10000 --concurrency 16 --value-size 100 --keys 1000 --stale --warmup-ops 5000|confman etcd"
  "mixed-90-10-c16|--workload mixed --ops 10000 --concurrency 16 --value-size 100 --keys 1000 --warmup-ops 5000|confman etcd"
  "cas-8keys-c16|--workload cas --ops 2000 --concurrency 16 --value-size 100 --keys 8 --warmup-ops 1000|confman etcd"
  "put-1MiB-c4|--workload put --ops 100 --concurrency 4 --value-size 1048576 --warmup-ops 10|confman etcd"
  "put-100MiB-c1|--workload put --ops 5 --concurrency 1 --value-size 104857600|confman"
)

# Unmeasured runs after each start, the same for both systems: a JVM compiles its hot paths
# during its first hundred thousand requests or so (a long-running server has done so long
# ago); etcd, compiled ahead of time, needs that less but gets them too.
warmups=(
  "--workload put --ops $((60000 / scale)) --concurrency 64 --value-size 100"
  "--workload put --ops $((2000 / scale)) --concurrency 1 --value-size 100"
  "--workload mixed --ops $((30000 / scale)) --concurrency 16 --value-size 100 --keys 1000"
  "--workload get --ops $((10000 / scale)) --concurrency 16 --value-size 100 --keys 1000 --stale"
  "--workload cas --ops $((2000 / scale)) --concurrency 16 --value-size 100 --keys 8"
  "--workload put --ops $((20 / scale + 1)) --concurrency 4 --value-size 1048576"
  "--workload put --ops $((60000 / scale)) --concurrency 64 --value-size 100"
  "--workload put --ops $((2000 / scale)) --concurrency 1 --value-size 100"
)

log() { echo "compare.sh: $*" >&2; }

if [ -n "$only" ]; then
  known=" $(for entry in "${workloads[@]}"; do printf '%s ' "${entry%%|*}"; done)"
  for name in ${only//,/ }; do
    [[ "$known" == *" $name "* ]] || { echo "compare.sh: no workload '$name'; there are:$known" >&2; exit 2; }
  done
fi

classpath() {
  ls "$root"/{raft,storage,http,jepsen,bench}/target/confman-*.jar "$root"/{storage,http,jepsen,bench}/target/lib/*.jar \
    2>/dev/null | tr '\n' ':'
}

driver=""
cleanup() {
  [ -n "$driver" ] && kill "$driver" 2>/dev/null || true
  "$root/bench/peers/confman.sh" stop "$out/cluster-confman" 2>/dev/null || true
  "$root/bench/peers/etcd.sh" stop "$out/cluster-etcd" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Builds the jars when they are older than the sources (the command then refuses its empty line).
"$confman" bench >/dev/null 2>&1 || true
cp=${CONFMAN_CLASSPATH:-$(classpath)}
java_opts=(--add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED
           --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED)

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM"
  echo "kernel: $(uname -r); java: $(java -version 2>&1 | head -1); etcd: $(etcd --version 2>/dev/null | head -1 || echo 'not installed yet')"
  echo "filesystem of $out: $(df -T "$out" | awk 'NR==2 {print $2}')"
} > "$out/machine.txt"

log "physical limits"
mkdir -p "$out/probe"
wait_idle >/dev/null
probe_args=(--seconds 3 --sequential-mib 256)
[ "$scale" -gt 1 ] && probe_args=(--seconds 1 --sequential-mib 32)
java "${java_opts[@]}" -cp "$cp" io.confman.bench.wal.DiskProbe "$out/probe" "${probe_args[@]}" \
  | tee "$out/limits.txt" >&2
java -cp "$cp" io.confman.bench.compare.LoopbackProbe | tee -a "$out/limits.txt" >&2
rm -rf "$out/probe"

results="$out/results.jsonl"
: > "$results"
wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

# The URLs with the leader's first.
leader_first() {
  local system=$1 dir=$2 urls=$3 leads rest
  leads=$("$root/bench/peers/$system.sh" leader "$dir") || { echo "$urls"; return; }
  rest=$(tr ',' '\n' <<< "$urls" | grep -vxF "$leads" | paste -sd,)
  echo "$leads${rest:+,$rest}"
}

run_system() {
  local system=$1 round=$2 dir="$out/cluster-$1" api=() urls pids
  rm -rf "$dir"
  urls=$("$root/bench/peers/$system.sh" start "$dir")
  pids=$("$root/bench/peers/$system.sh" pids "$dir" | paste -sd,)
  urls=$(leader_first "$system" "$dir" "$urls")
  [ "$system" = etcd ] && api=(--api etcd)
  log "round $round, $system: warm-up"
  local warm
  for warm in "${warmups[@]}"; do
    # shellcheck disable=SC2206 # a list of flags, split on purpose
    local warm_args=($warm)
    "$confman" bench "${api[@]}" --url "$urls" "${warm_args[@]}" --namespace warmup \
      >/dev/null 2>>"$out/r$round-$system-warmup.err" &
    driver=$!
    wait "$driver" || log "round $round, $system: a warm-up run failed ($warm)"
    driver=""
  done
  local entry name flags systems
  for entry in "${workloads[@]}"; do
    IFS='|' read -r name flags systems <<< "$entry"
    wanted "$name" || continue
    [[ " $systems " == *" $system "* ]] || continue
    # shellcheck disable=SC2206 # a list of flags, split on purpose
    local args=($flags)
    local i
    for i in "${!args[@]}"; do
      if [ "${args[$i]}" = --ops ] || [ "${args[$i]}" = --warmup-ops ]; then
        args[i+1]=$(( (args[i+1] + scale - 1) / scale ))
      fi
    done
    local idle
    idle=$(wait_idle)
    log "round $round, $system: $name (idle ${idle}% before)"
    # The leader's URL first, as it is now (a leader change since the start would move it).
    local leads line status=0
    urls=$(leader_first "$system" "$dir" "$urls")
    leads=$("$root/bench/peers/$system.sh" leader "$dir" || echo none)
    # In the background, so that a signal stops the run at once (see cleanup).
    "$confman" bench "${api[@]}" --url "$urls" "${args[@]}" --namespace "r$round-$name" \
      --cpu-pids "$pids" >"$out/r$round-$system-$name.out" 2>"$out/r$round-$system-$name.err" &
    driver=$!
    wait "$driver" || status=$?
    driver=""
    line=$(tail -1 "$out/r$round-$system-$name.out")
    if [ $status -ne 0 ] || [[ "$line" != "{"* ]]; then
      log "round $round, $system: $name failed (exit $status; $out/r$round-$system-$name.err)"
      line=null
    fi
    printf '{"system":"%s","round":%d,"workload":"%s","idle_before_pct":%d,"leader_first":%s,"result":%s}\n' \
      "$system" "$round" "$name" "$idle" "$([ "$leads" = "${urls%%,*}" ] && echo true || echo false)" "$line" \
      >> "$results"
  done
  "$root/bench/peers/$system.sh" stop "$dir"
  du -sh "$dir" 2>/dev/null | awk '{print "data after the round: " $1}' > "$out/r$round-$system-disk.txt" || true
  rm -rf "$dir"
}

for round in $(seq 1 "$rounds"); do
  if [ $((round % 2)) -eq 1 ]; then order=(confman etcd); else order=(etcd confman); fi
  for system in "${order[@]}"; do
    run_system "$system" "$round"
  done
done

java -cp "$cp" io.confman.bench.compare.CompareReport "$results" "$out"
echo
cat "$out/limits.txt"
echo "raw lines: $results; table: $out/summary.md; plot: $out/latency.svg"
