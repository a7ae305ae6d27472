#!/usr/bin/env bash
# What the Pulumi engine's own knobs buy for a stack of this provider (a benchmark, not a test),
# on bench/program (N namespaces, each with a veth end, peers on one bridge), in the same run as
# the tutorial script's up as the baseline:
#   - `--parallel P` (the engine's default 8, and 2, 32, 128): fast-mode `up` and `destroy` at N;
#   - `--disable-integrity-checking` (the engine verifies the whole snapshot before it writes
#     it): default-mode `up` at N_CHECKPOINTS, where the engine writes the state after every step;
#   - state bytes per resource: the size of `pulumi stack export` (and of the backend's file)
#     divided by the number of resources, and the share of it that is each resource's outputs;
#   - the program as TypeScript (Pulumi runs it through ts-node, whose source-map support then
#     formats every stack trace the SDK captures: one per promise it makes) or precompiled to
#     JavaScript (`tsc`, `typescript: false`): fast-mode `up`, no-op `preview` and `destroy` at N.
#   bench/knobs.sh [N] [N_CHECKPOINTS]        default 1000 200
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

n=${1:-1000}
nc=${2:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh

prog="$work/program"
mkdir -p "$prog" && cp bench/program/Pulumi.yaml bench/program/index.ts "$prog/" && cp examples/tsconfig.json "$prog/tsconfig.json"
bash scripts/install-packed.sh "$prog"
pl() { (cd "$prog" && pulumi "$@" --non-interactive); }
# cli MODE ARGS...: seconds of one pulumi command in that mode
cli() {
  local skip=false; [ "$1" = fast ] && skip=true; shift
  time_of env PULUMI_SKIP_CHECKPOINTS=$skip bash -c 'cd "$1" && shift && pulumi "$@" --non-interactive' _ "$prog" "$@"
}

tut=$(time_of bash bench/tutorial.sh up "$n"); time_of bash bench/tutorial.sh down "$n" >/dev/null; settle
echo "N=$n: tutorial script up ${tut} s (the baseline of the ratios)"

pl stack init "knobs" >/dev/null && pl config set n "$n" >/dev/null
echo "--parallel, fast mode, N=$n:"
for p in 8 2 32 128; do
  u=$(cli fast up --yes --skip-preview --parallel "$p")
  d=$(cli fast destroy --yes --skip-preview --parallel "$p"); settle
  printf '  --parallel %-4s up %7s s (%sx the tutorial)   destroy %7s s (%sx)\n' "$p" "$u" "$(ratio "$u" "$tut")" "$d" "$(ratio "$d" "$tut")"
done

# The program as TypeScript or precompiled (the same project and stack: only Pulumi.yaml's main changes).
echo "the program as TypeScript (ts-node) or precompiled JavaScript, fast mode, N=$n:"
node_modules/.bin/tsc -p "$prog/tsconfig.json" --outDir "$prog/js"
for lang in ts js; do
  if [ "$lang" = js ]; then sed -i -e 's/typescript: true/typescript: false/' -e 's|^main: .*|main: js/index.js|' "$prog/Pulumi.yaml"; fi
  u=$(cli fast up --yes --skip-preview)
  p=$(cli fast preview --expect-no-changes)
  d=$(cli fast destroy --yes --skip-preview); settle
  printf '  %-10s up %7s s (%sx the tutorial)   no-op preview %7s s (%sx)   destroy %7s s\n' "$lang" "$u" "$(ratio "$u" "$tut")" "$p" "$(ratio "$p" "$tut")" "$d"
done
cp bench/program/Pulumi.yaml "$prog/Pulumi.yaml"

# State bytes per resource, from a deployed stack at N.
cli fast up --yes --skip-preview >/dev/null
pl stack export >"$work/state.json"
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).deployment.resources;
  const bytes = (x) => Buffer.byteLength(JSON.stringify(x ?? null));
  const total = bytes(s), byType = {};
  for (const r of s) {
    const t = (byType[r.type] ??= { n: 0, all: 0, inputs: 0, outputs: 0 });
    t.n++; t.all += bytes(r); t.inputs += bytes(r.inputs); t.outputs += bytes(r.outputs);
  }
  console.log(`state: ${s.length} resources, ${(total / 1e6).toFixed(2)} MB as exported, ${Math.round(total / s.length)} bytes per resource`);
  for (const [t, v] of Object.entries(byType)) console.log(`  ${t.padEnd(40)} ${String(v.n).padStart(5)} x ${Math.round(v.all / v.n)} bytes (inputs ${Math.round(v.inputs / v.n)}, outputs ${Math.round(v.outputs / v.n)})`);
' "$work/state.json"
find "$work/backend" -name 'knobs.json*' -printf '  the backend file: %s bytes (%p)\n' | sed "s|$work/||"
cli fast destroy --yes --skip-preview >/dev/null; settle

# Integrity checking: in the default mode the engine writes (and, unless disabled, verifies) the
# whole snapshot after every step, so its cost grows with N².
pl config set n "$nc" >/dev/null
tutc=$(time_of bash bench/tutorial.sh up "$nc"); time_of bash bench/tutorial.sh down "$nc" >/dev/null; settle
echo "default mode (checkpoints), N=$nc: tutorial script up ${tutc} s"
for flag in "" --disable-integrity-checking; do
  # shellcheck disable=SC2086 # an empty flag is no argument
  u=$(cli default up --yes --skip-preview $flag)
  d=$(cli default destroy --yes --skip-preview $flag); settle
  printf '  %-30s up %7s s (%sx the tutorial)   destroy %7s s\n' "${flag:-integrity checked}" "$u" "$(ratio "$u" "$tutc")" "$d"
done
u=$(cli fast up --yes --skip-preview); d=$(cli fast destroy --yes --skip-preview); settle
printf '  %-30s up %7s s (%sx the tutorial)   destroy %7s s\n' "fast mode (for comparison)" "$u" "$(ratio "$u" "$tutc")" "$d"
pl stack rm --yes --force >/dev/null
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, pulumi $(pulumi version)"
