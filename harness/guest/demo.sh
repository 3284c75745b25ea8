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
say "controllers: cpuacct and debug bound to one hierarchy (EBUSY elsewhere):"
mkdir -p /cgroup/acct /cgroup/busy
run "mount -t cgroup -o cpuacct,debug none /cgroup/acct && grep ' /cgroup/acct ' /proc/mounts && cat /proc/cgroups"
run "mount -t cgroup -o debug,name=other none /cgroup/busy || true"
run "mkdir /cgroup/acct/loop && ls /cgroup/acct/loop"
say "a shell loop in the group is charged to it and its parent (times in ns, stat in ticks):"
run "time sh -c 'echo \$\$ > /cgroup/acct/loop/tasks; i=0; while [ \$i -lt 200000 ]; do i=\$((i + 1)); done'"
run "cat /cgroup/acct/loop/cpuacct.usage /cgroup/acct/cpuacct.usage /cgroup/acct/loop/cpuacct.stat /cgroup/acct/loop/cpuacct.usage_percpu"
run "cat /cgroup/acct/loop/debug.taskcount /cgroup/acct/loop/debug.releasable /cgroup/acct/debug.current_css_set_refcount"
run "echo 0 > /cgroup/acct/loop/cpuacct.usage && cat /cgroup/acct/loop/cpuacct.usage"
say "not yet: the controllers cpuset, freezer and ns"
