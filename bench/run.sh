#!/usr/bin/env bash
# Benchmark (not a test): the topology "N namespaces, each with a veth end and an address,
# peers on one bridge", built three ways — pulumi-linuxnet through the real CLI, a tutorial-style
# script (one `ip` per step) and `ip -batch` — in the same run, so the ratios compare like with
# like on a shared, noisy machine. The CLI runs twice per N: in the default mode (the engine
# writes the whole state after every step) and in the fast mode (PULUMI_SKIP_CHECKPOINTS=true:
# once, at the end), each up, no-op preview, refresh and destroy. Prints medians, the ratios
# to the tutorial script's up (and destroy to its teardown), the peak RSS (VmHWM) of the CLI
# and of the dynamic-provider process, and how many processes the provider started. A failed
# `up` reads "failed" (what it made is removed, and the run goes on).
# Runs in a private `unshare --net --mount --pid` sandbox, like the tests.
#   bench/run.sh [N ...]        default: 10 50 200; LINUXNET_BENCH_REPS (default 3) runs each
#   LINUXNET_BENCH_MODES="default fast" (default both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

sizes=${*:-10 50 200}
reps=${LINUXNET_BENCH_REPS:-3}
modes=${LINUXNET_BENCH_MODES:-default fast}
work=$(mktemp -d)
# shellcheck source=bench/lib.sh
source bench/lib.sh
# Sanity check that a build really works: the last namespace reaches the bridge.
check() { ip netns exec "b$(($1 - 1))" ping -c 1 -W 2 10.200.0.1 >/dev/null || { echo "bench: b$(($1 - 1)) cannot reach br0" >&2; exit 1; }; }

# Peak RSS: every half second, the VmHWM (kB) of the CLI and of the dynamic-provider process
# (the sandbox has its own PID namespace: pgrep sees only the benchmark's processes).
rss_sampler() {
  while :; do
    for p in $(pgrep -x pulumi); do echo "cli $(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null)"; done
    for p in $(pgrep -f 'cmd/dynamic-provider'); do echo "provider $(awk '/^VmHWM/ { print $2 }' "/proc/$p/status" 2>/dev/null)"; done
    sleep 0.5
  done >>"$work/rss"
}
rss_sampler &
sampler=$!
trap 'kill "$sampler" 2>/dev/null; rm -rf "$work"' EXIT
peak_mb() { awk -v r="$1" '$1 == r && $2 > m { m = $2 } END { printf "%.0f", m / 1024 }' "$work/rss"; }

# The program runs against pulumi-linuxnet installed as users get it (npm pack, under
# node_modules), so the state holds each provider as a `require` of the package.
prog="$work/program"
mkdir -p "$prog" && cp bench/program/Pulumi.yaml bench/program/index.ts "$prog/" && cp examples/tsconfig.json "$prog/tsconfig.json"
bash scripts/install-packed.sh "$prog"
pl() { (cd "$prog" && pulumi "$@" --non-interactive); }
# mode_env MODE: the environment of that mode's commands
mode_env() { if [ "$1" = fast ]; then echo PULUMI_SKIP_CHECKPOINTS=true; else echo PULUMI_SKIP_CHECKPOINTS=false; fi; }

