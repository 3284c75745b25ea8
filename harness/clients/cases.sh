#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# cgv1-cases: the client rig's cases (issue 21), run by cgv1-clients.service in a Debian 12
# guest booted with systemd in cgroup-v1 legacy mode (harness/clients/mkrootfs.sh).
#
# Each case prints exactly one line, `cgv1-case: NAME ok` or `cgv1-case: NAME FAIL REASON`,
# and on a failure the end of its log as `cgv1-detail: NAME: ...` lines; `cgv1-info: ...`
# lines carry facts for the report; `cgv1-clients-done` ends the run. Every command runs
# under a timeout and every case under a watchdog, so that a hang is a FAIL, not a stuck
# guest. The full logs stay in /var/log/cgv1.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER= SYSTEMD_COLORS=0 LC_ALL=C
LOGDIR=/var/log/cgv1
mkdir -p "$LOGDIR"
CASE_TIMEOUT=${CASE_TIMEOUT:-240}
CMD_TIMEOUT=${CMD_TIMEOUT:-60}
CG=/sys/fs/cgroup

# --------------------------------------------------------------------------- helpers

# "0-2,5" -> "0 1 2 5"
expand_list() {
	local part out=""
	for part in ${1//,/ }; do
		if [[ $part == *-* ]]; then out+=" $(seq -s ' ' "${part%-*}" "${part#*-}")"
		else out+=" $part"; fi
	done
	echo $out
}

ONLINE_CPUS=$(cat /sys/devices/system/cpu/online)
ONLINE_NODES=$(cat /sys/devices/system/node/online 2>/dev/null || echo 0)
set -- $(expand_list "$ONLINE_CPUS")
FIRST_CPU=$1
LAST_CPU=${@: -1}
# The node of the last CPU: the containers are confined to that CPU and its node.
LAST_NODE=$(ls -d /sys/devices/system/cpu/cpu"$LAST_CPU"/node* 2>/dev/null | head -1)
LAST_NODE=${LAST_NODE##*/node}
LAST_NODE=${LAST_NODE:-${ONLINE_NODES%%[-,]*}}
FIRST_NODE=${ONLINE_NODES%%[-,]*}
set --

# The mount point of the v1 hierarchy that has controller $1 (or name=$1).
mnt_of() {
	awk -v c="$1" '$3 == "cgroup" { n = split($4, o, ",");
		for (i = 1; i <= n; i++) if (o[i] == c || o[i] == "name=" c) { print $2; exit } }' /proc/mounts
}

fail() {
	echo "$*" > "$LOGDIR/.reason"
	echo "FAIL: $*"
	return 1
}

# check DESCRIPTION COMMAND...: runs COMMAND under a timeout; fails the case if it fails.
check() {
	local what=$1; shift
	timeout -k 5 "$CMD_TIMEOUT" "$@"
	local rc=$?
	[ $rc -eq 0 ] && return 0
	[ $rc -eq 124 ] && fail "$what: timed out" || fail "$what: rc=$rc"
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND (a command, under a timeout, or
# one of the functions here, which time their commands out themselves) until it succeeds.
wait_for() {
	local secs=$1 what=$2; shift 2
	local end=$(( $(date +%s) + secs )) tmo=()
	[ "$(type -t "$1")" = function ] || tmo=(timeout -k 5 "$CMD_TIMEOUT")
	echo "wait_for ${secs}s: $*"
	{ local x=${-//[^x]/}; set +x; } 2>/dev/null
	while ! "${tmo[@]}" "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			[ -n "$x" ] && set -x
			fail "$what (after ${secs}s)"
			return 1
		fi
		sleep 0.5
	done
	[ -n "$x" ] && set -x
	return 0
}

# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}

file_has_line() { grep -qx -- "$2" "$1" 2>/dev/null; }
gone() { [ ! -e "$1" ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }

run_case() {
	local name=$1 fn=$2
	rm -f "$LOGDIR/.reason"
	( PS4='+ '; set -x; "$fn" ) > "$LOGDIR/$name.log" 2>&1 < /dev/null &
	local pid=$! n=0 rc
	while kill -0 "$pid" 2>/dev/null; do
		sleep 0.2
		n=$((n + 1))
		if [ $n -ge $((CASE_TIMEOUT * 5)) ]; then
			kill -9 "$pid" 2>/dev/null
			echo "case timed out after ${CASE_TIMEOUT}s" > "$LOGDIR/.reason"
			break
		fi
	done
	wait "$pid"
	rc=$?
	if [ $rc -eq 0 ] && [ ! -s "$LOGDIR/.reason" ]; then
		echo "cgv1-case: $name ok"
	else
		local reason
		reason=$(head -c 300 "$LOGDIR/.reason" 2>/dev/null | tr '\n' ' ')
		echo "cgv1-case: $name FAIL ${reason:-rc=$rc}"
		tail -n 15 "$LOGDIR/$name.log" | sed "s/^/cgv1-detail: $name: /"
	fi
}

# --------------------------------------------------------------------------- systemd

case_systemd_legacy() {
	cat /proc/self/cgroup
	grep -q '^[0-9]*:name=systemd:/' /proc/self/cgroup || { fail "no name=systemd line in /proc/self/cgroup"; return; }
	[ -d "$CG/systemd" ] || { fail "no $CG/systemd"; return; }
	expect_eq "fs type of $CG" "$(stat -f -c %T $CG)" tmpfs || return
	expect_eq "fs type of $CG/systemd" "$(stat -f -c %T $CG/systemd)" cgroupfs || return
	! grep -q ' cgroup2 ' /proc/mounts || { fail "a cgroup2 hierarchy is mounted (not legacy mode)"; return; }
	local state
	state=$(timeout 300 systemctl is-system-running --wait)
	echo "state: $state"
	case $state in
	running|degraded) ;;
	*) fail "systemctl is-system-running: $state"; return ;;
	esac
}

case_systemd_running() {
	local state failed
	state=$(timeout 300 systemctl is-system-running --wait)
	[ "$state" = running ] && return 0
	failed=$(systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' ')
	systemctl --failed --no-pager
	for u in $failed; do systemctl status --no-pager -n 10 "$u"; done
	fail "state $state; failed units: ${failed:-none}"
}

case_systemd_cgls() {
	local out
	out=$(timeout "$CMD_TIMEOUT" systemd-cgls --no-pager 2>&1) || { echo "$out"; fail "systemd-cgls: rc=$?"; return; }
	echo "$out"
	grep -q 'init.scope' <<<"$out" || { fail "no init.scope in systemd-cgls"; return; }
	grep -q 'cgv1-clients.service' <<<"$out" || fail "no cgv1-clients.service in systemd-cgls"
}

case_systemd_run_stop() {
	local dir=$CG/systemd/system.slice/cgv1-x.service pid
	check "systemd-run" systemd-run --unit=cgv1-x sleep 1000 || return
	wait_for 30 "cgv1-x.service not active" systemctl is-active -q cgv1-x.service || return
	pid=$(systemctl show -p MainPID --value cgv1-x.service)
	echo "MainPID=$pid"
	[ "${pid:-0}" -gt 0 ] || { fail "no MainPID"; return; }
	cat /proc/"$pid"/cgroup
	file_has_line "$dir/cgroup.procs" "$pid" || { fail "pid $pid not in $dir/cgroup.procs"; return; }
	grep -qx "[0-9]*:name=systemd:/system.slice/cgv1-x.service" /proc/"$pid"/cgroup ||
		{ fail "/proc/$pid/cgroup has no name=systemd:/system.slice/cgv1-x.service"; return; }
	check "systemctl stop" systemctl stop cgv1-x.service || return
	wait_for 10 "pid $pid still alive after stop" pid_gone "$pid" || return
	wait_for 10 "$dir not removed after stop" gone "$dir"
}

# A scope whose processes all exit goes away only through the release agent in v1 (systemd
# gets no SIGCHLD for them): systemd-cgroups-agent tells systemd that the group emptied.
case_systemd_release_agent() {
	local ra cgpath dir
	ra=$(cat $CG/systemd/release_agent)
	echo "release_agent=$ra"
	[ -x "$ra" ] || { fail "release_agent '$ra' is not an executable"; return; }
	check "systemd-run --scope" systemd-run --scope --unit=cgv1-scope -- \
		sh -c '(sleep 4 < /dev/null > /dev/null 2>&1 &); exit 0' || return
	cgpath=$(systemctl show -p ControlGroup --value cgv1-scope.scope)
	dir=$CG/systemd$cgpath
	echo "ControlGroup=$cgpath"; cat "$dir/cgroup.procs" "$dir/notify_on_release"
	expect_eq "$dir/notify_on_release" "$(cat "$dir/notify_on_release")" 1 || return
	[ -n "$(cat "$dir/cgroup.procs")" ] || { fail "the scope's group has no process while sleep runs"; return; }
	wait_for 30 "cgv1-scope.scope still active after its processes exited" \
		sh -c '! systemctl is-active -q cgv1-scope.scope' || return
	wait_for 10 "$dir not removed" gone "$dir" || return
	# A service whose main process exits: inactive, group removed.
	check "systemd-run true" systemd-run --unit=cgv1-short --wait true || return
	wait_for 10 "cgv1-short.service group not removed" gone "$CG/systemd/system.slice/cgv1-short.service"
}

case_systemd_cpu_accounting() {
	local acct dir usage nsec
	acct=$(mnt_of cpuacct)
	[ -n "$acct" ] || { fail "no cpuacct hierarchy mounted"; return; }
	dir=$acct/system.slice/cgv1-cpu.service
	check "systemd-run" systemd-run --unit=cgv1-cpu -p CPUAccounting=yes \
		sh -c 'timeout 6 sh -c "while :; do :; done"; true' || return
	sleep 3
	ls "$dir"
	usage=$(cat "$dir/cpuacct.usage")
	nsec=$(systemctl show -p CPUUsageNSec --value cgv1-cpu.service)
	echo "cpuacct.usage=$usage CPUUsageNSec=$nsec"
	[ "${usage:-0}" -gt 0 ] || { fail "$dir/cpuacct.usage is '$usage'"; return; }
	[[ $nsec =~ ^[0-9]+$ ]] && [ "$nsec" -gt 0 ] || { fail "CPUUsageNSec is '$nsec'"; return; }
	wait_for 30 "cgv1-cpu still active" sh -c '! systemctl is-active -q cgv1-cpu.service' || return
	out=$(timeout "$CMD_TIMEOUT" systemd-run --unit=cgv1-cpu2 -p CPUAccounting=yes --wait \
		sh -c 'timeout 2 sh -c "while :; do :; done"; true' 2>&1)
	echo "$out"
	grep -q 'CPU time consumed: [1-9]' <<<"$out" || fail "systemd-run --wait reports no CPU time"
}

case_systemd_cgtop() {
	check "systemd-cgtop" systemd-cgtop -b -n 2 -d 1 --order=cpu
}

case_systemd_daemon_reexec() {
	check "daemon-reexec" systemctl daemon-reexec || return
	wait_for 60 "systemd not back after daemon-reexec" systemctl is-system-running -q --wait || true
	rm -f "$LOGDIR/.reason"
	grep -q '^[0-9]*:name=systemd:/system.slice/cgv1-clients.service$' /proc/self/cgroup ||
		{ cat /proc/self/cgroup; fail "this service moved after daemon-reexec"; return; }
	check "systemd-run after reexec" systemd-run --unit=cgv1-y --wait true
}

# (systemd-run's command goes through ExecStart='s variable expansion: no "$$" in it.)
# Delegate=yes: the service makes its own subgroup and moves into it; stopping the unit
# must kill the process there and remove the whole subtree, in every hierarchy.
case_systemd_delegate() {
	local sd=$CG/systemd/system.slice/cgv1-del.service acct pid
	acct=$(mnt_of cpuacct)
	check "systemd-run Delegate=yes" systemd-run --unit=cgv1-del -p Delegate=yes -p CPUAccounting=yes \
		sh -c "mkdir $sd/sub && echo 0 > $sd/sub/cgroup.procs && exec sleep 1000" || return
	wait_for 20 "no process in $sd/sub" sh -c "grep -q . $sd/sub/cgroup.procs" ||
		{ systemctl status --no-pager cgv1-del.service; return 1; }
	pid=$(cat $sd/sub/cgroup.procs)
	cat /proc/"$pid"/cgroup; ls -l "$sd"
	[ -d "$acct/system.slice/cgv1-del.service" ] || { fail "no cpuacct group for the delegated unit"; return; }
	check "systemctl stop" systemctl stop cgv1-del.service || return
	wait_for 10 "pid $pid alive after stop" pid_gone "$pid" || return
	wait_for 10 "$sd (with sub/) not removed" gone "$sd" || return
	wait_for 10 "cpuacct group not removed" gone "$acct/system.slice/cgv1-del.service"
}

# taskstats' cgroupstats (getdelays -C): the task counts of a group by state. Two tasks
# blocked opening a FIFO are "sleeping" (TASK_INTERRUPTIBLE), a stopped one "stopped". A
# task in nanosleep() sleeps TASK_INTERRUPTIBLE|TASK_FREEZABLE since Linux 6.1, which the C
# cgroupstats_build() counts in no state: that count is printed as information only.
case_getdelays_cgroupstats() {
	local acct d p1 p2 p3 out fifo=/run/cgv1-gd.fifo
	command -v getdelays || { fail "no getdelays in the image"; return; }
	acct=$(mnt_of cpuacct); d=$acct/cgv1gd
	mkdir "$d" || { fail "mkdir $d"; return; }
	rm -f $fifo; mkfifo $fifo
	cat $fifo > /dev/null & p1=$!
	cat $fifo > /dev/null & p2=$!
	echo $p1 > "$d/cgroup.procs" && echo $p2 > "$d/cgroup.procs" || { kill $p1 $p2; fail "moving into $d"; return; }
	sleep 1
	out=$(timeout 30 getdelays -C "$d" 2>&1); echo "$out"
	grep -q "sleeping 2, blocked 0, running 0, stopped 0, uninterruptible 0" <<<"$out" ||
		{ kill -KILL $p1 $p2; fail "getdelays -C: $(grep sleeping <<<"$out" || echo "$out" | tail -n 1)"; return; }
	kill -STOP $p2; sleep 1
	out=$(timeout 30 getdelays -C "$d" 2>&1); echo "$out"
	kill -KILL $p1 $p2; wait $p1 $p2 2>/dev/null
	grep -q "sleeping 1, blocked 0, running 0, stopped 1, uninterruptible 0" <<<"$out" ||
		{ fail "getdelays -C after SIGSTOP: $(grep sleeping <<<"$out" || echo "$out" | tail -n 1)"; return; }
	sleep 300 & p3=$!
	echo $p3 > "$d/cgroup.procs"; sleep 1
	out=$(timeout 30 getdelays -C "$d" 2>&1)
	echo "cgv1-info: getdelays -C, one task in nanosleep: $out" > /dev/console
	kill -KILL $p3; wait $p3 2>/dev/null
	# Not a group directory: a control file, another filesystem: EINVAL, as in C.
	out=$(timeout 30 getdelays -C "$d/cgroup.procs" 2>&1); echo "on a file: rc=$? $out"
	grep -q 'errno -22' <<<"$out" || fail "getdelays -C on a control file: $(echo "$out" | tail -n 1)"
	out=$(timeout 30 getdelays -C /sys/fs/cgroup 2>&1); echo "on the tmpfs: rc=$? $out"
	grep -q 'errno -22' <<<"$out" || fail "getdelays -C on the tmpfs: $(echo "$out" | tail -n 1)"
	rm -f $fifo
	sleep 0.5; rmdir "$d" || fail "rmdir $d"
}

# --------------------------------------------------------------------------- cgroup-tools

CGT=cgv1t
case_cgtools_create_set_get() {
	check "cgcreate" cgcreate -g cpuset,cpuacct:/$CGT || return
	[ -d "$(mnt_of cpuset)/$CGT" ] && [ -d "$(mnt_of cpuacct)/$CGT" ] ||
		{ fail "cgcreate made no group in both hierarchies"; return; }
	check "cgset" cgset -r cpuset.cpus="$LAST_CPU" -r cpuset.mems="$LAST_NODE" $CGT || return
	expect_eq "cgget cpuset.cpus" "$(timeout 30 cgget -n -v -r cpuset.cpus $CGT)" "$LAST_CPU" || return
	expect_eq "cgget cpuset.mems" "$(timeout 30 cgget -n -v -r cpuset.mems $CGT)" "$LAST_NODE" || return
	timeout 30 cgget -g cpuacct $CGT
}

case_cgtools_exec_classify() {
	local out pid cs acct
	cs=$(mnt_of cpuset); acct=$(mnt_of cpuacct)
	out=$(timeout 30 cgexec -g cpuset,cpuacct:$CGT sh -c \
		'cat /proc/self/cgroup; grep Cpus_allowed_list /proc/self/status; i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done')
	echo "$out"
	grep -q "cpuset:/$CGT\$" <<<"$out" || { fail "cgexec: not in cpuset:/$CGT"; return; }
	grep -q "cpuacct:/$CGT\$" <<<"$out" || { fail "cgexec: not in cpuacct:/$CGT"; return; }
	grep -q "Cpus_allowed_list:[[:space:]]*$LAST_CPU\$" <<<"$out" || { fail "cgexec: CPUs not confined to $LAST_CPU"; return; }
	[ "$(cat "$acct/$CGT/cpuacct.usage")" -gt 0 ] || { fail "cpuacct.usage of $CGT is 0 after cgexec"; return; }
	sleep 300 & pid=$!
	check "cgclassify" cgclassify -g cpuset,cpuacct:$CGT "$pid" || { kill $pid; return; }
	cat /proc/$pid/cgroup
	file_has_line "$cs/$CGT/tasks" "$pid" && file_has_line "$acct/$CGT/cgroup.procs" "$pid" ||
		{ kill $pid; fail "cgclassify: pid not in both groups"; return; }
	grep -q "Cpus_allowed_list:[[:space:]]*$LAST_CPU\$" /proc/$pid/status ||
		{ kill $pid; fail "cgclassify: CPUs not confined"; return; }
	kill $pid; wait $pid 2>/dev/null
	true
}

case_cgtools_list() {
	local out
	out=$(timeout 30 lscgroup) || { fail "lscgroup: rc=$?"; return; }
	echo "$out"
	grep -q "cpuset:/$CGT\$" <<<"$out" && grep -q "cpuacct:/$CGT\$" <<<"$out" ||
		{ fail "lscgroup does not list $CGT in cpuset and cpuacct"; return; }
	out=$(timeout 30 lssubsys -am) || { fail "lssubsys: rc=$?"; return; }
	echo "$out"
	grep -q "^cpuset " <<<"$out" && grep -q "cpuacct" <<<"$out" && grep -q "^freezer " <<<"$out" ||
		fail "lssubsys -am does not list cpuset, cpuacct and freezer with their mounts"
}

case_cgtools_delete() {
	# One cgdelete per controller: cgdelete -r with two controllers leaves the second
	# behind on the C implementation too (libcgroup 2.0.2).
	check "cgdelete cpuset" cgdelete -g cpuset:/$CGT || return
	check "cgdelete cpuacct" cgdelete -g cpuacct:/$CGT || return
	gone "$(mnt_of cpuset)/$CGT" || { fail "cpuset group left"; return; }
	gone "$(mnt_of cpuacct)/$CGT" || fail "cpuacct group left"
}

# --------------------------------------------------------------------------- crun

BUNDLE=/var/lib/cgv1/bundle
CRUN_ID=cgv1c
CRUN_CG=/cgv1/crun
crun_state() { timeout 30 crun state $CRUN_ID | jq -r .status; }
crun_status_is() { [ "$(crun_state)" = "$1" ]; }

case_crun_run() {
	crun --version
	jq --arg cpus "$LAST_CPU" --arg mems "$LAST_NODE" --arg cg "$CRUN_CG" \
		'.linux.resources.cpu.cpus = $cpus | .linux.resources.cpu.mems = $mems | .linux.cgroupsPath = $cg' \
		$BUNDLE/config.template.json > $BUNDLE/config.json || { fail "jq"; return; }
	check "crun run -d" crun run -d --bundle $BUNDLE $CRUN_ID > "$LOGDIR/crun-run.out" 2>&1 ||
		{ cat "$LOGDIR/crun-run.out"; return; }
	timeout 30 crun state $CRUN_ID
	wait_for 20 "container not running" crun_status_is running
}

case_crun_cgroup() {
	local pid cs out
	pid=$(timeout 30 crun state $CRUN_ID | jq -r .pid)
	cs=$(mnt_of cpuset)
	echo "pid=$pid"; cat /proc/"$pid"/cgroup
	expect_eq "$cs$CRUN_CG/cpuset.cpus" "$(cat $cs$CRUN_CG/cpuset.cpus)" "$LAST_CPU" || return
	expect_eq "$cs$CRUN_CG/cpuset.mems" "$(cat $cs$CRUN_CG/cpuset.mems)" "$LAST_NODE" || return
	sed "s/^/cgv1-info: crun init cgroup: /" /proc/"$pid"/cgroup > /dev/console
	file_has_line "$cs$CRUN_CG/cgroup.procs" "$pid" || { fail "init $pid not in $cs$CRUN_CG/cgroup.procs"; return; }
	grep -q "Cpus_allowed_list:[[:space:]]*$LAST_CPU\$" /proc/"$pid"/status || { fail "init's CPUs not confined"; return; }
	grep -q "Mems_allowed_list:[[:space:]]*$LAST_NODE\$" /proc/"$pid"/status || { fail "init's nodes not confined"; return; }
	# crun exec joins the container's groups.
	out=$(timeout 30 crun exec $CRUN_ID cat /proc/self/cgroup) || { echo "$out"; fail "crun exec: rc=$?"; return; }
	echo "$out"
	grep -q ":cpuset:$CRUN_CG\$" <<<"$out" || fail "crun exec: process not in cpuset:$CRUN_CG"
}

case_crun_pause_resume() {
	local fz
	fz=$(mnt_of freezer)
	check "crun pause" crun pause $CRUN_ID || return
	expect_eq "freezer.state after pause" "$(cat $fz$CRUN_CG/freezer.state)" FROZEN || return
	expect_eq "crun state after pause" "$(crun_state)" paused || return
	check "crun resume" crun resume $CRUN_ID || return
	expect_eq "freezer.state after resume" "$(cat $fz$CRUN_CG/freezer.state)" THAWED || return
	expect_eq "crun state after resume" "$(crun_state)" running
}

case_crun_cpuacct() {
	local acct u
	acct=$(mnt_of cpuacct)
	timeout 30 crun exec $CRUN_ID sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done'
	u=$(cat $acct$CRUN_CG/cpuacct.usage)
	echo "cpuacct.usage=$u"
	[ "${u:-0}" -gt 0 ] || fail "$acct$CRUN_CG/cpuacct.usage is '$u'"
}

case_crun_kill_delete() {
	local pid c
	pid=$(timeout 30 crun state $CRUN_ID | jq -r .pid)
	check "crun kill" crun kill $CRUN_ID KILL || return
	wait_for 20 "container not stopped after kill" crun_status_is stopped || return
	pid_gone "$pid" || { fail "init $pid alive after kill"; return; }
	check "crun delete" crun delete $CRUN_ID || return
	for c in cpuset cpuacct freezer; do
		wait_for 10 "$c group of the container left after delete" gone "$(mnt_of $c)$CRUN_CG" || return
	done
}

# --------------------------------------------------------------------------- LXC

LXCLOG=$LOGDIR/lxc.log
lxc_state_is() { [ "$(timeout 30 lxc-info -n c1 -s -H)" = "$1" ]; }

case_lxc_execute() {
	local out
	lxc-start --version
	out=$(timeout "$CMD_TIMEOUT" lxc-execute -n c2 -l DEBUG -o $LXCLOG -- \
		/bin/sh -c 'echo cgv1-hello; cat /proc/self/cgroup' 2>&1)
	local rc=$?
	echo "$out"
	[ $rc -eq 0 ] || { tail -n 30 $LXCLOG; fail "lxc-execute: rc=$rc"; return; }
	grep -q cgv1-hello <<<"$out" || fail "lxc-execute: no output from the container"
}

case_lxc_start() {
	check "lxc-start -d" lxc-start -n c1 -d -l DEBUG -o $LXCLOG || { tail -n 40 $LXCLOG; return; }
	wait_for 30 "c1 not RUNNING" lxc_state_is RUNNING || { tail -n 40 $LXCLOG; return; }
	timeout 30 lxc-info -n c1
	local pid
	pid=$(timeout 30 lxc-info -n c1 -p -H)
	sed "s/^/cgv1-info: lxc init cgroup: /" /proc/"$pid"/cgroup > /dev/console
	out=$(timeout 30 lxc-attach -n c1 -- cat /proc/self/cgroup) || { echo "$out"; fail "lxc-attach: rc=$?"; return; }
	echo "$out"
}

case_lxc_cgroup() {
	local pid
	check "lxc-cgroup set cpuset.cpus" lxc-cgroup -n c1 cpuset.cpus "$LAST_CPU" || return
	expect_eq "lxc-cgroup cpuset.cpus" "$(timeout 30 lxc-cgroup -n c1 cpuset.cpus)" "$LAST_CPU" || return
	pid=$(timeout 30 lxc-info -n c1 -p -H)
	grep -q "Cpus_allowed_list:[[:space:]]*$LAST_CPU\$" /proc/"$pid"/status || fail "container init's CPUs not confined to $LAST_CPU"
	timeout 30 lxc-cgroup -n c1 cpuacct.usage
}

case_lxc_freeze() {
	local st
	check "lxc-freeze" lxc-freeze -n c1 || return
	wait_for 20 "c1 not FROZEN" lxc_state_is FROZEN || return
	st=$(timeout 30 lxc-cgroup -n c1 freezer.state)
	expect_eq "freezer.state" "$st" FROZEN || return
	check "lxc-unfreeze" lxc-unfreeze -n c1 || return
	wait_for 20 "c1 not RUNNING after unfreeze" lxc_state_is RUNNING
}

case_lxc_stop_destroy() {
	check "lxc-stop" lxc-stop -n c1 -t 30 || return
	wait_for 20 "c1 not STOPPED" lxc_state_is STOPPED || return
	check "lxc-destroy" lxc-destroy -n c1 || return
	gone /var/lib/lxc/c1 || { fail "/var/lib/lxc/c1 left"; return; }
	local c left=""
	for c in cpuset cpuacct freezer; do
		left+=$(find "$(mnt_of $c)" -name 'lxc.payload.c1' 2>/dev/null)
	done
	[ -z "$left" ] || fail "groups left: $left"
}

# --------------------------------------------------------------------------- ns (ours)

# The ns controller (ours only; systemd mounts every controller of /proc/cgroups, so it is
# mounted here) names the group of new namespaces after the task's pid, and nothing removes
# such a group once its tasks are gone (systemd sets a release agent on name=systemd only).
# A later task with the same pid that makes new namespaces in the same group finds the name
# taken: this case makes that collision at once (a group named after the shell's own pid,
# then unshare in the same process) and wants unshare to work, as it does without ns.
case_ns_stale_group() {
	local ns=$CG/ns out
	if [ ! -d "$ns" ]; then
		echo "cgv1-info: ns-stale-group: no ns hierarchy, nothing to test" > /dev/console
		return 0
	fi
	echo "groups: $(find $ns -mindepth 1 -type d | wc -l)"
	out=$(timeout 30 sh -c "g=\$(sed -n 's/^[0-9]*:ns://p' /proc/self/cgroup); mkdir $ns\$g/\$\$ &&
		echo made $ns\$g/\$\$ && exec unshare -m sh -c 'grep :ns: /proc/self/cgroup'" 2>&1)
	local rc=$?
	echo "rc=$rc"; echo "$out"
	local made
	made=$(sed -n 's/^made //p' <<<"$out")
	[ -n "$made" ] && rmdir "$made"
	[ $rc -eq 0 ] || fail "unshare -m with a stale ns group of its pid: $(tail -n 1 <<<"$out")"
}

# The same collision as it comes on a running system: pids wrap (pid_max made small for the
# case, then put back) while services with PrivateTmp=yes start, each unsharing its mount
# namespace in a child of PID 1 (whose ns group is the root). Every service must succeed.
case_ns_pid_reuse_services() {
	local orig i n=90 fails=0 first=""
	orig=$(cat /proc/sys/kernel/pid_max)
	echo 400 > /proc/sys/kernel/pid_max || { fail "cannot set pid_max"; return; }
	for i in $(seq 1 $n); do
		if ! timeout 30 systemd-run --quiet --wait -p PrivateTmp=yes --unit=cgv1-pt$i true > /dev/null 2>&1; then
			fails=$((fails + 1))
			[ -n "$first" ] || first=cgv1-pt$i
		fi
	done
	echo "$orig" > /proc/sys/kernel/pid_max
	[ -d $CG/ns ] && echo "ns groups now: $(find $CG/ns -mindepth 1 -type d | wc -l)"
	if [ $fails -ne 0 ]; then
		systemctl status --no-pager -n 5 "$first"
		local res
		res=$(systemctl show -p Result -p ExecMainStatus --value "$first" | tr '\n' ' ')
		systemctl reset-failed 'cgv1-pt*' 2>/dev/null
		fail "$fails of $n PrivateTmp=yes services failed with pids wrapping at 400 (first: $first: $res)"
	fi
}

# --------------------------------------------------------------------------- main

echo "cgv1-clients-begin"
echo "cgv1-info: kernel $(uname -r); cpus $ONLINE_CPUS; nodes $ONLINE_NODES; case CPU $LAST_CPU node $LAST_NODE"
sed 's/^/cgv1-info: \/proc\/cgroups: /' /proc/cgroups
awk '$3 ~ /cgroup/ { print "cgv1-info: mount: " $2 " " $3 " " $4 }' /proc/mounts

run_case systemd-legacy-boot case_systemd_legacy
run_case systemd-running case_systemd_running
timeout 30 systemd-analyze time 2>&1 | sed 's/^/cgv1-info: systemd-analyze: /'
timeout 30 systemd-analyze critical-chain --no-pager multi-user.target 2>&1 | head -n 12 |
	sed 's/^/cgv1-info: critical-chain: /'
run_case systemd-cgls case_systemd_cgls
run_case systemd-run-stop case_systemd_run_stop
run_case systemd-release-agent case_systemd_release_agent
run_case systemd-cpu-accounting case_systemd_cpu_accounting
run_case systemd-cgtop case_systemd_cgtop
run_case systemd-delegate case_systemd_delegate
run_case getdelays-cgroupstats case_getdelays_cgroupstats

run_case cgtools-create-set-get case_cgtools_create_set_get
run_case cgtools-exec-classify case_cgtools_exec_classify
run_case cgtools-list case_cgtools_list
run_case cgtools-delete case_cgtools_delete

run_case crun-run case_crun_run
run_case crun-cgroup case_crun_cgroup
run_case crun-pause-resume case_crun_pause_resume
run_case crun-cpuacct case_crun_cpuacct
run_case crun-kill-delete case_crun_kill_delete

run_case lxc-execute case_lxc_execute
run_case lxc-start case_lxc_start
run_case lxc-cgroup case_lxc_cgroup
run_case lxc-freeze case_lxc_freeze
run_case lxc-stop-destroy case_lxc_stop_destroy

run_case ns-stale-group case_ns_stale_group
run_case ns-pid-reuse-services case_ns_pid_reuse_services
run_case systemd-daemon-reexec case_systemd_daemon_reexec
timeout 30 systemctl --failed --plain --no-legend 2>&1 | sed 's/^/cgv1-info: failed unit: /'
# The files of each hierarchy's root and of a new child, to compare the two kernels.
for m in $(awk '$3 == "cgroup" { print $2 }' /proc/mounts); do
	echo "cgv1-files: ${m##*/} root: $(ls "$m" | tr '\n' ' ')"
	if mkdir "$m/cgv1-files" 2>/dev/null; then
		echo "cgv1-files: ${m##*/} child: $(ls "$m/cgv1-files" | tr '\n' ' ')"
		rmdir "$m/cgv1-files"
	fi
done
# The ns hierarchy (ours only): the groups that namespace creation made during the run.
if [ -d $CG/ns ]; then
	echo "cgv1-info: ns groups: $(find $CG/ns -mindepth 1 -type d | wc -l)"
	find $CG/ns -mindepth 1 -type d | head -n 40 | while read -r d; do
		echo "cgv1-info: ns group: ${d#$CG/ns} procs: $(cat "$d/cgroup.procs" | tr '\n' ' ')"
	done
fi
# Kernel warnings and errors of the whole boot, for the report.
dmesg -l emerg,alert,crit,err,warn 2>&1 | tail -n 60 | sed 's/^/cgv1-dmesg: /'
echo "cgv1-clients-done"
