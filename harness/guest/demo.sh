#!/bin/sh
# The demo: control groups v1 as an administrator meets them, for every controller the
# running kernel has (read from /proc/cgroups, so the list cannot go stale). Each section
# shows commands and their output, then checks the effect it showed:
# "cgv1-demo-check: NAME ok" or "cgv1-demo-check: NAME FAIL (why)". harness/cgv1 test
# counts those lines and needs "cgv1-demo-done" at the end.
R=/sys/fs/cgroup
say() { echo; echo "=== $*"; }
run() {
	echo "\$ $*"
	sh -c "$*" 2>&1 | sed 's/^/  /'
}
check() {
	name=$1
	why=$2
	shift 2
	if "$@"; then
		echo "cgv1-demo-check: $name ok"
	else
		echo "cgv1-demo-check: $name FAIL ($why)"
	fi
}
# A busy loop placed in group $1 (a directory) before it starts; prints its pid.
busy_in() {
	sh -c "echo \$\$ > $1/tasks && exec sh -c 'while :; do :; done'" >/dev/null 2>&1 &
	echo $!
}
field() { awk -v n="$2" '{print $n}' "/proc/$1/stat"; }  # 14: utime, 39: last CPU
# Kills task $1 and reaps it if it is this shell's child.
stop() {
	kill "$1"
	wait "$1" 2>/dev/null
}
# Waits up to 5 s for file $1 to read $2.
wait_for() {
	i=0
	while [ "$(cat "$1" 2>/dev/null)" != "$2" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
has() { awk -v c="$1" 'NR > 1 && $1 == c && $4 == 1 {f = 1} END {exit !f}' /proc/cgroups; }

ncpu=$(grep -c ^processor /proc/cpuinfo)
nnode=$(ls -d /sys/devices/system/node/node* 2>/dev/null | wc -l)
say "kernel $(uname -r): $ncpu CPUs (online $(cat /sys/devices/system/cpu/online)), $nnode NUMA node(s)"
run "zcat /proc/config.gz | grep -E '^(# )?CONFIG_(CGROUPS|RUST_CGROUP[A-Z_]*)[ =]'"
echo "the controllers this kernel has (/proc/cgroups):"
run "cat /proc/cgroups"
controllers=$(awk 'NR > 1 && $4 == 1 {print $1}' /proc/cgroups | tr '\n' ' ')
check proc_cgroups "no controller listed" [ -n "$controllers" ]

# ---------------------------------------------------------------- the core
say "the cgroup filesystem: a named hierarchy, groups, tasks, the release agent"
mkdir -p $R/demo
run "mount -t cgroup -o none,name=demo none $R/demo && grep ' $R/demo ' /proc/mounts"
run "mkdir -p $R/demo/web/frontend && ls $R/demo/web"
echo "a shell moves itself into web/frontend; the cat it starts is born there:"
run "echo \$\$ > $R/demo/web/frontend/tasks && cat /proc/self/cgroup"
run "rmdir $R/demo/web; mount -t cgroup -o none none /mnt"
printf '#!/bin/sh\necho "released $1" > /tmp/released\n' > /tmp/agent.sh
chmod 755 /tmp/agent.sh
echo "notify_on_release: the agent runs with the group's path when it empties:"
run "echo /tmp/agent.sh > $R/demo/release_agent && echo 1 > $R/demo/web/frontend/notify_on_release"
run "sh -c 'echo \$\$ > $R/demo/web/frontend/tasks'"
wait_for /tmp/released "released /web/frontend"
run "cat /tmp/released"
check release_agent "the agent did not report /web/frontend" \
	[ "$(cat /tmp/released 2>/dev/null)" = "released /web/frontend" ]

# ---------------------------------------------------------------- cpuset and cpuacct
if has cpuset && has cpuacct; then
	# CPU 1 and node 1 where the machine has them (the guest has 4 CPUs and 2 nodes).
	cpu=0
	[ -d /sys/devices/system/cpu/cpu1 ] && cpu=1
	node=0
	[ -d /sys/devices/system/node/node1 ] && node=1
	say "cpuset and cpuacct on one hierarchy: a busy loop confined to CPU $cpu and node $node"
	mkdir -p $R/cpu
	# With the Rust core's "inherit" option where the kernel has it (see below).
	if mount -t cgroup -o cpuset,cpuacct,inherit none $R/cpu 2>/dev/null; then
		inherit=1
		run "grep ' $R/cpu ' /proc/mounts"
	else
		run "mount -t cgroup -o cpuset,cpuacct none $R/cpu && grep ' $R/cpu ' /proc/mounts"
	fi
	run "mkdir $R/cpu/job && echo $cpu > $R/cpu/job/cpuset.cpus && echo $node > $R/cpu/job/cpuset.mems"
	busy=$(busy_in $R/cpu/job)
	sleep 1
	run "grep -E '^(Cpus|Mems)_allowed_list' /proc/$busy/status; taskset -p $busy"
	oncpu=$(field "$busy" 39)
	echo "pid $busy last ran on CPU $oncpu"
	run "cat $R/cpu/job/cpuacct.usage $R/cpu/job/cpuacct.usage_percpu"
	check cpuset_cpus "Cpus_allowed_list is not $cpu" \
		[ "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$busy/status)" = "$cpu" ]
	check cpuset_mems "Mems_allowed_list is not $node" \
		[ "$(sed -n 's/^Mems_allowed_list:[[:space:]]*//p' /proc/$busy/status)" = "$node" ]
	check cpuset_runs_there "ran on CPU $oncpu" [ "$oncpu" = "$cpu" ]
	charged=$(awk -v n=$((cpu + 1)) '{print $n}' $R/cpu/job/cpuacct.usage_percpu)
	check cpuacct_charged "CPU $cpu charged ${charged:-nothing}" [ "${charged:-0}" -gt 0 ]
	stop "$busy"
	if [ -n "$inherit" ]; then
		say "beyond v1: <controller>.inherit: A and B share their parent's cpuset, and count CPU time apart"
		run "mkdir $R/cpu/P $R/cpu/P/A $R/cpu/P/B && echo $cpu > $R/cpu/P/cpuset.cpus && echo $node > $R/cpu/P/cpuset.mems"
		run "echo 1 > $R/cpu/P/A/cpuset.inherit && echo 1 > $R/cpu/P/B/cpuset.inherit && cat $R/cpu/P/A/cpuset.cpus"
		echo "the shared cpuset is the parent's: A cannot change it"
		run "echo 0 > $R/cpu/P/A/cpuset.cpus"
		a=$(busy_in $R/cpu/P/A)
		sleep 1
		b=$(busy_in $R/cpu/P/B)
		sleep 1
		run "grep Cpus_allowed_list /proc/$a/status /proc/$b/status; cat /proc/$a/cpuset /proc/$b/cgroup"
		run "cat $R/cpu/P/A/cpuacct.usage $R/cpu/P/B/cpuacct.usage $R/cpu/P/cpuacct.usage"
		ua=$(cat $R/cpu/P/A/cpuacct.usage)
		ub=$(cat $R/cpu/P/B/cpuacct.usage)
		aff=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/$b/status)
		check inherit_confined "B's loop allowed on $aff, not $cpu" [ "$aff" = "$cpu" ]
		check inherit_apart "A charged $ua, B $ub: not both, A more" \
			[ "$ua" -gt "$ub" -a "$ub" -gt 0 ]
		check inherit_busy "A could write the shared cpuset" \
			sh -c "! echo $cpu 2>/dev/null > $R/cpu/P/A/cpuset.cpus"
		stop "$a"
		stop "$b"
	fi
fi

# ---------------------------------------------------------------- freezer
if has freezer; then
	say "freezer: a busy loop frozen and thawed (utime in clock ticks, /proc/<pid>/stat)"
	mkdir -p $R/freezer
	run "mount -t cgroup -o freezer none $R/freezer && mkdir $R/freezer/job"
	busy=$(busy_in $R/freezer/job)
	sleep 1
	a=$(field "$busy" 14)
	sleep 1
	b=$(field "$busy" 14)
	echo "running: utime $a, one second later $b"
	run "echo FROZEN > $R/freezer/job/freezer.state"
	wait_for $R/freezer/job/freezer.state FROZEN
	run "cat $R/freezer/job/freezer.state; grep ^State /proc/$busy/status"
	c=$(field "$busy" 14)
	sleep 1
	d=$(field "$busy" 14)
	echo "frozen: utime $c, one second later $d"
	state=$(cat $R/freezer/job/freezer.state)
	run "echo THAWED > $R/freezer/job/freezer.state && cat $R/freezer/job/freezer.state"
	sleep 1
	e=$(field "$busy" 14)
	echo "thawed: utime $e"
	check freezer_runs "utime $a -> $b while running" [ "$b" -gt "$a" ]
	check freezer_frozen "state $state, utime $c -> $d" [ "$state" = FROZEN -a "$c" = "$d" ]
	check freezer_thawed "utime $d -> $e after THAWED" [ "$e" -gt "$d" ]
	stop "$busy"
fi

# ---------------------------------------------------------------- ns
if has ns; then
	say "ns: new namespaces put a task in a group of its own; a container's task cannot leave it"
	mkdir -p $R/ns
	run "mount -t cgroup -o ns none $R/ns && ls -d $R/ns/*/ 2>/dev/null | wc -l"
	echo "a container's first task: new UTS and cgroup namespaces (unshare), then it tries to leave:"
	cgv1_unshare uC sh -c "echo \$\$ > /tmp/ns.pid; sleep 1;
		echo \$\$ > $R/ns/tasks 2> /tmp/ns.err; echo \"rc=\$?\" >> /tmp/ns.err; exec sleep 10" &
	sleep 0.5
	pid=$(cat /tmp/ns.pid)
	run "grep :ns: /proc/$pid/cgroup"
	i=0
	while ! grep -q rc= /tmp/ns.err 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	run "cat /tmp/ns.err"
	check ns_group "not in ns:/$pid" grep -q ":ns:/$pid\$" /proc/$pid/cgroup
	check ns_confined "no EPERM on leaving" grep -q "Operation not permitted" /tmp/ns.err
	echo "its manager, the host's administrator, moves it where it likes (as crun and LXC do):"
	run "mkdir $R/ns/payload && echo $pid > $R/ns/payload/cgroup.procs && grep :ns: /proc/$pid/cgroup"
	check ns_manager_moves "not in ns:/payload" grep -q ":ns:/payload\$" /proc/$pid/cgroup
	stop "$pid"
fi

# ---------------------------------------------------------------- cgroup namespaces
if [ -e /proc/self/ns/cgroup ]; then
	say "cgroup namespaces: a task in demo:/web sees its group as the root"
	run "sh -c 'echo \$\$ > $R/demo/web/tasks && grep name=demo /proc/self/cgroup && cgv1_unshare C sh -c \"grep name=demo /proc/self/cgroup\"'" > /tmp/cgns.out
	cat /tmp/cgns.out
	check cgroupns_root "not / inside" grep -qx "  [0-9]*:name=demo:/" /tmp/cgns.out
	check cgroupns_outside "not /web outside" grep -qx "  [0-9]*:name=demo:/web" /tmp/cgns.out
fi

# ---------------------------------------------------------------- debug, and /proc
if has debug; then
	say "debug: the core's own view of a group: its tasks, their count, whether it could be released"
	mkdir -p $R/debug
	run "mount -t cgroup -o debug none $R/debug && mkdir $R/debug/job"
	sh -c "echo \$\$ > $R/debug/job/tasks && exec sleep 10" &
	sleeper=$!
	sleep 0.5
	run "cat $R/debug/job/tasks $R/debug/job/debug.taskcount $R/debug/job/debug.releasable"
	count=$(cat $R/debug/job/debug.taskcount)
	stop "$sleeper"
	check debug_taskcount "taskcount $count with one task" [ "$count" = 1 ]
fi

say "/proc/<pid>/cgroup of a task placed in a group of every hierarchy, and /proc/cgroups"
# The task moves itself into each job group (and demo:/web) that the sections above made.
sh -c "for d in $R/demo/web $R/cpu/job $R/freezer/job $R/debug/job; do
	[ -d \$d ] && echo \$\$ > \$d/tasks; done; exec sleep 10" &
placed=$!
sleep 0.5
run "cat /proc/$placed/cgroup; cat /proc/cgroups"
lines=$(grep -c . /proc/$placed/cgroup)
check proc_pid_cgroup "not in demo:/web" grep -q ":name=demo:/web\$" /proc/$placed/cgroup
stop "$placed"
echo "($lines hierarchies)"
echo
echo "cgv1-demo: controllers shown: $controllers"
