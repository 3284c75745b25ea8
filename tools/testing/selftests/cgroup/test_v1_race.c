// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1 race: a seeded, bounded race of many operations at once, then
 * invariants once everything has settled.
 *
 * For RACE_SECONDS, forked workers at once: fork and exit (plain children,
 * children with a thread, children with a grandchild); move single threads
 * (tasks) and whole thread groups (cgroup.procs) of multi-threaded
 * resident processes and of the forkers' children between groups; make,
 * rename and remove groups; mount and unmount a second hierarchy, move tasks
 * in it and remount it to bind and unbind debug ("debug,name=X" and
 * "none,name=X"); write cpuset.cpus and cpuset.mems of child cpusets,
 * freezer.state (FROZEN and THAWED) and cpuacct.usage (reset); and take
 * CPU 3 offline and online. Every result is a success or an errno from the
 * operation's allowed set (see ops[]); anything else fails the test.
 *
 * Afterwards, in each hierarchy, every task of the test is listed by the
 * tasks file of exactly one group, the one /proc/<tid>/cgroup names, no tid
 * is listed twice, and cgroup.procs lists a process where its threads are;
 * every group is THAWED; with debug bound to the second hierarchy, each
 * group's debug.taskcount, debug.cgroup_css_links and debug.releasable agree
 * with its tasks file and children, and debug.current_css_set_cg_links with
 * /proc/self/cgroup; /proc/cgroups counts the groups. At the end every group
 * is removed bottom-up, both hierarchies are unmounted, and /proc/cgroups
 * returns to what it was: a leaked task or reference would show as EBUSY or
 * a controller left bound.
 *
 * The seed is printed; CGV1_SEED=<n> in the environment repeats a run's
 * choices (not its timing). Expectations are those of the C implementation.
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
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-race")
#define MNT2 CGV1_DIR("cgv1-race2")
#define H1_OPTS "cpuset,cpuacct,freezer,clone_children"
#define H2_NAME "cgv1race2"
#define H2_NONE "none,name=" H2_NAME
#define H2_DEBUG "debug,name=" H2_NAME
#define CPU3 "/sys/devices/system/cpu/cpu3/online"

/* How long the workers race (the whole case takes about 20 s in the debug guest). */
#define RACE_SECONDS 14

#define NRES 3			/* resident multi-threaded processes */
#define NTHR 3			/* their threads besides the leader, one of them churning */
#define NFORKERS 3
#define MAXG 64			/* groups per hierarchy */
#define MAXT 4096		/* tids listed per hierarchy */

/* The groups of the first hierarchy that live through the race, parents first. */
static const char * const fixed[] = { "", "/g0", "/g1", "/g1/s", "/g2" };
#define NFIXED ((int)ARRAY_SIZE(fixed))
/* Where groups come and go: c0..c3 (and c?/n) under these. */
static const char * const churn_parents[] = { "/g0", "/g2" };
#define NCHURN 4
/* The second hierarchy's groups, parents first. */
static const char * const h2_groups[] = { "", "/k0", "/k0/k1", "/k2" };
#define NH2 ((int)ARRAY_SIZE(h2_groups))

static const char * const cpu_lists[] = { "0-3", "0-1", "2-3", "1", "3", "0,2", "1-3", "" };
static const char * const mem_lists[] = { "0", "1", "0-1", "" };

enum {
	OP_FORK, OP_MOVE_TASK, OP_MOVE_PROCS, OP_MKDIR, OP_RMDIR, OP_RENAME, OP_MOUNT,
	OP_REMOUNT, OP_UMOUNT, OP_CPUS, OP_MEMS, OP_FREEZE, OP_USAGE, OP_HOTPLUG, OP_READ, NOPS
};

/*
 * Each operation and the errno it may fail with in the race: ESRCH for a
 * task gone, ENOENT for a group gone before open() (or its parent, or a
 * name taken by rename's target), ENODEV for one gone after it, EBUSY for
 * a group with tasks or children (rmdir, remount) and for a controller
 * still bound to a hierarchy being destroyed or a lingering hierarchy
 * mounted with the other options (mount), ENOSPC for a cpuset without CPUs
 * or memory (move, or the last ones of a populated cpuset), EACCES for
 * CPUs or nodes beyond the parent's, EBUSY for taking a child's, EINVAL
 * for an offline CPU, EBUSY for CPU 3 alone in a root domain; a read may
 * find its group (or its controller's file) gone: ENOENT or ENODEV.
 */
static const struct {
	const char *name;
	int allowed[7];
} ops[NOPS] = {
	[OP_FORK] = { "fork", { EAGAIN } },
	[OP_MOVE_TASK] = { "tasks write", { ESRCH, ENOENT, ENODEV, ENOSPC } },
	[OP_MOVE_PROCS] = { "cgroup.procs write", { ESRCH, ENOENT, ENODEV, ENOSPC } },
	[OP_MKDIR] = { "mkdir", { EEXIST, ENOENT, ENODEV } },
	[OP_RMDIR] = { "rmdir", { ENOENT, EBUSY } },
	[OP_RENAME] = { "rename", { ENOENT, EEXIST } },
	[OP_MOUNT] = { "mount", { EBUSY } },
	[OP_REMOUNT] = { "remount", { EBUSY } },
	[OP_UMOUNT] = { "umount", { 0 } },
	[OP_CPUS] = { "cpuset.cpus write",
		      { EINVAL, EACCES, EBUSY, ENOSPC, ENOENT, ENODEV } },
	[OP_MEMS] = { "cpuset.mems write", { EACCES, EBUSY, ENOSPC, ENOENT, ENODEV } },
	[OP_FREEZE] = { "freezer.state write", { 0 } },
	[OP_USAGE] = { "cpuacct.usage write", { ENOENT, ENODEV } },
	[OP_HOTPLUG] = { "cpu3/online write", { EBUSY } },
	[OP_READ] = { "read", { ENOENT, ENODEV } },
};

