// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: mounting hierarchies, their core files, and the directory tree.
 *
 * Every expectation is the behaviour of the C implementation of the same
 * kernel: the tests pass unchanged on both it and the Rust implementation.
 * Hierarchies are named (name=) and carry no controller, so the tests do not
 * depend on which controllers are built in.
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
#include <dirent.h>
#include <sched.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-mnt")
#define MNT2 CGV1_DIR("cgv1-mnt2")
#define SYSFS "/tmp/cgv1-sysfs"

/* The line of /proc/mounts for @dir, without its trailing newline. */
static int mounts_line(const char *dir, char *line, size_t size)
{
	char buf[16384], *l, *save, needle[256];

	if (read_text("/proc/mounts", buf, sizeof(buf)) < 0)
		return -1;
	snprintf(needle, sizeof(needle), " %s ", dir);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, needle)) {
			snprintf(line, size, "%s", l);
			return 0;
		}
	}
	return -1;
}

/*
 * Space-separated sorted names in @dir, skipping . and ..; returns how many,
 * or -1 (with "?" in @out) if @dir cannot be read.
 */
static int list_dir(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n, i, count = 0;

	out[0] = '\0';
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(out, size, "?");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", size - strlen(out) - 1);
			strncat(out, names[i]->d_name, size - strlen(out) - 1);
			count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

static int mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return st.st_mode & 07777;
}

FIXTURE(hier) {
	char path[256];
};

FIXTURE_SETUP(hier)
{
	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1test"));
	snprintf(self->path, sizeof(self->path), MNT);
}

FIXTURE_TEARDOWN(hier)
{
	rmdir(MNT "/a/b");
	rmdir(MNT "/a");
	rmdir(MNT "/c");
	umount(MNT);
}

