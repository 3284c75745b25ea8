// SPDX-License-Identifier: GPL-2.0
/*
 * cgv1_bench: cost of cgroup v1 operations, run unchanged in three kernels
 * (the Rust series, the C implementation, no cgroups) by `harness/cgv1 bench`.
 *
 * Mounts two hierarchies: with "controllers" as argv[2], cpuacct on one
 * and debug on another, and freezer on a third where the kernel has it;
 * with "cpuset", cpuset (clone_children set, so every group gets all CPUs
 * and nodes) on one and a named hierarchy on the other, and then also runs
 * the cpuset cases; otherwise (the default) two named hierarchies without
 * controllers, which every cgroup kernel can mount the same way. The freezer
 * case mounts freezer if it is not mounted yet, and is absent without it.
 * Prints one line
 * per case, "bench <case> <nanoseconds per op> <ops>", or
 * "bench <case> absent <why>" where the kernel cannot run the case (no cgroup
 * filesystem; no cpuset controller, for the cpuset cases: attach into a
 * cpuset, a cpuset.cpus write on 1,000 tasks, page faults in a cpuset of
 * node 1, with page faults before any hierarchy exists as their floor; no ns
 * controller, for unshare_uts_exit_ns_mounted, whose floor is
 * unshare_uts_exit, run in every kernel before ns is mounted).
 * Time is CLOCK_MONOTONIC, which counts instructions when QEMU runs with
 * -icount, so repeated runs agree closely.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CS "/bench/cs"		/* cpuset,cpuacct */
#define DBG "/bench/dbg"	/* debug */
#define FRZ "/bench/frz"	/* freezer */
#define NSH "/bench/ns"		/* ns */

/* Busy tasks frozen and thawed by the freezer case. */
#define NBUSY 100

static int have_cgroups;
static int have_cpuset;
static int frz_mounted;
static char buf[1 << 20];

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "bench-error: ");
	vfprintf(stdout, fmt, ap);
	fprintf(stdout, ": %s\n", strerror(errno));
	va_end(ap);
	exit(1);
}

static void report(const char *name, long long ns, long ops)
{
	printf("bench %s %lld %ld\n", name, ops ? ns / ops : 0, ops);
	fflush(stdout);
}

static void absent(const char *name, const char *why)
{
	printf("bench %s absent %s\n", name, why);
	fflush(stdout);
}

static void write_file(const char *path, const char *fmt, ...)
{
	char val[64];
	va_list ap;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open %s", path);
	if (write(fd, val, len) != len)
		die("write %s to %s", val, path);
	close(fd);
}

static void write_pid(const char *dir, const char *file, pid_t pid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	write_file(path, "%d\n", pid);
}

static long read_whole(const char *path)
{
	long total = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += n;
	close(fd);
	return total;
}

static void mkdir_p(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir %s", path);
}

/* A group in both hierarchies; cpuset children copy their parent's masks. */
static void make_group(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), CS "/%s", rel);
	mkdir_p(path);
	snprintf(path, sizeof(path), DBG "/%s", rel);
	mkdir_p(path);
}

static void enter_group(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), CS "/%s", rel);
	write_pid(path, "tasks", getpid());
	snprintf(path, sizeof(path), DBG "/%s", rel);
	write_pid(path, "tasks", getpid());
}

