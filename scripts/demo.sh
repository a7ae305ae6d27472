#!/usr/bin/env bash
# The main job: sets up the toolchain, then `pulumi up` of the root demo stack (local file
# backend in .pulumi/, no account), then a short summary of what now exists.
#   scripts/demo.sh            build or update the lab
#   scripts/demo.sh --destroy  tear it down again (nothing is left behind)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/toolchain.sh
source scripts/toolchain.sh
linuxnet_toolchain

stack=${LINUXNET_DEMO_STACK:-demo}
# The fast mode (docs/scale.md: "The fast mode"): the demo stack holds only this provider's resources,
# whose ownership marks let a killed command be finished without per-step checkpoints.
export PULUMI_SKIP_CHECKPOINTS=${PULUMI_SKIP_CHECKPOINTS:-true}
pulumi stack select --create "$stack" --non-interactive >/dev/null

if [ "${1:-}" = "--destroy" ]; then
  pulumi destroy --yes --non-interactive --skip-preview
  pulumi stack rm --yes --non-interactive "$stack" >/dev/null
  left=$(ip netns list | awk '{print $1}' | grep '^demo-' | tr '\n' ' ' || true)
  echo "demo lab destroyed; demo namespaces left: ${left:-none}"
  exit 0
fi

pulumi up --yes --non-interactive --skip-preview
echo
echo "== what now exists (stack $stack) =="
outputs=$(pulumi stack output --json)
for ns in $(node -e 'for (const n of JSON.parse(process.argv[1]).namespaces) console.log(n)' "$outputs"); do
  echo "-- namespace $ns"
  ip -n "$ns" -br addr | sed 's/^/   /'
done
echo "-- bridge ports (demo-host)"
ip -n demo-host -br link show master br0 | sed 's/^/   /'
echo "-- router (demo-host): what it made"
node -e 'for (const m of JSON.parse(process.argv[1]).routing.made) console.log("   " + m)' "$outputs"
echo "-- reachability (the stack's probes, checked by this up)"
node -e '
  for (const [pair, s] of Object.entries(JSON.parse(process.argv[1]).reachability))
    console.log(`   ${pair.padEnd(16)} ${s.reachable ? `reachable, TTL ${s.ttl}, ${s.rttMs} ms` : `unreachable (no reply in its timeout)`}`);
' "$outputs"
echo
echo "Tear it down with: scripts/demo.sh --destroy"
