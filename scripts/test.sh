#!/usr/bin/env bash
# The test command (README, .ci/run): unit, kernel and end-to-end tiers in one jest run,
# inside a throwaway network namespace (scripts/sandbox.sh). Extra arguments go to jest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

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
