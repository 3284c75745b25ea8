// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: controllers on hierarchies, seen through the debug controller.
 *
 * Binding a controller to a hierarchy (mount, remount, umount), EBUSY for a
 * controller bound elsewhere, prefixed control files, /proc/cgroups,
 * /proc/<pid>/cgroup and /proc/mounts with controller names, and the debug
 * controller's files. Expectations are those of the C implementation; only
 * counts and ids are compared where the files print hashed addresses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-dbg")
#define MNT2 CGV1_DIR("cgv1-dbg2")

static int remount(const char *dir, const char *opts)
{
	if (mount("none", dir, "cgroup", MS_REMOUNT, opts))
		return -errno;
	return 0;
}

/*
 * Waits until debug is back in the dummy hierarchy: the C implementation
 * destroys an unmounted hierarchy asynchronously. Returns 0, or -1 after 5 s.
 */
static int wait_unbound(void)
{
	char line[256];
	int i;

	for (i = 0; i < 500; i++) {
		if (!find_line("/proc/cgroups", "debug\t", line, sizeof(line)) &&
		    !strcmp(line, "debug\t0\t1\t1"))
			return 0;
		usleep(10000);
	}
	return -1;
}

/* The id of the hierarchy that debug is bound to, from /proc/self/cgroup. */
static int debug_hierarchy_id(void)
{
	char buf[4096], *l, *save;

	if (read_text("/proc/self/cgroup", buf, sizeof(buf)) < 0)
		return -1;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(l, ':');

		if (c && (!strncmp(c, ":debug:", 7) || !strncmp(c, ":debug,", 7)))
			return atoi(l);
	}
	return -1;
}

static int matches(const char *re, const char *text)
{
	regex_t r;
	int ret;

	if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE))
		return 0;
	ret = !regexec(&r, text, 0, NULL, 0);
	regfree(&r);
	return ret;
}

/* A child that moves itself into @tasks and waits to be killed. */
static pid_t park_in(const char *tasks)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		close(p[0]);
		if (write_pid(tasks, 0))
			_exit(1);
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

FIXTURE(dbg) {
	int id;
};

FIXTURE_SETUP(dbg)
{
	ASSERT_EQ(0, wait_unbound());
	ASSERT_EQ(0, try_mount(MNT, "debug"));
	self->id = debug_hierarchy_id();
	ASSERT_LT(0, self->id);
}

FIXTURE_TEARDOWN(dbg)
{
	write_pid(MNT "/tasks", getpid());
	rmdir(MNT "/a/b");
	rmdir(MNT "/a");
	wait_num_cgroups("debug", 1);
	umount(MNT);
	wait_unbound();
}

TEST_F(dbg, proc_cgroups_line)
{
	char line[256], expected[256];

	snprintf(expected, sizeof(expected), "debug\t%d\t1\t1", self->id);
	ASSERT_EQ(0, find_line("/proc/cgroups", "debug\t", line, sizeof(line)));
	EXPECT_STREQ(expected, line);
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	snprintf(expected, sizeof(expected), "debug\t%d\t3\t1", self->id);
	ASSERT_EQ(0, find_line("/proc/cgroups", "debug\t", line, sizeof(line)));
	EXPECT_STREQ(expected, line);
}

TEST_F(dbg, proc_mounts_and_pid_cgroup)
{
	char line[256], expected[256], prefix[32];

	ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT " ", line, sizeof(line)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,debug 0 0", line);
	snprintf(prefix, sizeof(prefix), "%d:", self->id);
	ASSERT_EQ(0, find_line("/proc/self/cgroup", prefix, line, sizeof(line)));
	snprintf(expected, sizeof(expected), "%d:debug:/", self->id);
	EXPECT_STREQ(expected, line);
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", 0));
	ASSERT_EQ(0, find_line("/proc/self/cgroup", prefix, line, sizeof(line)));
	snprintf(expected, sizeof(expected), "%d:debug:/a", self->id);
	EXPECT_STREQ(expected, line);
}

