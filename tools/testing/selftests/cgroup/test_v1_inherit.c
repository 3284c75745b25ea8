// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: <controller>.inherit, in hierarchies mounted with "inherit" (the
 * Rust core; C's version 1 has no such option: every test skips there).
 *
 * A group whose <controller>.inherit is 1 shares its parent's state of that
 * controller: its tasks are confined, charged and frozen by the parent's
 * state, the controller's files in the group show the parent's values and
 * refuse writes (EBUSY). Setting or clearing the flag moves the group's
 * tasks between states as an attach does, all or nothing.
 *
 * The tree: P (one CPU, one memory node), its children A, B and C, and D
 * under the top group. The roadmap's case: separate CPU accounting for A, B
 * and C, one shared cpuset for the three.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-inherit")
#define OPTS "cpuset,cpuacct,freezer,inherit"
#define P MNT "/P"
#define NWORKERS 4
#define WAIT_MS 20000

/* Heartbeats of the workers, in memory shared with them (atomic accesses). */
static unsigned long *beats;
static pid_t workers[NWORKERS];

/* Whether controller @ss is bound to no hierarchy (/proc/cgroups). */
static int unbound(const char *ss)
{
	char line[128], want[64];

	snprintf(want, sizeof(want), "%s\t0\t1\t", ss);
	return !find_line("/proc/cgroups", want, line, sizeof(line));
}

