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
 * With "scale", only the scale cases, on one named hierarchy: memory per
 * group and per css_set, and the cost of attach, mkdir and reading tasks as
 * the css_sets, depth, siblings and threads grow (see bench_scale()).
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
#define SCS "/bench/scs"	/* cpuset, for the scale cases */

/* The most busy tasks frozen and thawed by a freezer case. */
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

/* Whether the kernel has controller @name (a line in /proc/cgroups). */
static int have_controller(const char *name)
{
	char text[4096], line[64];
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
	snprintf(line, sizeof(line), "\n%s\t", name);
	return strstr(text, line) != NULL;
}

/* Whether the kernel has the freezer controller. */
static int have_freezer(void)
{
	return have_controller("freezer");
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

static void pin_to_first_cpu(cpu_set_t *set);

/*
 * Two processes pass a byte back and forth through pipes, both on the first
 * CPU the benchmark may use: each round is two context switches on that CPU
 * (and the charges of CPU time they make), whatever CPU the scheduler would
 * have woken the other on (on two CPUs, the count varied by 10% between
 * boots of one kernel).
 */
static void bench_pingpong(long ops)
{
	int ab[2], ba[2];
	cpu_set_t allowed;
	long long t0;
	char c = 0;
	pid_t pid;
	long i;

	if (pipe(ab) || pipe(ba))
		die("pipe");
	pin_to_first_cpu(&allowed);
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
	report("ctxswitch_pingpong_1cpu", now_ns() - t0, ops);
	close(ab[1]);
	waitpid(pid, NULL, 0);
	if (sched_setaffinity(0, sizeof(allowed), &allowed))
		die("sched_setaffinity");
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
 * Binds the calling task (and what it forks later) to its lowest allowed CPU;
 * @set gets the CPUs it was allowed, for sched_setaffinity() afterwards.
 */
static void pin_to_first_cpu(cpu_set_t *set)
{
	cpu_set_t one;
	int cpu;

	if (sched_getaffinity(0, sizeof(*set), set))
		die("sched_getaffinity");
	for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, set); cpu++)
		;
	if (cpu == CPU_SETSIZE)
		die("no CPU allowed");
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		die("sched_setaffinity");
}

/*
 * The time for a group of @nbusy busy tasks to read FROZEN once FROZEN is
 * written (the tasks stop on their way back to user space, and each read of
 * freezer.state checks them), and then THAWED once THAWED is written.
 *
 * With @pin, the bench and its busy tasks share its first CPU and the other
 * CPUs stay idle: under -icount, QEMU then runs one busy vCPU, and the time
 * repeats from boot to boot (several busy vCPUs take turns in QEMU's
 * round-robin, which neither kernel controls: a round then takes from
 * milliseconds to seconds). The tasks freeze as the scheduler runs each in
 * turn, so the case measures the freezer with the scheduler's time slices.
 */
