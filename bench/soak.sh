#!/usr/bin/env bash
# Write latency over a long run: a fresh three-node cluster (Confman by default, or etcd),
# an open loop of puts at a fixed rate for --seconds, latency percentiles per minute, and the
# size of each member's data directory every minute. Flat figures mean the log and snapshots
# churn without the latency growing (compaction keeps the log small; bench/RESULTS.md).
#
#   bench/soak.sh [--system confman|etcd] [--seconds S] [--rate R] [--out DIR]
#
# Defaults: confman, 600 s, 1,000 puts a second of 100-byte values over 100,000 keys (so
# keys are overwritten and Confman's store stays the same size; etcd keeps every revision
# until it is compacted, which its defaults never do), concurrency bound 64, after an
# unmeasured warm-up of 122,000 puts.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
confman=${CONFMAN_CMD:-$root/bin/confman}
system=confman
seconds=600
rate=1000
out=""
usage() { echo "usage: soak.sh [--system confman|etcd] [--seconds S] [--rate R] [--out DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case "$1" in
    --system) system=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) usage ;;
  esac
done
case "$system" in confman|etcd) ;; *) echo "soak.sh: --system must be confman or etcd" >&2; exit 2 ;; esac
[[ "$seconds" =~ ^[1-9][0-9]*$ && "$rate" =~ ^[1-9][0-9]*$ ]] \
  || { echo "soak.sh: --seconds and --rate must be positive numbers" >&2; exit 2; }
out=${out:-$root/bench/runs/soak-$system-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cluster="$out/cluster"

sampler=""
driver=""
cleanup() {
  [ -n "$driver" ] && kill "$driver" 2>/dev/null || true
  if [ -n "$sampler" ]; then
    pkill -P "$sampler" 2>/dev/null || true # its sleep
    kill "$sampler" 2>/dev/null || true
  fi
  "$root/bench/peers/$system.sh" stop "$cluster" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$confman" bench >/dev/null 2>&1 || true # builds the jars when they are stale
urls=$("$root/bench/peers/$system.sh" start "$cluster")
pids=$("$root/bench/peers/$system.sh" pids "$cluster" | paste -sd,)
api=()
[ "$system" = etcd ] && api=(--api etcd)

# The same unmeasured warm-up as compare.sh's puts, so that the first minutes measure the
# servers and not a JVM's compiler.
for warm in "--ops 60000 --concurrency 64" "--ops 2000 --concurrency 1" "--ops 60000 --concurrency 64"; do
  # shellcheck disable=SC2086 # a list of flags, split on purpose
  "$confman" bench "${api[@]}" --url "$urls" --workload put $warm --value-size 100 --namespace warmup \
    >/dev/null 2>>"$out/warmup.err" || echo "soak.sh: a warm-up run failed ($warm)" >&2
done

# The data directories' sizes, once a minute, while the run lasts.
(
  while :; do
    printf '%s' "$(date -u +%H:%M:%S)"
    for d in "$cluster"/*/; do printf ' %s=%s' "$(basename "$d")" "$(du -sm "$d" | cut -f1)MiB"; done
    echo
    sleep 60
  done
) > "$out/disk.txt" 2>/dev/null &
sampler=$!

# In the background, so that a signal stops the run at once (see cleanup).
"$confman" bench "${api[@]}" --url "$urls" --workload put --ops $((seconds * rate)) --rate "$rate" \
  --concurrency 64 --value-size 100 --keys 100000 --namespace soak --interval-s 60 --cpu-pids "$pids" \
  >"$out/driver.out" 2>"$out/progress.txt" &
driver=$!
status=0
wait "$driver" || status=$?
driver=""
if [ $status -ne 0 ]; then
  echo "soak.sh: the driver failed (exit $status; $out/progress.txt)" >&2
  exit 1
fi
tail -1 "$out/driver.out" > "$out/summary.json"

python3 - "$out/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"{s['ops']} puts at {s['rate']}/s in {s['seconds']} s: p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, "
      f"p99.9 {s['p999_ms']} ms, max {s['max_ms']} ms, {s['errors']} errors, {s['late']} late, "
      f"server CPU {s.get('server_cpu_ms_per_op', '?')} ms per put")
print("| minute | puts | p50 ms | p99 ms | max ms |")
print("|---:|---:|---:|---:|---:|")
for i, m in enumerate(s["intervals"], 1):
    partial = " (the run's last seconds)" if m["ops"] < s["rate"] * s["interval_s"] / 2 else ""
    print(f"| {i}{partial} | {m['ops']} | {m['p50_ms']} | {m['p99_ms']} | {m['max_ms']} |")
PY
echo "data directories each minute:"
cat "$out/disk.txt"
