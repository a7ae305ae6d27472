#!/usr/bin/env bash
# Installs this checkout into a program directory the way a user gets it: the package made by
# `npm pack` (dist/ must be built).
#   scripts/install-packed.sh DIR
#       the package extracted as DIR/node_modules/pulumi-linuxnet; every other package linked
#       from this checkout's node_modules (no registry, the checkout's @pulumi/pulumi). The
#       benchmark uses it.
#   scripts/install-packed.sh DIR TARBALL
#       the same with another build's package (the upgrade test's older version; same dependencies).
#   scripts/install-packed.sh --npm VERSION DIR [--offline]
#       a fresh program as a user makes one: DIR/package.json asks for @pulumi/pulumi VERSION,
#       the packed package, TypeScript and @types/node, and `npm install` resolves it all
#       (--offline: from npm's cache only, as inside the test sandbox, which has no network).
#   scripts/install-packed.sh prepare
#       outside the sandbox: finds the lowest @pulumi/pulumi the peer range allows and the newest
#       3.x the registry serves, writes them to $LINUXNET_CACHE/packed-versions.json, and fills
#       npm's cache for an --offline install of each (once per version and package.json).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${LINUXNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxnet}

pack() { # DIR -> the tarball's file name, in DIR
  (cd "$root" && npm pack --silent --pack-destination "$1" 2>/dev/null | tail -1)
}

# A program's package.json: the SDK at VERSION, the packed package, the checkout's TypeScript.
program() { # DIR VERSION TARBALL
  node -e '
    const [dir, version, tarball] = process.argv.slice(1);
    const root = require(process.env.ROOT + "/package.json");
    const pkg = { name: "linuxnet-consumer", private: true,
      dependencies: { "@pulumi/pulumi": version, "pulumi-linuxnet": `file:./${tarball}` },
      devDependencies: { typescript: root.devDependencies.typescript, "@types/node": root.devDependencies["@types/node"] } };
    require("fs").writeFileSync(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  ' "$1" "$2" "$3"
}

npm_install() { # DIR VERSION [--offline]
  local dir=$1 version=$2 offline=${3:-} tarball
  mkdir -p "$dir"
  tarball=$(pack "$dir")
  ROOT=$root program "$dir" "$version" "$tarball"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error ${offline:+--offline} >/dev/null)
}

if [ "${1:-}" = prepare ]; then
  mkdir -p "$cache"
  lowest=$(node -e 'const r = require(process.argv[1]).peerDependencies["@pulumi/pulumi"]; const m = /^>=\s*(\d+\.\d+\.\d+)/.exec(r); if (!m) throw new Error(`peer range ${r} has no lower bound`); console.log(m[1])' "$root/package.json")
  versions_file=$cache/packed-versions.json
  newest_of='const v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))); const n = (s) => s.split(".").map(Number); console.log(v.sort((a, b) => n(a)[1] - n(b)[1] || n(a)[2] - n(b)[2]).pop())'
  if newest=$(npm view '@pulumi/pulumi@>=3 <4' version --json 2>/dev/null | node -e "$newest_of"); then :
  elif [ -f "$versions_file" ]; then
    newest=$(node -e 'console.log(require(process.argv[1]).newest)' "$versions_file")
    echo "install-packed: the npm registry did not answer; using the newest @pulumi/pulumi known from before ($newest)" >&2
  else
    echo "install-packed: the npm registry did not answer, and no newest @pulumi/pulumi is known from before" >&2
    exit 1
  fi
  stamp=$(cat "$root/package.json" "$root/package-lock.json" | sha256sum | cut -c1-16)
  for v in "$lowest" "$newest"; do
    [ -f "$cache/packed-$v-$stamp.ok" ] && continue
    tmp=$(mktemp -d)
    echo "install-packed: filling npm's cache for a program on @pulumi/pulumi $v" >&2
    npm_install "$tmp" "$v" && touch "$cache/packed-$v-$stamp.ok"
    rm -rf "$tmp"
  done
  printf '{ "lowest": "%s", "newest": "%s" }\n' "$lowest" "$newest" >"$versions_file"
  exit 0
fi

if [ "${1:-}" = --npm ]; then
  npm_install "$3" "$2" "${4:-}"
  exit 0
fi

dir=$(mkdir -p "$1" && cd "$1" && pwd)
mkdir -p "$dir/node_modules"
for entry in "$root"/node_modules/* "$root"/node_modules/.bin; do
  [ "$(basename "$entry")" = pulumi-linuxnet ] || ln -sfn "$entry" "$dir/node_modules/$(basename "$entry")"
done
if [ $# -ge 2 ]; then
  package=$2
else
  package="$dir/$(pack "$dir")"
fi
rm -rf "$dir/node_modules/pulumi-linuxnet" && mkdir -p "$dir/node_modules/pulumi-linuxnet"
tar -xzf "$package" -C "$dir/node_modules/pulumi-linuxnet" --strip-components=1
[ $# -ge 2 ] || rm -f "$package"