static void bench_freeze_thaw(const char *name, int nbusy, long ops, int pin)
{
	const char *state = FRZ "/busy/freezer.state";
	cpu_set_t allowed = { 0 };
	pid_t pids[NBUSY];
	long long t0;
	long i;
	int n;

	if (nbusy > NBUSY)
		die("%s: at most %d busy tasks", name, NBUSY);
	if (!have_freezer()) {
		absent(name, "no freezer controller");
		return;
	}
	if (!frz_mounted)
		mount_freezer();
	mkdir_p(FRZ "/busy");
	if (pin)
		pin_to_first_cpu(&allowed);
	for (n = 0; n < nbusy; n++) {
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
	report(name, now_ns() - t0, ops);
	for (n = 0; n < nbusy; n++)
		kill(pids[n], SIGKILL);
	for (n = 0; n < nbusy; n++)
		waitpid(pids[n], NULL, 0);
	if (rmdir(FRZ "/busy"))
		die("rmdir " FRZ "/busy");
	if (pin && sched_setaffinity(0, sizeof(allowed), &allowed))
		die("sched_setaffinity");
}

/*
 * cgroup.kill ("kill" mode, harness/cgv1 bench --kill): a group of @ntasks
 * sleeping processes, in @ngroups groups of one hierarchy mounted with
 * "kill", killed by one write to the parent's cgroup.kill; per task, the
 * time of the write (the walk and the signals) and the time from the write
 * until every process is reaped. The C implementation's
 * version 1 has no cgroup.kill: absent there.
 */
#define KILLMNT "/bench/kill"

static void bench_kill(const char *name, int ntasks, int ngroups)
{
	char path[128];
	long long t0, t1;
	int i, g;

	mkdir_p(KILLMNT);
	if (mount("none", KILLMNT, "cgroup", 0, "none,name=benchkill,kill")) {
		absent(name, "no kill mount option");
		return;
	}
	mkdir_p(KILLMNT "/top");
	for (g = 0; g < ngroups; g++) {
		snprintf(path, sizeof(path), KILLMNT "/top/%d", g);
		mkdir_p(path);
	}
	for (i = 0; i < ntasks; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (!pid) {
			for (;;)
				pause();
		}
		snprintf(path, sizeof(path), KILLMNT "/top/%d", i % ngroups);
		write_pid(path, "tasks", pid);
	}
	t0 = now_ns();
	write_file(KILLMNT "/top/cgroup.kill", "1\n");
	t1 = now_ns();
	for (i = 0; i < ntasks; i++) {
		if (wait(NULL) < 0)
			die("wait");
	}
	/* Per task: the write alone (the walk and the signals), then until all are reaped. */
	snprintf(path, sizeof(path), "%s_write", name);
	report(path, t1 - t0, ntasks);
	report(name, now_ns() - t0, ntasks);
	for (g = 0; g < ngroups; g++) {
		snprintf(path, sizeof(path), KILLMNT "/top/%d", g);
		if (rmdir(path))
			die("rmdir %s", path);
	}
	if (rmdir(KILLMNT "/top"))
		die("rmdir " KILLMNT "/top");
	if (umount(KILLMNT))
		die("umount " KILLMNT);
}

/*
 * Rebinding ("rebind" mode, harness/cgv1 bench --rebind): a remount that adds
 * cpuacct to, then removes it from, a hierarchy of @ngroups groups under one
 * top-level group, with one sleeping process in each of the first @ntasks;
 * ns per group, 5 times each way. The C implementation refuses to rebind a
 * hierarchy with groups (EBUSY): absent there.
 */
#define RBMNT "/bench/rebind"

static void bench_rebind(const char *name, int ngroups, int ntasks)
{
	long long add = 0, del = 0, t0;
	char path[128];
	pid_t *pids;
	int i, r;

	mkdir_p(RBMNT);
	if (mount("none", RBMNT, "cgroup", 0, "none,name=benchrebind"))
		die("mount " RBMNT);
	pids = calloc(ntasks ? ntasks : 1, sizeof(*pids));
	if (!pids)
		die("calloc");
	mkdir_p(RBMNT "/top");
	for (i = 0; i < ngroups; i++) {
		snprintf(path, sizeof(path), RBMNT "/top/%d", i);
		mkdir_p(path);
	}
	for (i = 0; i < ntasks; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork");
		if (!pids[i]) {
			for (;;)
				pause();
		}
		snprintf(path, sizeof(path), RBMNT "/top/%d", i % ngroups);
		write_pid(path, "tasks", pids[i]);
	}
	for (r = 0; r < 5; r++) {
		t0 = now_ns();
		if (mount("none", RBMNT, "cgroup", MS_REMOUNT, "cpuacct,name=benchrebind")) {
			if (errno != EBUSY)
				die("remount cpuacct");
			absent(name, "no rebinding of a hierarchy with groups");
			snprintf(path, sizeof(path), "%s_remove", name);
			absent(path, "no rebinding of a hierarchy with groups");
			break;
		}
		add += now_ns() - t0;
		t0 = now_ns();
		if (mount("none", RBMNT, "cgroup", MS_REMOUNT, "none,name=benchrebind"))
			die("remount none");
		del += now_ns() - t0;
	}
	if (r) {
		report(name, add, (long)ngroups * r);
		snprintf(path, sizeof(path), "%s_remove", name);
		report(path, del, (long)ngroups * r);
	}
	for (i = 0; i < ntasks; i++)
		kill(pids[i], SIGKILL);
	for (i = 0; i < ntasks; i++)
		waitpid(pids[i], NULL, 0);
	free(pids);
	for (i = 0; i < ngroups; i++) {
		snprintf(path, sizeof(path), RBMNT "/top/%d", i);
		if (rmdir(path))
			die("rmdir %s", path);
	}
	if (rmdir(RBMNT "/top"))
		die("rmdir " RBMNT "/top");
	if (umount(RBMNT))
		die("umount " RBMNT);
}

/*
 * The scale cases ("scale" mode, harness/cgv1 bench --scale): what one
 * operation costs as the number of groups, css_sets, depth or threads grows
 * (the slope between the sizes is what matters), and the memory a group and
 * a css_set take. One named hierarchy without controllers on CS.
 */

/* Each helper thread's stack, carved from one mapping (one VMA for all). */
#define TSTACK (32 << 10)

/* What a crowd thread does: its index, and the helper's pipes. */
struct crowd_arg {
	long i;
	const char *dir;	/* moves into <dir>/<i> after a byte on @go, if set */
	int go, ready;		/* reads a byte from @go; writes one to @ready when placed */
};

static void *crowd_thread(void *p)
{
	struct crowd_arg *a = p;
	char path[128], c;

	if (a->dir) {
		if (read(a->go, &c, 1) != 1)
			die("read go");
		snprintf(path, sizeof(path), "%s/%ld/tasks", a->dir, a->i);
		write_file(path, "0\n");
		if (write(a->ready, &c, 1) != 1)
			die("write ready");
	}
	for (;;)
		pause();
	return NULL;
}

/* Makes a thread of this process on @stack (TSTACK bytes); 0 or an errno. */
static int crowd_spawn(char *stack, struct crowd_arg *a)
{
	pthread_attr_t attr;
	pthread_t t;
	int err;

	if (pthread_attr_init(&attr) ||
	    pthread_attr_setstack(&attr, stack, TSTACK))
		die("pthread_attr");
	err = pthread_create(&t, &attr, crowd_thread, a);
	pthread_attr_destroy(&attr);
	return err;
}

static char *crowd_stacks(long n)
{
	char *p = mmap(NULL, n * TSTACK, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %ld stacks", n);
	return p;
}

/* Reads @n bytes from @fd, or dies. */
static void read_n(int fd, long n, const char *what)
{
	char tmp[4096];
	ssize_t r;

	while (n > 0) {
		r = read(fd, tmp, n < (long)sizeof(tmp) ? n : (long)sizeof(tmp));
		if (r <= 0)
			die("%s", what);
		n -= r;
	}
}

struct cset_helper {
	pid_t pid;
	int go, ready;		/* our ends */
};

/*
 * Forks a helper with one thread per group <dir>/<from> .. <dir>/<to - 1>;
 * returns once the threads exist (still in the helper's group). Each moves
 * into its own group, a css_set of its own, on a byte written to h->go, and
 * writes a byte to h->ready once there.
 */
static void cset_helper_start(struct cset_helper *h, const char *dir, long from, long to)
{
	int go[2], ready[2];
	long i;

	if (pipe(go) || pipe(ready))
		die("pipe");
	h->pid = fork();
	if (h->pid < 0)
		die("fork");
	if (!h->pid) {
		struct rlimit nofile = { 4 * (to - from) + 64, 4 * (to - from) + 64 };
		struct crowd_arg *args = calloc(to - from, sizeof(*args));
		char *stacks = crowd_stacks(to - from);

		close(go[1]);
		close(ready[0]);
		if (!args)
			die("calloc");
		/* Each thread opens a tasks file: many may be open at once. */
		if (setrlimit(RLIMIT_NOFILE, &nofile))
			die("setrlimit");
		for (i = from; i < to; i++) {
			args[i - from] = (struct crowd_arg){ i, dir, go[0], ready[1] };
			errno = crowd_spawn(stacks + (i - from) * TSTACK, &args[i - from]);
			if (errno)
				die("pthread_create %ld", i);
		}
		if (write(ready[1], "c", 1) != 1)
			die("write");
		for (;;)
			pause();
	}
	close(go[0]);
	close(ready[1]);
	h->go = go[1];
	h->ready = ready[0];
	read_n(h->ready, 1, "cset helper did not start its threads");
}

/* Releases the helper's threads into their groups; returns once all are there. */
static void cset_helper_place(struct cset_helper *h, long n)
{
	static char ones[4096];
	long left = n;

	while (left > 0) {
		long k = left < (long)sizeof(ones) ? left : (long)sizeof(ones);

		if (write(h->go, ones, k) != k)
			die("write go");
		left -= k;
	}
	read_n(h->ready, n, "cset helper threads did not move");
}

/* /proc/meminfo's Slab: and Percpu: in bytes (SUnreclaim: is only printed). */
struct mem {
	long long slab, percpu;
};

static long long meminfo_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	long long kb;

	if (!p || sscanf(p + strlen(key), " %lld", &kb) != 1)
		die("no %s in /proc/meminfo", key);
	return kb * 1024;
}

static void read_mem(struct mem *m, const char *when)
{
	static char text[8192];
	ssize_t n;
	int fd;

	/*
	 * Let RCU-deferred frees and queued work finish first, and drop the
	 * dentry and inode caches (the groups' directories, the tasks files
	 * the threads opened): what is left is what groups and sets pin.
	 */
	sleep(2);
	write_file("/proc/sys/vm/drop_caches", "2\n");
	sleep(1);
	fd = open("/proc/meminfo", O_RDONLY);
	if (fd < 0)
		die("open /proc/meminfo");
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		die("read /proc/meminfo");
	text[n] = '\0';
	m->slab = meminfo_field(text, "\nSlab:");
	m->percpu = meminfo_field(text, "\nPercpu:");
	printf("bench-info: meminfo %s: Slab %lld kB, SUnreclaim %lld kB, Percpu %lld kB\n",
	       when, m->slab >> 10, meminfo_field(text, "\nSUnreclaim:") >> 10, m->percpu >> 10);
}

/*
 * Prints mem_per_<what>_bytes (Slab:) and mem_per_<what>_percpu_bytes. With
 * SLUB_TINY (our kernels) no slab is reclaimable: SUnreclaim: equals Slab:.
 */
static void report_mem(const char *what, long long slab, long long percpu)
{
	char name[64];

	snprintf(name, sizeof(name), "mem_per_%s_bytes", what);
	report(name, slab, 1);
	snprintf(name, sizeof(name), "mem_per_%s_percpu_bytes", what);
	report(name, percpu, 1);
}

/* Attach of one sleeping task, alternating between CS/x and CS/y. */
static void bench_attach_csets(pid_t pid, long ncsets, long ops)
{
	char name[64];
	long long t0;
	long i;

	t0 = now_ns();
	for (i = 0; i < ops; i++)
		write_pid(i & 1 ? CS "/y" : CS "/x", "tasks", pid);
	snprintf(name, sizeof(name), "attach_task_%ld_csets", ncsets);
	report(name, now_ns() - t0, ops);
}

/*
 * Memory per empty group (10,000 siblings under CS/m), then attach with
 * 100, 1,000 and 10,000 populated groups: one helper thread alone in each
 * of CS/m/<i>, so that many distinct css_sets. The last 9,000 threads move
 * between two meminfo readings: the memory per css_set.
 */
static void bench_groups_csets(long scale)
{
	static const long steps[] = { 100, 1000, 10000 };
	struct cset_helper h[ARRAY_SIZE(steps)];
	struct mem m0, m1, m2, m3;
	long long grp[2], cset[2] = { 0 };
	char path[64];
	unsigned int k;
	long i, from;
	pid_t pid;

	mkdir_p(CS "/m");
	read_mem(&m0, "before 10000 groups");
	for (i = 0; i < 10000; i++) {
		snprintf(path, sizeof(path), CS "/m/%ld", i);
		mkdir_p(path);
	}
	read_mem(&m1, "after 10000 groups");
	grp[0] = (m1.slab - m0.slab) / 10000;
	grp[1] = (m1.percpu - m0.percpu) / 10000;
	report_mem("group", grp[0], grp[1]);

	mkdir_p(CS "/x");
	mkdir_p(CS "/y");
	pid = spawn_sleeper();
	write_pid(CS "/x", "tasks", pid);
	for (k = 0, from = 0; k < ARRAY_SIZE(steps); from = steps[k++]) {
		long n = steps[k] - from;
		int last = k == ARRAY_SIZE(steps) - 1;

		cset_helper_start(&h[k], CS "/m", from, steps[k]);
		if (last)
			read_mem(&m2, "before moving 9000 threads");
		cset_helper_place(&h[k], n);
		if (last) {
			read_mem(&m3, "after moving 9000 threads");
			cset[0] = (m3.slab - m2.slab) / n;
			cset[1] = (m3.percpu - m2.percpu) / n;
		}
		bench_attach_csets(pid, steps[k], 2000 * scale);
	}
	report_mem("css_set", cset[0], cset[1]);
	report_mem("populated_group", grp[0] + cset[0], grp[1] + cset[1]);
	for (k = 0; k < ARRAY_SIZE(steps); k++)
		reap(h[k].pid);
	reap(pid);
	/* The css_sets and groups of 10,000 exited threads are freed after RCU. */
	sleep(2);
}

/* mkdir+rmdir of a group at depth 10, 100 and 1,000 (the root is depth 0). */
static void bench_depth(long scale)
{
	static const int depths[] = { 10, 100, 1000 };
	int fd, nfd, level = 0;
	char name[64];
	unsigned int k;
	long long t0;
	long i, ops = 200 * scale;

	/* Paths past PATH_MAX: each step goes from the parent's fd. */
	fd = open(CS, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die("open " CS);
	for (k = 0; k < ARRAY_SIZE(depths); k++) {
		for (; level < depths[k] - 1; level++) {
			if (mkdirat(fd, "d", 0755))
				die("mkdir at depth %d", level + 1);
			nfd = openat(fd, "d", O_RDONLY | O_DIRECTORY);
			if (nfd < 0)
				die("open at depth %d", level + 1);
			close(fd);
			fd = nfd;
		}
		t0 = now_ns();
		for (i = 0; i < ops; i++) {
			if (mkdirat(fd, "x", 0755))
				die("mkdir at depth %d", depths[k]);
			if (unlinkat(fd, "x", AT_REMOVEDIR))
				die("rmdir at depth %d", depths[k]);
		}
		snprintf(name, sizeof(name), "mkdir_depth_%d", depths[k]);
		report(name, now_ns() - t0, ops);
	}
	close(fd);
}

/*
 * mkdir+rmdir of the 1,000th, 10,000th and 100,000th sibling under @dir, as
 * cases @prefix<count>. With @clone_file (the directory's
 * cgroup.clone_children), the siblings are made with it off and the timed
 * groups with it on (see bench_cpuset_siblings()).
 */
static void bench_siblings_in(const char *dir, const char *prefix,
			      const char *clone_file, long scale)
{
	static const long counts[] = { 1000, 10000, 100000 };
	char name[64];
	unsigned int k;
	long made = 0;
	int fd;

	mkdir_p(dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die("open %s", dir);
	for (k = 0; k < ARRAY_SIZE(counts); k++) {
		if (clone_file)
			write_file(clone_file, "0\n");
		for (; made < counts[k] - 1; made++) {
			snprintf(name, sizeof(name), "%ld", made);
			if (mkdirat(fd, name, 0755))
				die("mkdir sibling %s/%s", dir, name);
		}
		if (clone_file)
			write_file(clone_file, "1\n");
		snprintf(name, sizeof(name), "%s%ld", prefix, counts[k]);
		bench_mkdir_rmdir(name, dir, 200 * scale);
	}
	close(fd);
}

/* mkdir+rmdir of the 1,000th, 10,000th and 100,000th sibling under CS/s. */
static void bench_siblings(long scale)
{
	bench_siblings_in(CS "/s", "mkdir_sibling_", NULL, scale);
}

/*
 * mkdir+rmdir of a cpuset among 1,000, 10,000 and 100,000 sibling cpusets, in
 * a hierarchy of its own with cpuset bound. The new cpuset copies its parent's
 * CPUs (clone_children), so removing it is removing a load-balanced cpuset
 * with CPUs: C rebuilds the scheduler domains there. The siblings are made
 * with clone_children off (a copy checks every sibling for an exclusive one
 * in C: making 100,000 would be quadratic) and have no CPUs.
 */
static void bench_cpuset_siblings(long scale)
{
	static const char *const cases[] = {
		"cpuset_mkdir_sibling_1000", "cpuset_mkdir_sibling_10000",
		"cpuset_mkdir_sibling_100000",
	};
	unsigned int k;

	if (!have_controller("cpuset")) {
		for (k = 0; k < ARRAY_SIZE(cases); k++)
			absent(cases[k], "no cpuset controller");
		return;
	}
	mkdir_p(SCS);
	if (mount("none", SCS, "cgroup", 0, "cpuset"))
		die("mount -o cpuset");
	printf("bench-info: hierarchy -o cpuset for the cpuset_mkdir_sibling cases\n");
	write_file(SCS "/cgroup.clone_children", "1\n");
	/* The parent copies the top cpuset's CPUs, which the timed ones copy. */
	mkdir_p(SCS "/s");
	bench_siblings_in(SCS "/s", "cpuset_mkdir_sibling_",
			  SCS "/s/cgroup.clone_children", scale);
}

/* The number of lines in @path. */
static long count_lines(const char *path)
{
	long lines = 0;
	ssize_t n, i;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die("open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

/*
 * Reading tasks of CS/t, which holds one helper process of 1,000, 10,000 and
 * 100,000 threads (its main thread and the rest). Absent from the size
 * where the helper could not make that many.
 */
static void bench_read_tasks_threads(long scale)
{
	static const long counts[] = { 1000, 10000, 100000 };
	static const long ops[] = { 200, 20, 3 };
	int cmd[2], ack[2];
	char name[64], why[64];
	unsigned int k;
	long got;
	pid_t pid;

	mkdir_p(CS "/t");
	if (pipe(cmd) || pipe(ack))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		const long max = counts[ARRAY_SIZE(counts) - 1];
		struct crowd_arg arg = { 0 };
		char *stacks = crowd_stacks(max);
		long want, have = 1;

		close(cmd[1]);
		close(ack[0]);
		write_pid(CS "/t", "tasks", getpid());
		while (read(cmd[0], &want, sizeof(want)) == sizeof(want)) {
			/* The threads start in CS/t: the group of their process. */
			while (have < want && !crowd_spawn(stacks + have * TSTACK, &arg))
				have++;
			if (write(ack[1], &have, sizeof(have)) != sizeof(have))
				die("write");
		}
		_exit(0);
	}
	close(cmd[0]);
	close(ack[1]);
	for (k = 0; k < ARRAY_SIZE(counts); k++) {
		snprintf(name, sizeof(name), "read_tasks_threads_%ld", counts[k]);
		if (write(cmd[1], &counts[k], sizeof(counts[k])) != sizeof(counts[k]) ||
		    read(ack[0], &got, sizeof(got)) != sizeof(got))
			die("thread helper");
		if (got < counts[k]) {
			snprintf(why, sizeof(why), "only %ld threads could be made", got);
			absent(name, why);
			continue;
		}
		if (count_lines(CS "/t/tasks") != counts[k])
			die("tasks of " CS "/t does not list %ld threads", counts[k]);
		time_reads(name, CS "/t/tasks", ops[k] * scale);
	}
	printf("bench-info: the thread helper made %ld threads\n", got);
	/* Powering off ends the threads: killing 100,000 of them costs minutes. */
}

static const char *const scale_cases[] = {
	"mem_per_group_bytes", "mem_per_group_percpu_bytes",
	"attach_task_100_csets", "attach_task_1000_csets", "attach_task_10000_csets",
	"mem_per_css_set_bytes", "mem_per_css_set_percpu_bytes",
	"mem_per_populated_group_bytes", "mem_per_populated_group_percpu_bytes",
	"mkdir_depth_10", "mkdir_depth_100", "mkdir_depth_1000",
	"mkdir_sibling_1000", "mkdir_sibling_10000", "mkdir_sibling_100000",
	"read_tasks_threads_1000", "read_tasks_threads_10000", "read_tasks_threads_100000",
	"cpuset_mkdir_sibling_1000", "cpuset_mkdir_sibling_10000", "cpuset_mkdir_sibling_100000",
};

/* The scale cases, on one named hierarchy; absent without a cgroup filesystem. */
static void bench_scale(long scale)
{
	unsigned int i;

	mkdir_p("/bench");
	mkdir_p(CS);
	if (mount("none", CS, "cgroup", 0, "none,name=scale")) {
		printf("bench-info: cannot mount -o none,name=scale (%s)\n", strerror(errno));
		for (i = 0; i < ARRAY_SIZE(scale_cases); i++)
			absent(scale_cases[i], "no cgroup filesystem");
		return;
	}
	printf("bench-info: hierarchy -o none,name=scale\n");
	/* Room for 100,000 threads: pids, the thread count. */
	write_file("/proc/sys/kernel/pid_max", "4194304\n");
	write_file("/proc/sys/kernel/threads-max", "1000000\n");
	bench_groups_csets(scale);
	bench_depth(scale);
	bench_siblings(scale);
	bench_cpuset_siblings(scale);
	bench_read_tasks_threads(scale);
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
	if (!strcmp(mode, "freezer") || !strcmp(mode, "freezerall")) {
		/*
		 * The freezer cases alone (harness/cgv1 bench --freezer), on a
		 * fresh boot. Under -icount ("freezer"), 8 and 100 busy tasks
		 * sharing the bench's first CPU: with busy tasks on several
		 * vCPUs, a round takes milliseconds or, at times, minutes in
		 * either kernel (QEMU's round-robin of busy vCPUs, see
		 * README.md). With wall-clock time ("freezerall"), 4 and 100
		 * busy tasks spread over the CPUs.
		 */
		mkdir_p("/bench");
		if (!strcmp(mode, "freezer")) {
			bench_freeze_thaw("freeze_thaw_8_busy_1cpu", 8, 20 * scale, 1);
			bench_freeze_thaw("freeze_thaw_100_busy_1cpu", 100, 20 * scale, 1);
		} else {
			bench_freeze_thaw("freeze_thaw_4_busy", 4, 20 * scale, 0);
			bench_freeze_thaw("freeze_thaw_100_busy", 100, 20 * scale, 0);
		}
		printf("bench-done\n");
		return 0;
	}
	if (!strcmp(mode, "kill")) {
		mkdir_p("/bench");
		bench_kill("kill_1000_tasks_1_group", 1000, 1);
		bench_kill("kill_1000_tasks_100_groups", 1000, 100);
		bench_kill("kill_100_tasks_1_group", 100, 1);
		printf("bench-done\n");
		return 0;
	}
	if (!strcmp(mode, "rebind")) {
		mkdir_p("/bench");
		bench_rebind("rebind_cpuacct_per_group_1000_groups", 1000, 0);
		bench_rebind("rebind_cpuacct_per_group_1000_groups_1000_tasks", 1000, 1000);
		bench_rebind("rebind_cpuacct_per_group_100_groups_1000_tasks", 100, 1000);
		printf("bench-done\n");
		return 0;
	}
	if (!strcmp(mode, "scale")) {
		bench_scale(scale);
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
