#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# mkrootfs.sh OUT_DIR: the client rig's root filesystem (issue 21), an unmodified Debian 12
# userland with systemd as PID 1, packed as OUT_DIR/rootfs.cpio.zst for QEMU's -initrd.
#
# Two caches: OUT_DIR/base is mmdebstrap's tree, rebuilt only when the package list or
# the mmdebstrap command changes (base.stamp); OUT_DIR/rootfs.cpio.zst is rebuilt from a
# copy of it when this script, init or cases.sh changes (rootfs.stamp). Runs as root.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$(realpath -m "$1")
mkdir -p "$OUT"

SUITE=bookworm
PACKAGES="systemd systemd-sysv dbus crun lxc cgroup-tools busybox-static procps util-linux jq strace"
MIRROR_LINES=(
	"deb http://deb.debian.org/debian $SUITE main"
	"deb http://deb.debian.org/debian $SUITE-updates main"
	"deb http://deb.debian.org/debian-security $SUITE-security main"
)
# Documentation, manuals and translations are left out of the image.
MMDEBSTRAP=(mmdebstrap --mode=root --variant=minbase --format=directory
	--include="${PACKAGES// /,}"
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-exclude=/usr/share/info/*'
	--dpkgopt='path-exclude=/usr/share/locale/*'
	--dpkgopt='path-exclude=/usr/share/lintian/*'
	--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*'
	"$SUITE")

IMAGE=$OUT/rootfs.cpio.zst
# getdelays (taskstats, cgroupstats) is built from the kernel tree of harness/cgv1, with
# that tree's uapi headers for taskstats: the host's may be older.
KSRC=${KSRC:-${CGV1_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cgroup-v1-rust}/src/linux-source-6.12}
GETDELAYS_SRC=(tools/accounting/getdelays.c include/uapi/linux/taskstats.h include/uapi/linux/cgroupstats.h)
t0=$(date +%s)

command -v mmdebstrap >/dev/null || {
	apt-get update -q && apt-get install -y -q mmdebstrap
}
command -v zstd >/dev/null || apt-get install -y -q zstd
command -v cpio >/dev/null || apt-get install -y -q cpio

base_key=$(printf '%s\n' "${MMDEBSTRAP[@]}" "${MIRROR_LINES[@]}" | sha256sum | cut -d' ' -f1)
image_key=$( { echo "$base_key"; cat "$HERE/mkrootfs.sh" "$HERE/init" "$HERE/cases.sh";
	for f in "${GETDELAYS_SRC[@]}"; do cat "$KSRC/$f" 2>/dev/null; done; } |
	sha256sum | cut -d' ' -f1)

if [ -f "$IMAGE" ] && [ "$(cat "$OUT/rootfs.stamp" 2>/dev/null)" = "$image_key" ]; then
	echo "mkrootfs: $IMAGE is up to date ($(du -h "$IMAGE" | cut -f1))"
	exit 0
fi

if [ ! -d "$OUT/base" ] || [ "$(cat "$OUT/base.stamp" 2>/dev/null)" != "$base_key" ]; then
	rm -rf "$OUT/base" "$OUT/base.stamp"
	echo "mkrootfs: mmdebstrap $SUITE: $PACKAGES"
	printf '%s\n' "${MIRROR_LINES[@]}" |
		"${MMDEBSTRAP[@]}" "$OUT/base" - > "$OUT/mmdebstrap.log" 2>&1 || {
		tail -30 "$OUT/mmdebstrap.log" >&2
		exit 1
	}
	echo "$base_key" > "$OUT/base.stamp"
	echo "mkrootfs: base tree made in $(( $(date +%s) - t0 ))s ($(du -sh "$OUT/base" | cut -f1))"
fi

T=$OUT/tree
rm -rf "$T"
cp -a "$OUT/base" "$T"

# --------------------------------------------------------------------------- boot
# /init (PID 1 from the initramfs) makes / a bind mount and chroots into systemd.
install -m 755 "$HERE/init" "$T/init"
install -m 755 "$HERE/cases.sh" "$T/usr/local/sbin/cgv1-cases"

if [ -f "$KSRC/${GETDELAYS_SRC[0]}" ]; then
	inc=$(mktemp -d)
	mkdir "$inc/linux"
	cp "$KSRC/include/uapi/linux/taskstats.h" "$KSRC/include/uapi/linux/cgroupstats.h" "$inc/linux/"
	gcc -static -O2 -w -I"$inc" -o "$T/usr/local/sbin/getdelays" "$KSRC/${GETDELAYS_SRC[0]}"
	rm -rf "$inc"
else
	echo "mkrootfs: warning: no $KSRC/${GETDELAYS_SRC[0]}: the image has no getdelays" >&2
fi

echo cgv1-guest > "$T/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tcgv1-guest\n' > "$T/etc/hosts"
# A machine id: no first boot (systemd-firstboot would prompt on the console).
echo 4c6f1e0d2a9b4f3c8e7d6a5b4c3d2e1f > "$T/etc/machine-id"
: > "$T/etc/fstab"
chroot "$T" passwd -d root >/dev/null
ln -sf /lib/systemd/system/multi-user.target "$T/etc/systemd/system/default.target"

# Units that cannot work in this guest (no disk, no network, no terminal to log in on):
# masked, so that a failed unit left in `systemctl --failed` is one that the cgroup
# implementation made fail.
for u in getty@.service serial-getty@.service console-getty.service \
	e2scrub_reap.service e2scrub_all.service e2scrub_all.timer e2scrub@.service \
	e2scrub_fail@.service fstrim.timer fstrim.service \
	apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
	dpkg-db-backup.timer dpkg-db-backup.service \
	lxc-net.service lxc.service lxc-monitord.service \
	systemd-networkd-wait-online.service systemd-firstboot.service \
	systemd-timesyncd.service; do
	ln -sf /dev/null "$T/etc/systemd/system/$u"
done

# The cases, then power off. Type=simple, so that the boot transaction ends when the cases
# start and `systemctl is-system-running` can answer running/degraded from inside them.
# The output goes straight to the console, unbuffered by journald.
cat > "$T/etc/systemd/system/cgv1-clients.service" <<'EOF'
[Unit]
Description=cgroup v1 client cases (cgv1 issue 21)
After=multi-user.target

[Service]
Type=simple
ExecStart=/bin/sh -c '/usr/local/sbin/cgv1-cases; sync; systemctl poweroff --force || poweroff -f'
StandardInput=null
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
TTYReset=no
TTYVHangup=no
TTYVTDisallocate=no

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$T/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/cgv1-clients.service \
	"$T/etc/systemd/system/multi-user.target.wants/cgv1-clients.service"

# --------------------------------------------------------------------------- containers
# A busybox-static tree: the crun bundle's and the LXC containers' root filesystems.
busybox_tree() {
	local r=$1
	mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,var}
	cp "$T/bin/busybox" "$r/bin/busybox"
	local a
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	echo "root:x:0:0:root:/root:/bin/sh" > "$r/etc/passwd"
	echo "root:x:0:" > "$r/etc/group"
	# The containers' init: sleeps until told to stop (LXC halts with SIGPWR).
	cat > "$r/sbin/cgv1-init" <<'EOF'
#!/bin/sh
trap 'exit 0' PWR TERM INT
while :; do sleep 1; done
EOF
	chmod 755 "$r/sbin/cgv1-init"
}

# crun: config.template.json; the cases fill in cgroupsPath and the CPUs and nodes of the
# guest with jq. No network namespace, no seccomp, no devices resources.
B=$T/var/lib/cgv1/bundle
busybox_tree "$B/rootfs"
cat > "$B/config.template.json" <<'EOF'
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "/sbin/cgv1-init" ],
		"env": [ "PATH=/bin:/sbin" ],
		"cwd": "/",
		"noNewPrivileges": true
	},
	"root": { "path": "rootfs", "readonly": false },
	"hostname": "cgv1-crun",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "nodev", "mode=1777" ] }
	],
	"linux": {
		"cgroupsPath": "/cgv1/crun",
		"resources": { "cpu": { "cpus": "0", "mems": "0" } },
		"namespaces": [
			{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }
		]
	}
}
EOF

# LXC: c1 for lxc-start and friends, c2 for lxc-execute; no network (an empty network
# namespace), no console, no AppArmor, no seccomp.
for c in c1 c2; do
	busybox_tree "$T/var/lib/lxc/$c/rootfs"
	cat > "$T/var/lib/lxc/$c/config" <<EOF
lxc.uts.name = $c
lxc.rootfs.path = dir:/var/lib/lxc/$c/rootfs
lxc.net.0.type = empty
lxc.init.cmd = /sbin/cgv1-init
lxc.autodev = 1
lxc.tty.max = 0
lxc.pty.max = 8
lxc.console.path = none
lxc.mount.auto = proc:rw sys:ro
lxc.apparmor.profile = unconfined
EOF
done
mkdir -p "$T/var/log/cgv1" "$T/var/log/lxc"

# --------------------------------------------------------------------------- pack
rm -f "$IMAGE" "$OUT/rootfs.stamp"
(cd "$T" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --quiet | zstd -q -T0 -9 -o "$IMAGE.tmp")
mv "$IMAGE.tmp" "$IMAGE"
echo "$image_key" > "$OUT/rootfs.stamp"
echo "mkrootfs: $IMAGE: $(du -h "$IMAGE" | cut -f1) compressed," \
	"$(du -sh "$T" | cut -f1) unpacked, made in $(( $(date +%s) - t0 ))s"
