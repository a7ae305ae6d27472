#!/usr/bin/env bash
# The multicast storm of a large lab (a benchmark, not a test): N namespaces bK, each with eth0
# (10.200.x.y/16, default route via br0) whose peer bvK is a port of br0, built with `ip -batch`
# (as bench/batch.sh: one batch for the sandbox's links, one per member) in one of several
# variants of IPv6 and bridge multicast settings. For each variant it measures, from
# /proc/net/softnet_stat (per machine: every namespace and every other process on the machine
# count too), the packets processed (column 1) and dropped at a full per-CPU input backlog
# (column 2) while the lab is built, in the AFTER seconds after, and when the last drop was seen;
# then whether members reach the bridge and each other (ping, one packet, 2 s, up to ATTEMPTS
# tries; the number of tries it took, "no" if none answered):
#   p4     b(N-1) -> br0 10.200.0.1          p4mm  b1 -> b(N-2), IPv4 (ARP is broadcast)
#   p6br   br0 -> b(N/2) over IPv6 (the bridge's neighbour solicitation must reach the member)
#   p6mm   b0 -> b(N/2+1) over IPv6          p6    b(N-1) -> br0 fd00:200::1
# The IPv6 pings run only in the variants whose members have IPv6 addresses (fd00:200::/64).
# Variants (the ip batch lines each adds are printed with --lines):
#   a-default        IPv4 addresses only, IPv6 on everywhere (link-local, DAD, RS, MLD)
#   b-addrgen-none   IPv4 only; `addrgenmode none` on both veth ends before they are up
#   b-sysctl-off     IPv4 only; disable_ipv6=1 on both ends (sysctl in each member)
#   d-flood-off      IPv4 only, IPv6 on; `mcast_flood off` on the bridge ports
#   c6-default       IPv4 and IPv6 addresses, nothing else
#   c6-nodad         c6 with `nodad` on the static IPv6 addresses
#   c6-flood-off     c6 with `mcast_flood off` on the bridge ports
#   c6-querier       c6 with `mcast_snooping 1 mcast_querier 1` on br0
#   c6-querier-flood-off   both of the above
#   c6-nodad-querier-flood-off   nodad, the querier and mcast_flood off
#   d6-neigh-suppress      c6 with `neigh_suppress on` on the bridge ports
#   d6-no-rs-dad     c6 with router_solicitations=0 and dad_transmits=0 on eth0 (sysctl in each member)
#   d6-no-ll         c6 with `addrgenmode none` on both ends (no link-local) and nodad
#   d6-ports-none-nodad    c6 with `addrgenmode none` on the ports only, and nodad (the members keep link-local)
# Runs in a private `unshare --net --mount --pid` sandbox, like the tests; everything it makes
# is removed on exit (trap) and vanishes with the sandbox anyway.
#   bench/storm.sh [--after SECONDS] [--attempts K] [--variants NAME,NAME...] [--lines] N...
#   defaults: --after 30 --attempts 10, every variant, N = 200 1000
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_variants=(a-default b-addrgen-none b-sysctl-off d-flood-off c6-default c6-nodad c6-flood-off c6-querier
  c6-querier-flood-off c6-nodad-querier-flood-off d6-neigh-suppress d6-no-rs-dad d6-no-ll d6-ports-none-nodad)
# features VARIANT: the building blocks of a variant (v6: IPv6 addresses; agm: addrgenmode none on
# both ends; agmport: on the ports only; sysctl: disable_ipv6 on both ends; flood: mcast_flood off on the ports; querier:
# snooping and querier on br0; nodad; suppress: neigh_suppress on the ports; nors: no RS, no DAD)
features() {
  case $1 in
    a-default) echo "" ;;
    b-addrgen-none) echo "agm" ;;
    b-sysctl-off) echo "sysctl" ;;
    d-flood-off) echo "flood" ;;
    c6-default) echo "v6" ;;
    c6-nodad) echo "v6 nodad" ;;
    c6-flood-off) echo "v6 flood" ;;
    c6-querier) echo "v6 querier" ;;
    c6-querier-flood-off) echo "v6 querier flood" ;;
    c6-nodad-querier-flood-off) echo "v6 nodad querier flood" ;;
    d6-neigh-suppress) echo "v6 suppress" ;;
    d6-no-rs-dad) echo "v6 nors" ;;
    d6-no-ll) echo "v6 agm nodad" ;;
    d6-ports-none-nodad) echo "v6 agmport nodad" ;;
    *) return 1 ;;
  esac
}

usage() { sed -n '/^#   bench\/storm.sh/,/^#   defaults/p' "${BASH_SOURCE[0]}" | sed 's/^#//' >&2; exit 2; }
args=("$@")
after=30 attempts=10 variants=("${all_variants[@]}") lines=false sizes=()
while [ $# -gt 0 ]; do
  case $1 in
    --after) after=${2:-}; shift 2 || usage ;;
    --attempts) attempts=${2:-}; shift 2 || usage ;;
    --variants) IFS=, read -r -a variants <<<"${2:-}"; shift 2 || usage ;;
    --lines) lines=true; shift ;;
    -h | --help) usage ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(200 1000)
