# shellcheck shell=bash
# Source this at the top of a script that changes network state (the tests, the benchmark):
#   source scripts/sandbox.sh; linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"
# Outside the sandbox it sets up the toolchain, then re-executes the script under
# `unshare --net --mount` and never returns. Inside, it gives the script a private tmpfs on
# /run/netns and brings lo up, then runs the guard, which stops the script unless this
# namespace holds only lo and no named namespaces: every namespace, link, route, sysctl and
# rule the script makes lives in a throwaway namespace that vanishes with it, even on failure.
linuxnet_sandbox() {
  local script=$1
  shift
  if [ "${LINUXNET_SANDBOX:-}" != 1 ]; then
    # shellcheck source=scripts/toolchain.sh
    source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
    linuxnet_toolchain || exit 1
    exec unshare --net --mount --propagation private -- env LINUXNET_SANDBOX=1 bash "$script" "$@"
  fi
  mkdir -p /run/netns
  mount -t tmpfs -o mode=0755 linuxnet-sandbox /run/netns
  ip link set lo up
  node "$LINUXNET_ROOT/dist/test/support/guard-cli.js" >/dev/null || exit 1
}