TEST_F(dbg, control_files)
{
	static const char * const everywhere[] = {
		"debug.taskcount", "debug.cgroup_css_links", "debug.cgroup_subsys_states",
		"debug.cgroup_masks", "debug.releasable",
	};
	static const char * const root_only[] = {
		"debug.current_css_set", "debug.current_css_set_refcount",
		"debug.current_css_set_cg_links",
	};
	char path[256];
	struct stat st;
	size_t i;

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	for (i = 0; i < ARRAY_SIZE(everywhere); i++) {
		snprintf(path, sizeof(path), MNT "/%s", everywhere[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0100444, st.st_mode) TH_LOG("%s", path);
		snprintf(path, sizeof(path), MNT "/a/%s", everywhere[i]);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
	}
	for (i = 0; i < ARRAY_SIZE(root_only); i++) {
		snprintf(path, sizeof(path), MNT "/%s", root_only[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0100444, st.st_mode) TH_LOG("%s", path);
		snprintf(path, sizeof(path), MNT "/a/%s", root_only[i]);
		EXPECT_EQ(-1, access(path, F_OK)) TH_LOG("%s", path);
	}
	/* Read-only files refuse writes (root may open them for writing). */
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/debug.taskcount", "1"));
}

TEST_F(dbg, taskcount_and_releasable)
{
	pid_t pid;

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_FILE(MNT "/a/debug.taskcount", "0\n");
	EXPECT_FILE(MNT "/a/debug.releasable", "1\n");
	pid = park_in(MNT "/a/tasks");
	ASSERT_LT(0, pid);
	EXPECT_FILE(MNT "/a/debug.taskcount", "1\n");
	EXPECT_FILE(MNT "/a/debug.releasable", "0\n");
	/* A child group makes the parent unreleasable too. */
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	ASSERT_EQ(0, write_pid(MNT "/a/b/tasks", pid));
	EXPECT_FILE(MNT "/a/debug.taskcount", "0\n");
	EXPECT_FILE(MNT "/a/debug.releasable", "0\n");
	EXPECT_FILE(MNT "/a/b/debug.taskcount", "1\n");
	kill_and_reap(pid);
	EXPECT_FILE(MNT "/a/b/debug.taskcount", "0\n");
	EXPECT_FILE(MNT "/a/b/debug.releasable", "1\n");
	EXPECT_FILE(MNT "/debug.releasable", "0\n");
}

/* Reads debug.current_css_set_refcount in a new child of the caller moved to @tasks. */
static int refcount_in(const char *tasks, int extra_children)
{
	int p[2], status;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		char buf[64];
		pid_t kids[4];
		int i;

		close(p[0]);
		if (write_pid(tasks, 0))
			_exit(1);
		for (i = 0; i < extra_children; i++) {
			kids[i] = fork();
			if (!kids[i]) {
				pause();
				_exit(0);
			}
		}
		if (read_text(MNT "/debug.current_css_set_refcount", buf, sizeof(buf)) <= 0)
			snprintf(buf, sizeof(buf), "-1\n");
		for (i = 0; i < extra_children; i++) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		_exit(write(p[1], buf, strlen(buf)) > 0 ? 0 : 1);
	}
	close(p[1]);
	{
		char buf[64] = "", *end;
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);
		long v;

		close(p[0]);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			return -1;
		if (n <= 0)
			return -1;
		v = strtol(buf, &end, 10);
		/* The file is "%d\n" and nothing else. */
		return end != buf && !strcmp(end, "\n") ? v : -1;
	}
}

TEST_F(dbg, current_css_set_refcount)
{
	/*
	 * One reference per task, in sets of their own: a task that exited keeps
	 * its reference until it is freed, so each count is taken in a new group.
	 */
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	EXPECT_EQ(1, refcount_in(MNT "/a/tasks", 0));
	EXPECT_EQ(3, refcount_in(MNT "/a/b/tasks", 2));
}

