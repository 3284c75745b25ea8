// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: cgroup namespaces (CLONE_NEWCGROUP).
 *
 * - /proc/<pid>/cgroup gives each path relative to the group the reader was
 *   in when its namespace was made ("/", "/sub", "/../b", "/.."), for its own
 *   task and for others; hierarchies made later are relative to their top;
 * - so does /proc/<pid>/cpuset;
 * - /proc/<pid>/ns/cgroup names the namespace; setns() into another one
 *   (nstype CLONE_NEWCGROUP or 0; EINVAL for a file of another type), nested
 *   namespaces by unshare() and clone();
 * - making one while the task is being moved between groups takes a reference
 *   on the task's css_set safely (the set it leaves may be freed meanwhile);
 * - making one needs CAP_SYS_ADMIN (EPERM), in the user namespace that will
 *   own it: a user may make one together with a new user namespace;
 * - a mount of a hierarchy made in a namespace has the namespace's root group
 *   as its root (in the directory and in /proc/<pid>/mountinfo, whose root
 *   field is also relative to the reader's namespace); no new hierarchy can
 *   be made there (EPERM); root of a user namespace may mount an existing
 *   hierarchy only from a cgroup namespace of its own, and may still not set
 *   the release agent.
 *
 * Every expectation is the behaviour of the C implementation of the same
 * kernel. The namespace work is done by children: the test process stays in
 * the initial cgroup namespace.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-cgns")
#define MNT2 CGV1_DIR("cgv1-cgns2")
#define MNT3 CGV1_DIR("cgv1-cgns3")
#define MNTX CGV1_DIR("cgv1-cgns-x")
#define MNTC CGV1_DIR("cgv1-cgns-cpuset")
#define NAME "cgv1cgns"
#define NAME2 "cgv1cgns2"
#define NAME3 "cgv1cgns3"
#define NEWNAME "cgv1cgnsnew"
#define NOBODY 65534
/* The initial cgroup namespace's inode number (PROC_CGROUP_INIT_INO). */
#define INIT_LINK "cgroup:[4026531835]"
#define NO_USERNS "no user namespaces (no /proc/self/ns/user)"
/* The size of every report a child sends to the test. */
#define MSG 4096

/* The hierarchy ids of NAME and NAME2, read by the fixture, and of NAME3 once made. */
static int hid1, hid2, hid3;

/* Children a test started, killed by the teardown if still there. */
static pid_t tracked[8];
static int ntracked;

static void track(pid_t pid)
{
	if (pid > 0 && ntracked < 8)
		tracked[ntracked++] = pid;
}

static void untrack(pid_t pid)
{
	int i;

	for (i = 0; i < ntracked; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

/* The /proc file @what of @pid (0: "self") in @buf. */
static void proc_path(char *buf, size_t size, pid_t pid, const char *what)
{
	if (pid)
		snprintf(buf, size, "/proc/%d/%s", pid, what);
	else
		snprintf(buf, size, "/proc/self/%s", what);
}

/* The line of @text (a /proc/<pid>/cgroup) of hierarchy name=@name, without its newline. */
static int line_of(const char *text, const char *name, char *out, size_t size)
{
	char key[64];
	const char *l, *end;

	snprintf(key, sizeof(key), ":name=%s:", name);
	for (l = text; *l; l = end + 1) {
		end = strchr(l, '\n');
		if (!end)
			return -1;
		if (memmem(l, end - l, key, strlen(key))) {
			if ((size_t)(end - l) >= size)
				return -1;
			memcpy(out, l, end - l);
			out[end - l] = '\0';
			return 0;
		}
	}
	return -1;
}

/* The line of /proc/<pid>/cgroup (0: self) of hierarchy name=@name, or "". */
static void proc_line(pid_t pid, const char *name, char *out, size_t size)
{
	char path[64], buf[4096];

	out[0] = '\0';
	proc_path(path, sizeof(path), pid, "cgroup");
	if (read_text(path, buf, sizeof(buf)) < 0 || line_of(buf, name, out, size))
		out[0] = '\0';
}

/* "<id>:name=<name>:<path>" of hierarchy name=@name, in @out. */
static void want_line(char *out, size_t size, const char *name, const char *path)
{
	int id = !strcmp(name, NAME) ? hid1 : !strcmp(name, NAME2) ? hid2 : hid3;

	snprintf(out, size, "%d:name=%s:%s", id, name, path);
}

/* Whether /proc/<pid>/cgroup (0: self) gives @path for hierarchy name=@name. */
static int path_is(pid_t pid, const char *name, const char *path)
{
	char got[512], want[512];

	proc_line(pid, name, got, sizeof(got));
	want_line(want, sizeof(want), name, path);
	if (strcmp(got, want))
		fprintf(stderr, "# /proc/%d/cgroup: \"%s\", not \"%s\"\n", pid, got, want);
	return !strcmp(got, want);
}

/*
 * @text (a /proc/<pid>/cgroup) with every path made "/", but @path for
 * hierarchy name=@name: what a task in the same groups as the test reads
 * once it is the root of a new namespace.
 */
static void rebase(const char *text, const char *name, const char *path, char *out, size_t size)
{
	const char *l, *end, *c1, *c2;
	size_t len = 0;
	char key[64];

	snprintf(key, sizeof(key), ":name=%s:", name);
	out[0] = '\0';
	for (l = text; *l && len < size; l = end + 1) {
		end = strchr(l, '\n');
		c1 = strchr(l, ':');
		c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!end || !c2 || c2 > end)
			return;
		len += snprintf(out + len, size - len, "%.*s%s\n", (int)(c2 + 1 - l), l,
				!strncmp(c1, key, strlen(key)) ? path : "/");
	}
}

/* readlink() of /proc/<pid>/ns/@type (0: self), NUL-terminated; 0 or -1. */
static int ns_link(pid_t pid, const char *type, char *out, size_t size)
{
	char path[64], what[32];
	ssize_t len;

	snprintf(what, sizeof(what), "ns/%s", type);
	proc_path(path, sizeof(path), pid, what);
	len = readlink(path, out, size - 1);
	if (len < 0)
		return -1;
	out[len] = '\0';
	return 0;
}

/* Whether @link is "cgroup:[N]" with N the inode number of /proc/self/ns/cgroup. */
static int link_matches_inode(const char *link)
{
	unsigned long long ino;
	char tail[8], want[64];
	struct stat st;

	if (sscanf(link, "cgroup:[%llu%7s", &ino, tail) != 2 || strcmp(tail, "]"))
		return 0;
	snprintf(want, sizeof(want), "cgroup:[%llu]", ino);
	if (strcmp(link, want) || stat("/proc/self/ns/cgroup", &st))
		return 0;
	return st.st_ino == ino;
}

/* The root field of the last mount on @dir in /proc/<pid>/mountinfo (0: self), or "". */
static void mount_root(pid_t pid, const char *dir, char *out, size_t size)
{
	static char buf[1 << 16];
	char path[64], root[512], mp[512], *l, *save;

	out[0] = '\0';
	proc_path(path, sizeof(path), pid, "mountinfo");
	if (read_text(path, buf, sizeof(buf)) < 0)
		return;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (sscanf(l, "%*d %*d %*s %511s %511s", root, mp) == 2 && !strcmp(mp, dir))
			snprintf(out, size, "%s", root);
}

/* The names in directory @dir, sorted, each followed by a space; "" if unreadable. */
static void dir_names(const char *dir, char *out, size_t size)
{
	struct dirent **list;
	size_t len = 0;
	int n, i;

	out[0] = '\0';
	n = scandir(dir, &list, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..") &&
		    len < size)
			len += snprintf(out + len, size - len, "%s ", list[i]->d_name);
		free(list[i]);
	}
	free(list);
}

static ino_t inode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* Drops every privilege: all uids and gids to @uid, no groups, no capability. */
static int become(uid_t uid)
{
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) || setresuid(uid, uid, uid))
		return -1;
	/* Keeps /proc/self (uid_map) the user's: a uid change made the task undumpable. */
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* Maps root of the new user namespace to @uid (the caller's), and the same for groups. */
static int map_root_to(uid_t uid)
{
	char map[32];

	snprintf(map, sizeof(map), "0 %u 1", uid);
	if (write_text("/proc/self/uid_map", map) ||
	    write_text("/proc/self/setgroups", "deny") ||
	    write_text("/proc/self/gid_map", map))
		return -1;
	return 0;
}

static int have_userns(void)
{
	return !access("/proc/self/ns/user", F_OK);
}

static int cap_eff_is_zero(void)
{
	char buf[4096], *p;

	if (read_text("/proc/self/status", buf, sizeof(buf)) < 0)
		return 0;
	p = strstr(buf, "\nCapEff:\t");
	return p && !strncmp(p + 9, "0000000000000000\n", 17);
}

/* A child and its two pipes: reports up to the test, go-aheads down to the child. */
struct peer {
	pid_t pid;
	int up;
	int down;
};

typedef int (*child_fn)(int up, int down, void *arg);

/* Forks a child that exits with @fn(@up, @down, @arg); 0 or -1. */
static int start(struct peer *p, child_fn fn, void *arg)
{
	int up[2], down[2];

	if (pipe(up))
		return -1;
	if (pipe(down)) {
		close(up[0]);
		close(up[1]);
		return -1;
	}
	p->pid = fork();
	if (!p->pid) {
		close(up[0]);
		close(down[1]);
		_exit(fn(up[1], down[0], arg));
	}
	close(up[1]);
	close(down[0]);
	p->up = up[0];
	p->down = down[1];
	if (p->pid < 0) {
		close(p->up);
		close(p->down);
		return -1;
	}
	track(p->pid);
	return 0;
}

/* Waits for the child; returns its exit code, or 128 + its signal. */
static int finish(struct peer *p)
{
	int status;

	close(p->up);
	close(p->down);
	if (waitpid(p->pid, &status, 0) != p->pid)
		return -1;
	untrack(p->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Runs @fn(@arg) in a child; returns its exit code. */
static int run_child(child_fn fn, void *arg)
{
	struct peer p;

	if (start(&p, fn, arg))
		return -1;
	return finish(&p);
}

/* In a child: sends @text as one report, then waits for the test's go-ahead. */
static int tell(int up, int down, const char *text)
{
	char msg[MSG] = { 0 };

	snprintf(msg, sizeof(msg), "%s", text);
	if (write(up, msg, MSG) != MSG || read(down, msg, 1) != 1)
		return -1;
	return 0;
}

/* In a child: sends its /proc/<pid>/cgroup (0: self) as one report. */
static int tell_cgroup(int up, int down, pid_t pid)
{
	char path[64], buf[MSG];

	proc_path(path, sizeof(path), pid, "cgroup");
	if (read_text(path, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "cannot read %s", path);
	return tell(up, down, buf);
}

/* In the test: the child's next report, in @buf (MSG bytes); 0 or -1. */
static int hear(struct peer *p, char *buf)
{
	ssize_t len, got = 0;

	while (got < MSG && (len = read(p->up, buf + got, MSG - got)) > 0)
		got += len;
	buf[MSG - 1] = '\0';
	return got == MSG ? 0 : -1;
}

static int go(struct peer *p)
{
	return write(p->down, "g", 1) == 1 ? 0 : -1;
}

/* Checks the line of @text for hierarchy name=@name: it gives @path. */
static void expect_path(struct __test_metadata *_metadata, const char *text, const char *name,
			const char *path)
{
	char got[512], want[512];

	want_line(want, sizeof(want), name, path);
	ASSERT_EQ(0, line_of(text, name, got, sizeof(got))) TH_LOG("no %s line in \"%s\"",
								   name, text);
	EXPECT_STREQ(want, got);
}

/* Checks what the test reads in /proc/<pid>/cgroup for hierarchy name=@name. */
static void expect_proc_path(struct __test_metadata *_metadata, pid_t pid, const char *name,
			     const char *path)
{
	char path_buf[64], buf[4096];

	proc_path(path_buf, sizeof(path_buf), pid, "cgroup");
	ASSERT_LT(0, read_text(path_buf, buf, sizeof(buf)));
	expect_path(_metadata, buf, name, path);
}

static int hier_id(const char *name)
{
	char line[512];

	proc_line(0, name, line, sizeof(line));
	return line[0] ? atoi(line) : -1;
}

FIXTURE(cgns) {
	/* The test's /proc/self/cgroup. */
	char cg[MSG];
};

FIXTURE_SETUP(cgns)
{
	ntracked = 0;
	ASSERT_EQ(0, make_mount_point(MNTX));
	ASSERT_EQ(0, make_mount_point(MNT3));
	ASSERT_EQ(0, try_mount(MNT, "none,name=" NAME));
	ASSERT_EQ(0, try_mount(MNT2, "none,name=" NAME2));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/sub", 0755));
	ASSERT_EQ(0, mkdir(MNT "/b", 0755));
	hid1 = hier_id(NAME);
	hid2 = hier_id(NAME2);
	ASSERT_LT(0, hid1);
	ASSERT_LT(0, hid2);
	ASSERT_NE(hid1, hid2);
	ASSERT_LT(0, read_text("/proc/self/cgroup", self->cg, sizeof(self->cg)));
	ASSERT_TRUE(path_is(0, NAME, "/"));
	ASSERT_TRUE(path_is(0, NAME2, "/"));
}

FIXTURE_TEARDOWN(cgns)
{
	static const char * const dirs[] = {
		MNT "/a/sub", MNT "/a", MNT "/b", MNT3 "/c", NULL,
	};
	const char * const *d;
	int i;

	for (i = 0; i < ntracked; i++)
		if (tracked[i] > 0)
			kill_and_reap(tracked[i]);
	write_pid(MNT "/cgroup.procs", getpid());
	for (d = dirs; *d; d++)
		rmdir(*d);
	umount(MNTX);
	umount(MNT3);
	umount(MNT2);
	umount(MNT);
	wait_hierarchy_gone(":name=" NAME ":");
	wait_hierarchy_gone(":name=" NAME2 ":");
	wait_hierarchy_gone(":name=" NAME3 ":");
	wait_hierarchy_gone(":name=" NEWNAME ":");
}

/*
 * Moves itself into /a, unshares, and reports its /proc/self/cgroup, the
 * test's /proc/<pid>/cgroup, then its own again after each move it makes
 * through the test's mount: to /a/sub, /b and the top.
 */
static int relative_paths(int up, int down, void *arg)
{
	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	CHECK(!unshare(CLONE_NEWCGROUP));
	CHECK(!tell_cgroup(up, down, 0));
	CHECK(!tell_cgroup(up, down, getppid()));
	CHECK(!write_pid(MNT "/a/sub/tasks", getpid()));
	CHECK(!tell_cgroup(up, down, 0));
	CHECK(!write_pid(MNT "/b/tasks", getpid()));
	CHECK(!tell_cgroup(up, down, 0));
	CHECK(!write_pid(MNT "/tasks", getpid()));
	CHECK(!tell_cgroup(up, down, 0));
	return CHILD_RESULT;
}

TEST_F(cgns, proc_cgroup_is_relative_to_the_namespace_root)
{
	static const char * const inner[] = { "/sub", "/../b", "/.." };
	static const char * const outer[] = { "/a/sub", "/b", "/" };
	char buf[MSG], want[MSG];
	struct peer p;
	int i;

	ASSERT_EQ(0, start(&p, relative_paths, NULL));
	/* Its namespace's root: every hierarchy reads "/" in it. */
	ASSERT_EQ(0, hear(&p, buf));
	rebase(self->cg, NAME, "/", want, sizeof(want));
	EXPECT_STREQ(want, buf);
	expect_proc_path(_metadata, p.pid, NAME, "/a");
	expect_proc_path(_metadata, p.pid, NAME2, "/");
	ASSERT_EQ(0, go(&p));
	/* The test, in the top group, seen from /a. */
	ASSERT_EQ(0, hear(&p, buf));
	rebase(self->cg, NAME, "/..", want, sizeof(want));
	EXPECT_STREQ(want, buf);
	ASSERT_EQ(0, go(&p));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, hear(&p, buf));
		expect_path(_metadata, buf, NAME, inner[i]);
		expect_path(_metadata, buf, NAME2, "/");
		expect_proc_path(_metadata, p.pid, NAME, outer[i]);
		ASSERT_EQ(0, go(&p));
	}
	EXPECT_EQ(0, finish(&p));
	/* The test's own view did not change. */
	EXPECT_FILE("/proc/self/cgroup", self->cg);
}

/* How many times the test moves the child of unshare_while_moved. */
#define RACE_MOVES 300

/*
 * Reports "ready", then makes cgroup namespaces as fast as it can until the
 * test says stop, and reports how many it made and how many unshare() calls
 * failed.
 */
static int unshare_loop(int up, int down, void *arg)
{
	struct pollfd pfd = { .fd = down, .events = POLLIN };
	int made = 0, failed = 0;
	char msg[64];

	CHECK(!tell(up, down, "ready"));
	while (poll(&pfd, 1, 0) == 0) {
		if (unshare(CLONE_NEWCGROUP))
			failed++;
		else
			made++;
	}
	snprintf(msg, sizeof(msg), "made %d, %d failed", made, failed);
	/* The test's "stop" is the go-ahead this report waits for: read it first. */
	CHECK(read(down, msg + 60, 1) == 1);
	CHECK(!tell(up, down, msg));
	return CHILD_RESULT;
}

/*
 * A namespace holds the css_set its maker was in. While a child makes
 * namespaces, the test moves it back and forth between /a and /b, where it is
 * alone: a move may drop the last reference on the set it leaves, at the
 * moment the child's unshare() takes one on that set. Neither may go wrong;
 * the harness also scans the kernel log for refcount, KASAN and lockdep
 * reports.
 */
TEST_F(cgns, unshare_while_moved)
{
	char buf[MSG];
	struct peer p;
	int i, n, made, failed;

	ASSERT_EQ(0, start(&p, unshare_loop, NULL));
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", p.pid));
	ASSERT_EQ(0, hear(&p, buf));
	ASSERT_STREQ("ready", buf);
	ASSERT_EQ(0, go(&p));
	for (i = 0; i < RACE_MOVES; i++)
		ASSERT_EQ(0, write_pid(i & 1 ? MNT "/a/tasks" : MNT "/b/tasks", p.pid));
	/* Stop. */
	ASSERT_EQ(0, go(&p));
	ASSERT_EQ(0, hear(&p, buf));
	n = sscanf(buf, "made %d, %d failed", &made, &failed);
	ASSERT_EQ(2, n) TH_LOG("%s", buf);
	EXPECT_EQ(0, failed);
	/* Namespaces were made while the moves went on. */
	EXPECT_LT(10, made);
	TH_LOG("%d unshare() calls during %d moves", made, RACE_MOVES);
	ASSERT_EQ(0, go(&p));
	EXPECT_EQ(0, finish(&p));
}

/* Unshares in /a; reports, then again after the test made NAME3 and moved it to /c. */
static int later_hierarchy(int up, int down, void *arg)
{
	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	CHECK(!unshare(CLONE_NEWCGROUP));
	CHECK(!tell_cgroup(up, down, 0));
	CHECK(!tell_cgroup(up, down, 0));
	CHECK(!tell_cgroup(up, down, 0));
	return CHILD_RESULT;
}

TEST_F(cgns, hierarchy_made_after_unshare_is_relative_to_its_top)
{
	char buf[MSG];
	struct peer p;

	ASSERT_EQ(0, start(&p, later_hierarchy, NULL));
	ASSERT_EQ(0, hear(&p, buf));
	expect_path(_metadata, buf, NAME, "/");
	ASSERT_EQ(0, try_mount(MNT3, "none,name=" NAME3));
	ASSERT_EQ(0, mkdir(MNT3 "/c", 0755));
	hid3 = hier_id(NAME3);
	ASSERT_LT(0, hid3);
	ASSERT_EQ(0, go(&p));
	/* In the top group of NAME3: "/". */
	ASSERT_EQ(0, hear(&p, buf));
	expect_path(_metadata, buf, NAME, "/");
	expect_path(_metadata, buf, NAME3, "/");
	ASSERT_EQ(0, write_pid(MNT3 "/c/tasks", p.pid));
	ASSERT_EQ(0, go(&p));
	/* In /c: "/c", as for the test. */
	ASSERT_EQ(0, hear(&p, buf));
	expect_path(_metadata, buf, NAME, "/");
	expect_path(_metadata, buf, NAME3, "/c");
	expect_proc_path(_metadata, p.pid, NAME3, "/c");
	ASSERT_EQ(0, go(&p));
	EXPECT_EQ(0, finish(&p));
}

/* The grandchild of ns_files: in a namespace made by clone() in /a; moves itself to /b. */
static int cloned(int up, int down, const char *ns2)
{
	char link[64];

	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(link_matches_inode(link));
	CHECK(strcmp(link, ns2) && strcmp(link, INIT_LINK));
	CHECK(path_is(0, NAME, "/"));
	/* Its parent is in /a, the root here. */
	CHECK(path_is(getppid(), NAME, "/"));
	CHECK(!write_pid(MNT "/b/tasks", getpid()));
	CHECK(path_is(0, NAME, "/../b"));
	CHECK(!tell(up, down, "moved"));
	return CHILD_RESULT;
}

static int ns_files(int up, int down, void *arg)
{
	char link[64], ns1[64], ns2[64], msg[MSG];
	int fd_init, fd_ns1, fd_parent, fd_uts, gup[2], gdown[2], status;
	struct clone_args args = { .flags = CLONE_NEWCGROUP, .exit_signal = SIGCHLD };
	pid_t gc;

	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, INIT_LINK));
	CHECK(link_matches_inode(link));
	fd_init = open("/proc/self/ns/cgroup", O_RDONLY);
	CHECK(fd_init >= 0);
	fd_uts = open("/proc/self/ns/uts", O_RDONLY);
	CHECK(fd_uts >= 0);

	/* ns1, rooted at /a. */
	CHECK(!unshare(CLONE_NEWCGROUP));
	CHECK(!ns_link(0, "cgroup", ns1, sizeof(ns1)));
	CHECK(strcmp(ns1, INIT_LINK));
	CHECK(link_matches_inode(ns1));
	CHECK(path_is(0, NAME, "/"));
	CHECK(!ns_link(getppid(), "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, INIT_LINK));
	fd_ns1 = open("/proc/self/ns/cgroup", O_RDONLY);
	CHECK(fd_ns1 >= 0);
	snprintf(msg, sizeof(msg), "/proc/%d/ns/cgroup", getppid());
	fd_parent = open(msg, O_RDONLY);
	CHECK(fd_parent >= 0);

	/* The namespace type must match, or be 0. */
	CHECK(setns(fd_uts, CLONE_NEWCGROUP) == -1 && errno == EINVAL);
	CHECK(setns(fd_ns1, CLONE_NEWUTS) == -1 && errno == EINVAL);
	CHECK(setns(fd_ns1, CLONE_NEWNS) == -1 && errno == EINVAL);
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, ns1));
	CHECK(!setns(fd_parent, CLONE_NEWCGROUP));
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, INIT_LINK));
	CHECK(path_is(0, NAME, "/a"));
	CHECK(!setns(fd_ns1, 0));
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, ns1));
	CHECK(path_is(0, NAME, "/"));
	CHECK(!setns(fd_init, 0));
	CHECK(path_is(0, NAME, "/a"));
	CHECK(!setns(fd_ns1, CLONE_NEWCGROUP));
	CHECK(!setns(fd_ns1, CLONE_NEWCGROUP));
	CHECK(path_is(0, NAME, "/"));

	/* ns2, made in ns1 from /a/sub. */
	CHECK(!write_pid(MNT "/a/sub/tasks", getpid()));
	CHECK(path_is(0, NAME, "/sub"));
	CHECK(!unshare(CLONE_NEWCGROUP));
	CHECK(!ns_link(0, "cgroup", ns2, sizeof(ns2)));
	CHECK(link_matches_inode(ns2));
	CHECK(strcmp(ns2, ns1) && strcmp(ns2, INIT_LINK));
	CHECK(path_is(0, NAME, "/"));
	CHECK(path_is(getppid(), NAME, "/../.."));
	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	CHECK(path_is(0, NAME, "/.."));
	CHECK(!write_pid(MNT "/b/tasks", getpid()));
	CHECK(path_is(0, NAME, "/../../b"));
	CHECK(!write_pid(MNT "/a/sub/tasks", getpid()));
	CHECK(path_is(0, NAME, "/"));

	/* ns3, made by clone() from /a: the clone's task is its root. */
	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	CHECK(!pipe(gup) && !pipe(gdown));
	gc = syscall(SYS_clone3, &args, sizeof(args));
	CHECK(gc >= 0);
	if (!gc) {
		close(gup[0]);
		close(gdown[1]);
		_exit(cloned(gup[1], gdown[0], ns2));
	}
	close(gup[1]);
	close(gdown[0]);
	CHECK(read(gup[0], msg, MSG) == MSG && !strcmp(msg, "moved"));
	/* The grandchild in /b, seen from ns2 (/a/sub). */
	CHECK(path_is(gc, NAME, "/../../b"));
	CHECK(!ns_link(gc, "cgroup", link, sizeof(link)));
	CHECK(strcmp(link, ns2) && strcmp(link, ns1) && strcmp(link, INIT_LINK));
	CHECK(write(gdown[1], "g", 1) == 1);
	CHECK(waitpid(gc, &status, 0) == gc && WIFEXITED(status) && !WEXITSTATUS(status));

	/* Back in ns1 and in the initial namespace, in /a. */
	CHECK(path_is(0, NAME, "/.."));
	CHECK(!setns(fd_ns1, CLONE_NEWCGROUP));
	CHECK(path_is(0, NAME, "/"));
	CHECK(!setns(fd_parent, CLONE_NEWCGROUP));
	CHECK(path_is(0, NAME, "/a"));
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, INIT_LINK));
	snprintf(msg, sizeof(msg), "%s", ns1);
	CHECK(!tell(up, down, msg));
	return CHILD_RESULT;
}

