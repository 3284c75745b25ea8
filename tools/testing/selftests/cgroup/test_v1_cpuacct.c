// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: the cpuacct controller.
 *
 * CPU time charged to groups: a busy loop's usage against what the loop
 * measures for itself, parents against their children, sleepers, the
 * user/system split, per-CPU formats, reset, and cpuacct mounted together
 * with debug. Expectations are those of the C implementation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-cpuacct")

/* How long the busy loops run, in ns of CPU time. */
#define BUSY_NS 300000000ULL

/*
 * The value of a u64 file, which must read as "%llu\n" and nothing else; the
 * test fails (ASSERT, from this helper) if it does not.
 */
static unsigned long long u64_of(struct __test_metadata *_metadata, const char *path)
{
	char buf[64], *end;
	unsigned long long v;
	ssize_t n;

	n = read_text(path, buf, sizeof(buf));
	ASSERT_LT(0, n) TH_LOG("read %s: %zd", path, n);
	errno = 0;
	v = strtoull(buf, &end, 10);
	ASSERT_TRUE(end != buf && buf[0] != '-' && !errno && !strcmp(end, "\n"))
		TH_LOG("%s: '%s'", path, buf);
	return v;
}

#define read_u64(path) u64_of(_metadata, path)

static int matches(const char *re, const char *text)
{
	regex_t r;
	int ret;

	if (regcomp(&r, re, REG_EXTENDED))
		return 0;
	ret = !regexec(&r, text, 0, NULL, 0);
	regfree(&r);
	return ret;
}

static unsigned long long self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned long long rusage_ns(const struct rusage *ru, int user, int sys)
{
	unsigned long long ns = 0;

	if (user)
		ns += ru->ru_utime.tv_sec * 1000000000ULL + ru->ru_utime.tv_usec * 1000ULL;
	if (sys)
		ns += ru->ru_stime.tv_sec * 1000000000ULL + ru->ru_stime.tv_usec * 1000ULL;
	return ns;
}

enum work { SPIN_USER, SPIN_SYS, SLEEP };

/*
 * Runs @work in a new child moved into @tasks; returns the CPU time the child
 * measured for itself (utime + stime from wait4), or -1 on failure.
 */
