// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: an allocation that fails in the middle of a move or a mkdir
 * changes nothing.
 *
 * With fault injection (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB and their
 * debugfs files; the debug kernel has them, the others skip these tests),
 * /proc/thread-self/fail-nth = n fails the n-th slab allocation of the
 * writing thread. Every n from 1 up is tried until the operation no longer
 * meets an injected failure:
 *
 * - a process whose six threads sit in six different groups of hierarchy A
 *   is written to cgroup.procs of a group of hierarchy B, which needs a new
 *   css_set per thread: after a failed write every thread is where it was
 *   (/proc/<pid>/task/<tid>/cgroup byte for byte), after a successful one
 *   every thread is in the target;
 * - the same for one thread written to tasks;
 * - mkdir: after a failure no directory exists and the controller's group
 *   count in /proc/cgroups is unchanged.
 *
 * The other operations are walked by walk_faults(): the operation is done
 * once without faults, which shows what it changes, and undone; then with
 * fail-nth = 1, 2, ... After a failed attempt, what the operation changes,
 * /proc/self/cgroup and /proc/cgroups (hierarchy ids, group counts) must be
 * byte for byte as before; after a successful one, as after the run without
 * faults (then it is undone and the walk goes on while faults were met):
 *
 * - mount of a new hierarchy with a name, then with controllers and a name:
 *   after a failure nothing is mounted and the controllers are unbound, and a
 *   later mount works;
 * - rmdir of a group with a controller state;
 * - remount binding debug to a hierarchy, and unbinding it: the controllers
 *   bound, /proc/mounts and the control files are as before a failure;
 * - remount binding cpuset, cpuacct and freezer to a hierarchy with child
 *   groups and tasks, and unbinding them (the Rust core; C refuses with EBUSY
 *   and the test is skipped): the tasks' groups and allowed CPUs, and the
 *   control files, are as before a failure;
 * - fork of a task in a group (fail-nth set in the parent): the group's tasks
 *   and cgroup.procs, debug.taskcount and the parent's css_set refcount;
 * - writes to the control files of a group holding a task: cpuset.cpus and
 *   cpuset.mems (with the task's allowed CPUs and nodes), freezer.state (both
 *   ways), cpuacct.usage (reset), notify_on_release, cgroup.clone_children and
 *   release_agent.
 *
 * A failed operation must fail with ENOMEM. Expectations are those of the
 * C implementation (run it with the same fault-injection options).
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

#define HA CGV1_DIR("cgv1-fault-a")
#define HB CGV1_DIR("cgv1-fault-b")
#define A_OPTS "none,name=cgv1faulta"
/* B carries debug, so that a new group needs a controller state too. */
#define B_OPTS "debug,name=cgv1faultb"
#define B_ROOT_LINE ":debug,name=cgv1faultb:/\n"
#define B_TARGET_LINE ":debug,name=cgv1faultb:/t\n"
#define NTHREADS 6
#define MAX_NTH 300

/* The hierarchies of the walks: a new one, one remounted, one with controllers. */
#define HM CGV1_DIR("cgv1-fault-m")
#define M_NAMED_OPTS "none,name=cgv1faultm"
#define M_NAMED_LINE ":name=cgv1faultm:"
#define M_OPTS "cpuacct,debug,name=cgv1faultm"
#define HR CGV1_DIR("cgv1-fault-r")
#define R_BOUND "debug,name=cgv1faultr"
#define R_UNBOUND "none,name=cgv1faultr"
#define HC CGV1_DIR("cgv1-fault-c")
#define C_OPTS "cpuset,cpuacct,freezer"
#define HCG HC "/c"
/* A hierarchy with child groups and tasks, whose controllers are rebound. */
#define HP CGV1_DIR("cgv1-fault-p")
#define P_UNBOUND "none,name=cgv1faultp"
#define P_BOUND "cpuset,cpuacct,freezer,name=cgv1faultp"

#define FAILSLAB "/sys/kernel/debug/failslab"
#define FAIL_PAGE_ALLOC "/sys/kernel/debug/fail_page_alloc"

/* The debugfs knobs set for the tests, and what they held before. */
static const char * const knobs[][2] = {
	/* Fail GFP_KERNEL slab allocations too (the default spares them). */
	{ FAILSLAB "/ignore-gfp-wait", "N\n" },
	/* No report per injected failure: its stack dump would look like a splat. */
	{ FAILSLAB "/verbose", "0\n" },
	/* Page allocations never count against fail-nth: order 11 is never asked for. */
	{ FAIL_PAGE_ALLOC "/min-order", "11\n" },
	{ FAIL_PAGE_ALLOC "/verbose", "0\n" },
};

/*
 * What a test set up, for its teardown. Each test runs in a process of its
 * own, set up, tested and torn down there: the state can be a global.
 */
static struct {
	char saved[ARRAY_SIZE(knobs)][32];
	int nth_fd;
	pid_t pid;
	int tids[NTHREADS];
	char before[NTHREADS][1024];
	/* The child that fork_op() made, and the pipe whose closing ends it. */
	pid_t forked;
	int wait_fd, release_fd;
	/* The file that walk_faults() writes to. */
	int walk_fd;
} st;

FIXTURE(fault) {
	int unused;
};

static int setup_done_pipe[2];

static void *mover(void *arg)
{
	long i = (long)arg;
	char path[128];

	snprintf(path, sizeof(path), HA "/a%ld/tasks", i);
	if (write_text(path, "0"))
		syscall(SYS_exit_group, 10 + i);
	if (write(setup_done_pipe[1], "x", 1) != 1)
		syscall(SYS_exit_group, 20);
	for (;;)
		pause();
	return NULL;
}

/* The child: thread i (the leader is thread 0) moves itself into A/a<i>. */
static void child(void)
{
	pthread_t t;
	long i;

	close(setup_done_pipe[0]);
	for (i = 1; i < NTHREADS; i++)
		if (pthread_create(&t, NULL, mover, (void *)i))
			syscall(SYS_exit_group, 30);
	mover((void *)0);
}

