#!/usr/bin/env bash
# The same topology as bench/program, typed the tutorial way: one `ip` per step (seed 000).
#   tutorial.sh up N | down N
set -euo pipefail
n=$2
if [ "$1" = up ]; then
  ip link add br0 type bridge
  ip addr add 10.200.0.1/16 dev br0
  ip link set br0 up
  for ((i = 0; i < n; i++)); do
    ip netns add "b$i"
    ip netns exec "b$i" ip link set lo up
    ip link add "bv$i" type veth peer name "bt$i"
    ip link set "bt$i" netns "b$i"
    ip netns exec "b$i" ip link set "bt$i" name eth0
    ip netns exec "b$i" ip addr add "10.200.$(((i + 2) >> 8)).$(((i + 2) & 255))/16" dev eth0
    ip netns exec "b$i" ip link set eth0 up
    ip link set "bv$i" master br0
    ip link set "bv$i" up
  done
else
  for ((i = 0; i < n; i++)); do ip netns del "b$i"; done
  ip link del br0
fi
