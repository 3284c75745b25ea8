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
say "mounting a named hierarchy with no controller:"
mkdir -p /cgroup/demo /cgroup/again
run "mount -t cgroup -o none,name=demo none /cgroup/demo && grep ' /cgroup/demo ' /proc/mounts"
run "ls -l /cgroup/demo"
run "cat /cgroup/demo/notify_on_release /cgroup/demo/cgroup.sane_behavior"
say "groups are directories:"
run "mkdir /cgroup/demo/web /cgroup/demo/web/frontend && ls /cgroup/demo/web"
run "echo 1 > /cgroup/demo/web/notify_on_release && mkdir /cgroup/demo/web/backend && cat /cgroup/demo/web/backend/notify_on_release"
run "rmdir /cgroup/demo/web || true"
say "a second mount by name shows the same tree:"
run "mount -t cgroup -o name=demo none /cgroup/again && ls -d /cgroup/again/web/*/"
run "umount /cgroup/again"
say "mount errors are those of the C implementation:"
run "mount -t cgroup -o none none /cgroup/again || true"
run "mount -t cgroup -o name=bad/name none /cgroup/again || true"
say "tasks: everything starts in the top group; a shell moves itself, its children follow:"
run "grep -c . /cgroup/demo/tasks"
run "echo \$\$ > /cgroup/demo/web/frontend/tasks; cat /proc/self/cgroup; cat /cgroup/demo/web/frontend/tasks"
run "echo 4000000 > /cgroup/demo/web/tasks || true"
run "rmdir /cgroup/demo/web/frontend || true"
say "the release agent runs when a notify_on_release group empties:"
printf '#!/bin/sh\necho "released $1" > /tmp/released\n' > /tmp/agent.sh
chmod 755 /tmp/agent.sh
run "echo /tmp/agent.sh > /cgroup/demo/release_agent && mkdir /cgroup/demo/job && echo 1 > /cgroup/demo/job/notify_on_release"
run "sh -c 'echo \$\$ > /cgroup/demo/job/tasks; true'; sleep 1; cat /tmp/released"
say "not yet: controllers (cpuset, cpuacct, freezer, ns, debug)"