/* Whether the kernel has the freezer controller (a line in /proc/cgroups). */
static int have_freezer(void)
{
	char text[4096];
	ssize_t n;
	int fd;

	fd = open("/proc/cgroups", O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	return strstr(text, "\nfreezer\t") != NULL;
}

static void mount_freezer(void)
{
	mkdir_p(FRZ);
	if (mount("none", FRZ, "cgroup", 0, "freezer"))
		die("mount -o freezer");
	printf("bench-info: hierarchy -o freezer\n");
	frz_mounted = 1;
}

static void setup(const char *mode)
{
	/* cpuacct puts the charge path on every context switch of the cases. */
	const char *first = !strcmp(mode, "controllers") ? "cpuacct" :
			    !strcmp(mode, "cpuset") ? "cpuset" : "none,name=bench1";
	const char *second = !strcmp(mode, "controllers") ? "debug" : "none,name=bench2";

	mkdir_p("/bench");
	mkdir_p(CS);
	mkdir_p(DBG);
	if (!strcmp(first, "cpuset")) {
		if (!mount("none", CS, "cgroup", 0, first)) {
			have_cpuset = 1;
		} else {
			/* No cpuset: the other cases still run, on a named hierarchy. */
			printf("bench-info: cannot mount -o %s (%s)\n", first, strerror(errno));
			first = "none,name=bench1";
		}
	}
	if (!have_cpuset && mount("none", CS, "cgroup", 0, first)) {
		printf("bench-info: cannot mount -o %s (%s)\n", first, strerror(errno));
		return;
	}
	if (mount("none", DBG, "cgroup", 0, second))
		die("mount -o %s", second);
	write_file(CS "/cgroup.clone_children", "1\n");
	printf("bench-info: hierarchies -o %s and -o %s\n", first, second);
	have_cgroups = 1;
	if (!strcmp(mode, "controllers") && have_freezer())
		mount_freezer();
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (!pid) {
		for (;;)
			pause();
	}
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void bench_fork(const char *name, long ops)
{
	long long t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < ops; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(0);
		waitpid(pid, NULL, 0);
	}
	report(name, now_ns() - t0, ops);
}

/*
 * Fork a child that unshares its UTS namespace and exits, and wait for it.
 * With @mounted (ns mounted on NSH), each child gets a group of its own,
 * which is removed after the child is reaped, outside the timed part.
 */
static void bench_unshare(const char *name, int mounted, long ops)
{
	long long t0, total = 0;
	char path[64];
	long i;

	for (i = 0; i < ops; i++) {
		int status;
		pid_t pid;

		t0 = now_ns();
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid)
			_exit(unshare(CLONE_NEWUTS) ? 1 : 0);
		waitpid(pid, &status, 0);
		total += now_ns() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			die("unshare(CLONE_NEWUTS) in the child of %s", name);
		if (mounted) {
			snprintf(path, sizeof(path), NSH "/%d", pid);
			if (rmdir(path))
				die("rmdir %s", path);
		}
	}
	report(name, total, ops);
}

