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
say "/sys/fs/cgroup, made by the cgroup core in sysfs, with a tmpfs on it (from /init, as systemd does):"
run "grep ' /sys/fs/cgroup ' /proc/mounts || echo '(no /sys/fs/cgroup)'"
say "mounting a named hierarchy with no controller:"
mkdir -p /sys/fs/cgroup/demo /sys/fs/cgroup/again
run "mount -t cgroup -o none,name=demo none /sys/fs/cgroup/demo && grep ' /sys/fs/cgroup/demo ' /proc/mounts"
run "ls -l /sys/fs/cgroup/demo"
run "cat /sys/fs/cgroup/demo/notify_on_release /sys/fs/cgroup/demo/cgroup.sane_behavior"
say "groups are directories:"
run "mkdir /sys/fs/cgroup/demo/web /sys/fs/cgroup/demo/web/frontend && ls /sys/fs/cgroup/demo/web"
run "echo 1 > /sys/fs/cgroup/demo/web/notify_on_release && mkdir /sys/fs/cgroup/demo/web/backend && cat /sys/fs/cgroup/demo/web/backend/notify_on_release"
run "rmdir /sys/fs/cgroup/demo/web || true"
say "a second mount by name shows the same tree:"
run "mount -t cgroup -o name=demo none /sys/fs/cgroup/again && ls -d /sys/fs/cgroup/again/web/*/"
run "umount /sys/fs/cgroup/again"
say "mount errors are those of the C implementation:"
run "mount -t cgroup -o none none /sys/fs/cgroup/again || true"
run "mount -t cgroup -o name=bad/name none /sys/fs/cgroup/again || true"
say "tasks: everything starts in the top group; a shell moves itself, its children follow:"
run "grep -c . /sys/fs/cgroup/demo/tasks"
run "echo \$\$ > /sys/fs/cgroup/demo/web/frontend/tasks; cat /proc/self/cgroup; cat /sys/fs/cgroup/demo/web/frontend/tasks"
run "echo 4000000 > /sys/fs/cgroup/demo/web/tasks || true"
run "rmdir /sys/fs/cgroup/demo/web/frontend || true"
say "the release agent runs when a notify_on_release group empties:"
printf '#!/bin/sh\necho "released $1" > /tmp/released\n' > /tmp/agent.sh
chmod 755 /tmp/agent.sh
run "echo /tmp/agent.sh > /sys/fs/cgroup/demo/release_agent && mkdir /sys/fs/cgroup/demo/job && echo 1 > /sys/fs/cgroup/demo/job/notify_on_release"
run "sh -c 'echo \$\$ > /sys/fs/cgroup/demo/job/tasks; true'; sleep 1; cat /tmp/released"
say "controllers: cpuacct and debug bound to one hierarchy (EBUSY elsewhere):"
mkdir -p /sys/fs/cgroup/acct /sys/fs/cgroup/busy
run "mount -t cgroup -o cpuacct,debug none /sys/fs/cgroup/acct && grep ' /sys/fs/cgroup/acct ' /proc/mounts && cat /proc/cgroups"
run "mount -t cgroup -o debug,name=other none /sys/fs/cgroup/busy || true"
run "mkdir /sys/fs/cgroup/acct/loop && ls /sys/fs/cgroup/acct/loop"
say "a shell loop in the group is charged to it and its parent (times in ns, stat in ticks):"
run "time sh -c 'echo \$\$ > /sys/fs/cgroup/acct/loop/tasks; i=0; while [ \$i -lt 200000 ]; do i=\$((i + 1)); done'"
run "cat /sys/fs/cgroup/acct/loop/cpuacct.usage /sys/fs/cgroup/acct/cpuacct.usage /sys/fs/cgroup/acct/loop/cpuacct.stat /sys/fs/cgroup/acct/loop/cpuacct.usage_percpu"
run "cat /sys/fs/cgroup/acct/loop/debug.taskcount /sys/fs/cgroup/acct/loop/debug.releasable /sys/fs/cgroup/acct/debug.current_css_set_refcount"
run "echo 0 > /sys/fs/cgroup/acct/loop/cpuacct.usage && cat /sys/fs/cgroup/acct/loop/cpuacct.usage"
say "not yet: the controllers cpuset, freezer and ns"
