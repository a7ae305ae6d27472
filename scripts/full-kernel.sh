#!/usr/bin/env bash
# The full-kernel test tier's harness. This machine's kernel may lack what the provider
# drives (802.1Q VLANs here), so the tier boots Debian's full kernel under QEMU (software
# emulation: TCG) and runs a command in it, on this machine's own userspace: `/` is shared
# read-only over 9p with a tmpfs overlay on top (writes vanish with the VM), the kernel's
# modules are shared at /lib/modules/$(uname -r), and a job folder carries the results back.
# The VM has no network device (its only link is lo), except as an SSH host (`sshd` below).
#
#   scripts/full-kernel.sh prepare                  install what is missing (apt), fetch and
#                                                   extract the kernel, build the initramfs;
#                                                   needs the network once, cached afterwards
#   scripts/full-kernel.sh run CMD [ARG...]         boot, run CMD in $LINUXNET_ROOT, power off;
#                                                   no network needed. Prints CMD's output,
#                                                   exits with its status (125: the VM did not
#                                                   finish, e.g. timed out; console tail printed)
#   scripts/full-kernel.sh jest REPORT [ARG...]     run the jest project `fullkernel` inside;
#                                                   jest's --json report is copied to REPORT
#   scripts/full-kernel.sh sshd DIR PORT            boot with one NIC (QEMU user networking)
#                                                   and serve root over SSH on 127.0.0.1:PORT
#                                                   (DIR/authorized_keys) until DIR/stop exists:
#                                                   the VM as an SSH host. DIR is the job
#                                                   folder: DIR/ready appears when sshd listens,
#                                                   with the host key made at boot in
#                                                   DIR/host_key.pub; console and log in DIR
#
# Environment: LINUXNET_FULL_KERNEL_TIMEOUT (seconds, default 900) ends a hung VM;
# LINUXNET_FULL_KERNEL_MEM (MiB, default 2048); LINUXNET_CACHE (see scripts/toolchain.sh).
set -euo pipefail
# shellcheck source=scripts/toolchain.sh
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"

FK_DIR=$LINUXNET_CACHE/full-kernel
# Debian packages the tier needs (package:command it provides, for the message).
FK_PACKAGES="qemu-system-x86 busybox-static kmod cpio"
# What the initramfs loads (with their dependencies) to mount the shared root.
FK_MODULES="virtio_pci 9p 9pnet_virtio overlay"
# Only true in the VM: the fullkernel jest project refuses to run without it.
FK_FLAG=linuxnet.fullkernel=1

_fk_step() { printf '[full-kernel] %s\n' "$*" >&2; }
_fk_fail() { printf '[full-kernel] error: %s\n' "$*" >&2; return 1; }

_fk_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

_fk_apt() { # one apt-get update and install for whatever is missing
  local missing=() p
  for p in $FK_PACKAGES; do _fk_installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} = 0 ] && return 0
  _fk_step "installing Debian packages ${missing[*]}"
  local log; log=$(mktemp)
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1 ||
    { cat "$log" >&2; rm -f "$log"; _fk_fail "could not install ${missing[*]}"; return 1; }
  rm -f "$log"
}

