/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the cgroup v1 selftests (test_v1_*.c).
 */
#ifndef __CGROUP_V1_UTIL_H
#define __CGROUP_V1_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Writes "@pid\n" to @path (a tasks or cgroup.procs file). */
static inline int write_pid(const char *path, int pid)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d\n", pid);
	return write_text(path, buf);
}

#endif