static int task_cgroup(pid_t pid, int tid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", pid, tid);
	return read_text(path, buf, size) > 0 ? 0 : -1;
}

/* What @before becomes once the thread is in B's group t. */
static int moved(const char *before, char *out, size_t size)
{
	const char *p = strstr(before, B_ROOT_LINE);

	if (!p)
		return -1;
	snprintf(out, size, "%.*s%s%s", (int)(p - before), before, B_TARGET_LINE,
		 p + strlen(B_ROOT_LINE));
	return 0;
}

/*
 * Sets fail-nth to @nth, runs @op(@arg), then clears fail-nth. Returns what
 * @op returned (0 or -errno), or -1000 and less if fail-nth cannot be used;
 * *injected tells whether the n-th allocation came (and failed).
 */
static int with_fail_nth(int nth_fd, int nth, int (*op)(void *arg), void *arg, int *injected)
{
	char num[16], left[16] = "";
	ssize_t n;
	int ret, len;

	len = snprintf(num, sizeof(num), "%d", nth);
	if (pwrite(nth_fd, num, len, 0) != len)
		return -1000;
	ret = op(arg);
	/* Nothing here allocates: reading and clearing fail-nth cannot trip it. */
	n = pread(nth_fd, left, sizeof(left) - 1, 0);
	if (pwrite(nth_fd, "0", 1, 0) != 1 || n <= 0)
		return -1001;
	left[n] = '\0';
	*injected = !strcmp(left, "0\n");
	return ret;
}

/* What write_op() writes, and where. */
struct write_arg {
	int fd;
	const char *text;
};

/* Writes the text in one write(): 0, -errno, or -EIO if short. */
static int write_op(void *arg)
{
	struct write_arg *w = arg;
	ssize_t n = write(w->fd, w->text, strlen(w->text));

	if (n < 0)
		return -errno;
	return n == (ssize_t)strlen(w->text) ? 0 : -EIO;
}

static int mkdir_op(void *arg)
{
	return mkdir(arg, 0755) ? -errno : 0;
}

static int count_lines(const char *path)
{
	char buf[4096], *p;
	int n = 0;

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; (p = strchr(p, '\n')); p++)
		n++;
	return n;
}

FIXTURE_SETUP(fault)
{
	unsigned int i;

	st.nth_fd = -1;
	st.pid = 0;
	st.forked = 0;
	st.wait_fd = -1;
	st.release_fd = -1;
	st.walk_fd = -1;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		st.saved[i][0] = '\0';
	if (access("/proc/thread-self/fail-nth", W_OK) || access(FAILSLAB, F_OK) ||
	    access(FAIL_PAGE_ALLOC, F_OK))
		SKIP(return, "no fault injection (fail-nth, failslab, fail_page_alloc)");
}

/*
 * Sets the knobs and opens fail-nth; the last step of a test's set-up, so that
 * nothing before it meets an injected failure.
 */
static void arm_faults(struct __test_metadata *_metadata)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		ASSERT_LT(0, read_text(knobs[i][0], st.saved[i], sizeof(st.saved[i])))
			TH_LOG("%s", knobs[i][0]);
		ASSERT_EQ(0, write_text(knobs[i][0], knobs[i][1])) TH_LOG("%s", knobs[i][0]);
	}
	st.nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	ASSERT_LE(0, st.nth_fd);
}

/*
 * The set-up proper, run from the test so that the teardown undoes it even
 * when it stops half-way.
 */
static void prepare(struct __test_metadata *_metadata)
{
	char path[128], c;
	struct dirent *de;
	unsigned int i;
	DIR *dir;
	int n = 0;

	ASSERT_EQ(0, wait_num_cgroups("debug", 1));
	ASSERT_EQ(0, try_mount(HA, A_OPTS));
	ASSERT_EQ(0, try_mount(HB, B_OPTS));
	ASSERT_EQ(0, mkdir(HB "/t", 0755));
	for (i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), HA "/a%u", i);
		ASSERT_EQ(0, mkdir(path, 0755));
	}

	ASSERT_EQ(0, pipe(setup_done_pipe));
	fflush(NULL);
	st.pid = fork();
	ASSERT_LE(0, st.pid);
	if (!st.pid)
		child();
	close(setup_done_pipe[1]);
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(1, read(setup_done_pipe[0], &c, 1));
	close(setup_done_pipe[0]);

	snprintf(path, sizeof(path), "/proc/%d/task", st.pid);
	dir = opendir(path);
	ASSERT_NE(NULL, dir);
	while ((de = readdir(dir))) {
		if (atoi(de->d_name) <= 0)
			continue;
		ASSERT_GT(NTHREADS, n);
		st.tids[n++] = atoi(de->d_name);
	}
	closedir(dir);
	ASSERT_EQ(NTHREADS, n);
	for (i = 0; i < NTHREADS; i++) {
		ASSERT_EQ(0, task_cgroup(st.pid, st.tids[i], st.before[i],
					 sizeof(st.before[i])));
		ASSERT_NE(NULL, strstr(st.before[i], B_ROOT_LINE)) TH_LOG("%s", st.before[i]);
		/* Six threads in six groups of A. */
		snprintf(path, sizeof(path), HA "/a%u/tasks", i);
		ASSERT_EQ(1, count_lines(path)) TH_LOG("%s", path);
	}
	EXPECT_FILE(HB "/t/tasks", "");

	/* Fault injection last: nothing above may meet it. */
	arm_faults(_metadata);
}

