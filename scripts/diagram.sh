#!/usr/bin/env bash
# Regenerates docs/demo-topology.svg, the README's picture of the root demo stack: inside a
# throwaway sandbox (scripts/sandbox.sh: its own network namespace and /run/netns), `pulumi up`
# of the demo into a private file backend, `pulumi stack export`, then
# `pulumi-linuxnet diagram --format svg`. Nothing of the machine's own network is touched and
# nothing is left behind: the lab vanishes with the sandbox.
#   scripts/diagram.sh [OUT]   (default: docs/demo-topology.svg)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

out=${1:-docs/demo-topology.svg}
backend=$(mktemp -d)
stack=diagram$$
cleanup() { rm -rf "$backend"; rm -f "Pulumi.$stack.yaml"; }
trap cleanup EXIT
export PULUMI_BACKEND_URL="file://$backend?metadata=skip" PULUMI_STACK=$stack
pulumi stack init "$stack" --non-interactive >/dev/null
pulumi up --yes --skip-preview --non-interactive >/dev/null
mkdir -p "$(dirname "$out")"
pulumi stack export | node bin/pulumi-linuxnet.js diagram --format svg >"$out.tmp"
mv "$out.tmp" "$out"
pulumi destroy --yes --skip-preview --non-interactive >/dev/null
echo "wrote $out"