#define NBAD 8

/* Shared by the test and its workers. */
static struct shared {
	long long deadline_ms;
	int stop_churn;			/* residents: stop making threads */
	int churn_stopped[NRES];
	pid_t res[NRES];		/* resident processes */
	pid_t res_tid[NRES][NTHR];	/* their threads (the last one churns) */
	pid_t child[NFORKERS];		/* each forker's current child */
	long ok[NOPS], refused[NOPS], bad;
	char bad_log[NBAD][200];
} *sh;

static unsigned int seed;

static int expired(void)
{
	return now_ms() >= sh->deadline_ms;
}

static pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/* Counts the result of @op (0 or -errno) on @what; logs one outside the allowed set. */
static void result(int op, int ret, const char *what)
{
	int i, n;

	if (!ret) {
		__atomic_add_fetch(&sh->ok[op], 1, __ATOMIC_RELAXED);
		return;
	}
	for (i = 0; i < (int)ARRAY_SIZE(ops[op].allowed) && ops[op].allowed[i]; i++) {
		if (-ret == ops[op].allowed[i]) {
			__atomic_add_fetch(&sh->refused[op], 1, __ATOMIC_RELAXED);
			return;
		}
	}
	n = __atomic_fetch_add(&sh->bad, 1, __ATOMIC_RELAXED);
	if (n < NBAD)
		snprintf(sh->bad_log[n], sizeof(sh->bad_log[n]), "%s %s: %s", ops[op].name, what,
			 strerror(-ret));
}

static int sys(int ret)
{
	return ret ? -errno : 0;
}

/* A random one of our tasks: a resident (thread or process) or a forker's child. */
static pid_t victim(unsigned int *r)
{
	int i = rand_r(r) % NRES;

	switch (rand_r(r) % 4) {
	case 0:
		return sh->res[i];
	case 1:
	case 2:
		return __atomic_load_n(&sh->res_tid[i][rand_r(r) % NTHR], __ATOMIC_RELAXED);
	default:
		return __atomic_load_n(&sh->child[rand_r(r) % NFORKERS], __ATOMIC_RELAXED);
	}
}

/* Moves @pid into @dir through tasks or cgroup.procs; counts the result. */
static void move(const char *dir, pid_t pid, int procs)
{
	char path[256];

	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, procs ? "cgroup.procs" : "tasks");
	result(procs ? OP_MOVE_PROCS : OP_MOVE_TASK, write_pid(path, pid), path);
}

/* A random group of the first hierarchy: a fixed one or a churned one. */
static void any_group(unsigned int *r, char *path, size_t size)
{
	int k = rand_r(r) % (NFIXED + 3);

	if (k < NFIXED)
		snprintf(path, size, MNT "%s", fixed[k]);
	else
		snprintf(path, size, MNT "%s/c%d%s", churn_parents[rand_r(r) % 2],
			 rand_r(r) % NCHURN, rand_r(r) % 3 ? "" : "/n");
}

/* Residents: threads that sleep and spin a little, and one that makes short-lived threads. */
static void *res_thread(void *arg)
{
	pid_t *slot = arg;

	__atomic_store_n(slot, gettid_(), __ATOMIC_RELAXED);
	for (;;) {
		long long t = now_ms();

		while (now_ms() == t)
			;
		usleep(2000);
	}
	return NULL;
}

static void *short_thread(void *arg)
{
	pid_t *slot = arg;

	__atomic_store_n(slot, gettid_(), __ATOMIC_RELAXED);
	usleep(500);
	return NULL;
}

static void resident(int idx)
{
	pthread_t t;
	int i;

	for (i = 0; i < NTHR - 1; i++)
		if (pthread_create(&t, NULL, res_thread, &sh->res_tid[idx][i]))
			_exit(1);
	while (!__atomic_load_n(&sh->stop_churn, __ATOMIC_RELAXED)) {
		if (pthread_create(&t, NULL, short_thread, &sh->res_tid[idx][NTHR - 1])) {
			usleep(1000);
			continue;
		}
		pthread_join(t, NULL);
	}
	__atomic_store_n(&sh->churn_stopped[idx], 1, __ATOMIC_RELAXED);
	for (;;)
		pause();
}

static void *exiting_thread(void *arg)
{
	usleep(200);
	return arg;
}

/* Fork storms: children that exit, that exit with a thread, that fork a grandchild. */
static void forker(int idx, unsigned int r)
{
	while (!expired()) {
		pid_t pid = fork();

		if (!pid) {
			pthread_t t;
			pid_t g;

			switch (idx) {
			case 1:
				if (!pthread_create(&t, NULL, exiting_thread, NULL) && r & 1)
					pthread_join(t, NULL);
				break;
			case 2:
				g = fork();
				if (!g)
					_exit(0);
				if (g > 0)
					waitpid(g, NULL, 0);
				break;
			}
			usleep(r % 2000);
			_exit(0);
		}
		result(OP_FORK, pid < 0 ? -errno : 0, "");
		if (pid < 0)
			continue;
		__atomic_store_n(&sh->child[idx], pid, __ATOMIC_RELAXED);
		waitpid(pid, NULL, 0);
		__atomic_store_n(&sh->child[idx], 0, __ATOMIC_RELAXED);
		r = rand_r(&r);
	}
}