FIXTURE_TEARDOWN(fault)
{
	char path[128];
	unsigned int i;

	if (st.nth_fd >= 0) {
		if (pwrite(st.nth_fd, "0", 1, 0) != 1)
			TH_LOG("cannot clear fail-nth");
		close(st.nth_fd);
	}
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (st.saved[i][0] && write_text(knobs[i][0], st.saved[i]))
			TH_LOG("cannot restore %s", knobs[i][0]);
	if (st.walk_fd >= 0)
		close(st.walk_fd);
	/* A frozen task would not die. */
	if (!access(HCG "/freezer.state", F_OK))
		EXPECT_EQ(0, write_text(HCG "/freezer.state", "THAWED"));
	if (st.pid > 0)
		kill_and_reap(st.pid);
	if (st.release_fd >= 0)
		close(st.release_fd);
	if (st.wait_fd >= 0)
		close(st.wait_fd);
	if (st.forked > 0)
		kill_and_reap(st.forked);
	write_pid(HB "/tasks", getpid());
	for (i = 0; i < NTHREADS; i++) {
		snprintf(path, sizeof(path), HA "/a%u", i);
		rmdir(path);
	}
	rmdir(HB "/t");
	rmdir(HB "/m");
	rmdir(HCG);
	/* Unmounted with removed groups still there, C would keep B, and debug, bound. */
	wait_num_cgroups("debug", 1);
	wait_num_cgroups("cpuset", 1);
	umount(HA);
	umount(HB);
	umount(HM);
	umount(HR);
	umount(HC);
	rmdir(HP "/a/b");
	rmdir(HP "/a");
	rmdir(HP "/c");
	umount(HP);
	wait_hierarchy_gone(":debug,name=cgv1faultb:");
	wait_hierarchy_gone(M_NAMED_LINE);
	wait_hierarchy_gone(":" M_OPTS ":");
	wait_hierarchy_gone(":debug,name=cgv1faultr:");
	wait_hierarchy_gone(":cpuset,cpuacct,freezer:");
}

/*
 * Checks /proc/<pid>/task/<tid>/cgroup of every thread: the thread @moved_tid
 * (every thread if -1, none if 0) must be in B's group t, the others where
 * they were. Returns how many differ.
 */
static int check_threads(struct __test_metadata *_metadata, int moved_tid, int nth)
{
	char now[1024], want[1024];
	int i, bad = 0;

	for (i = 0; i < NTHREADS; i++) {
		if (task_cgroup(st.pid, st.tids[i], now, sizeof(now))) {
			TH_LOG("fail-nth %d: cannot read the cgroup of %d", nth, st.tids[i]);
			bad++;
			continue;
		}
		if (moved_tid == -1 || moved_tid == st.tids[i]) {
			if (moved(st.before[i], want, sizeof(want)))
				bad++;
		} else {
			snprintf(want, sizeof(want), "%s", st.before[i]);
		}
		if (strcmp(want, now)) {
			TH_LOG("fail-nth %d: thread %d is in\n%s\nexpected\n%s", nth,
			       st.tids[i], now, want);
			bad++;
		}
	}
	return bad;
}

/*
 * Writes @id to @file of B's group t with fail-nth = 1, 2, ... until the write
 * meets no injected failure; @moved_tid is what a successful write moves
 * (see check_threads()).
 */
static void move_under_faults(struct __test_metadata *_metadata, const char *file, int id,
			      int moved_tid)
{
	char text[32], target[128], back[128];
	int nth, ret, injected, failures = 0;
	int fd;

	snprintf(text, sizeof(text), "%d", id);
	snprintf(target, sizeof(target), HB "/t/%s", file);
	snprintf(back, sizeof(back), HB "/%s", file);
	fd = open(target, O_WRONLY);
	ASSERT_LE(0, fd) TH_LOG("%s", target);
	for (nth = 1; nth <= MAX_NTH; nth++) {
		struct write_arg w = { fd, text };

		ret = with_fail_nth(st.nth_fd, nth, write_op, &w, &injected);
		ASSERT_LT(-1000, ret) TH_LOG("fail-nth cannot be used");
		if (ret) {
			/* Failed: nothing moved. */
			failures++;
			EXPECT_TRUE(injected) TH_LOG("fail-nth %d: %s without a fault", nth,
						     strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %d: %s", nth, strerror(-ret));
			ASSERT_EQ(0, check_threads(_metadata, 0, nth));
			EXPECT_FILE(HB "/t/tasks", "");
			continue;
		}
		/* Succeeded: all moved. */
		ASSERT_EQ(0, check_threads(_metadata, moved_tid, nth));
		if (!injected)
			break;
		/* A failure the kernel recovered from: move back and go on. */
		ASSERT_EQ(0, write_pid(back, id));
		ASSERT_EQ(0, check_threads(_metadata, 0, nth));
	}
	close(fd);
	ASSERT_GE(MAX_NTH, nth) TH_LOG("every move up to fail-nth %d met a fault", MAX_NTH);
	/* The move allocates: some failure must have been met on the way. */
	EXPECT_LT(0, failures);
	TH_LOG("%d failed writes before one met no fault at fail-nth %d", failures, nth);
}

TEST_F_TIMEOUT(fault, procs_move_is_all_or_nothing, 300)
{
	prepare(_metadata);
	move_under_faults(_metadata, "cgroup.procs", st.pid, -1);
}

TEST_F_TIMEOUT(fault, tasks_move_is_all_or_nothing, 300)
{
	prepare(_metadata);
	move_under_faults(_metadata, "tasks", st.tids[NTHREADS / 2], st.tids[NTHREADS / 2]);
}

TEST_F_TIMEOUT(fault, mkdir_is_all_or_nothing, 300)
{
	int nth, ret, injected, failures = 0;

	prepare(_metadata);
	for (nth = 1; nth <= MAX_NTH; nth++) {
		ret = with_fail_nth(st.nth_fd, nth, mkdir_op, HB "/m", &injected);
		ASSERT_LT(-1000, ret) TH_LOG("fail-nth cannot be used");
		if (ret) {
			failures++;
			EXPECT_TRUE(injected) TH_LOG("fail-nth %d: %s without a fault", nth,
						     strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %d: %s", nth, strerror(-ret));
			EXPECT_EQ(-1, access(HB "/m", F_OK)) TH_LOG("fail-nth %d", nth);
			/* Root and t; C may take a moment to free a half-made group. */
			ASSERT_EQ(0, wait_num_cgroups("debug", 2)) TH_LOG("fail-nth %d", nth);
			continue;
		}
		EXPECT_EQ(0, access(HB "/m/debug.taskcount", F_OK)) TH_LOG("fail-nth %d", nth);
		EXPECT_FILE(HB "/m/tasks", "");
		ASSERT_EQ(0, wait_num_cgroups("debug", 3)) TH_LOG("fail-nth %d", nth);
		ASSERT_EQ(0, rmdir(HB "/m"));
		ASSERT_EQ(0, wait_num_cgroups("debug", 2));
		if (!injected)
			break;
	}
	ASSERT_GE(MAX_NTH, nth) TH_LOG("every mkdir up to fail-nth %d met a fault", MAX_NTH);
	EXPECT_LT(0, failures);
	TH_LOG("%d failed mkdirs before one met no fault at fail-nth %d", failures, nth);
}

/*
 * Waits until controller @ss is back in the dummy hierarchy (hierarchy 0 in
 * /proc/cgroups): C destroys an unmounted hierarchy asynchronously. Returns 0,
 * or -1 after 5 s.
 */
static int wait_unbound(const char *ss)
{
	char buf[4096], line[64], *l, *save;
	int i;

	snprintf(line, sizeof(line), "%s\t0\t", ss);
	for (i = 0; i < 500; i++) {
		if (read_text("/proc/cgroups", buf, sizeof(buf)) < 0)
			return -1;
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (!strncmp(l, line, strlen(line)))
				return 0;
		usleep(10000);
	}
	return -1;
}

/* The walks: an operation, its undoing and what it changes (see walk_faults()). */
struct walk {
	const char *name;
	/* The operation, run with fail-nth set: 0 or -errno. */
	int (*op)(struct walk *w);
	/* Back to the state before a successful op, without faults: 0 or -errno. */
	int (*undo)(struct walk *w);
	/* Appends what op changes to @buf (see add_file()); NULL: the file path. */
	void (*state)(struct walk *w, char *buf, size_t size);
	/* Called after a successful op, e.g. to wait for a freezer to settle. */
	void (*settle)(struct walk *w);
	/* For writes: the file, what op writes, what undo writes back. */
	const char *path;
	const char *text;
	const char *undo_text;
	int fd;
	int max_nth;
};

#define STATE_SIZE 8192

/* Appends "@path:\n" and the contents of @path (or why they cannot be read). */
static void add_file(char *buf, size_t size, const char *path)
{
	size_t len = strlen(buf);
	char data[4096];
	ssize_t n;

	n = read_text(path, data, sizeof(data));
	if (n < 0)
		snprintf(buf + len, size - len, "%s: %s\n", path, strerror(-n));
	else
		snprintf(buf + len, size - len, "%s:\n%s", path, data);
}

/* Appends the lines of /proc/<@pid>/status that start with @key. */
static void add_status(char *buf, size_t size, pid_t pid, const char *key)
{
	char path[64], data[4096], *l, *save;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (read_text(path, data, sizeof(data)) < 0)
		data[0] = '\0';
	for (l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, key, strlen(key)))
			continue;
		len = strlen(buf);
		snprintf(buf + len, size - len, "%s\n", l);
	}
}

