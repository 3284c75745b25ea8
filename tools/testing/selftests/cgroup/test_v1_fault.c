// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: an allocation that fails in the middle of a move or a mkdir
 * changes nothing.
 *
 * With fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and their
 * debugfs files; the debug kernel has them, the others skip these tests),
 * /proc/thread-self/fail-nth = n fails the n-th slab allocation of the
 * writing thread. Every n from 1 up is tried until the operation no longer
 * meets an injected failure:
 *
 * - a process whose six threads sit in six different groups of hierarchy A
 *   is written to cgroup.procs of a group of hierarchy B, which needs a new
 *   css_set per thread: after a failed write every thread is where it was
 *   (/proc/<pid>/task/<tid>/cgroup byte for byte), after a successful one
 *   every thread is in the target;
 * - the same for one thread written to tasks;
 * - mkdir: after a failure no directory exists and the controller's group
 *   count in /proc/cgroups is unchanged.
 *
 * A failed operation must fail with ENOMEM. Expectations are those of the
 * C implementation (run it with the same fault-injection options).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define HA CGV1_DIR("cgv1-fault-a")
#define HB CGV1_DIR("cgv1-fault-b")
#define A_OPTS "none,name=cgv1faulta"
/* B carries debug, so that a new group needs a controller state too. */
#define B_OPTS "debug,name=cgv1faultb"
#define B_ROOT_LINE ":debug,name=cgv1faultb:/\n"
#define B_TARGET_LINE ":debug,name=cgv1faultb:/t\n"
#define NTHREADS 6
#define MAX_NTH 300

#define FAILSLAB "/sys/kernel/debug/failslab"
#define FAIL_PAGE_ALLOC "/sys/kernel/debug/fail_page_alloc"

/* The debugfs knobs set for the tests, and what they held before. */
static const char * const knobs[][2] = {
	/* Fail GFP_KERNEL slab allocations too (the default spares them). */
	{ FAILSLAB "/ignore-gfp-wait", "N\n" },
	/* No report per injected failure: its stack dump would look like a splat. */
	{ FAILSLAB "/verbose", "0\n" },
	/* Page allocations never count against fail-nth: order 11 is never asked for. */
	{ FAIL_PAGE_ALLOC "/min-order", "11\n" },
	{ FAIL_PAGE_ALLOC "/verbose", "0\n" },
};

/*
 * What a test set up, for its teardown. Each test runs in a process of its
 * own, set up, tested and torn down there: the state can be a global.
 */
static struct {
	char saved[ARRAY_SIZE(knobs)][32];
	int nth_fd;
	pid_t pid;
	int tids[NTHREADS];
	char before[NTHREADS][1024];
} st;

FIXTURE(fault) {
	int unused;
};

static int setup_done_pipe[2];

static void *mover(void *arg)
{
	long i = (long)arg;
	char path[128];

	snprintf(path, sizeof(path), HA "/a%ld/tasks", i);
	if (write_text(path, "0"))
		syscall(SYS_exit_group, 10 + i);
	if (write(setup_done_pipe[1], "x", 1) != 1)
		syscall(SYS_exit_group, 20);
	for (;;)
		pause();
	return NULL;
}

/* The child: thread i (the leader is thread 0) moves itself into A/a<i>. */
static void child(void)
{
	pthread_t t;
	long i;

	close(setup_done_pipe[0]);
	for (i = 1; i < NTHREADS; i++)
		if (pthread_create(&t, NULL, mover, (void *)i))
			syscall(SYS_exit_group, 30);
	mover((void *)0);
}

static int task_cgroup(pid_t pid, int tid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", pid, tid);
	return read_text(path, buf, size) > 0 ? 0 : -1;
}

/* What @before becomes once the thread is in B's group t. */
static int moved(const char *before, char *out, size_t size)
{
	const char *p = strstr(before, B_ROOT_LINE);

	if (!p)
		return -1;
	snprintf(out, size, "%.*s%s%s", (int)(p - before), before, B_TARGET_LINE,
		 p + strlen(B_ROOT_LINE));
	return 0;
}

/*
 * Sets fail-nth to @nth, writes @text to the open @fd (or, with fd < 0, makes
 * the directory @text), then clears fail-nth. Returns 0 or -errno; *injected
 * tells whether the n-th allocation came (and failed).
 */