/* Moves our tasks between groups of the first hierarchy. */
static void mover(unsigned int r)
{
	char path[256];

	while (!expired()) {
		any_group(&r, path, sizeof(path));
		move(path, victim(&r), rand_r(&r) & 1);
	}
}

/* Makes, renames and removes c0..c3 and c?/n under g0 and g2. */
static void churner(unsigned int r)
{
	char path[256], to[256];

	while (!expired()) {
		const char *p = churn_parents[rand_r(&r) % 2];
		int c = rand_r(&r) % NCHURN, d = rand_r(&r) % NCHURN;

		switch (rand_r(&r) % 6) {
		case 0:
		case 1:
			snprintf(path, sizeof(path), MNT "%s/c%d", p, c);
			result(OP_MKDIR, sys(mkdir(path, 0755)), path);
			break;
		case 2:
			snprintf(path, sizeof(path), MNT "%s/c%d/n", p, c);
			result(OP_MKDIR, sys(mkdir(path, 0755)), path);
			break;
		case 3:
			snprintf(path, sizeof(path), MNT "%s/c%d", p, c);
			snprintf(to, sizeof(to), MNT "%s/c%d", p, d);
			if (c != d)
				result(OP_RENAME, sys(rename(path, to)), path);
			break;
		case 4:
			snprintf(path, sizeof(path), MNT "%s/c%d/n", p, c);
			result(OP_RMDIR, sys(rmdir(path)), path);
			break;
		case 5:
			snprintf(path, sizeof(path), MNT "%s/c%d", p, c);
			result(OP_RMDIR, sys(rmdir(path)), path);
			break;
		}
	}
}

/* cpuset.cpus and cpuset.mems of child cpusets, cpuacct.usage resets. */
static void changer(unsigned int r)
{
	char dir[256], path[300];
	const char *text;

	while (!expired()) {
		do
			any_group(&r, dir, sizeof(dir));
		while (!strcmp(dir, MNT));
		switch (rand_r(&r) % 4) {
		case 0:
		case 1:
			snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
			text = cpu_lists[rand_r(&r) % ARRAY_SIZE(cpu_lists)];
			result(OP_CPUS, write_text(path, text), path);
			break;
		case 2:
			snprintf(path, sizeof(path), "%s/cpuset.mems", dir);
			text = mem_lists[rand_r(&r) % ARRAY_SIZE(mem_lists)];
			result(OP_MEMS, write_text(path, text), path);
			break;
		case 3:
			if (rand_r(&r) & 1)
				snprintf(dir, sizeof(dir), MNT);
			snprintf(path, sizeof(path), "%s/cpuacct.usage", dir);
			result(OP_USAGE, write_text(path, "0"), path);
			break;
		}
		usleep(rand_r(&r) % 500);
	}
}

static int set_state(const char *group, const char *state)
{
	char path[256];

	snprintf(path, sizeof(path), MNT "%s/freezer.state", group);
	return write_text(path, state);
}

/* Freezes and thaws the fixed groups (never the churned ones); all thawed at the end. */
static void freezer(unsigned int r)
{
	char path[256];
	int i;

	while (!expired()) {
		const char *g = fixed[1 + rand_r(&r) % (NFIXED - 1)];

		snprintf(path, sizeof(path), MNT "%s", g);
		result(OP_FREEZE, set_state(g, rand_r(&r) % 3 ? "THAWED" : "FROZEN"), path);
		usleep(rand_r(&r) % 5000);
	}
	for (i = 1; i < NFIXED; i++)
		result(OP_FREEZE, set_state(fixed[i], "THAWED"), fixed[i]);
}

static void hotplug(unsigned int r)
{
	while (!expired()) {
		int ret = write_text(CPU3, "0");

		result(OP_HOTPLUG, ret, "0");
		if (!ret) {
			usleep(20000 + rand_r(&r) % 30000);
			result(OP_HOTPLUG, write_text(CPU3, "1"), "1");
		}
		usleep(20000 + rand_r(&r) % 30000);
	}
	if (!access(CPU3, W_OK))
		result(OP_HOTPLUG, write_text(CPU3, "1"), "1");
}

/*
 * The second hierarchy: mounted with or without debug (a hierarchy left
 * with children lingers after umount and only takes its own options, EBUSY
 * for the others), groups made and removed, tasks moved into them,
 * remounted to bind or unbind debug, unmounted with or without children.
 */
