// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: what the kernfs root of a hierarchy supports. The C core creates
 * it with KERNFS_ROOT_SUPPORT_USER_XATTR and KERNFS_ROOT_SUPPORT_EXPORTOP:
 * user.* and trusted.* extended attributes on groups and control files, and
 * file handles (name_to_handle_at(), open_by_handle_at()) that reopen the
 * same group or file.
 *
 * Every expectation, errno included, is the behaviour of the C
 * implementation of the same kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-kernfs")
#define MNT2 CGV1_DIR("cgv1-kernfs2")
/* include/linux/exportfs.h: the handle type kernfs encodes (a 64-bit node id). */
#define FILEID_KERNFS 0xfe

FIXTURE(kfs) {
	int unused;
};

FIXTURE_SETUP(kfs)
{
	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1kernfs"));
	ASSERT_EQ(0, mkdir(MNT "/g", 0755));
}

FIXTURE_TEARDOWN(kfs)
{
	umount(MNT2);
	rmdir(MNT "/g");
	umount(MNT);
}

TEST_F(kfs, user_xattr_on_a_group)
{
	char buf[64];

	EXPECT_EQ(-1, getxattr(MNT "/g", "user.foo", buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	ASSERT_EQ(0, setxattr(MNT "/g", "user.foo", "bar", 3, 0)) TH_LOG("%s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(3, getxattr(MNT "/g", "user.foo", buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "bar", 4));
	/* Size query, and a buffer too small. */
	EXPECT_EQ(3, getxattr(MNT "/g", "user.foo", NULL, 0));
	EXPECT_EQ(-1, getxattr(MNT "/g", "user.foo", buf, 2));
	EXPECT_EQ(ERANGE, errno);
	/* Create and replace flags. */
	EXPECT_EQ(-1, setxattr(MNT "/g", "user.foo", "x", 1, XATTR_CREATE));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, setxattr(MNT "/g", "user.nope", "x", 1, XATTR_REPLACE));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(0, setxattr(MNT "/g", "user.foo", "longer", 6, XATTR_REPLACE));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(6, getxattr(MNT "/g", "user.foo", buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "longer", 7));
	/* An empty value is a value. */
	EXPECT_EQ(0, setxattr(MNT "/g", "user.empty", "", 0, 0));
	EXPECT_EQ(0, getxattr(MNT "/g", "user.empty", buf, sizeof(buf)));
	/* Removal. */
	EXPECT_EQ(0, removexattr(MNT "/g", "user.foo"));
	EXPECT_EQ(-1, getxattr(MNT "/g", "user.foo", buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(-1, removexattr(MNT "/g", "user.foo"));
	EXPECT_EQ(ENODATA, errno);
	EXPECT_EQ(0, removexattr(MNT "/g", "user.empty"));
}

TEST_F(kfs, trusted_xattr_and_list)
{
	char list[256];

	ASSERT_EQ(0, setxattr(MNT "/g", "user.foo", "1", 1, 0)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, setxattr(MNT "/g", "trusted.foo", "22", 2, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(2, getxattr(MNT "/g", "trusted.foo", list, sizeof(list)));
	/* Each NUL-terminated, in descending order of name (kernfs keeps them in an rbtree). */
	memset(list, 'x', sizeof(list));
	EXPECT_EQ(21, listxattr(MNT "/g", list, sizeof(list)));
	EXPECT_EQ(0, memcmp(list, "user.foo\0trusted.foo\0x", 22));
	EXPECT_EQ(21, listxattr(MNT "/g", NULL, 0));
	EXPECT_EQ(-1, listxattr(MNT "/g", list, 20));
	EXPECT_EQ(ERANGE, errno);
	EXPECT_EQ(0, listxattr(MNT, list, sizeof(list)));
	EXPECT_EQ(0, removexattr(MNT "/g", "trusted.foo"));
	EXPECT_EQ(9, listxattr(MNT "/g", list, sizeof(list)));
	EXPECT_EQ(0, memcmp(list, "user.foo\0", 9));
}

TEST_F(kfs, xattr_unprivileged)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, setxattr(MNT "/g", "user.foo", "1", 1, 0)) TH_LOG("%s", strerror(errno));
	ASSERT_EQ(0, setxattr(MNT "/g", "trusted.foo", "2", 1, 0)) TH_LOG("%s", strerror(errno));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char buf[64];

		if (setgid(65534) || setuid(65534))
			_exit(10);
		/* trusted.* is hidden from the unprivileged. */
		if (listxattr(MNT "/g", buf, sizeof(buf)) != 9 || memcmp(buf, "user.foo\0", 9))
			_exit(11);
		if (getxattr(MNT "/g", "trusted.foo", buf, sizeof(buf)) != -1 || errno != ENODATA)
			_exit(12);
		if (getxattr(MNT "/g", "user.foo", buf, sizeof(buf)) != 1)
			_exit(13);
		/* Writing needs write permission on the group (root's, 0755). */
		if (setxattr(MNT "/g", "user.foo", "3", 1, 0) != -1 || errno != EACCES)
			_exit(14);
		if (setxattr(MNT "/g", "trusted.foo", "3", 1, 0) != -1 || errno != EPERM)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(kfs, xattr_on_files_and_across_mounts)
{
	char buf[64];

	/* On a control file, and on the root of the hierarchy. */
	ASSERT_EQ(0, setxattr(MNT "/g/tasks", "user.f", "file", 4, 0))
		TH_LOG("%s", strerror(errno));
	EXPECT_EQ(4, getxattr(MNT "/g/tasks", "user.f", buf, sizeof(buf)));
	ASSERT_EQ(0, setxattr(MNT, "user.r", "root", 4, 0)) TH_LOG("%s", strerror(errno));
	/* A second mount of the hierarchy shows the same nodes. */
	ASSERT_EQ(0, try_mount(MNT2, "name=cgv1kernfs"));
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(4, getxattr(MNT2 "/g/tasks", "user.f", buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "file", 5));
	EXPECT_EQ(4, getxattr(MNT2, "user.r", buf, sizeof(buf)));
	EXPECT_EQ(0, umount(MNT2));
	EXPECT_EQ(0, removexattr(MNT, "user.r"));
	/* A group made again is a new node, without the old one's attributes. */
	ASSERT_EQ(0, setxattr(MNT "/g", "user.foo", "1", 1, 0));
	ASSERT_EQ(0, rmdir(MNT "/g"));
	ASSERT_EQ(0, mkdir(MNT "/g", 0755));
	EXPECT_EQ(-1, getxattr(MNT "/g", "user.foo", buf, sizeof(buf)));
	EXPECT_EQ(ENODATA, errno);
}

TEST_F(kfs, user_xattr_limits)
{
	char name[32];
	int i;

	/* kernfs allows 128 user.* attributes per node. */
	for (i = 0; i < 128; i++) {
		snprintf(name, sizeof(name), "user.a%d", i);
		ASSERT_EQ(0, setxattr(MNT "/g", name, "v", 1, 0)) TH_LOG("%s: %s", name,
									 strerror(errno));
	}
	EXPECT_EQ(-1, setxattr(MNT "/g", "user.one-too-many", "v", 1, 0));
	EXPECT_EQ(ENOSPC, errno);
	for (i = 0; i < 128; i++) {
		snprintf(name, sizeof(name), "user.a%d", i);
		ASSERT_EQ(0, removexattr(MNT "/g", name)) TH_LOG("%s", name);
	}
	EXPECT_EQ(0, setxattr(MNT "/g", "user.one-too-many", "v", 1, 0));
}

struct handle {
	struct file_handle fh;
	unsigned char bytes[MAX_HANDLE_SZ];
};

/* Reopens @path through its file handle and checks it is the same object. */
static void reopen_by_handle(struct __test_metadata *_metadata, const char *path, int flags,
			     int mount_fd)
{
	struct stat by_path, by_handle;
	struct handle h;
	unsigned long long id;
	int mount_id, fd;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	ASSERT_EQ(0, name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0))
		TH_LOG("%s: %s", path, strerror(errno));
	EXPECT_EQ(FILEID_KERNFS, h.fh.handle_type);
	ASSERT_EQ(8, h.fh.handle_bytes);
	ASSERT_EQ(0, stat(path, &by_path));
	/* The handle is the node's 64-bit id, which is the inode number. */
	memcpy(&id, h.fh.f_handle, sizeof(id));
	EXPECT_EQ((unsigned long long)by_path.st_ino, id);

	fd = open_by_handle_at(mount_fd, &h.fh, flags);
	ASSERT_LE(0, fd) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, fstat(fd, &by_handle));
	EXPECT_EQ(by_path.st_ino, by_handle.st_ino);
	EXPECT_EQ(by_path.st_dev, by_handle.st_dev);
	EXPECT_EQ(by_path.st_mode, by_handle.st_mode);
	close(fd);
}

TEST_F(kfs, file_handles_reopen_the_same_node)
{
	int mount_fd;

	mount_fd = open(MNT, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, mount_fd);
	reopen_by_handle(_metadata, MNT "/g", O_RDONLY | O_DIRECTORY, mount_fd);
	reopen_by_handle(_metadata, MNT, O_RDONLY | O_DIRECTORY, mount_fd);
	reopen_by_handle(_metadata, MNT "/g/notify_on_release", O_RDONLY, mount_fd);
	reopen_by_handle(_metadata, MNT "/g/cgroup.procs", O_WRONLY, mount_fd);
	close(mount_fd);
}

TEST_F(kfs, file_handle_io_and_errors)
{
	struct handle h, dir;
	int mount_id, mount_fd, fd;
	char buf[16];

	mount_fd = open(MNT, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, mount_fd);

	/* A handle too small: EOVERFLOW, with the size needed. */
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = 0;
	EXPECT_EQ(-1, name_to_handle_at(AT_FDCWD, MNT "/g", &h.fh, &mount_id, 0));
	EXPECT_EQ(EOVERFLOW, errno);
	EXPECT_EQ(8, h.fh.handle_bytes);

	/* A control file opened by handle reads and writes like by name. */
	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	ASSERT_EQ(0, name_to_handle_at(AT_FDCWD, MNT "/g/notify_on_release", &h.fh, &mount_id, 0))
		TH_LOG("%s", strerror(errno));
	fd = open_by_handle_at(mount_fd, &h.fh, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(1, write(fd, "1", 1));
	EXPECT_FILE(MNT "/g/notify_on_release", "1\n");
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(2, pread(fd, buf, sizeof(buf) - 1, 0));
	EXPECT_STREQ("1\n", buf);
	close(fd);

	/* A removed group's handle is stale. */
	memset(&dir, 0, sizeof(dir));
	dir.fh.handle_bytes = MAX_HANDLE_SZ;
	ASSERT_EQ(0, name_to_handle_at(AT_FDCWD, MNT "/g", &dir.fh, &mount_id, 0));
	ASSERT_EQ(0, rmdir(MNT "/g"));
	EXPECT_EQ(-1, open_by_handle_at(mount_fd, &dir.fh, O_RDONLY | O_DIRECTORY));
	EXPECT_EQ(ESTALE, errno);
	EXPECT_EQ(-1, open_by_handle_at(mount_fd, &h.fh, O_RDONLY));
	EXPECT_EQ(ESTALE, errno);
	close(mount_fd);
}

TEST_HARNESS_MAIN
