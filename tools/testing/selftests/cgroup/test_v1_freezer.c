// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: the freezer controller.
 *
 * The files and their errors; spinning, sleeping, multi-threaded and
 * pipe-blocked tasks stop (no progress and no CPU time over 0.5 s, state D
 * in /proc, as the kernel reports frozen tasks) and resume when thawed;
 * nested groups; tasks moved in and out; forks racing with refreezes; a
 * frozen task killed; and a bounded stress case for lockdep and KASAN.
 * Expectations are those of the C implementation (legacy_freezer.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-freezer")
#define A MNT "/a"
#define B MNT "/a/b"

/* How long a frozen task is watched, and how long a change may take. */
#define WATCH_US 500000
/* Time for a task seen frozen to leave the CPU (see check_stopped()). */
#define SETTLE_US 100000
#define WAIT_MS 10000

#define NSLOTS 64

/* Progress counters in memory shared with the tasks: one slot per task. */
static unsigned long *counters;

static void bump(int slot)
{
	__atomic_fetch_add(&counters[slot], 1, __ATOMIC_RELAXED);
}

static unsigned long count_of(int slot)
{
	return __atomic_load_n(&counters[slot], __ATOMIC_RELAXED);
}

/* The tasks spawn() made, killed by the teardown wherever they are. */
static pid_t spawned[NSLOTS];
static int nspawned;

static void sleep_ms(int ms)
{
	usleep(ms * 1000);
}

/* The /proc stat file of task @tid of process @pid (@tid 0: the process). */
static void stat_path(char *path, size_t size, pid_t pid, pid_t tid)
{
	if (tid)
		snprintf(path, size, "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, size, "/proc/%d/stat", pid);
}

/*
 * The state letter and utime + stime (in clock ticks) of a task from its
 * /proc stat file; the letter is 0 if it cannot be read.
 */
static char task_stat(pid_t pid, pid_t tid, unsigned long long *ticks)
{
	unsigned long long utime, stime;
	char path[64], buf[1024], state, *p;

	stat_path(path, sizeof(path), pid, tid);
	if (read_text(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	/* state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &state, &utime, &stime) != 3)
		return 0;
	if (ticks)
		*ticks = utime + stime;
	return state;
}

static char state_of(pid_t pid)
{
	return task_stat(pid, 0, NULL);
}

static unsigned long long ticks_of(pid_t pid)
{
	unsigned long long ticks = ~0ULL;

	task_stat(pid, 0, &ticks);
	return ticks;
}

/* Waits until counter @slot moves; 0, or -1 after @ms. */
static int wait_progress(int slot, int ms)
{
	unsigned long start = count_of(slot);
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		if (count_of(slot) != start)
			return 0;
		sleep_ms(5);
	}
	return -1;
}

/* Waits until counter @slot reaches @value; 0, or -1 after @ms. */
static int wait_count(int slot, unsigned long value, int ms)
{
	long long end = now_ms() + ms;

	while (count_of(slot) < value) {
		if (now_ms() >= end)
			return -1;
		sleep_ms(5);
	}
	return 0;
}

enum kind { SPIN, SLEEP, POLL, PIPE_READ, THREADS, FORKER, CHURN };

#define NTHREADS 4
#define NFORKS 24

static void *spin_thread(void *arg)
{
	int slot = (long)arg;

	for (;;)
		bump(slot);
	return NULL;
}

/*
 * A task (a process, with NTHREADS threads for THREADS) that counts its
 * progress in @slot (THREADS: @slot to @slot + NTHREADS - 1), and stays in
 * the group it is moved to. PIPE_READ counts each byte it reads from @fd.
 * FORKER forks a child that spins in the next slot every 5 ms, up to
 * NFORKS of them, counting its forks in @slot. CHURN keeps up to 10
 * short-lived children forking and exiting, counting those it reaped.
 *
 * With a @group, the task first moves itself there (its children are born
 * in it); otherwise it starts in the caller's group.
 */
static pid_t spawn_in(const char *group, enum kind kind, int slot, int fd)
{
	pid_t pid = fork();
	char path[256];
	int i;

	if (pid) {
		if (pid > 0 && nspawned < NSLOTS)
			spawned[nspawned++] = pid;
		return pid;
	}
	if (group) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", group);
		if (write_text(path, "0"))
			_exit(1);
	}
	switch (kind) {
	case SPIN:
		spin_thread((void *)(long)slot);
		break;
	case SLEEP:
		for (;;) {
			usleep(10000);
			bump(slot);
		}
	case POLL:
		for (;;) {
			poll(NULL, 0, 10);
			bump(slot);
		}
	case PIPE_READ:
		for (;;) {
			char c;

			if (read(fd, &c, 1) == 1)
				bump(slot);
		}
	case THREADS:
		for (i = 1; i < NTHREADS; i++) {
			pthread_t t;

			if (pthread_create(&t, NULL, spin_thread, (void *)(long)(slot + i)))
				_exit(1);
		}
		spin_thread((void *)(long)slot);
		break;
	case FORKER:
		for (i = 1; i <= NFORKS && slot + i < NSLOTS; i++) {
			if (!fork())
				spin_thread((void *)(long)(slot + i));
			bump(slot);
			usleep(5000);
		}
		for (;;)
			pause();
	case CHURN:
		for (i = 0;;) {
			while (i < 10) {
				pid_t child = fork();

				if (!child) {
					int k;

					for (k = 0; k < 20000; k++)
						asm volatile("" : "+r" (k));
					_exit(0);
				}
				if (child > 0)
					i++;
			}
			if (waitpid(-1, NULL, 0) > 0) {
				i--;
				bump(slot);
			}
		}
	}
	_exit(0);
}

static pid_t spawn(enum kind kind, int slot, int fd)
{
	return spawn_in(NULL, kind, slot, fd);
}

/* The first ids listed in @path (a tasks file), up to @max; their number or -1. */
static int first_ids(const char *path, pid_t *ids, int max)
{
	char buf[8192], *p, *end;
	int n = 0;

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; n < max; p = end) {
		long id = strtol(p, &end, 10);

		if (end == p)
			break;
		ids[n++] = id;
	}
	return n;
}

/* Kills every task listed in @tasks. */
static void kill_tasks(const char *tasks)
{
	pid_t ids[1024];
	int i, n = first_ids(tasks, ids, 1024);

	for (i = 0; i < n; i++)
		kill(ids[i], SIGKILL);
}

/* Reaps every child (and orphan: the test is their subreaper) that exited. */
static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Thaws @group, kills its tasks and waits until it has none; 0 or -1. */
static int empty_group(const char *group)
{
	char state[256], tasks[256];
	long long end = now_ms() + WAIT_MS;
	pid_t ids[1];

	snprintf(state, sizeof(state), "%s/freezer.state", group);
	snprintf(tasks, sizeof(tasks), "%s/tasks", group);
	if (access(tasks, F_OK))
		return 0;
	if (write_text(state, "THAWED"))
		return -1;
	do {
		kill_tasks(tasks);
		reap_all();
		if (first_ids(tasks, ids, 1) == 0)
			return 0;
		sleep_ms(10);
	} while (now_ms() < end);
	return -1;
}

FIXTURE(frz) {
	int dummy;
};

FIXTURE_SETUP(frz)
{
	counters = mmap(NULL, NSLOTS * sizeof(*counters), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, counters);
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	ASSERT_EQ(0, try_mount(MNT, "freezer"));
	ASSERT_EQ(0, mkdir(A, 0755));
}

FIXTURE_TEARDOWN(frz)
{
	static const char * const groups[] = { B "/c", B, A "/c", A };
	char path[256];
	size_t i;

	/* Parents first: a child under a frozen parent stays frozen. */
	for (i = ARRAY_SIZE(groups); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/freezer.state", groups[i]);
		if (!access(path, F_OK))
			EXPECT_EQ(0, write_text(path, "THAWED")) TH_LOG("%s", path);
	}
	for (i = 0; i < ARRAY_SIZE(groups); i++) {
		EXPECT_EQ(0, empty_group(groups[i])) TH_LOG("%s", groups[i]);
		rmdir(groups[i]);
	}
	/* Those still our children (not reaped), wherever they were moved. */
	for (i = 0; i < (size_t)nspawned; i++)
		if (!waitpid(spawned[i], NULL, WNOHANG))
			kill(spawned[i], SIGKILL);
	reap_all();
	wait_num_cgroups("freezer", 1);
	umount(MNT);
}

/* Moves task @pid (or its whole process, @procs) into @group. */
static int move_to(const char *group, pid_t pid, int procs)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", group, procs ? "cgroup.procs" : "tasks");
	return write_pid(path, pid);
}

/* Whether @text is what freezer.state reads: one of the three states. */
static int is_state(const char *text)
{
	return !strcmp(text, "THAWED\n") || !strcmp(text, "FREEZING\n") ||
	       !strcmp(text, "FROZEN\n");
}

static int set_state(const char *group, const char *state)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/freezer.state", group);
	return write_text(path, state);
}