static long long run_in(const char *tasks, enum work work)
{
	struct rusage ru;
	int status;
	pid_t pid;

	pid = fork();
	if (!pid) {
		unsigned long n = 0;
		unsigned long long start;

		if (write_pid(tasks, 0))
			_exit(1);
		start = self_cpu_ns();
		if (work == SLEEP) {
			usleep(300000);
			_exit(0);
		}
		if (work == SPIN_SYS) {
			/* Clearing user memory in read() is system time. */
			static char buf[1 << 16];
			int fd = open("/dev/zero", O_RDONLY);

			if (fd < 0)
				_exit(1);
			while (self_cpu_ns() - start < BUSY_NS)
				if (read(fd, buf, sizeof(buf)) < 0)
					_exit(1);
			_exit(0);
		}
		while (self_cpu_ns() - start < BUSY_NS) {
			int i;

			/*
			 * Reading the process CPU clock is a system call:
			 * rarely enough that user time dominates even in a
			 * debug kernel.
			 */
			for (i = 0; i < 1000000; i++) {
				n++;
				/* Keeps the loop from being optimised away. */
				asm volatile("" : "+r" (n));
			}
		}
		_exit(0);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -1;
	return rusage_ns(&ru, 1, 1);
}

static int nr_possible_cpus(void)
{
	char buf[256], *p = buf;
	int n = 0;

	if (read_text("/sys/devices/system/cpu/possible", buf, sizeof(buf)) <= 0)
		return -1;
	while (*p && *p != '\n') {
		long a = strtol(p, &p, 10), b = a;

		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		n += b - a + 1;
		if (*p == ',')
			p++;
	}
	return n;
}

FIXTURE(acct) {
	int dummy;
};

FIXTURE_SETUP(acct)
{
	ASSERT_EQ(0, try_mount(MNT, "cpuacct"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
}

FIXTURE_TEARDOWN(acct)
{
	rmdir(MNT "/a/b");
	rmdir(MNT "/a/c");
	rmdir(MNT "/a");
	wait_num_cgroups("cpuacct", 1);
	umount(MNT);
}

TEST_F(acct, files)
{
	static const char * const names[] = {
		"usage_user", "usage_sys", "usage_percpu", "usage_percpu_user",
		"usage_percpu_sys", "usage_all", "stat",
	};
	char path[256];
	struct stat st;
	size_t i;

	ASSERT_EQ(0, stat(MNT "/a/cpuacct.usage", &st));
	EXPECT_EQ(0100644, st.st_mode);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), MNT "/a/cpuacct.%s", names[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s", path);
		EXPECT_EQ(0100444, st.st_mode) TH_LOG("%s", path);
		snprintf(path, sizeof(path), MNT "/cpuacct.%s", names[i]);
		EXPECT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
	}
	EXPECT_EQ(0, read_u64(MNT "/a/cpuacct.usage"));
}

TEST_F(acct, busy_loop_is_charged)
{
	unsigned long long usage;
	long long ran;

	ran = run_in(MNT "/a/tasks", SPIN_USER);
	ASSERT_LT((long long)BUSY_NS - 1, ran);
	usage = read_u64(MNT "/a/cpuacct.usage");
	/* The usage covers the loop, and not much more than what the child ran. */
	EXPECT_LE(ran * 9 / 10, usage) TH_LOG("usage %llu, ran %lld", usage, ran);
	EXPECT_GE(ran * 11 / 10 + 20000000ULL, usage) TH_LOG("usage %llu, ran %lld", usage, ran);
	/* Ticks sorted most of it into user time. */
	EXPECT_LT(read_u64(MNT "/a/cpuacct.usage_sys"), read_u64(MNT "/a/cpuacct.usage_user"));
}

TEST_F(acct, parent_covers_children)
{
	unsigned long long b, c, a;

	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	ASSERT_EQ(0, mkdir(MNT "/a/c", 0755));
	ASSERT_LT(0, run_in(MNT "/a/b/tasks", SPIN_USER));
	ASSERT_LT(0, run_in(MNT "/a/c/tasks", SPIN_SYS));
	b = read_u64(MNT "/a/b/cpuacct.usage");
	c = read_u64(MNT "/a/c/cpuacct.usage");
	a = read_u64(MNT "/a/cpuacct.usage");
	EXPECT_LT(0, b);
	EXPECT_LT(0, c);
	EXPECT_LE(b + c, a) TH_LOG("a %llu, b %llu, c %llu", a, b, c);
	EXPECT_LE(a, read_u64(MNT "/cpuacct.usage"));
}

TEST_F(acct, sleepers_gain_almost_nothing)
{
	unsigned long long usage;

	ASSERT_LE(0, run_in(MNT "/a/tasks", SLEEP));
	usage = read_u64(MNT "/a/cpuacct.usage");
	/* Moving in, sleeping 300 ms and exiting: well under 30 ms of CPU. */
	EXPECT_GT(30000000ULL, usage) TH_LOG("usage %llu", usage);
}

TEST_F(acct, system_time_goes_to_sys)
{
	unsigned long long user, sys;

	ASSERT_LT(0, run_in(MNT "/a/tasks", SPIN_SYS));
	user = read_u64(MNT "/a/cpuacct.usage_user");
	sys = read_u64(MNT "/a/cpuacct.usage_sys");
	EXPECT_LT(user, sys) TH_LOG("user %llu, sys %llu", user, sys);
}

TEST_F(acct, percpu_formats)
{
	static const char * const files[] = {
		MNT "/a/cpuacct.usage_percpu", MNT "/a/cpuacct.usage_percpu_user",
		MNT "/a/cpuacct.usage_percpu_sys", MNT "/cpuacct.usage_percpu",
	};
	int n = nr_possible_cpus(), i, cpu;
	char buf[4096], re[512], line[64], *p;
	unsigned long long sum = 0;
	size_t f;

	ASSERT_LT(0, n);
	ASSERT_LT(0, run_in(MNT "/a/tasks", SPIN_USER));
	/* One value per possible CPU, each followed by a space. */
	snprintf(re, sizeof(re), "^([0-9]+ ){%d}\n$", n);
	for (f = 0; f < ARRAY_SIZE(files); f++) {
		ssize_t len = read_text(files[f], buf, sizeof(buf));

		if (len < 0)
			buf[0] = '\0';
		EXPECT_TRUE(len > 0 && matches(re, buf))
			TH_LOG("%s: %zd '%s'", files[f], len, buf);
	}
	ASSERT_LT(0, read_text(MNT "/a/cpuacct.usage_percpu", buf, sizeof(buf)));
	for (i = 0, p = buf; i < n; i++)
		sum += strtoull(p, &p, 10);
	EXPECT_LT(0, sum);
	EXPECT_EQ(read_u64(MNT "/a/cpuacct.usage"), sum);
	ASSERT_LT(0, read_text(MNT "/a/cpuacct.usage_all", buf, sizeof(buf)));
	EXPECT_EQ(0, strncmp(buf, "cpu user system\n", 16));
	for (cpu = 0; cpu < n; cpu++) {
		snprintf(line, sizeof(line), "\n%d ", cpu);
		EXPECT_NE(NULL, strstr(buf, line)) TH_LOG("cpu %d in '%s'", cpu, buf);
	}
	snprintf(re, sizeof(re), "^cpu user system\n([0-9]+ [0-9]+ [0-9]+\n){%d}$", n);
	EXPECT_TRUE(matches(re, buf)) TH_LOG("'%s'", buf);
}

TEST_F(acct, stat_format)
{
	char buf[256];
	unsigned long long u, s;
	int got;

	ASSERT_LT(0, run_in(MNT "/a/tasks", SPIN_USER));
	ASSERT_LT(0, read_text(MNT "/a/cpuacct.stat", buf, sizeof(buf)));
	ASSERT_TRUE(matches("^user [0-9]+\nsystem [0-9]+\n$", buf)) TH_LOG("'%s'", buf);
	got = sscanf(buf, "user %llu\nsystem %llu\n", &u, &s);
	ASSERT_EQ(2, got);
	/* USER_HZ ticks adding up to the usage (300 ms is 30 ticks at 100 Hz). */
	EXPECT_LE(20, u + s) TH_LOG("'%s'", buf);
	EXPECT_LE(s, u) TH_LOG("'%s'", buf);
}

TEST_F(acct, reset)
{
	ASSERT_LT(0, run_in(MNT "/a/tasks", SPIN_SYS));
	ASSERT_LT(0, read_u64(MNT "/a/cpuacct.usage"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuacct.usage", "1"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuacct.usage", "zero"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuacct.usage", "-0x1"));
	EXPECT_LT(0, read_u64(MNT "/a/cpuacct.usage"));
	EXPECT_EQ(0, write_text(MNT "/a/cpuacct.usage", "0\n"));
	EXPECT_EQ(0, read_u64(MNT "/a/cpuacct.usage"));
	EXPECT_EQ(0, read_u64(MNT "/a/cpuacct.usage_user"));
	EXPECT_EQ(0, read_u64(MNT "/a/cpuacct.usage_sys"));
	/* The top group's reset is accepted (its user and system times stay). */
	EXPECT_EQ(0, write_text(MNT "/cpuacct.usage", "0"));
	EXPECT_LT(0, read_u64(MNT "/cpuacct.usage_user") + read_u64(MNT "/cpuacct.usage_sys"));
}

TEST(with_debug)
{
	char buf[4096];
	long long ran;

	ASSERT_EQ(0, try_mount(MNT, "cpuacct,debug"));
	ASSERT_EQ(0, mkdir(MNT "/g", 0755));
	EXPECT_EQ(0, access(MNT "/g/cpuacct.usage", F_OK));
	EXPECT_EQ(0, access(MNT "/g/debug.taskcount", F_OK));
	ran = run_in(MNT "/g/tasks", SPIN_USER);
	ASSERT_LT(0, ran);
	EXPECT_LE((unsigned long long)ran * 9 / 10, read_u64(MNT "/g/cpuacct.usage"));
	ASSERT_LT(0, read_text(MNT "/g/debug.cgroup_subsys_states", buf, sizeof(buf)));
	EXPECT_TRUE(matches("^ 1: cpuacct\t- [^ ]+\\[[0-9]+\\] 1 P=1\n 3: debug\t- ", buf))
		TH_LOG("'%s'", buf);
	ASSERT_LT(0, read_text("/proc/mounts", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, " " MNT " cgroup rw,relatime,cpuacct,debug 0 0\n"));
	EXPECT_EQ(0, rmdir(MNT "/g"));
	EXPECT_EQ(0, wait_num_cgroups("cpuacct", 1));
	EXPECT_EQ(0, umount(MNT));
}

TEST_HARNESS_MAIN
