#!/bin/sh
# The demo: what the Rust cgroup v1 series does so far, shown step by step.
say() { echo "cgv1-demo: $*"; }
run() {
	echo "\$ $*"
	sh -c "$*" 2>&1 | sed 's/^/  /'
}

say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, $(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l) NUMA nodes"
say "the C cgroup core is configured out; ours is in:"
run "zcat /proc/config.gz | grep -E '^(# )?CONFIG_(CGROUPS|RUST_CGROUP[A-Z_]*)[ =]'"
say "controllers known to the kernel (/proc/cgroups):"
run "cat /proc/cgroups"
say "filesystem types:"
run "grep cgroup /proc/filesystems || echo '(no cgroup filesystem type registered yet)'"
say "mounting a hierarchy:"
mkdir -p /cgroup/debug
run "mount -t cgroup -o debug none /cgroup/debug && ls -l /cgroup/debug"
run "cat /proc/self/cgroup"
