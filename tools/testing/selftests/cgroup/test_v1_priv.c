// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: privilege and isolation.
 *
 * - mount, remount, umount, fsopen() and release_agent writes by a user
 *   without capabilities, and by root of a new user namespace: the release
 *   agent may only be set through a file opened by the initial user
 *   namespace's administrator (the opener's credentials count, not the
 *   writer's: CVE-2022-0492);
 * - moves through tasks and cgroup.procs: the opener's euid must be root or
 *   the target's uid or suid; mkdir, rmdir and writes in a group owned by
 *   another user (EACCES); delegation of a group to a user, whose groups and
 *   their files then belong to that user;
 * - a task in a new pid namespace sees only its namespace's tasks in tasks
 *   and cgroup.procs, as pids of its namespace, and moves tasks by them;
 * - the release agent runs as root with every capability, out of the user's
 *   context, when a user's task empties a group (test_v1_release covers its
 *   arguments and environment).
 *
 * Every expectation is the behaviour of the C implementation of the same
 * kernel: the tests pass unchanged on both it and the Rust implementation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
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

#define MNT CGV1_DIR("cgv1-priv")
#define MNT2 CGV1_DIR("cgv1-priv2")
#define NAME "cgv1priv"
#define AGENT "/tmp/cgv1-priv-agent.sh"
#define AGENT_LOG "/tmp/cgv1-priv-agent.log"
#define USER 1000
#define OTHER 2000
#define NOBODY 65534

/* Tasks a test started, killed by the teardown. */
static pid_t tracked[8];
static int ntracked;

/* Whether @path holds exactly @text. */
static int file_is(const char *path, const char *text)
{
	char buf[4096];

	return read_text(path, buf, sizeof(buf)) == (ssize_t)strlen(text) && !strcmp(buf, text);
}

/* The value of field @key ("CapEff:") of /proc/self/status, in @val. */
static int status_field(const char *key, char *val, size_t size)
{
	char buf[4096], *p, *end;

	if (read_text("/proc/self/status", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, key);
	if (!p)
		return -1;
	p += strlen(key);
	p += strspn(p, "\t ");
	end = strchr(p, '\n');
	if (!end || (size_t)(end - p) >= size)
		return -1;
	memcpy(val, p, end - p);
	val[end - p] = '\0';
	return 0;
}

/* Drops every privilege: all uids and gids to @uid, no groups, no capability. */
static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	return 0;
}

/*
 * Enters a new user and mount namespace, mapping its root to the global
 * root: the task is root there with every capability of that namespace, and
 * none in the initial one.
 */
static int enter_userns(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -1;
	if (write_text("/proc/self/uid_map", "0 0 1") ||
	    write_text("/proc/self/setgroups", "deny") ||
	    write_text("/proc/self/gid_map", "0 0 1"))
		return -1;
	return 0;
}

