#!/usr/bin/env bash
# The same topology as bench/program, typed the tutorial way: one `ip` per step (seed 000).
# TOPOLOGY "bridge" (the default): every member's other end bvK is a port of br0; "plain": bvK
# is a plain link in this namespace, no bridge (for N above the 1023 ports a bridge holds).
#   tutorial.sh up N [TOPOLOGY] | down N [TOPOLOGY]
set -euo pipefail
n=$2 topology=${3:-bridge}
[[ $topology == bridge || $topology == plain ]] || { echo "tutorial.sh: TOPOLOGY: bridge or plain, not '$topology'" >&2; exit 2; }
if [ "$1" = up ]; then
  if [ "$topology" = bridge ]; then
    ip link add br0 type bridge
    ip addr add 10.200.0.1/16 dev br0
    ip link set br0 up
  fi
  for ((i = 0; i < n; i++)); do
    ip netns add "b$i"
    ip netns exec "b$i" ip link set lo up
    ip link add "bv$i" type veth peer name "bt$i"
    ip link set "bt$i" netns "b$i"
    ip netns exec "b$i" ip link set "bt$i" name eth0
    ip netns exec "b$i" ip addr add "10.200.$(((i + 2) >> 8)).$(((i + 2) & 255))/16" dev eth0
    ip netns exec "b$i" ip link set eth0 up
    [ "$topology" = plain ] || ip link set "bv$i" master br0
    ip link set "bv$i" up
  done
else
  for ((i = 0; i < n; i++)); do ip netns del "b$i"; done
  [ "$topology" = plain ] || ip link del br0
fi