#define STATE(g) g "/freezer.state"

/* The tasks of a group are all frozen: state D, and no progress nor CPU time in 0.5 s. */
static void check_stopped(struct __test_metadata *_metadata, const pid_t *pids,
			  const int *slots, int n)
{
	unsigned long long ticks[NSLOTS];
	unsigned long count[NSLOTS];
	int i;

	/*
	 * A task reads D from the moment it marks itself frozen, a little
	 * before it leaves the CPU; under emulation that can take a few ms of
	 * guest time. Let it get off the CPU before the first sample.
	 */
	for (i = 0; i < n; i++)
		EXPECT_EQ('D', state_of(pids[i])) TH_LOG("task %d", pids[i]);
	usleep(SETTLE_US);
	for (i = 0; i < n; i++) {
		ticks[i] = ticks_of(pids[i]);
		count[i] = count_of(slots[i]);
	}
	usleep(WATCH_US);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(ticks[i], ticks_of(pids[i])) TH_LOG("CPU time of task %d", pids[i]);
		EXPECT_EQ(count[i], count_of(slots[i])) TH_LOG("progress of task %d", pids[i]);
		EXPECT_EQ('D', state_of(pids[i])) TH_LOG("task %d", pids[i]);
	}
}

/* The tasks run: each makes progress; spinners (@spinning) gain CPU time too. */
static void check_running(struct __test_metadata *_metadata, const pid_t *pids,
			  const int *slots, int n, int spinning)
{
	unsigned long long ticks;
	long long end;
	int i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, wait_progress(slots[i], WAIT_MS)) TH_LOG("task %d", pids[i]);
		EXPECT_NE('D', state_of(pids[i])) TH_LOG("task %d", pids[i]);
		if (!spinning)
			continue;
		ticks = ticks_of(pids[i]);
		end = now_ms() + WAIT_MS;
		while (ticks_of(pids[i]) == ticks && now_ms() < end)
			sleep_ms(10);
		EXPECT_NE(ticks, ticks_of(pids[i])) TH_LOG("CPU time of task %d", pids[i]);
	}
}