TEST_F(cgns, ns_file_and_setns)
{
	char link[64], buf[MSG];
	struct peer p;

	ASSERT_EQ(0, ns_link(0, "cgroup", link, sizeof(link)));
	ASSERT_STREQ(INIT_LINK, link);
	EXPECT_TRUE(link_matches_inode(link));
	ASSERT_EQ(0, start(&p, ns_files, NULL));
	ASSERT_EQ(0, hear(&p, buf));
	/* The child is back in the initial namespace; ns1 had another number. */
	ASSERT_EQ(0, ns_link(p.pid, "cgroup", link, sizeof(link)));
	EXPECT_STREQ(INIT_LINK, link);
	EXPECT_STRNE(INIT_LINK, buf);
	EXPECT_EQ(0, strncmp(buf, "cgroup:[", 8));
	ASSERT_EQ(0, go(&p));
	EXPECT_EQ(0, finish(&p));
	ASSERT_EQ(0, ns_link(0, "cgroup", link, sizeof(link)));
	EXPECT_STREQ(INIT_LINK, link);
}

/* A user without capabilities, in /a: no new namespace, no setns(), even into its own. */
static int unprivileged_unshare(int up, int down, void *arg)
{
	char link[64];
	int fd;

	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	fd = open("/proc/self/ns/cgroup", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(!become(NOBODY));
	CHECK(cap_eff_is_zero());
	CHECK(unshare(CLONE_NEWCGROUP) == -1 && errno == EPERM);
	CHECK(setns(fd, CLONE_NEWCGROUP) == -1 && errno == EPERM);
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, INIT_LINK));
	CHECK(path_is(0, NAME, "/a"));
	return CHILD_RESULT;
}

