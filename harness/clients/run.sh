#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh BZIMAGE ROOTFS_CPIO LOG [EXTRA KERNEL OPTIONS...]: boots the client rig (issue 21)
# under QEMU/TCG as harness/cgv1 boots its guests (4 CPUs on 2 NUMA nodes, serial console)
# with the Debian 12 root filesystem of mkrootfs.sh as the initramfs, systemd in cgroup-v1
# legacy mode. The console goes to LOG; the case lines are printed as they come. Exits 0
# when the guest printed cgv1-clients-done (whatever the cases said), 1 otherwise.
# CGV1_CLIENTS_TIMEOUT (seconds, default 1200) bounds the whole boot; CGV1_CLIENTS_MEM the
# guest's memory in MiB (default 3072, half on each node).
set -uo pipefail

[ $# -ge 3 ] || { echo "usage: $0 BZIMAGE ROOTFS_CPIO LOG [kernel options...]" >&2; exit 2; }
KERNEL=$1 INITRD=$2 LOG=$3
shift 3
TIMEOUT=${CGV1_CLIENTS_TIMEOUT:-1200}
MEM=${CGV1_CLIENTS_MEM:-3072}
APPEND="console=ttyS0 systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=1 panic=-1 loglevel=5 $*"

mkdir -p "$(dirname "$LOG")"
echo "run.sh: booting $KERNEL with $INITRD, console: $LOG"
echo "run.sh: append: $APPEND"
start=$(date +%s)
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -m "${MEM}M" -smp 4 \
	-object memory-backend-ram,id=m0,size=$((MEM / 2))M \
	-object memory-backend-ram,id=m1,size=$((MEM / 2))M \
	-numa node,nodeid=0,cpus=0-1,memdev=m0 \
	-numa node,nodeid=1,cpus=2-3,memdev=m1 \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
	-display none -monitor none -serial stdio -no-reboot < /dev/null 2>&1 |
	tee "$LOG" | tr -d '\r' | grep --line-buffered -aE 'cgv1-(case|clients|info: systemd-analyze)'
rc=${PIPESTATUS[0]}
secs=$(( $(date +%s) - start ))
[ "$rc" -eq 124 ] && echo "run.sh: TIMED OUT after ${secs}s" || echo "run.sh: guest finished in ${secs}s (qemu rc=$rc)"
if tr -d '\r' < "$LOG" | grep -aq '^cgv1-clients-done'; then
	ok=$(tr -d '\r' < "$LOG" | grep -ac '^cgv1-case: .* ok$')
	bad=$(tr -d '\r' < "$LOG" | grep -ac '^cgv1-case: .* FAIL')
	echo "run.sh: $ok ok, $bad FAIL"
	exit 0
fi
echo "run.sh: no cgv1-clients-done in $LOG"
exit 1
