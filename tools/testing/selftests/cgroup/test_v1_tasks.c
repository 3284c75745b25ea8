// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: task membership. tasks and cgroup.procs (reads and moves, with
 * their errno), fork inheritance, exit removal, /proc/<pid>/cgroup, and the
 * rules these impose on rmdir.
 *
 * Every expectation is the behaviour of the C implementation of the same
 * kernel: the tests pass unchanged on both it and the Rust implementation.
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

#define MNT CGV1_DIR("cgv1-tasks")
#define MNT2 CGV1_DIR("cgv1-tasks2")

static int contains(const char *path, int id)
{
	int ids[4096], n, i;

	n = read_ids(path, ids, 4096);
	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return n < 0 ? n : 0;
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/* The path of @pid in the hierarchy named @name, from /proc/<pid>/cgroup. */
static int proc_cgroup_path(int pid, const char *name, char *path, size_t size, int *id)
{
	char file[64], buf[4096], want[128], *line, *save;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", pid);
	if (read_text(file, buf, sizeof(buf)) < 0)
		return -1;
	snprintf(want, sizeof(want), ":name=%s:", name);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, want);

		if (p) {
			*id = atoi(line);
			snprintf(path, size, "%s", p + strlen(want));
			return 0;
		}
	}
	return -1;
}

static void *sleeper(void *arg)
{
	int *tid = arg;

	*tid = gettid_();
	for (;;)
		pause();
	return NULL;
}

FIXTURE(tasks) {
	int unused;
};

FIXTURE_SETUP(tasks)
{
	ASSERT_EQ(0, make_mount_point(MNT));
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0, "none,name=cgv1tasks"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/b", 0755));
}

FIXTURE_TEARDOWN(tasks)
{
	write_pid(MNT "/cgroup.procs", getpid());
	rmdir(MNT "/a");
	rmdir(MNT "/b");
	umount(MNT);
}

TEST_F(tasks, top_group_has_every_task)
{
	EXPECT_EQ(1, contains(MNT "/tasks", getpid()));
	EXPECT_EQ(1, contains(MNT "/cgroup.procs", getpid()));
	EXPECT_EQ(1, contains(MNT "/tasks", 1));
	EXPECT_EQ(0, contains(MNT "/a/tasks", getpid()));
	EXPECT_EQ(0, contains(MNT "/a/cgroup.procs", 1));
}

TEST_F(tasks, move_self_and_back)
{
	char path[256];
	int id;

	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	EXPECT_EQ(1, contains(MNT "/a/tasks", getpid()));
	EXPECT_EQ(0, contains(MNT "/tasks", getpid()));
	ASSERT_EQ(0, proc_cgroup_path(getpid(), "cgv1tasks", path, sizeof(path), &id));
	EXPECT_STREQ("/a", path);
	EXPECT_LT(0, id);
	/* Already there: success, nothing changes. */
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", getpid()));
	ASSERT_EQ(0, write_pid(MNT "/tasks", getpid()));
	EXPECT_EQ(0, contains(MNT "/a/tasks", getpid()));
	ASSERT_EQ(0, proc_cgroup_path(getpid(), "cgv1tasks", path, sizeof(path), &id));
	EXPECT_STREQ("/", path);
}

TEST_F(tasks, fork_inherits_exit_removes)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, write_pid(MNT "/a/cgroup.procs", getpid()));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(1, contains(MNT "/a/tasks", pid));
	EXPECT_EQ(1, contains(MNT "/a/cgroup.procs", pid));
	EXPECT_EQ(0, contains(MNT "/tasks", pid));
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, contains(MNT "/a/tasks", pid));
	EXPECT_EQ(0, contains(MNT "/a/cgroup.procs", pid));
}

TEST_F(tasks, procs_moves_whole_group_tasks_one_thread)
{
	pthread_t thread;
	int tid = 0;

	ASSERT_EQ(0, pthread_create(&thread, NULL, sleeper, &tid));
	while (!__atomic_load_n(&tid, __ATOMIC_SEQ_CST))
		usleep(1000);
	ASSERT_EQ(0, write_pid(MNT "/a/cgroup.procs", tid));
	EXPECT_EQ(1, contains(MNT "/a/tasks", getpid()));
	EXPECT_EQ(1, contains(MNT "/a/tasks", tid));
	ASSERT_EQ(0, write_pid(MNT "/b/tasks", tid));
	EXPECT_EQ(1, contains(MNT "/a/tasks", getpid()));
	EXPECT_EQ(0, contains(MNT "/a/tasks", tid));
	EXPECT_EQ(1, contains(MNT "/b/tasks", tid));
	/* cgroup.procs lists the tgid of every member thread. */
	EXPECT_EQ(1, contains(MNT "/a/cgroup.procs", getpid()));
	EXPECT_EQ(1, contains(MNT "/b/cgroup.procs", getpid()));
	EXPECT_EQ(0, contains(MNT "/b/cgroup.procs", tid));
	ASSERT_EQ(0, write_pid(MNT "/cgroup.procs", getpid()));
	EXPECT_EQ(0, contains(MNT "/b/tasks", tid));
	pthread_cancel(thread);
	pthread_join(thread, NULL);
}

