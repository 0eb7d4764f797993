# Shared by the peer scripts (sourced, not run): port choice and stopping by recorded PID.

# N free ports at once: every socket is held until all are chosen, so none repeats.
free_ports() {
  python3 -c 'import socket,sys
socks=[socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# Whether process $1 runs and its command line holds $2 (a recycled pid is not ours).
ours() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && grep -qF -- "$2" "/proc/$1/cmdline" 2>/dev/null
}

# Stops the processes listed in $1 (one pid a line) whose command line holds $2 (the
# cluster's directory, which every member's command line names, the launcher's included):
# SIGTERM, then SIGKILL for any still running after 20 s. Removes the list.
stop_recorded() {
  local list=$1 marker=$2 pid
  [ -f "$list" ] || return 0
  while read -r pid; do
    if ours "$pid" "$marker"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done < "$list"
  local deadline=$((SECONDS + 20))
  while read -r pid; do
    while ours "$pid" "$marker"; do
      if [ $SECONDS -ge $deadline ]; then
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5 # the kernel reaps it; the next start may reuse its ports
        break
      fi
      sleep 0.2
    done
  done < "$list"
  rm -f "$list"
}

# Waits until "$3 URL" succeeds for every URL of the comma-separated list $2, for at most $1
# seconds in all. Returns 1 with the URL that never answered on stderr.
await_urls() {
  local seconds=$1 urls=$2 check=$3 url deadline=$((SECONDS + $1))
  for url in ${urls//,/ }; do
    until "$check" "$url"; do
      if [ $SECONDS -ge $deadline ]; then
        echo "$url did not become ready within $seconds s" >&2
        return 1
      fi
      sleep 0.2
    done
  done
}

# Waits until the CPUs together were at least 90 % idle over a second, for at most
# $COMPARE_IDLE_WAIT_S seconds (default 120). Prints the idle percentage it saw last.
wait_idle() {
  local deadline=$((SECONDS + ${COMPARE_IDLE_WAIT_S:-120})) idle=0
  while :; do
    read -r _ u1 n1 s1 i1 w1 q1 sq1 st1 _ < /proc/stat
    sleep 1
    read -r _ u2 n2 s2 i2 w2 q2 sq2 st2 _ < /proc/stat
    # Waiting for the disk is busy here: writeback competes with the fsyncs measured.
    local busy=$(( (u2-u1) + (n2-n1) + (s2-s1) + (w2-w1) + (q2-q1) + (sq2-sq1) + (st2-st1) ))
    local quiet=$(( i2-i1 ))
    idle=$(( 100 * quiet / (busy + quiet > 0 ? busy + quiet : 1) ))
    if [ "$idle" -ge 90 ] || [ $SECONDS -ge $deadline ]; then
      echo "$idle"
      return
    fi
  done
}
