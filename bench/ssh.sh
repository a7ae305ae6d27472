#!/usr/bin/env bash
# Benchmark (not a test): what reaching another machine over SSH costs.
#   1. bench/program's topology (N namespaces on a bridge) built by `pulumi up` on one SSH host
#      (a namespace with its own sshd, /run/netns and records, inside the sandbox, as the tests'
#      SSH hosts) against the same on this machine; baselines measured in the same run: the
#      tutorial script here, and the same script run on the SSH host through one ssh.
#   2. Per-command cost in the full-kernel VM over SSH (scripts/full-kernel.sh sshd): one ssh
#      per command (multiplexed over one master) against a command through the provider's
#      long-lived remote shell, and a line of a 200-line `ip -batch` the shell starts; baseline:
#      one `ip` process started inside the VM. Skipped, with a line saying why, when
#      LINUXNET_SKIP_FULL_KERNEL=1.
# Prints medians and ratios. Runs in a private `unshare --net --mount` sandbox.
#   bench/ssh.sh [N]            default 50; LINUXNET_BENCH_REPS (default 3) runs each
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# shellcheck source=scripts/sandbox.sh
source scripts/sandbox.sh
LINUXNET_TOOLCHAIN_FOR=tests linuxnet_sandbox "${BASH_SOURCE[0]}" "$@"

