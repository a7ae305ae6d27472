#!/usr/bin/env bash
# Installs this checkout into DIR/node_modules the way a user gets it from npm: the package
# made by `npm pack`, extracted as a real directory; its dependencies are linked from this
# checkout's node_modules (no registry access, one @pulumi/pulumi instance). Used by the
# installed-package and upgrade end-to-end tests and by the benchmark.
#   scripts/install-packed.sh DIR            (dist/ must be built)
#   scripts/install-packed.sh DIR TARBALL    another build's package instead (same dependencies)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$(mkdir -p "$1" && cd "$1" && pwd)
mkdir -p "$dir/node_modules"
for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
  [ "$(basename "$entry")" = pulumi-linuxnet ] || ln -sfn "$entry" "$dir/node_modules/$(basename "$entry")"
done
if [ $# -ge 2 ]; then
  package=$2
else
  package="$dir/$(cd "$root" && npm pack --silent --pack-destination "$dir" 2>/dev/null | tail -1)"
fi
rm -rf "$dir/node_modules/pulumi-linuxnet" && mkdir -p "$dir/node_modules/pulumi-linuxnet"
tar -xzf "$package" -C "$dir/node_modules/pulumi-linuxnet" --strip-components=1
[ $# -ge 2 ] || rm -f "$package"
