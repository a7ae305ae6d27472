#!/usr/bin/env bash
# Builds the npm package of pulumi-linuxnet as it was before the provider was restructured
# (issue 15; commit 1bd3470, the last one before it), for the end-to-end test that deploys a
# stack with that version and then takes it over with this checkout (test/e2e/upgrade.test.ts):
# the sources from git (`git archive`), `npm ci` from their own lock (offline when npm's cache
# has everything, which it has after this checkout's install), tsc of what ships, `npm pack`.
# Run it outside the test sandbox (npm may need the network): scripts/test.sh does, before it
# enters the sandbox, when the end-to-end tier is selected.
#
#   scripts/prepare-old-version.sh      prints the package's path
#
# The package is cached in $LINUXNET_CACHE/before-<commit>/ (a commit never changes), next to
# that commit's demo program (demo-index.ts: the program that version's users ran; a newer
# demo may use API the old package lacks); a later run only prints the path.
# LINUXNET_BEFORE_COMMIT picks another commit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/toolchain.sh
source "$root/scripts/toolchain.sh"
_tc_node >&2 || exit 1 # node and npm only: this checkout's build is not needed here

commit=$(git -C "$root" rev-parse --verify --quiet "${LINUXNET_BEFORE_COMMIT:-1bd3470}^{commit}") || {
  echo "prepare-old-version: commit ${LINUXNET_BEFORE_COMMIT:-1bd3470} is not in this clone's history (a shallow clone? fetch it, or clone in full)" >&2
  exit 1
}
out="$LINUXNET_CACHE/before-$commit"
if [ -s "$out/pulumi-linuxnet.tgz" ] && [ -s "$out/demo-index.ts" ]; then
  echo "$out/pulumi-linuxnet.tgz"
  exit 0
fi

t0=$(date +%s.%N)
mkdir -p "$LINUXNET_CACHE"
tmp=$(mktemp -d "$LINUXNET_CACHE/before.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/src"
git -C "$root" archive "$commit" | tar -x -C "$tmp/src"
cd "$tmp/src"
echo "[prepare-old-version] building pulumi-linuxnet at ${commit:0:7} (npm ci, tsc, npm pack)" >&2
npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
# Only what the package ships (the tests are not in it).
printf '{ "extends": "./tsconfig.json", "include": ["provider/**/*.ts", "sdk/**/*.ts", "cli/**/*.ts"] }\n' >tsconfig.pack.json
node_modules/.bin/tsc -p tsconfig.pack.json
tarball=$(npm pack --silent --pack-destination "$tmp" 2>/dev/null | tail -1)
rm -rf "$out.tmp" && mkdir -p "$out.tmp" && mv "$tmp/$tarball" "$out.tmp/pulumi-linuxnet.tgz"
cp demo/index.ts "$out.tmp/demo-index.ts"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "[prepare-old-version] built in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')" >&2
echo "$out/pulumi-linuxnet.tgz"
