#!/usr/bin/env bash
# The same topology with one `ip -batch` per namespace context: the root namespace's links in
# one batch (each veth end created directly in its namespace), then one batch per namespace.
# TOPOLOGY as in tutorial.sh: "bridge" (default, the ends bvK ports of br0) or "plain" (no bridge).
#   batch.sh up N [TOPOLOGY] | down N [TOPOLOGY]
set -euo pipefail
n=$2 topology=${3:-bridge}
[[ $topology == bridge || $topology == plain ]] || { echo "batch.sh: TOPOLOGY: bridge or plain, not '$topology'" >&2; exit 2; }
if [ "$1" = up ]; then
  {
    if [ "$topology" = bridge ]; then
      echo "link add name br0 type bridge"
      echo "addr add 10.200.0.1/16 dev br0"
      echo "link set dev br0 up"
    fi
    for ((i = 0; i < n; i++)); do echo "netns add b$i"; done
    for ((i = 0; i < n; i++)); do
      echo "link add name bv$i type veth peer name eth0 netns b$i"
      if [ "$topology" = bridge ]; then echo "link set dev bv$i master br0 up"; else echo "link set dev bv$i up"; fi
    done
  } | ip -batch -
  for ((i = 0; i < n; i++)); do
    printf 'link set dev lo up\naddr add 10.200.%d.%d/16 dev eth0\nlink set dev eth0 up\n' $(((i + 2) >> 8)) $(((i + 2) & 255)) | ip -n "b$i" -batch -
  done
else
  {
    for ((i = 0; i < n; i++)); do echo "netns del b$i"; done
    [ "$topology" = plain ] || echo "link del dev br0"
  } | ip -batch -
fi