/*
 * What every failed attempt must leave as it was: this task's groups, and the
 * hierarchy ids and group counts of the controllers.
 */
static void common_state(char *buf, size_t size)
{
	buf[0] = '\0';
	add_file(buf, size, "/proc/self/cgroup");
	add_file(buf, size, "/proc/cgroups");
}

static void walk_state(struct walk *w, char *buf, size_t size)
{
	buf[0] = '\0';
	if (w->state)
		w->state(w, buf, size);
	else
		add_file(buf, size, w->path);
}

/*
 * Waits until the state of @w is @want, and common_state() is @common unless
 * NULL: C finishes some work (freeing groups, destroying a hierarchy)
 * asynchronously. Returns 0, or -1 after 5 s with @now holding what differs.
 */
static int wait_state(struct walk *w, const char *want, const char *common, char *now)
{
	int i;

	for (i = 0; i < 500; i++) {
		walk_state(w, now, STATE_SIZE);
		if (!strcmp(now, want)) {
			if (!common)
				return 0;
			common_state(now, STATE_SIZE);
			if (!strcmp(now, common))
				return 0;
		}
		usleep(10000);
	}
	return -1;
}

static int walk_op(void *arg)
{
	struct walk *w = arg;

	return w->op(w);
}

/*
 * Runs @w once without faults, which gives the state after a success, and
 * undoes it; then with fail-nth = 1, 2, ... until an attempt meets no
 * injected failure. A failed attempt must fail with ENOMEM and leave the state
 * and common_state() as they were; a successful one must give the state of
 * the run without faults, and is undone.
 */