/* Worker @w: moves itself to the tasks file @tasks, then beats every 10 ms. */
static int start_worker(int w, const char *tasks)
{
	int p[2];
	char c = 0;

	if (pipe(p))
		return -1;
	fflush(NULL);
	workers[w] = fork();
	if (!workers[w]) {
		close(p[0]);
		if (write_text(tasks, "0") || write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;) {
			__atomic_add_fetch(&beats[w], 1, __ATOMIC_RELAXED);
			usleep(10000);
		}
	}
	close(p[1]);
	if (workers[w] < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return 0;
}

/* Whether worker @w beats (@alive) or not, over 300 ms; waits up to WAIT_MS. */
static int beating(int w, int alive)
{
	long long end = now_ms() + WAIT_MS;
	unsigned long before;

	do {
		before = __atomic_load_n(&beats[w], __ATOMIC_RELAXED);
		usleep(300000);
		if ((__atomic_load_n(&beats[w], __ATOMIC_RELAXED) != before) == alive)
			return 1;
	} while (now_ms() < end);
	return 0;
}

/* Worker @w's "Cpus_allowed_list:\t..." line, in @line. */
static int cpus_allowed(int w, char *line, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", workers[w]);
	return find_line(path, "Cpus_allowed_list:", line, size);
}

/* Whether worker @w's CPUs are the list @cpus ("0-1\n", as cpuset.cpus shows it). */
static int affinity_is(int w, const char *cpus)
{
	char line[128], want[128];

	if (cpus_allowed(w, line, sizeof(line)))
		return 0;
	snprintf(want, sizeof(want), "Cpus_allowed_list:\t%s", cpus);
	want[strlen(want) - 1] = '\0';
	return !strcmp(line, want);
}

/* Runs a process in the group of tasks file @tasks for 50 ms of CPU time. */
static int spin_in(const char *tasks)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (!pid) {
		long long start, ns;
		struct timespec ts;

		if (write_text(tasks, "0"))
			_exit(1);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		start = ts.tv_sec * 1000000000LL + ts.tv_nsec;
		do {
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
			ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
		} while (ns - start < 50000000);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static unsigned long long read_ull(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return ~0ULL;
	return strtoull(buf, NULL, 10);
}

/* The first two CPUs of the list @list ("0-3", "0,2"); the second is -1 if none. */
static void first_two(const char *list, int *a, int *b)
{
	char *end;

	*a = strtol(list, &end, 10);
	*b = -1;
	if (*end == '-')
		*b = *a + 1;
	else if (*end == ',')
		*b = strtol(end + 1, NULL, 10);
}

static const char *const groups[] = {
	MNT "/D", P, P "/A", P "/B", P "/C",
};

FIXTURE(inherit) {
	char cpus[64];		/* P's CPU, "<n>\n" */
	char cpus2[64];		/* another CPU of the machine, "" if none */
	char mems[64];		/* P's node, "<n>\n" */
};

FIXTURE_SETUP(inherit)
{
	char buf[256];
	int a, b, ret;
	size_t i;

	memset(workers, 0, sizeof(workers));
	if (!unbound("cpuacct") || !unbound("cpuset") || !unbound("freezer"))
		SKIP(return, "cpuacct, cpuset or freezer is mounted elsewhere");
	beats = mmap(NULL, sizeof(*beats) * NWORKERS, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, beats);
	ret = try_mount(MNT, OPTS);
	if (ret == -EINVAL)
		SKIP(return, "no inherit mount option (C's version 1)");
	ASSERT_EQ(0, ret);
	for (i = 0; i < ARRAY_SIZE(groups); i++)
		ASSERT_EQ(0, mkdir(groups[i], 0755)) TH_LOG("%s", groups[i]);
	/* The machine's topology: P gets its first CPU and first node. */
	ASSERT_LT(0, read_text(MNT "/cpuset.cpus", buf, sizeof(buf)));
	first_two(buf, &a, &b);
	snprintf(self->cpus, sizeof(self->cpus), "%d\n", a);
	self->cpus2[0] = '\0';
	if (b >= 0)
		snprintf(self->cpus2, sizeof(self->cpus2), "%d\n", b);
	ASSERT_LT(0, read_text(MNT "/cpuset.mems", buf, sizeof(buf)));
	first_two(buf, &a, &b);
	snprintf(self->mems, sizeof(self->mems), "%d\n", a);
	ASSERT_EQ(0, write_text(P "/cpuset.cpus", self->cpus));
	ASSERT_EQ(0, write_text(P "/cpuset.mems", self->mems));
}

FIXTURE_TEARDOWN(inherit)
{
	int i;

	for (i = 0; i < NWORKERS; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGKILL);
	for (i = 0; i < NWORKERS; i++)
		if (workers[i] > 0 && waitpid(workers[i], NULL, 0) != workers[i])
			TH_LOG("worker %d not reaped", i);
	/* A test that stopped with P's CPU offline. */
	if (self->cpus2[0]) {
		char online[96], buf[8];

		snprintf(online, sizeof(online), "/sys/devices/system/cpu/cpu%d/online",
			 atoi(self->cpus2));
		if (read_text(online, buf, sizeof(buf)) > 0 && buf[0] == '0' &&
		    write_text(online, "1"))
			TH_LOG("cannot bring CPU %d back online", atoi(self->cpus2));
	}
	if (!access(P "/freezer.state", F_OK) && write_text(P "/freezer.state", "THAWED"))
		TH_LOG("cannot thaw P");
	rmdir(P "/A/x");
	rmdir(P "/B/y");
	for (i = ARRAY_SIZE(groups) - 1; i >= 0; i--)
		if (rmdir(groups[i]) && errno != ENOENT)
			TH_LOG("rmdir %s: %s", groups[i], strerror(errno));
	if (umount(MNT))
		TH_LOG("umount: %s", strerror(errno));
	if (beats != MAP_FAILED && beats)
		munmap(beats, sizeof(*beats) * NWORKERS);
}

TEST_F(inherit, files)
{
	char line[256];

	ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT " ", line, sizeof(line)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,cpuset,cpuacct,freezer,inherit 0 0", line);
	/* Not on the top group; on every other, one per controller, 0 at first. */
	EXPECT_EQ(-1, access(MNT "/cpuset.inherit", F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_FILE(P "/cpuset.inherit", "0\n");
	EXPECT_FILE(P "/cpuacct.inherit", "0\n");
	EXPECT_FILE(P "/freezer.inherit", "0\n");
	EXPECT_FILE(P "/A/cpuset.inherit", "0\n");
	/* 0 or 1, nothing else. */
	EXPECT_EQ(-EINVAL, write_text(P "/A/cpuset.inherit", "2"));
	EXPECT_EQ(-EINVAL, write_text(P "/A/cpuset.inherit", "yes"));
	EXPECT_EQ(-EINVAL, write_text(P "/A/cpuset.inherit", "-1"));
	EXPECT_FILE(P "/A/cpuset.inherit", "0\n");
	/* A's own cpuset, without clone_children, has no CPU. */
	EXPECT_FILE(P "/A/cpuset.cpus", "\n");

	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1\n"));
	EXPECT_FILE(P "/A/cpuset.inherit", "1\n");
	/* Writing the same value again changes nothing. */
	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1"));
	/* A shows P's cpuset and cannot change it. */
	EXPECT_FILE(P "/A/cpuset.cpus", self->cpus);
	EXPECT_FILE(P "/A/cpuset.mems", self->mems);
	EXPECT_EQ(-EBUSY, write_text(P "/A/cpuset.cpus", self->cpus));
	EXPECT_EQ(-EBUSY, write_text(P "/A/cpuset.cpu_exclusive", "0"));
	EXPECT_FILE(P "/A/cpuset.cpus", self->cpus);
	/* Its other controllers are its own. */
	EXPECT_FILE(P "/A/cpuacct.inherit", "0\n");
	EXPECT_EQ(0, write_text(P "/A/cpuacct.usage", "0"));
	/* P's own change shows in A. */
	if (self->cpus2[0]) {
		ASSERT_EQ(0, write_text(P "/cpuset.cpus", self->cpus2));
		EXPECT_FILE(P "/A/cpuset.cpus", self->cpus2);
	}
	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "0"));
	EXPECT_FILE(P "/A/cpuset.inherit", "0\n");
	/* A new state of its own, without clone_children: no CPU. */
	EXPECT_FILE(P "/A/cpuset.cpus", "\n");
	EXPECT_EQ(0, write_text(P "/A/cpuset.mems", self->mems));
}

/* The roadmap's case: one cpuset for A, B and C, CPU time charged to each. */
TEST_F(inherit, shared_cpuset_separate_accounting)
{
	static const char *const kids[] = { P "/A", P "/B", P "/C" };
	char path[96], want[128];
	unsigned long long a, b, c, p;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/cpuset.inherit", kids[i]);
		ASSERT_EQ(0, write_text(path, "1"));
	}
	ASSERT_EQ(0, spin_in(P "/A/tasks"));
	a = read_ull(P "/A/cpuacct.usage");
	b = read_ull(P "/B/cpuacct.usage");
	c = read_ull(P "/C/cpuacct.usage");
	p = read_ull(P "/cpuacct.usage");
	EXPECT_LE(50000000ULL, a);
	EXPECT_EQ(0ULL, b);
	EXPECT_EQ(0ULL, c);
	EXPECT_LE(a, p);

	/* A process in B is confined by P's cpuset and stays in group B. */
	ASSERT_EQ(0, start_worker(0, P "/B/tasks"));
	EXPECT_TRUE(affinity_is(0, self->cpus));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", workers[0]);
	/* The cpuset it is in is P's. */
	EXPECT_FILE(path, "/P\n");
	snprintf(want, sizeof(want), "%d\n", workers[0]);
	EXPECT_FILE(P "/B/tasks", want);
	EXPECT_FILE(P "/tasks", "");

	/* P's tasks include B's: P's CPUs cannot go while B has a process. */
	EXPECT_EQ(-ENOSPC, write_text(P "/cpuset.cpus", "\n"));
	EXPECT_FILE(P "/cpuset.cpus", self->cpus);

	/* A change of P's CPUs reaches B's process. */
	if (!self->cpus2[0])
		SKIP(return, "one CPU: no change of P's CPUs to follow");
	ASSERT_EQ(0, write_text(P "/cpuset.cpus", self->cpus2));
	EXPECT_TRUE(affinity_is(0, self->cpus2));
	EXPECT_FILE(P "/C/cpuset.cpus", self->cpus2);
}

/* Setting and clearing move the tasks, all or nothing. */
TEST_F(inherit, switching_moves_tasks)
{
	char both[64], want[64];
	int a, b;

	/* With two CPUs, P gets both, and A's own cpuset one of them. */
	if (self->cpus2[0]) {
		a = atoi(self->cpus);
		b = atoi(self->cpus2);
		snprintf(both, sizeof(both), "%d,%d\n", a, b);
		ASSERT_EQ(0, write_text(P "/cpuset.cpus", both));
		ASSERT_LT(0, read_text(P "/cpuset.cpus", both, sizeof(both)));
	} else {
		snprintf(both, sizeof(both), "%s", self->cpus);
	}
	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1"));
	ASSERT_EQ(0, start_worker(0, P "/A/tasks"));
	snprintf(want, sizeof(want), "%d\n", workers[0]);
	EXPECT_TRUE(affinity_is(0, both));

	/* A new cpuset of A would have no CPU: its process cannot move there. */
	EXPECT_EQ(-ENOSPC, write_text(P "/A/cpuset.inherit", "0"));
	EXPECT_FILE(P "/A/cpuset.inherit", "1\n");
	EXPECT_FILE(P "/A/cpuset.cpus", both);
	EXPECT_FILE(P "/A/tasks", want);
	EXPECT_TRUE(affinity_is(0, both));
	EXPECT_EQ(-EBUSY, write_text(P "/A/cpuset.cpus", self->cpus));

	/* With clone_children, A's new cpuset copies P's: the move is allowed. */
	ASSERT_EQ(0, write_text(P "/A/cgroup.clone_children", "1"));
	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "0"));
	EXPECT_FILE(P "/A/cpuset.inherit", "0\n");
	EXPECT_FILE(P "/A/cpuset.cpus", both);
	EXPECT_FILE(P "/A/tasks", want);
	/* A's own now: it confines A's process alone. */
	ASSERT_EQ(0, write_text(P "/A/cpuset.cpus", self->cpus));
	EXPECT_FILE(P "/A/cpuset.cpus", self->cpus);
	EXPECT_FILE(P "/cpuset.cpus", both);
	EXPECT_TRUE(affinity_is(0, self->cpus));
	/* Shared again: the process moves to P's cpuset and gets its CPUs. */
	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1"));
	EXPECT_FILE(P "/A/cpuset.inherit", "1\n");
	EXPECT_FILE(P "/A/cpuset.cpus", both);
	EXPECT_TRUE(affinity_is(0, both));
	EXPECT_FILE(P "/A/tasks", want);
	EXPECT_TRUE(beating(0, 1));
}

