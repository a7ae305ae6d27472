#!/usr/bin/env bash
# Installs this checkout into DIR/node_modules the way a user gets it from npm: the package
# made by `npm pack`, extracted as a real directory; its dependencies are linked from this
# checkout's node_modules (no registry access, one @pulumi/pulumi instance). Used by the
# installed-package end-to-end test and by the benchmark.
#   scripts/install-packed.sh DIR      (dist/ must be built)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
mkdir -p "$dir/node_modules"
for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
  [ "$(basename "$entry")" = pulumi-linuxnet ] || ln -sfn "$entry" "$dir/node_modules/$(basename "$entry")"
done
tarball=$(cd "$root" && npm pack --silent --pack-destination "$dir" 2>/dev/null | tail -1)
rm -rf "$dir/node_modules/pulumi-linuxnet" && mkdir -p "$dir/node_modules/pulumi-linuxnet"
tar -xzf "$dir/$tarball" -C "$dir/node_modules/pulumi-linuxnet" --strip-components=1
rm -f "$dir/$tarball"
