#!/usr/bin/env bash
# The test command (README, .ci/run), in two runs with one closing line:
#   1. the unit, kernel and end-to-end tiers: one jest run on this machine's kernel, inside a
#      throwaway network namespace (scripts/sandbox.sh);
#   2. the full-kernel tier (jest project `fullkernel`): inside a VM booted on Debian's full
#      kernel (scripts/full-kernel.sh), for what this machine's kernel lacks (802.1Q VLANs).
# Extra arguments go to jest in both runs. `--selectProjects` picks tiers (unit, kernel, e2e,
# fullkernel). The full-kernel tier is skipped, with a line saying why, when none of its test
# files match the arguments, or when LINUXNET_SKIP_FULL_KERNEL=1 (which also skips the e2e
# test that uses the VM as an SSH host).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all=("$@") args=() picked=""
while [ $# -gt 0 ]; do
  case $1 in
    --selectProjects=*) picked+=" ${1#*=}"; shift ;;
    --selectProjects) shift; while [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; do picked+=" $1"; shift; done ;;
    *) args+=("$1"); shift ;;
  esac
done
host=() tier=""
for p in ${picked:-unit kernel e2e fullkernel}; do
  case $p in
    unit | kernel | e2e) host+=("$p") ;;
    fullkernel) tier=yes ;;
    *) echo "unknown project $p (known: unit kernel e2e fullkernel)" >&2; exit 2 ;;
  esac
done
skip=""
if [ -z "$tier" ]; then skip="not selected"
elif [ "${LINUXNET_SKIP_FULL_KERNEL:-}" = 1 ]; then skip="LINUXNET_SKIP_FULL_KERNEL=1"
fi

# Outside the sandbox, where the network is, fetch once what the full-kernel tier needs.
here=$(readlink /proc/self/ns/mnt)
# (The e2e tier uses the VM too, as an SSH host.)
no_vm=$skip
case " ${host[*]} " in *" e2e "*) [ "${LINUXNET_SKIP_FULL_KERNEL:-}" = 1 ] || no_vm="" ;; esac
if [ -z "$no_vm" ] && { [ -z "${LINUXNET_SANDBOX_FROM:-}" ] || [ "$LINUXNET_SANDBOX_FROM" = "$here" ]; }; then
  scripts/full-kernel.sh prepare || {
    echo "the full-kernel tier could not be prepared; LINUXNET_SKIP_FULL_KERNEL=1 runs the tests without it" >&2
    exit 1
  }
fi

# Outside the sandbox too: the installed-package test (e2e) installs the packed package into
# fresh programs with npm, offline inside the sandbox; npm's cache is filled here, once.
if case " ${host[*]} " in *" e2e "*) true ;; *) false ;; esac && { [ -z "${LINUXNET_SANDBOX_FROM:-}" ] || [ "$LINUXNET_SANDBOX_FROM" = "$here" ]; }; then
  # shellcheck source=scripts/toolchain.sh
  source scripts/toolchain.sh
  linuxnet_toolchain --tests || exit 1
  scripts/install-packed.sh prepare || {
    echo "npm's cache could not be filled for the installed-package test (it needs the npm registry once per @pulumi/pulumi version)" >&2
    exit 1
  }