/*
 * Freezes @group: the write succeeds, the group reads FREEZING or FROZEN at
 * once, and FROZEN within WAIT_MS.
 */
static void freeze(struct __test_metadata *_metadata, const char *group)
{
	char path[256], buf[32];

	snprintf(path, sizeof(path), "%s/freezer.state", group);
	ASSERT_EQ(0, write_text(path, "FROZEN"));
	ASSERT_LT(0, read_text(path, buf, sizeof(buf)));
	EXPECT_TRUE(!strcmp(buf, "FREEZING\n") || !strcmp(buf, "FROZEN\n")) TH_LOG("'%s'", buf);
	ASSERT_EQ(0, wait_file(path, "FROZEN\n", WAIT_MS));
}

#define FREEZE(group) freeze(_metadata, group)

TEST(files_and_errors)
{
	struct stat st;
	char buf[4096], line[64];

	ASSERT_EQ(0, try_mount(MNT, "freezer"));
	/* Not on the top group. */
	EXPECT_EQ(-1, access(MNT "/freezer.state", F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, access(MNT "/freezer.self_freezing", F_OK));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, access(MNT "/freezer.parent_freezing", F_OK));
	EXPECT_EQ(ENOENT, errno);

	ASSERT_EQ(0, mkdir(A, 0755));
	ASSERT_EQ(0, stat(STATE(A), &st));
	EXPECT_EQ(0100644, st.st_mode);
	ASSERT_EQ(0, stat(A "/freezer.self_freezing", &st));
	EXPECT_EQ(0100444, st.st_mode);
	ASSERT_EQ(0, stat(A "/freezer.parent_freezing", &st));
	EXPECT_EQ(0100444, st.st_mode);
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(A "/freezer.self_freezing", "0\n");
	EXPECT_FILE(A "/freezer.parent_freezing", "0\n");

	/* Only FROZEN and THAWED, white space around them stripped. */
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "FREEZING"));
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "FREEZING\n"));
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "frozen"));
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "FROZEN THAWED"));
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "FROZENX"));
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "1"));
	EXPECT_EQ(0, write_text(STATE(A), ""));
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(A "/freezer.self_freezing", "0\n");
	EXPECT_EQ(0, write_text(STATE(A), "THAWED"));
	EXPECT_FILE(STATE(A), "THAWED\n");

	/* An empty group is frozen at once. */
	EXPECT_EQ(0, write_text(STATE(A), "FROZEN"));
	EXPECT_FILE(STATE(A), "FROZEN\n");
	EXPECT_FILE(A "/freezer.self_freezing", "1\n");
	EXPECT_FILE(A "/freezer.parent_freezing", "0\n");
	EXPECT_EQ(0, write_text(STATE(A), " THAWED\t\n"));
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(A "/freezer.self_freezing", "0\n");
	EXPECT_EQ(0, write_text(STATE(A), "FROZEN\n"));
	EXPECT_FILE(STATE(A), "FROZEN\n");
	EXPECT_EQ(0, write_text(STATE(A), "\tFROZEN"));
	EXPECT_FILE(STATE(A), "FROZEN\n");
	EXPECT_EQ(-EINVAL, write_text(STATE(A), "THAWED\nFROZEN"));
	EXPECT_FILE(STATE(A), "FROZEN\n");

	/* The flags are read-only (mode 0444; root may open them, not write). */
	EXPECT_EQ(-EINVAL, write_text(A "/freezer.self_freezing", "0"));
	EXPECT_EQ(-EINVAL, write_text(A "/freezer.parent_freezing", "0"));

	/* A frozen empty group can be removed. */
	EXPECT_EQ(0, rmdir(A));

	/* Listed in /proc/cgroups and /proc/mounts. */
	ASSERT_LT(0, read_text("/proc/cgroups", buf, sizeof(buf)));
	snprintf(line, sizeof(line), "\nfreezer\t");
	EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("'%s'", buf);
	ASSERT_LT(0, read_text("/proc/mounts", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, " " MNT " cgroup rw,relatime,freezer 0 0\n"))
		TH_LOG("'%s'", buf);
	EXPECT_EQ(0, wait_num_cgroups("freezer", 1));
	EXPECT_EQ(0, umount(MNT));

	/* noprefix is cpuset's only. */
	EXPECT_EQ(-EINVAL, try_mount(MNT, "freezer,noprefix"));
}