/* Runs @fn(@arg) in a child as user @uid (-1: as root); returns its exit code. */
static int run_child(int uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (uid >= 0 && become(uid))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Forks a task that sleeps with real, effective and saved uid @r, @e, @s. */
static pid_t sleeper_as(uid_t r, uid_t e, uid_t s)
{
	pid_t pid = fork();

	if (!pid) {
		if (setresuid(r, e, s))
			_exit(1);
		for (;;)
			pause();
	}
	return pid;
}

/*
 * Takes a file that a child opened for writing at @path, as user @uid or
 * (@uid < 0) as root of a new user namespace: the file keeps its opener's
 * credentials. Returns an fd of the calling task, or -errno.
 */
static int fd_opened_by(int uid, const char *path)
{
	int to_parent[2], to_child[2], fd = -1, pidfd, ret;
	pid_t pid;

	if (pipe(to_parent) || pipe(to_child))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(to_parent[0]);
		close(to_child[1]);
		if (uid < 0 ? enter_userns() : become(uid))
			fd = -1000;
		else
			fd = open(path, O_WRONLY);
		if (fd < 0 && fd != -1000)
			fd = -errno;
		if (write(to_parent[1], &fd, sizeof(fd)) != sizeof(fd))
			_exit(1);
		ret = read(to_child[0], &fd, 1);
		_exit(ret < 0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	if (read(to_parent[0], &fd, sizeof(fd)) != sizeof(fd))
		fd = -EIO;
	if (fd >= 0) {
		pidfd = syscall(SYS_pidfd_open, pid, 0);
		fd = pidfd < 0 ? -errno : syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (fd < 0)
			fd = -errno;
		if (pidfd >= 0)
			close(pidfd);
	}
	close(to_parent[0]);
	close(to_child[1]);
	waitpid(pid, NULL, 0);
	return fd;
}

/* write() of @text to @fd: 0 if it took it all, else -errno. */
static int fd_write(int fd, const char *text)
{
	ssize_t len = write(fd, text, strlen(text));

	if (len < 0)
		return -errno;
	return len == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int chown_all(uid_t uid, const char * const *paths)
{
	for (; *paths; paths++)
		if (chown(*paths, uid, uid))
			return -errno;
	return 0;
}

FIXTURE(priv) {
	char capeff[64];
};

FIXTURE_SETUP(priv)
{
	int fd;

	fd = open(AGENT, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ASSERT_LE(0, fd);
	/* Logs who runs it: $# $1, then its ids, capabilities, group and user namespace. */
	ASSERT_LT(0, dprintf(fd, "#!/bin/sh\n{\necho \"$# $1\"\n"
			     "while read -r k v; do\n"
			     "\tcase $k in PPid:|Uid:|Gid:|CapEff:) echo $k $v;; esac\n"
			     "done < /proc/self/status\n"
			     "while read -r l; do\n"
			     "\tcase $l in *:name=%s:*) echo \"cgroup ${l#*:name=%s:}\";; esac\n"
			     "done < /proc/self/cgroup\n"
			     "read -r a b c < /proc/self/uid_map\necho uid_map $a $b $c\n"
			     "echo end\n} >> %s\n", NAME, NAME, AGENT_LOG));
	close(fd);
	unlink(AGENT_LOG);
	umask(022);
	ASSERT_EQ(0, status_field("CapEff:", self->capeff, sizeof(self->capeff)));
	ASSERT_EQ(0, make_mount_point(MNT));
	ASSERT_EQ(0, make_mount_point(MNT2));
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0, "none,name=" NAME ",release_agent=" AGENT));
	ntracked = 0;
}

FIXTURE_TEARDOWN(priv)
{
	static const char * const dirs[] = {
		"d/c1/n", "d/c1", "d/c2", "d", "o/c", "o", "p", "q", "r/c", "r", NULL,
	};
	const char * const *d;
	char path[256];
	int i;

	for (i = 0; i < ntracked; i++)
		kill_and_reap(tracked[i]);
	write_pid(MNT "/cgroup.procs", getpid());
	EXPECT_EQ(0, write_text(MNT "/release_agent", AGENT));
	for (d = dirs; *d; d++) {
		snprintf(path, sizeof(path), "%s/%s", MNT, *d);
		rmdir(path);
	}
	umount(MNT2);
	umount(MNT);
	wait_hierarchy_gone(":name=" NAME ":");
	unlink(AGENT_LOG);
}

static pid_t track(pid_t pid)
{
	if (pid > 0 && ntracked < 8)
		tracked[ntracked++] = pid;
	return pid;
}

/* Without capabilities: no mount, remount, umount or fsopen() (EPERM). */
static int unprivileged_mounts(void *arg)
{
	char capeff[64];

	CHECK(!status_field("CapEff:", capeff, sizeof(capeff)));
	CHECK(!strcmp(capeff, "0000000000000000"));
	CHECK(mount("none", MNT2, "cgroup", 0, "none,name=cgv1privnew") == -1 && errno == EPERM);
	CHECK(mount("none", MNT2, "cgroup", 0, "none,name=" NAME) == -1 && errno == EPERM);
	CHECK(mount("none", MNT2, "cgroup", 0, "none,name=" NAME ",release_agent=/x") == -1 &&
	      errno == EPERM);
	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT, "none,name=" NAME) == -1 && errno == EPERM);
	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT, "none,name=" NAME ",release_agent=/x") == -1 &&
	      errno == EPERM);
	CHECK(umount(MNT) == -1 && errno == EPERM);
	CHECK(fsopen("cgroup", FSOPEN_CLOEXEC) == -1 && errno == EPERM);
	return CHILD_RESULT;
}