TEST_F(dbg, css_links_and_states)
{
	char buf[4096], re[256];
	pid_t pid;

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_FILE(MNT "/a/debug.cgroup_css_links", "");
	pid = park_in(MNT "/a/tasks");
	ASSERT_LT(0, pid);
	ASSERT_LT(0, read_text(MNT "/a/debug.cgroup_css_links", buf, sizeof(buf)));
	snprintf(re, sizeof(re), "^css_set [^ ]+ 1\n  task %d\n$", pid);
	EXPECT_TRUE(matches(re, buf)) TH_LOG("%s", buf);
	ASSERT_LT(0, read_text(MNT "/a/debug.cgroup_subsys_states", buf, sizeof(buf)));
	EXPECT_TRUE(matches("^ 3: debug\t- [^ ]+\\[[0-9]+\\] 1 P=1\n$", buf)) TH_LOG("%s", buf);
	ASSERT_LT(0, read_text(MNT "/debug.cgroup_subsys_states", buf, sizeof(buf)));
	/* C takes removed children offline asynchronously: only the id is certain. */
	EXPECT_TRUE(matches("^ 3: debug\t- [^ ]+\\[1\\] [0-9]+\n$", buf)) TH_LOG("%s", buf);
	EXPECT_FILE(MNT "/a/debug.cgroup_masks",
		    "subtree_control  : debug\nsubtree_ss_mask  : debug\n");
	kill_and_reap(pid);
}

/*
 * Found by test_v1_race: the idle tasks (pid 0, one per CPU) belong to no
 * group. The top group's css_set links list no "task 0", and its
 * debug.taskcount does not count them (C's cgroup_post_fork() links only
 * tasks with a pid).
 */
TEST_F(dbg, idle_tasks_are_in_no_group)
{
	static char buf[65536];

	ASSERT_LT(0, read_text(MNT "/debug.cgroup_css_links", buf, sizeof(buf)));
	EXPECT_EQ(NULL, strstr(buf, "  task 0\n")) TH_LOG("%s", buf);
}

TEST_F(dbg, current_css_set)
{
	char buf[4096], line[64];

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", 0));
	ASSERT_LT(0, read_text(MNT "/debug.current_css_set", buf, sizeof(buf)));
	EXPECT_TRUE(matches("^css_set [^ ]+ [0-9]+( \\+[0-9]+)?\n", buf)) TH_LOG("%s", buf);
	EXPECT_TRUE(matches("\n 3: debug\t- [^ ]+\\[[0-9]+\\]\n", buf)) TH_LOG("%s", buf);
	ASSERT_LT(0, read_text(MNT "/debug.current_css_set_cg_links", buf, sizeof(buf)));
	snprintf(line, sizeof(line), "Root %d group a\n", self->id);
	EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("%s", buf);
	EXPECT_TRUE(matches("^Root 0 group /$", buf)) TH_LOG("%s", buf);
}

TEST_F(dbg, bound_elsewhere_is_busy)
{
	char line[256];

	/* The same controller set shares the hierarchy. */
	ASSERT_EQ(0, try_mount(MNT2, "debug"));
	ASSERT_EQ(0, mkdir(MNT2 "/shared", 0755));
	EXPECT_EQ(0, access(MNT "/shared/debug.taskcount", F_OK));
	EXPECT_EQ(0, rmdir(MNT "/shared"));
	EXPECT_EQ(0, wait_num_cgroups("debug", 1));
	EXPECT_EQ(0, umount(MNT2));
	/* A new hierarchy cannot take it. */
	EXPECT_EQ(-EBUSY, try_mount(MNT2, "debug,name=cgv1other"));
	EXPECT_EQ(0, try_mount(MNT2, "none,name=cgv1other"));
	EXPECT_EQ(-EBUSY, remount(MNT2, "debug,name=cgv1other"));
	ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT2 " ", line, sizeof(line)));
	EXPECT_STREQ("none " MNT2 " cgroup rw,relatime,name=cgv1other 0 0", line);
	EXPECT_EQ(0, umount(MNT2));
}