TEST_F_TIMEOUT(frz, spinning_tasks, 120)
{
	int slots[3] = { 0, 1, 2 }, i;
	pid_t pids[3];

	for (i = 0; i < 3; i++) {
		pids[i] = spawn(SPIN, slots[i], -1);
		ASSERT_LT(0, pids[i]);
		ASSERT_EQ(0, move_to(A, pids[i], 0));
	}
	check_running(_metadata, pids, slots, 3, 1);
	FREEZE(A);
	EXPECT_FILE(A "/freezer.self_freezing", "1\n");
	EXPECT_FILE(A "/freezer.parent_freezing", "0\n");
	check_stopped(_metadata, pids, slots, 3);
	EXPECT_FILE(STATE(A), "FROZEN\n");

	ASSERT_EQ(0, set_state(A, "THAWED"));
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(A "/freezer.self_freezing", "0\n");
	check_running(_metadata, pids, slots, 3, 1);
}

TEST_F_TIMEOUT(frz, sleeping_tasks, 120)
{
	int slots[2] = { 0, 1 };
	pid_t pids[2];

	pids[0] = spawn(SLEEP, slots[0], -1);
	pids[1] = spawn(POLL, slots[1], -1);
	ASSERT_LT(0, pids[0]);
	ASSERT_LT(0, pids[1]);
	ASSERT_EQ(0, move_to(A, pids[0], 0));
	ASSERT_EQ(0, move_to(A, pids[1], 0));
	check_running(_metadata, pids, slots, 2, 0);
	FREEZE(A);
	check_stopped(_metadata, pids, slots, 2);
	ASSERT_EQ(0, set_state(A, "THAWED"));
	EXPECT_FILE(STATE(A), "THAWED\n");
	check_running(_metadata, pids, slots, 2, 0);
}

