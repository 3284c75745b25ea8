// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 cpuset stress: for a few seconds, processes fork (some with a
 * thread), touch memory and exit while others move them between cpusets,
 * rewrite the cpusets' cpus and mems (with memory_migrate on some), flip
 * exclusive and load-balance flags, read the cpuset files and
 * /proc/<pid>/{status,cpuset}, and CPU 3 goes offline and online.
 *
 * Run in a kernel with lockdep and KASAN it looks for splats; at the end CPU
 * 3 must be back in the root cpuset and every cpuset must be removable,
 * which it is not if a task count leaked.
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
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-cpuset-stress")
#define SECONDS 4

/* The cpusets, parents first; rmdir goes backwards. */
static const char * const groups[] = { "g0", "g1", "g2", "g3", "g3/s" };
#define NGROUPS ((int)ARRAY_SIZE(groups))

static const char * const cpu_lists[] = { "0-3", "0-1", "2-3", "1", "3", "0,2", "1-3", "" };
static const char * const mem_lists[] = { "0", "1", "0-1", "" };

static time_t deadline;

/* What the workers got done, shared with the test (so that it can tell it ran). */
static struct counts {
	long forks, moves, cpus_writes, mems_writes, flag_writes, hotplugs;
	pid_t child[3];		/* each forker's current child */
} *done;

static int expired(void)
{
	return time(NULL) >= deadline;
}

/* Writes @text to @dir/@file; 1 if the write took, else 0. */
static int put(const char *dir, const char *file, const char *text)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), MNT "/%s/%s", dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return 0;
	/* EINVAL, EBUSY, ENOSPC, ESRCH and friends are part of the game. */
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

