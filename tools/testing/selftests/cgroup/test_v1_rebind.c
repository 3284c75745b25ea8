// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: a remount that adds controllers to, or removes them from, a
 * hierarchy that has child groups with tasks.
 *
 * C's version 1 refuses it (EBUSY, "remounting is not allowed for populated
 * hierarchies"): there every test but the first is skipped. In the Rust core
 * the controller gets a state in every group, parents first (cpuset copies
 * its parent's masks under clone_children), and every task is attached to
 * its group's state; removing it attaches every task to the root state again
 * (a frozen task is thawed, a confined one gets every CPU back). A refusal
 * leaves the hierarchy as it was.
 *
 * The tree: 10 groups g<i> of 9 children k<j> each, 100 groups, one worker
 * process in each, which counts its heartbeats in shared memory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
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

#define MNT CGV1_DIR("cgv1-rebind")
#define NAME "name=cgv1rebind"
#define NTOP 10
#define NKIDS 9
#define NGROUPS (NTOP * (NKIDS + 1))
#define WAIT_MS 20000

/* The heartbeats of the workers, in memory shared with them (atomic accesses). */
static unsigned long *beats;
static pid_t workers[NGROUPS];

/* The path of group @i below the mount point: g<t> or g<t>/k<k>. */
static void group_path(int i, char *buf, size_t size)
{
	int t = i / (NKIDS + 1), k = i % (NKIDS + 1);

	if (k)
		snprintf(buf, size, "/g%d/k%d", t, k - 1);
	else
		snprintf(buf, size, "/g%d", t);
}

static void group_file(int i, const char *file, char *buf, size_t size)
{
	char path[64];

	group_path(i, path, sizeof(path));
	snprintf(buf, size, MNT "%s/%s", path, file);
}

static int remount(const char *opts)
{
	return mount("none", MNT, "cgroup", MS_REMOUNT, opts) ? -errno : 0;
}

/* The line of @ss in /proc/cgroups, without its last field (enabled). */
static int cgroups_line(const char *ss, char *out, size_t size)
{
	char buf[4096], *l, *save;
	size_t len = strlen(ss);

	if (read_text("/proc/cgroups", buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, ss, len) || l[len] != '\t')
			continue;
		*strrchr(l, '\t') = '\0';
		snprintf(out, size, "%s", l);
		return 0;
	}
	return -1;
}

/* Whether controller @ss is bound to no hierarchy. */
static int unbound(const char *ss)
{
	char line[64], want[64];

	snprintf(want, sizeof(want), "%s\t0\t1", ss);
	return !cgroups_line(ss, line, sizeof(line)) && !strcmp(line, want);
}