static void mounter(unsigned int r)
{
	static const char * const opts[] = { H2_NONE, H2_DEBUG };
	int mounted = 0, dbg = 0, i, ret;
	char path[256], buf[4096];

	while (!expired()) {
		if (!mounted) {
			dbg = rand_r(&r) & 1;
			ret = sys(mount("none", MNT2, "cgroup", 0, opts[dbg]));
			result(OP_MOUNT, ret, opts[dbg]);
			if (ret == -EBUSY) {
				dbg = !dbg;
				ret = sys(mount("none", MNT2, "cgroup", 0, opts[dbg]));
				result(OP_MOUNT, ret, opts[dbg]);
			}
			if (ret) {
				usleep(1000);
				continue;
			}
			mounted = 1;
			/* A new (or emptied) hierarchy can rebind: try it now and then. */
			if (rand_r(&r) & 1 && access(MNT2 "/k0", F_OK) &&
			    access(MNT2 "/k2", F_OK)) {
				ret = sys(mount("none", MNT2, "cgroup", MS_REMOUNT, opts[!dbg]));
				result(OP_REMOUNT, ret, opts[!dbg]);
				if (!ret)
					dbg = !dbg;
			}
		}
		switch (rand_r(&r) % 8) {
		case 0:
			ret = sys(mount("none", MNT2, "cgroup", MS_REMOUNT, opts[!dbg]));
			result(OP_REMOUNT, ret, opts[!dbg]);
			if (!ret)
				dbg = !dbg;
			break;
		case 1:
			i = 1 + rand_r(&r) % (NH2 - 1);
			snprintf(path, sizeof(path), MNT2 "%s", h2_groups[i]);
			result(OP_MKDIR, sys(mkdir(path, 0755)), path);
			break;
		case 2:
		case 3:
			snprintf(path, sizeof(path), MNT2 "%s", h2_groups[rand_r(&r) % NH2]);
			move(path, rand_r(&r) % 4 ? victim(&r) : getpid(), rand_r(&r) & 1);
			break;
		case 4:
			snprintf(path, sizeof(path), MNT2 "%s/%s", h2_groups[rand_r(&r) % NH2],
				 dbg ? "debug.cgroup_css_links" : "cgroup.procs");
			ret = read_text(path, buf, sizeof(buf));
			result(OP_READ, ret < 0 ? ret : 0, path);
			break;
		case 5:
			i = NH2 - 1 - rand_r(&r) % 2;
			snprintf(path, sizeof(path), MNT2 "%s", h2_groups[i]);
			result(OP_RMDIR, sys(rmdir(path)), path);
			result(OP_RMDIR, sys(rmdir(MNT2 "/k0")), MNT2 "/k0");
			break;
		case 6:
			/* Now and then empty the groups first, to unmount an empty hierarchy. */
			for (i = NH2 - 1; i > 0 && rand_r(&r) & 1; i--) {
				int ids[64], n, j;

				snprintf(path, sizeof(path), MNT2 "%s/tasks", h2_groups[i]);
				n = read_ids(path, ids, ARRAY_SIZE(ids));
				for (j = 0; j < n; j++)
					move(MNT2, ids[j], 0);
				snprintf(path, sizeof(path), MNT2 "%s", h2_groups[i]);
				result(OP_RMDIR, sys(rmdir(path)), path);
			}
			ret = sys(umount(MNT2));
			result(OP_UMOUNT, ret, MNT2);
			mounted = !!ret;
			break;
		case 7:
			snprintf(path, sizeof(path), MNT2 "/debug.current_css_set_cg_links");
			if (dbg) {
				ret = read_text(path, buf, sizeof(buf));
				result(OP_READ, ret < 0 ? ret : 0, path);
			}
			break;
		}
	}
}

static pid_t start(void (*fn)(unsigned int), unsigned int r)
{
	pid_t pid = fork();

	if (!pid) {
		fn(r);
		_exit(0);
	}
	return pid;
}

static pid_t start_forker(int idx, unsigned int r)
{
	pid_t pid = fork();

	if (!pid) {
		forker(idx, r);
		_exit(0);
	}
	return pid;
}

/* The groups of the hierarchy at @mnt, as paths under it ("" for the top), parents first. */
struct groups {
	int n;
	char path[MAXG][128];
};

static void list_groups(const char *mnt, const char *rel, struct groups *g)
{
	char dir[256];
	struct dirent *e;
	DIR *d;

	if (g->n >= MAXG)
		return;
	snprintf(g->path[g->n++], sizeof(g->path[0]), "%s", rel);
	snprintf(dir, sizeof(dir), "%s%s", mnt, rel);
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char sub[128 + 256];

		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		list_groups(mnt, sub, g);
	}
	closedir(d);
}