static void walk_faults(struct __test_metadata *_metadata, struct walk *w)
{
	static char before[STATE_SIZE], after[STATE_SIZE], common[STATE_SIZE];
	static char now[STATE_SIZE];
	int nth, ret, injected, failures = 0;
	int max_nth = w->max_nth ? w->max_nth : MAX_NTH;

	w->fd = -1;
	if (w->path) {
		w->fd = open(w->path, O_WRONLY);
		ASSERT_LE(0, w->fd) TH_LOG("%s: %s", w->name, w->path);
		/* For the teardown: an open file would keep a removed group. */
		st.walk_fd = w->fd;
	}
	walk_state(w, before, sizeof(before));
	common_state(common, sizeof(common));
	ASSERT_EQ(0, w->op(w)) TH_LOG("%s without faults", w->name);
	if (w->settle)
		w->settle(w);
	walk_state(w, after, sizeof(after));
	ASSERT_STRNE(before, after) TH_LOG("%s changes nothing", w->name);
	ASSERT_EQ(0, w->undo(w)) TH_LOG("%s: undo", w->name);
	ASSERT_EQ(0, wait_state(w, before, common, now))
		TH_LOG("%s: undone, the state is\n%s\nexpected\n%s", w->name, now, before);

	for (nth = 1; nth <= max_nth; nth++) {
		ret = with_fail_nth(st.nth_fd, nth, walk_op, w, &injected);
		ASSERT_LT(-1000, ret) TH_LOG("fail-nth cannot be used");
		if (ret) {
			failures++;
			EXPECT_TRUE(injected) TH_LOG("%s, fail-nth %d: %s without a fault",
						     w->name, nth, strerror(-ret));
			EXPECT_EQ(-ENOMEM, ret) TH_LOG("%s, fail-nth %d: %s", w->name, nth,
						       strerror(-ret));
			ASSERT_EQ(0, wait_state(w, before, common, now))
				TH_LOG("%s, fail-nth %d: failed, the state is\n%s\nexpected\n%s%s",
				       w->name, nth, now, before, common);
			continue;
		}
		if (w->settle)
			w->settle(w);
		ASSERT_EQ(0, wait_state(w, after, NULL, now))
			TH_LOG("%s, fail-nth %d: done, the state is\n%s\nexpected\n%s", w->name,
			       nth, now, after);
		ASSERT_EQ(0, w->undo(w)) TH_LOG("%s, fail-nth %d: undo", w->name, nth);
		ASSERT_EQ(0, wait_state(w, before, common, now))
			TH_LOG("%s, fail-nth %d: undone, the state is\n%s\nexpected\n%s\n%s",
			       w->name, nth, now, before, common);
		if (!injected)
			break;
	}
	if (w->fd >= 0)
		close(w->fd);
	st.walk_fd = -1;
	ASSERT_GE(max_nth, nth) TH_LOG("%s: every attempt up to fail-nth %d met a fault",
				       w->name, max_nth);
	/* Each of these operations allocates: some failure must have been met. */
	EXPECT_LT(0, failures) TH_LOG("%s", w->name);
	TH_LOG("%s: %d failed attempts before one met no fault at fail-nth %d", w->name,
	       failures, nth);
}

/* Writes w->text to w->fd (open on w->path). */
static int walk_write(struct walk *w)
{
	struct write_arg arg = { w->fd, w->text };

	return write_op(&arg);
}

/* Writes w->undo_text to w->path. */
static int walk_write_back(struct walk *w)
{
	return write_text(w->path, w->undo_text);
}

/* Appends the line of /proc/mounts for @dir, or "@dir unmounted". */
static void add_mount(char *buf, size_t size, const char *dir)
{
	char data[8192], key[128], *l, *save;
	size_t len = strlen(buf);

	snprintf(key, sizeof(key), " %s ", dir);
	if (read_text("/proc/mounts", data, sizeof(data)) < 0)
		data[0] = '\0';
	for (l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, key)) {
			snprintf(buf + len, size - len, "%s\n", l);
			return;
		}
	}
	snprintf(buf + len, size - len, "%s unmounted\n", dir);
}

/*
 * Appends /proc/cgroups and /proc/self/cgroup with every hierarchy id but 0
 * written as H: a new hierarchy takes a new id each time.
 */
static void add_groups_without_ids(char *buf, size_t size)
{
	char data[4096], name[64], *l, *save;
	int hier, num, enabled;
	size_t len;

	if (read_text("/proc/cgroups", data, sizeof(data)) < 0)
		data[0] = '\0';
	for (l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		len = strlen(buf);
		if (sscanf(l, "%63s %d %d %d", name, &hier, &num, &enabled) == 4)
			snprintf(buf + len, size - len, "%s\t%s\t%d\t%d\n", name,
				 hier ? "H" : "0", num, enabled);
		else
			snprintf(buf + len, size - len, "%s\n", l);
	}
	if (read_text("/proc/self/cgroup", data, sizeof(data)) < 0)
		data[0] = '\0';
	for (l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *rest = strchr(l, ':');

		len = strlen(buf);
		snprintf(buf + len, size - len, "%s%s\n", atoi(l) ? "H" : "0", rest ? rest : l);
	}
}

/* Mounts HM with w->text; undo unmounts it and waits for w->undo_text's hierarchy to go. */
static int mount_op(struct walk *w)
{
	return mount("none", HM, "cgroup", 0, w->text) ? -errno : 0;
}

static int mount_undo(struct walk *w)
{
	if (umount(HM))
		return -errno;
	/* C destroys the hierarchy, and frees its controllers, asynchronously. */
	return wait_hierarchy_gone(w->undo_text);
}

static void mount_state(struct walk *w, char *buf, size_t size)
{
	add_mount(buf, size, HM);
	add_groups_without_ids(buf, size);
}

/*
 * Two walks: a hierarchy with a name only, then one with controllers too.
 * The first one stops the test if a failed mount leaves a hierarchy behind,
 * before the second could leave one holding controllers that every later
 * test needs.
 *
 * Note: C (6.12) keeps a new hierarchy, its controllers bound, when
 * kernfs_get_tree() fails before the superblock exists: only
 * cgroup_kill_sb() kills the base reference of its root, and
 * cgroup_do_get_tree() drops only the one cgroup1_get_tree() took. The
 * hierarchy stays until a mount with the same options and its umount.
 * Expected here: a failed mount leaves nothing.
 */
TEST_F_TIMEOUT(fault, mount_is_all_or_nothing, 300)
{
	struct walk named = {
		.name = "mount " M_NAMED_OPTS, .op = mount_op, .undo = mount_undo,
		.state = mount_state, .text = M_NAMED_OPTS, .undo_text = M_NAMED_LINE,
	};
	struct walk bound = {
		.name = "mount " M_OPTS, .op = mount_op, .undo = mount_undo,
		.state = mount_state, .text = M_OPTS, .undo_text = ":" M_OPTS ":",
	};

	ASSERT_EQ(0, wait_unbound("debug"));
	ASSERT_EQ(0, wait_unbound("cpuacct"));
	ASSERT_EQ(0, make_mount_point(HM));
	arm_faults(_metadata);
	walk_faults(_metadata, &named);
	walk_faults(_metadata, &bound);
}

