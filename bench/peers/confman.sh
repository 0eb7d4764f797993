#!/usr/bin/env bash
# A three-node Confman cluster on loopback with default settings, started the same way as
# bench/peers/etcd.sh starts etcd, so that bench/compare.sh treats both alike.
#
#   bench/peers/confman.sh start DIR   start the nodes with data in DIR; prints the client URLs
#   bench/peers/confman.sh stop DIR    stop exactly the processes start recorded in DIR/pids
#   bench/peers/confman.sh urls DIR    print the client URLs again
#   bench/peers/confman.sh pids DIR    print the nodes' process ids, one per line
#   bench/peers/confman.sh leader DIR  print the client URL of the node that leads now
#
# Each node is `bin/confman server` with only the flags it requires (README.md, "Running a
# node"): every default, fsync on, the node's own JVM settings. Ports are chosen free at start.
set -euo pipefail
# shellcheck source=bench/peers/lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

nodes=3
root=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
# The launcher; the tests point it at their own build.
confman=${CONFMAN_CMD:-$root/bin/confman}
usage() { echo "usage: confman.sh start|stop|urls|pids|leader DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
[ "$action" = start ] && mkdir -p "$dir"
# Absolute, so that every member's command line names it the same way (stop matches on it).
if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi


# The node that the first node answering /v1/status names as leader (nodes are n1..nN, in
# the order of the URLs).
leader() {
  local url id
  for url in $(tr ',' ' ' < "$dir/urls"); do
    id=$(curl -sf -m 5 "$url/v1/status" 2>/dev/null | python3 -c 'import json,sys
print(json.load(sys.stdin).get("leader") or "")' 2>/dev/null) || continue
    if [[ "$id" =~ ^n([0-9]+)$ ]]; then
      cut -d, -f"${BASH_REMATCH[1]}" < "$dir/urls"
      return 0
    fi
  done
  echo "confman.sh: no node knows a leader" >&2
  return 1
}

node_ready() { curl -sf -m 2 -o /dev/null "$1/readyz"; }

stop_all() {
  stop_recorded "$dir/pids" "$dir/"
}

case "$action" in
  start)
    if [ -f "$dir/pids" ]; then
      echo "confman.sh: $dir/pids exists: a cluster started there is still recorded; stop it first" >&2
      exit 1
    fi
    mkdir -p "$dir"
    # Build now when the jars are stale (the driver refuses its empty line afterwards), so that
    # every recorded pid is a node's JVM by the time it is waited for, not a launcher building.
    "$confman" bench >/dev/null 2>&1 || true
    head -c 32 /dev/urandom | base64 > "$dir/secret"
    chmod 600 "$dir/secret"
    peers=""
    urls=""
    read -r -a ports <<< "$(free_ports $((2 * nodes)))"
    declare -a http peer
    for i in $(seq 1 $nodes); do
      http[$i]=${ports[$((2 * i - 2))]}
      peer[$i]=${ports[$((2 * i - 1))]}
      peers="${peers:+$peers,}n$i=127.0.0.1:${peer[$i]}"
      urls="${urls:+$urls,}http://127.0.0.1:${http[$i]}"
    done
    : > "$dir/pids"
    trap 'stop_all' ERR
    for i in $(seq 1 $nodes); do
      rm -rf "$dir/n$i"
      "$confman" server --id "n$i" --peers "$peers" --http "127.0.0.1:${http[$i]}" \
        --data "$dir/n$i" --cluster-secret-file "$dir/secret" >"$dir/n$i.log" 2>&1 &
      echo $! >> "$dir/pids"
    done
    echo "$urls" > "$dir/urls"
    # Ready when every node answers /readyz (it knows a leader and has applied its log).
    if ! await_urls 90 "$urls" node_ready; then
      echo "confman.sh: a node was not ready in time (logs: $dir/n*.log)" >&2
      stop_all
      exit 1
    fi
    trap - ERR
    echo "$urls"
    ;;
  stop) stop_all ;;
  urls) cat "$dir/urls" ;;
  leader) leader ;;
  pids) cat "$dir/pids" ;;
  *) usage ;;
esac