/* The tids of the test's live tasks: itself and the residents' threads; @tgid of each. */
static int our_tasks(int *tids, int *tgids, int max)
{
	char dir[64];
	struct dirent *e;
	int n = 0, i;
	DIR *d;

	tids[n] = getpid();
	tgids[n++] = getpid();
	for (i = 0; i < NRES; i++) {
		snprintf(dir, sizeof(dir), "/proc/%d/task", sh->res[i]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((e = readdir(d)) && n < max) {
			if (e->d_name[0] == '.')
				continue;
			tids[n] = atoi(e->d_name);
			tgids[n++] = sh->res[i];
		}
		closedir(d);
	}
	return n;
}

/* The path of task @tgid/@tid in the hierarchy whose controller field has @key. */
static int proc_path(int tgid, int tid, const char *key, char *path, size_t size)
{
	char file[64], buf[4096], *line, *save;

	snprintf(file, sizeof(file), "/proc/%d/task/%d/cgroup", tgid, tid);
	if (read_text(file, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *p = ctl ? strchr(ctl + 1, ':') : NULL;

		if (!p)
			continue;
		*p = '\0';
		if (strstr(ctl + 1, key)) {
			snprintf(path, size, "%s", p + 1);
			return 0;
		}
	}
	return -1;
}

struct entry {
	int tid, group;
};

static int by_tid(const void *a, const void *b)
{
	return ((const struct entry *)a)->tid - ((const struct entry *)b)->tid;
}

/*
 * The membership invariants of the hierarchy at @mnt (@key in the
 * controller field of its /proc/<pid>/cgroup line): no tid is listed by
 * two groups; each of our tasks is listed by one, the one its cgroup file
 * names; cgroup.procs of a group lists our process iff a thread of it is
 * listed in tasks. Returns 0, or -1 with the first violation in @why.
 */
static int check_membership(const char *mnt, const char *key, char *why, size_t size)
{
	static struct entry all[MAXT];
	static struct groups g;
	int tids[64], tgids[64], ids[MAXT];
	int n = 0, nours, i, j, k, m;
	char path[256], where[256];

	g.n = 0;
	list_groups(mnt, "", &g);
	for (i = 0; i < g.n; i++) {
		snprintf(path, sizeof(path), "%s%s/tasks", mnt, g.path[i]);
		m = read_ids(path, ids, MAXT);
		if (m < 0 || n + m > MAXT) {
			snprintf(why, size, "cannot read %s", path);
			return -1;
		}
		for (j = 0; j < m; j++) {
			all[n].tid = ids[j];
			all[n++].group = i;
		}
	}
	qsort(all, n, sizeof(all[0]), by_tid);
	for (i = 1; i < n; i++) {
		if (all[i].tid == all[i - 1].tid) {
			snprintf(why, size, "%s: tid %d in %s and %s", mnt, all[i].tid,
				 g.path[all[i - 1].group], g.path[all[i].group]);
			return -1;
		}
	}
	nours = our_tasks(tids, tgids, ARRAY_SIZE(tids));
	for (i = 0; i < nours; i++) {
		struct entry want = { .tid = tids[i] }, *found;

		found = bsearch(&want, all, n, sizeof(all[0]), by_tid);
		if (!found) {
			snprintf(why, size, "%s: tid %d in no group", mnt, tids[i]);
			return -1;
		}
		if (proc_path(tgids[i], tids[i], key, where, sizeof(where)) ||
		    strcmp(where, *g.path[found->group] ? g.path[found->group] : "/")) {
			snprintf(why, size, "%s: tid %d listed in \"%s\", cgroup file says \"%s\"",
				 mnt, tids[i], g.path[found->group], where);
			return -1;
		}
	}
	for (i = 0; i < g.n; i++) {
		snprintf(path, sizeof(path), "%s%s/cgroup.procs", mnt, g.path[i]);
		m = read_ids(path, ids, MAXT);
		if (m < 0) {
			snprintf(why, size, "cannot read %s", path);
			return -1;
		}
		for (k = 0; k < NRES + 1; k++) {
			int tgid = k < NRES ? sh->res[k] : getpid(), listed = 0, there = 0;

			for (j = 0; j < m; j++)
				listed += ids[j] == tgid;
			for (j = 0; j < nours; j++) {
				struct entry want = { .tid = tids[j] }, *found;

				found = bsearch(&want, all, n, sizeof(all[0]), by_tid);
				there |= tgids[j] == tgid && found && found->group == i;
			}
			if (listed != there) {
				snprintf(why, size, "%s lists %d %d times, %s", path, tgid, listed,
					 there ? "a thread is there" : "no thread is there");
				return -1;
			}
		}
	}
	return 0;
}

/* Reads "%llu\n" from @path; -1 if it cannot. */
static long long read_num(const char *path)
{
	char buf[64];

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	return atoll(buf);
}

/*
 * The debug files of group @rel of the second hierarchy against its tasks
 * file and children. Returns 0, or -1 with the violation in @why.
 */
static int check_debug_group(const char *rel, int children, char *why, size_t size)
{
	static char buf[1 << 16];
	int ids[MAXT], shown[MAXT], n, nshown = 0, overflow = 0, set_tasks = -1, i, j;
	long long count, count2, set_refs = 0, set_extra = 0, releasable;
	char path[256], *line, *save;

	/* The top group has every task in the system: take a quiet moment. */
	for (i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), MNT2 "%s/debug.taskcount", rel);
		count = read_num(path);
		snprintf(path, sizeof(path), MNT2 "%s/tasks", rel);
		n = read_ids(path, ids, MAXT);
		snprintf(path, sizeof(path), MNT2 "%s/debug.taskcount", rel);
		count2 = read_num(path);
		if (count == count2 && count == n)
			break;
		usleep(50000);
	}
	if (count != n || count != count2) {
		/* Tasks with pid 0 (idle tasks) are never listed: does the group count them? */
		snprintf(path, sizeof(path), MNT2 "%s/debug.cgroup_css_links", rel);
		if (read_text(path, buf, sizeof(buf)) < 0)
			buf[0] = '\0';
		for (i = 0, line = buf; (line = strstr(line, "  task 0\n")); line++)
			i++;
		snprintf(why, size,
			 "%s: debug.taskcount %lld, then %lld; tasks has %d lines; %d \"task 0\" in css_links",
			 rel, count, count2, n, i);
		return -1;
	}
	snprintf(path, sizeof(path), MNT2 "%s/debug.releasable", rel);
	for (i = 0; i < 100; i++) {
		/* C takes removed children offline asynchronously. */
		releasable = read_num(path);
		if (releasable == (!n && !children))
			break;
		usleep(20000);
	}
	if (releasable != (!n && !children)) {
		snprintf(why, size, "%s: debug.releasable %lld with %d tasks, %d children", rel,
			 releasable, n, children);
		return -1;
	}
	if (!*rel)
		return 0;
	snprintf(path, sizeof(path), MNT2 "%s/debug.cgroup_css_links", rel);
	if (read_text(path, buf, sizeof(buf)) < 0) {
		snprintf(why, size, "cannot read %s", path);
		return -1;
	}
	/* Each css_set: refcount == tasks listed + extra; its tasks are the group's. */
	for (line = strtok_r(buf, "\n", &save); ; line = strtok_r(NULL, "\n", &save)) {
		if (!line || !strncmp(line, "css_set ", 8) || !strncmp(line, "extra", 5)) {
			if (set_tasks >= 0 && set_refs - set_extra != set_tasks && !overflow) {
				snprintf(why, size, "%s: css_set %lld refs (+%lld), %d tasks", path,
					 set_refs, set_extra, set_tasks);
				return -1;
			}
			set_tasks = -1;
			if (!line || strncmp(line, "css_set ", 8))
				break;
			set_tasks = 0;
			set_extra = 0;
			if (sscanf(line, "css_set %*s %lld +%lld", &set_refs, &set_extra) < 1) {
				snprintf(why, size, "%s: \"%s\"", path, line);
				return -1;
			}
		} else if (!strncmp(line, "  task ", 7) && set_tasks >= 0 && nshown < MAXT) {
			shown[nshown++] = atoi(line + 7);
			set_tasks++;
		} else if (!strncmp(line, "  ... (", 7)) {
			overflow = 1;
		} else {
			snprintf(why, size, "%s: \"%s\"", path, line);
			return -1;
		}
	}
	if (overflow)
		return 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < nshown && shown[j] != ids[i]; j++)
			;
		if (j == nshown)
			break;
	}
	if (nshown != n || i < n) {
		snprintf(why, size, "%s: lists %d tasks, tasks has %d (%d missing)", path, nshown,
			 n, i < n ? ids[i] : 0);
		return -1;
	}
	return 0;
}