n=${1:-50}
reps=${LINUXNET_BENCH_REPS:-3}
work=$(mktemp -d)
sshd_pid="" vm_pid=""
cleanup() {
  [ -z "$sshd_pid" ] || kill "$sshd_pid" 2>/dev/null || true
  if [ -n "$vm_pid" ]; then
    touch "$work/vm/stop"
    for _ in $(seq 60); do kill -0 "$vm_pid" 2>/dev/null || break; sleep 0.5; done
    kill -- -"$vm_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=bench/lib.sh
source bench/lib.sh

# ── the SSH host: namespace sshbench at 10.78.0.1, its own /run/netns and records ─────────
ssh-keygen -q -t ed25519 -N "" -f "$work/id" && cp "$work/id.pub" "$work/authorized_keys"
ssh-keygen -q -t ed25519 -N "" -f "$work/host_key"
ip netns add sshbench && ip -n sshbench link set lo up
ip link add sshb0 type veth peer name mgmt0 netns sshbench
ip addr add 10.78.0.254/24 dev sshb0 && ip link set sshb0 up
ip -n sshbench addr add 10.78.0.1/24 dev mgmt0 && ip -n sshbench link set mgmt0 up
cat >"$work/sshd_config" <<EOF
ListenAddress 10.78.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
MaxSessions 10
LogLevel ERROR
EOF
ip netns exec sshbench unshare --mount --propagation private -- sh -c \
  'mount -t tmpfs h /run/netns && mkdir -p /run/pulumi-linuxnet /run/sshd && mount -t tmpfs r /run/pulumi-linuxnet && exec /usr/sbin/sshd -D -e -f "$1"' \
  sh "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
echo "10.78.0.1 $(cut -d' ' -f1,2 "$work/host_key.pub")" >"$work/known_hosts"
on_host() { ssh -o BatchMode=yes -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes -i "$work/id" root@10.78.0.1 -- "$@"; }
for _ in $(seq 100); do on_host true 2>/dev/null && break; sleep 0.1; done
on_host true

# Sanity checks that a build really works: the last namespace reaches the bridge.
check_here() { ip netns exec "b$((n - 1))" ping -c 1 -W 2 10.200.0.1 >/dev/null || { echo "bench: b$((n - 1)) cannot reach br0" >&2; exit 1; }; }
check_there() { on_host ip netns exec "b$((n - 1))" ping -c 1 -W 2 10.200.0.1 >/dev/null || { echo "bench: b$((n - 1)) cannot reach br0 on the SSH host" >&2; exit 1; }; }
settle_here() { for _ in $(seq 100); do [ "$(ip -o link show | wc -l)" = 2 ] && [ "$(ls /run/netns)" = sshbench ] && return 0; sleep 0.1; done; echo "bench: leftovers here" >&2; exit 1; }
settle_there() { for _ in $(seq 100); do [ "$(on_host 'ip -o link show | wc -l; ls /run/netns | wc -l' | tr '\n' ' ')" = "2 0 " ] && return 0; sleep 0.2; done; echo "bench: leftovers on the SSH host" >&2; exit 1; }

prog="$work/program"
mkdir -p "$prog" && cp bench/program/Pulumi.yaml bench/program/index.ts "$prog/" && cp examples/tsconfig.json "$prog/tsconfig.json"
bash scripts/install-packed.sh "$prog" >/dev/null
pl() { (cd "$prog" && pulumi "$@" --non-interactive); }
pl stack init here >/dev/null && pl config set n "$n" >/dev/null
pl stack init there >/dev/null && pl config set n "$n" >/dev/null
pl config set host 10.78.0.1 >/dev/null
pl config set hostKey "$(cut -d' ' -f1,2 "$work/host_key.pub")" >/dev/null
pl config set --secret privateKey <"$work/id" >/dev/null

tut=() tut_ssh=() up_here=() up_there=() des_here=() des_there=() pre_there=()
for ((r = 0; r < reps; r++)); do
  tut+=("$(time_of bash bench/tutorial.sh up "$n")"); check_here; time_of bash bench/tutorial.sh down "$n" >/dev/null; settle_here
  tut_ssh+=("$(time_of on_host bash -s up "$n" <bench/tutorial.sh)"); check_there; time_of on_host bash -s down "$n" <bench/tutorial.sh >/dev/null; settle_there
  pl stack select here
  up_here+=("$(time_of pl up --yes --skip-preview)"); check_here
  des_here+=("$(time_of pl destroy --yes --skip-preview)"); settle_here
  pl stack select there
  up_there+=("$(time_of pl up --yes --skip-preview)"); check_there
  pre_there+=("$(time_of pl preview --expect-no-changes)")
  des_there+=("$(time_of pl destroy --yes --skip-preview)"); settle_there
done
mt=$(median "${tut[@]}") mts=$(median "${tut_ssh[@]}") muh=$(median "${up_here[@]}") mut=$(median "${up_there[@]}") mdh=$(median "${des_here[@]}") mdt=$(median "${des_there[@]}")
echo "N=$n, one SSH host in the sandbox vs this machine (medians of $reps runs)"
printf '%-28s %9s %9s %7s\n' "" "here" "over ssh" "ratio"
printf '%-28s %8ss %8ss %6sx\n' "tutorial script" "$mt" "$mts" "$(ratio "$mts" "$mt")"
printf '%-28s %8ss %8ss %6sx\n' "pulumi up" "$muh" "$mut" "$(ratio "$mut" "$muh")"
printf '%-28s %8ss %8ss %6sx\n' "pulumi destroy" "$mdh" "$mdt" "$(ratio "$mdt" "$mdh")"
printf '%-28s %9s %8ss\n' "pulumi preview (no change)" "" "$(median "${pre_there[@]}")"
printf 'up over ssh / tutorial here: %sx\n' "$(ratio "$mut" "$mt")"

# ── per-command cost in the full-kernel VM over SSH ───────────────────────────────────────
if [ "${LINUXNET_SKIP_FULL_KERNEL:-}" = 1 ]; then
  echo "VM per-command costs skipped: LINUXNET_SKIP_FULL_KERNEL=1"
  exit 0
fi
mkdir -p "$work/vm" && cp "$work/authorized_keys" "$work/vm/"
port=$((20000 + RANDOM % 20000))
setsid scripts/full-kernel.sh sshd "$work/vm" "$port" >"$work/vm.log" 2>&1 &
vm_pid=$!
t0=$(now)
for _ in $(seq 720); do [ -e "$work/vm/ready" ] && break; kill -0 "$vm_pid" 2>/dev/null || break; sleep 0.25; done
[ -e "$work/vm/ready" ] || { echo "bench: the VM did not become an SSH host" >&2; tail -20 "$work/vm.log" >&2; exit 1; }
echo "VM: an SSH host $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }') s after start"
vm_key=$(cut -d' ' -f1,2 "$work/vm/host_key.pub")
LINUXNET_BENCH_PORT=$port LINUXNET_BENCH_KEY=$work/id LINUXNET_BENCH_HOSTKEY=$vm_key node - <<'NODE'
const { spawnSync } = require("node:child_process");
const { readFileSync, writeFileSync, mkdtempSync } = require("node:fs");
const { hostFor, closeHosts } = require(process.cwd() + "/dist/provider/hosts/index.js");
const port = Number(process.env.LINUXNET_BENCH_PORT);
const conn = { host: "127.0.0.1", port, user: "root", privateKey: readFileSync(process.env.LINUXNET_BENCH_KEY, "utf8"), hostKey: process.env.LINUXNET_BENCH_HOSTKEY, insecureIgnoreHostKey: false };
const dir = mkdtempSync("/tmp/linuxnet-bench-");
writeFileSync(`${dir}/known`, `[127.0.0.1]:${port} ${conn.hostKey}\n`);
const ssh = (...argv) => spawnSync("ssh", ["-o", "BatchMode=yes", "-o", `UserKnownHostsFile=${dir}/known`, "-o", "StrictHostKeyChecking=yes", "-o", `ControlPath=${dir}/cm`, "-o", "ControlMaster=auto", "-o", "ControlPersist=60", "-i", process.env.LINUXNET_BENCH_KEY, "-p", String(port), "root@127.0.0.1", "--", ...argv], { stdio: "ignore" });
const ms = (t0, k) => ((performance.now() - t0) / k).toFixed(1);
(async () => {
  ssh("true"); // the master
  let t0 = performance.now();
  for (let i = 0; i < 5; i++) ssh("ip", "-br", "link", "show", "dev", "lo");
  const perSsh = ms(t0, 5);
  const vm = hostFor(conn);
  await vm.run(["true"]); // the shell
  t0 = performance.now();
  for (let i = 0; i < 50; i++) await vm.run(["ip", "-br", "link", "show", "dev", "lo"]);
  const perShell = ms(t0, 50);
  t0 = performance.now();
  await vm.ipBatch(Array.from({ length: 200 }, () => ["addr", "show", "dev", "lo"]));
  const perLine = ms(t0, 200);
  t0 = performance.now();
  const inVm = 20;
  await vm.run(["sh", "-c", `for i in $(seq ${inVm}); do ip -br link show dev lo >/dev/null; done`]);
  const perSpawnInVm = ms(t0, inVm);
  closeHosts();
  spawnSync("ssh", ["-o", `ControlPath=${dir}/cm`, "-O", "exit", "x"], { stdio: "ignore" });
  console.log("per command in the VM over SSH (ms):");
  console.log(`  one ssh per command (multiplexed):      ${perSsh}`);
  console.log(`  through the provider's remote shell:    ${perShell}`);
  console.log(`  one line of a 200-line ip -batch there:  ${perLine}`);
  console.log(`  baseline: one ip process inside the VM: ${perSpawnInVm}`);
  console.log(`  ssh per command / shell: ${(perSsh / perShell).toFixed(1)}x; shell / ip process in the VM: ${(perShell / perSpawnInVm).toFixed(2)}x`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
NODE
