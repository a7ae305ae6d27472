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
pulumi stack select --create "$stack" --non-interactive >/dev/null

if [ "${1:-}" = "--destroy" ]; then
  pulumi destroy --yes --non-interactive --skip-preview
  pulumi stack rm --yes --non-interactive "$stack" >/dev/null
  echo "demo lab destroyed; remaining named namespaces: $(ip netns list | awk '{print $1}' | grep '^demo-' | tr '\n' ' ' || true)"
  exit 0
fi

pulumi up --yes --non-interactive --skip-preview
echo
echo "== what now exists (stack $stack) =="
pulumi stack output --json namespaces | node -e '
  const list = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const ns of list) console.log(`namespace ${ns.name.padEnd(12)} inode ${ns.inode}  lo ${ns.loopbackUp ? "up" : "down"}`);
'
for ns in $(pulumi stack output --json namespaces | node -e 'for (const n of JSON.parse(require("fs").readFileSync(0,"utf8"))) console.log(n.name)'); do
  echo "-- ip -n $ns -br addr"
  ip -n "$ns" -br addr
done
echo
echo "Tear it down with: scripts/demo.sh --destroy"