TEST(option_errors)
{
	EXPECT_EQ(-EINVAL, try_mount(MNT, "all,debug"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "none,debug"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "debug,noprefix"));
	EXPECT_EQ(-EINVAL, try_mount(MNT, "nosuchcontroller"));
	/* Only the key of a controller option counts. */
	ASSERT_EQ(0, wait_unbound());
	ASSERT_EQ(0, try_mount(MNT, "debug=1"));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_unbound());
}

TEST(unbound_after_umount)
{
	char line[256];

	ASSERT_EQ(0, wait_unbound());
	ASSERT_EQ(0, try_mount(MNT, "debug,name=cgv1dbg"));
	ASSERT_EQ(0, find_line("/proc/self/cgroup", "", line, sizeof(line)));
	EXPECT_TRUE(matches("^[0-9]+:debug,name=cgv1dbg:/$", line)) TH_LOG("%s", line);
	ASSERT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_unbound());
}

TEST(remount_binds_and_unbinds)
{
	char line[256];
	int ret;

	ASSERT_EQ(0, wait_unbound());
	ASSERT_EQ(0, try_mount(MNT, "none,name=cgv1rebind"));
	EXPECT_EQ(-1, access(MNT "/debug.taskcount", F_OK));
	/* Adding a free controller binds it and creates its files. */
	ASSERT_EQ(0, remount(MNT, "debug,name=cgv1rebind"));
	ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT " ", line, sizeof(line)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,debug,name=cgv1rebind 0 0", line);
	EXPECT_EQ(0, access(MNT "/debug.taskcount", F_OK));
	EXPECT_EQ(0, access(MNT "/debug.current_css_set", F_OK));
	ASSERT_EQ(0, find_line("/proc/cgroups", "debug\t", line, sizeof(line)));
	EXPECT_TRUE(matches("^debug\t[1-9][0-9]*\t1\t1$", line)) TH_LOG("%s", line);
	/*
	 * With children: C refuses; the Rust core rebinds in place (see
	 * test_v1_rebind), and binding it again gives the child its files.
	 */
	ASSERT_EQ(0, mkdir(MNT "/kid", 0755));
	EXPECT_EQ(0, access(MNT "/kid/debug.taskcount", F_OK));
	ret = remount(MNT, "none,name=cgv1rebind");
	if (ret) {
		EXPECT_EQ(-EBUSY, ret);
	} else {
		EXPECT_EQ(-1, access(MNT "/kid/debug.taskcount", F_OK));
		ASSERT_EQ(0, remount(MNT, "debug,name=cgv1rebind"));
		EXPECT_EQ(0, access(MNT "/kid/debug.taskcount", F_OK));
	}
	ASSERT_EQ(0, rmdir(MNT "/kid"));
	ASSERT_EQ(0, wait_num_cgroups("debug", 1));
	/* Removing it returns it to the dummy hierarchy. */
	ASSERT_EQ(0, remount(MNT, "none,name=cgv1rebind"));
	EXPECT_EQ(-1, access(MNT "/debug.taskcount", F_OK));
	EXPECT_EQ(-1, access(MNT "/debug.current_css_set", F_OK));
	ASSERT_EQ(0, find_line("/proc/mounts", "none " MNT " ", line, sizeof(line)));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,name=cgv1rebind 0 0", line);
	ASSERT_EQ(0, find_line("/proc/cgroups", "debug\t", line, sizeof(line)));
	EXPECT_STREQ("debug\t0\t1\t1", line);
	/* It can be bound again, here or elsewhere. */
	ASSERT_EQ(0, try_mount(MNT2, "debug"));
	EXPECT_EQ(0, umount(MNT2));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_unbound());
}

TEST_HARNESS_MAIN