TEST_F_TIMEOUT(frz, multithreaded_process, 120)
{
	int slots[NTHREADS], n = 0, i;
	pid_t tids[NTHREADS], pid;
	struct dirent *de;
	unsigned long long ticks;
	long long end;
	char path[64];
	DIR *dir;

	pid = spawn(THREADS, 0, -1);
	ASSERT_LT(0, pid);
	for (i = 0; i < NTHREADS; i++)
		slots[i] = i;
	/* Every thread runs (and so exists) before the process moves. */
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, wait_progress(i, WAIT_MS));
	ASSERT_EQ(0, move_to(A, pid, 1));
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir)) && n < NTHREADS)
		if (de->d_name[0] != '.')
			tids[n++] = atoi(de->d_name);
	closedir(dir);
	ASSERT_EQ(NTHREADS, n);

	FREEZE(A);
	for (i = 0; i < n; i++)
		EXPECT_EQ('D', task_stat(pid, tids[i], NULL)) TH_LOG("thread %d", tids[i]);
	/* The process's CPU time is its threads'. */
	ticks = ticks_of(pid);
	check_stopped(_metadata, &pid, slots, 1);
	for (i = 1; i < NTHREADS; i++) {
		unsigned long c = count_of(i);

		usleep(WATCH_US / NTHREADS);
		EXPECT_EQ(c, count_of(i)) TH_LOG("thread slot %d", i);
	}
	EXPECT_EQ(ticks, ticks_of(pid));
	for (i = 0; i < n; i++)
		EXPECT_EQ('D', task_stat(pid, tids[i], NULL)) TH_LOG("thread %d", tids[i]);

	ASSERT_EQ(0, set_state(A, "THAWED"));
	for (i = 0; i < NTHREADS; i++)
		EXPECT_EQ(0, wait_progress(i, WAIT_MS)) TH_LOG("thread slot %d", i);
	for (i = 0; i < n; i++)
		EXPECT_NE('D', task_stat(pid, tids[i], NULL)) TH_LOG("thread %d", tids[i]);
	end = now_ms() + WAIT_MS;
	while (ticks_of(pid) == ticks && now_ms() < end)
		sleep_ms(10);
	EXPECT_LT(ticks, ticks_of(pid));
}