/* The children of a sharing group share too; only leaves switch. */
TEST_F(inherit, children)
{
	char top[256];

	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1"));
	ASSERT_EQ(0, mkdir(P "/A/x", 0755));
	EXPECT_FILE(P "/A/x/cpuset.inherit", "1\n");
	EXPECT_FILE(P "/A/x/cpuacct.inherit", "0\n");
	EXPECT_FILE(P "/A/x/cpuset.cpus", self->cpus);
	EXPECT_EQ(-EBUSY, write_text(P "/A/x/cpuset.inherit", "0"));
	EXPECT_EQ(-EBUSY, write_text(P "/A/x/cpuset.cpus", self->cpus));
	EXPECT_EQ(-EBUSY, write_text(P "/A/cpuset.inherit", "0"));
	EXPECT_FILE(P "/A/cpuset.inherit", "1\n");
	/* A group with a child keeps its own state. */
	ASSERT_EQ(0, mkdir(P "/B/y", 0755));
	EXPECT_EQ(-EBUSY, write_text(P "/B/cpuset.inherit", "1"));
	EXPECT_FILE(P "/B/cpuset.inherit", "0\n");
	/* A process in x is confined by P's cpuset. */
	ASSERT_EQ(0, start_worker(0, P "/A/x/tasks"));
	EXPECT_TRUE(beating(0, 1));
	kill_and_reap(workers[0]);
	workers[0] = 0;
	EXPECT_EQ(0, rmdir(P "/A/x"));
	EXPECT_EQ(0, rmdir(P "/B/y"));
	EXPECT_EQ(0, write_text(P "/A/cpuset.inherit", "0"));
	EXPECT_EQ(0, write_text(P "/B/cpuset.inherit", "1"));
	/* The top group's state can be shared too. */
	EXPECT_EQ(0, write_text(MNT "/D/cpuset.inherit", "1"));
	ASSERT_LT(0, read_text(MNT "/cpuset.cpus", top, sizeof(top)));
	EXPECT_FILE(MNT "/D/cpuset.cpus", top);
	EXPECT_EQ(-EBUSY, write_text(MNT "/D/cpuset.cpus", top));
}

