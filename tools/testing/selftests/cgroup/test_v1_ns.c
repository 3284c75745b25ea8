// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: the ns controller.
 *
 * When a task gets new namespaces (clone() with a CLONE_NEW* flag, or
 * unshare()), the kernel makes a child of its ns group named after its pid
 * and moves it there. A confined task (one in a cgroup namespace of its own,
 * as a container's are) keeps the 2.6.24 rules: making ns groups by hand
 * needs CAP_SYS_ADMIN and must be done under one's own ns group, and tasks
 * only move down from their ns group (EPERM otherwise). The host's
 * administrator (CAP_SYS_ADMIN, initial user and cgroup namespaces) makes
 * groups and moves tasks anywhere, even from an automatic group, as container
 * managers do.
 *
 * Linux had this controller from 2.6.24 to 2.6.37 and then dropped it: the C
 * implementation of the base kernel has no ns controller. There, /proc/cgroups
 * has no "ns" line, and every test here is skipped, saying so. The
 * expectations are the 2.6.2x behaviour described in the series' reference.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-ns")
#define AGENT "/tmp/cgv1-ns-agent.sh"
#define AGENT_LOG "/tmp/cgv1-ns-agent.log"
#define NO_NS "no ns controller in /proc/cgroups (the C implementation has none)"

/* The hierarchy id and group count of controller @ss, from /proc/cgroups. */
static int proc_cgroups(const char *ss, int *hier, int *num)
{
	char buf[4096], *l, *save, name[64];
	int h, n, enabled;

	if (read_text("/proc/cgroups", buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (sscanf(l, "%63s %d %d %d", name, &h, &n, &enabled) == 4 &&
		    !strcmp(name, ss)) {
			*hier = h;
			*num = n;
			return 0;
		}
	}
	return -1;
}

static int have_ns(void)
{
	int hier, num;

	return !proc_cgroups("ns", &hier, &num);
}

/*
 * The line of /proc/self/cgroup whose controller list is exactly @ctrls
 * ("ns", "cpuacct,ns"), with its newline, into @out; "" if there is none.
 */
static void own_line(const char *ctrls, char *out, size_t size)
{
	char buf[4096], key[64], *l, *save;

	out[0] = '\0';
	if (read_text("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return;
	snprintf(key, sizeof(key), ":%s:", ctrls);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, key)) {
			snprintf(out, size, "%s\n", l);
			return;
		}
	}
}

/* "<pid> <line>" of the calling task, written to @fd in one write. */
static int report(int fd, const char *ctrls)
{
	char line[512], msg[600];
	int len;

	own_line(ctrls, line, sizeof(line));
	len = snprintf(msg, sizeof(msg), "%d %s", getpid(), line);
	return write(fd, msg, len) == len ? 0 : 1;
}

/* Reads one report from @fd: the reporter's pid and its line. */
static int read_report(int fd, int *pid, char *line, size_t size)
{
	char msg[600], *sp;
	ssize_t len;

	len = read(fd, msg, sizeof(msg) - 1);
	if (len <= 0)
		return -1;
	msg[len] = '\0';
	sp = strchr(msg, ' ');
	if (!sp)
		return -1;
	*sp = '\0';
	*pid = atoi(msg);
	snprintf(line, size, "%s", sp + 1);
	return 0;
}

/* The ns hierarchy's id, or -1. */
static int ns_hier(void)
{
	int hier, num;

	return proc_cgroups("ns", &hier, &num) ? -1 : hier;
}

/* Removes every directory under @dir, deepest first (not @dir itself). */
static void remove_children(const char *dir)
{
	char path[4096];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		remove_children(path);
		rmdir(path);
	}
	closedir(d);
}