TEST_F(hier, proc_mounts_line)
{
	char line[512];

	ASSERT_EQ(0, mounts_line(MNT, line, sizeof(line)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,name=cgv1test 0 0", line);
}

TEST_F(hier, root_files)
{
	static const char * const files[] = {
		"cgroup.clone_children", "cgroup.procs", "cgroup.sane_behavior",
		"notify_on_release", "release_agent", "tasks",
	};
	char names[1024], expected[1024] = "";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		if (i)
			strcat(expected, " ");
		strcat(expected, files[i]);
	}
	EXPECT_EQ((int)ARRAY_SIZE(files), list_dir(MNT, names, sizeof(names)));
	EXPECT_STREQ(expected, names);
	EXPECT_EQ(0555, mode_of(MNT));
	EXPECT_EQ(0644, mode_of(MNT "/tasks"));
	EXPECT_EQ(0644, mode_of(MNT "/cgroup.procs"));
	EXPECT_EQ(0644, mode_of(MNT "/notify_on_release"));
	EXPECT_EQ(0644, mode_of(MNT "/cgroup.clone_children"));
	EXPECT_EQ(0644, mode_of(MNT "/release_agent"));
	EXPECT_EQ(0444, mode_of(MNT "/cgroup.sane_behavior"));
}

TEST_F(hier, root_file_contents)
{
	EXPECT_FILE(MNT "/notify_on_release", "0\n");
	EXPECT_FILE(MNT "/cgroup.clone_children", "0\n");
	EXPECT_FILE(MNT "/cgroup.sane_behavior", "0\n");
	EXPECT_FILE(MNT "/release_agent", "\n");
}

TEST_F(hier, flag_writes)
{
	EXPECT_EQ(0, write_text(MNT "/notify_on_release", "1\n"));
	EXPECT_FILE(MNT "/notify_on_release", "1\n");
	EXPECT_EQ(0, write_text(MNT "/notify_on_release", "7"));
	EXPECT_FILE(MNT "/notify_on_release", "1\n");
	EXPECT_EQ(0, write_text(MNT "/notify_on_release", "0x0"));
	EXPECT_FILE(MNT "/notify_on_release", "0\n");
	/* Rejected writes leave the value alone. */
	EXPECT_EQ(0, write_text(MNT "/notify_on_release", "1"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/notify_on_release", "junk"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/notify_on_release", "-1"));
	EXPECT_FILE(MNT "/notify_on_release", "1\n");
	EXPECT_EQ(0, write_text(MNT "/cgroup.clone_children", "1"));
	EXPECT_FILE(MNT "/cgroup.clone_children", "1\n");
	EXPECT_EQ(0, write_text(MNT "/cgroup.clone_children", "0"));
	EXPECT_FILE(MNT "/cgroup.clone_children", "0\n");
}

TEST_F(hier, release_agent_value)
{
	EXPECT_EQ(0, write_text(MNT "/release_agent", "  /sbin/agent\n"));
	EXPECT_FILE(MNT "/release_agent", "/sbin/agent\n");
	EXPECT_EQ(0, write_text(MNT "/release_agent", "\t/sbin/other  "));
	EXPECT_FILE(MNT "/release_agent", "/sbin/other\n");
	/* A zero-byte write changes nothing; a blank line clears it. */
	EXPECT_EQ(0, write_text(MNT "/release_agent", ""));
	EXPECT_FILE(MNT "/release_agent", "/sbin/other\n");
	EXPECT_EQ(0, write_text(MNT "/release_agent", "\n"));
	EXPECT_FILE(MNT "/release_agent", "\n");
}

TEST_F(hier, mkdir_child)
{
	char names[1024], buf[64];

	ASSERT_EQ(0, write_text(MNT "/notify_on_release", "1"));
	ASSERT_EQ(0, write_text(MNT "/cgroup.clone_children", "1"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_EQ(4, list_dir(MNT "/a", names, sizeof(names)));
	EXPECT_STREQ("cgroup.clone_children cgroup.procs notify_on_release tasks",
		     names);
	EXPECT_EQ(0755, mode_of(MNT "/a"));
	/* notify_on_release and clone_children are inherited at mkdir */
	EXPECT_FILE(MNT "/a/notify_on_release", "1\n");
	EXPECT_FILE(MNT "/a/cgroup.clone_children", "1\n");
	EXPECT_EQ(0, read_text(MNT "/a/tasks", buf, sizeof(buf)));
	EXPECT_EQ(0, read_text(MNT "/a/cgroup.procs", buf, sizeof(buf)));
	ASSERT_EQ(0, write_text(MNT "/a/notify_on_release", "0"));
	ASSERT_EQ(0, write_text(MNT "/a/cgroup.clone_children", "0"));
	EXPECT_EQ(0, mkdir(MNT "/a/b", 0700));
	EXPECT_EQ(0700, mode_of(MNT "/a/b"));
	EXPECT_FILE(MNT "/a/b/notify_on_release", "0\n");
	EXPECT_FILE(MNT "/a/b/cgroup.clone_children", "0\n");
	ASSERT_EQ(0, write_text(MNT "/notify_on_release", "0"));
	ASSERT_EQ(0, write_text(MNT "/cgroup.clone_children", "0"));
}

TEST_F(hier, mkdir_errors)
{
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_EQ(-1, mkdir(MNT "/a", 0755));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, mkdir(MNT "/tasks", 0755));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, mkdir(MNT "/bad\nname", 0755));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(hier, rmdir_rules)
{
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	EXPECT_EQ(-1, rmdir(MNT "/a"));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, rmdir(MNT "/a/tasks"));
	EXPECT_EQ(ENOTDIR, errno);
	EXPECT_EQ(-1, rmdir(MNT "/nosuch"));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, rmdir(MNT "/a/b"));
	EXPECT_EQ(0, rmdir(MNT "/a"));
	EXPECT_EQ(-1, access(MNT "/a", F_OK));
}

TEST_F(hier, rename_rules)
{
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	EXPECT_EQ(0, rename(MNT "/a", MNT "/c"));
	EXPECT_EQ(0, access(MNT "/c/b/tasks", F_OK));
	EXPECT_EQ(-1, rename(MNT "/c/b", MNT "/b"));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, rename(MNT "/c/tasks", MNT "/c/tasks2"));
	EXPECT_EQ(ENOTDIR, errno);
	EXPECT_EQ(-1, rename(MNT "/c", MNT "/c\nd"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, rename(MNT "/c", MNT "/a"));
}