/* The id of the hierarchy, from this process's /proc/self/cgroup. */
static int hierarchy_id(void)
{
	char buf[4096], *p;

	if (read_text("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, NAME ":/\n");
	if (!p)
		return -1;
	while (p > buf && p[-1] != '\n')
		p--;
	return atoi(p);
}

/* Whether /proc/<worker i>/cgroup has the line "<id>:<ctrls>:<group path>". */
static int worker_in(int i, int id, const char *ctrls)
{
	char buf[4096], path[64], want[160];

	/* A newline first, so that every line of the file starts with one. */
	buf[0] = '\n';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", workers[i]);
	if (read_text(path, buf + 1, sizeof(buf) - 1) < 0)
		return 0;
	group_path(i, path, sizeof(path));
	snprintf(want, sizeof(want), "\n%d:%s:%s\n", id, ctrls, path);
	return !!strstr(buf, want);
}

/* The worker of group @i: moves itself there, then beats every 10 ms. */
static void worker(int i, int fd)
{
	char path[96];

	group_file(i, "tasks", path, sizeof(path));
	if (write_text(path, "0") || write(fd, "x", 1) != 1)
		_exit(1);
	for (;;) {
		__atomic_add_fetch(&beats[i], 1, __ATOMIC_RELAXED);
		usleep(10000);
	}
}

/* Whether each worker of [from, to) beats (@alive) or not, over 300 ms. */
static int beating(int from, int to, int alive)
{
	unsigned long before[NGROUPS];
	long long end = now_ms() + WAIT_MS;
	int i, ok;

	do {
		for (i = from; i < to; i++)
			before[i] = __atomic_load_n(&beats[i], __ATOMIC_RELAXED);
		usleep(300000);
		for (i = from, ok = 1; i < to; i++)
			ok &= (__atomic_load_n(&beats[i], __ATOMIC_RELAXED) != before[i]) == alive;
		if (ok)
			return 1;
	} while (now_ms() < end);
	return 0;
}

FIXTURE(rebind) {
	int id;
};

FIXTURE_SETUP(rebind)
{
	char path[96], c;
	int i, p[2];

	memset(workers, 0, sizeof(workers));
	if (!unbound("cpuacct") || !unbound("cpuset") || !unbound("freezer"))
		SKIP(return, "cpuacct, cpuset or freezer is mounted elsewhere");
	beats = mmap(NULL, sizeof(*beats) * NGROUPS, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, beats);
	ASSERT_EQ(0, make_mount_point(MNT));
	ASSERT_EQ(0, try_mount(MNT, "none," NAME));
	self->id = hierarchy_id();
	ASSERT_LT(0, self->id);
	/* cpuset's new states copy their parents' masks. */
	ASSERT_EQ(0, write_text(MNT "/cgroup.clone_children", "1"));
	for (i = 0; i < NGROUPS; i++) {
		group_file(i, "", path, sizeof(path));
		ASSERT_EQ(0, mkdir(path, 0755)) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, pipe(p));
	fflush(NULL);
	for (i = 0; i < NGROUPS; i++) {
		workers[i] = fork();
		ASSERT_LE(0, workers[i]);
		if (!workers[i]) {
			close(p[0]);
			worker(i, p[1]);
		}
	}
	close(p[1]);
	for (i = 0; i < NGROUPS; i++)
		ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	for (i = 0; i < NGROUPS; i++)
		ASSERT_TRUE(worker_in(i, self->id, NAME)) TH_LOG("worker %d", i);
}

FIXTURE_TEARDOWN(rebind)
{
	char path[96];
	int i;

	for (i = 0; i < NGROUPS; i++)
		if (workers[i] > 0)
			kill(workers[i], SIGKILL);
	for (i = 0; i < NGROUPS; i++)
		if (workers[i] > 0 && waitpid(workers[i], NULL, 0) != workers[i])
			TH_LOG("worker %d not reaped", i);
	/* Thawed first, in case a test stopped while a group was frozen. */
	if (!access(MNT "/g2/freezer.state", F_OK) && write_text(MNT "/g2/freezer.state", "THAWED"))
		TH_LOG("cannot thaw g2");
	for (i = NGROUPS - 1; i >= 0; i--) {
		group_file(i, "", path, sizeof(path));
		if (rmdir(path) && errno != ENOENT)
			TH_LOG("rmdir %s: %s", path, strerror(errno));
	}
	if (umount(MNT))
		TH_LOG("umount: %s", strerror(errno));
	if (beats != MAP_FAILED && beats)
		munmap(beats, sizeof(*beats) * NGROUPS);
}

/* Why the tests skip on C, which refuses to rebind a populated hierarchy. */
#define ON_C "no rebinding with child groups (C's version 1)"

/* What C does too: no change, or both directions at once, is refused. */
TEST_F(rebind, other_remounts_are_busy)
{
	char line[64];
	int ret;

	EXPECT_EQ(-EBUSY, remount("none," NAME));
	EXPECT_EQ(-EBUSY, remount("none," NAME ",release_agent=/bin/true"));
	ret = remount("cpuacct," NAME);
	if (ret == -EBUSY)
		SKIP(return, ON_C);
	ASSERT_EQ(0, ret);
	EXPECT_EQ(-EBUSY, remount("freezer," NAME));
	ASSERT_EQ(0, cgroups_line("freezer", line, sizeof(line)));
	EXPECT_STREQ("freezer\t0\t1", line);
	EXPECT_EQ(-1, access(MNT "/g0/freezer.state", F_OK));
	EXPECT_EQ(0, access(MNT "/g0/cpuacct.usage", F_OK));
	EXPECT_EQ(0, remount("none," NAME));
}

TEST_F(rebind, cpuacct_added_and_removed)
{
	char path[96], line[256], want[256];
	unsigned long long usage, top;
	int i, round, status, ret;
	pid_t spinner;

	for (round = 0; round < 2; round++) {
		ret = remount("cpuacct," NAME);
		if (ret == -EBUSY)
			SKIP(return, ON_C);
		ASSERT_EQ(0, ret);
		ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT " ", line, sizeof(line)));
		EXPECT_STREQ("none " MNT " cgroup rw,relatime,cpuacct,clone_children,"
			     NAME " 0 0", line);
		snprintf(want, sizeof(want), "cpuacct\t%d\t%d", self->id, NGROUPS + 1);
		ASSERT_EQ(0, cgroups_line("cpuacct", line, sizeof(line)));
		EXPECT_STREQ(want, line);
		for (i = 0; i < NGROUPS; i++) {
			group_file(i, "cpuacct.usage", path, sizeof(path));
			EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
			EXPECT_TRUE(worker_in(i, self->id, "cpuacct," NAME)) TH_LOG("worker %d", i);
		}

		/* A process that runs 50 ms in g4/k3 is charged there and above. */
		fflush(NULL);
		spinner = fork();
		ASSERT_LE(0, spinner);
		if (!spinner) {
			long long start, ns;
			struct timespec ts;

			if (write_text(MNT "/g4/k3/tasks", "0"))
				_exit(1);
			/* 50 ms of CPU time from the move on. */
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
			start = ts.tv_sec * 1000000000LL + ts.tv_nsec;
			do {
				clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
				ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
			} while (ns - start < 50000000);
			_exit(0);
		}
		ASSERT_EQ(spinner, waitpid(spinner, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
		ASSERT_LT(0, read_text(MNT "/g4/k3/cpuacct.usage", line, sizeof(line)));
		usage = strtoull(line, NULL, 10);
		EXPECT_LE(50000000ULL, usage);
		ASSERT_LT(0, read_text(MNT "/g4/cpuacct.usage", line, sizeof(line)));
		EXPECT_LE(usage, strtoull(line, NULL, 10));
		ASSERT_LT(0, read_text(MNT "/cpuacct.usage", line, sizeof(line)));
		top = strtoull(line, NULL, 10);
		EXPECT_LE(usage, top);

		/* Removed: back in the dummy hierarchy, the groups and tasks stay. */
		ASSERT_EQ(0, remount("none," NAME));
		ASSERT_EQ(0, cgroups_line("cpuacct", line, sizeof(line)));
		EXPECT_STREQ("cpuacct\t0\t1", line);
		EXPECT_EQ(-1, access(MNT "/cpuacct.usage", F_OK));
		for (i = 0; i < NGROUPS; i++) {
			group_file(i, "cpuacct.usage", path, sizeof(path));
			EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s", path);
			EXPECT_TRUE(worker_in(i, self->id, NAME)) TH_LOG("worker %d", i);
			group_file(i, "tasks", path, sizeof(path));
			snprintf(want, sizeof(want), "%d\n", workers[i]);
			EXPECT_FILE(path, want);
		}
	}
}

/* The CPUs of worker @i's affinity, as a mask of the first 64. */
static unsigned long long affinity(int i)
{
	unsigned long long mask = 0;
	cpu_set_t set;
	int cpu;

	if (sched_getaffinity(workers[i], sizeof(set), &set))
		return 0;
	for (cpu = 0; cpu < 64; cpu++)
		if (CPU_ISSET(cpu, &set))
			mask |= 1ULL << cpu;
	return mask;
}

TEST_F(rebind, cpuset_added_with_masks_and_removed)
{
	char path[96], line[256], want[256], top_cpus[64], first[16];
	unsigned long long all;
	int i, ret;

	ret = remount("cpuset," NAME);
	if (ret == -EBUSY)
		SKIP(return, ON_C);
	ASSERT_EQ(0, ret);
	ASSERT_LT(0, read_text(MNT "/cpuset.cpus", top_cpus, sizeof(top_cpus)));
	snprintf(want, sizeof(want), "cpuset\t%d\t%d", self->id, NGROUPS + 1);
	ASSERT_EQ(0, cgroups_line("cpuset", line, sizeof(line)));
	EXPECT_STREQ(want, line);
	/* Every new cpuset copied its parent's CPUs; every task is in its own. */
	for (i = 0; i < NGROUPS; i++) {
		group_file(i, "cpuset.cpus", path, sizeof(path));
		EXPECT_FILE(path, top_cpus);
		snprintf(path, sizeof(path), "/proc/%d/cpuset", workers[i]);
		group_path(i, want, sizeof(want));
		strcat(want, "\n");
		EXPECT_FILE(path, want);
	}
	/* One CPU for g7/k2 (the first the top cpuset has). */
	all = affinity(0);
	ASSERT_NE(0, all);
	snprintf(first, sizeof(first), "%d", __builtin_ctzll(all));
	ASSERT_EQ(0, write_text(MNT "/g7/k2/cpuset.cpus", first));
	i = 7 * (NKIDS + 1) + 3;
	EXPECT_EQ(1ULL << __builtin_ctzll(all), affinity(i));

	/* Removed: every task has the root cpuset's CPUs again. */
	ASSERT_EQ(0, remount("none," NAME));
	ASSERT_EQ(0, cgroups_line("cpuset", line, sizeof(line)));
	EXPECT_STREQ("cpuset\t0\t1", line);
	for (i = 0; i < NGROUPS; i++) {
		EXPECT_EQ(all, affinity(i)) TH_LOG("worker %d", i);
		snprintf(path, sizeof(path), "/proc/%d/cpuset", workers[i]);
		EXPECT_FILE(path, "/\n");
		group_file(i, "cpuset.cpus", path, sizeof(path));
		EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s", path);
	}
}

/* Without clone_children, a new cpuset has no CPU: its tasks cannot go there. */
TEST_F(rebind, refused_rebinding_changes_nothing)
{
	char path[96], before[NGROUPS][256], now[256], line[64];
	int i;

	for (i = 0; i < NGROUPS; i++) {
		group_file(i, "cgroup.clone_children", path, sizeof(path));
		ASSERT_EQ(0, write_text(path, "0"));
		snprintf(path, sizeof(path), "/proc/%d/cgroup", workers[i]);
		ASSERT_LT(0, read_text(path, before[i], sizeof(before[i])));
	}
	ASSERT_EQ(0, write_text(MNT "/cgroup.clone_children", "0"));
	i = remount("cpuset,cpuacct," NAME);
	if (i == -EBUSY)
		SKIP(return, ON_C);
	ASSERT_EQ(-ENOSPC, i);
	ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT " ", now, sizeof(now)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime," NAME " 0 0", now);
	ASSERT_EQ(0, cgroups_line("cpuset", line, sizeof(line)));
	EXPECT_STREQ("cpuset\t0\t1", line);
	ASSERT_EQ(0, cgroups_line("cpuacct", line, sizeof(line)));
	EXPECT_STREQ("cpuacct\t0\t1", line);
	EXPECT_EQ(-1, access(MNT "/cpuset.cpus", F_OK));
	for (i = 0; i < NGROUPS; i++) {
		group_file(i, "cpuset.cpus", path, sizeof(path));
		EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s", path);
		group_file(i, "cpuacct.usage", path, sizeof(path));
		EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s", path);
		snprintf(path, sizeof(path), "/proc/%d/cgroup", workers[i]);
		EXPECT_FILE(path, before[i]);
	}
	/* cpuacct alone asks nothing of the tasks. */
	EXPECT_EQ(0, remount("cpuacct," NAME));
	EXPECT_EQ(0, remount("none," NAME));
}

TEST_F(rebind, freezer_removed_while_frozen)
{
	const int from = 2 * (NKIDS + 1), to = 3 * (NKIDS + 1);
	long long end = now_ms() + WAIT_MS;
	char line[64];
	int ret;

	ret = remount("freezer," NAME);
	if (ret == -EBUSY)
		SKIP(return, ON_C);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, write_text(MNT "/g2/freezer.state", "FROZEN"));
	do {
		ASSERT_LT(0, read_text(MNT "/g2/freezer.state", line, sizeof(line)));
		if (!strcmp(line, "FROZEN\n"))
			break;
		usleep(10000);
	} while (now_ms() < end);
	ASSERT_STREQ("FROZEN\n", line);
	EXPECT_FILE(MNT "/g2/k5/freezer.state", "FROZEN\n");
	ASSERT_TRUE(beating(from, to, 0));
	EXPECT_TRUE(beating(0, from, 1));

	/* Removed: the tasks are in the root state, which never freezes. */
	ASSERT_EQ(0, remount("none," NAME));
	ASSERT_EQ(0, cgroups_line("freezer", line, sizeof(line)));
	EXPECT_STREQ("freezer\t0\t1", line);
	EXPECT_EQ(-1, access(MNT "/g2/freezer.state", F_OK));
	EXPECT_TRUE(beating(from, to, 1));
	/* And it can come back: every group thawed. */
	ASSERT_EQ(0, remount("freezer," NAME));
	EXPECT_FILE(MNT "/g2/freezer.state", "THAWED\n");
	EXPECT_FILE(MNT "/g2/k5/freezer.state", "THAWED\n");
	EXPECT_TRUE(beating(0, NGROUPS, 1));
	EXPECT_EQ(0, remount("none," NAME));
}

TEST_HARNESS_MAIN
