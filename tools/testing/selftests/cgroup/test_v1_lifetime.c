// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: a group and its hierarchy go away under a zombie.
 *
 * A child moves into a group of a hierarchy with cpuacct and of a second one
 * (debug, or a named one), burns some CPU there and exits; the parent does
 * not reap it yet. While it is a zombie, the parent removes its groups (which
 * zombies do not keep busy) and unmounts both hierarchies; only then does it
 * reap the zombie, whose css_set is the last thing holding the removed groups
 * and, through them, the hierarchies. Some children are multi-threaded, with
 * threads in different groups exiting at different moments (before the
 * leader, after it, or killed by exit_group()). Repeated many times, so that
 * a use-after-free in the exit, charge or release paths shows in a KASAN
 * kernel.
 *
 * Expectations are those of the C implementation. /proc/<zombie>/cgroup is
 * only required to be readable: after the umount, C keeps the hierarchies
 * alive (and listed) while removed groups are still referenced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define ACCT CGV1_DIR("cgv1-life-acct")
#define SECOND CGV1_DIR("cgv1-life-2nd")
#define ITERATIONS 200
#define THREADS 3

/* How the child ends. */
enum ending {
	SINGLE,		/* one thread, exit_group() */
	LEADER_FIRST,	/* the leader exits first, its threads after it */
	LEADER_LAST,	/* the threads exit one by one, then the leader */
	GROUP_EXIT,	/* the leader's exit_group() kills threads still burning */
	NR_ENDINGS,
};

static void burn_us(long us)
{
	struct timespec ts;
	long long start, now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	start = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		now = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	} while (now - start < us);
}

/* Ends this thread only (not the process), as the raw system call. */
static void thread_exit(void)
{
	syscall(SYS_exit, 0);
}

/* Ends the process with @code from any thread. */
static void group_exit(int code)
{
	syscall(SYS_exit_group, code);
}

struct thread_arg {
	int index;
	enum ending ending;
};

static void *thread_fn(void *p)
{
	struct thread_arg *arg = p;

	/* Odd threads leave the leader's group for a child group. */
	if ((arg->index & 1) && write_text(ACCT "/g/sub/tasks", "0"))
		group_exit(3);
	if (arg->ending == GROUP_EXIT) {
		/* Still burning when the leader's exit_group() kills us. */
		burn_us(1000000);
		group_exit(4);
	}
	burn_us(200 + 300 * arg->index);
	thread_exit();
	return NULL;
}

static void child(enum ending ending)
{
	static struct thread_arg args[THREADS];
	pthread_attr_t attr;
	pthread_t threads[THREADS];
	int i;

	if (write_text(ACCT "/g/cgroup.procs", "0") || write_text(SECOND "/g/cgroup.procs", "0"))
		group_exit(2);
	burn_us(300);
	if (ending == SINGLE)
		group_exit(0);
	if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 1 << 16))
		group_exit(5);
	for (i = 0; i < THREADS; i++) {
		args[i].index = i;
		args[i].ending = ending;
		if (pthread_create(&threads[i], &attr, thread_fn, &args[i]))
			group_exit(6);
	}
	switch (ending) {
	case LEADER_FIRST:
		thread_exit();
		break;
	case LEADER_LAST:
		for (i = 0; i < THREADS; i++)
			pthread_join(threads[i], NULL);
		burn_us(200);
		thread_exit();
		break;
	default:
		burn_us(500);
		group_exit(0);
	}
	group_exit(7);
}

/* Reads a u64 file ("%llu\n"); -1 if it cannot be read or is malformed. */
static long long read_u64(const char *path)
{
	char buf[64], *end;
	long long v;

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	v = strtoll(buf, &end, 10);
	return end != buf && !strcmp(end, "\n") ? v : -1;
}

FIXTURE(life) {
	pid_t pid;
};

FIXTURE_SETUP(life)
{
	self->pid = 0;
	ASSERT_EQ(0, wait_num_cgroups("cpuacct", 1));
	ASSERT_EQ(0, wait_num_cgroups("debug", 1));
	ASSERT_EQ(0, make_mount_point(ACCT));
	ASSERT_EQ(0, make_mount_point(SECOND));
}

/*
 * Ends hierarchies that outlived their umount. In C, one unmounted while a
 * removed group was still referenced lives on, unseen, with its controllers
 * bound; once the removed groups are freed, the next mount with the same
 * options shows it again, empty, and its umount destroys it.
 */