TEST_F(priv, unprivileged_user_cannot_mount)
{
	EXPECT_EQ(0, run_child(NOBODY, unprivileged_mounts, NULL));
	EXPECT_FILE(MNT "/release_agent", AGENT "\n");
}

/* release_agent by a user: the open fails, or the write does unless root opened it. */
static int unprivileged_agent(void *arg)
{
	int root_fd = *(int *)arg;

	CHECK(write_text(MNT "/release_agent", "/x") == -EPERM);
	CHECK(fd_write(root_fd, "/bin/by-root-fd") == 0);
	return CHILD_RESULT;
}

TEST_F(priv, unprivileged_user_and_release_agent)
{
	struct stat st;
	int fd;

	/* Mode 0644, root's: the open fails. */
	fd = fd_opened_by(NOBODY, MNT "/release_agent");
	EXPECT_EQ(-EACCES, fd);
	ASSERT_EQ(0, chmod(MNT "/release_agent", 0666));
	ASSERT_EQ(0, stat(MNT "/release_agent", &st));
	EXPECT_EQ(0100666, st.st_mode);
	/* Opened by the user, the write fails; opened by root, it succeeds. */
	fd = open(MNT "/release_agent", O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, run_child(NOBODY, unprivileged_agent, &fd));
	close(fd);
	EXPECT_FILE(MNT "/release_agent", "/bin/by-root-fd\n");
	fd = fd_opened_by(NOBODY, MNT "/release_agent");
	ASSERT_LE(0, fd);
	/* Root writing through the user's file: still refused. */
	EXPECT_EQ(-EPERM, fd_write(fd, AGENT));
	close(fd);
	EXPECT_FILE(MNT "/release_agent", "/bin/by-root-fd\n");
}

/*
 * Root of a new user namespace: mounts are refused (EPERM), release_agent as
 * a mount option is invalid (EINVAL), the mounts copied from the initial
 * namespace are locked (EINVAL on umount); fsopen() works, but its
 * superblock cannot be made.
 */
static int userns_mounts(void *arg)
{
	const char *root_capeff = arg;
	char capeff[64];
	int fd;

	CHECK(!enter_userns());
	CHECK(getuid() == 0 && geteuid() == 0);
	CHECK(!status_field("CapEff:", capeff, sizeof(capeff)));
	CHECK(!strcmp(capeff, root_capeff));
	CHECK(!mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
	CHECK(mount("none", MNT2, "cgroup", 0, "none,name=cgv1privnew") == -1 && errno == EPERM);
	CHECK(mount("none", MNT2, "cgroup", 0, "none,name=" NAME) == -1 && errno == EPERM);
	CHECK(mount("none", MNT2, "cgroup", 0, "none,name=" NAME ",release_agent=/x") == -1 &&
	      errno == EINVAL);
	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT, "none,name=" NAME) == -1 && errno == EPERM);
	CHECK(mount(NULL, MNT, NULL, MS_REMOUNT, "none,name=" NAME ",release_agent=/x") == -1 &&
	      errno == EINVAL);
	CHECK(umount(MNT) == -1 && errno == EINVAL);

	fd = fsopen("cgroup", FSOPEN_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(!fsconfig(fd, FSCONFIG_SET_FLAG, "none", NULL, 0));
	CHECK(!fsconfig(fd, FSCONFIG_SET_STRING, "name", NAME, 0));
	CHECK(fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1 && errno == EPERM);
	close(fd);
	fd = fsopen("cgroup", FSOPEN_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(fsconfig(fd, FSCONFIG_SET_STRING, "release_agent", "/x", 0) == -1 &&
	      errno == EINVAL);
	close(fd);
	return CHILD_RESULT;
}

TEST_F(priv, user_namespace_root_cannot_mount)
{
	int fd, mfd;

	/* The same calls work for root in the initial namespace. */
	fd = fsopen("cgroup", FSOPEN_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fsconfig(fd, FSCONFIG_SET_FLAG, "none", NULL, 0));
	ASSERT_EQ(0, fsconfig(fd, FSCONFIG_SET_STRING, "name", NAME, 0));
	ASSERT_EQ(0, fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0);
	ASSERT_LE(0, mfd);
	close(fd);
	ASSERT_EQ(0, move_mount(mfd, "", AT_FDCWD, MNT2, MOVE_MOUNT_F_EMPTY_PATH));
	close(mfd);
	EXPECT_FILE(MNT2 "/release_agent", AGENT "\n");
	ASSERT_EQ(0, umount(MNT2));

	EXPECT_EQ(0, run_child(-1, userns_mounts, self->capeff));
	EXPECT_FILE(MNT "/release_agent", AGENT "\n");
}

/* Writes through a file root opened before: root's credentials count. */
static int userns_agent(void *arg)
{
	int root_fd = *(int *)arg;

	CHECK(!enter_userns());
	CHECK(write_text(MNT "/release_agent", "/x") == -EPERM);
	CHECK(fd_write(root_fd, "/bin/by-root-fd") == 0);
	return CHILD_RESULT;
}

TEST_F(priv, user_namespace_root_and_release_agent)
{
	int fd;

	fd = open(MNT "/release_agent", O_WRONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, run_child(-1, userns_agent, &fd));
	close(fd);
	EXPECT_FILE(MNT "/release_agent", "/bin/by-root-fd\n");
	/* Opened in the user namespace, written by root outside: refused. */
	fd = fd_opened_by(-1, MNT "/release_agent");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, fd_write(fd, AGENT));
	close(fd);
	EXPECT_FILE(MNT "/release_agent", "/bin/by-root-fd\n");
}