# Debian's kernel image package, downloaded and extracted (not installed). The generic
# flavour: the cloud one has no 9p. Its modules get their own depmod index.
_fk_kernel() {
  [ -f "$FK_DIR/kernel/release" ] && return 0
  local pkg tmp deb kv mods try
  mkdir -p "$FK_DIR"
  tmp=$(mktemp -d "$FK_DIR/kernel.XXXXXX")
  # Twice: the second time after apt-get update, for missing or stale package lists.
  for try in 1 2; do
    [ "$try" = 1 ] || apt-get update -qq >/dev/null 2>&1 || true
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
    [ -n "$pkg" ] || continue
    _fk_step "fetching the kernel package $pkg (once, cached in $FK_DIR)"
    # apt-get download warns when _apt cannot write the folder; its output is kept for errors.
    (cd "$tmp" && apt-get download "$pkg" >download.log 2>&1) && break
    pkg=
  done
  [ -n "$pkg" ] || { cat "$tmp/download.log" >&2 2>/dev/null; rm -rf "$tmp"; _fk_fail "could not download Debian's linux-image-amd64 kernel"; return 1; }
  deb=$(ls "$tmp"/*.deb)
  mkdir "$tmp/root" && dpkg-deb -x "$deb" "$tmp/root" && rm -f "$deb" "$tmp/download.log" || { rm -rf "$tmp"; _fk_fail "could not extract $pkg"; return 1; }
  mods=$(ls -d "$tmp"/root/lib/modules/* "$tmp"/root/usr/lib/modules/* 2>/dev/null | head -1)
  kv=$(basename "$mods")
  [ -n "$kv" ] && [ -f "$tmp/root/boot/vmlinuz-$kv" ] || { rm -rf "$tmp"; _fk_fail "$pkg holds no kernel and modules"; return 1; }
  # A plain layout the rest relies on: vmlinuz, and modules/lib/modules/<release> with its
  # own depmod index (what modprobe -d and the VM's /lib/modules expect).
  mkdir -p "$tmp/modules/lib/modules" && mv "$mods" "$tmp/modules/lib/modules/" &&
    mv "$tmp/root/boot/vmlinuz-$kv" "$tmp/vmlinuz" && rm -rf "$tmp/root" &&
    depmod -b "$tmp/modules" "$kv" || { rm -rf "$tmp"; _fk_fail "could not lay out and index the modules"; return 1; }
  echo "$kv" >"$tmp/release" && chmod 0755 "$tmp"
  rm -rf "$FK_DIR/kernel" && mv "$tmp" "$FK_DIR/kernel"
}

# The first stage, in the initramfs (busybox): mount the shared root read-only under a
# tmpfs overlay, the modules and the job folder, then hand over to the job's stage2.sh.
_fk_init() {
  cat <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "linuxnet init: $*"; echo o >/proc/sysrq-trigger; sleep 10; }
mount -t proc proc /proc && mount -t sysfs sys /sys && mount -t devtmpfs dev /dev || fail "no proc/sys/dev"
for m in $(cat /mods/order); do insmod "/mods/$m" || fail "insmod $m failed"; done
o=trans=virtio,version=9p2000.L,msize=512000
mkdir -p /lower /upper /newroot
# cache=loose: the host's files do not change under the VM, and large binaries (node) load
# much faster. The job folder is written by both sides, so it is not cached.
mount -t 9p -o $o,cache=loose,ro hostroot /lower || fail "cannot mount the host root over 9p"
mount -t tmpfs -o mode=0755 upper /upper && mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot || fail "overlay failed"
kv=$(uname -r)
if [ -L /newroot/lib ]; then mods=/newroot/usr/lib/modules/$kv; else mods=/newroot/lib/modules/$kv; fi
mkdir -p "$mods" /newroot/linuxnet-job
mount -t 9p -o $o,cache=loose,ro kmods "$mods" || fail "cannot mount the modules"
mount -t 9p -o $o job /newroot/linuxnet-job || fail "cannot mount the job folder"
for d in proc sys dev; do mount --move /$d /newroot/$d; done
# /run starts empty, as on any boot (no stale /run/netns); /tmp stays the host's, under the
# overlay, since the checkout or the cache may live there.
mount -t tmpfs -o mode=0755 run /newroot/run
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts devpts /newroot/dev/pts; mount -t tmpfs -o mode=1777 shm /newroot/dev/shm
exec switch_root /newroot /bin/sh /linuxnet-job/stage2.sh
INIT
}

# busybox + the modules FK_MODULES need, in modprobe's dependency order, + the init above.
_fk_initrd() {
  local kv stamp ir line m
  kv=$(cat "$FK_DIR/kernel/release")
  stamp=$( { _fk_init; declare -f _fk_initrd; echo "$kv $FK_MODULES"; sha256sum /bin/busybox; } | sha256sum | cut -c1-16)
  [ -f "$FK_DIR/initrd-$stamp.gz" ] && { FK_INITRD=$FK_DIR/initrd-$stamp.gz; return 0; }
  _fk_installed busybox-static && _fk_installed cpio && _fk_installed kmod ||
    _fk_fail "busybox-static, cpio or kmod is missing: run scripts/full-kernel.sh prepare" || return 1
  ir=$(mktemp -d)
  mkdir -p "$ir"/{bin,mods,newroot,proc,sys,dev}
  cp /bin/busybox "$ir/bin/"
  # shellcheck disable=SC2086
  modprobe -d "$FK_DIR/kernel/modules" -S "$kv" -a --show-depends $FK_MODULES | while read -r line; do
    set -- $line
    [ "$1" = insmod ] || continue # "builtin X": nothing to load
    m=$(basename "$2")
    grep -qx "$m" "$ir/mods/order" 2>/dev/null && continue
    case "$m" in
      *.ko) cp "$2" "$ir/mods/" ;;
      *.ko.xz) xz -dc "$2" >"$ir/mods/${m%.xz}"; m=${m%.xz} ;;
      *.ko.zst) zstd -qdc "$2" >"$ir/mods/${m%.zst}"; m=${m%.zst} ;;
      *) echo "unknown module format: $2" >&2; exit 1 ;;
    esac
    echo "$m" >>"$ir/mods/order"
  done || { rm -rf "$ir"; _fk_fail "could not collect the initramfs modules"; return 1; }
  _fk_init >"$ir/init" && chmod +x "$ir/init"
  rm -f "$FK_DIR"/initrd-*.gz
  (cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1 >"$FK_DIR/initrd-$stamp.gz.tmp") &&
    mv "$FK_DIR/initrd-$stamp.gz.tmp" "$FK_DIR/initrd-$stamp.gz"
  rm -rf "$ir"
  FK_INITRD=$FK_DIR/initrd-$stamp.gz
}

fk_prepare() {
  local t0; t0=$(_tc_now)
  mkdir -p "$FK_DIR"
  _fk_apt && _fk_kernel && _fk_initrd || return 1
  _fk_step "ready in $(_tc_since "$t0"): kernel $(cat "$FK_DIR/kernel/release"), $(qemu-system-x86_64 --version | head -1)"
}

# Boots the VM on the job folder $1 (which holds cmd.sh) and waits for it. Returns cmd.sh's
# status, or 125 when the VM did not finish (then the console's tail is on stderr).
_fk_boot() {
  local job=$1 timeout=${LINUXNET_FULL_KERNEL_TIMEOUT:-900} kv t0 cpus
  command -v qemu-system-x86_64 >/dev/null && [ -f "$FK_DIR/kernel/release" ] ||
    _fk_fail "the full kernel is not prepared: run scripts/full-kernel.sh prepare (needs the network once)" || return 125
  _fk_initrd || return 125
  local p
  for p in "$LINUXNET_ROOT" "$LINUXNET_CACHE"; do
    case $p/ in /run/* | /proc/* | /sys/* | /dev/*) _fk_fail "$p is not visible in the VM (its /run, /proc, /sys, /dev are its own)"; return 125 ;; esac
  done
  kv=$(cat "$FK_DIR/kernel/release")
  cpus=$(nproc); [ "$cpus" -le 4 ] || cpus=4
  # Stage 2 runs as PID 1 on the shared root: plain environment, explicit PATH (the
  # toolchain's node first), the command's output to the job folder, then power off.
  cat >"$job/stage2.sh" <<STAGE2
export PATH=$(printf %q "$LINUXNET_CACHE/node-$NODE_VERSION/bin"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb LINUXNET_ROOT=$(printf %q "$LINUXNET_ROOT") LINUXNET_CACHE=$(printf %q "$LINUXNET_CACHE")
hostname linuxnet-vm
ip link set lo up
echo started >/linuxnet-job/started
{ cd "\$LINUXNET_ROOT" && bash /linuxnet-job/cmd.sh; } >/linuxnet-job/out.txt 2>&1 </dev/null
echo \$? >/linuxnet-job/rc
sync
echo o >/proc/sysrq-trigger
sleep 10
STAGE2
  : >"$job/out.txt"
  _fk_step "booting Debian's kernel $kv under QEMU (TCG, $cpus CPUs, at most $timeout s)"
  t0=$(_tc_now)
  local status=0 qemu tail
  timeout --kill-after=10 "$timeout" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "$cpus" \
    -m "${LINUXNET_FULL_KERNEL_MEM:-2048}" -nographic -no-reboot -nic "$FK_NIC" \
    -kernel "$FK_DIR/kernel/vmlinuz" -initrd "$FK_INITRD" \
    -append "console=ttyS0 panic=-1 quiet loglevel=3 $FK_FLAG ${LINUXNET_FULL_KERNEL_APPEND:-}" \
    -virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,multidevs=remap,readonly=on" \
    -virtfs "local,path=$FK_DIR/kernel/modules/lib/modules/$kv,mount_tag=kmods,security_model=passthrough,multidevs=remap,readonly=on" \
    -virtfs "local,path=$job,mount_tag=job,security_model=passthrough,multidevs=remap" \
    </dev/null >"$job/console.log" 2>&1 &
  qemu=$! FK_VM=$!
  # The command's output, live, as the VM writes it.
  tail -n +1 -s 0.5 -f --pid="$qemu" "$job/out.txt" &
  tail=$!
  wait "$qemu" || status=$?
  FK_VM=
  wait "$tail" || true
  local took boot=""
  took=$(_tc_since "$t0")
  [ -f "$job/started" ] && boot=$(awk -v a="$t0" -v b="$(stat -c %.9Y "$job/started")" 'BEGIN { printf ", booted to the command in %.1f s", b - a }')
  if [ ! -f "$job/rc" ]; then
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
      _fk_step "the VM did not finish within $timeout s (LINUXNET_FULL_KERNEL_TIMEOUT) and was stopped$boot"
    else
      _fk_step "the VM stopped before the command finished (qemu status $status)$boot"
    fi
    _fk_step "last lines of its console:"
    tail -n 30 "$job/console.log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g; s/\r//g; s/^/    /' >&2
    return 125
  fi
  _fk_step "VM done in $took$boot"
  return "$(cat "$job/rc")"
}

# Writes cmd.sh for argv "$@" into job folder $1.
_fk_cmd() {
  local job=$1; shift
  { printf 'exec'; printf ' %q' "$@"; printf '\n'; } >"$job/cmd.sh"
}

# The job folder of this invocation, removed on exit; a VM still running then (Ctrl-C) is
# stopped through its `timeout` process, which passes the signal on to QEMU.
FK_JOB= FK_VM= FK_NIC=none
trap '[ -z "$FK_VM" ] || kill "$FK_VM" 2>/dev/null; [ -z "$FK_JOB" ] || rm -rf "$FK_JOB"' EXIT
_fk_job() { FK_JOB=$(mktemp -d "${TMPDIR:-/tmp}/linuxnet-vm.XXXXXX"); }

fk_run() {
  [ $# -gt 0 ] || { echo "usage: scripts/full-kernel.sh run CMD [ARG...]" >&2; return 2; }
  _fk_job
  _fk_cmd "$FK_JOB" "$@"
  _fk_boot "$FK_JOB"
}

fk_jest() {
  [ $# -gt 0 ] || { echo "usage: scripts/full-kernel.sh jest REPORT [JEST ARG...]" >&2; return 2; }
  local report=$1 status=0
  shift
  rm -f "$report"
  _fk_job
  _fk_cmd "$FK_JOB" env NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning" \
    node_modules/.bin/jest --ci --runInBand --selectProjects fullkernel --json --outputFile=/linuxnet-job/report.json "$@"
  _fk_boot "$FK_JOB" || status=$?
  [ ! -f "$FK_JOB/report.json" ] || cp "$FK_JOB/report.json" "$report"
  return "$status"
}

# The VM as an SSH host: QEMU user networking (guest 10.0.2.15, port PORT of this machine's
# 127.0.0.1 forwarded to its port 22), sshd from the shared userspace with a host key made at
# boot (its public half to DIR/host_key.pub, then DIR/ready), serving until DIR/stop exists.
fk_sshd() {
  [ $# = 2 ] && [ -d "$1" ] && [ -f "$1/authorized_keys" ] && [[ $2 =~ ^[0-9]+$ ]] ||
    { echo "usage: scripts/full-kernel.sh sshd DIR PORT (DIR holding authorized_keys)" >&2; return 2; }
  local dir=$1 port=$2
  rm -f "$dir/ready" "$dir/stop" "$dir/rc" "$dir/started"
  FK_NIC="user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:22"
  cat >"$dir/cmd.sh" <<'SSHD'
set -eu
modprobe virtio_net
for _ in $(seq 100); do dev=$(ls /sys/class/net | grep -vx lo | head -1); [ -n "$dev" ] && break; sleep 0.1; done
[ -n "$dev" ] || { echo "no network device appeared"; exit 1; }
ip addr add 10.0.2.15/24 dev "$dev" && ip link set dev "$dev" up && ip route add default via 10.0.2.2
mkdir -p /run/sshd && ssh-keygen -q -t ed25519 -N "" -f /run/sshd/host_key
cat >/run/sshd/config <<CONFIG
Port 22
HostKey /run/sshd/host_key
AuthorizedKeysFile /linuxnet-job/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile /run/sshd/pid
MaxSessions 10
MaxStartups 100:30:200
LogLevel ERROR
CONFIG
/usr/sbin/sshd -f /run/sshd/config -E /linuxnet-job/sshd.log
cp /run/sshd/host_key.pub /linuxnet-job/host_key.pub
echo "sshd listening on $dev 10.0.2.15:22"
touch /linuxnet-job/ready
while [ ! -e /linuxnet-job/stop ]; do sleep 0.5; done
kill "$(cat /run/sshd/pid)" 2>/dev/null || true
SSHD
  _fk_boot "$dir"
}

case "${1:-}" in
  prepare) fk_prepare ;;
  sshd) shift; fk_sshd "$@" ;;
  run) shift; fk_run "$@" ;;
  jest) shift; fk_jest "$@" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
