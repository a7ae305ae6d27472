#!/usr/bin/env bash
# Benchmark (not a test): the topology "N namespaces, each with a veth end and an address,
# peers on one bridge", built three ways — pulumi-linuxnet through the real CLI (up, no-op
# preview, refresh, destroy), a tutorial-style script (one `ip` per step), and `ip -batch`.
# Prints medians and ratios. Runs in a private `unshare --net --mount` sandbox, like the tests.
#   bench/run.sh [N ...]        default: 10 50 200; LINUXNET_BENCH_REPS (default 3) runs each
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

sizes=${*:-10 50 200}
reps=${LINUXNET_BENCH_REPS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh
# The kernel tears a deleted namespace's devices down after `ip netns del` returns: wait for it.
settle() { for _ in $(seq 100); do [ "$(ip -o link show | wc -l)" = 1 ] && [ -z "$(ls /run/netns)" ] && return 0; sleep 0.1; done; echo "bench: leftovers" >&2; ip -br link >&2; ls /run/netns >&2; exit 1; }
# Sanity check that a build really works: the last namespace reaches the bridge.
check() { ip netns exec "b$(($1 - 1))" ping -c 1 -W 2 10.200.0.1 >/dev/null || { echo "bench: b$(($1 - 1)) cannot reach br0" >&2; exit 1; }; }

# The program runs against pulumi-linuxnet installed as users get it (npm pack, under
# node_modules), so the state holds each provider as a `require` of the package.
prog="$work/program"
mkdir -p "$prog" && cp bench/program/Pulumi.yaml bench/program/index.ts "$prog/" && cp examples/tsconfig.json "$prog/tsconfig.json"
bash scripts/install-packed.sh "$prog"
pl() { (cd "$prog" && pulumi "$@" --non-interactive); }

printf '%-5s %9s %9s %9s %8s %8s %9s %9s %9s | %7s %8s %8s | %9s %9s %8s | %9s %9s\n' N tutorial batch up up/tut up/batch preview refresh destroy spawns sessions spawn-s up-spawn des-spawn up/spawn up-nockpt des-nockpt
for n in $sizes; do
  tut=() bat=() up=() pre=() ref=() des=() upn=() desn=() ups=() dess=() spawns=0 sessions=0 spawn_s=0
  pl stack init "bench$n" >/dev/null 2>&1 || pl stack select "bench$n" >/dev/null
  pl config set n "$n" >/dev/null
  for ((r = 0; r < reps; r++)); do
    tut+=("$(time_of bash bench/tutorial.sh up "$n")"); check "$n"; time_of bash bench/tutorial.sh down "$n" >/dev/null; settle
    bat+=("$(time_of bash bench/batch.sh up "$n")"); check "$n"; time_of bash bench/batch.sh down "$n" >/dev/null; settle
    : >"$work/spawns"
    up+=("$(LINUXNET_SPAWN_LOG="$work/spawns" time_of pl up --yes --skip-preview)"); check "$n"
    spawns=$(grep -vc '\[session\]' "$work/spawns" || true)
    sessions=$(grep -c '\[session\]' "$work/spawns" || true)
    spawn_s=$(awk '{ s += $1 } END { printf "%.1f", s / 1000 }' "$work/spawns")
    pre+=("$(time_of pl preview --expect-no-changes)")
    ref+=("$(time_of pl refresh --yes --skip-preview)")
    des+=("$(time_of pl destroy --yes --skip-preview)"); settle
    # The same with one ip process per batch (LINUXNET_TRANSPORT=spawn), as before the sessions.
    ups+=("$(LINUXNET_TRANSPORT=spawn time_of pl up --yes --skip-preview)"); check "$n"
    dess+=("$(LINUXNET_TRANSPORT=spawn time_of pl destroy --yes --skip-preview)"); settle
    # The same without the engine's per-step state checkpoints (PULUMI_SKIP_CHECKPOINTS), to
    # show how much of up/destroy is the engine rewriting the whole state file after each step.
    upn+=("$(PULUMI_SKIP_CHECKPOINTS=true time_of pl up --yes --skip-preview)"); check "$n"
    desn+=("$(PULUMI_SKIP_CHECKPOINTS=true time_of pl destroy --yes --skip-preview)"); settle
  done
  pl stack rm --yes --force "bench$n" >/dev/null
  mt=$(median "${tut[@]}") mb=$(median "${bat[@]}") mu=$(median "${up[@]}")
  mus=$(median "${ups[@]}")
  printf '%-5s %8ss %8ss %8ss %7sx %7sx %8ss %8ss %8ss | %7s %8s %7ss | %8ss %8ss %7sx | %8ss %8ss\n' "$n" "$mt" "$mb" "$mu" "$(ratio "$mu" "$mt")" "$(ratio "$mu" "$mb")" \
    "$(median "${pre[@]}")" "$(median "${ref[@]}")" "$(median "${des[@]}")" "$spawns" "$sessions" "$spawn_s" "$mus" "$(median "${dess[@]}")" "$(ratio "$mu" "$mus")" \
    "$(median "${upn[@]}")" "$(median "${desn[@]}")"
done
echo "spawns, sessions, spawn-s: one-off processes and long-lived ip -batch sessions the provider started during the last up, and the one-offs' summed wall time (they overlap)"
echo "up-spawn, des-spawn: the same up and destroy with LINUXNET_TRANSPORT=spawn (one ip process per batch, no sessions); up/spawn: their ratio"
echo "medians of $reps runs; machine: $(nproc) cores, $(ip -V | head -1), pulumi $(pulumi version)"