/* A sharing group's tasks freeze and thaw with the parent's state. */
TEST_F(inherit, freezer)
{
	ASSERT_EQ(0, write_text(P "/A/freezer.inherit", "1"));
	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1"));
	ASSERT_EQ(0, start_worker(0, P "/A/tasks"));
	ASSERT_TRUE(beating(0, 1));

	ASSERT_EQ(0, write_text(P "/freezer.state", "FROZEN"));
	ASSERT_EQ(0, wait_file(P "/freezer.state", "FROZEN\n", WAIT_MS));
	EXPECT_TRUE(beating(0, 0));
	EXPECT_FILE(P "/A/freezer.state", "FROZEN\n");
	EXPECT_EQ(-EBUSY, write_text(P "/A/freezer.state", "THAWED"));

	/* A state of its own is made parent-frozen, as a new child of P would be. */
	ASSERT_EQ(0, write_text(P "/A/freezer.inherit", "0"));
	EXPECT_FILE(P "/A/freezer.inherit", "0\n");
	EXPECT_TRUE(beating(0, 0));
	EXPECT_EQ(0, wait_file(P "/A/freezer.state", "FROZEN\n", WAIT_MS));
	ASSERT_EQ(0, write_text(P "/freezer.state", "THAWED"));
	EXPECT_TRUE(beating(0, 1));
	EXPECT_FILE(P "/A/freezer.state", "THAWED\n");

	/* A frozen alone; shared again, its process moves to P's thawed state and runs. */
	ASSERT_EQ(0, write_text(P "/A/freezer.state", "FROZEN"));
	EXPECT_TRUE(beating(0, 0));
	ASSERT_EQ(0, write_text(P "/A/freezer.inherit", "1"));
	EXPECT_TRUE(beating(0, 1));
	EXPECT_FILE(P "/A/freezer.state", "THAWED\n");
	/* And freezes and thaws with P again. */
	ASSERT_EQ(0, write_text(P "/freezer.state", "FROZEN"));
	EXPECT_TRUE(beating(0, 0));
	ASSERT_EQ(0, wait_file(P "/A/freezer.state", "FROZEN\n", WAIT_MS));
	ASSERT_EQ(0, write_text(P "/freezer.state", "THAWED"));
	EXPECT_TRUE(beating(0, 1));
}