/* The number of directories directly under @dir, or -1. */
static int count_children(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* Waits for every child process; returns how many exited non-zero. */
static int reap_all(void)
{
	int status, bad = 0;

	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	return bad;
}

/* Drops CAP_SYS_ADMIN from the calling task's effective set. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

static pid_t do_clone3(uint64_t flags, pid_t set_tid)
{
	struct clone_args args = {
		.flags = flags,
		.exit_signal = SIGCHLD,
	};

	if (set_tid) {
		args.set_tid = (uintptr_t)&set_tid;
		args.set_tid_size = 1;
	}
	return syscall(SYS_clone3, &args, sizeof(args));
}

FIXTURE(ns) {
	int hier;
};

FIXTURE_SETUP(ns)
{
	if (!have_ns())
		SKIP(return, NO_NS);
	ASSERT_EQ(0, try_mount(MNT, "ns"));
	self->hier = ns_hier();
	ASSERT_LT(0, self->hier);
}

FIXTURE_TEARDOWN(ns)
{
	if (!have_ns())
		return;
	reap_all();
	remove_children(MNT);
	umount(MNT);
	unlink(AGENT_LOG);
}

/*
 * A child unshares @flags (with CLONE_NEWPID, its own child reports: the
 * first task of the new pid namespace); checks the reporter's line.
 */
static void check_unshare(struct __test_metadata *_metadata, int hier, int flags)
{
	char line[512], want[512];
	int fds[2], pid, status, reporter;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(fds[0]);
		if (unshare(flags))
			_exit(2);
		if (flags & CLONE_NEWPID) {
			pid_t c = fork();

			if (c < 0)
				_exit(3);
			if (!c)
				_exit(report(fds[1], "ns"));
			if (waitpid(c, &status, 0) != c || !WIFEXITED(status))
				_exit(4);
			_exit(WEXITSTATUS(status));
		}
		_exit(report(fds[1], "ns"));
	}
	close(fds[1]);
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* With a new pid namespace, the reporter is pid 1 there: it is in /<pid>. */
	ASSERT_EQ(!!(flags & CLONE_NEWPID), pid != reporter);
	snprintf(want, sizeof(want), "%d:ns:/%d\n", hier, pid);
	EXPECT_STREQ(want, line);
	/* The group stays after its last task exits; it has no task. */
	snprintf(want, sizeof(want), MNT "/%d/tasks", pid);
	EXPECT_FILE(want, "");
	snprintf(want, sizeof(want), MNT "/%d", pid);
	EXPECT_EQ(0, rmdir(want));
}

TEST_F(ns, unshare_uts)
{
	check_unshare(_metadata, self->hier, CLONE_NEWUTS);
}

TEST_F(ns, unshare_ipc)
{
	check_unshare(_metadata, self->hier, CLONE_NEWIPC);
}

TEST_F(ns, unshare_pid_child)
{
	check_unshare(_metadata, self->hier, CLONE_NEWPID);
}

TEST_F(ns, unshare_mnt)
{
	check_unshare(_metadata, self->hier, CLONE_NEWNS);
}

TEST_F(ns, unshare_user)
{
	check_unshare(_metadata, self->hier, CLONE_NEWUSER);
}

TEST_F(ns, no_new_namespace_no_group)
{
	char line[512], want[512];
	int fds[2], pid, reporter;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* unshare() without a namespace flag makes no group. */
		if (unshare(CLONE_FILES))
			_exit(2);
		_exit(report(fds[1], "ns"));
	}
	close(fds[1]);
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	EXPECT_EQ(0, reap_all());
	snprintf(want, sizeof(want), "%d:ns:/\n", self->hier);
	EXPECT_STREQ(want, line);
	EXPECT_EQ(0, count_children(MNT));
}

TEST_F(ns, nested_unshare)
{
	char line[512], want[512];
	int fds[2], pid, reporter, status;

	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pid_t c;

		if (unshare(CLONE_NEWUTS))
			_exit(2);
		c = fork();
		if (c < 0)
			_exit(3);
		if (!c) {
			if (unshare(CLONE_NEWIPC))
				_exit(2);
			_exit(report(fds[1], "ns"));
		}
		if (waitpid(c, &status, 0) != c || !WIFEXITED(status))
			_exit(4);
		_exit(WEXITSTATUS(status));
	}
	close(fds[1]);
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	EXPECT_EQ(0, reap_all());
	snprintf(want, sizeof(want), "%d:ns:/%d/%d\n", self->hier, pid, reporter);
	EXPECT_STREQ(want, line);
	snprintf(want, sizeof(want), MNT "/%d/%d", pid, reporter);
	EXPECT_EQ(0, rmdir(want));
	snprintf(want, sizeof(want), MNT "/%d", pid);
	EXPECT_EQ(0, rmdir(want));
}

static int clone_child(void *arg)
{
	return report(*(int *)arg, "ns");
}