/* unshare_uts_exit with the ns controller mounted: absent without it. */
static void bench_unshare_ns_mounted(long ops)
{
	char text[4096];
	ssize_t n;
	int fd;

	fd = open("/proc/cgroups", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (!strstr(text, "\nns\t")) {
		absent("unshare_uts_exit_ns_mounted", "no ns controller");
		return;
	}
	mkdir_p(NSH);
	if (mount("none", NSH, "cgroup", 0, "ns"))
		die("mount -o ns");
	bench_unshare("unshare_uts_exit_ns_mounted", 1, ops);
	if (umount(NSH))
		die("umount " NSH);
}

static void bench_attach_task(long ops)
{
	pid_t pid;
	long long t0;
	long i;

	make_group("x");
	make_group("y");
	pid = spawn_sleeper();
	t0 = now_ns();
	for (i = 0; i < ops; i++)
		write_pid(i & 1 ? CS "/y" : CS "/x", "tasks", pid);
	report("attach_task", now_ns() - t0, ops);
	reap(pid);
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static void bench_attach_threadgroup(long ops)
{
	long long t0;
	pid_t pid;
	long i;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		pthread_t t;
		int n;

		for (n = 0; n < 7; n++)
			pthread_create(&t, NULL, idle_thread, NULL);
		for (;;)
			pause();
	}
	usleep(100000);	/* let the seven threads start */
	t0 = now_ns();
	for (i = 0; i < ops; i++)
		write_pid(i & 1 ? CS "/y" : CS "/x", "cgroup.procs", pid);
	report("attach_threadgroup_8", now_ns() - t0, ops);
	reap(pid);
}

static void bench_mkdir_rmdir(const char *name, const char *parent, long ops)
{
	char path[256];
	long long t0;
	long i;

	snprintf(path, sizeof(path), "%s/bench-extra", parent);
	t0 = now_ns();
	for (i = 0; i < ops; i++) {
		if (mkdir(path, 0755))
			die("mkdir %s", path);
		if (rmdir(path))
			die("rmdir %s", path);
	}
	report(name, now_ns() - t0, ops);
}

static void time_reads(const char *name, const char *path, long ops)
{
	long long t0 = now_ns();
	long i;

	for (i = 0; i < ops; i++)
		read_whole(path);
	report(name, now_ns() - t0, ops);
}

static void bench_read_tasks(int ntasks, long ops)
{
	char name[64], dir[64], path[128];
	pid_t *pids;
	int n;

	snprintf(dir, sizeof(dir), "big%d", ntasks);
	make_group(dir);
	pids = calloc(ntasks, sizeof(*pids));
	if (!pids)
		die("calloc");
	snprintf(path, sizeof(path), CS "/%s", dir);
	for (n = 0; n < ntasks; n++) {
		pids[n] = spawn_sleeper();
		write_pid(path, "tasks", pids[n]);
	}
	snprintf(path, sizeof(path), CS "/%s/tasks", dir);
	snprintf(name, sizeof(name), "read_tasks_%d", ntasks);
	time_reads(name, path, ops);
	snprintf(path, sizeof(path), CS "/%s/cgroup.procs", dir);
	snprintf(name, sizeof(name), "read_procs_%d", ntasks);
	time_reads(name, path, ops);

	for (n = 0; n < ntasks; n++)
		kill(pids[n], SIGKILL);
	for (n = 0; n < ntasks; n++)
		waitpid(pids[n], NULL, 0);
	free(pids);
}

static void bench_proc_self_cgroup(long ops)
{
	if (access("/proc/self/cgroup", R_OK)) {
		absent("read_proc_self_cgroup", "no /proc/self/cgroup");
		return;
	}
	time_reads("read_proc_self_cgroup", "/proc/self/cgroup", ops);
}

static void bench_pingpong(long ops)
{
	int ab[2], ba[2];
	long long t0;
	char c = 0;
	pid_t pid;
	long i;

	if (pipe(ab) || pipe(ba))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		/* Only our ends stay open, so that the parent's close ends the loop. */
		close(ab[1]);
		close(ba[0]);
		while (read(ab[0], &c, 1) == 1)
			if (write(ba[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	t0 = now_ns();
	for (i = 0; i < ops; i++) {
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			die("ping-pong");
	}
	report("ctxswitch_pingpong", now_ns() - t0, ops);
	close(ab[1]);
	waitpid(pid, NULL, 0);
	close(ab[0]);
	close(ba[0]);
	close(ba[1]);
}

/* A helper process whose threads each moved themselves into CS/many/s<i>. */
static int csets_ready;

static void *cset_thread(void *arg)
{
	char path[64];

	snprintf(path, sizeof(path), CS "/many/s%ld/tasks", (long)arg);
	write_file(path, "0\n");
	__atomic_add_fetch(&csets_ready, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

/*
 * Reading tasks of a group that holds one task, while 10,000 other css_sets
 * exist: 10,000 threads of one helper, each alone in its own group of the
 * first hierarchy (the 10,000 siblings made before). What a group's listing
 * costs should depend on what the group holds, not on the whole system.
 */
static void bench_read_tasks_many_csets(int nsets, long ops)
{
	pthread_attr_t attr;
	char name[64], c = 0;
	pid_t helper, one;
	int p[2];
	long i;

	make_group("one");
	one = spawn_sleeper();
	write_pid(CS "/one", "tasks", one);
	if (pipe(p))
		die("pipe");
	helper = fork();
	if (helper < 0)
		die("fork");
	if (!helper) {
		pthread_t t;

		struct rlimit nofile = { 4 * nsets, 4 * nsets };

		close(p[0]);
		/* Each thread opens a tasks file: many may be open at once. */
		if (setrlimit(RLIMIT_NOFILE, &nofile))
			die("setrlimit");
		/* Small stacks: 10,000 threads in a 2 GiB guest. */
		if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 1 << 15))
			die("pthread_attr");
		for (i = 0; i < nsets; i++) {
			errno = pthread_create(&t, &attr, cset_thread, (void *)i);
			if (errno)
				die("pthread_create %ld", i);
		}
		while (__atomic_load_n(&csets_ready, __ATOMIC_SEQ_CST) < nsets)
			usleep(10000);
		if (write(p[1], &c, 1) != 1)
			die("write");
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("helper threads did not start");
	close(p[0]);
	if (read_whole(CS "/one/tasks") != snprintf(name, sizeof(name), "%d\n", one))
		die("tasks of /one does not hold the one task");
	snprintf(name, sizeof(name), "read_tasks_1_with_%d_csets", nsets);
	time_reads(name, CS "/one/tasks", ops);
	reap(helper);
	reap(one);
}

/* Reads @path until it holds exactly @text. */
static void wait_for_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	char got[64];
	ssize_t n;
	int fd;

	for (;;) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			die("open %s", path);
		n = read(fd, got, sizeof(got));
		close(fd);
		if (n < 0)
			die("read %s", path);
		if ((size_t)n == len && !memcmp(got, text, len))
			return;
	}
}

/*
 * The time for a group of NBUSY busy tasks to read FROZEN once FROZEN is
 * written (the tasks stop on their way back to user space, and each read of
 * freezer.state checks them), and then THAWED once THAWED is written.
 */
static void bench_freeze_thaw(long ops)
{
	const char *state = FRZ "/busy/freezer.state";
	pid_t pids[NBUSY];
	long long t0;
	long i;
	int n;

	if (!have_freezer()) {
		absent("freeze_thaw_100_busy", "no freezer controller");
		return;
	}
	if (!frz_mounted)
		mount_freezer();
	mkdir_p(FRZ "/busy");
	for (n = 0; n < NBUSY; n++) {
		pids[n] = fork();
		if (pids[n] < 0)
			die("fork");
		if (!pids[n]) {
			for (;;)
				asm volatile("");
		}
		write_pid(FRZ "/busy", "tasks", pids[n]);
	}
	t0 = now_ns();
	for (i = 0; i < ops; i++) {
		write_file(state, "FROZEN\n");
		wait_for_text(state, "FROZEN\n");
		write_file(state, "THAWED\n");
		wait_for_text(state, "THAWED\n");
	}
	report("freeze_thaw_100_busy", now_ns() - t0, ops);
	for (n = 0; n < NBUSY; n++)
		kill(pids[n], SIGKILL);
	for (n = 0; n < NBUSY; n++)
		waitpid(pids[n], NULL, 0);
	if (rmdir(FRZ "/busy"))
		die("rmdir " FRZ "/busy");
}

static void make_siblings(int from, int to)
{
	char path[256];
	int i;

	for (i = from; i < to; i++) {
		snprintf(path, sizeof(path), CS "/many/s%d", i);
		mkdir_p(path);
	}
}

/*
 * Page faults: maps 2,000 pages at a time, writes one byte to each (a fault
 * that allocates a zeroed page: in a cpuset kernel, through the allocator's
 * node check) and unmaps them; ns per page.
 */
static void bench_pagefault(const char *name, long pages)
{
	const long chunk = 2000, psize = sysconf(_SC_PAGESIZE);
	long long t0;
	long done, i;

	t0 = now_ns();
	for (done = 0; done < pages; done += chunk) {
		char *p = mmap(NULL, chunk * psize, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("mmap");
		for (i = 0; i < chunk; i++)
			p[i * psize] = 1;
		if (munmap(p, chunk * psize))
			die("munmap");
	}
	report(name, now_ns() - t0, done);
}

static void make_cpuset(const char *rel, const char *cpus, const char *mems)
{
	char path[256];

	snprintf(path, sizeof(path), CS "/%s", rel);
	mkdir_p(path);
	snprintf(path, sizeof(path), CS "/%s/cpuset.cpus", rel);
	write_file(path, "%s\n", cpus);
	snprintf(path, sizeof(path), CS "/%s/cpuset.mems", rel);
	write_file(path, "%s\n", mems);
}

/* Attach of one sleeping task, alternating between cpusets on CPUs 0-1 and 2-3. */
static void bench_attach_cpuset(long ops)
{
	long long t0;
	pid_t pid;
	long i;

	make_cpuset("cs_x", "0-1", "0-1");
	make_cpuset("cs_y", "2-3", "0-1");
	pid = spawn_sleeper();
	t0 = now_ns();
	for (i = 0; i < ops; i++)
		write_pid(i & 1 ? CS "/cs_y" : CS "/cs_x", "tasks", pid);
	report("attach_cpuset", now_ns() - t0, ops);
	reap(pid);
}

/* A cpuset.cpus write that changes the affinity of each of @ntasks sleepers. */
static void bench_cpus_write(int ntasks, long ops)
{
	char name[64];
	pid_t *pids;
	long long t0;
	long i;
	int n;

	make_cpuset("cs_w", "0-3", "0-1");
	pids = calloc(ntasks, sizeof(*pids));
	if (!pids)
		die("calloc");
	for (n = 0; n < ntasks; n++) {
		pids[n] = spawn_sleeper();
		write_pid(CS "/cs_w", "tasks", pids[n]);
	}
	t0 = now_ns();
	for (i = 0; i < ops; i++)
		write_file(CS "/cs_w/cpuset.cpus", i & 1 ? "0-3\n" : "1-2\n");
	snprintf(name, sizeof(name), "cpuset_cpus_write_%d", ntasks);
	report(name, now_ns() - t0, ops);
	for (n = 0; n < ntasks; n++)
		kill(pids[n], SIGKILL);
	for (n = 0; n < ntasks; n++)
		waitpid(pids[n], NULL, 0);
	free(pids);
}

/* The cpuset cases ("cpuset" mode); absent where the kernel has no cpuset. */
static void bench_cpuset(long scale)
{
	if (!have_cpuset) {
		absent("attach_cpuset", "no cpuset controller");
		absent("cpuset_cpus_write_1000", "no cpuset controller");
		absent("pagefault_in_cpuset", "no cpuset controller");
		return;
	}
	bench_attach_cpuset(2000 * scale);
	bench_cpus_write(1000, 50 * scale);
	/* The benchmark process moves into a cpuset of node 1 only. */
	make_cpuset("cs_pf", "0-3", "1");
	write_pid(CS "/cs_pf", "tasks", getpid());
	bench_pagefault("pagefault_in_cpuset", 40000 * scale);
	write_pid(CS "/a/b/c", "tasks", getpid());
}

int main(int argc, char **argv)
{
	long scale = argc > 1 ? atol(argv[1]) : 1;
	const char *mode = argc > 2 ? argv[2] : "";
	int cpuset = !strcmp(mode, "cpuset");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "freezer")) {
		/*
		 * The freezer case alone (harness/cgv1 bench --freezer), on a
		 * fresh boot: after the 10,000 groups of the cases above, 100
		 * busy tasks under -icount took minutes per round in either
		 * kernel (and the C one ran out of memory).
		 */
		mkdir_p("/bench");
		bench_freeze_thaw(20 * scale);
		printf("bench-done\n");
		return 0;
	}
	/* Before any hierarchy exists: the floor for pagefault_in_cpuset. */
	if (cpuset)
		bench_pagefault("pagefault_no_hierarchy", 40000 * scale);
	setup(mode);

	/* Runs in every kernel: the floor for the cgroup cases below. */
	if (have_cgroups) {
		make_group("a");
		make_group("a/b");
		make_group("a/b/c");
		enter_group("a/b/c");
	}
	bench_fork("fork_exit_wait_depth3", 2000 * scale);
	/* ns is not mounted yet: the cost of the hook when it has nothing to do. */
	bench_unshare("unshare_uts_exit", 0, 2000 * scale);
	bench_pingpong(20000 * scale);
	bench_proc_self_cgroup(5000 * scale);
	if (!have_cgroups) {
		const char *cases[] = {
			"attach_task", "attach_threadgroup_8", "mkdir_rmdir",
			"read_tasks_1000", "read_procs_1000", "read_tasks_10000",
			"read_procs_10000", "mkdir_sibling_1000",
			"mkdir_sibling_10000", "fork_with_10000_groups",
			"read_tasks_1_with_10000_csets",
			"unshare_uts_exit_ns_mounted",
		};
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(cases); i++)
			absent(cases[i], "no cgroup filesystem");
		if (cpuset)
			bench_cpuset(scale);
		printf("bench-done\n");
		return 0;
	}
	bench_attach_task(2000 * scale);
	bench_attach_threadgroup(1000 * scale);
	bench_mkdir_rmdir("mkdir_rmdir", CS, 2000 * scale);
	bench_read_tasks(1000, 200 * scale);
	bench_read_tasks(10000, 20 * scale);

	mkdir_p(CS "/many");
	make_siblings(0, 999);
	bench_mkdir_rmdir("mkdir_sibling_1000", CS "/many", 200 * scale);
	make_siblings(999, 9999);
	bench_mkdir_rmdir("mkdir_sibling_10000", CS "/many", 200 * scale);
	make_siblings(9999, 10000);
	bench_fork("fork_with_10000_groups", 2000 * scale);
	bench_read_tasks_many_csets(10000, 1000 * scale);
	bench_unshare_ns_mounted(2000 * scale);
	if (cpuset)
		bench_cpuset(scale);
	printf("bench-done\n");
	return 0;
}