static int with_fail_nth(int nth_fd, int nth, int fd, const char *text, int *injected)
{
	char num[16], left[16] = "";
	ssize_t n;
	int ret, len;

	len = snprintf(num, sizeof(num), "%d", nth);
	if (pwrite(nth_fd, num, len, 0) != len)
		return -1000;
	if (fd >= 0) {
		n = write(fd, text, strlen(text));
		ret = n < 0 ? -errno : (n == (ssize_t)strlen(text) ? 0 : -EIO);
	} else {
		ret = mkdir(text, 0755) ? -errno : 0;
	}
	/* Nothing here allocates: reading and clearing fail-nth cannot trip it. */
	n = pread(nth_fd, left, sizeof(left) - 1, 0);
	if (pwrite(nth_fd, "0", 1, 0) != 1 || n <= 0)
		return -1001;
	left[n] = '\0';
	*injected = !strcmp(left, "0\n");
	return ret;
}

static int count_lines(const char *path)
{
	char buf[4096], *p;
	int n = 0;

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

FIXTURE_SETUP(fault)
{
	unsigned int i;

	st.nth_fd = -1;
	st.pid = 0;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		st.saved[i][0] = '\0';
	if (access("/proc/thread-self/fail-nth", W_OK) || access(FAILSLAB, F_OK) ||
	    access(FAIL_PAGE_ALLOC, F_OK))
		SKIP(return, "no fault injection (fail-nth, failslab, fail_page_alloc)");
}

/*
 * The set-up proper, run from the test so that the teardown undoes it even
 * when it stops half-way.
 */
static void prepare(struct __test_metadata *_metadata)
{
	char path[128], c;
	struct dirent *de;
	unsigned int i;
	DIR *dir;
	int n = 0;

	ASSERT_EQ(0, wait_num_cgroups("debug", 1));
	ASSERT_EQ(0, try_mount(HA, A_OPTS));
	ASSERT_EQ(0, try_mount(HB, B_OPTS));
	ASSERT_EQ(0, mkdir(HB "/t", 0755));
	for (i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), HA "/a%u", i);
		ASSERT_EQ(0, mkdir(path, 0755));
	}

	ASSERT_EQ(0, pipe(setup_done_pipe));
	fflush(NULL);
	st.pid = fork();
	ASSERT_LE(0, st.pid);
	if (!st.pid)
		child();
	close(setup_done_pipe[1]);
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(1, read(setup_done_pipe[0], &c, 1));
	close(setup_done_pipe[0]);

	snprintf(path, sizeof(path), "/proc/%d/task", st.pid);
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		if (atoi(de->d_name) <= 0)
			continue;
		ASSERT_GT(NTHREADS, n);
		st.tids[n++] = atoi(de->d_name);
	}
	closedir(dir);
	ASSERT_EQ(NTHREADS, n);
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, task_cgroup(st.pid, st.tids[i], st.before[i],
					 sizeof(st.before[i])));
		ASSERT_NE(NULL, strstr(st.before[i], B_ROOT_LINE)) TH_LOG("%s", st.before[i]);
		/* Six threads in six groups of A. */
		snprintf(path, sizeof(path), HA "/a%u/tasks", i);
		ASSERT_EQ(1, count_lines(path)) TH_LOG("%s", path);
	}
	EXPECT_FILE(HB "/t/tasks", "");

	/* Fault injection last: nothing above may meet it. */
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		ASSERT_LT(0, read_text(knobs[i][0], st.saved[i], sizeof(st.saved[i])))
			TH_LOG("%s", knobs[i][0]);
		ASSERT_EQ(0, write_text(knobs[i][0], knobs[i][1])) TH_LOG("%s", knobs[i][0]);
	}
	st.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, st.nth_fd);
}

FIXTURE_TEARDOWN(fault)
{
	char path[128];
	unsigned int i;

	if (st.nth_fd >= 0) {
		if (pwrite(st.nth_fd, "0", 1, 0) != 1)
			TH_LOG("cannot clear fail-nth");
		close(st.nth_fd);
	}
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (st.saved[i][0] && write_text(knobs[i][0], st.saved[i]))
			TH_LOG("cannot restore %s", knobs[i][0]);
	if (st.pid > 0)
		kill_and_reap(st.pid);
	for (i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), HA "/a%u", i);
		rmdir(path);
	}
	rmdir(HB "/t");
	rmdir(HB "/m");
	/* Unmounted with removed groups still there, C would keep B, and debug, bound. */
	wait_num_cgroups("debug", 1);
	umount(HA);
	umount(HB);
	wait_hierarchy_gone(":debug,name=cgv1faultb:");
}

/*
 * Checks /proc/<pid>/task/<tid>/cgroup of every thread: the thread @moved_tid
 * (every thread if -1, none if 0) must be in B's group t, the others where
 * they were. Returns how many differ.
 */