struct targets {
	pid_t other, ruid, suid, euid;
};

static int user_moves(void *arg)
{
	struct targets *t = arg;

	/* Another user's task: EACCES, through either file. */
	CHECK(write_pid(MNT "/d/tasks", t->other) == -EACCES);
	CHECK(write_pid(MNT "/d/cgroup.procs", t->other) == -EACCES);
	/* The target's real or saved uid must be the opener's euid; its euid does not count. */
	CHECK(write_pid(MNT "/d/tasks", t->euid) == -EACCES);
	CHECK(write_pid(MNT "/d/tasks", t->ruid) == 0);
	CHECK(write_pid(MNT "/d/cgroup.procs", t->suid) == 0);
	/* No such task: ESRCH, before any permission check. */
	CHECK(write_pid(MNT "/d/tasks", 999999) == -ESRCH);
	/* Its own task. */
	CHECK(write_pid(MNT "/d/cgroup.procs", getpid()) == 0);
	CHECK(write_text(MNT "/d/tasks", "0") == 0);
	/* The files of the top group and of d itself stay root's. */
	CHECK(write_pid(MNT "/cgroup.procs", getpid()) == -EACCES);
	CHECK(write_text(MNT "/d/notify_on_release", "1") == -EACCES);
	/* Another user's group. */
	CHECK(mkdir(MNT "/o/x", 0755) == -1 && errno == EACCES);
	CHECK(rmdir(MNT "/o/c") == -1 && errno == EACCES);
	CHECK(write_text(MNT "/o/notify_on_release", "1") == -EACCES);
	CHECK(write_pid(MNT "/o/tasks", getpid()) == -EACCES);
	CHECK(rmdir(MNT "/d") == -1 && errno == EACCES);
	return CHILD_RESULT;
}

static int contains(const char *path, pid_t pid)
{
	char buf[8192], want[32];

	snprintf(want, sizeof(want), "\n%d\n", pid);
	buf[0] = '\n';
	if (read_text(path, buf + 1, sizeof(buf) - 1) < 0)
		return -1;
	return !!strstr(buf, want);
}