results="$work/results"
: >"$results"
for n in $sizes; do
  tut=() tdown=() bat=()
  declare -A up=() pre=() ref=() des=() rcli=() rprov=()
  spawns=0 sessions=0
  pl stack init "bench$n" >/dev/null 2>&1 || pl stack select "bench$n" >/dev/null
  pl config set n "$n" >/dev/null
  for ((r = 0; r < reps; r++)); do
    tut+=("$(time_of bash bench/tutorial.sh up "$n")"); check "$n"; tdown+=("$(time_of bash bench/tutorial.sh down "$n")"); settle
    bat+=("$(time_of bash bench/batch.sh up "$n")"); check "$n"; time_of bash bench/batch.sh down "$n" >/dev/null; settle
    for m in $modes; do
      : >"$work/rss" && : >"$work/spawns"
      # A failed `up` (the default mode at N=1000 can lose its engine connection: README,
      # Toolchain notes) is a result too: "failed" in the table, what it made removed, and on.
      if ! u=$(LINUXNET_SPAWN_LOG="$work/spawns" time_of env "$(mode_env "$m")" bash -c 'cd "$1" && pulumi up --yes --skip-preview --non-interactive' _ "$prog"); then
        echo "bench: N=$n $m: pulumi up failed (above); destroying what the state holds, then the rest by hand (a private sandbox: all of it is the benchmark's)" >&2
        up[$m]+=" failed"
        env PULUMI_SKIP_CHECKPOINTS=true bash -c 'cd "$1" && pulumi destroy --yes --skip-preview --non-interactive' _ "$prog" >/dev/null 2>&1 || true
        ip -all netns delete 2>/dev/null || true
        for l in $(ip -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }'); do ip link del "$l" 2>/dev/null || true; done
        settle
        continue
      fi
      up[$m]+=" $u"
      check "$n"
      if [ "$m" = default ]; then
        spawns=$(grep -vc '\[session\]' "$work/spawns" || true)
        sessions=$(grep -c '\[session\]' "$work/spawns" || true)
      fi
      pre[$m]+=" $(time_of env "$(mode_env "$m")" bash -c 'cd "$1" && pulumi preview --expect-no-changes --non-interactive' _ "$prog")"
      ref[$m]+=" $(time_of env "$(mode_env "$m")" bash -c 'cd "$1" && pulumi refresh --yes --skip-preview --non-interactive' _ "$prog")"
      des[$m]+=" $(time_of env "$(mode_env "$m")" bash -c 'cd "$1" && pulumi destroy --yes --skip-preview --non-interactive' _ "$prog")"
      settle
      rcli[$m]+=" $(peak_mb cli)" rprov[$m]+=" $(peak_mb provider)"
    done
  done
  pl stack rm --yes --force "bench$n" >/dev/null
  mt=$(median "${tut[@]}") md=$(median "${tdown[@]}") mb=$(median "${bat[@]}")
  for m in $modes; do
    # shellcheck disable=SC2086 # the per-mode lists are space-separated on purpose
    echo "$n $m $mt $md $mb $(median ${up[$m]}) $(median ${pre[$m]:-}) $(median ${ref[$m]:-}) $(median ${des[$m]:-}) $(median ${rcli[$m]:-}) $(median ${rprov[$m]:-}) $spawns $sessions" >>"$results"
  done
  unset up pre ref des rcli rprov
done

echo "seconds (medians of $reps runs); ratios: to the tutorial script's up (destroy also to its teardown, 'down')"
printf '%-5s %-8s %8s %7s %7s | %8s %6s %6s | %8s %6s | %8s %6s | %8s %6s %7s | %6s %6s | %s\n' \
  N mode tutorial down batch up /tut /batch preview /tut refresh /tut destroy /tut /down cli-MB prov-MB "provider processes (one-off + sessions)"
sec() { if [[ $1 =~ ^[0-9.]+$ ]]; then echo "${1}s"; else echo "$1"; fi; } # "12.3s", or "failed"/"-" as they are
while read -r n m mt md mb u p f d rc rp sp se; do
  printf '%-5s %-8s %7ss %6ss %6ss | %8s %5sx %5sx | %8s %5sx | %8s %5sx | %8s %5sx %6sx | %6s %6s | %s\n' "$n" "$m" "$mt" "$md" "$mb" \
    "$(sec "$u")" "$(ratio "$u" "$mt")" "$(ratio "$u" "$mb")" "$(sec "$p")" "$(ratio "$p" "$mt")" "$(sec "$f")" "$(ratio "$f" "$mt")" "$(sec "$d")" "$(ratio "$d" "$mt")" "$(ratio "$d" "$md")" \
    "$rc" "$rp" "$sp + $se"
done <"$results"
# Linearity: seconds per namespace of up at each N, and against the smallest N; the engine's
# checkpoints as the share of the default mode's up that the fast mode does not spend.
first=$(head -1 "$results" | cut -d' ' -f1)
for m in $modes; do
  base=$(awk -v n="$first" -v m="$m" '$1 == n && $2 == m && $6 ~ /^[0-9.]+$/ { print $6 / $1 }' "$results")
  [ -n "$base" ] || continue # that mode's up failed at the smallest N
  awk -v m="$m" -v b="$base" '$2 == m && $6 ~ /^[0-9.]+$/ { printf "%s: up per namespace at N=%s: %.1f ms (%.2fx N=%s)\n", m, $1, 1000 * $6 / $1, ($6 / $1) / b, "'"$first"'" }' "$results"
done
if [[ " $modes " == *" default "* && " $modes " == *" fast "* ]]; then
  awk '$6 !~ /^[0-9.]+$/ { next } $2 == "default" { d[$1] = $6 } $2 == "fast" { f[$1] = $6 } END { for (n in d) if (n in f) printf "checkpoints: N=%s: default up %.1f s, fast up %.1f s: %.0f%% of the default up is the engine'"'"'s per-step state writes\n", n, d[n], f[n], 100 * (d[n] - f[n]) / d[n] }' "$results" | sort -t= -k2 -n
fi
echo "provider processes: one-off ip processes and long-lived ip -batch sessions the provider started during the default-mode up"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(ip -V | head -1), pulumi $(pulumi version)"
