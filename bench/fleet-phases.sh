#!/usr/bin/env bash
# Where a NamespaceFleet's time goes, without the engine: bench/fleet-phases.js calls its
# handlers on N members (default 1000) on br0, in a private sandbox, and prints each handler's
# seconds and the processes the provider started in it by kind (dist/ must be built).
#   bench/fleet-phases.sh [N]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"
ip link add br0 type bridge && ip addr add 10.200.0.1/16 dev br0 && ip link set br0 up
node bench/fleet-phases.js "${1:-1000}"