static int rmdir_op(struct walk *w)
{
	return rmdir(HB "/m") ? -errno : 0;
}

static int rmdir_undo(struct walk *w)
{
	return mkdir(HB "/m", 0755) ? -errno : 0;
}

static void rmdir_state(struct walk *w, char *buf, size_t size)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "m %s\n", access(HB "/m", F_OK) ? "absent" : "present");
	add_file(buf, size, HB "/debug.cgroup_subsys_states");
	add_file(buf, size, HB "/debug.releasable");
}

TEST_F_TIMEOUT(fault, rmdir_is_all_or_nothing, 300)
{
	struct walk w = {
		.name = "rmdir", .op = rmdir_op, .undo = rmdir_undo, .state = rmdir_state,
	};

	ASSERT_EQ(0, wait_num_cgroups("debug", 1));
	ASSERT_EQ(0, try_mount(HB, B_OPTS));
	ASSERT_EQ(0, mkdir(HB "/m", 0755));
	arm_faults(_metadata);
	walk_faults(_metadata, &w);
}

/* Remounts HR with w->text; undo remounts it with w->undo_text. */
static int remount_op(struct walk *w)
{
	return mount("none", HR, "cgroup", MS_REMOUNT, w->text) ? -errno : 0;
}

static int remount_undo(struct walk *w)
{
	return mount("none", HR, "cgroup", MS_REMOUNT, w->undo_text) ? -errno : 0;
}

static void remount_state(struct walk *w, char *buf, size_t size)
{
	size_t len;

	add_mount(buf, size, HR);
	add_file(buf, size, "/proc/self/cgroup");
	add_file(buf, size, "/proc/cgroups");
	len = strlen(buf);
	snprintf(buf + len, size - len, "debug.taskcount %s\n",
		 access(HR "/debug.taskcount", F_OK) ? "absent" : "present");
}

/*
 * Note: C's rebind_subsystems() only warns ("partial failure to rebind") when
 * the control files of a controller being bound cannot be made, and the
 * remount succeeds without them. Expected here: all files, or a failure.
 */
TEST_F_TIMEOUT(fault, remount_binding_is_all_or_nothing, 300)
{
	struct walk bind = {
		.name = "remount " R_BOUND, .op = remount_op, .undo = remount_undo,
		.state = remount_state, .text = R_BOUND, .undo_text = R_UNBOUND,
	};
	struct walk unbind = {
		.name = "remount " R_UNBOUND, .op = remount_op, .undo = remount_undo,
		.state = remount_state, .text = R_UNBOUND, .undo_text = R_BOUND,
	};

	ASSERT_EQ(0, wait_unbound("debug"));
	ASSERT_EQ(0, try_mount(HR, R_UNBOUND));
	arm_faults(_metadata);
	walk_faults(_metadata, &bind);
	ASSERT_EQ(0, remount_op(&bind));
	walk_faults(_metadata, &unbind);
}

static int rebind_op(struct walk *w)
{
	return mount("none", HP, "cgroup", MS_REMOUNT, w->text) ? -errno : 0;
}

static int rebind_undo(struct walk *w)
{
	return mount("none", HP, "cgroup", MS_REMOUNT, w->undo_text) ? -errno : 0;
}

static void add_presence(char *buf, size_t size, const char *path)
{
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s %s\n", path, access(path, F_OK) ? "absent" : "present");
}

static void rebind_state(struct walk *w, char *buf, size_t size)
{
	pid_t pids[] = { st.pid, st.forked };
	char path[64];
	unsigned int i;

	add_mount(buf, size, HP);
	for (i = 0; i < ARRAY_SIZE(pids); i++) {
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pids[i]);
		add_file(buf, size, path);
		add_status(buf, size, pids[i], "Cpus_allowed_list");
	}
	add_presence(buf, size, HP "/cpuacct.usage");
	add_presence(buf, size, HP "/a/b/cpuset.cpus");
	add_presence(buf, size, HP "/a/cpuacct.usage");
	add_presence(buf, size, HP "/c/freezer.state");
}

/*
 * Rebinding a hierarchy with child groups allocates for each group and each
 * task: a failure anywhere leaves it as it was (the Rust core's remount).
 */
TEST_F_TIMEOUT(fault, rebinding_with_children_is_all_or_nothing, 600)
{
	struct walk bind = {
		.name = "remount " P_BOUND, .op = rebind_op, .undo = rebind_undo,
		.state = rebind_state, .text = P_BOUND, .undo_text = P_UNBOUND,
		.max_nth = 2000,
	};
	struct walk unbind = {
		.name = "remount " P_UNBOUND, .op = rebind_op, .undo = rebind_undo,
		.state = rebind_state, .text = P_UNBOUND, .undo_text = P_BOUND,
		.max_nth = 2000,
	};
	int ret;

	ASSERT_EQ(0, wait_unbound("cpuset"));
	ASSERT_EQ(0, wait_unbound("cpuacct"));
	ASSERT_EQ(0, wait_unbound("freezer"));
	ASSERT_EQ(0, make_mount_point(HP));
	ASSERT_EQ(0, try_mount(HP, P_UNBOUND));
	/* New cpusets copy their parents' masks, so that tasks may go there. */
	ASSERT_EQ(0, write_text(HP "/cgroup.clone_children", "1"));
	ASSERT_EQ(0, mkdir(HP "/a", 0755));
	ASSERT_EQ(0, mkdir(HP "/a/b", 0755));
	ASSERT_EQ(0, mkdir(HP "/c", 0755));
	st.pid = sleeper_in(HP "/a/b/tasks");
	ASSERT_LT(0, st.pid);
	st.forked = sleeper_in(HP "/c/tasks");
	ASSERT_LT(0, st.forked);
	ret = rebind_op(&bind);
	if (ret == -EBUSY)
		SKIP(return, "no rebinding with child groups (C's version 1)");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, rebind_undo(&bind));
	arm_faults(_metadata);
	walk_faults(_metadata, &bind);
	ASSERT_EQ(0, rebind_op(&bind));
	walk_faults(_metadata, &unbind);
}

