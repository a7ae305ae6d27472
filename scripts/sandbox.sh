# shellcheck shell=bash
# Source this at the top of a script that changes network state (the tests, the benchmark):
#   source scripts/sandbox.sh; linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"
# Outside the sandbox it sets up the toolchain (the tests': LINUXNET_TOOLCHAIN_FOR=tests), then re-executes the script under
# `unshare --net --mount --pid` and never returns. Inside, it refuses unless the network
# namespace holds only lo, and only then gives the script a private tmpfs on /run/netns and
# brings lo up; the guard then checks again. Every namespace, link, route, sysctl and rule
# the script makes lives in throwaway namespaces that vanish with it, even on failure. The
# PID namespace means a stray "netns 1" can only ever name the sandbox's own first process.
linuxnet_sandbox() {
  local script=$1 here
  shift
  here=$(readlink /proc/self/ns/mnt)
  # "Inside" is a mount namespace other than the one the script was first started in.
  if [ -z "${LINUXNET_SANDBOX_FROM:-}" ] || [ "$LINUXNET_SANDBOX_FROM" = "$here" ]; then
    # shellcheck source=scripts/toolchain.sh
    source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
    # (not again if this shell has just set it up)
    # shellcheck disable=SC2086 # LINUXNET_TOOLCHAIN_FOR=tests: the toolchain of the tests
    [ "${_TC_READY:-}" = "${LINUXNET_TOOLCHAIN_FOR:-demo}" ] || linuxnet_toolchain ${LINUXNET_TOOLCHAIN_FOR:+--$LINUXNET_TOOLCHAIN_FOR} || exit 1
    exec unshare --net --mount --pid --fork --mount-proc --propagation private -- \
      env LINUXNET_SANDBOX_FROM="$here" bash "$script" "$@"
  fi
  local others
  others=$(ip -o link show | awk -F': ' '$2 != "lo" { print $2 }' | tr '\n' ' ')
  if [ -n "$others" ]; then
    echo "refusing: this network namespace has interfaces besides lo ($others): not a sandbox" >&2
    exit 1
  fi
  mkdir -p /run/netns
  mount -t tmpfs -o mode=0755 linuxnet-sandbox /run/netns
  # The provider's records of what it found (a sysctl's old value, …) live beside /run/netns:
  # the sandbox's own, like its namespaces.
  mkdir -p /run/pulumi-linuxnet
  mount -t tmpfs -o mode=0755 linuxnet-records /run/pulumi-linuxnet
  ip link set lo up
  node "$LINUXNET_ROOT/dist/test/support/guard-cli.js" >/dev/null || exit 1
}