TEST_F_TIMEOUT(frz, pipe_blocked_task, 120)
{
	int p[2], slot = 0, queued = -1;
	long long end;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = spawn(PIPE_READ, slot, p[0]);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, move_to(A, pid, 0));
	/* It reads a byte, then blocks in read() (state S). */
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(0, wait_count(slot, 1, WAIT_MS));
	end = now_ms() + WAIT_MS;
	while (state_of(pid) != 'S' && now_ms() < end)
		sleep_ms(5);
	ASSERT_EQ('S', state_of(pid));

	FREEZE(A);
	EXPECT_EQ('D', state_of(pid));
	/* What it would read waits in the pipe. */
	ASSERT_EQ(1, write(p[1], "y", 1));
	check_stopped(_metadata, &pid, &slot, 1);
	EXPECT_EQ(0, ioctl(p[0], FIONREAD, &queued));
	EXPECT_EQ(1, queued);

	ASSERT_EQ(0, set_state(A, "THAWED"));
	EXPECT_EQ(0, wait_count(slot, 2, WAIT_MS));
	EXPECT_EQ(2, count_of(slot));
	close(p[0]);
	close(p[1]);
}

TEST_F_TIMEOUT(frz, nested_groups, 120)
{
	int slots[2] = { 0, 1 };
	pid_t pids[2];

	ASSERT_EQ(0, mkdir(B, 0755));
	pids[0] = spawn(SPIN, slots[0], -1);
	pids[1] = spawn(SPIN, slots[1], -1);
	ASSERT_LT(0, pids[0]);
	ASSERT_LT(0, pids[1]);
	ASSERT_EQ(0, move_to(A, pids[0], 0));
	ASSERT_EQ(0, move_to(B, pids[1], 0));

	/* The parent freezes the child. */
	FREEZE(A);
	EXPECT_FILE(STATE(B), "FROZEN\n");
	EXPECT_FILE(B "/freezer.self_freezing", "0\n");
	EXPECT_FILE(B "/freezer.parent_freezing", "1\n");
	EXPECT_FILE(A "/freezer.self_freezing", "1\n");
	EXPECT_FILE(A "/freezer.parent_freezing", "0\n");
	check_stopped(_metadata, pids, slots, 2);

	/* A child thawed under a frozen parent stays frozen. */
	EXPECT_EQ(0, set_state(B, "THAWED"));
	EXPECT_FILE(STATE(B), "FROZEN\n");
	EXPECT_EQ(0, set_state(B, "FROZEN"));
	EXPECT_FILE(B "/freezer.self_freezing", "1\n");
	EXPECT_EQ(0, set_state(B, "THAWED"));
	EXPECT_FILE(B "/freezer.self_freezing", "0\n");
	EXPECT_FILE(B "/freezer.parent_freezing", "1\n");
	EXPECT_FILE(STATE(B), "FROZEN\n");
	check_stopped(_metadata, &pids[1], &slots[1], 1);

	/* A new child of a freezing group starts freezing. */
	ASSERT_EQ(0, mkdir(A "/c", 0755));
	EXPECT_FILE(STATE(A "/c"), "FROZEN\n");
	EXPECT_FILE(A "/c/freezer.parent_freezing", "1\n");
	EXPECT_FILE(A "/c/freezer.self_freezing", "0\n");

	/* Thawing the parent thaws them all. */
	ASSERT_EQ(0, set_state(A, "THAWED"));
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(STATE(B), "THAWED\n");
	EXPECT_FILE(STATE(A "/c"), "THAWED\n");
	EXPECT_FILE(B "/freezer.parent_freezing", "0\n");
	check_running(_metadata, pids, slots, 2, 1);
	EXPECT_EQ(0, rmdir(A "/c"));

	/* A self-frozen child stays frozen when its parent thaws. */
	FREEZE(B);
	FREEZE(A);
	EXPECT_FILE(B "/freezer.self_freezing", "1\n");
	EXPECT_FILE(B "/freezer.parent_freezing", "1\n");
	ASSERT_EQ(0, set_state(A, "THAWED"));
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(STATE(B), "FROZEN\n");
	EXPECT_FILE(B "/freezer.parent_freezing", "0\n");
	check_running(_metadata, &pids[0], &slots[0], 1, 1);
	check_stopped(_metadata, &pids[1], &slots[1], 1);
	/* Frozen again from above, the child's own thaw changes nothing. */
	EXPECT_EQ(0, set_state(A, "FROZEN"));
	EXPECT_EQ(0, wait_file(STATE(A), "FROZEN\n", WAIT_MS));
	EXPECT_EQ(0, set_state(B, "THAWED"));
	EXPECT_FILE(STATE(B), "FROZEN\n");
	EXPECT_EQ(0, set_state(A, "THAWED"));
	check_running(_metadata, pids, slots, 2, 1);
}