/* A remount that removes a controller forgets the sharing; adding it back starts at 0. */
TEST_F(inherit, rebinding)
{
	char want[64];

	ASSERT_EQ(0, write_text(P "/A/cpuset.inherit", "1"));
	ASSERT_EQ(0, write_text(P "/A/cpuacct.inherit", "1"));
	ASSERT_EQ(0, write_text(MNT "/D/cpuacct.inherit", "1"));
	ASSERT_EQ(0, write_text(MNT "/D/cpuset.inherit", "1"));
	ASSERT_EQ(0, start_worker(0, P "/A/tasks"));
	ASSERT_EQ(0, start_worker(1, MNT "/D/tasks"));

	ASSERT_EQ(0, mount("none", MNT, "cgroup", MS_REMOUNT, "cpuset,freezer,inherit"));
	EXPECT_EQ(-1, access(P "/A/cpuacct.inherit", F_OK));
	EXPECT_EQ(-1, access(MNT "/D/cpuacct.usage", F_OK));
	EXPECT_FILE(P "/A/cpuset.inherit", "1\n");
	ASSERT_EQ(0, mount("none", MNT, "cgroup", MS_REMOUNT, OPTS));
	EXPECT_FILE(P "/A/cpuacct.inherit", "0\n");
	EXPECT_FILE(MNT "/D/cpuacct.inherit", "0\n");
	EXPECT_FILE(P "/A/cpuset.inherit", "1\n");
	snprintf(want, sizeof(want), "%d\n", workers[0]);
	EXPECT_FILE(P "/A/tasks", want);
	EXPECT_TRUE(beating(0, 1));
	EXPECT_TRUE(beating(1, 1));
	ASSERT_EQ(0, spin_in(P "/A/tasks"));
	EXPECT_LE(50000000ULL, read_ull(P "/A/cpuacct.usage"));
	EXPECT_EQ(0ULL, read_ull(P "/B/cpuacct.usage"));
}

/* Whether @pid is listed in the tasks file @path. */
static int in_tasks(const char *path, pid_t pid)
{
	static int ids[4096];
	int i, n = read_ids(path, ids, 4096);

	for (i = 0; i < n; i++)
		if (ids[i] == pid)
			return 1;
	return 0;
}

/* Whether CPU @cpu can go offline and come back (CONFIG_HOTPLUG_CPU, not CPU 0). */
static int cpu_online_file(int cpu, char *path, size_t size)
{
	snprintf(path, size, "/sys/devices/system/cpu/cpu%d/online", cpu);
	return !access(path, W_OK);
}

/*
 * CPU hotplug empties P's cpuset: the processes of the groups that share it
 * move to the nearest ancestor with CPUs, as those of P would.
 */
TEST_F(inherit, cpu_offline_moves_sharing_groups_up)
{
	char online[96], path[64];
	int hot;

	if (!self->cpus2[0])
		SKIP(return, "one CPU: none can go offline");
	hot = atoi(self->cpus2);
	if (!cpu_online_file(hot, online, sizeof(online)))
		SKIP(return, "CPU %d cannot go offline (no CONFIG_HOTPLUG_CPU?)", hot);
	ASSERT_EQ(0, write_text(P "/cpuset.cpus", self->cpus2));
	ASSERT_EQ(0, write_text(P "/B/cpuset.inherit", "1"));
	ASSERT_EQ(0, start_worker(0, P "/B/tasks"));
	EXPECT_TRUE(affinity_is(0, self->cpus2));

	ASSERT_EQ(0, write_text(online, "0"));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", workers[0]);
	EXPECT_EQ(0, wait_file(path, "/\n", WAIT_MS));
	EXPECT_FILE(P "/B/tasks", "");
	EXPECT_TRUE(in_tasks(MNT "/tasks", workers[0]));
	EXPECT_FILE(P "/cpuset.cpus", "\n");
	ASSERT_EQ(0, write_text(online, "1"));
	EXPECT_TRUE(beating(0, 1));
}

TEST_HARNESS_MAIN
