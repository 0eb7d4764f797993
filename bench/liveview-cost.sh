#!/usr/bin/env bash
# What the live view costs the write path: the same put workload against one three-node
# cluster, with nobody watching and with every node watched (one event stream per node, as
# one open page holds), alternating which goes first, for several rounds. Prints a table of
# medians (throughput, p50, p99, server CPU per put) and the watched/unwatched ratios.
#
#   bench/liveview-cost.sh [--rounds N] [--ops N] [--concurrency C] [--out DIR] [--quick]
#                          [--baseline DIR]
#
#   --rounds N       rounds (default 6); the modes' order rotates by one each round, so with a
#                    multiple of the number of modes (2, or 3 with --baseline) each mode runs
#                    first, second (and third) equally often
#   --ops N          puts per measured run (default 20000)
#   --concurrency C  driver workers (default 16)
#   --out DIR        where everything goes (default bench/runs/liveview-<UTC time>)
#   --quick          a tenth of the operations and warm-up (a check of the script)
#   --baseline DIR   also a third mode, "baseline": a second three-node cluster started from
#                    the checkout in DIR (its bin/confman), e.g. the commit before the live
#                    view, measured in the same rounds; unwatched against baseline is the
#                    cost of the live view's hooks when nobody watches
#
# "Unwatched" is checked, not assumed: before such a run every node's confman_live_watchers
# gauge must read 0; before a watched run it must read 1 on every node. The watchers are
# curl processes reading the streams to files; their frame counts are reported per run.
set -euo pipefail

root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=bench/peers/lib.sh
source "$root/bench/peers/lib.sh"
confman=${CONFMAN_CMD:-$root/bin/confman}
rounds=6
ops=20000
concurrency=16
out=""
scale=1
baseline=""
usage() {
  echo "usage: liveview-cost.sh [--rounds N] [--ops N] [--concurrency C] [--out DIR] [--quick] [--baseline DIR]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds|--ops|--concurrency|--out|--baseline) [ $# -ge 2 ] || usage ;;
  esac
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --ops) ops=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --quick) scale=10; shift ;;
    --baseline) baseline=$(cd "$2" && pwd); shift 2 ;;
    *) usage ;;
  esac
done
for value in "$rounds" "$ops" "$concurrency"; do
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "liveview-cost.sh: --rounds, --ops and --concurrency take positive numbers" >&2; exit 2; }
done
ops=$(( (ops + scale - 1) / scale ))
mode_count=$([ -n "$baseline" ] && echo 3 || echo 2)
if [ $((rounds % mode_count)) -ne 0 ]; then
  echo "liveview-cost.sh: $rounds rounds are not a multiple of the $mode_count modes: the first places are unevenly shared" >&2
fi
if [ -n "$baseline" ] && [ ! -x "$baseline/bin/confman" ]; then
  echo "liveview-cost.sh: --baseline $baseline has no bin/confman" >&2
  exit 2