static int check_threads(struct __test_metadata *_metadata, int moved_tid, int nth)
{
	char now[1024], want[1024];
	int i, bad = 0;

	for (i = 0; i < NTHREADS; i++) {
		if (task_cgroup(st.pid, st.tids[i], now, sizeof(now))) {
			TH_LOG("fail-nth %d: cannot read the cgroup of %d", nth, st.tids[i]);
			bad++;
			continue;
		}
		if (moved_tid == -1 || moved_tid == st.tids[i]) {
			if (moved(st.before[i], want, sizeof(want)))
				bad++;
		} else {
			snprintf(want, sizeof(want), "%s", st.before[i]);
		}
		if (strcmp(want, now)) {
			TH_LOG("fail-nth %d: thread %d is in\n%s\nexpected\n%s", nth,
			       st.tids[i], now, want);
			bad++;
		}
	}
	return bad;
}

/*
 * Writes @id to @file of B's group t with fail-nth = 1, 2, ... until the write
 * meets no injected failure; @moved_tid is what a successful write moves
 * (see check_threads()).
 */
static void move_under_faults(struct __test_metadata *_metadata, const char *file, int id,
			      int moved_tid)
{
	char text[32], target[128], back[128];
	int nth, ret, injected, failures = 0;
	int fd;

	snprintf(text, sizeof(text), "%d", id);
	snprintf(target, sizeof(target), HB "/t/%s", file);
	snprintf(back, sizeof(back), HB "/%s", file);
	fd = open(target, O_WRONLY);
	ASSERT_LE(0, fd) TH_LOG("%s", target);
	for (nth = 1; nth <= MAX_NTH; nth++) {
		ret = with_fail_nth(st.nth_fd, nth, fd, text, &injected);
		ASSERT_LT(-1000, ret) TH_LOG("fail-nth cannot be used");
		if (ret) {
			/* Failed: nothing moved. */
			failures++;
			EXPECT_TRUE(injected) TH_LOG("fail-nth %d: %s without a fault", nth,
						     strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %d: %s", nth, strerror(-ret));
			ASSERT_EQ(0, check_threads(_metadata, 0, nth));
			EXPECT_FILE(HB "/t/tasks", "");
			continue;
		}
		/* Succeeded: all moved. */
		ASSERT_EQ(0, check_threads(_metadata, moved_tid, nth));
		if (!injected)
			break;
		/* A failure the kernel recovered from: move back and go on. */
		ASSERT_EQ(0, write_pid(back, id));
		ASSERT_EQ(0, check_threads(_metadata, 0, nth));
	}
	close(fd);
	ASSERT_GE(MAX_NTH, nth) TH_LOG("every move up to fail-nth %d met a fault", MAX_NTH);
	/* The move allocates: some failure must have been met on the way. */
	EXPECT_LT(0, failures);
	TH_LOG("%d failed writes before one met no fault at fail-nth %d", failures, nth);
}

TEST_F_TIMEOUT(fault, procs_move_is_all_or_nothing, 300)
{
	prepare(_metadata);
	move_under_faults(_metadata, "cgroup.procs", st.pid, -1);
}

TEST_F_TIMEOUT(fault, tasks_move_is_all_or_nothing, 300)
{
	prepare(_metadata);
	move_under_faults(_metadata, "tasks", st.tids[NTHREADS / 2], st.tids[NTHREADS / 2]);
}

TEST_F_TIMEOUT(fault, mkdir_is_all_or_nothing, 300)
{
	int nth, ret, injected, failures = 0;

	prepare(_metadata);
	for (nth = 1; nth <= MAX_NTH; nth++) {
		ret = with_fail_nth(st.nth_fd, nth, -1, HB "/m", &injected);
		ASSERT_LT(-1000, ret) TH_LOG("fail-nth cannot be used");
		if (ret) {
			failures++;
			EXPECT_TRUE(injected) TH_LOG("fail-nth %d: %s without a fault", nth,
						     strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %d: %s", nth, strerror(-ret));
			EXPECT_EQ(-1, access(HB "/m", F_OK)) TH_LOG("fail-nth %d", nth);
			/* Root and t; C may take a moment to free a half-made group. */
			ASSERT_EQ(0, wait_num_cgroups("debug", 2)) TH_LOG("fail-nth %d", nth);
			continue;
		}
		EXPECT_EQ(0, access(HB "/m/debug.taskcount", F_OK)) TH_LOG("fail-nth %d", nth);
		EXPECT_FILE(HB "/m/tasks", "");
		ASSERT_EQ(0, wait_num_cgroups("debug", 3)) TH_LOG("fail-nth %d", nth);
		ASSERT_EQ(0, rmdir(HB "/m"));
		ASSERT_EQ(0, wait_num_cgroups("debug", 2));
		if (!injected)
			break;
	}
	ASSERT_GE(MAX_NTH, nth) TH_LOG("every mkdir up to fail-nth %d met a fault", MAX_NTH);
	EXPECT_LT(0, failures);
	TH_LOG("%d failed mkdirs before one met no fault at fail-nth %d", failures, nth);
}

TEST_HARNESS_MAIN