TEST_F_TIMEOUT(frz, moves_in_and_out, 120)
{
	int slot = 0;
	pid_t pid;

	FREEZE(A);
	pid = spawn(SPIN, slot, -1);
	ASSERT_LT(0, pid);
	check_running(_metadata, &pid, &slot, 1, 1);

	/* Moving into a frozen group is allowed, and stops the task. */
	ASSERT_EQ(0, move_to(A, pid, 0));
	ASSERT_EQ(0, wait_file(STATE(A), "FROZEN\n", WAIT_MS));
	check_stopped(_metadata, &pid, &slot, 1);

	/* Moving out lets it run; the group stays frozen. */
	ASSERT_EQ(0, move_to(MNT, pid, 0));
	check_running(_metadata, &pid, &slot, 1, 1);
	EXPECT_FILE(STATE(A), "FROZEN\n");

	/* Into a thawed child of a frozen parent: it stops too. */
	ASSERT_EQ(0, mkdir(B, 0755));
	EXPECT_FILE(STATE(B), "FROZEN\n");
	ASSERT_EQ(0, move_to(B, pid, 0));
	ASSERT_EQ(0, wait_file(STATE(A), "FROZEN\n", WAIT_MS));
	EXPECT_FILE(STATE(B), "FROZEN\n");
	check_stopped(_metadata, &pid, &slot, 1);

	/* From one frozen group into a thawed one. */
	ASSERT_EQ(0, set_state(A, "THAWED"));
	ASSERT_EQ(0, set_state(B, "FROZEN"));
	ASSERT_EQ(0, wait_file(STATE(B), "FROZEN\n", WAIT_MS));
	check_stopped(_metadata, &pid, &slot, 1);
	ASSERT_EQ(0, move_to(A, pid, 0));
	check_running(_metadata, &pid, &slot, 1, 1);
	EXPECT_FILE(STATE(A), "THAWED\n");
}

TEST_F_TIMEOUT(frz, fork_after_refreeze, 180)
{
	pid_t ids[64];
	int round, n, i;

	/*
	 * A task forks a spinning child every 5 ms while its group is frozen,
	 * thawed and frozen again, so that forks race with freezing: each
	 * child must be frozen, or the group never reads FROZEN, and none may
	 * run once it does.
	 */
	for (round = 0; round < 4; round++) {
		pid_t pid;

		memset(counters, 0, NSLOTS * sizeof(*counters));
		pid = spawn_in(A, FORKER, 0, -1);
		ASSERT_LT(0, pid);
		ASSERT_EQ(0, wait_count(0, 1, WAIT_MS));
		for (i = 0; i < 3; i++) {
			FREEZE(A);
			ASSERT_EQ(0, set_state(A, "THAWED"));
			sleep_ms(round * 7);
		}
		FREEZE(A);
		n = first_ids(A "/tasks", ids, 64);
		ASSERT_LT(1, n);
		for (i = 0; i < n; i++)
			EXPECT_EQ('D', state_of(ids[i])) TH_LOG("task %d", ids[i]);
		{
			unsigned long before[NSLOTS];

			for (i = 0; i < NSLOTS; i++)
				before[i] = count_of(i);
			usleep(WATCH_US);
			for (i = 0; i < NSLOTS; i++)
				EXPECT_EQ(before[i], count_of(i)) TH_LOG("slot %d", i);
		}
		ASSERT_EQ(0, empty_group(A));
	}
}