TEST_F(cgns, unshare_needs_cap_sys_admin)
{
	EXPECT_EQ(0, run_child(unprivileged_unshare, NULL));
}

/*
 * A user in /a, with a new user namespace: it owns the new cgroup namespace
 * and may make more in it, but not go back to the initial one.
 */
static int userns_unshare(int up, int down, void *arg)
{
	char link[64], ns1[64];
	int fd_init, fd_ns1;

	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	fd_init = open("/proc/self/ns/cgroup", O_RDONLY);
	CHECK(fd_init >= 0);
	CHECK(!become(NOBODY));
	CHECK(!unshare(CLONE_NEWUSER | CLONE_NEWCGROUP));
	CHECK(!ns_link(0, "cgroup", ns1, sizeof(ns1)));
	CHECK(strcmp(ns1, INIT_LINK));
	CHECK(link_matches_inode(ns1));
	CHECK(path_is(0, NAME, "/"));
	CHECK(path_is(getppid(), NAME, "/.."));
	CHECK(setns(fd_init, CLONE_NEWCGROUP) == -1 && errno == EPERM);
	fd_ns1 = open("/proc/self/ns/cgroup", O_RDONLY);
	CHECK(fd_ns1 >= 0);
	CHECK(!setns(fd_ns1, CLONE_NEWCGROUP));
	CHECK(!unshare(CLONE_NEWCGROUP));
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(strcmp(link, ns1) && strcmp(link, INIT_LINK));
	CHECK(path_is(0, NAME, "/"));
	CHECK(!setns(fd_ns1, CLONE_NEWCGROUP));
	CHECK(!ns_link(0, "cgroup", link, sizeof(link)));
	CHECK(!strcmp(link, ns1));
	CHECK(setns(fd_init, 0) == -1 && errno == EPERM);
	return CHILD_RESULT;
}

