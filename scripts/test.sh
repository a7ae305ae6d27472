#!/usr/bin/env bash
# The test command (README, .ci/run): unit, kernel and end-to-end tiers in one jest run.
# It sets up the toolchain, then re-executes itself under `unshare --net --mount` with a
# private tmpfs on /run/netns, so every namespace, link, route, sysctl and rule the tests
# make lives in a throwaway network namespace that vanishes with the process, even on failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "${LINUXNET_SANDBOX:-}" != 1 ]; then
  # shellcheck source=scripts/toolchain.sh
  source scripts/toolchain.sh
  linuxnet_toolchain
  exec unshare --net --mount --propagation private -- env LINUXNET_SANDBOX=1 bash "${BASH_SOURCE[0]}" "$@"
fi

mkdir -p /run/netns
mount -t tmpfs -o mode=0755 linuxnet-sandbox /run/netns
ip link set lo up

report=$(mktemp --suffix=.json)
status=0
NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" npx jest --ci --runInBand --json --outputFile="$report" "$@" || status=$?
# The plain closing line CI reads, from jest's own counts.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit "$status"