TEST_F_TIMEOUT(frz, sigkill_frozen_task, 120)
{
	int status, slot = 0;
	long long end;
	pid_t pid, got;

	pid = spawn(SLEEP, slot, -1);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, move_to(A, pid, 0));
	FREEZE(A);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	sleep_ms(200);
	/* It dies when thawed, or (as C may) at once; not before it was frozen. */
	got = waitpid(pid, &status, WNOHANG);
	TH_LOG("killed while frozen: %s", got ? "died at once" : "still frozen");
	if (got == 0)
		EXPECT_EQ('D', state_of(pid));
	EXPECT_EQ(0, wait_file(STATE(A), "FROZEN\n", WAIT_MS));
	ASSERT_EQ(0, set_state(A, "THAWED"));
	end = now_ms() + WAIT_MS;
	while (got == 0 && now_ms() < end) {
		got = waitpid(pid, &status, WNOHANG);
		if (!got)
			sleep_ms(10);
	}
	ASSERT_EQ(pid, got);
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	EXPECT_FILE(A "/tasks", "");
	EXPECT_EQ(0, rmdir(A));
	EXPECT_EQ(0, mkdir(A, 0755));
}

/* Moves every task of @from into @to, ignoring those that exited meanwhile. */
static void move_all(const char *from, const char *to)
{
	pid_t ids[256];
	int i, n = first_ids(from, ids, 256);

	for (i = 0; i < n; i++)
		move_to(to, ids[i], 0);
}

#define NCHURN 10
#define STRESS_MS 3000

TEST_F_TIMEOUT(frz, stress, 300)
{
	pid_t churn[NCHURN], mover, ids[512];
	long long end;
	int i, n, round = 0;
	char buf[32];

	ASSERT_EQ(0, mkdir(B, 0755));
	for (i = 0; i < NCHURN; i++) {
		churn[i] = spawn_in(i % 2 ? B : A, CHURN, i, -1);
		ASSERT_LT(0, churn[i]);
	}
	/* Tasks move from b to a and back, in and out of the frozen group. */
	mover = fork();
	ASSERT_LE(0, mover);
	if (!mover) {
		for (;;) {
			move_all(B "/tasks", A);
			move_all(A "/tasks", B);
		}
	}
	end = now_ms() + STRESS_MS;
	while (now_ms() < end) {
		set_state(B, "FROZEN");
		if (round % 4 == 0)
			set_state(A, "FROZEN");
		sleep_ms(round % 7);
		/* Whatever the moves do meanwhile, each group reads one of the states. */
		EXPECT_TRUE(read_text(STATE(A), buf, sizeof(buf)) > 0 && is_state(buf))
			TH_LOG("A: %s", buf);
		EXPECT_TRUE(read_text(STATE(B), buf, sizeof(buf)) > 0 && is_state(buf))
			TH_LOG("B: %s", buf);
		if (round % 4 == 0)
			set_state(A, "THAWED");
		set_state(B, "THAWED");
		sleep_ms(round % 5);
		round++;
	}
	kill_and_reap(mover);

	/* Everything runs again. */
	EXPECT_FILE(STATE(A), "THAWED\n");
	EXPECT_FILE(STATE(B), "THAWED\n");
	for (i = 0; i < NCHURN; i++)
		EXPECT_EQ(0, wait_progress(i, WAIT_MS)) TH_LOG("forker %d", churn[i]);
	n = first_ids(A "/tasks", ids, 256);
	ASSERT_LE(0, n);
	i = first_ids(B "/tasks", ids + n, 256);
	ASSERT_LE(0, i);
	n += i;
	for (i = 0; i < n; i++) {
		long long until = now_ms() + WAIT_MS;
		char st;

		while ((st = state_of(ids[i])) == 'D' && now_ms() < until)
			sleep_ms(10);
		EXPECT_NE('D', st) TH_LOG("task %d", ids[i]);
	}

	/* And every group empties and goes. */
	for (i = 0; i < NCHURN; i++)
		kill_and_reap(churn[i]);
	EXPECT_EQ(0, empty_group(B));
	EXPECT_EQ(0, empty_group(A));
	EXPECT_EQ(0, rmdir(B));
	EXPECT_EQ(0, rmdir(A));
	EXPECT_EQ(0, mkdir(A, 0755));
}

TEST_HARNESS_MAIN