/* debug.current_css_set_cg_links of the caller against its /proc/self/cgroup. */
static int check_cg_links(char *why, size_t size)
{
	static char links[4096], cg[4096];
	char want[256], *line, *save;
	int lines = 1;

	if (read_text(MNT2 "/debug.current_css_set_cg_links", links, sizeof(links)) < 0 ||
	    read_text("/proc/self/cgroup", cg, sizeof(cg)) < 0) {
		snprintf(why, size, "cannot read cg_links or /proc/self/cgroup");
		return -1;
	}
	if (!strstr(links, "Root 0 group /\n")) {
		snprintf(why, size, "no \"Root 0 group /\" in \"%.200s\"", links);
		return -1;
	}
	for (line = strtok_r(cg, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = strrchr(line, ':'), *base;

		if (atoi(line) == 0 || !path)
			continue;
		base = strrchr(path, '/');
		snprintf(want, sizeof(want), "Root %d group %s\n", atoi(line),
			 base && base[1] ? base + 1 : "/");
		if (!strstr(links, want)) {
			snprintf(why, size, "no \"%.*s\" in \"%.200s\"", (int)strlen(want) - 1,
				 want, links);
			return -1;
		}
		lines++;
	}
	for (line = links; (line = strchr(line, '\n')); line++)
		lines--;
	if (lines) {
		snprintf(why, size, "\"%.200s\" has %d lines more than /proc/self/cgroup",
			 links, -lines);
		return -1;
	}
	return 0;
}

/* Whether @dir is mounted, and its mount options in @opts. */
static int mounted_opts(const char *dir, char *opts, size_t size)
{
	char buf[8192], *line, *save, want[128];

	if (read_text("/proc/self/mounts", buf, sizeof(buf)) < 0)
		return 0;
	snprintf(want, sizeof(want), " %s cgroup ", dir);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, want);

		if (p) {
			snprintf(opts, size, "%s", p + strlen(want));
			return 1;
		}
	}
	return 0;
}

/* The number of groups of the hierarchy at @mnt, its top included. */
static int count_groups(const char *mnt)
{
	static struct groups g;

	g.n = 0;
	list_groups(mnt, "", &g);
	return g.n;
}

/* Removes every group of the hierarchy at @mnt bottom-up; the number that failed. */
static int remove_all(const char *mnt, char *why, size_t size)
{
	static struct groups g;
	char path[256];
	int i, failed = 0;

	g.n = 0;
	list_groups(mnt, "", &g);
	for (i = g.n - 1; i > 0; i--) {
		snprintf(path, sizeof(path), "%s%s", mnt, g.path[i]);
		if (rmdir(path)) {
			if (!failed++)
				snprintf(why, size, "rmdir %s: %s", path, strerror(errno));
		}
	}
	return failed;
}

/* Moves every task of the groups below the top of @mnt to the top. */
static void flatten(const char *mnt)
{
	static struct groups g;
	char path[256], top[256];
	int ids[MAXT], i, j, n;

	g.n = 0;
	list_groups(mnt, "", &g);
	snprintf(top, sizeof(top), "%s/tasks", mnt);
	for (i = 1; i < g.n; i++) {
		snprintf(path, sizeof(path), "%s%s/tasks", mnt, g.path[i]);
		n = read_ids(path, ids, MAXT);
		for (j = 0; j < n; j++)
			write_pid(top, ids[j]);
	}
}