TEST_F(cgns, user_namespace_owner_may_unshare)
{
	if (!have_userns())
		SKIP(return, NO_USERNS);
	EXPECT_EQ(0, run_child(userns_unshare, NULL));
}

/*
 * Root in /a, with new cgroup and mount namespaces, mounts NAME on MNTX and
 * reports; then fails to make a new hierarchy.
 */
static int mount_in_ns(int up, int down, void *arg)
{
	char buf[512], want[64];

	CHECK(!write_pid(MNT "/a/tasks", getpid()));
	/* Nothing is mounted unless in a mount namespace of its own, made private. */
	if (unshare(CLONE_NEWCGROUP | CLONE_NEWNS)) {
		CHECK(!"unshare(CLONE_NEWCGROUP | CLONE_NEWNS)");
		return CHILD_RESULT;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		CHECK(!"mount(MS_REC | MS_PRIVATE)");
		return CHILD_RESULT;
	}
	CHECK(!mount("none", MNTX, "cgroup", 0, "none,name=" NAME));
	/* Its root is /a: sub, the files of a group but not those of the top. */
	dir_names(MNTX, buf, sizeof(buf));
	CHECK(!strcmp(buf, "cgroup.clone_children cgroup.procs notify_on_release sub tasks "));
	CHECK(inode_of(MNTX) == inode_of(MNT "/a") && inode_of(MNTX));
	CHECK(inode_of(MNTX "/sub") == inode_of(MNT "/a/sub") && inode_of(MNTX "/sub"));
	snprintf(want, sizeof(want), "%d\n", getpid());
	CHECK(read_text(MNTX "/tasks", buf, sizeof(buf)) > 0 && !strcmp(buf, want));
	CHECK(read_text(MNTX "/cgroup.procs", buf, sizeof(buf)) > 0 && !strcmp(buf, want));
	/* mountinfo's root field is relative to the namespace too. */
	mount_root(0, MNTX, buf, sizeof(buf));
	CHECK(!strcmp(buf, "/"));
	mount_root(0, MNT, buf, sizeof(buf));
	CHECK(!strcmp(buf, "/.."));
	mount_root(0, MNT2, buf, sizeof(buf));
	CHECK(!strcmp(buf, "/"));
	CHECK(path_is(0, NAME, "/"));
	CHECK(!tell(up, down, "mounted"));
	/* No new hierarchy from a cgroup namespace other than the initial one. */
	CHECK(mount("none", MNT3, "cgroup", 0, "none,name=" NEWNAME) == -1 && errno == EPERM);
	CHECK(!umount(MNTX));
	return CHILD_RESULT;
}

