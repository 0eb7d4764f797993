#!/usr/bin/env bash
# A three-member etcd cluster on loopback, as a peer to measure Confman against
# (bench/RESULTS.md). etcd comes from Debian's packages (etcd-server, etcd-client), installed
# when missing; each member keeps etcd's default durability: every write is fsynced to its
# WAL before it is acknowledged.
#
#   bench/peers/etcd.sh start DIR   start the members with data in DIR; prints the client URLs
#   bench/peers/etcd.sh stop DIR    stop exactly the processes start recorded in DIR/pids
#   bench/peers/etcd.sh urls DIR    print the client URLs again
#   bench/peers/etcd.sh pids DIR    print the members' process ids, one per line
#   bench/peers/etcd.sh leader DIR  print the client URL of the member that leads now
#
# The load driver speaks etcd's v3 JSON gateway (`bin/confman bench --api etcd`), served on
# each member's client URL. Ports are chosen free at start and kept in DIR.
set -euo pipefail
# shellcheck source=bench/peers/lib.sh
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"

members=3
usage() { echo "usage: etcd.sh start|stop|urls|pids|leader DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1
dir=$2
[ "$action" = start ] && mkdir -p "$dir"
# Absolute, so that every member's command line names it the same way (stop matches on it).
if [ -d "$dir" ]; then dir=$(cd "$dir" && pwd); fi


install_etcd() {
  command -v etcd >/dev/null && return
  echo "etcd.sh: installing etcd-server and etcd-client from Debian's packages" >&2
  if [ "$(id -u)" -ne 0 ]; then
    echo "etcd.sh: etcd is not installed and installing it needs root (apt-get install etcd-server etcd-client)" >&2
    exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >/dev/null; }
}

# The member whose own id is the leader id it reports (maintenance status, v3 JSON gateway).
leader() {
  local url
  for url in $(tr ',' ' ' < "$dir/urls"); do
    if curl -sf -m 5 -X POST "$url/v3/maintenance/status" -d '{}' 2>/dev/null | python3 -c 'import json,sys
s=json.load(sys.stdin); sys.exit(0 if s.get("leader") and s["leader"]==s["header"]["member_id"] else 1)'; then
      echo "$url"
      return 0
    fi
  done
  echo "etcd.sh: no member says it leads" >&2
  return 1
}

member_healthy() { curl -sf -m 2 "$1/health" 2>/dev/null | grep -q '"health":"true"'; }

stop_all() {
  stop_recorded "$dir/pids" "$dir/"
}

case "$action" in
  start)
    install_etcd
    if [ -f "$dir/pids" ]; then
      echo "etcd.sh: $dir/pids exists: a cluster started there is still recorded; stop it first" >&2
      exit 1
    fi
    mkdir -p "$dir"
    initial=""
    urls=""
    read -r -a ports <<< "$(free_ports $((2 * members)))"
    declare -a client peer
    for i in $(seq 1 $members); do
      client[$i]=${ports[$((2 * i - 2))]}
      peer[$i]=${ports[$((2 * i - 1))]}
      initial="${initial:+$initial,}e$i=http://127.0.0.1:${peer[$i]}"
      urls="${urls:+$urls,}http://127.0.0.1:${client[$i]}"
    done
    : > "$dir/pids"
    trap 'stop_all' ERR
    for i in $(seq 1 $members); do
      rm -rf "$dir/e$i"
      # The defaults etcd ships with, apart from names, addresses and the data directory.
      etcd --name "e$i" --data-dir "$dir/e$i" \
        --listen-client-urls "http://127.0.0.1:${client[$i]}" \
        --advertise-client-urls "http://127.0.0.1:${client[$i]}" \
        --listen-peer-urls "http://127.0.0.1:${peer[$i]}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${peer[$i]}" \
        --initial-cluster "$initial" --initial-cluster-state new \
        --initial-cluster-token "confman-bench-$$" \
        >"$dir/e$i.log" 2>&1 &
      echo $! >> "$dir/pids"
    done
    echo "$urls" > "$dir/urls"
    # Ready when every member answers /health with a leader elected.
    if ! await_urls 60 "$urls" member_healthy; then
      echo "etcd.sh: a member was not healthy in time (logs: $dir/e*.log)" >&2
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
