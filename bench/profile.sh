#!/usr/bin/env bash
# Where the time of `pulumi up`, no-op `preview`, `refresh` and `destroy` goes, in the fast mode
# (PULUMI_SKIP_CHECKPOINTS=true), for bench/program at N namespaces. For each command:
#   - CPU seconds of each process: the engine (the `pulumi` CLI), the language host, the Node
#     program, the dynamic-provider process and the processes it started (ip, reaped by it),
#     from /proc every quarter second (the sandbox's own PID namespace holds nothing else);
#   - the engine's CPU profile (`pulumi --profiling`), its top functions (go tool pprof);
#   - the Node processes' CPU profiles (node --cpu-prof; the provider's, which the engine ends
#     with SIGKILL, by bench/provider-cpuprof.js), their self time by package, and
#     pulumi-linuxnet's own functions.
# Profiles are kept in LINUXNET_PROFILE_DIR (default: a directory under /tmp, printed).
#   bench/profile.sh [N]        default 1000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

n=${1:-1000}
out=${LINUXNET_PROFILE_DIR:-$(mktemp -d /tmp/linuxnet-profile.XXXXXX)}
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh
export PULUMI_SKIP_CHECKPOINTS=true

prog="$work/program"
mkdir -p "$prog" && cp bench/program/Pulumi.yaml bench/program/index.ts "$prog/" && cp examples/tsconfig.json "$prog/tsconfig.json"
bash scripts/install-packed.sh "$prog"
(cd "$prog" && pulumi stack init prof --non-interactive >/dev/null && pulumi config set n "$n" >/dev/null)

# pid comm ppid utime stime cutime cstime, for every process, every quarter second.
cpu_sampler() {
  while :; do
    awk '{ c = $0; sub(/^[0-9]+ \(/, "", c); comm = substr(c, 1, index(c, ") ") - 1); sub(/^.*\) /, "", c); split(c, f, " ")
           print FILENAME, comm, f[2], f[12], f[13], f[14], f[15] }' /proc/[0-9]*/stat 2>/dev/null | sed 's|^/proc/\([0-9]*\)/stat|\1|' || true # a process gone between the glob and its read
    sleep 0.25
  done >>"$1"
}

# CPU seconds per role from the samples (the last sample of each process counts).
cpu_roles() {
  awk -v hz="$(getconf CLK_TCK)" '
    { comm[$1] = $2; ppid[$1] = $3; own[$1] = $4 + $5; kids[$1] = $6 + $7 }
    END {
      for (p in comm) {
        if (comm[p] == "pulumi") role = "engine (pulumi CLI)"
        else if (comm[p] == "pulumi-language") role = "language host"
        else if (comm[p] == "node" && comm[ppid[p]] == "pulumi-language") role = "Node program"
        else if (comm[p] == "node" && comm[ppid[p]] ~ /^(sh|pulumi-resource)/) { role = "dynamic-provider process"; t["its children (ip, ...)"] += kids[p] }
        else continue
        t[role] += own[p]
      }
      for (r in t) printf "    %-28s %7.1f s CPU\n", r, t[r] / hz
    }' "$1" | sort
}

for op in up preview refresh destroy; do
  case $op in
    up) args=(up --yes --skip-preview) ;;
    preview) args=(preview --expect-no-changes) ;;
    refresh) args=(refresh --yes --skip-preview) ;;
    destroy) args=(destroy --yes --skip-preview) ;;
  esac
  mkdir -p "$out/$op"
  : >"$work/cpu"
  cpu_sampler "$work/cpu" &
  sampler=$!
  t=$(NODE_OPTIONS="--cpu-prof --cpu-prof-dir=$out/$op --require $PWD/bench/provider-cpuprof.js" LINUXNET_PROVIDER_PROF_DIR="$out/$op" time_of bash -c 'cd "$1" && shift && pulumi "$@" --non-interactive' _ "$prog" "${args[@]}" --profiling "$out/$op/engine")
  kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
  cp "$work/cpu" "$out/$op/cpu-samples"
  echo "== pulumi $op, N=$n: $t s wall"
  cpu_roles "$work/cpu"
  echo "  engine, top functions by CPU (go tool pprof -top):"
  (go tool pprof -top -nodecount=12 "$out/$op"/engine.*.cpu 2>/dev/null || echo "    (go tool pprof not available)") | sed -n '/flat%/,$p' | sed 's/^/    /'
  echo "  Node processes, self time by package (node --cpu-prof):"
  node "$(dirname "${BASH_SOURCE[0]}")/cpuprofile-summary.js" "$out/$op"/*.cpuprofile | sed 's/^/    /'
done
(cd "$prog" && pulumi stack rm --yes --force --non-interactive >/dev/null)
echo "profiles: $out; machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), pulumi $(pulumi version)"