TEST_F(cgns, mount_in_a_cgroup_namespace)
{
	char buf[MSG];
	struct peer p;

	ASSERT_EQ(0, start(&p, mount_in_ns, NULL));
	ASSERT_EQ(0, hear(&p, buf));
	EXPECT_STREQ("mounted", buf);
	/* The test sees the child's mount with root /a, and the test's own mount with /. */
	mount_root(p.pid, MNTX, buf, sizeof(buf));
	EXPECT_STREQ("/a", buf);
	mount_root(p.pid, MNT, buf, sizeof(buf));
	EXPECT_STREQ("/", buf);
	/* The mount is the child's alone. */
	mount_root(0, MNTX, buf, sizeof(buf));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, go(&p));
	EXPECT_EQ(0, finish(&p));
	EXPECT_EQ(-ENOENT, access(MNT3 "/tasks", F_OK) ? -errno : 0);
}

/* The user's mounts in a new user namespace, with (@arg set) or without a cgroup namespace. */
static int userns_mount(int up, int down, void *arg)
{
	int with_cgns = !!arg;
	char buf[512];

	CHECK(!become(NOBODY));
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS | (with_cgns ? CLONE_NEWCGROUP : 0))) {
		CHECK(!"unshare(CLONE_NEWUSER | CLONE_NEWNS...)");
		return CHILD_RESULT;
	}
	CHECK(!map_root_to(NOBODY));
	CHECK(getuid() == 0 && geteuid() == 0);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		CHECK(!"mount(MS_REC | MS_PRIVATE)");
		return CHILD_RESULT;
	}
	if (!with_cgns) {
		/* Its cgroup namespace is the initial one, owned by the initial user namespace. */
		CHECK(mount("none", MNTX, "cgroup", 0, "none,name=" NAME) == -1 &&
		      errno == EPERM);
		CHECK(mount("none", MNTX, "cgroup", 0, "name=" NAME) == -1 && errno == EPERM);
		CHECK(mount("none", MNTX, "cgroup", 0, "none,name=" NEWNAME) == -1 &&
		      errno == EPERM);
		/* Now one of its own. */
		CHECK(!unshare(CLONE_NEWCGROUP));
	}
	CHECK(!mount("none", MNTX, "cgroup", 0, "none,name=" NAME));
	/* In the top group: the mount's root is the top, with release_agent. */
	CHECK(inode_of(MNTX) == inode_of(MNT) && inode_of(MNTX));
	mount_root(0, MNTX, buf, sizeof(buf));
	CHECK(!strcmp(buf, "/"));
	CHECK(read_text(MNTX "/release_agent", buf, sizeof(buf)) == 1 && !strcmp(buf, "\n"));
	/* Mode 0666: the open succeeds, the write is refused. */
	CHECK(write_text(MNTX "/release_agent", "/x") == -EPERM);
	CHECK(write_text(MNT "/release_agent", "/x") == -EPERM);
	CHECK(mount("none", MNT3, "cgroup", 0, "none,name=" NEWNAME) == -1 && errno == EPERM);
	CHECK(!umount(MNTX));
	return CHILD_RESULT;
}