FIXTURE(race) {
	char proc_cgroups[4096];
	pid_t workers[16];
	int nworkers;
};

FIXTURE_SETUP(race)
{
	const char *env = getenv("CGV1_SEED");

	seed = env ? strtoul(env, NULL, 0) : (unsigned int)time(NULL);
	ksft_print_msg("seed %u (CGV1_SEED=%u repeats its choices)\n", seed, seed);
	if (read_text("/sys/devices/system/cpu/online", self->proc_cgroups,
		      sizeof(self->proc_cgroups)) < 0 ||
	    strcmp(self->proc_cgroups, "0-3\n") ||
	    read_text("/sys/devices/system/node/has_memory", self->proc_cgroups,
		      sizeof(self->proc_cgroups)) < 0 ||
	    strcmp(self->proc_cgroups, "0-1\n"))
		SKIP(return, "needs the test guest: CPUs 0-3 online, memory on nodes 0-1");
	ASSERT_LT(0, read_text("/proc/cgroups", self->proc_cgroups, sizeof(self->proc_cgroups)));
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ASSERT_EQ(0, make_mount_point(MNT2));
	ASSERT_EQ(0, try_mount(MNT, H1_OPTS));
}

FIXTURE_TEARDOWN(race)
{
	int i;

	if (!sh || sh == MAP_FAILED)
		return;
	for (i = 0; i < self->nworkers; i++)
		kill_and_reap(self->workers[i]);
	for (i = 1; i < NFIXED; i++)
		set_state(fixed[i], "THAWED");
	for (i = 0; i < NRES; i++)
		if (sh->res[i] > 0)
			kill_and_reap(sh->res[i]);
	if (!access(CPU3, W_OK))
		EXPECT_EQ(0, write_text(CPU3, "1"));
	write_pid(MNT "/cgroup.procs", getpid());
	write_pid(MNT2 "/cgroup.procs", getpid());
	for (i = 0; i < 3; i++) {
		char why[256];

		flatten(MNT);
		remove_all(MNT, why, sizeof(why));
		flatten(MNT2);
		remove_all(MNT2, why, sizeof(why));
	}
	wait_num_cgroups("cpuset", 1);
	wait_num_cgroups("debug", 1);
	umount(MNT);
	umount(MNT2);
}

