/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the cgroup v1 selftests (test_v1_*.c).
 */
#ifndef __CGROUP_V1_UTIL_H
#define __CGROUP_V1_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Reads all of @path into @buf, NUL-terminated; returns its length or -errno. */
static inline ssize_t read_text(const char *path, char *buf, size_t size)
{
	ssize_t len, total = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while ((len = read(fd, buf + total, size - 1 - total)) > 0)
		total += len;
	close(fd);
	if (len < 0)
		return -errno;
	buf[total] = '\0';
	return total;
}

/*
 * Reads a tasks or cgroup.procs file into @ids (at most @max); returns their
 * number, -1 if the file cannot be read, or -2 if it is not "%d\n" lines of
 * ascending, unique, positive ids or holds more than @max.
 */
static inline int read_ids(const char *path, int *ids, int max)
{
	static char buf[1 << 16];
	char *line, *save;
	int n = 0;

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end;
		long v = strtol(line, &end, 10);

		if (*end || v <= 0 || n >= max || (n && v <= ids[n - 1]))
			return -2;
		ids[n++] = v;
	}
	return n;
}

/* Writes @text to @path in one write(); returns 0, -errno, or -EIO if short. */
static inline int write_text(const char *path, const char *text)
{
	ssize_t len;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = write(fd, text, strlen(text));
	close(fd);
	if (len < 0)
		return -errno;
	return len == (ssize_t)strlen(text) ? 0 : -EIO;
}

/*
 * Where the tests mount their hierarchies: under /sys/fs/cgroup, the sysfs
 * mount point that the cgroup core creates at boot, on which the guest's
 * /init mounts a tmpfs (as systemd does for v1 hierarchies).
 */
/* The line of @file that starts with @prefix, without its newline; -1 if none. */
static inline int find_line(const char *file, const char *prefix, char *line, size_t size)
{
	char buf[16384], *l, *save;

	if (read_text(file, buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, prefix, strlen(prefix))) {
			snprintf(line, size, "%s", l);
			return 0;
		}
	}
	return -1;
}

#define CGV1_ROOT "/sys/fs/cgroup"
#define CGV1_DIR(name) CGV1_ROOT "/" name

/*
 * Makes the mount point @dir (one level under CGV1_ROOT); 0 if it exists or
 * was made, else -errno (ENOENT without /sys/fs/cgroup, or with no tmpfs on
 * it: the sysfs directory is always empty and takes no mkdir).
 */
static inline int make_mount_point(const char *dir)
{
	struct stat st;

	if (!stat(dir, &st))
		return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
	if (mkdir(dir, 0755))
		return -errno;
	return 0;
}

/* Mounts a cgroup hierarchy with @opts on @dir (made if missing); 0 or -errno. */
static inline int try_mount(const char *dir, const char *opts)
{
	int ret = make_mount_point(dir);

	if (ret)
		return ret;
	if (mount("none", dir, "cgroup", 0, opts))
		return -errno;
	return 0;
}

/*
 * Checks that @path holds exactly @text: the read succeeds and returns
 * strlen(@text) bytes equal to @text. The buffer is poisoned first, so a
 * failed or short read cannot pass. For use inside TEST()/TEST_F().
 */
#define __FILE_IS(path, text, assert_or_expect) do {			\
	const char *__fpath = (path), *__ftext = (text);		\
	char __fbuf[4096];						\
	ssize_t __flen;							\
									\
	memset(__fbuf, 0x5a, sizeof(__fbuf));				\
	__flen = read_text(__fpath, __fbuf, sizeof(__fbuf));		\
	assert_or_expect##_EQ((ssize_t)strlen(__ftext), __flen)		\
		TH_LOG("read of %s", __fpath);				\
	if (__flen >= 0)						\
		assert_or_expect##_STREQ(__ftext, __fbuf)		\
			TH_LOG("in %s", __fpath);			\
} while (0)
#define EXPECT_FILE(path, text) __FILE_IS(path, text, EXPECT)
#define ASSERT_FILE(path, text) __FILE_IS(path, text, ASSERT)

/* Kills child @pid and waits for it. */
static inline void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Writes "@pid\n" to @path (a tasks or cgroup.procs file). */
/*
 * A child that moves itself to the tasks file @tasks and sleeps until killed;
 * its pid once it is there, or -1.
 */
static inline pid_t sleeper_in(const char *tasks)
{
	int p[2];
	pid_t pid;
	char c = 0;

	if (pipe(p))
		return -1;
	fflush(NULL);
	pid = fork();
	if (!pid) {
		close(p[0]);
		if (write_text(tasks, "0") || write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) != 1) {
		kill_and_reap(pid);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

static inline int write_pid(const char *path, int pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", pid);
	return write_text(path, buf);
}

/* CLOCK_MONOTONIC, in milliseconds. */
static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Polls @path every 5 ms until it reads exactly @text; 0, or -1 after @ms. */
static inline int wait_file(const char *path, const char *text, int ms)
{
	long long end = now_ms() + ms;
	char buf[4096];

	do {
		if (read_text(path, buf, sizeof(buf)) == (ssize_t)strlen(text) &&
		    !strcmp(buf, text))
			return 0;
		usleep(5000);
	} while (now_ms() < end);
	return -1;
}

/*
 * Waits until /proc/cgroups shows @count groups in the hierarchy of
 * controller @ss. The C implementation removes groups asynchronously, and a
 * hierarchy unmounted before its removed groups are gone lives on unseen with
 * its controllers bound: wait for them before umount. Returns 0, or -1 after
 * 5 s.
 */
static inline int wait_num_cgroups(const char *ss, int count)
{
	char buf[4096], *l, *save, name[64];
	int i, hier, num, enabled;

	for (i = 0; i < 500; i++) {
		if (read_text("/proc/cgroups", buf, sizeof(buf)) < 0)
			return -1;
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			if (sscanf(l, "%63s %d %d %d", name, &hier, &num, &enabled) == 4 &&
			    !strcmp(name, ss) && num == count)
				return 0;
		}
		usleep(10000);
	}
	return -1;
}

/*
 * Waits until no line of /proc/self/cgroup contains @key (":cpuacct:",
 * ":name=x:"): the C implementation destroys an unmounted hierarchy, and
 * returns its controllers, asynchronously. Returns 0, or -1 after 5 s.
 */
static inline int wait_hierarchy_gone(const char *key)
{
	char buf[4096];
	int i;

	for (i = 0; i < 500; i++) {
		if (read_text("/proc/self/cgroup", buf, sizeof(buf)) < 0)
			return -1;
		if (!strstr(buf, key))
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * Checks in a child process, which cannot use the harness's assertions: each
 * failed CHECK() is reported and counted, and the child exits with
 * CHILD_RESULT (1 if any failed). A forked child starts from the test's 0.
 */
static inline int *cgv1_child_failures(void)
{
	static int failures;

	return &failures;
}

static inline void cgv1_check(int ok, const char *file, int line, const char *what)
{
	if (!ok) {
		fprintf(stderr, "# %s:%d: not true: %s\n", file, line, what);
		(*cgv1_child_failures())++;
	}
}

#define CHECK(cond) cgv1_check(!!(cond), __FILE__, __LINE__, #cond)
#define CHILD_RESULT (*cgv1_child_failures() != 0)

#endif