static void count(long *counter, int n)
{
	__atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

static void read_file(const char *path)
{
	char buf[4096];
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

static pid_t worker(void (*fn)(int), int arg)
{
	pid_t pid = fork();

	if (!pid) {
		deadline = time(NULL) + SECONDS;
		srand(getpid());
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void *toucher(void *arg)
{
	char *p = arg;
	int i;

	for (i = 0; i < 16; i++)
		p[i * 4096] = i;
	return NULL;
}

/* Children that touch 16 pages (from a second thread, for odd @arg) and exit. */
static void forker(int arg)
{
	while (!expired()) {
		pid_t pid = fork();

		if (!pid) {
			char *p = mmap(NULL, 16 * 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			pthread_t t;

			if (p == MAP_FAILED)
				_exit(1);
			if (arg & 1 && !pthread_create(&t, NULL, toucher, p))
				pthread_join(t, NULL);
			else
				toucher(p);
			usleep(rand() % 2000);
			_exit(0);
		}
		if (pid < 0)
			continue;
		__atomic_store_n(&done->child[arg], pid, __ATOMIC_RELAXED);
		if (waitpid(pid, NULL, 0) == pid)
			count(&done->forks, 1);
	}
}

/*
 * Moves tasks between cpusets (and the root): a forker's current child, or
 * a task listed in a random cpuset (all ours: only the test moves tasks there).
 */
static void mover(int arg)
{
	char buf[4096], path[128], id[32];

	while (!expired()) {
		int g = rand() % (NGROUPS + 1);
		pid_t pid = __atomic_load_n(&done->child[rand() % 3], __ATOMIC_RELAXED);

		if (rand() & 1) {
			ssize_t len;
			int lines = 0, pick, i;
			char *p = buf;

			snprintf(path, sizeof(path), MNT "/%s/tasks", groups[rand() % NGROUPS]);
			len = read_text(path, buf, sizeof(buf));
			for (i = 0; i < len; i++)
				lines += buf[i] == '\n';
			if (lines) {
				for (pick = rand() % lines; pick; pick--)
					p = strchr(p, '\n') + 1;
				pid = atoi(p);
			}
		}
		snprintf(id, sizeof(id), "%d", pid);
		count(&done->moves,
		      put(g == NGROUPS ? "." : groups[g], arg & 1 ? "tasks" : "cgroup.procs", id));
	}
}

/* Rewrites cpus and mems and flips flags. */
static void changer(int arg)
{
	while (!expired()) {
		const char *g = groups[rand() % NGROUPS];

		switch (rand() % 6) {
		case 0:
		case 1:
			count(&done->cpus_writes,
			      put(g, "cpuset.cpus", cpu_lists[rand() % ARRAY_SIZE(cpu_lists)]));
			break;
		case 2:
			count(&done->mems_writes,
			      put(g, "cpuset.mems", mem_lists[rand() % ARRAY_SIZE(mem_lists)]));
			break;
		case 3:
			count(&done->flag_writes,
			      put(g, "cpuset.memory_migrate", rand() & 1 ? "1" : "0"));
			break;
		case 4:
			count(&done->flag_writes,
			      put(g, rand() & 1 ? "cpuset.cpu_exclusive" : "cpuset.mem_exclusive",
				  rand() & 1 ? "1" : "0"));
			break;
		case 5:
			count(&done->flag_writes,
			      put(rand() & 1 ? "." : g, "cpuset.sched_load_balance",
				  rand() & 1 ? "1" : "0"));
			break;
		}
	}
	(void)arg;
}

/*
 * CPU 3 offline and online. Going offline fails with EBUSY while CPU 3 is
 * alone in a scheduler root domain (the root not balancing, a balancing
 * cpuset of CPU 3 only: the deadline bandwidth check); then try again.
 */
static void hotplug(int arg)
{
	while (!expired()) {
		if (write_text("/sys/devices/system/cpu/cpu3/online", "0")) {
			usleep(10000);
			continue;
		}
		usleep(50000);
		if (write_text("/sys/devices/system/cpu/cpu3/online", "1"))
			break;
		count(&done->hotplugs, 1);
		usleep(50000);
	}
	(void)arg;
}

static void reader(int arg)
{
	char path[128];

	while (!expired()) {
		int g = rand() % NGROUPS;

		snprintf(path, sizeof(path), MNT "/%s/tasks", groups[g]);
		read_file(path);
		snprintf(path, sizeof(path), MNT "/%s/cpuset.effective_cpus", groups[g]);
		read_file(path);
		snprintf(path, sizeof(path), MNT "/%s/cpuset.mems", groups[g]);
		read_file(path);
		snprintf(path, sizeof(path), "/proc/%d/status", getppid() + rand() % 64);
		read_file(path);
		snprintf(path, sizeof(path), "/proc/%d/cpuset", getppid() + rand() % 64);
		read_file(path);
	}
	(void)arg;
}

TEST(stress)
{
	int hotplug_ok = !access("/sys/devices/system/cpu/cpu3/online", W_OK);
	char path[256];
	pid_t pids[16];
	int i, n = 0;

	if (read_text("/sys/devices/system/cpu/online", path, sizeof(path)) < 0 ||
	    strcmp(path, "0-3\n") ||
	    read_text("/sys/devices/system/node/has_memory", path, sizeof(path)) < 0 ||
	    strcmp(path, "0-1\n"))
		SKIP(return, "needs the test guest: CPUs 0-3 online, memory on nodes 0-1");
	done = mmap(NULL, sizeof(*done), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(MAP_FAILED, done);
	ASSERT_EQ(0, try_mount(MNT, "cpuset"));
	for (i = 0; i < NGROUPS; i++) {
		snprintf(path, sizeof(path), MNT "/%s", groups[i]);
		ASSERT_EQ(0, mkdir(path, 0755));
		put(groups[i], "cpuset.cpus", i == 2 ? "3" : "0-3");
		put(groups[i], "cpuset.mems", i == 1 ? "1" : "0-1");
	}
	put("g1", "cpuset.memory_migrate", "1");

	for (i = 0; i < 3; i++)
		pids[n++] = worker(forker, i);
	for (i = 0; i < 2; i++)
		pids[n++] = worker(mover, i);
	pids[n++] = worker(changer, 0);
	pids[n++] = worker(reader, 0);
	if (hotplug_ok)
		pids[n++] = worker(hotplug, 0);
	for (i = 0; i < n; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status)) TH_LOG("worker %d: status %#x", i, status);
	}
	TH_LOG("%ld forks, %ld moves, %ld cpus, %ld mems and %ld flag writes, %ld hotplug cycles",
	       done->forks, done->moves, done->cpus_writes, done->mems_writes, done->flag_writes,
	       done->hotplugs);
	/* Each kind of work happened (the writes that take are a fraction). */
	EXPECT_LT(0, done->forks);
	EXPECT_LT(0, done->moves);
	EXPECT_LT(0, done->cpus_writes);
	EXPECT_LT(0, done->mems_writes);
	EXPECT_LT(0, done->flag_writes);
	if (hotplug_ok)
		EXPECT_LT(0, done->hotplugs);
	if (hotplug_ok) {
		if (read_text("/sys/devices/system/cpu/cpu3/online", path, sizeof(path)) > 0 &&
		    path[0] == '0')
			EXPECT_EQ(0, write_text("/sys/devices/system/cpu/cpu3/online", "1"));
	}
	EXPECT_EQ(0, write_pid(MNT "/tasks", getpid()));
	/* CPU 3 is back in the root; the root balances again. */
	EXPECT_FILE(MNT "/cpuset.cpus", "0-3\n");
	EXPECT_FILE(MNT "/cpuset.effective_cpus", "0-3\n");
	EXPECT_EQ(0, write_text(MNT "/cpuset.sched_load_balance", "1"));
	/* Every worker is gone: no cpuset may still count a task. */
	for (i = NGROUPS - 1; i >= 0; i--) {
		snprintf(path, sizeof(path), MNT "/%s", groups[i]);
		EXPECT_EQ(0, rmdir(path)) TH_LOG("rmdir %s: %s", path, strerror(errno));
	}
	EXPECT_EQ(0, wait_num_cgroups("cpuset", 1));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_hierarchy_gone(":cpuset:"));
	/* Without hotplug only part of the case ran: say so, unless it failed. */
	if (!hotplug_ok && _metadata->exit_code == KSFT_PASS)
		SKIP(return, "ran without CPU hotplug: no writable cpu3/online");
}

TEST_HARNESS_MAIN