[[ $after =~ ^[0-9]+$ ]] || { echo "storm: --after: a whole number of seconds, not '$after'" >&2; exit 2; }
[[ $attempts =~ ^[1-9][0-9]*$ ]] || { echo "storm: --attempts: a whole number of at least 1, not '$attempts'" >&2; exit 2; }
# A Linux bridge holds at most 1023 ports (the kernel's BR_MAX_PORTS; the next one: "Exchange full").
for n in "${sizes[@]}"; do [[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 4 ] && [ "$n" -le 1023 ] || { echo "storm: N: a whole number from 4 to 1023 (a Linux bridge holds at most 1023 ports), not '$n'" >&2; exit 2; }; done
for v in "${variants[@]}"; do features "$v" >/dev/null || { echo "storm: --variants: unknown variant '$v' (known: ${all_variants[*]})" >&2; exit 2; }; done

# has FEATURE: the current variant has it ($feat is set per variant)
has() { [[ " $feat " == *" $1 "* ]]; }
v4() { echo "10.200.$((($1 + 2) >> 8)).$((($1 + 2) & 255))"; }
v6() { printf 'fd00:200::%x' $(($1 + 2)); }
# The batches of a variant: root_lines N (the sandbox's: bridge, namespaces, veths, ports) and
# member_lines K (inside member bK). Only `ip` batch lines: the sysctl variants add processes.
root_lines() {
  local n=$1 i
  echo "link add name br0 type bridge"
  has querier && echo "link set dev br0 type bridge mcast_snooping 1 mcast_querier 1"
  echo "addr add 10.200.0.1/16 dev br0"
  has v6 && echo "addr add fd00:200::1/64 dev br0$(has nodad && echo ' nodad')"
  echo "link set dev br0 up"
  for ((i = 0; i < n; i++)); do echo "netns add b$i"; done
  for ((i = 0; i < n; i++)); do
    echo "link add name bv$i type veth peer name eth0 netns b$i"
    { has agm || has agmport; } && echo "link set dev bv$i addrgenmode none"
    echo "link set dev bv$i master br0"
    has flood && echo "link set dev bv$i type bridge_slave mcast_flood off"
    has suppress && echo "link set dev bv$i type bridge_slave neigh_suppress on"
    echo "link set dev bv$i up"
  done
}
member_lines() {
  local i=$1
  echo "link set dev lo up"
  has agm && echo "link set dev eth0 addrgenmode none"
  echo "addr add $(v4 "$i")/16 dev eth0"
  has v6 && echo "addr add $(v6 "$i")/64 dev eth0$(has nodad && echo ' nodad')"
  echo "link set dev eth0 up"
  echo "route add default via 10.200.0.1"
  has v6 && echo "route add default via fd00:200::1"
  return 0
}
# The variant's sysctls, set after the root batch (every end exists, the members' ends are down,
# the ports have no carrier yet) and before the member batches bring eth0 up.
sysctls() {
  local n=$1 i
  for ((i = 0; i < n; i++)); do
    if has sysctl; then
      echo 1 >"/proc/sys/net/ipv6/conf/bv$i/disable_ipv6" # the sandbox's own port: no process
      ip netns exec "b$i" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    fi
    if has nors; then ip netns exec "b$i" sysctl -qw net.ipv6.conf.eth0.router_solicitations=0 net.ipv6.conf.eth0.dad_transmits=0; fi
  done
}

if $lines; then
  for v in "${variants[@]}"; do
    feat=$(features "$v")
    echo "== $v"
    echo "  root batch (ip -batch -), per member K (port bvK):"
    root_lines 1 | sed -e 's/b0\b/bK/g; s/bv0/bvK/g; s/^/    /'
    has sysctl && echo "    (then per member: ip netns exec bK sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1; and net.ipv6.conf.bvK.disable_ipv6=1)"
    has nors && echo "    (then per member: ip netns exec bK sysctl -qw net.ipv6.conf.eth0.router_solicitations=0 net.ipv6.conf.eth0.dad_transmits=0)"
    echo "  member batch (ip -n bK -batch -):"
    member_lines 0 | sed -e 's/^/    /'
  done
  exit 0
fi

# The machine's backlog limit, read before the sandbox (only the first namespace shows it).
[ -n "${LINUXNET_STORM_BACKLOG:-}" ] || export LINUXNET_STORM_BACKLOG="$(cat /proc/sys/net/core/netdev_max_backlog)"
# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
linuxnet_sandbox "${BASH_SOURCE[0]}" "${args[@]}"

work=$(mktemp -d)
sampler=
cleanup() {
  [ -z "$sampler" ] || kill "$sampler" 2>/dev/null || true
  ip -all netns delete 2>/dev/null || true
  ip link del br0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh

# Every 0.2 s: "seconds-since-epoch processed dropped" to $work/samples
sample() { while :; do echo "$(now) $(softnet)"; sleep 0.2; done >>"$work/samples"; }
# window T0 T1: "processed dropped" between the samples nearest before T0 and T1
window() { awk -v a="$1" -v b="$2" '$1 <= a { p0 = $2; d0 = $3 } $1 <= b { p1 = $2; d1 = $3 } END { printf "%d %d\n", p1 - p0, d1 - d0 }' "$work/samples"; }

results="$work/results"
: >"$results"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for n in "${sizes[@]}"; do
  for v in "${variants[@]}"; do
    feat=$(features "$v")
    settle
    : >"$work/samples"
    sample &
    sampler=$!
    sleep 5 # the machine's own rate, before the build
    t0=$(now)
    root_lines "$n" >"$work/root.batch"
    time_of ip -batch "$work/root.batch" >/dev/null
    sysctls "$n"
    for ((i = 0; i < n; i++)); do member_lines "$i" | ip -n "b$i" -batch - || { echo "storm: $v: member b$i's batch failed" >&2; exit 1; }; done
    t1=$(now)
    p4=$(tries "b$((n - 1))" 10.200.0.1 "$attempts") || true
    p4mm=$(tries b1 "$(v4 $((n - 2)))" "$attempts") || true
    p6br=- p6mm=- p6=-
    if has v6; then
      p6br=$(tries br0 "$(v6 $((n / 2)))" "$attempts") || true
      p6mm=$(tries b0 "$(v6 $((n / 2 + 1)))" "$attempts") || true
      p6=$(tries "b$((n - 1))" fd00:200::1 "$attempts") || true
    fi
    tp=$(now)
    while awk -v a="$(now)" -v b="$t1" -v w="$after" 'BEGIN { exit !(a < b + w) }'; do sleep 0.5; done
    t2=$(now)
    time_of ip -batch <(for ((i = 0; i < n; i++)); do echo "netns del b$i"; done; echo "link del dev br0") >/dev/null
    settle
    t3=$(now)
    sleep 1
    kill "$sampler" && wait "$sampler" 2>/dev/null || true
    sampler=
    read -r ip5 id5 < <(window "$(awk 'NR == 1 { print $1 }' "$work/samples")" "$t0")
    read -r pb db < <(window "$t0" "$t1")
    read -r pa da < <(window "$t1" "$(awk -v t="$t1" -v w="$after" 'BEGIN { printf "%.3f", t + w }')")
    read -r _ dt < <(window "$t2" "$t3")
    # the last sample (from the build's start to the teardown) at which the drop count rose, in seconds after the build ended
    last=$(awk -v a="$t0" -v b="$t2" -v t1="$t1" '$1 >= a && $1 <= b { if (seen && $3 > d) l = $1 - t1; d = $3; seen = 1 } END { if (l == "") print "-"; else printf "%+.1f", l }' "$work/samples")
    build=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    pingt=$(awk -v a="$t1" -v b="$tp" 'BEGIN { printf "%.1f", b - a }')
    echo "$n $v $build $ip5 $id5 $pb $db $pa $da $last $dt $p4 $p4mm $p6br $p6mm $p6 $pingt" >>"$results"
    printf 'storm: N=%s %s: build %ss, dropped %s while building, %s in the %ss after\n' "$n" "$v" "$build" "$db" "$da" "$after" >&2
  done
done

echo "softnet_stat deltas summed over $(nproc) CPUs (the whole machine: other processes count too; idle = the 5 s before the build)"
echo "ping columns: tries of one packet, 2 s each, up to $attempts, until an answer ('no': none); '-': no IPv6 addresses in that variant"
printf '%-5s %-27s %7s | %9s | %9s %9s | %9s %9s | %8s | %8s | %4s %4s %4s %4s %4s | %s\n' N variant build idle-drop built-proc built-drop \
  "${after}s-proc" "${after}s-drop" last-drop down-drop p4 p4mm p6br p6mm p6 "pings took"
while read -r n v build _ip5 id5 pb db pa da last dt p4 p4mm p6br p6mm p6 pingt; do
  printf '%-5s %-27s %6ss | %9s | %9s %9s | %9s %9s | %8s | %8s | %4s %4s %4s %4s %4s | %ss\n' "$n" "$v" "$build" "$id5" "$pb" "$db" "$pa" "$da" "$last" "$dt" "$p4" "$p4mm" "$p6br" "$p6mm" "$p6" "$pingt"
done <"$results"
echo "last-drop: when the drop count last rose, seconds after the build ended (from the build's start to the teardown; '-': no drop)"
echo "machine: $(nproc) cores, net.core.netdev_max_backlog $LINUXNET_STORM_BACKLOG, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(uname -r), $(ip -V | head -1)"