fi
# The upgrade test (test/e2e/upgrade.test.ts) deploys with the package as it was before the
# provider's restructuring: built here, outside the sandbox (npm), once, then cached.
if [ -z "${LINUXNET_BEFORE_PACKAGE:-}" ] && { [ -z "${LINUXNET_SANDBOX_FROM:-}" ] || [ "$LINUXNET_SANDBOX_FROM" = "$here" ]; }; then
  wanted=""
  case " ${host[*]} " in *" e2e "*) wanted=yes ;; esac
  if [ -n "$wanted" ] && [ ${#args[@]} -gt 0 ]; then
    wanted=""
    for a in "${args[@]}"; do
      [ "${a#-}" = "$a" ] && echo "dist/test/e2e/upgrade.test.js" | grep -Eq -- "$a" 2>/dev/null && wanted=yes
    done
  fi
  if [ -n "$wanted" ]; then
    LINUXNET_BEFORE_PACKAGE=$(scripts/prepare-old-version.sh) || {
      echo "the package before the restructuring could not be built (scripts/prepare-old-version.sh); the upgrade test needs it" >&2
      exit 1
    }
    export LINUXNET_BEFORE_PACKAGE
  fi
fi

# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
LINUXNET_TOOLCHAIN_FOR=tests linuxnet_sandbox "${BASH_SOURCE[0]}" "${all[@]}"

export NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning"
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
# With arguments (a path pattern, say), a run none of whose test files match is left out.
host_skip=""
[ ${#host[@]} -gt 0 ] || host_skip="not selected"
if [ ${#args[@]} -gt 0 ]; then
  nomatch="none of its test files match the arguments (${args[*]})"
  [ -n "$host_skip" ] || npx jest --selectProjects "${host[@]}" --listTests "${args[@]}" 2>/dev/null | grep '/dist/test/' >/dev/null ||
    host_skip=$nomatch
  [ -n "$skip" ] || npx jest --selectProjects fullkernel --listTests "${args[@]}" 2>/dev/null | grep '/dist/test/fullkernel/' >/dev/null ||
    skip=$nomatch
  if [ "$host_skip" = "$nomatch" ] && [ "$skip" = "$nomatch" ]; then
    echo "no test file matches the arguments (${args[*]})" >&2
    exit 1
  fi
fi

status=0 counted=()
if [ -z "$host_skip" ]; then
  # The unit tier touches no kernel object and is CPU-bound (type-checking docs, building the
  # API reference): it runs on every core. The kernel and e2e tiers run one file at a time:
  # their tests count what the sandbox holds, and time what the kernel does.
  serial=() unit=""
  for p in "${host[@]}"; do if [ "$p" = unit ]; then unit=yes; else serial+=("$p"); fi; done
  if [ -n "$unit" ] && { [ ${#args[@]} -eq 0 ] || npx jest --selectProjects unit --listTests "${args[@]}" 2>/dev/null | grep -q '/dist/test/'; }; then
    npx jest --ci --maxWorkers="$(nproc)" --selectProjects unit --json --outputFile="$reports/unit.json" "${args[@]}" || status=$?
    counted+=("$reports/unit.json")
  fi
  if [ ${#serial[@]} -gt 0 ] && { [ ${#args[@]} -eq 0 ] || npx jest --selectProjects "${serial[@]}" --listTests "${args[@]}" 2>/dev/null | grep -q '/dist/test/'; }; then
    npx jest --ci --runInBand --selectProjects "${serial[@]}" --json --outputFile="$reports/host.json" "${args[@]}" || status=$?
    counted+=("$reports/host.json")
  fi
fi
if [ -z "$skip" ]; then
  scripts/full-kernel.sh jest "$reports/fullkernel.json" "${args[@]}" || status=$?
  [ -f "$reports/fullkernel.json" ] || echo '{"missing": "the full-kernel tier wrote no report"}' >"$reports/fullkernel.json"
  counted+=("$reports/fullkernel.json")
fi

[ -z "$host_skip" ] || echo "unit/kernel/e2e run skipped: $host_skip"
[ -z "$skip" ] || echo "full-kernel tier skipped: $skip"
# The plain closing line CI reads, from jest's own counts over both runs. A run that wrote no
# report, or a test file that could not run, counts as a failure.
node -e '
  let passed = 0, failed = 0, skipped = 0;
  for (const file of process.argv.slice(1)) {
    let r;
    try { r = JSON.parse(require("fs").readFileSync(file, "utf8")); } catch { r = {}; }
    if (r.numTotalTests === undefined) {
      console.log(`${r.missing ?? "a jest run wrote no report"}: counted as 1 failed`);
      failed += 1;
      continue;
    }
    passed += r.numPassedTests;
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
    skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "${counted[@]}"
exit "$status"