TEST_F(priv, attach_needs_the_targets_uid)
{
	static const char * const mine[] = {
		MNT "/d", MNT "/d/tasks", MNT "/d/cgroup.procs", NULL,
	};
	static const char * const other[] = { MNT "/o", MNT "/o/c", MNT "/o/tasks",
					      MNT "/o/notify_on_release", NULL };
	struct targets t;
	char buf[32];
	int fd;

	ASSERT_EQ(0, mkdir(MNT "/d", 0755));
	ASSERT_EQ(0, mkdir(MNT "/o", 0755));
	ASSERT_EQ(0, mkdir(MNT "/o/c", 0755));
	ASSERT_EQ(0, chown_all(USER, mine));
	ASSERT_EQ(0, chown_all(OTHER, other));
	t.other = track(sleeper_as(OTHER, OTHER, OTHER));
	t.ruid = track(sleeper_as(USER, OTHER, OTHER));
	t.suid = track(sleeper_as(OTHER, OTHER, USER));
	t.euid = track(sleeper_as(OTHER, USER, OTHER));
	ASSERT_LT(0, t.other);
	ASSERT_LT(0, t.ruid);
	ASSERT_LT(0, t.suid);
	ASSERT_LT(0, t.euid);
	usleep(100000);

	EXPECT_EQ(0, run_child(USER, user_moves, &t));
	EXPECT_EQ(0, contains(MNT "/d/tasks", t.other));
	EXPECT_EQ(0, contains(MNT "/d/tasks", t.euid));
	EXPECT_EQ(1, contains(MNT "/d/tasks", t.ruid));
	EXPECT_EQ(1, contains(MNT "/d/cgroup.procs", t.suid));
	EXPECT_EQ(1, contains(MNT "/tasks", t.other));

	/* The opener's euid counts: root's file moves anyone, the user's file does not. */
	fd = fd_opened_by(USER, MNT "/d/tasks");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EACCES, fd_write(fd, "1"));
	snprintf(buf, sizeof(buf), "%d", t.other);
	EXPECT_EQ(-EACCES, fd_write(fd, buf));
	close(fd);
	EXPECT_EQ(0, contains(MNT "/d/tasks", t.other));
	ASSERT_EQ(0, write_pid(MNT "/d/tasks", t.other));
	EXPECT_EQ(1, contains(MNT "/d/tasks", t.other));
}

/* A delegated group: the user makes, fills, empties and removes subgroups. */
static int user_delegation(void *arg)
{
	static const char * const files[] = {
		"tasks", "cgroup.procs", "notify_on_release", "cgroup.clone_children", NULL,
	};
	const char * const *f;
	char path[256], buf[4096];
	struct stat st;

	CHECK(!mkdir(MNT "/d/c1", 0755));
	CHECK(!mkdir(MNT "/d/c2", 0700));
	CHECK(!stat(MNT "/d/c1", &st));
	CHECK(st.st_uid == USER && st.st_gid == USER && st.st_mode == (S_IFDIR | 0755));
	CHECK(!stat(MNT "/d/c2", &st));
	CHECK(st.st_uid == USER && st.st_gid == USER && st.st_mode == (S_IFDIR | 0700));
	for (f = files; *f; f++) {
		snprintf(path, sizeof(path), MNT "/d/c1/%s", *f);
		CHECK(!stat(path, &st));
		CHECK(st.st_uid == USER && st.st_gid == USER && st.st_mode == (S_IFREG | 0644));
	}
	CHECK(!write_text(MNT "/d/c1/notify_on_release", "1"));
	CHECK(file_is(MNT "/d/c1/notify_on_release", "1\n"));
	CHECK(!mkdir(MNT "/d/c1/n", 0755));
	CHECK(!rmdir(MNT "/d/c1/n"));

	CHECK(!write_pid(MNT "/d/c1/cgroup.procs", getpid()));
	CHECK(read_text("/proc/self/cgroup", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, ":name=" NAME ":/d/c1\n"));
	CHECK(!write_text(MNT "/d/c2/tasks", "0"));
	CHECK(contains(MNT "/d/c2/tasks", getpid()) == 1);
	CHECK(contains(MNT "/d/c1/tasks", getpid()) == 0);
	CHECK(!rmdir(MNT "/d/c1"));
	CHECK(rmdir(MNT "/d/c2") == -1 && errno == EBUSY);
	CHECK(!write_pid(MNT "/d/cgroup.procs", getpid()));
	CHECK(!rmdir(MNT "/d/c2"));
	return CHILD_RESULT;
}