#define I_OPTS "cpuset,cpuacct,freezer,inherit,name=cgv1faultp"

static void inherit_state(struct walk *w, char *buf, size_t size)
{
	char path[64];

	add_file(buf, size, HP "/a/cpuset.inherit");
	add_file(buf, size, HP "/a/cpuacct.inherit");
	add_file(buf, size, HP "/a/freezer.inherit");
	add_file(buf, size, HP "/a/cpuset.cpus");
	add_file(buf, size, HP "/a/freezer.state");
	snprintf(path, sizeof(path), "/proc/%d/cgroup", st.pid);
	add_file(buf, size, path);
	add_status(buf, size, st.pid, "Cpus_allowed_list");
}

/*
 * <controller>.inherit (the Rust core's inherit mount option): starting to
 * share the parent's state, and making a state of its own again, for a group
 * with a task; a failure leaves the flag and the task's state as they were.
 */
TEST_F_TIMEOUT(fault, inherit_is_all_or_nothing, 300)
{
	static const char *const files[] = {
		HP "/a/cpuset.inherit", HP "/a/cpuacct.inherit", HP "/a/freezer.inherit",
	};
	struct walk share = {
		.name = "share", .op = walk_write, .undo = walk_write_back,
		.state = inherit_state, .text = "1", .undo_text = "0",
	};
	struct walk own = {
		.name = "own", .op = walk_write, .undo = walk_write_back,
		.state = inherit_state, .text = "0", .undo_text = "1",
	};
	unsigned int i;
	int ret;

	ASSERT_EQ(0, wait_unbound("cpuset"));
	ASSERT_EQ(0, wait_unbound("cpuacct"));
	ASSERT_EQ(0, wait_unbound("freezer"));
	ret = try_mount(HP, I_OPTS);
	if (ret == -EINVAL)
		SKIP(return, "no inherit mount option (C's version 1)");
	ASSERT_EQ(0, ret);
	/* New cpusets copy their parents' masks, so that the task may go there. */
	ASSERT_EQ(0, write_text(HP "/cgroup.clone_children", "1"));
	ASSERT_EQ(0, mkdir(HP "/a", 0755));
	st.pid = sleeper_in(HP "/a/tasks");
	ASSERT_LT(0, st.pid);
	arm_faults(_metadata);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		share.path = files[i];
		share.name = files[i];
		own.path = files[i];
		own.name = files[i];
		walk_faults(_metadata, &share);
		ASSERT_EQ(0, write_text(files[i], "1"));
		walk_faults(_metadata, &own);
	}
}

