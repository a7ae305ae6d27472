# Shared by the benchmark scripts (sourced after `work` is set): a local Pulumi backend in
# $work, and helpers to time commands and summarise runs.
export PULUMI_BACKEND_URL="file://$work/backend?metadata=skip" PULUMI_CONFIG_PASSPHRASE= PULUMI_SKIP_UPDATE_CHECK=true \
  PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true NO_COLOR=1
mkdir -p "$work/backend"

now() { date +%s.%N; }
# time_of CMD...: runs CMD (output to $work/log), prints seconds
time_of() {
  local t0; t0=$(now)
  "$@" >"$work/log" 2>&1 || { echo "bench: failed: $*" >&2; tail -20 "$work/log" >&2; exit 1; }
  awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
}
# The median of the numbers given ("failed" runs left out; "failed" if every run failed, "-" if none ran).
median() { printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk -v failed="$(printf '%s\n' "$@" | grep -c failed)" '{ v[NR] = $1 } END { if (NR == 0) print (failed > 0 ? "failed" : "-"); else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "-"; else printf "%.2f", a / b }'; }
# The kernel tears a deleted namespace's devices down after `ip netns del` returns: wait until
# the sandbox holds only `lo` and no namespace (else say what is left and stop).
settle() { for _ in $(seq 300); do [ "$(ip -o link show | wc -l)" = 1 ] && [ -z "$(ls /run/netns)" ] && return 0; sleep 0.1; done; echo "bench: leftovers" >&2; ip -br link >&2; ls /run/netns >&2; exit 1; }
# tries FROM TO [MAX]: one-packet pings (2 s each) from namespace FROM ("br0": this one, where
# the bridge is) to TO until one is answered, at most MAX (default 10): prints how many it took,
# or "no" and fails if none answered. A lab that is still settling (a large one floods
# multicast for a while) may lose the first; a lab that is broken loses them all.
tries() {
  local from=$1 to=$2 max=${3:-10} k cmd
  cmd=(ping -n -q -c 1 -W 2 "$to")
  [ "$from" = br0 ] || cmd=(ip netns exec "$from" "${cmd[@]}")
  for ((k = 1; k <= max; k++)); do "${cmd[@]}" >/dev/null 2>&1 && { echo "$k"; return 0; }; done
  echo no
  return 1
}
# softnet: the packets "processed dropped" (columns 1 and 2 of /proc/net/softnet_stat, hex,
# dropped = the per-CPU input backlog was full), summed over the CPUs. Per machine: every
# namespace and every other process on the machine counts.
softnet() { local p=0 d=0 a b _r; while read -r a b _r; do p=$((p + 16#$a)); d=$((d + 16#$b)); done </proc/net/softnet_stat; echo "$p $d"; }