TEST_F(priv, delegated_group)
{
	static const char * const mine[] = {
		MNT "/d", MNT "/d/tasks", MNT "/d/cgroup.procs", NULL,
	};

	ASSERT_EQ(0, mkdir(MNT "/d", 0755));
	ASSERT_EQ(0, chown_all(USER, mine));
	EXPECT_EQ(0, run_child(USER, user_delegation, NULL));
	EXPECT_EQ(-ENOENT, access(MNT "/d/c1", F_OK) ? -errno : 0);
	EXPECT_EQ(-ENOENT, access(MNT "/d/c2", F_OK) ? -errno : 0);
}

/*
 * pid 1 of a new pid namespace, with its own /proc: makes pid 2, moves it and
 * itself into p by their pids here, checks what p and q show, and hands
 * /proc/1/cgroup to the test through @ready; waits for @done.
 */
static int ns_init(int ready, int done, pid_t outsider)
{
	char buf[4096];
	int ret = 0;
	ssize_t len;
	pid_t b;

	if (getpid() != 1)
		return 10;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("proc", "/proc", "proc", 0, NULL))
		return 11;
	b = fork();
	if (!b) {
		close(ready);
		close(done);
		for (;;)
			pause();
	}
	if (b != 2)
		ret = 12;
	else if (write_text(MNT "/p/tasks", "2"))
		ret = 13;
	else if (write_text(MNT "/p/cgroup.procs", "1"))
		ret = 14;
	else if (!file_is(MNT "/p/tasks", "1\n2\n"))
		ret = 15;
	else if (!file_is(MNT "/p/cgroup.procs", "1\n2\n"))
		ret = 16;
	else if (write_pid(MNT "/q/tasks", outsider) != -ESRCH)
		ret = 17;
	else if (!file_is(MNT "/q/tasks", "") || !file_is(MNT "/q/cgroup.procs", ""))
		ret = 18;
	else if (!file_is(MNT "/tasks", "") || !file_is(MNT "/cgroup.procs", ""))
		ret = 19;
	len = read_text("/proc/1/cgroup", buf, sizeof(buf));
	if (!ret && len > 0 && write(ready, buf, len) != len)
		ret = 20;
	close(ready);
	if (read(done, buf, 1) < 0 && !ret)
		ret = 21;
	kill(b, SIGKILL);
	waitpid(b, NULL, 0);
	return ret;
}

/* The pid of @pid in the namespace below ("NSpid:\t@pid\t<n>"), or -1. */
static int inner_pid(pid_t pid)
{
	char path[64], buf[4096], *p;
	int outer, inner;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, "\nNSpid:");
	if (!p || sscanf(p + 7, "%d %d", &outer, &inner) != 2 || outer != pid)
		return -1;
	return inner;
}