TEST_F(ns, clone_newuts)
{
	static char stack[64 * 1024];	/* 16-byte aligned, as any array this size */
	char line[512], want[512];
	int fds[2], pid, reporter;

	ASSERT_EQ(0, pipe(fds));
	pid = clone(clone_child, stack + sizeof(stack), CLONE_NEWUTS | SIGCHLD, &fds[1]);
	ASSERT_LT(0, pid);
	close(fds[1]);
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	EXPECT_EQ(0, reap_all());
	EXPECT_EQ(pid, reporter);
	snprintf(want, sizeof(want), "%d:ns:/%d\n", self->hier, pid);
	EXPECT_STREQ(want, line);
	snprintf(want, sizeof(want), MNT "/%d", pid);
	EXPECT_EQ(0, rmdir(want));
}

/* A pid that no task has now, for clone3()'s set_tid. */
static pid_t free_pid(void)
{
	pid_t p;

	for (p = getpid() + 500; p < getpid() + 5000; p++)
		if (kill(p, 0) && errno == ESRCH)
			return p;
	return 0;
}

/*
 * A group with the name of a task that gets new namespaces is left by an
 * earlier task with the same pid (automatic groups stay): empty, it is used
 * again; holding a task, the new group is named "<pid>.1". Before that rule,
 * pids coming round again made clone() and unshare() fail with EEXIST on a
 * systemd machine, which mounts ns.
 */
TEST_F(ns, existing_name_reused_when_empty)
{
	char path[256], alt[256], want[512], line[512];
	int go[2], fds[2], pid, status, reporter, holder;
	pid_t p;

	/* clone: the child's empty group is used again. */
	p = free_pid();
	ASSERT_LT(0, p);
	snprintf(path, sizeof(path), MNT "/%d", p);
	ASSERT_EQ(0, mkdir(path, 0755));
	pid = do_clone3(CLONE_NEWUTS, p);
	if (!pid) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(p, pid);
	snprintf(want, sizeof(want), "%s/tasks", path);
	snprintf(line, sizeof(line), "%d\n", p);
	EXPECT_FILE(want, line);
	EXPECT_EQ(1, count_children(MNT));
	EXPECT_EQ(0, count_children(path));
	kill_and_reap(pid);
	ASSERT_EQ(0, rmdir(path));

	/* clone: a group of that name with a task in it is not used. */
	holder = fork();
	ASSERT_LE(0, holder);
	if (!holder) {
		pause();
		_exit(0);
	}
	p = free_pid();
	ASSERT_LT(0, p);
	snprintf(path, sizeof(path), MNT "/%d", p);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(want, sizeof(want), "%s/tasks", path);
	ASSERT_EQ(0, write_pid(want, holder));
	pid = do_clone3(CLONE_NEWUTS, p);
	if (!pid) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(p, pid);
	snprintf(alt, sizeof(alt), MNT "/%d.1/tasks", p);
	snprintf(line, sizeof(line), "%d\n", p);
	EXPECT_FILE(alt, line);
	snprintf(line, sizeof(line), "%d\n", holder);
	EXPECT_FILE(want, line);
	EXPECT_EQ(2, count_children(MNT));
	kill_and_reap(pid);
	kill_and_reap(holder);
	snprintf(alt, sizeof(alt), MNT "/%d.1", p);
	EXPECT_EQ(0, rmdir(alt));
	EXPECT_EQ(0, rmdir(path));

	/* unshare: the unsharer's empty group is used again. */
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c;

		if (read(go[0], &c, 1) != 1)
			_exit(3);
		if (unshare(CLONE_NEWUTS))
			_exit(2);
		_exit(report(fds[1], "ns"));
	}
	close(fds[1]);
	snprintf(path, sizeof(path), MNT "/%d", pid);
	ASSERT_EQ(0, mkdir(path, 0755));
	ASSERT_EQ(1, write(go[1], "x", 1));
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	snprintf(want, sizeof(want), "%d:ns:/%d\n", self->hier, pid);
	EXPECT_STREQ(want, line);
	EXPECT_EQ(0, count_children(path));
	EXPECT_EQ(1, count_children(MNT));
	EXPECT_EQ(0, rmdir(path));
	close(go[0]);
	close(go[1]);
	close(fds[0]);
}