TEST_F(cgns, user_namespace_root_can_mount_existing_hierarchy)
{
	if (!have_userns())
		SKIP(return, NO_USERNS);
	ASSERT_EQ(0, chmod(MNT "/release_agent", 0666));
	EXPECT_EQ(0, run_child(userns_mount, (void *)1));
	EXPECT_EQ(0, run_child(userns_mount, NULL));
	EXPECT_FILE(MNT "/release_agent", "\n");
	EXPECT_EQ(-ENOENT, access(MNT3 "/tasks", F_OK) ? -errno : 0);
}

/* In a child: sends /proc/<pid>/cpuset (0: self) as one report. */
static int tell_cpuset(int up, int down, pid_t pid)
{
	char path[64], buf[MSG];

	proc_path(path, sizeof(path), pid, "cpuset");
	if (read_text(path, buf, sizeof(buf)) < 0)
		snprintf(buf, sizeof(buf), "cannot read %s", path);
	return tell(up, down, buf);
}

/* Moves itself into the cpuset c, unshares, and reports its /proc/self/cpuset and the test's. */
static int cpuset_paths(int up, int down, void *arg)
{
	CHECK(!write_pid(MNTC "/c/tasks", getpid()));
	CHECK(!unshare(CLONE_NEWCGROUP));
	CHECK(!tell_cpuset(up, down, 0));
	CHECK(!tell_cpuset(up, down, getppid()));
	return CHILD_RESULT;
}