TEST_F(tasks, move_errors)
{
	char comm[64], path[300], flagged[300] = "";
	struct dirent *de;
	DIR *proc;

	EXPECT_EQ(-EINVAL, write_text(MNT "/a/tasks", "abc"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/tasks", "-1"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cgroup.procs", "1x"));
	EXPECT_EQ(-ESRCH, write_text(MNT "/a/tasks", "4000000"));
	EXPECT_EQ(-ESRCH, write_text(MNT "/a/cgroup.procs", "4000000"));
	/*
	 * A per-CPU kernel thread (PF_NO_SETAFFINITY) may not move: the
	 * guests are SMP, so migration/0 exists.
	 */
	proc = opendir("/proc");
	ASSERT_NE(NULL, proc);
	while ((de = readdir(proc))) {
		if (atoi(de->d_name) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		if (read_text(path, comm, sizeof(comm)) > 0 && !strcmp(comm, "migration/0\n")) {
			snprintf(flagged, sizeof(flagged), "%s", de->d_name);
			break;
		}
	}
	closedir(proc);
	ASSERT_STRNE("", flagged) TH_LOG("no migration/0 kernel thread");
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/tasks", flagged));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cgroup.procs", flagged));
	EXPECT_EQ(0, contains(MNT "/a/tasks", atoi(flagged)));
	EXPECT_EQ(1, contains(MNT "/tasks", atoi(flagged)));
}

TEST_F(tasks, removed_group_refuses_moves)
{
	int fd;

	fd = open(MNT "/b/tasks", O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rmdir(MNT "/b"));
	EXPECT_EQ(-1, write(fd, "0", 1));
	EXPECT_EQ(ENODEV, errno);
	close(fd);
}

TEST_F(tasks, rmdir_busy_while_populated)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", pid));
	EXPECT_EQ(-1, rmdir(MNT "/a"));
	EXPECT_EQ(EBUSY, errno);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* A reaped task does not keep its group. */
	EXPECT_EQ(0, rmdir(MNT "/a"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
}

TEST_F(tasks, euid_rule_and_delegation)
{
	pid_t child, victim;
	int status;

	ASSERT_EQ(0, chown(MNT "/a", 65534, 65534));
	ASSERT_EQ(0, chown(MNT "/a/tasks", 65534, 65534));
	ASSERT_EQ(0, chown(MNT "/a/cgroup.procs", 65534, 65534));
	victim = fork();
	ASSERT_LE(0, victim);
	if (!victim) {
		pause();
		_exit(0);
	}
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		if (setgid(65534) || setuid(65534))
			_exit(10);
		/* Not ours: EACCES. */
		if (write_pid(MNT "/a/tasks", victim) != -EACCES)
			_exit(11);
		/* Our own: allowed in the delegated group. */
		if (write_pid(MNT "/a/tasks", getpid()))
			_exit(12);
		/* The top group's tasks file is root's: open fails. */
		if (write_pid(MNT "/tasks", getpid()) != -EACCES)
			_exit(13);
		/* A delegated directory lets us make groups. */
		if (mkdir(MNT "/a/mine", 0755))
			_exit(14);
		if (rmdir(MNT "/a/mine"))
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	kill(victim, SIGKILL);
	waitpid(victim, &status, 0);
}

TEST(proc_cgroup_newest_hierarchy_first)
{
	char buf[4096], first[128];
	int id1, id2;

	ASSERT_EQ(0, make_mount_point(MNT));
	ASSERT_EQ(0, make_mount_point(MNT2));
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0, "none,name=cgv1first"));
	ASSERT_EQ(0, mount("none", MNT2, "cgroup", 0, "none,name=cgv1second"));
	ASSERT_EQ(0, proc_cgroup_path(getpid(), "cgv1first", buf, sizeof(buf), &id1));
	EXPECT_STREQ("/", buf);
	ASSERT_EQ(0, proc_cgroup_path(getpid(), "cgv1second", buf, sizeof(buf), &id2));
	EXPECT_STREQ("/", buf);
	EXPECT_LT(id1, id2);
	ASSERT_LT(0, read_text("/proc/self/cgroup", buf, sizeof(buf)));
	snprintf(first, sizeof(first), "%d:name=cgv1second:/\n%d:name=cgv1first:/\n", id2, id1);
	EXPECT_EQ(0, strncmp(buf, first, strlen(first))) TH_LOG("/proc/self/cgroup: %s", buf);
	EXPECT_EQ(0, umount(MNT2));
	EXPECT_EQ(0, umount(MNT));
}

TEST_HARNESS_MAIN