/* Forks a child that stays (in this task's groups) until st.release_fd is closed. */
static int fork_op(struct walk *w)
{
	pid_t pid;
	char c;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		close(st.release_fd);
		if (read(st.wait_fd, &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	st.forked = pid;
	return 0;
}

/* The pipe of the next child, made before fail-nth is set. */
static int fork_pipe(void)
{
	int p[2];

	if (pipe(p))
		return -errno;
	st.wait_fd = p[0];
	st.release_fd = p[1];
	return 0;
}

static int fork_undo(struct walk *w)
{
	int status;

	close(st.release_fd);
	close(st.wait_fd);
	st.release_fd = -1;
	st.wait_fd = -1;
	if (waitpid(st.forked, &status, 0) != st.forked)
		return -1;
	st.forked = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return fork_pipe();
}

/* Appends @path (a tasks or cgroup.procs file) with this task as "self", others as "other". */
static void add_ids(char *buf, size_t size, const char *path)
{
	char data[4096], *l, *save;
	size_t len = strlen(buf);

	snprintf(buf + len, size - len, "%s:", path);
	if (read_text(path, data, sizeof(data)) < 0)
		data[0] = '\0';
	for (l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		len = strlen(buf);
		snprintf(buf + len, size - len, " %s", atoi(l) == getpid() ? "self" : "other");
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "\n");
}

static void fork_state(struct walk *w, char *buf, size_t size)
{
	add_ids(buf, size, HB "/t/tasks");
	add_ids(buf, size, HB "/t/cgroup.procs");
	add_file(buf, size, HB "/t/debug.taskcount");
	add_file(buf, size, HB "/t/debug.releasable");
	/* This task's css_set, which the child shares. */
	add_file(buf, size, HB "/debug.current_css_set_refcount");
}

TEST_F_TIMEOUT(fault, fork_is_all_or_nothing, 300)
{
	struct walk w = {
		.name = "fork", .op = fork_op, .undo = fork_undo, .state = fork_state,
		.max_nth = 3000,
	};

	ASSERT_EQ(0, wait_num_cgroups("debug", 1));
	ASSERT_EQ(0, try_mount(HB, B_OPTS));
	ASSERT_EQ(0, mkdir(HB "/t", 0755));
	ASSERT_EQ(0, write_pid(HB "/t/tasks", getpid()));
	ASSERT_EQ(0, fork_pipe());
	arm_faults(_metadata);
	walk_faults(_metadata, &w);
}

static void on_usr1(int sig)
{
}

/*
 * Mounts HC with cpuset, cpuacct and freezer, and parks a child in its group
 * c (with all CPUs and nodes) that runs a little on each SIGUSR1.
 */
static void prepare_controllers(struct __test_metadata *_metadata)
{
	char cpus[256], mems[256];
	int p[2];
	char c;

	ASSERT_EQ(0, wait_unbound("cpuset"));
	ASSERT_EQ(0, wait_unbound("cpuacct"));
	ASSERT_EQ(0, wait_unbound("freezer"));
	ASSERT_EQ(0, try_mount(HC, C_OPTS));
	ASSERT_EQ(0, mkdir(HCG, 0755));
	ASSERT_LT(0, read_text(HC "/cpuset.cpus", cpus, sizeof(cpus)));
	ASSERT_LT(0, read_text(HC "/cpuset.mems", mems, sizeof(mems)));
	ASSERT_EQ(0, write_text(HCG "/cpuset.cpus", cpus));
	ASSERT_EQ(0, write_text(HCG "/cpuset.mems", mems));
	ASSERT_EQ(0, pipe(p));
	fflush(NULL);
	st.pid = fork();
	ASSERT_LE(0, st.pid);
	if (!st.pid) {
		signal(SIGUSR1, on_usr1);
		close(p[0]);
		if (write_pid(HCG "/tasks", 0) || write(p[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1));
	close(p[0]);
}

/* The files of group c and the state of its task that @w's write changes. */
static void controller_state(struct walk *w, char *buf, size_t size)
{
	char path[64];

	add_file(buf, size, w->path);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", st.pid);
	add_file(buf, size, path);
	if (strstr(w->path, "cpuset.cpus")) {
		add_file(buf, size, HCG "/cpuset.effective_cpus");
		add_status(buf, size, st.pid, "Cpus_allowed_list:");
	} else if (strstr(w->path, "cpuset.mems")) {
		add_file(buf, size, HCG "/cpuset.effective_mems");
		add_status(buf, size, st.pid, "Mems_allowed_list:");
	} else if (strstr(w->path, "freezer.state")) {
		add_file(buf, size, HCG "/freezer.self_freezing");
	}
}

/* Writes @text to c's cpuset.@file (cpus or mems) under faults; undone with the top's value. */
static void cpuset_walk(struct __test_metadata *_metadata, const char *file, const char *text)
{
	char name[32], path[128], top[128], all[256];
	struct walk w = {
		.name = name, .op = walk_write, .undo = walk_write_back,
		.state = controller_state, .path = path, .text = text, .undo_text = all,
	};

	snprintf(name, sizeof(name), "cpuset.%s", file);
	snprintf(path, sizeof(path), HCG "/cpuset.%s", file);
	prepare_controllers(_metadata);
	snprintf(top, sizeof(top), HC "/cpuset.%s", file);
	ASSERT_LT(0, read_text(top, all, sizeof(all)));
	if (!strcmp(all, "0\n"))
		SKIP(return, "a single CPU or node: nothing to take away");
	arm_faults(_metadata);
	walk_faults(_metadata, &w);
}

TEST_F_TIMEOUT(fault, cpuset_cpus_write_is_all_or_nothing, 300)
{
	cpuset_walk(_metadata, "cpus", "1");
}

TEST_F_TIMEOUT(fault, cpuset_mems_write_is_all_or_nothing, 300)
{
	cpuset_walk(_metadata, "mems", "1");
}

/* Waits until group c is no longer FREEZING. */
static void freezer_settle(struct walk *w)
{
	char buf[64];
	int i;

	for (i = 0; i < 1000; i++) {
		if (read_text(HCG "/freezer.state", buf, sizeof(buf)) > 0 &&
		    strcmp(buf, "FREEZING\n"))
			return;
		usleep(10000);
	}
}

static int freezer_undo(struct walk *w)
{
	int ret = walk_write_back(w);

	freezer_settle(w);
	return ret;
}

TEST_F_TIMEOUT(fault, freezer_state_is_all_or_nothing, 300)
{
	struct walk freeze = {
		.name = "freeze", .op = walk_write, .undo = freezer_undo,
		.state = controller_state, .settle = freezer_settle,
		.path = HCG "/freezer.state", .text = "FROZEN", .undo_text = "THAWED",
	};
	struct walk thaw = {
		.name = "thaw", .op = walk_write, .undo = freezer_undo,
		.state = controller_state, .settle = freezer_settle,
		.path = HCG "/freezer.state", .text = "THAWED", .undo_text = "FROZEN",
	};

	prepare_controllers(_metadata);
	arm_faults(_metadata);
	walk_faults(_metadata, &freeze);
	ASSERT_EQ(0, write_text(HCG "/freezer.state", "FROZEN"));
	freezer_settle(&freeze);
	EXPECT_FILE(HCG "/freezer.state", "FROZEN\n");
	walk_faults(_metadata, &thaw);
}

/* Whether group c's cpuacct.usage is zero: its value moves. */
static void usage_state(struct walk *w, char *buf, size_t size)
{
	char data[64];
	size_t len = strlen(buf);

	if (read_text(w->path, data, sizeof(data)) < 0)
		snprintf(data, sizeof(data), "unreadable");
	snprintf(buf + len, size - len, "usage %s\n", strcmp(data, "0\n") ? "nonzero" : "zero");
}

/* Lets the task of c run until its usage is no longer zero. */
static int usage_undo(struct walk *w)
{
	char data[64];
	int i;

	for (i = 0; i < 500; i++) {
		kill(st.pid, SIGUSR1);
		usleep(10000);
		if (read_text(w->path, data, sizeof(data)) > 0 && strcmp(data, "0\n"))
			return 0;
	}
	return -1;
}

TEST_F_TIMEOUT(fault, control_writes_are_all_or_nothing, 300)
{
	struct walk walks[] = {
		{ .name = "cpuacct.usage", .op = walk_write, .undo = usage_undo,
		  .state = usage_state, .path = HCG "/cpuacct.usage", .text = "0" },
		{ .name = "notify_on_release", .op = walk_write, .undo = walk_write_back,
		  .state = controller_state, .path = HCG "/notify_on_release", .text = "1",
		  .undo_text = "0" },
		{ .name = "cgroup.clone_children", .op = walk_write, .undo = walk_write_back,
		  .state = controller_state, .path = HCG "/cgroup.clone_children",
		  .text = "1", .undo_text = "0" },
		{ .name = "release_agent", .op = walk_write, .undo = walk_write_back,
		  .state = controller_state, .path = HC "/release_agent",
		  .text = "/cgv1-fault-agent", .undo_text = "\n" },
	};
	unsigned int i;

	prepare_controllers(_metadata);
	ASSERT_EQ(0, usage_undo(&walks[0]));
	arm_faults(_metadata);
	for (i = 0; i < ARRAY_SIZE(walks); i++)
		walk_faults(_metadata, &walks[i]);
}

TEST_HARNESS_MAIN