FIXTURE(cpuset_ns) {
	int unused;
};

FIXTURE_SETUP(cpuset_ns)
{
	ntracked = 0;
	if (access("/proc/self/cpuset", F_OK))
		SKIP(return, "no cpuset controller (no /proc/self/cpuset)");
}

FIXTURE_TEARDOWN(cpuset_ns)
{
	int i;

	for (i = 0; i < ntracked; i++)
		if (tracked[i] > 0)
			kill_and_reap(tracked[i]);
	rmdir(MNTC "/c");
	/* C frees a removed group later; unmounted before, it would keep cpuset bound. */
	wait_num_cgroups("cpuset", 1);
	umount(MNTC);
	wait_hierarchy_gone(":cpuset:");
}

/* /proc/<pid>/cpuset is relative to the reader's namespace root too. */
TEST_F(cpuset_ns, proc_cpuset_is_relative_to_the_namespace_root)
{
	char buf[MSG], cpus[256], mems[256], path[64];
	struct peer p;

	ASSERT_EQ(0, try_mount(MNTC, "cpuset"));
	ASSERT_EQ(0, mkdir(MNTC "/c", 0755));
	ASSERT_LT(0, read_text(MNTC "/cpuset.cpus", cpus, sizeof(cpus)));
	ASSERT_LT(0, read_text(MNTC "/cpuset.mems", mems, sizeof(mems)));
	ASSERT_EQ(0, write_text(MNTC "/c/cpuset.cpus", cpus));
	ASSERT_EQ(0, write_text(MNTC "/c/cpuset.mems", mems));
	ASSERT_EQ(0, start(&p, cpuset_paths, NULL));
	ASSERT_EQ(0, hear(&p, buf));
	EXPECT_STREQ("/\n", buf);
	proc_path(path, sizeof(path), p.pid, "cpuset");
	EXPECT_FILE(path, "/c\n");
	ASSERT_EQ(0, go(&p));
	ASSERT_EQ(0, hear(&p, buf));
	EXPECT_STREQ("/..\n", buf);
	ASSERT_EQ(0, go(&p));
	EXPECT_EQ(0, finish(&p));
	EXPECT_FILE("/proc/self/cpuset", "/\n");
}

TEST_HARNESS_MAIN
