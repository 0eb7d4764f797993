#!/usr/bin/env bash
# Installs what `confman jepsen --network netns` needs on a Debian or Ubuntu machine:
# iproute2 (ip netns, veth, bridge) and a packet filter tool (nftables, and iptables as the
# fallback the harness also knows). Installs only what is missing, so running it again does
# nothing. Needs root, as the netns network itself does.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "netns-setup: run as root (the netns network needs root too)" >&2
  exit 1
fi

missing=()
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v iptables >/dev/null 2>&1 || missing+=(iptables)

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "netns-setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "netns-setup: iproute2, nftables and iptables are present"
fi

# Creating a namespace is what an unprivileged container refuses; say so now rather than
# halfway through a run.
probe="cmj-setup-probe-$$"
if ! ip netns add "$probe" 2>/dev/null; then
  echo "netns-setup: 'ip netns add' is not permitted here (an unprivileged container?); use --network proxy" >&2
  exit 1
fi
ip netns del "$probe"
echo "netns-setup: ready"