fi
out=${out:-$root/bench/runs/liveview-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cluster="$out/cluster"
log() { echo "liveview-cost.sh: $*" >&2; }

watchers=()
driver=""
stop_watchers() {
  local pid
  for pid in "${watchers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${watchers[@]}"; do wait "$pid" 2>/dev/null || true; done
  watchers=()
}
cleanup() {
  [ -n "$driver" ] && kill "$driver" 2>/dev/null || true
  stop_watchers
  "$root/bench/peers/confman.sh" stop "$cluster" 2>/dev/null || true
  [ -z "$baseline" ] || "$root/bench/peers/confman.sh" stop "$out/cluster-baseline" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The sum over the nodes of the confman_live_watchers gauge.
watcher_total() {
  local url total=0 value
  for url in ${urls//,/ }; do
    value=$(curl -sf -m 5 "$url/metrics" | awk '$1 == "confman_live_watchers" {print int($2)}')
    total=$((total + ${value:-0}))
  done
  echo "$total"
}

# Waits (at most 60 s) until the gauge sums to $1.
await_watchers() {
  local want=$1 deadline=$((SECONDS + 60))
  until [ "$(watcher_total)" -eq "$want" ]; do
    [ $SECONDS -lt $deadline ] || { log "the nodes report $(watcher_total) watchers, expected $want"; return 1; }
    sleep 0.2
  done
}

# Starts a cluster in $1 with the launcher $2, prints "URLS PIDS" with the leader's URL first.
start_cluster() {
  local dir=$1 launcher=$2 urls pids leader
  rm -rf "$dir"
  urls=$(CONFMAN_CMD=$launcher "$root/bench/peers/confman.sh" start "$dir")
  pids=$("$root/bench/peers/confman.sh" pids "$dir" | paste -sd,)
  leader=$("$root/bench/peers/confman.sh" leader "$dir")
  echo "$leader,$(tr ',' '\n' <<< "$urls" | grep -vxF "$leader" | paste -sd,) $pids"
}

warm_up() {
  local urls=$1 launcher=$2 warm
  for warm in "--ops $((60000 / scale)) --concurrency 64" "--ops $((20000 / scale)) --concurrency $concurrency"; do
    # shellcheck disable=SC2086 # a list of flags, split on purpose
    "$launcher" bench --url "$urls" --workload put --value-size 100 --namespace warmup $warm \
      >/dev/null 2>>"$out/warmup.err" &
    driver=$!
    wait "$driver"
    driver=""
  done
}

read -r urls pids <<< "$(start_cluster "$cluster" "$confman")"
log "cluster up ($urls); warm-up"
warm_up "$urls" "$confman"
if [ -n "$baseline" ]; then
  # Built now, before anything is measured (its launcher builds when its jars are stale).
  "$baseline/bin/confman" bench >/dev/null 2>&1 || true
  read -r base_urls base_pids <<< "$(start_cluster "$out/cluster-baseline" "$baseline/bin/confman")"
  log "baseline cluster up ($base_urls, $(git -C "$baseline" log --oneline -1 2>/dev/null || echo "$baseline")); warm-up"
  warm_up "$base_urls" "$confman"
fi

results="$out/results.jsonl"
: > "$results"
run() {
  local round=$1 mode=$2 idle line frames=0 status=0 target=$urls target_pids=$pids
  if [ "$mode" = baseline ]; then target=$base_urls; target_pids=$base_pids; fi
  if [ "$mode" = watched ]; then
    local url i=0
    for url in ${urls//,/ }; do
      i=$((i + 1))
      curl -sN "$url/v1/events" -o "$out/r$round-events-$i.txt" &
      watchers+=($!)
    done
    await_watchers 3
  else
    await_watchers 0
  fi
  idle=$(wait_idle)
  log "round $round: $mode (idle ${idle}% before)"
  "$confman" bench --url "$target" --workload put --ops "$ops" --concurrency "$concurrency" --value-size 100 \
    --warmup-ops $((3000 / scale)) --namespace "r$round-$mode" --cpu-pids "$target_pids" \
    >"$out/r$round-$mode.out" 2>"$out/r$round-$mode.err" &
  driver=$!
  wait "$driver" || status=$?
  driver=""
  if [ "$mode" = watched ]; then
    stop_watchers
    frames=$(cat "$out"/r"$round"-events-*.txt | grep -c '^event: ' || true)
  fi
  line=$(tail -1 "$out/r$round-$mode.out")
  if [ $status -ne 0 ] || [[ "$line" != "{"* ]]; then
    log "round $round: $mode failed (exit $status; $out/r$round-$mode.err)"
    line=null
  fi
  printf '{"round":%d,"mode":"%s","idle_before_pct":%d,"frames_received":%d,"result":%s}\n' \
    "$round" "$mode" "$idle" "$frames" "$line" >> "$results"
}

modes=(unwatched watched)
[ -z "$baseline" ] || modes+=(baseline)
for round in $(seq 1 "$rounds"); do
  # The modes rotate by one each round (even shares when rounds are a multiple of the modes).
  for k in "${!modes[@]}"; do
    run "$round" "${modes[$(( (k + round - 1) % ${#modes[@]} ))]}"
  done
done

python3 - "$results" > "$out/summary.md" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def column(mode, key):
    values = []
    for row in rows:
        result = row["result"]
        if row["mode"] != mode or result is None:
            continue
        if result.get(key) is not None:
            values.append(result[key])
    return values
modes = [m for m in ("unwatched", "watched", "baseline") if any(r["mode"] == m for r in rows)]
base = "baseline" in modes
print("| | unwatched | watched | watched / unwatched |" + (" baseline | unwatched / baseline |" if base else ""))
print("|---|---:|---:|---:|" + ("---:|---:|" if base else ""))
for key, label in (("ops_per_s", "puts/s"), ("p50_ms", "p50 ms"), ("p99_ms", "p99 ms"),
                   ("server_cpu_ms_per_op", "server CPU ms per put")):
    a, b, c = column("unwatched", key), column("watched", key), column("baseline", key)
    if not a or not b or (base and not c):
        print(f"| {label} | n/a | n/a | |" + (" n/a | |" if base else ""))
        continue
    ma, mb = statistics.median(a), statistics.median(b)
    counts = "/".join(str(len(v)) for v in ((a, b, c) if base else (a, b)))
    line = f"| {label} (medians of {counts} runs) | {ma:,.3f} | {mb:,.3f} | {mb / ma:.3f} |"
    if base:
        mc = statistics.median(c)
        line += f" {mc:,.3f} | {ma / mc:.3f} |"
    print(line)
frames = [row["frames_received"] for row in rows if row["mode"] == "watched"]
errors = sum((row["result"] or {}).get("errors", 0) for row in rows)
print()
def per_round(r, mode):
    result = next((x["result"] for x in rows if x["round"] == r and x["mode"] == mode), None)
    return "failed" if result is None else f"{result['ops_per_s']:,.0f}"
print(f"per round (puts/s {', '.join(modes)}): " + "; ".join(
    f"r{r}: " + ", ".join(per_round(r, m) for m in modes) for r in sorted({row["round"] for row in rows})))
print(f"frames received by the three watchers per watched run: {frames}; driver errors in all runs: {errors}")
PY
cat "$out/summary.md"
echo "raw lines: $results; table: $out/summary.md"