/* A child that unshares and then waits for SIGKILL; its group is /<pid>. */
static pid_t parked_in_own_group(void)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (!pid) {
		if (unshare(CLONE_NEWUTS))
			_exit(2);
		if (write(fds[1], "x", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &c, 1) != 1) {
		kill_and_reap(pid);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

/* Two children, each parked in an automatic group of its own; 0, or -1 and none left. */
static int park_two(pid_t *a, pid_t *b)
{
	*a = parked_in_own_group();
	if (*a <= 0)
		return -1;
	*b = parked_in_own_group();
	if (*b <= 0) {
		kill_and_reap(*a);
		return -1;
	}
	return 0;
}

/*
 * In a child confined as a container's tasks are (its own cgroup namespace,
 * and so its own ns group): writes @pid to @path; exits with 0 or the errno.
 */
static int confined_write_pid(const char *path, pid_t pid)
{
	int child, status;

	child = fork();
	if (child < 0)
		return -1;
	if (!child) {
		if (unshare(CLONE_NEWCGROUP))
			_exit(200);
		_exit(-write_pid(path, pid));
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(ns, mkdir_only_under_own_group)
{
	char path[256];
	int pid, status;

	/* The parent is in the top group: any group is under it. */
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char own[256];

		/* A container's task: new namespaces, among them a cgroup namespace. */
		if (unshare(CLONE_NEWUTS | CLONE_NEWCGROUP))
			_exit(2);
		/* Outside its own group: a sibling, the top, a sibling's child. */
		if (mkdir(MNT "/x", 0755) != -1 || errno != EPERM)
			_exit(3);
		if (mkdir(MNT "/a/c", 0755) != -1 || errno != EPERM)
			_exit(4);
		/* Under its own group. */
		snprintf(own, sizeof(own), MNT "/%d/mine", getpid());
		if (mkdir(own, 0755))
			_exit(5);
		strcat(own, "/deeper");
		if (mkdir(own, 0755))
			_exit(6);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, access(MNT "/x", F_OK));
	snprintf(path, sizeof(path), MNT "/%d/mine/deeper", pid);
	EXPECT_EQ(0, access(path, F_OK));
}

TEST_F(ns, mkdir_needs_cap_sys_admin)
{
	int pid, status;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (drop_sys_admin())
			_exit(2);
		/* Still uid 0 and the directory's owner: only the capability is missing. */
		if (mkdir(MNT "/nocap", 0755) != -1)
			_exit(3);
		_exit(errno == EPERM ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(-1, access(MNT "/nocap", F_OK));
	EXPECT_EQ(0, mkdir(MNT "/withcap", 0755));
}

/* A confined writer moves a task only down from its ns group. */
TEST_F(ns, attach_only_down)
{
	char path[256], want[256];
	pid_t a, b;

	ASSERT_EQ(0, park_two(&a, &b));
	/* To a sibling's group. */
	snprintf(path, sizeof(path), MNT "/%d/tasks", a);
	EXPECT_EQ(EPERM, confined_write_pid(path, b));
	/* To an ancestor's. */
	EXPECT_EQ(EPERM, confined_write_pid(MNT "/tasks", b));
	EXPECT_EQ(EPERM, confined_write_pid(MNT "/cgroup.procs", b));
	/* Down into a descendant of its own group. */
	snprintf(path, sizeof(path), MNT "/%d/sub", b);
	ASSERT_EQ(0, mkdir(path, 0755));
	strcat(path, "/tasks");
	EXPECT_EQ(0, confined_write_pid(path, b));
	snprintf(want, sizeof(want), "%d\n", b);
	EXPECT_FILE(path, want);
	/* And not back up. */
	snprintf(path, sizeof(path), MNT "/%d/tasks", b);
	EXPECT_EQ(EPERM, confined_write_pid(path, b));
	kill_and_reap(a);
	kill_and_reap(b);
}

/*
 * What crun and LXC do on a systemd machine, which mounts ns: the manager
 * (here the test, the host's administrator) makes its own groups and moves
 * the container's first task, which clone() put in its automatic group, into
 * one of them; a manager that is itself in an automatic group does the same.
 */
TEST_F(ns, host_admin_places_tasks_anywhere)
{
	char path[256], want[256];
	int status;
	pid_t a, b, mgr;

	ASSERT_EQ(0, park_two(&a, &b));
	/* Out of its automatic group, into the manager's own. */
	ASSERT_EQ(0, mkdir(MNT "/payload", 0755));
	EXPECT_EQ(0, write_pid(MNT "/payload/cgroup.procs", b));
	snprintf(want, sizeof(want), "%d\n", b);
	EXPECT_FILE(MNT "/payload/tasks", want);
	/* Into a sibling's group, and back to the top. */
	snprintf(path, sizeof(path), MNT "/%d/tasks", a);
	EXPECT_EQ(0, write_pid(path, b));
	EXPECT_EQ(0, write_pid(MNT "/tasks", b));
	/* A manager in an automatic group of its own makes groups and moves tasks too. */
	mgr = fork();
	ASSERT_LE(0, mgr);
	if (!mgr) {
		if (unshare(CLONE_NEWUTS))
			_exit(2);
		if (mkdir(MNT "/lxc.payload", 0755))
			_exit(3);
		if (write_pid(MNT "/lxc.payload/cgroup.procs", b))
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(mgr, waitpid(mgr, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_FILE(MNT "/lxc.payload/tasks", want);
	kill_and_reap(a);
	kill_and_reap(b);
}

TEST_F(ns, release_agent_for_automatic_group)
{
	char path[256], fired[256];
	char buf[4096] = "";
	int fd, pid, i, status;

	ASSERT_EQ(0, umount(MNT));
	for (i = 0; i < 500 && ns_hier() != 0; i++)
		usleep(10000);
	fd = open(AGENT, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "#!/bin/sh\necho \"$1\" >> %s\n", AGENT_LOG));
	close(fd);
	unlink(AGENT_LOG);
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0, "ns,release_agent=" AGENT));
	ASSERT_EQ(0, write_text(MNT "/notify_on_release", "1"));
	pid = parked_in_own_group();
	ASSERT_LT(0, pid);
	/* The automatic group inherits the flag. */
	snprintf(path, sizeof(path), MNT "/%d/notify_on_release", pid);
	EXPECT_FILE(path, "1\n");
	usleep(100000);
	EXPECT_EQ(-ENOENT, read_text(AGENT_LOG, buf, sizeof(buf)));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	snprintf(fired, sizeof(fired), "/%d\n", pid);
	for (i = 0; i < 150; i++) {
		if (read_text(AGENT_LOG, buf, sizeof(buf)) > 0 && !strcmp(buf, fired))
			break;
		usleep(20000);
	}
	EXPECT_STREQ(fired, buf);
	snprintf(path, sizeof(path), MNT "/%d", pid);
	EXPECT_EQ(0, rmdir(path));
	unlink(AGENT);
}

TEST(with_cpuacct)
{
	char line[512], want[512], path[256], buf[64];
	int fds[2], pid, reporter, hier, num;
	unsigned long long usage = 0;
	char *end;

	if (!have_ns())
		SKIP(return, NO_NS);
	ASSERT_EQ(0, try_mount(MNT, "ns,cpuacct"));
	ASSERT_EQ(0, proc_cgroups("ns", &hier, &num));
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct timespec t0, t;

		if (unshare(CLONE_NEWUTS))
			_exit(2);
		/* About 200 ms of CPU time, in the new group. */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		do
			clock_gettime(CLOCK_MONOTONIC, &t);
		while ((t.tv_sec - t0.tv_sec) * 1000000000LL +
		       t.tv_nsec - t0.tv_nsec < 200000000LL);
		_exit(report(fds[1], "cpuacct,ns"));
	}
	close(fds[1]);
	EXPECT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	EXPECT_EQ(0, reap_all());
	snprintf(want, sizeof(want), "%d:cpuacct,ns:/%d\n", hier, pid);
	EXPECT_STREQ(want, line);
	/* The automatic group has cpuacct state, charged with the child's time. */
	snprintf(path, sizeof(path), MNT "/%d/cpuacct.usage", pid);
	EXPECT_LT(0, read_text(path, buf, sizeof(buf)));
	usage = strtoull(buf, &end, 10);
	EXPECT_STREQ("\n", end);
	EXPECT_LT(50000000ULL, usage);
	snprintf(path, sizeof(path), MNT "/%d", pid);
	EXPECT_EQ(0, rmdir(path));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_num_cgroups("ns", 1));
}

/*
 * Groups are named after the task's pid as seen from the pid namespace of the
 * task that made the hierarchy: made by pid 1 of a new pid namespace, the
 * group of pid 1's own unshare() is "1", not its number in the initial
 * namespace.
 */
TEST(named_in_the_makers_pid_namespace)
{
	int hier, num, fds[2], pid, reporter, status;
	char line[512], want[64];

	if (!have_ns())
		SKIP(return, NO_NS);
	ASSERT_EQ(0, proc_cgroups("ns", &hier, &num));
	ASSERT_EQ(0, hier) TH_LOG("ns is mounted already");
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pid_t init;

		close(fds[0]);
		if (unshare(CLONE_NEWPID))
			_exit(2);
		init = fork();
		if (init < 0)
			_exit(3);
		if (!init) {
			/* Pid 1 of the new namespace makes the hierarchy. */
			if (getpid() != 1 || try_mount(MNT, "ns") || unshare(CLONE_NEWUTS))
				_exit(4);
			_exit(report(fds[1], "ns") ? 5 : 0);
		}
		if (waitpid(init, &status, 0) != init || !WIFEXITED(status))
			_exit(6);
		_exit(WEXITSTATUS(status));
	}
	close(fds[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	EXPECT_EQ(1, reporter);
	hier = ns_hier();
	ASSERT_LT(0, hier);
	snprintf(want, sizeof(want), "%d:ns:/1\n", hier);
	EXPECT_STREQ(want, line);
	/* The mount is in the shared mount namespace: it outlived its maker. */
	EXPECT_EQ(0, rmdir(MNT "/1"));
	EXPECT_EQ(0, umount(MNT));
}

TEST(not_mounted_creates_nothing)
{
	static char stack[64 * 1024];	/* 16-byte aligned, as any array this size */
	int hier, num, fds[2], pid, reporter;
	char line[512];

	if (!have_ns())
		SKIP(return, NO_NS);
	ASSERT_EQ(0, proc_cgroups("ns", &hier, &num));
	ASSERT_EQ(0, hier) TH_LOG("ns is mounted already");
	ASSERT_EQ(1, num);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(unshare(CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS) ? 2 : 0);
	ASSERT_EQ(0, pipe(fds));
	pid = clone(clone_child, stack + sizeof(stack), CLONE_NEWUTS | SIGCHLD, &fds[1]);
	ASSERT_LT(0, pid);
	close(fds[1]);
	ASSERT_EQ(0, read_report(fds[0], &reporter, line, sizeof(line)));
	close(fds[0]);
	EXPECT_EQ(0, reap_all());
	EXPECT_STREQ("", line);
	ASSERT_EQ(0, proc_cgroups("ns", &hier, &num));
	EXPECT_EQ(0, hier);
	EXPECT_EQ(1, num);
	/* Mounted now: still only the top group. */
	ASSERT_EQ(0, try_mount(MNT, "ns"));
	EXPECT_EQ(0, count_children(MNT));
	EXPECT_EQ(0, umount(MNT));
}

#define STRESS_WORKERS 6
#define STRESS_SECONDS 3

/* Forks children that unshare and exit, until @stop passes. */
static int stress_worker(time_t stop)
{
	int status, bad = 0;

	while (time(NULL) < stop) {
		pid_t c = fork();

		if (c < 0)
			continue;
		if (!c) {
			/*
			 * EEXIST: a removed-too-late group of a task that had this pid;
			 * 0 otherwise, mounted or not.
			 */
			if (unshare(CLONE_NEWUTS | (getpid() & 1 ? CLONE_NEWIPC : 0)) &&
			    errno != EEXIST)
				_exit(1);
			_exit(0);
		}
		if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	return bad ? 1 : 0;
}

TEST(stress_unshare_remount_rmdir)
{
	time_t stop;
	int i, hier, num, rounds = 0;

	if (!have_ns())
		SKIP(return, NO_NS);
	ASSERT_EQ(0, try_mount(MNT, "ns"));
	stop = time(NULL) + STRESS_SECONDS;
	for (i = 0; i < STRESS_WORKERS; i++) {
		pid_t w = fork();

		ASSERT_LE(0, w);
		if (!w)
			_exit(stress_worker(stop));
	}
	while (time(NULL) < stop) {
		int ret;

		remove_children(MNT);
		/* EBUSY while groups exist, else a no-op remount. */
		ret = mount("none", MNT, "cgroup", MS_REMOUNT, "ns");
		if (ret && errno != EBUSY) {
			EXPECT_EQ(0, ret) TH_LOG("remount: %s", strerror(errno));
			break;
		}
		/* Now and then, unmount: the hierarchy lives on with its groups, or goes. */
		if (++rounds % 8 == 0) {
			EXPECT_EQ(0, umount(MNT));
			EXPECT_EQ(0, try_mount(MNT, "ns"));
		}
	}
	EXPECT_EQ(0, reap_all());
	remove_children(MNT);
	EXPECT_EQ(0, count_children(MNT));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_num_cgroups("ns", 1));
	ASSERT_EQ(0, proc_cgroups("ns", &hier, &num));
	EXPECT_EQ(0, hier);
	TH_LOG("%d rounds", rounds);
}

TEST_HARNESS_MAIN
