// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: cgroup.kill, in hierarchies mounted with the "kill" option.
 *
 * C's version 1 has neither the option nor the file: there the mount fails
 * and every test is skipped. The rules are version 2's cgroup.kill: "1"
 * kills every process with a task in the group or its descendants, with no
 * escape by fork; frozen tasks die too.
 *
 * The test process is a child subreaper: every process a test makes, at any
 * depth, is its descendant and is reaped here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-kill")
#define A MNT "/a"
#define B A "/b"
#define C B "/c"
#define S MNT "/s"
#define WAIT_MS 20000

static int mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return st.st_mode & 07777;
}

/* Whether the tasks file @tasks lists no task; -1 if it cannot be read. */
static int is_empty(const char *tasks)
{
	char buf[64];
	ssize_t len = read_text(tasks, buf, sizeof(buf));

	return len < 0 ? -1 : len == 0;
}

/* Waits up to WAIT_MS for every tasks file of @paths to be empty; 0 or -1. */
static int wait_empty(const char *const *paths, int n)
{
	long long end = now_ms() + WAIT_MS;
	int i, all;

	do {
		for (i = 0, all = 1; i < n; i++)
			all &= is_empty(paths[i]) == 1;
		if (all)
			return 0;
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

/* Reaps every child and adopted orphan that has exited. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Waits up to WAIT_MS for child @pid; 0 if it was killed by SIGKILL. */
static int reaped_by_sigkill(pid_t pid)
{
	long long end = now_ms() + WAIT_MS;
	int status;
	pid_t got;

	do {
		got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
		if (got < 0)
			return -1;
		usleep(10000);
	} while (now_ms() < end);
	return -1;
}

FIXTURE(kill) {
	int unused;
};

FIXTURE_SETUP(kill)
{
	int ret = try_mount(MNT, "none,name=cgv1kill,kill");

	if (ret == -EINVAL || ret == -ENOENT)
		SKIP(return, "no kill mount option (C's version 1 has no cgroup.kill)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, mkdir(A, 0755));
	ASSERT_EQ(0, mkdir(B, 0755));
	ASSERT_EQ(0, mkdir(C, 0755));
	ASSERT_EQ(0, mkdir(S, 0755));
}

FIXTURE_TEARDOWN(kill)
{
	reap_all();
	rmdir(C);
	rmdir(B);
	rmdir(A);
	rmdir(S);
	umount(MNT);
}

TEST_F(kill, files_and_errors)
{
	char line[512], buf[16];
	FILE *f;
	int fd, found = 0;

	/* Only in groups other than the top one, write-only. */
	EXPECT_EQ(-ENOENT, mode_of(MNT "/cgroup.kill"));
	EXPECT_EQ(0200, mode_of(A "/cgroup.kill"));
	EXPECT_EQ(0200, mode_of(C "/cgroup.kill"));
	f = fopen("/proc/mounts", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		found |= !strcmp(line, "none " MNT " cgroup rw,relatime,kill,name=cgv1kill 0 0\n");
	fclose(f);
	EXPECT_TRUE(found);
	/* "1" and nothing else. */
	EXPECT_EQ(-ERANGE, write_text(A "/cgroup.kill", "0"));
	EXPECT_EQ(-ERANGE, write_text(A "/cgroup.kill", "2\n"));
	EXPECT_EQ(-EINVAL, write_text(A "/cgroup.kill", "x"));
	EXPECT_EQ(-EINVAL, write_text(A "/cgroup.kill", "1x"));
	/* A read by one who may open it anyway (root) fails. */
	fd = open(A "/cgroup.kill", O_RDONLY);
	if (fd >= 0) {
		EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
		EXPECT_EQ(EINVAL, errno);
		close(fd);
	}
	/* An empty group: nothing to do. */
	EXPECT_EQ(0, write_text(C "/cgroup.kill", "1\n"));
	/* A removed group: ENODEV. */
	fd = open(C "/cgroup.kill", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rmdir(C));
	EXPECT_EQ(-1, write(fd, "1", 1));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

TEST(no_file_without_option)
{
	int ret = try_mount(MNT, "none,name=cgv1nokill");

	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, mkdir(MNT "/g", 0755));
	EXPECT_EQ(-ENOENT, mode_of(MNT "/g/cgroup.kill"));
	EXPECT_EQ(0, rmdir(MNT "/g"));
	EXPECT_EQ(0, umount(MNT));
}

TEST_F(kill, subtree_only)
{
	const char *const tasks[] = { A "/tasks", B "/tasks", C "/tasks" };
	pid_t in_a, in_b, in_c, outside;

	in_a = sleeper_in(A "/tasks");
	in_b = sleeper_in(B "/tasks");
	in_c = sleeper_in(C "/tasks");
	outside = sleeper_in(S "/tasks");
	ASSERT_LT(0, in_a);
	ASSERT_LT(0, in_b);
	ASSERT_LT(0, in_c);
	ASSERT_LT(0, outside);
	/* Killing B spares its parent A and the sibling S. */
	ASSERT_EQ(0, write_text(B "/cgroup.kill", "1"));
	EXPECT_EQ(0, reaped_by_sigkill(in_b));
	EXPECT_EQ(0, reaped_by_sigkill(in_c));
	EXPECT_EQ(0, wait_empty(tasks + 1, 2));
	EXPECT_EQ(0, waitpid(in_a, NULL, WNOHANG));
	EXPECT_EQ(0, waitpid(outside, NULL, WNOHANG));
	EXPECT_EQ(0, is_empty(A "/tasks"));
	ASSERT_EQ(0, write_text(A "/cgroup.kill", "1"));
	EXPECT_EQ(0, reaped_by_sigkill(in_a));
	EXPECT_EQ(0, wait_empty(tasks, 3));
	EXPECT_EQ(0, waitpid(outside, NULL, WNOHANG));
	kill_and_reap(outside);
	EXPECT_EQ(0, rmdir(C));
	EXPECT_EQ(0, rmdir(B));
	EXPECT_EQ(0, rmdir(A));
}

/*
 * A fork bomb of depth 3: the process at depth d moves itself to @groups[d],
 * makes FANOUT processes of depth d + 1 (up to depth 3), then forks children
 * that exit at once, for ever: forks are in flight whenever the kill comes.
 */
#define FANOUT 3

static void forker(const char *const *groups, int depth)
{
	int i = 0;

	if (write_text(groups[depth], "0"))
		_exit(1);
	while (depth < 3 && i < FANOUT) {
		if (!fork()) {
			/* The child: one level down, with its own children to make. */
			depth++;
			i = 0;
			if (write_text(groups[depth], "0"))
				_exit(1);
			continue;
		}
		i++;
	}
	for (;;) {
		pid_t pid = fork();

		if (!pid)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

TEST_F(kill, fork_bomb)
{
	const char *const groups[] = { A "/tasks", B "/tasks", C "/tasks", C "/tasks" };
	const char *const tasks[] = { A "/tasks", B "/tasks", C "/tasks" };
	int n, in_c = 0, ids[256];
	pid_t top;

	top = fork();
	ASSERT_LE(0, top);
	if (!top)
		forker(groups, 0);
	/*
	 * Until the 36 processes of depths 2 and 3 are in C (children that
	 * exit at once come and go beside them, so the count is the one read).
	 */
	for (n = 0; n < 1000; n++) {
		in_c = read_ids(C "/tasks", ids, 256);
		if (in_c >= 36)
			break;
		usleep(10000);
	}
	EXPECT_GE(in_c, 36);
	ASSERT_EQ(0, write_text(A "/cgroup.kill", "1"));
	EXPECT_EQ(0, reaped_by_sigkill(top));
	EXPECT_EQ(0, wait_empty(tasks, 3));
	reap_all();
	EXPECT_EQ(0, rmdir(C));
	EXPECT_EQ(0, rmdir(B));
	EXPECT_EQ(0, rmdir(A));
}

static void *sleep_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

TEST_F(kill, threads)
{
	const char *const tasks[] = { A "/tasks", B "/tasks" };
	int p[2], ids[16];
	pid_t pid;
	char c = 0;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pthread_t t;
		int i;

		close(p[0]);
		if (write_text(A "/tasks", "0"))
			_exit(1);
		for (i = 0; i < 4; i++) {
			if (pthread_create(&t, NULL, sleep_thread, NULL))
				_exit(1);
		}
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
	ASSERT_EQ(5, read_ids(A "/tasks", ids, 16));
	/* One thread in B: killing B kills its process, every thread. */
	ASSERT_EQ(0, write_pid(B "/tasks", ids[4]));
	ASSERT_EQ(0, write_text(B "/cgroup.kill", "1"));
	EXPECT_EQ(0, reaped_by_sigkill(pid));
	EXPECT_EQ(0, wait_empty(tasks, 2));
}

FIXTURE(frozen) {
	int unused;
};

#define FMNT CGV1_DIR("cgv1-kill-freezer")
#define F FMNT "/f"
#define FC F "/c"

FIXTURE_SETUP(frozen)
{
	int ret = try_mount(FMNT, "freezer,kill");

	if (ret == -EINVAL || ret == -ENOENT)
		SKIP(return, "no freezer, or no kill mount option (C's version 1)");
	if (ret == -EBUSY)
		SKIP(return, "the freezer is mounted elsewhere");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, mkdir(F, 0755));
	ASSERT_EQ(0, mkdir(FC, 0755));
}

FIXTURE_TEARDOWN(frozen)
{
	/* Runs after a completed setup only: F exists. */
	EXPECT_EQ(0, write_text(F "/freezer.state", "THAWED"));
	reap_all();
	rmdir(FC);
	rmdir(F);
	umount(FMNT);
}

/*
 * A task in F and one in FC, @frozen (F or FC) frozen, then F killed: both
 * die, and FC, empty, can be removed.
 */
static void kill_with_frozen(struct __test_metadata *_metadata, const char *frozen)
{
	const char *const tasks[] = { F "/tasks", FC "/tasks" };
	char state[128];
	pid_t in_f, in_c;

	snprintf(state, sizeof(state), "%s/freezer.state", frozen);
	in_f = sleeper_in(F "/tasks");
	in_c = sleeper_in(FC "/tasks");
	ASSERT_LT(0, in_f);
	ASSERT_LT(0, in_c);
	ASSERT_EQ(0, write_text(state, "FROZEN"));
	ASSERT_EQ(0, wait_file(state, "FROZEN\n", WAIT_MS));
	ASSERT_EQ(0, write_text(F "/cgroup.kill", "1"));
	EXPECT_EQ(0, reaped_by_sigkill(in_f));
	EXPECT_EQ(0, reaped_by_sigkill(in_c));
	EXPECT_EQ(0, wait_empty(tasks, 2));
	/* The group stays frozen, empty; it can be removed. */
	EXPECT_FILE(state, "FROZEN\n");
	EXPECT_EQ(0, rmdir(FC));
}

/* One frozen child group, one thawed parent. */
TEST_F(frozen, frozen_child_dies)
{
	kill_with_frozen(_metadata, FC);
}

/* The whole subtree frozen. */
TEST_F(frozen, frozen_subtree_dies)
{
	kill_with_frozen(_metadata, F);
}

TEST_HARNESS_MAIN