TEST_F_TIMEOUT(race, race, 600)
{
	int hotplug_ok = !access(CPU3, W_OK);
	long long begin = now_ms();
	char path[256], why[512], opts[256], buf[4096];
	struct groups g;
	int i, j, n, err;

	for (i = 1; i < NFIXED; i++) {
		snprintf(path, sizeof(path), MNT "%s", fixed[i]);
		ASSERT_EQ(0, mkdir(path, 0755)) TH_LOG("%s", path);
	}
	/* Children clone their parent's cpus and mems; s gets CPU 3 alone. */
	ASSERT_EQ(0, write_text(MNT "/g1/s/cpuset.cpus", "3"));
	ASSERT_EQ(0, write_text(MNT "/g2/cpuset.mems", "1"));

	for (i = 0; i < NRES; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid)
			resident(i);
		sh->res[i] = pid;
	}
	sh->deadline_ms = now_ms() + RACE_SECONDS * 1000;
	for (i = 0; i < NFORKERS; i++)
		self->workers[self->nworkers++] = start_forker(i, seed + i);
	self->workers[self->nworkers++] = start(mover, seed + 10);
	self->workers[self->nworkers++] = start(mover, seed + 11);
	self->workers[self->nworkers++] = start(churner, seed + 12);
	self->workers[self->nworkers++] = start(changer, seed + 13);
	self->workers[self->nworkers++] = start(freezer, seed + 14);
	self->workers[self->nworkers++] = start(mounter, seed + 15);
	if (hotplug_ok)
		self->workers[self->nworkers++] = start(hotplug, seed + 16);
	for (i = 0; i < self->nworkers; i++) {
		int status;

		ASSERT_EQ(self->workers[i], waitpid(self->workers[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("worker %d: status %#x", i, status);
	}
	self->nworkers = 0;
	for (i = 0; i < NOPS; i++)
		ksft_print_msg("%-20s %6ld done, %6ld refused\n", ops[i].name, sh->ok[i],
			       sh->refused[i]);
	for (i = 0; i < sh->bad && i < NBAD; i++)
		TH_LOG("unexpected: %s", sh->bad_log[i]);
	EXPECT_EQ(0, sh->bad);
	/* Each kind of work got done at least once. */
	for (i = 0; i < NOPS; i++) {
		if (i == OP_HOTPLUG && !hotplug_ok)
			continue;
		EXPECT_LT(0, sh->ok[i]) TH_LOG("no %s succeeded", ops[i].name);
	}

	/* Settle: residents stop making threads; CPU 3 is back; everything thawed. */
	__atomic_store_n(&sh->stop_churn, 1, __ATOMIC_RELAXED);
	for (i = 0; i < 500; i++) {
		for (j = 0; j < NRES && sh->churn_stopped[j]; j++)
			;
		if (j == NRES)
			break;
		usleep(10000);
	}
	ASSERT_EQ(NRES, j) TH_LOG("residents did not stop their thread churn");
	if (hotplug_ok) {
		ASSERT_LT(0, read_text(CPU3, buf, sizeof(buf)));
		EXPECT_STREQ("1\n", buf);
		EXPECT_FILE(MNT "/cpuset.cpus", "0-3\n");
	}
	/* The cpuset hotplug work moves tasks out of emptied cpusets asynchronously. */
	usleep(200000);
	g.n = 0;
	list_groups(MNT, "", &g);
	for (i = 1; i < g.n; i++) {
		snprintf(path, sizeof(path), MNT "%s/freezer.state", g.path[i]);
		EXPECT_FILE(path, "THAWED\n");
	}

	/* Debug on the second hierarchy: rebind if need be, with tasks spread over groups. */
	if (!mounted_opts(MNT2, opts, sizeof(opts))) {
		if (mount("none", MNT2, "cgroup", 0, H2_DEBUG))
			ASSERT_EQ(0, mount("none", MNT2, "cgroup", 0, H2_NONE))
				TH_LOG("mount: %s", strerror(errno));
		ASSERT_EQ(1, mounted_opts(MNT2, opts, sizeof(opts)));
	}
	if (!strstr(opts, "debug")) {
		if (mount("none", MNT2, "cgroup", MS_REMOUNT, H2_DEBUG)) {
			ASSERT_EQ(EBUSY, errno);
			flatten(MNT2);
			ASSERT_EQ(0, remove_all(MNT2, why, sizeof(why))) TH_LOG("%s", why);
			ASSERT_EQ(0, wait_num_cgroups("debug", 1));
			/* C unlinks removed groups asynchronously: EBUSY until then. */
			for (i = 0; i < 500; i++) {
				err = mount("none", MNT2, "cgroup", MS_REMOUNT, H2_DEBUG);
				err = err ? errno : 0;
				if (err != EBUSY)
					break;
				usleep(10000);
			}
			ASSERT_EQ(0, err) TH_LOG("remount: %s", strerror(err));
		}
	}
	for (i = 1; i < NH2; i++) {
		snprintf(path, sizeof(path), MNT2 "%s", h2_groups[i]);
		if (mkdir(path, 0755))
			ASSERT_EQ(EEXIST, errno);
	}
	for (i = 0, n = 0; i < NRES; i++) {
		for (j = 0; j < NTHR - 1; j++, n++) {
			snprintf(path, sizeof(path), MNT2 "%s/tasks", h2_groups[n % NH2]);
			EXPECT_EQ(0, write_pid(path, sh->res_tid[i][j]));
		}
	}

	/* Membership in both hierarchies. */
	for (i = 0; i < 10; i++) {
		if (!check_membership(MNT, "cpuset", why, sizeof(why)) &&
		    !check_membership(MNT2, "name=" H2_NAME, why, sizeof(why)))
			break;
		usleep(100000);
	}
	EXPECT_GT(10, i) TH_LOG("%s", why);

	/* The debug files, with the test in each group in turn. */
	for (j = 0; j < NH2; j++) {
		snprintf(path, sizeof(path), MNT2 "%s/tasks", h2_groups[j]);
		ASSERT_EQ(0, write_pid(path, getpid()));
		g.n = 0;
		list_groups(MNT2, "", &g);
		for (i = 0; i < g.n; i++) {
			int children = 0, k;

			for (k = 0; k < g.n; k++)
				children += !strncmp(g.path[k], g.path[i], strlen(g.path[i])) &&
					    g.path[k][strlen(g.path[i])] == '/';
			EXPECT_EQ(0, check_debug_group(g.path[i], children, why, sizeof(why)))
				TH_LOG("%s", why);
		}
		EXPECT_EQ(0, check_cg_links(why, sizeof(why))) TH_LOG("%s", why);
	}
	EXPECT_EQ(0, wait_num_cgroups("debug", count_groups(MNT2)));
	n = count_groups(MNT);
	EXPECT_EQ(0, wait_num_cgroups("cpuset", n));
	EXPECT_EQ(0, wait_num_cgroups("cpuacct", n));
	EXPECT_EQ(0, wait_num_cgroups("freezer", n));

	/* Everything goes: no group stays busy, no hierarchy stays. */
	ASSERT_EQ(0, write_pid(MNT "/tasks", getpid()));
	ASSERT_EQ(0, write_pid(MNT2 "/tasks", getpid()));
	for (i = 0; i < NRES; i++) {
		kill_and_reap(sh->res[i]);
		sh->res[i] = 0;
	}
	EXPECT_EQ(0, remove_all(MNT, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(0, remove_all(MNT2, why, sizeof(why))) TH_LOG("%s", why);
	EXPECT_EQ(0, wait_num_cgroups("cpuset", 1));
	EXPECT_EQ(0, wait_num_cgroups("debug", 1));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, umount(MNT2));
	EXPECT_EQ(0, wait_hierarchy_gone(":cpuset"));
	EXPECT_EQ(0, wait_hierarchy_gone("name=" H2_NAME));
	for (i = 0; i < 500; i++) {
		if (read_text("/proc/cgroups", buf, sizeof(buf)) > 0 &&
		    !strcmp(buf, self->proc_cgroups))
			break;
		usleep(10000);
	}
	EXPECT_STREQ(self->proc_cgroups, buf);
	ksft_print_msg("%lld ms in all, %d s of race\n", now_ms() - begin, RACE_SECONDS);
}

TEST_HARNESS_MAIN
