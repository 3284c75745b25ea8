// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 stress: processes fork and exit while others move them between
 * groups, others make and remove groups, mount and unmount a second
 * hierarchy (in turn with no controller, with cpuacct and debug, and
 * remounted to bind debug), and read tasks files, controller files and
 * /proc/<pid>/cgroup. Bounded in time.
 *
 * Run in a kernel with lockdep, KASAN and kmemleak, it looks for splats; at
 * the end every group must be removable, which it is not if a task count
 * leaked.
 *
 * The workers run in a new pid namespace, where the movers write random small
 * pids to tasks and cgroup.procs: a pid is looked up in the writer's
 * namespace, so it can only name the test's own tasks, never another process
 * of the machine.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-stress")
#define MNT2 CGV1_DIR("cgv1-stress2")
#define NGROUPS 4
#define SECONDS 4

static time_t deadline;

static int expired(void)
{
	return time(NULL) >= deadline;
}

static void write_id(const char *path, int id)
{
	char buf[32];
	int fd, len;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "%d", id);
	/* ESRCH, ENODEV and friends are part of the game. */
	len = write(fd, buf, len);
	close(fd);
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
		fn(arg);
		_exit(0);
	}
	return pid;
}

static void forker(int arg)
{
	while (!expired()) {
		pid_t pid = fork();

		if (!pid) {
			if (arg & 1) {
				pid_t grandchild = fork();

				if (!grandchild)
					_exit(0);
				waitpid(grandchild, NULL, 0);
			}
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
}

static void mover(int arg)
{
	unsigned int seed = arg;
	char path[128];

	while (!expired()) {
		int group = rand_r(&seed) % (NGROUPS + 1);
		/* Pids of this pid namespace: 1 is its init, then the workers and theirs. */
		int pid = 1 + rand_r(&seed) % 64;

		if (group == NGROUPS)
			snprintf(path, sizeof(path), MNT "/%s", arg & 1 ? "tasks" : "cgroup.procs");
		else
			snprintf(path, sizeof(path), MNT "/g%d/%s", group,
				 arg & 1 ? "tasks" : "cgroup.procs");
		write_id(path, pid);
	}
}

static void dir_churn(int arg)
{
	char path[128];

	while (!expired()) {
		snprintf(path, sizeof(path), MNT "/g%d/sub", arg % NGROUPS);
		mkdir(path, 0755);
		write_id(MNT "/g0/sub/tasks", getpid());
		write_id(MNT "/tasks", getpid());
		rmdir(path);
	}
}

static void mount_churn(int arg)
{
	static const char * const opts[] = {
		"none,name=cgv1stress2", "cpuacct,debug", "cpuacct",
	};
	unsigned int i = 0;

	while (!expired()) {
		const char *o = opts[i++ % 3];

		mkdir(MNT2, 0755);
		/* Controllers may be missing or busy: failures are fine. */
		if (mount("none", MNT2, "cgroup", 0, o))
			continue;
		mkdir(MNT2 "/x", 0755);
		write_id(MNT2 "/x/cgroup.procs", getpid());
		read_file(MNT2 "/x/cpuacct.usage_all");
		read_file(MNT2 "/x/debug.cgroup_css_links");
		read_file(MNT2 "/debug.current_css_set");
		write_id(MNT2 "/cgroup.procs", getpid());
		rmdir(MNT2 "/x");
		/* Bind and unbind debug by remount while there is no child. */
		if (!strcmp(o, opts[0])) {
			mount("none", MNT2, "cgroup", MS_REMOUNT, "debug,name=cgv1stress2");
			read_file(MNT2 "/debug.cgroup_subsys_states");
			mount("none", MNT2, "cgroup", MS_REMOUNT, "none,name=cgv1stress2");
		}
		umount(MNT2);
	}
}

static void reader(int arg)
{
	char path[128];

	while (!expired()) {
		snprintf(path, sizeof(path), MNT "/g%d/tasks", rand() % NGROUPS);
		read_file(path);
		read_file(MNT "/cgroup.procs");
		snprintf(path, sizeof(path), "/proc/%d/cgroup", getpid() - rand() % 16);
		read_file(path);
	}
}

/* The init of the workers' pid namespace: reaps the orphans it adopts. */
static void ns_init(int arg)
{
	signal(SIGCHLD, SIG_IGN);
	for (;;)
		pause();
}

TEST(stress)
{
	pid_t pids[16], init;
	char path[128];
	int i, n = 0;

	/* The children made from here on are in a new pid namespace; the first is its init. */
	ASSERT_EQ(0, unshare(CLONE_NEWPID));
	init = worker(ns_init, 0);
	ASSERT_LT(0, init);
	ASSERT_EQ(0, make_mount_point(MNT));
	ASSERT_EQ(0, make_mount_point(MNT2));
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0, "none,name=cgv1stress"));
	for (i = 0; i < NGROUPS; i++) {
		snprintf(path, sizeof(path), MNT "/g%d", i);
		ASSERT_EQ(0, mkdir(path, 0755));
	}
	for (i = 0; i < 3; i++)
		pids[n++] = worker(forker, i);
	for (i = 0; i < 3; i++)
		pids[n++] = worker(mover, i);
	for (i = 0; i < 2; i++)
		pids[n++] = worker(dir_churn, i);
	pids[n++] = worker(mount_churn, 0);
	pids[n++] = worker(reader, 0);
	for (i = 0; i < n; i++) {
		int status;

		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status)) TH_LOG("worker %d: status %#x", i, status);
	}
	/* The namespace's init goes last: killing it kills any orphan left. */
	kill_and_reap(init);
	write_id(MNT "/cgroup.procs", getpid());
	/* Every worker is gone: no group may still count a task. */
	for (i = 0; i < NGROUPS; i++) {
		snprintf(path, sizeof(path), MNT "/g%d/sub", i);
		rmdir(path);
		snprintf(path, sizeof(path), MNT "/g%d", i);
		EXPECT_EQ(0, rmdir(path)) TH_LOG("rmdir %s: %s", path, strerror(errno));
	}
	EXPECT_EQ(0, umount(MNT));
	umount(MNT2);
}

TEST_HARNESS_MAIN