TEST_F(priv, pid_namespace_sees_its_own_pids)
{
	int ready[2], done[2], status, ids[3], n = 0, i, inner[3] = { 0 };
	char buf[4096], want[4096], *l, *save;
	pid_t a, c;
	ssize_t len, got = 0;

	ASSERT_EQ(0, mkdir(MNT "/p", 0755));
	ASSERT_EQ(0, mkdir(MNT "/q", 0755));
	a = track(sleeper_as(0, 0, 0));
	ASSERT_LT(0, a);
	ASSERT_EQ(0, write_pid(MNT "/p/tasks", a));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	c = fork();
	ASSERT_LE(0, c);
	if (!c) {
		pid_t g;

		close(ready[0]);
		close(done[1]);
		if (unshare(CLONE_NEWPID | CLONE_NEWNS))
			_exit(90);
		g = fork();
		if (g < 0)
			_exit(91);
		if (!g)
			_exit(ns_init(ready[1], done[0], a));
		close(ready[1]);
		if (waitpid(g, &status, 0) != g)
			_exit(92);
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 93);
	}
	close(ready[1]);
	close(done[0]);
	while (got < (ssize_t)sizeof(buf) - 1 &&
	       (len = read(ready[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += len;
	buf[got] = '\0';
	close(ready[0]);

	/* From outside: a and both namespace tasks, by their pids here. */
	ASSERT_LE(0, read_text(MNT "/p/tasks", want, sizeof(want)));
	for (l = strtok_r(want, "\n", &save); l && n < 3; l = strtok_r(NULL, "\n", &save))
		ids[n++] = atoi(l);
	EXPECT_EQ(3, n);
	for (i = 0; i < n; i++) {
		int in = ids[i] == a ? 0 : inner_pid(ids[i]);
		char path[64];

		if (in != 1 && in != 2)
			continue;
		inner[in] = in;
		if (in == 1) {
			/* /proc/<pid>/cgroup reads the same inside and outside. */
			snprintf(path, sizeof(path), "/proc/%d/cgroup", ids[i]);
			EXPECT_FILE(path, buf);
		}
	}
	EXPECT_EQ(1, inner[1]);
	EXPECT_EQ(2, inner[2]);
	EXPECT_EQ(1, contains(MNT "/p/tasks", a));
	EXPECT_EQ(1, contains(MNT "/p/cgroup.procs", a));
	EXPECT_NE(0, got);

	close(done[1]);
	ASSERT_EQ(c, waitpid(c, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Waits up to 3 s for the agent's log to end; returns what it holds. */
static const char *agent_log(void)
{
	static char buf[4096];
	int ms;

	for (ms = 0; ms < 3000; ms += 20) {
		if (read_text(AGENT_LOG, buf, sizeof(buf)) > 0 && strstr(buf, "end\n"))
			break;
		usleep(20000);
	}
	/* Anything else it would log comes soon after. */
	usleep(300000);
	if (read_text(AGENT_LOG, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	return buf;
}

static void agent_expect(char *buf, size_t size, const char *path, const char *capeff)
{
	snprintf(buf, size, "1 %s\nPPid: 2\nUid: 0 0 0 0\nGid: 0 0 0 0\nCapEff: %s\n"
		 "cgroup /\nuid_map 0 0 4294967295\nend\n", path, capeff);
}

static int user_joins_and_exits(void *arg)
{
	CHECK(!write_pid(MNT "/r/cgroup.procs", getpid()));
	CHECK(contains(MNT "/r/tasks", getpid()) == 1);
	return CHILD_RESULT;
}

static int user_in_userns_joins(void *arg)
{
	CHECK(!write_pid(MNT "/r/cgroup.procs", getpid()));
	CHECK(!unshare(CLONE_NEWUSER));
	return CHILD_RESULT;
}

static int user_removes_child(void *arg)
{
	CHECK(!mkdir(MNT "/r/c", 0755));
	CHECK(file_is(MNT "/r/c/notify_on_release", "1\n"));
	CHECK(!rmdir(MNT "/r/c"));
	return CHILD_RESULT;
}

/*
 * Delegates /r (notify_on_release set) to USER, runs @empty_r as USER to
 * empty it, and checks what the agent logged: it ran as root for "/r".
 */
static void agent_after(struct __test_metadata *_metadata, const char *capeff,
			int (*empty_r)(void *))
{
	static const char * const mine[] = {
		MNT "/r", MNT "/r/tasks", MNT "/r/cgroup.procs", NULL,
	};
	char want[512];

	ASSERT_EQ(0, mkdir(MNT "/r", 0755));
	ASSERT_EQ(0, write_text(MNT "/r/notify_on_release", "1"));
	ASSERT_EQ(0, chown_all(USER, mine));
	EXPECT_EQ(0, run_child(USER, empty_r, NULL));
	agent_expect(want, sizeof(want), "/r", capeff);
	EXPECT_STREQ(want, agent_log());
}

TEST_F(priv, agent_runs_as_root_when_a_users_task_exits)
{
	agent_after(_metadata, self->capeff, user_joins_and_exits);
}

TEST_F(priv, agent_runs_as_root_when_a_user_namespace_task_exits)
{
	agent_after(_metadata, self->capeff, user_in_userns_joins);
}

TEST_F(priv, agent_runs_as_root_when_a_user_removes_a_group)
{
	agent_after(_metadata, self->capeff, user_removes_child);
}

TEST_HARNESS_MAIN
