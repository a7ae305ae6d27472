#!/usr/bin/env bash
# Writes the pull-request comment for a stack to stdout: what `pulumi preview` plans, as a
# table (`pulumi-linuxnet preview-summary`), and the network after the change, as a Mermaid
# diagram coloured by what changes (`pulumi-linuxnet diagram --preview`). The CI workflow
# (network-review.yml) posts exactly this; run it by hand to see the same comment locally.
#
#   examples/ci/comment.sh [--stack NAME] [--state FILE] [PROGRAM_DIR]
#
# PROGRAM_DIR (default: this folder) is the Pulumi program; its Pulumi.NAME.yaml, if any, is
# the stack's config. --state is a `pulumi stack export` of the deployed stack, taken
# beforehand wherever its backend is; without it the preview is of a new stack (everything is
# created). The stack name defaults to the one in that state, else "ci".
#
# The preview runs inside a throwaway network namespace and mount namespace (`unshare`, as
# root: sudo is used when needed) with a private /run/netns and a private file backend, so
# whatever the program or provider does, the machine's own network is never touched.
# Exit status: 0, or 1 when the preview failed (the comment then says why).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
marker="<!-- pulumi-linuxnet:network-review -->"

stack="" state="" program=$here
while [ $# -gt 0 ]; do
  case $1 in
    --stack) stack=$2; shift 2 ;;
    --state) state=$(realpath "$2"); shift 2 ;;
    -h | --help) sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "comment.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) program=$(realpath "$1"); shift ;;
  esac
done
[ -f "$program/Pulumi.yaml" ] || { echo "comment.sh: $program has no Pulumi.yaml" >&2; exit 2; }
if [ -z "$stack" ] && [ -n "$state" ]; then
  stack=$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).deployment?.resources ?? [];
    const s = r.find((x) => x.type === "pulumi:pulumi:Stack"); if (s) console.log(s.urn.split("::")[0].replace(/^urn:pulumi:/, ""));' "$state")
fi
stack=${stack:-ci}

# Outside the sandbox: the toolchain (unless already on PATH), then re-run as root in it.
if [ -z "${LINUXNET_CI_SANDBOX:-}" ]; then
  if ! command -v pulumi >/dev/null || ! command -v node >/dev/null; then
    # shellcheck source=scripts/toolchain.sh
    source "$root/scripts/toolchain.sh" && linuxnet_toolchain >&2
  fi
  sudo=()
  [ "$(id -u)" = 0 ] || sudo=(sudo --preserve-env env "PATH=$PATH" "HOME=$HOME")
  exec "${sudo[@]}" unshare --net --mount --propagation private -- \
    env LINUXNET_CI_SANDBOX=1 bash "${BASH_SOURCE[0]}" --stack "$stack" ${state:+--state "$state"} "$program"
fi

# Inside: a private /run/netns, and a private backend that holds only this stack.
mkdir -p /run/netns && mount -t tmpfs -o mode=0755 linuxnet-ci /run/netns
ip link set lo up
work=$(mktemp -d)
# Everything temporary goes in $work, which goes at exit (ts-node's cache of the compiled program too).
mkdir "$work/tmp" && export TMPDIR="$work/tmp"
made_config=""
[ -f "$program/Pulumi.$stack.yaml" ] || made_config="$program/Pulumi.$stack.yaml"
cleanup() { rm -rf "$work"; [ -z "$made_config" ] || rm -f "$made_config"; }
trap cleanup EXIT
export PULUMI_BACKEND_URL="file://$work/backend?metadata=skip" PULUMI_HOME=${PULUMI_HOME:-$work/home} PULUMI_STACK=$stack
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-} PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
mkdir -p "$work/backend"
cd "$program"
pulumi stack init "$stack" --non-interactive >/dev/null 2>"$work/init.err" || { cat "$work/init.err" >&2; exit 1; }
[ -z "$state" ] || pulumi stack import --file "$state" --non-interactive >/dev/null
pulumi preview --json --show-sames --non-interactive >"$work/preview.json" 2>"$work/preview.err" || true

# The command as the program sees it: the installed package, or this checkout (self-linked).
cli=$(node -e 'console.log(require.resolve("pulumi-linuxnet/bin/pulumi-linuxnet.js"))' 2>/dev/null || echo "$root/bin/pulumi-linuxnet.js")
limit=65536 status=0
if node "$cli" diagram --preview --format mermaid <"$work/preview.json" >"$work/diagram.mmd" 2>/dev/null; then
  diagram=$'<details open><summary>The network after this change</summary>\n\n```mermaid\n'"$(cat "$work/diagram.mmd")"$'\n```\n\n</details>'
else
  diagram=""
fi
# The diagram gives way to the table when both do not fit in one comment.
[ "${#diagram}" -le 30000 ] || diagram="(The diagram is left out: at ${#diagram} characters it would not fit in the comment.)"
footer="<sub>made by examples/ci/comment.sh: \`pulumi preview --json\` → \`pulumi-linuxnet preview-summary\`, \`diagram --preview\`</sub>"
budget=$((limit - ${#marker} - ${#diagram} - ${#footer} - 8))
if ! node "$cli" preview-summary --title "Network changes in stack $stack" --max-length "$budget" <"$work/preview.json" >"$work/summary.md" 2>"$work/summary.err"; then
  status=1
  {
    echo "### ❌ Network changes in stack $stack: the preview failed"
    echo
    echo '```'
    head -c 20000 "$work/summary.err"
    grep -E '^\s*(error|pulumi-linuxnet)' "$work/preview.err" | head -c 20000 || true
    echo '```'
  } >"$work/summary.md"
fi
printf '%s\n%s\n\n%s\n\n%s\n' "$marker" "$(cat "$work/summary.md")" "$diagram" "$footer"
exit "$status"