/*
 * Found by test_v1_fuzz: a new name with a newline, into another group, is
 * refused for the newline (EINVAL) before it is for the move (EIO).
 */
TEST_F(hier, rename_newline_checked_before_parent)
{
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	EXPECT_EQ(-1, rename(MNT "/a/b", MNT "/b\n"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, access(MNT "/a/b", F_OK));
	EXPECT_EQ(0, rmdir(MNT "/a/b"));
	EXPECT_EQ(0, rmdir(MNT "/a"));
}

TEST_F(hier, shared_by_name)
{
	/* A name alone finds the existing hierarchy: no "none" needed. */
	ASSERT_EQ(0, try_mount(MNT2, "name=cgv1test"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_EQ(0, access(MNT2 "/a/tasks", F_OK));
	EXPECT_EQ(0, umount(MNT2));
}

TEST(mount_option_errors)
{
	char name64[80], opts[100];

	memset(name64, 'x', 64);
	name64[64] = '\0';
	EXPECT_EQ(-EINVAL, try_mount(MNT, "bogus"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "none"));
	/* A new hierarchy needs controllers or "none". */
	EXPECT_EQ(-EINVAL, try_mount(MNT, "name=cgv1new"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "name="));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "name=a b"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "name=a/b"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "name=one,name=two"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "name=x,release_agent=/a,release_agent=/b"));
	snprintf(opts, sizeof(opts), "none,name=%s", name64);
	EXPECT_EQ(-EINVAL, try_mount(MNT, opts));
	name64[63] = '\0';
	snprintf(opts, sizeof(opts), "none,name=%s", name64);
	EXPECT_EQ(0, try_mount(MNT, opts));
	EXPECT_EQ(0, umount(MNT));
}

TEST(mount_options_shown)
{
	const char *opts = "none,name=cgv1opts,xattr,clone_children,release_agent=/bin/x";
	const char *shown = "xattr,release_agent=/bin/x,clone_children,name=cgv1opts";
	char line[512], expected[512];

	snprintf(expected, sizeof(expected), "none %s cgroup rw,relatime,%s 0 0", MNT, shown);
	ASSERT_EQ(0, try_mount(MNT, opts));
	ASSERT_EQ(0, mounts_line(MNT, line, sizeof(line)));
	EXPECT_STREQ(expected, line);
	EXPECT_FILE(MNT "/cgroup.clone_children", "1\n");
	EXPECT_FILE(MNT "/release_agent", "/bin/x\n");
	EXPECT_EQ(0, umount(MNT));
}

TEST(umount_keeps_hierarchy_with_children)
{
	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1keep"));
	ASSERT_EQ(0, mkdir(MNT "/kept", 0755));
	ASSERT_EQ(0, umount(MNT));
	ASSERT_EQ(0, try_mount(MNT2, "none,name=cgv1keep"));
	EXPECT_EQ(0, access(MNT2 "/kept/tasks", F_OK));
	EXPECT_EQ(0, rmdir(MNT2 "/kept"));
	EXPECT_EQ(0, umount(MNT2));
}

TEST(umount_destroys_empty_hierarchy)
{
	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1gone"));
	ASSERT_EQ(0, write_text(MNT "/notify_on_release", "1"));
	ASSERT_FILE(MNT "/notify_on_release", "1\n");
	ASSERT_EQ(0, umount(MNT));
	/* The last umount of a hierarchy that never had children destroyed it. */
	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1gone"));
	EXPECT_FILE(MNT "/notify_on_release", "0\n");
	EXPECT_EQ(0, umount(MNT));
}

TEST(remount_rules)
{
	char line[512];

	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1remount,release_agent=/bin/a"));
	EXPECT_FILE(MNT "/release_agent", "/bin/a\n");
	/* release_agent= replaces the path. */
	ASSERT_EQ(0, mount("none", MNT, "cgroup", MS_REMOUNT,
			   "none,name=cgv1remount,release_agent=/bin/b"));
	ASSERT_EQ(0, mounts_line(MNT, line, sizeof(line)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,release_agent=/bin/b,name=cgv1remount 0 0",
		     line);
	EXPECT_FILE(MNT "/release_agent", "/bin/b\n");
	/* Without it, the path stays. */
	ASSERT_EQ(0, mount("none", MNT, "cgroup", MS_REMOUNT, "none,name=cgv1remount"));
	EXPECT_FILE(MNT "/release_agent", "/bin/b\n");
	/* Flags and the name cannot change. */
	EXPECT_EQ(-1, mount("none", MNT, "cgroup", MS_REMOUNT, "none,name=cgv1remount,xattr"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mount("none", MNT, "cgroup", MS_REMOUNT, "none,name=cgv1other"));
	EXPECT_EQ(EINVAL, errno);
	/* A hierarchy with child groups cannot be remounted. */
	ASSERT_EQ(0, mkdir(MNT "/child", 0755));
	EXPECT_EQ(-1, mount("none", MNT, "cgroup", MS_REMOUNT, "none,name=cgv1remount"));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, rmdir(MNT "/child"));
	EXPECT_EQ(0, umount(MNT));
}

TEST(mount_needs_cap_sys_admin)
{
	int status;
	pid_t pid;

	/* Made by root: nobody could not make it in the tmpfs. */
	ASSERT_EQ(0, make_mount_point(MNT));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (!mount("none", MNT, "cgroup", 0, "none,name=cgv1perm"))
			_exit(3);
		_exit(errno == EPERM ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * /sys/fs/cgroup is made by the cgroup core at boot: an always-empty sysfs
 * directory, mode 0555, that takes no mkdir, meant as a mount point. Seen on
 * a sysfs mounted afresh, since the guest mounts a tmpfs over it.
 */
TEST(sys_fs_cgroup_is_a_sysfs_mount_point)
{
	struct stat sys, cg;
	char names[256];

	if (mkdir(SYSFS, 0755))
		ASSERT_EQ(EEXIST, errno);
	ASSERT_EQ(0, mount("sysfs", SYSFS, "sysfs", 0, NULL)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, stat(SYSFS, &sys));
	EXPECT_EQ(0, stat(SYSFS "/fs/cgroup", &cg)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(040555, cg.st_mode & 0177777);
	EXPECT_EQ(sys.st_dev, cg.st_dev);
	EXPECT_EQ(0, cg.st_uid);
	ASSERT_EQ(0, list_dir(SYSFS "/fs/cgroup", names, sizeof(names)));
	EXPECT_STREQ("", names);
	/* An always-empty directory: even the lookup for a new name fails. */
	EXPECT_EQ(-1, mkdir(SYSFS "/fs/cgroup/x", 0755));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, umount(SYSFS));
	EXPECT_EQ(0, rmdir(SYSFS));
}

/*
 * What systemd and libcgroup do with it: a tmpfs on /sys/fs/cgroup, a
 * directory per hierarchy, a cgroup mount on each. Done in a private mount
 * namespace, over the guest's own tmpfs.
 */
TEST(tmpfs_on_sys_fs_cgroup_takes_hierarchies)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char line[512];

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(10);
		if (mount("tmpfs", CGV1_ROOT, "tmpfs", 0, "mode=755"))
			_exit(11);
		if (mkdir(CGV1_DIR("cgv1-sys"), 0755))
			_exit(12);
		if (mount("none", CGV1_DIR("cgv1-sys"), "cgroup", 0, "none,name=cgv1sys"))
			_exit(13);
		if (mounts_line(CGV1_DIR("cgv1-sys"), line, sizeof(line)) ||
		    strcmp(line, "none " CGV1_DIR("cgv1-sys")
			   " cgroup rw,relatime,name=cgv1sys 0 0"))
			_exit(14);
		if (access(CGV1_DIR("cgv1-sys") "/tasks", F_OK))
			_exit(15);
		if (umount(CGV1_DIR("cgv1-sys")) || umount(CGV1_ROOT))
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