static int end_lingering(const char *second)
{
	if (wait_num_cgroups("cpuacct", 1) || wait_num_cgroups("debug", 1))
		return -1;
	if (try_mount(ACCT, "cpuacct") || access(ACCT "/g", F_OK) != -1 || umount(ACCT))
		return -2;
	if (try_mount(SECOND, second) || access(SECOND "/g", F_OK) != -1 || umount(SECOND))
		return -3;
	if (wait_hierarchy_gone(":cpuacct:") || wait_hierarchy_gone(":debug:") ||
	    wait_hierarchy_gone(":name=cgv1life:"))
		return -4;
	return 0;
}

FIXTURE_TEARDOWN(life)
{
	if (self->pid > 0)
		kill_and_reap(self->pid);
	rmdir(ACCT "/g/sub");
	rmdir(ACCT "/g");
	rmdir(SECOND "/g");
	umount(ACCT);
	umount(SECOND);
	end_lingering("debug");
	end_lingering("none,name=cgv1life");
}

TEST_F_TIMEOUT(life, zombie_outlives_group_and_hierarchy, 900)
{
	char path[64], buf[4096];
	int i, status;

	for (i = 0; i < ITERATIONS; i++) {
		enum ending ending = i % NR_ENDINGS;
		/* Every other run of four, the second hierarchy is a named one. */
		const char *second = (i / NR_ENDINGS) & 1 ? "none,name=cgv1life" : "debug";
		siginfo_t info;

		ASSERT_EQ(0, try_mount(ACCT, "cpuacct")) TH_LOG("iteration %d", i);
		ASSERT_EQ(0, try_mount(SECOND, second)) TH_LOG("iteration %d", i);
		ASSERT_EQ(0, mkdir(ACCT "/g", 0755));
		ASSERT_EQ(0, mkdir(ACCT "/g/sub", 0755));
		ASSERT_EQ(0, mkdir(SECOND "/g", 0755));

		fflush(NULL);
		self->pid = fork();
		ASSERT_LE(0, self->pid);
		if (!self->pid)
			child(ending);

		/* Wait until it is a zombie, without reaping it. */
		memset(&info, 0, sizeof(info));
		ASSERT_EQ(0, waitid(P_PID, self->pid, &info, WEXITED | WNOWAIT));
		ASSERT_EQ(CLD_EXITED, info.si_code) TH_LOG("iteration %d", i);
		ASSERT_EQ(0, info.si_status) TH_LOG("iteration %d, ending %d", i, ending);

		/* Its CPU time was charged; a zombie is no member. */
		EXPECT_LT(0, read_u64(ACCT "/g/cpuacct.usage")) TH_LOG("iteration %d", i);
		EXPECT_FILE(ACCT "/g/tasks", "");
		EXPECT_FILE(ACCT "/g/cgroup.procs", "");
		EXPECT_FILE(ACCT "/g/sub/tasks", "");
		EXPECT_FILE(SECOND "/g/cgroup.procs", "");
		snprintf(path, sizeof(path), "/proc/%d/cgroup", self->pid);
		ASSERT_LE(0, read_text(path, buf, sizeof(buf))) TH_LOG("iteration %d", i);

		/* Zombies do not keep a group busy. */
		ASSERT_EQ(0, rmdir(ACCT "/g/sub")) TH_LOG("iteration %d: %s", i, strerror(errno));
		ASSERT_EQ(0, rmdir(ACCT "/g")) TH_LOG("iteration %d: %s", i, strerror(errno));
		ASSERT_EQ(0, rmdir(SECOND "/g")) TH_LOG("iteration %d: %s", i, strerror(errno));
		ASSERT_EQ(0, umount(ACCT)) TH_LOG("iteration %d: %s", i, strerror(errno));
		ASSERT_EQ(0, umount(SECOND)) TH_LOG("iteration %d: %s", i, strerror(errno));
		ASSERT_LE(0, read_text(path, buf, sizeof(buf))) TH_LOG("iteration %d", i);

		/* The last reference to the removed groups goes now. */
		ASSERT_EQ(self->pid, waitpid(self->pid, &status, 0));
		self->pid = 0;
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
		ASSERT_EQ(0, end_lingering(second)) TH_LOG("iteration %d", i);
	}
}

TEST_HARNESS_MAIN
