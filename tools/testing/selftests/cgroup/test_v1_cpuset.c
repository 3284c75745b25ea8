// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: the cpuset controller.
 *
 * The expectations follow the machine's topology, read from sysfs before
 * each test: the online and possible CPUs and the nodes with memory. The
 * tests name CPUs and nodes by role (see rcpu()); on the test guest of
 * harness/cgv1 (CPUs 0-1 on node 0, 2-3 on node 1, both nodes with memory)
 * roles and numbers coincide. A test skips (saying why) with fewer CPUs or
 * nodes than it needs, or without what else it needs (debugfs, CPU hotplug,
 * page migration). Every expectation is what the C implementation of the
 * same kernel does, byte for byte and errno for errno:
 *
 * - the files of a cpuset hierarchy, their modes and contents at the root
 *   and in a new child, and cgroup.clone_children;
 * - the write rules: range-list parsing (cpulist_parse/nodelist_parse), the
 *   root's read-only masks, subsets of the parent and of the children,
 *   exclusive siblings, empty masks while populated, flag and
 *   sched_relax_domain_level parsing and ranges;
 * - attach: ENOSPC without CPUs or nodes, affinity and mems_allowed as
 *   sched_getaffinity() and /proc/<pid>/status show them, a cpus or mems
 *   change reaching every thread of the cpuset and no other, and
 *   sched_setaffinity() confined to the cpuset;
 * - memory: pages of a task in a cpuset come from its nodes only,
 *   set_mempolicy()/mbind()/move_pages() outside them are refused, and
 *   memory_migrate moves pages on a mems change and on attach;
 * - CPU hotplug (v1): an emptied cpuset's tasks go to the nearest ancestor
 *   with CPUs, and a CPU coming back returns to the root only;
 * - scheduler domains partitioned by sched_load_balance;
 * - the legacy cpuset filesystem type, noprefix, cpuset_v2_mode,
 *   /proc/<pid>/cpuset, and cpuset with cpuacct on one hierarchy.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-cpuset")

/* <linux/mempolicy.h>, spelled out: the test needs no kernel headers. */
#define MPOL_DEFAULT		0
#define MPOL_PREFERRED		1
#define MPOL_BIND		2
#define MPOL_F_NODE		0x1
#define MPOL_F_ADDR		0x2
#define MPOL_F_MEMS_ALLOWED	0x4
#define MPOL_MF_MOVE		0x2

/* Node masks passed to the kernel: one word, 64 nodes. */
#define NODE_BITS 64

/* Pages the memory tests map and touch. */
#define NPAGES 256

static long sys_get_mempolicy(int *mode, unsigned long *mask, unsigned long maxnode,
			      void *addr, unsigned long flags)
{
	return syscall(SYS_get_mempolicy, mode, mask, maxnode, addr, flags);
}

/* The kernel reads maxnode - 1 bits of @mask (get_nodes()). */
static long sys_set_mempolicy(int mode, unsigned long mask)
{
	return syscall(SYS_set_mempolicy, mode, mode == MPOL_DEFAULT ? NULL : &mask,
		       mode == MPOL_DEFAULT ? 0 : NODE_BITS + 1);
}

static long sys_mbind(void *addr, unsigned long len, int mode, unsigned long mask,
		      unsigned int flags)
{
	return syscall(SYS_mbind, addr, len, mode, &mask, NODE_BITS + 1, flags);
}

static long sys_move_pages(pid_t pid, unsigned long count, void **pages, const int *nodes,
			   int *status, int flags)
{
	return syscall(SYS_move_pages, pid, count, pages, nodes, status, flags);
}

/* ----------------------------------------------------------------- helpers */

/* Whether @path reads exactly @text. */
static int file_is(const char *path, const char *text)
{
	char buf[4096];

	return read_text(path, buf, sizeof(buf)) == (ssize_t)strlen(text) && !strcmp(buf, text);
}

/* Room for the range lists, hex masks and status lines the tests build. */
#define LIST_MAX 4096

/* Appends printf-style text to the string @out of @size bytes, truncating it. */
static __printf(3, 4) void append(char *out, size_t size, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(out + len, size - len, fmt, ap);
	va_end(ap);
}

/* One of 16 rotating static buffers of LIST_MAX bytes, empty, for helpers that return text. */
static char *scratch(void)
{
	static char bufs[16][LIST_MAX];
	static unsigned int slot;
	char *out = bufs[slot++ % ARRAY_SIZE(bufs)];

	out[0] = '\0';
	return out;
}

/* @text and a newline, as a file of the cpuset reads; in a scratch buffer. */
static const char *nl(const char *text)
{
	char *out = scratch();

	append(out, LIST_MAX, "%s\n", text);
	return out;
}

/* The line "@key:\t@value" of /proc/<pid>/status; in a scratch buffer. */
static const char *field(const char *key, const char *value)
{
	char *out = scratch();

	append(out, LIST_MAX, "%s:\t%s", key, value);
	return out;
}

/*
 * Parses the range list @text ("0-3,5", "" or either with a newline) into
 * @set; 0, or -1 if it is none or names an id of CPU_SETSIZE or more.
 */
static int parse_list(const char *text, cpu_set_t *set)
{
	const char *s = text;
	unsigned long first, last, id;
	char *end;

	CPU_ZERO(set);
	while (*s && *s != '\n') {
		if (!isdigit((unsigned char)*s))
			return -1;
		first = strtoul(s, &end, 10);
		last = first;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return -1;
			last = strtoul(end + 1, &end, 10);
		}
		if (first > last || last >= CPU_SETSIZE)
			return -1;
		for (id = first; id <= last; id++)
			CPU_SET(id, set);
		s = end;
		if (*s == ',' && !isdigit((unsigned char)*++s))
			return -1;
		if (*s && *s != '\n' && !isdigit((unsigned char)*s))
			return -1;
	}
	return *s && s[1] ? -1 : 0;
}

/* Reads the range list in @path into @set; 0, or -1. */
static int read_list(const char *path, cpu_set_t *set)
{
	char buf[LIST_MAX];

	if (read_text(path, buf, sizeof(buf)) < 0)
		return -1;
	return parse_list(buf, set);
}

/* Formats @set as a range list ("0-1,3") into @out, the way the kernel's %*pbl does. */
static char *list_of(const cpu_set_t *set, char *out, size_t size)
{
	int id, first;

	out[0] = '\0';
	for (id = 0; id < CPU_SETSIZE; id++) {
		if (!CPU_ISSET(id, set))
			continue;
		first = id;
		while (id + 1 < CPU_SETSIZE && CPU_ISSET(id + 1, set))
			id++;
		if (first == id)
			append(out, size, "%s%d", out[0] ? "," : "", id);
		else
			append(out, size, "%s%d-%d", out[0] ? "," : "", first, id);
	}
	return out;
}

/*
 * Ids 0 to @nbits - 1 of @set in hex, the way the kernel's %*pb prints them:
 * 32-bit chunks from the highest, separated by commas, the first as many
 * digits wide as its bits need and the others 8; in a scratch buffer.
 */
static const char *hex_of(const cpu_set_t *set, int nbits)
{
	int chunk, bit, width = ((nbits - 1) % 32) / 4 + 1;
	char *out = scratch();
	unsigned int val;

	for (chunk = (nbits - 1) / 32; chunk >= 0; chunk--) {
		val = 0;
		for (bit = 0; bit < 32 && chunk * 32 + bit < nbits; bit++)
			if (CPU_ISSET(chunk * 32 + bit, set))
				val |= 1U << bit;
		append(out, LIST_MAX, "%s%0*x", out[0] ? "," : "", width, val);
		width = 8;
	}
	return out;
}

/* ---------------------------------------------------------------- topology */

#define SYS_CPU "/sys/devices/system/cpu"
#define SYS_NODE "/sys/devices/system/node"

/*
 * The machine the tests run on, read by topology_read() before each test
 * (CPUs and nodes in cpu_set_t, an id per bit).
 */
static struct {
	cpu_set_t online;		/* online CPUs: the top cpuset's cpus */
	cpu_set_t possible;		/* possible CPUs */
	int cpu[CPU_SETSIZE];		/* the online CPUs, ascending */
	int ncpus;			/* how many are online */
	int nr_cpu_ids;			/* the last possible CPU + 1 */
	int kernel_max;			/* NR_CPUS - 1 */
	cpu_set_t memory;		/* nodes with memory: the top cpuset's mems */
	int node[CPU_SETSIZE];		/* them, ascending */
	int nnodes;			/* how many have memory */
	int nr_node_ids;		/* the last possible node + 1 */
	int max_numnodes;		/* MAX_NUMNODES, nodelist_parse() limit */
	int nomem;			/* the first node above node[0] without memory, or -1 */
	char cpus[LIST_MAX];		/* online CPUs, as a range list */
	char possible_cpus[LIST_MAX];	/* possible CPUs, as a range list */
	char mems[LIST_MAX];		/* nodes with memory, as a range list */
} topo;

/*
 * MAX_NUMNODES, 1 << CONFIG_NODES_SHIFT: 1 without NUMA (no SYS_NODE); else
 * from /boot/config-<release> if there is one, else 64, the x86-64 default
 * (the test guest's).
 */
static int max_numnodes(void)
{
	struct utsname u;
	char path[sizeof(u.release) + 16], line[256];
	int shift = 6;
	FILE *f;

	if (access(SYS_NODE, F_OK))
		return 1;
	if (uname(&u))
		return 1 << shift;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	f = fopen(path, "r");
	if (!f)
		return 1 << shift;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CONFIG_NODES_SHIFT=%d", &shift) == 1)
			break;
	fclose(f);
	return shift >= 0 && shift <= 10 ? 1 << shift : 64;
}

/*
 * Reads the machine's topology into topo: 0, or -1 with the reason in @why.
 * Without NUMA (no SYS_NODE), node 0 is the only node.
 */
static int topology_read(char *why, size_t size)
{
	cpu_set_t possible_nodes;
	char buf[64];
	int id;

	memset(&topo, 0, sizeof(topo));
	if (read_list(SYS_CPU "/online", &topo.online) ||
	    read_list(SYS_CPU "/possible", &topo.possible) ||
	    read_text(SYS_CPU "/kernel_max", buf, sizeof(buf)) <= 0) {
		snprintf(why, size, "cannot read %s/{online,possible,kernel_max} (or ids reach %d)",
			 SYS_CPU, CPU_SETSIZE);
		return -1;
	}
	topo.kernel_max = atoi(buf);
	CPU_ZERO(&topo.memory);
	CPU_ZERO(&possible_nodes);
	if (access(SYS_NODE, F_OK)) {
		CPU_SET(0, &topo.memory);
		CPU_SET(0, &possible_nodes);
	} else if (read_list(SYS_NODE "/has_memory", &topo.memory) ||
		   read_list(SYS_NODE "/possible", &possible_nodes)) {
		snprintf(why, size, "cannot read %s/{has_memory,possible} (or node ids reach %d)",
			 SYS_NODE, CPU_SETSIZE);
		return -1;
	}
	topo.max_numnodes = max_numnodes();
	topo.nomem = -1;
	for (id = 0; id < CPU_SETSIZE; id++) {
		if (CPU_ISSET(id, &topo.online))
			topo.cpu[topo.ncpus++] = id;
		if (CPU_ISSET(id, &topo.possible))
			topo.nr_cpu_ids = id + 1;
		if (CPU_ISSET(id, &topo.memory))
			topo.node[topo.nnodes++] = id;
		else if (topo.nnodes && topo.nomem < 0 && id < topo.max_numnodes)
			topo.nomem = id;
		if (CPU_ISSET(id, &possible_nodes))
			topo.nr_node_ids = id + 1;
	}
	if (!topo.ncpus || !topo.nnodes) {
		snprintf(why, size, "no online CPU or no node with memory");
		return -1;
	}
	list_of(&topo.online, topo.cpus, sizeof(topo.cpus));
	list_of(&topo.possible, topo.possible_cpus, sizeof(topo.possible_cpus));
	list_of(&topo.memory, topo.mems, sizeof(topo.mems));
	return 0;
}

/*
 * The tests were written for the guest's CPUs 0-3 and nodes 0-1, and name
 * CPUs and nodes by role: CPU roles 0 and 1 are played by the first two
 * online CPUs and roles 2 and 3 by the last two, node role 0 by the first
 * node with memory and role 1 by the last. With fewer than 4 CPUs (2 nodes)
 * one plays more than one role; a test that needs them distinct skips.
 */
static int rcpu(int role)
{
	int i = role < 2 ? role : topo.ncpus - 4 + role;

	return topo.cpu[i < 0 ? 0 : i < topo.ncpus ? i : topo.ncpus - 1];
}

static int rnode(int role)
{
	return topo.node[role ? topo.nnodes - 1 : 0];
}

/* The CPUs (@nodes 0) or nodes (1) that play @roles, a range list of roles, in @set. */
static void roles_set(const char *roles, int nodes, cpu_set_t *set)
{
	cpu_set_t r;
	int role;

	CPU_ZERO(set);
	if (parse_list(roles, &r))
		return;
	for (role = 0; role < 4; role++)
		if (CPU_ISSET(role, &r))
			CPU_SET(nodes ? rnode(role) : rcpu(role), set);
}

/* The range list of the CPUs (@nodes 0) or nodes (1) that play @roles; a final newline stays. */
static const char *roles_list(const char *roles, int nodes)
{
	size_t len = strlen(roles);
	char *out = scratch();
	cpu_set_t set;

	roles_set(roles, nodes, &set);
	list_of(&set, out, LIST_MAX);
	if (len && roles[len - 1] == '\n')
		append(out, LIST_MAX, "\n");
	return out;
}

/* The CPUs that play CPU @roles, as a range list: rcpus("1-2\n") is "1-2\n" on the guest. */
static const char *rcpus(const char *roles)
{
	return roles_list(roles, 0);
}

/* The nodes that play node @roles, as a range list: rmems("0-1") is "0-1" on the guest. */
static const char *rmems(const char *roles)
{
	return roles_list(roles, 1);
}

/* The CPUs that play CPU @roles as the hex mask of /proc/<pid>/status's Cpus_allowed. */
static const char *rcpus_hex(const char *roles)
{
	cpu_set_t set;

	roles_set(roles, 0, &set);
	return hex_of(&set, topo.nr_cpu_ids);
}

/* The nodes that play node @roles as the hex mask of Mems_allowed (MAX_NUMNODES bits). */
static const char *rmems_hex(const char *roles)
{
	cpu_set_t set;

	roles_set(roles, 1, &set);
	return hex_of(&set, topo.max_numnodes);
}

/* The nodes that play node @roles as a node mask for the memory policy calls. */
static unsigned long rmask(const char *roles)
{
	unsigned long mask = 0;
	cpu_set_t set;
	int node;

	roles_set(roles, 1, &set);
	for (node = 0; node < NODE_BITS; node++)
		if (CPU_ISSET(node, &set))
			mask |= 1UL << node;
	return mask;
}

/*
 * Whether there are fewer than @cpus online CPUs or @nodes nodes with memory
 * than a test needs for distinct roles; if so, @why says so, for SKIP.
 */
static int too_few(char *why, size_t size, int cpus, int nodes)
{
	if (topo.ncpus >= cpus && topo.nnodes >= nodes)
		return 0;
	why[0] = '\0';
	append(why, size, "needs %d online CPUs and %d nodes with memory: CPUs %s, nodes %s",
	       cpus, nodes, topo.cpus, topo.mems);
	return 1;
}

/* Writes @len bytes of @data to @path in one write(); 0, -errno or -EIO if short. */
static int write_bytes(const char *path, const char *data, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

/* "@dir/@name", in a static buffer of four rotating slots. */
static const char *at(const char *dir, const char *name)
{
	static char bufs[4][512];
	static int slot;
	char *p = bufs[slot++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
	return p;
}

/* Makes @dir a cpuset with @cpus and @mems; 0 or -errno of the failing step. */
static int make_cpuset(const char *dir, const char *cpus, const char *mems)
{
	int ret;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	ret = write_text(at(dir, "cpuset.cpus"), cpus);
	if (!ret)
		ret = write_text(at(dir, "cpuset.mems"), mems);
	return ret;
}

/* Removes every directory below @dir, deepest first (not @dir itself). */
static void rmdir_below(const char *dir)
{
	struct dirent *d;
	char path[512];
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		rmdir_below(path);
		rmdir(path);
	}
	closedir(dp);
}

/* sched_getaffinity() of @tid as a range list, or "error <errno>". */
static const char *affinity_of(pid_t tid)
{
	static char out[LIST_MAX];
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(tid, sizeof(set), &set)) {
		snprintf(out, sizeof(out), "error %d", errno);
		return out;
	}
	return list_of(&set, out, sizeof(out));
}

/*
 * The line of @file (/proc/<pid>/status, /proc/<pid>/task/<tid>/status) that
 * starts with "@key:", without its newline; "" if there is none.
 */
static const char *status_line(const char *file, const char *key)
{
	static char line[LIST_MAX];
	char buf[16384], *l, *save;
	size_t klen = strlen(key);

	line[0] = '\0';
	if (read_text(file, buf, sizeof(buf)) < 0)
		return line;
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, key, klen) && l[klen] == ':') {
			snprintf(line, sizeof(line), "%s", l);
			break;
		}
	}
	return line;
}

static const char *proc_status(pid_t pid, const char *key)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return status_line(path, key);
}

/* A child that sleeps until killed. */
static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (!pid) {
		for (;;)
			pause();
	}
	return pid;
}

static void *idle_thread(void *arg)
{
	for (;;)
		pause();
	return arg;
}

/*
 * A child process of 1 + @threads threads that sleep until killed; returns
 * once every thread runs, or -1.
 */
static pid_t threaded_sleeper(int threads)
{
	int p[2], i;
	char c = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (!pid) {
		pthread_t t;

		close(p[0]);
		for (i = 0; i < threads; i++)
			if (pthread_create(&t, NULL, idle_thread, NULL))
				_exit(1);
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		if (pid > 0)
			kill_and_reap(pid);
		pid = -1;
	}
	close(p[0]);
	return pid;
}

/* Thread ids of process @pid (at most @max) in @tids; how many, or -1. */
static int threads_of(pid_t pid, pid_t *tids, int max)
{
	char path[64];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dp = opendir(path);
	if (!dp)
		return -1;
	while ((d = readdir(dp)) && n < max) {
		if (d->d_name[0] != '.')
			tids[n++] = atoi(d->d_name);
	}
	closedir(dp);
	return n;
}

/* Number of lines of @path (ids in a tasks file), or -1. */
static int count_lines(const char *path)
{
	char buf[65536];
	ssize_t len = read_text(path, buf, sizeof(buf));
	int n = 0;

	if (len < 0)
		return -1;
	while (len-- > 0)
		n += buf[len] == '\n';
	return n;
}

/* Maps NPAGES private anonymous pages and writes to each; the mapping or NULL. */
static char *touch_pages(void)
{
	long psize = sysconf(_SC_PAGESIZE);
	char *p;
	int i;

	p = mmap(NULL, NPAGES * psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < NPAGES; i++)
		p[i * psize] = i;
	return p;
}

/*
 * Where the NPAGES pages at @p are: counts on the nodes of node roles 0 and
 * 1 in count[0] and count[1], pages move_pages() and get_mempolicy() disagree
 * on in count[2], pages on neither node in count[3]. Returns 0, or -errno of
 * move_pages().
 */
static int pages_where(char *p, int count[4])
{
	long psize = sysconf(_SC_PAGESIZE);
	void *pages[NPAGES];
	int status[NPAGES], i, node;

	memset(count, 0, 4 * sizeof(int));
	for (i = 0; i < NPAGES; i++) {
		pages[i] = p + i * psize;
		status[i] = -12345;
	}
	if (sys_move_pages(0, NPAGES, pages, NULL, status, 0))
		return -errno;
	for (i = 0; i < NPAGES; i++) {
		node = -1;
		if (sys_get_mempolicy(&node, NULL, 0, pages[i], MPOL_F_NODE | MPOL_F_ADDR) ||
		    node != status[i])
			count[2]++;
		if (status[i] == rnode(0))
			count[0]++;
		else if (status[i] == rnode(1))
			count[1]++;
		else
			count[3]++;
	}
	return 0;
}

/* @count of pages_where(), for a log. */
static const char *where(const int count[4])
{
	char *out = scratch();

	snprintf(out, LIST_MAX, "node %d: %d, node %d: %d, disagree %d, other %d",
		 rnode(0), count[0], rnode(1), count[1], count[2], count[3]);
	return out;
}

/*
 * Whether the memory tests can run here: two nodes with memory (node roles
 * 0 and 1 distinct), node masks of NODE_BITS enough for get_mempolicy(), and
 * a working move_pages() (CONFIG_MIGRATION). If not, @why says why not.
 */
static int can_test_memory(char *why, size_t size)
{
	int status = -1;
	void *page = &status;

	if (too_few(why, size, 1, 2))
		return 0;
	if (topo.nr_node_ids > NODE_BITS) {
		snprintf(why, size, "node ids up to %d: more than a %d-bit node mask",
			 topo.nr_node_ids - 1, NODE_BITS);
		return 0;
	}
	if (!sys_move_pages(0, 1, &page, NULL, &status, 0))
		return 1;
	snprintf(why, size, "move_pages() fails: %s", strerror(errno));
	return 0;
}

/* The file that takes CPU @cpu offline and online. */
static const char *online_file(int cpu)
{
	char *out = scratch();

	snprintf(out, LIST_MAX, SYS_CPU "/cpu%d/online", cpu);
	return out;
}

/* Takes CPU @cpu offline (@on 0) or online (1); 0 or -errno. */
static int cpu_online(int cpu, int on)
{
	return write_text(online_file(cpu), on ? "1" : "0");
}

/* Kernel log records (/dev/kmsg) from @fd, opened non-blocking, into @buf. */
static void read_kmsg(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while (len + 1024 < size) {
		n = read(fd, buf + len, size - len - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		len += n;
		buf[len] = '\0';
	}
}

/* /dev/kmsg positioned at its end, for the records that follow; or -1. */
static int kmsg_from_now(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* ----------------------------------------------------------------- fixture */

FIXTURE(cs) {
	char verbose[8];	/* sched/verbose before the test, if it changed it */
};

/* Children of the test, for the teardown to kill (it runs in the test's process). */
static pid_t helpers[64];
static int nhelpers;

/* Remembers a child for the teardown to kill. */
static pid_t keep(pid_t pid)
{
	if (pid > 0 && nhelpers < (int)ARRAY_SIZE(helpers))
		helpers[nhelpers++] = pid;
	return pid;
}

FIXTURE_SETUP(cs)
{
	char why[256];

	if (topology_read(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, try_mount(MNT, "cpuset"));
}

/*
 * Puts everything back: the root cpuset's settings outlive the hierarchy
 * (top_cpuset is static), so a test that changed them restores them here.
 */
FIXTURE_TEARDOWN(cs)
{
	int i;

	write_pid(MNT "/tasks", getpid());
	for (i = 0; i < nhelpers; i++)
		kill_and_reap(helpers[i]);
	/* The CPU the hotplug tests take offline: role 3. */
	if (file_is(online_file(rcpu(3)), "0\n"))
		cpu_online(rcpu(3), 1);
	if (self->verbose[0])
		EXPECT_EQ(0, write_text("/sys/kernel/debug/sched/verbose", self->verbose));
	rmdir_below(MNT);
	/* The top cpuset's settings back to their defaults, for the next test. */
	EXPECT_EQ(0, write_text(MNT "/cpuset.sched_load_balance", "1"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.sched_relax_domain_level", "-1"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.memory_spread_page", "0"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.memory_spread_slab", "0"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.memory_pressure_enabled", "0"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.mem_hardwall", "0"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.memory_migrate", "0"));
	EXPECT_EQ(0, write_text(MNT "/cgroup.clone_children", "0"));
	wait_num_cgroups("cpuset", 1);
	umount(MNT);
	wait_hierarchy_gone(":cpuset:");
}

/* ------------------------------------------------------------ files */

static const char * const root_files[] = {
	"cgroup.clone_children", "cgroup.procs", "cgroup.sane_behavior",
	"cpuset.cpu_exclusive", "cpuset.cpus", "cpuset.effective_cpus",
	"cpuset.effective_mems", "cpuset.mem_exclusive", "cpuset.mem_hardwall",
	"cpuset.memory_migrate", "cpuset.memory_pressure",
	"cpuset.memory_pressure_enabled", "cpuset.memory_spread_page",
	"cpuset.memory_spread_slab", "cpuset.mems", "cpuset.sched_load_balance",
	"cpuset.sched_relax_domain_level", "notify_on_release", "release_agent",
	"tasks",
};

/* Whether @name is one of the files only the root has. */
static int root_only(const char *name)
{
	return !strcmp(name, "cgroup.sane_behavior") || !strcmp(name, "release_agent") ||
	       !strcmp(name, "cpuset.memory_pressure_enabled");
}

static int mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	return st.st_mode & 07777;
}

/* Space-separated sorted names in @dir, without . and ..; "?" if unreadable. */
static void list_dir(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	int n, i;

	out[0] = '\0';
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		snprintf(out, size, "?");
		return;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", size - strlen(out) - 1);
			strncat(out, names[i]->d_name, size - strlen(out) - 1);
		}
		free(names[i]);
	}
	free(names);
}

/* The expected listing: root_files, with or without the root-only ones, prefixed or not. */
static void expected_listing(int root, int prefixed, char *out, size_t size)
{
	const char *names[ARRAY_SIZE(root_files)];
	unsigned int i, j, n = 0;

	for (i = 0; i < ARRAY_SIZE(root_files); i++) {
		if (!root && root_only(root_files[i]))
			continue;
		names[n] = root_files[i];
		if (!prefixed && !strncmp(names[n], "cpuset.", 7))
			names[n] += 7;
		n++;
	}
	/* alphasort order (the C locale's strcmp) */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(names[j], names[i]) < 0) {
				const char *t = names[i];

				names[i] = names[j];
				names[j] = t;
			}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strncat(out, " ", size - strlen(out) - 1);
		strncat(out, names[i], size - strlen(out) - 1);
	}
}

TEST_F(cs, root_files_and_defaults)
{
	const struct { const char *name, *text; int mode; } files[] = {
		{ "cpuset.cpus", nl(topo.cpus), 0644 },
		{ "cpuset.mems", nl(topo.mems), 0644 },
		{ "cpuset.effective_cpus", nl(topo.cpus), 0444 },
		{ "cpuset.effective_mems", nl(topo.mems), 0444 },
		{ "cpuset.cpu_exclusive", "1\n", 0644 },
		{ "cpuset.mem_exclusive", "1\n", 0644 },
		{ "cpuset.mem_hardwall", "0\n", 0644 },
		{ "cpuset.sched_load_balance", "1\n", 0644 },
		{ "cpuset.sched_relax_domain_level", "-1\n", 0644 },
		{ "cpuset.memory_migrate", "0\n", 0644 },
		{ "cpuset.memory_pressure", "0\n", 0444 },
		{ "cpuset.memory_pressure_enabled", "0\n", 0644 },
		{ "cpuset.memory_spread_page", "0\n", 0644 },
		{ "cpuset.memory_spread_slab", "0\n", 0644 },
		{ "cgroup.clone_children", "0\n", 0644 },
	};
	char names[2048], expected[2048];
	unsigned int i;

	list_dir(MNT, names, sizeof(names));
	expected_listing(1, 1, expected, sizeof(expected));
	EXPECT_STREQ(expected, names);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		EXPECT_FILE(at(MNT, files[i].name), files[i].text);
		EXPECT_EQ(files[i].mode, mode_of(at(MNT, files[i].name)))
			TH_LOG("%s", files[i].name);
	}
	EXPECT_EQ(0555, mode_of(MNT));
	EXPECT_FILE("/proc/self/cpuset", "/\n");
}

TEST_F(cs, child_files_and_defaults)
{
	static const struct { const char *name, *text; int mode; } files[] = {
		{ "cpuset.cpus", "\n", 0644 },
		{ "cpuset.mems", "\n", 0644 },
		{ "cpuset.effective_cpus", "\n", 0444 },
		{ "cpuset.effective_mems", "\n", 0444 },
		{ "cpuset.cpu_exclusive", "0\n", 0644 },
		{ "cpuset.mem_exclusive", "0\n", 0644 },
		{ "cpuset.mem_hardwall", "0\n", 0644 },
		{ "cpuset.sched_load_balance", "1\n", 0644 },
		{ "cpuset.sched_relax_domain_level", "-1\n", 0644 },
		{ "cpuset.memory_migrate", "0\n", 0644 },
		{ "cpuset.memory_pressure", "0\n", 0444 },
		{ "cpuset.memory_spread_page", "0\n", 0644 },
		{ "cpuset.memory_spread_slab", "0\n", 0644 },
		{ "cgroup.clone_children", "0\n", 0644 },
		{ "tasks", "", 0644 },
	};
	char names[2048], expected[2048];
	unsigned int i;

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	list_dir(MNT "/a", names, sizeof(names));
	expected_listing(0, 1, expected, sizeof(expected));
	EXPECT_STREQ(expected, names);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		EXPECT_FILE(at(MNT "/a", files[i].name), files[i].text);
		EXPECT_EQ(files[i].mode, mode_of(at(MNT "/a", files[i].name)))
			TH_LOG("%s", files[i].name);
	}
	EXPECT_EQ(0755, mode_of(MNT "/a"));
	/*
	 * Read-only files open for writing (root passes the mode check; cgroup
	 * files have no open-time check) and refuse the write: EINVAL.
	 */
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuset.effective_cpus", "0"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuset.effective_mems", "0"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuset.memory_pressure", "0"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/cpuset.effective_cpus", topo.cpus));
}

TEST_F(cs, spread_flags_are_inherited_others_not)
{
	ASSERT_EQ(0, write_text(MNT "/cpuset.memory_spread_page", "1"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, write_text(MNT "/cpuset.memory_spread_page", "0"));
	ASSERT_EQ(0, write_text(MNT "/cpuset.memory_spread_slab", "1"));
	ASSERT_EQ(0, write_text(MNT "/cpuset.mem_hardwall", "1"));
	ASSERT_EQ(0, write_text(MNT "/cpuset.memory_migrate", "1"));
	ASSERT_EQ(0, write_text(MNT "/cpuset.sched_relax_domain_level", "1"));
	ASSERT_EQ(0, mkdir(MNT "/b", 0755));
	EXPECT_FILE(MNT "/a/cpuset.memory_spread_page", "1\n");
	EXPECT_FILE(MNT "/a/cpuset.memory_spread_slab", "0\n");
	EXPECT_FILE(MNT "/b/cpuset.memory_spread_page", "0\n");
	EXPECT_FILE(MNT "/b/cpuset.memory_spread_slab", "1\n");
	/* Neither hardwall, migrate nor the relax level is inherited. */
	EXPECT_FILE(MNT "/b/cpuset.mem_hardwall", "0\n");
	EXPECT_FILE(MNT "/b/cpuset.memory_migrate", "0\n");
	EXPECT_FILE(MNT "/b/cpuset.sched_relax_domain_level", "-1\n");
	EXPECT_FILE(MNT "/b/cpuset.cpus", "\n");
	/* A grandchild inherits from its own parent. */
	ASSERT_EQ(0, mkdir(MNT "/a/c", 0755));
	EXPECT_FILE(MNT "/a/c/cpuset.memory_spread_page", "1\n");
	EXPECT_FILE(MNT "/a/c/cpuset.memory_spread_slab", "0\n");
}

/* Any topology: the roles may coincide, a's masks may be the root's. */
TEST_F(cs, clone_children_copies_masks)
{
	ASSERT_EQ(0, write_text(MNT "/cgroup.clone_children", "1"));
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_FILE(MNT "/a/cpuset.cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/a/cpuset.mems", nl(topo.mems));
	EXPECT_FILE(MNT "/a/cpuset.effective_cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/a/cpuset.effective_mems", nl(topo.mems));
	/* The flag is inherited and copies what the parent has now. */
	EXPECT_FILE(MNT "/a/cgroup.clone_children", "1\n");
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("1-2")));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("1")));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	EXPECT_FILE(MNT "/a/b/cpuset.cpus", rcpus("1-2\n"));
	EXPECT_FILE(MNT "/a/b/cpuset.mems", rmems("1\n"));
	/* Only the masks: the exclusive flags stay clear. */
	EXPECT_FILE(MNT "/a/b/cpuset.cpu_exclusive", "0\n");
	/* No copy while a sibling is cpu_exclusive... */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.cpus", rcpus("1")));
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, mkdir(MNT "/a/c", 0755));
	EXPECT_FILE(MNT "/a/c/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/a/c/cpuset.mems", "\n");
	/* ... or mem_exclusive. */
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.cpu_exclusive", "0"));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mem_exclusive", "1"));
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.mem_exclusive", "1"));
	ASSERT_EQ(0, mkdir(MNT "/a/d", 0755));
	EXPECT_FILE(MNT "/a/d/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/a/d/cpuset.mems", "\n");
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.mem_exclusive", "0"));
	ASSERT_EQ(0, mkdir(MNT "/a/e", 0755));
	EXPECT_FILE(MNT "/a/e/cpuset.cpus", rcpus("1-2\n"));
	EXPECT_FILE(MNT "/a/e/cpuset.mems", rmems("1\n"));
	ASSERT_EQ(0, rmdir(MNT "/a/e"));
	/* A sibling with both flags, then one: still no copy. */
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.mem_exclusive", "1"));
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.cpu_exclusive", "0"));
	ASSERT_EQ(0, mkdir(MNT "/a/g", 0755));
	EXPECT_FILE(MNT "/a/g/cpuset.cpus", "\n");
	/* Removing the exclusive sibling lets the copy happen again. */
	ASSERT_EQ(0, write_text(MNT "/a/b/cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, rmdir(MNT "/a/b"));
	ASSERT_EQ(0, mkdir(MNT "/a/h", 0755));
	EXPECT_FILE(MNT "/a/h/cpuset.cpus", rcpus("1-2\n"));
	EXPECT_FILE(MNT "/a/h/cpuset.mems", rmems("1\n"));
	/* Without the flag, nothing is copied. */
	ASSERT_EQ(0, write_text(MNT "/cgroup.clone_children", "0"));
	ASSERT_EQ(0, mkdir(MNT "/f", 0755));
	EXPECT_FILE(MNT "/f/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/f/cgroup.clone_children", "0\n");
}

/* ------------------------------------------------------------ write rules */

TEST_F(cs, root_masks_are_read_only)
{
	static const char * const values[] = { "0-3", "0-3\n", "0", "", "\n", "junk", "9" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(values); i++) {
		/* A zero-byte write returns 0 before anything looks at it. */
		int want = values[i][0] ? -EACCES : 0;

		EXPECT_EQ(want, write_text(MNT "/cpuset.cpus", values[i]))
			TH_LOG("'%s'", values[i]);
		EXPECT_EQ(want, write_text(MNT "/cpuset.mems", values[i]))
			TH_LOG("'%s'", values[i]);
	}
	/* Not even what they hold. */
	EXPECT_EQ(-EACCES, write_text(MNT "/cpuset.cpus", topo.cpus));
	EXPECT_EQ(-EACCES, write_text(MNT "/cpuset.mems", topo.mems));
	EXPECT_FILE(MNT "/cpuset.cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/cpuset.mems", nl(topo.mems));
}

/* A write to a cpus or mems file: what is written, and what it must do. */
struct list_case {
	const char *in;		/* a template for expand() */
	const char *out;	/* the same, for the list read back; NULL if unchanged */
	int err;		/* the write's -errno, or 0 */
};

/* What "$c" in a template becomes: text[c], unless that is NULL. */
struct subst {
	const char *text[128];
	char num[128][24];
};

static void subst_num(struct subst *v, unsigned char c, long n)
{
	snprintf(v->num[c], sizeof(v->num[c]), "%ld", n);
	v->text[c] = v->num[c];
}

/*
 * Expands the template @tmpl into @out: "$c" becomes @v->text[c]. Returns 0,
 * or -1 if that is NULL: the case needs what the machine does not have.
 */
static int expand(const char *tmpl, const struct subst *v, char *out, size_t size)
{
	out[0] = '\0';
	for (; *tmpl; tmpl++) {
		if (*tmpl != '$') {
			append(out, size, "%c", *tmpl);
			continue;
		}
		tmpl++;
		if (!*tmpl || !v->text[*tmpl & 127])
			return -1;
		append(out, size, "%s", v->text[*tmpl & 127]);
	}
	return 0;
}

/* The largest number written in decimal in @s; 0 if there is none. */
static unsigned long max_number(const char *s)
{
	unsigned long n, max = 0;
	char *end;

	while (*s) {
		if (!isdigit((unsigned char)*s)) {
			s++;
			continue;
		}
		n = strtoul(s, &end, 10);
		if (n > max)
			max = n;
		s = end;
	}
	return max;
}

/*
 * Writes @in to @file (cpuset.cpus or cpuset.mems) of MNT/a and checks that
 * the write returns @err and that @file and its effective_ twin then read
 * @out and a newline, or, when @out is NULL, what @file read before.
 */
static void write_case(struct __test_metadata *_metadata, const char *file, const char *in,
		       const char *out, int err)
{
	char prev[LIST_MAX], want[LIST_MAX], eff[64];

	ASSERT_LT(0, read_text(at(MNT "/a", file), prev, sizeof(prev)));
	EXPECT_EQ(err, write_text(at(MNT "/a", file), in)) TH_LOG("'%s'", in);
	/* Failed writes change nothing. */
	if (out)
		snprintf(want, sizeof(want), "%s\n", out);
	else
		snprintf(want, sizeof(want), "%s", prev);
	EXPECT_FILE(at(MNT "/a", file), want);
	snprintf(eff, sizeof(eff), "cpuset.effective_%s", file + strlen("cpuset."));
	EXPECT_FILE(at(MNT "/a", eff), want);
}

/*
 * The write_case()s of the @n @cases, their templates expanded with @v and
 * their lists read back put in the kernel's form. A case is left out if it
 * needs what the machine lacks, or expects ERANGE but names no number of
 * @limit or more. Returns how many were left out.
 */
static int write_cases(struct __test_metadata *_metadata, const char *file,
		       const struct list_case *cases, int n, const struct subst *v,
		       unsigned long limit)
{
	char in[256], out[LIST_MAX];
	int i, left_out = 0;
	const char *want;
	cpu_set_t set;

	for (i = 0; i < n; i++) {
		if (expand(cases[i].in, v, in, sizeof(in)) ||
		    (cases[i].out && expand(cases[i].out, v, out, sizeof(out))) ||
		    (cases[i].err == -ERANGE && max_number(in) < limit)) {
			left_out++;
			continue;
		}
		want = NULL;
		if (cases[i].out) {
			ASSERT_EQ(0, parse_list(out, &set)) TH_LOG("'%s'", out);
			want = list_of(&set, out, sizeof(out));
		}
		write_case(_metadata, file, in, want, cases[i].err);
	}
	return left_out;
}

TEST_F(cs, cpus_list_parsing)
{
	/*
	 * "$0" to "$3" are 4 consecutive online CPUs (0-3 on the guest; a case
	 * needing more than the machine has in a row is left out), "$n" is
	 * nr_cpu_ids (4), "$m" nr_cpu_ids + 1 and "$k" NR_CPUS - 1 (7).
	 */
	static const struct list_case cases[] = {
		{ "$0-$1", "$0-$1", 0 },
		{ "$0-$1,$3", "$0-$1,$3", 0 },
		{ "$0,$2-$3", "$0,$2-$3", 0 },
		{ "$3,$0", "$0,$3", 0 },
		{ "$0-$3", "$0-$3", 0 },
		{ " $2\x20\n", "$2", 0 },	/* stripped */
		{ "$1\n\n", "$1", 0 },
		{ "\t$0-$1\t", "$0-$1", 0 },
		{ "$1 $2", "$1-$2", 0 },		/* blanks separate like commas */
		{ "$1  ,  $3", "$1,$3", 0 },
		{ "$1-$2\n$3", "$1-$2", 0 },	/* a newline ends the list */
		{ "$0,,$1", "$0-$1", 0 },
		{ ",$1", "$1", 0 },
		{ "$0-$3:1/2", "$0,$2", 0 },	/* range:used/group */
		{ "$0-$3:0/2", "", 0 },
		{ "", NULL, 0 },		/* zero bytes: nothing happens */
		{ "\n", "", 0 },		/* empty: no CPUs */
		{ " ", "", 0 },
		{ "$0-$3,$m", NULL, -ERANGE },	/* past nr_cpu_ids */
		{ "$n", NULL, -ERANGE },
		{ "$k", NULL, -ERANGE },
		{ "1000", NULL, -ERANGE },
		{ "4294967296", NULL, -EOVERFLOW },
		{ "99999999999999999999", NULL, -EOVERFLOW },
		{ "3-1", NULL, -EINVAL },
		{ "0-", NULL, -EINVAL },
		{ "-1", NULL, -EINVAL },
		{ "a", NULL, -EINVAL },
		{ "0x1", NULL, -EINVAL },
		{ "1;2", NULL, -EINVAL },
		{ "0-3:2/1", NULL, -EINVAL },
		{ "0:1/2", NULL, -EINVAL },
		{ "0-3:1", NULL, -EINVAL },
	};
	int i, start = 0, run = 0, first = 0, left_out, all, last;
	struct subst v;
	char n[16];

	memset(&v, 0, sizeof(v));
	for (i = 0; i < topo.ncpus && run < 4; i++) {
		if (i && topo.cpu[i] != topo.cpu[i - 1] + 1)
			start = i;
		if (i - start + 1 > run) {
			run = i - start + 1;
			first = topo.cpu[start];
		}
	}
	for (i = 0; i < run; i++)
		subst_num(&v, '0' + i, first + i);
	subst_num(&v, 'n', topo.nr_cpu_ids);
	subst_num(&v, 'm', topo.nr_cpu_ids + 1);
	subst_num(&v, 'k', topo.kernel_max);

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", topo.cpus));
	left_out = write_cases(_metadata, "cpuset.cpus", cases, ARRAY_SIZE(cases), &v,
			       topo.nr_cpu_ids);
	if (left_out)
		TH_LOG("%d cases left out: %d CPUs in a row from %d, nr_cpu_ids %d, NR_CPUS %d",
		       left_out, run, first, topo.nr_cpu_ids, topo.kernel_max + 1);
	/* "all" and "0-N" are CPUs 0 to nr_cpu_ids - 1, "N" the last: online, or EINVAL. */
	all = topo.ncpus == topo.nr_cpu_ids;
	write_case(_metadata, "cpuset.cpus", "all", all ? topo.cpus : NULL, all ? 0 : -EINVAL);
	write_case(_metadata, "cpuset.cpus", "0-N", all ? topo.cpus : NULL, all ? 0 : -EINVAL);
	last = CPU_ISSET(topo.nr_cpu_ids - 1, &topo.online);
	snprintf(n, sizeof(n), "%d", topo.nr_cpu_ids - 1);
	write_case(_metadata, "cpuset.cpus", "N", last ? n : NULL, last ? 0 : -EINVAL);
}

/* @buf, @len bytes: the number @n, then blanks. */
static const char *padded(char *buf, size_t len, int n)
{
	char num[16];
	int digits = snprintf(num, sizeof(num), "%d", n);

	memset(buf, ' ', len);
	memcpy(buf, num, digits);
	return buf;
}

TEST_F(cs, cpus_write_size_limit)
{
	static char buf[65536];
	int max;

	/* cpus takes writes of up to 100 + 6 * NR_CPUS bytes (kernel_max is NR_CPUS - 1). */
	max = 100 + 6 * (topo.kernel_max + 1);
	ASSERT_GT((int)sizeof(buf), max);
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_EQ(0, write_bytes(MNT "/a/cpuset.cpus", padded(buf, max, rcpu(2)), max));
	EXPECT_FILE(MNT "/a/cpuset.cpus", rcpus("2\n"));
	EXPECT_EQ(-E2BIG, write_bytes(MNT "/a/cpuset.cpus", padded(buf, max + 1, rcpu(1)),
				      max + 1));
	if (max < 4096)
		EXPECT_EQ(-E2BIG, write_bytes(MNT "/a/cpuset.cpus", padded(buf, 4097, rcpu(1)),
					      4097));
	EXPECT_FILE(MNT "/a/cpuset.cpus", rcpus("2\n"));
	/* mems: 100 + 6 * MAX_NUMNODES. */
	max = 100 + 6 * topo.max_numnodes;
	ASSERT_GT((int)sizeof(buf), max);
	EXPECT_EQ(0, write_bytes(MNT "/a/cpuset.mems", padded(buf, max, rnode(1)), max));
	EXPECT_FILE(MNT "/a/cpuset.mems", rmems("1\n"));
	EXPECT_EQ(-E2BIG, write_bytes(MNT "/a/cpuset.mems", padded(buf, max + 1, rnode(0)),
				      max + 1));
	EXPECT_FILE(MNT "/a/cpuset.mems", rmems("1\n"));
	/* The flags take up to a page. */
	padded(buf, 4097, 1);
	EXPECT_EQ(-E2BIG, write_bytes(MNT "/a/cpuset.mem_hardwall", buf, 4097));
	EXPECT_EQ(-EINVAL, write_bytes(MNT "/a/cpuset.mem_hardwall", buf, 4096));
	EXPECT_FILE(MNT "/a/cpuset.mem_hardwall", "0\n");
}

TEST_F(cs, mems_list_parsing)
{
	/*
	 * "$0" and "$1" are the nodes of node roles 0 and 1 (0 and 1 on the
	 * guest), "$a" all nodes with memory (0-1), "$x" the first node above
	 * "$0" without memory (2), "$M" MAX_NUMNODES (64).
	 */
	static const struct list_case cases[] = {
		{ "$1", "$1", 0 },
		{ "$a", "$a", 0 },
		{ "$0\n", "$0", 0 },
		{ " $1 , $0 ", "$0,$1", 0 },
		{ "$x", NULL, -EINVAL },	/* not a node of the root */
		{ "$0-$x", NULL, -EINVAL },
		{ "$M", NULL, -ERANGE },	/* past MAX_NUMNODES */
		{ "1000", NULL, -ERANGE },
		{ "4294967296", NULL, -EOVERFLOW },
		{ "a", NULL, -EINVAL },
		{ "1-0", NULL, -EINVAL },
		{ "\n", "", 0 },
	};
	struct subst v;
	int left_out, mem;
	char n[16];

	memset(&v, 0, sizeof(v));
	subst_num(&v, '0', rnode(0));
	subst_num(&v, '1', rnode(1));
	v.text['a'] = topo.mems;
	if (topo.nomem >= 0)
		subst_num(&v, 'x', topo.nomem);
	subst_num(&v, 'M', topo.max_numnodes);

	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	left_out = write_cases(_metadata, "cpuset.mems", cases, ARRAY_SIZE(cases), &v,
			       topo.max_numnodes);
	if (left_out)
		TH_LOG("%d cases left out: nodes with memory %s, MAX_NUMNODES %d",
		       left_out, topo.mems, topo.max_numnodes);
	/* "N" is node MAX_NUMNODES - 1 (63): with memory, or not a node of the root. */
	mem = CPU_ISSET(topo.max_numnodes - 1, &topo.memory);
	snprintf(n, sizeof(n), "%d", topo.max_numnodes - 1);
	write_case(_metadata, "cpuset.mems", "N", mem ? n : NULL, mem ? 0 : -EINVAL);
	write_case(_metadata, "cpuset.mems", n, mem ? n : NULL, mem ? 0 : -EINVAL);
}

TEST_F(cs, subsets_of_parent_and_children)
{
	char why[256], past[16];
	int err;

	if (too_few(why, sizeof(why), 4, 1))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("0-2"), topo.mems));
	ASSERT_EQ(0, mkdir(MNT "/a/b", 0755));
	/* Not a subset of the parent: EACCES. */
	EXPECT_EQ(-EACCES, write_text(MNT "/a/b/cpuset.cpus", rcpus("3")));
	EXPECT_EQ(-EACCES, write_text(MNT "/a/b/cpuset.cpus", rcpus("0-3")));
	EXPECT_EQ(0, write_text(MNT "/a/b/cpuset.cpus", rcpus("1-2")));
	EXPECT_EQ(0, write_text(MNT "/a/b/cpuset.mems", rmems("1")));
	/*
	 * Past the machine is checked first: EINVAL or ERANGE, not EACCES
	 * (for the mems a node without memory, or if every node below
	 * MAX_NUMNODES has some, MAX_NUMNODES).
	 */
	snprintf(past, sizeof(past), "%d", topo.nr_cpu_ids + 1);
	EXPECT_EQ(-ERANGE, write_text(MNT "/a/b/cpuset.cpus", past));
	snprintf(past, sizeof(past), "%d", topo.nomem >= 0 ? topo.nomem : topo.max_numnodes);
	err = topo.nomem >= 0 ? -EINVAL : -ERANGE;
	EXPECT_EQ(err, write_text(MNT "/a/b/cpuset.mems", past));
	/* A child would stop being a subset: EBUSY. */
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.cpus", rcpus("0-1")));
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.cpus", rcpus("2-3")));
	/* (With one node, b's is a's only node.) */
	if (topo.nnodes > 1)
		EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.mems", rmems("0")));
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.cpus", "\n"));
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.mems", "\n"));
	EXPECT_FILE(MNT "/a/cpuset.cpus", rcpus("0-2\n"));
	EXPECT_FILE(MNT "/a/cpuset.mems", nl(topo.mems));
	/* Growing, or shrinking around the child, is fine. */
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("0-3")));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("1-3")));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("1")));
	EXPECT_FILE(MNT "/a/cpuset.cpus", rcpus("1-3\n"));
	EXPECT_FILE(MNT "/a/b/cpuset.cpus", rcpus("1-2\n"));
	/* The child's check comes before the parent's: EBUSY wins. */
	ASSERT_EQ(0, mkdir(MNT "/a/b/c", 0755));
	ASSERT_EQ(0, write_text(MNT "/a/b/c/cpuset.cpus", rcpus("2")));
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/b/cpuset.cpus", rcpus("3")));
	/* An empty child is a subset of anything. */
	EXPECT_EQ(0, write_text(MNT "/a/b/c/cpuset.cpus", "\n"));
	EXPECT_EQ(0, write_text(MNT "/a/b/cpuset.cpus", rcpus("3")));
	EXPECT_FILE(MNT "/a/b/cpuset.cpus", rcpus("3\n"));
	EXPECT_FILE(MNT "/a/b/c/cpuset.cpus", "\n");
}

/* Any topology: the roles may coincide. */
TEST_F(cs, empty_masks_refused_while_populated)
{
	char none[64];
	pid_t pid;

	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("0-1"), rmems("0")));
	pid = keep(sleeper());
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", pid));
	EXPECT_EQ(-ENOSPC, write_text(MNT "/a/cpuset.cpus", "\n"));
	EXPECT_EQ(-ENOSPC, write_text(MNT "/a/cpuset.cpus", " "));
	EXPECT_EQ(-ENOSPC, write_text(MNT "/a/cpuset.mems", "\n"));
	/* A range of none of its CPUs. */
	snprintf(none, sizeof(none), "%d-%d:0/2", rcpu(0), rcpu(3));
	EXPECT_EQ(-ENOSPC, write_text(MNT "/a/cpuset.cpus", none));
	EXPECT_FILE(MNT "/a/cpuset.cpus", rcpus("0-1\n"));
	EXPECT_FILE(MNT "/a/cpuset.mems", rmems("0\n"));
	/* Non-empty changes are fine. */
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("1")));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("1")));
	/* Zombies do not count. */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(0, wait_file(MNT "/a/tasks", "", 5000));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.cpus", "\n"));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.mems", "\n"));
	EXPECT_FILE(MNT "/a/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/a/cpuset.mems", "\n");
}

TEST_F(cs, exclusive_flags)
{
	char why[256];

	if (too_few(why, sizeof(why), 4, 2))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("0-1"), rmems("0")));
	ASSERT_EQ(0, make_cpuset(MNT "/a/x", rcpus("0"), rmems("0")));
	/* Setting needs the parent's flag. */
	EXPECT_EQ(-EACCES, write_text(MNT "/a/x/cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(-EACCES, write_text(MNT "/a/x/cpuset.mem_exclusive", "1"));
	EXPECT_FILE(MNT "/a/x/cpuset.cpu_exclusive", "0\n");
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.mem_exclusive", "1\n"));
	EXPECT_EQ(0, write_text(MNT "/a/x/cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(0, write_text(MNT "/a/x/cpuset.mem_exclusive", "1"));
	EXPECT_FILE(MNT "/a/cpuset.cpu_exclusive", "1\n");
	EXPECT_FILE(MNT "/a/x/cpuset.mem_exclusive", "1\n");
	/* Clearing while a child has it: EBUSY. */
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.cpu_exclusive", "0"));
	EXPECT_EQ(-EBUSY, write_text(MNT "/a/cpuset.mem_exclusive", "0"));
	EXPECT_EQ(-EBUSY, write_text(MNT "/cpuset.cpu_exclusive", "0"));
	EXPECT_FILE(MNT "/a/cpuset.cpu_exclusive", "1\n");
	/* A sibling may not overlap an exclusive cpuset: EINVAL. */
	ASSERT_EQ(0, mkdir(MNT "/b", 0755));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.cpus", rcpus("1-2")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.cpus", rcpus("0-3")));
	EXPECT_EQ(0, write_text(MNT "/b/cpuset.cpus", rcpus("2-3")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.mems", rmems("0")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.mems", rmems("0-1")));
	EXPECT_EQ(0, write_text(MNT "/b/cpuset.mems", rmems("1")));
	/* ... nor an exclusive cpuset grow into a sibling. */
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuset.cpus", rcpus("0-2")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuset.mems", rmems("0-1")));
	/* Setting the flag over an overlap: EINVAL. */
	ASSERT_EQ(0, make_cpuset(MNT "/c", rcpus("2"), rmems("1")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.mem_exclusive", "1"));
	EXPECT_EQ(0, write_text(MNT "/c/cpuset.cpus", "\n"));
	EXPECT_EQ(0, write_text(MNT "/b/cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/b/cpuset.mem_exclusive", "1"));
	EXPECT_EQ(0, write_text(MNT "/c/cpuset.mems", "\n"));
	EXPECT_EQ(0, write_text(MNT "/b/cpuset.mem_exclusive", "1"));
	/* An empty sibling overlaps nothing. */
	EXPECT_EQ(-EINVAL, write_text(MNT "/c/cpuset.cpus", rcpus("3")));
	EXPECT_FILE(MNT "/c/cpuset.cpus", "\n");
	/* A child's cpus stay within its exclusive parent's, as always. */
	EXPECT_EQ(-EACCES, write_text(MNT "/a/x/cpuset.cpus", rcpus("0-2")));
	/* Exclusive siblings under an exclusive parent. */
	EXPECT_EQ(0, write_text(MNT "/a/x/cpuset.mem_exclusive", "0"));
	ASSERT_EQ(0, make_cpuset(MNT "/a/y", rcpus("1"), rmems("0")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/y/cpuset.mem_exclusive", "1"));
	EXPECT_EQ(0, write_text(MNT "/a/y/cpuset.cpu_exclusive", "1"));
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/y/cpuset.cpus", rcpus("0-1")));
	/* Clearing is always allowed without exclusive children. */
	EXPECT_EQ(0, write_text(MNT "/a/y/cpuset.cpu_exclusive", "0"));
	EXPECT_EQ(0, write_text(MNT "/a/x/cpuset.cpu_exclusive", "0"));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.cpu_exclusive", "0"));
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.mem_exclusive", "0"));
	EXPECT_FILE(MNT "/a/cpuset.cpu_exclusive", "0\n");
}

TEST_F(cs, flag_files)
{
	static const char * const flags[] = {
		"cpuset.mem_hardwall", "cpuset.memory_migrate", "cpuset.memory_spread_page",
		"cpuset.memory_spread_slab", "cpuset.sched_load_balance",
	};
	unsigned int i;

	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("0-1"), rmems("0")));
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		const char *f = at(MNT "/a", flags[i]);

		EXPECT_EQ(0, write_text(f, "0\n"));
		EXPECT_FILE(f, "0\n");
		EXPECT_EQ(0, write_text(f, "1"));
		EXPECT_FILE(f, "1\n");
		EXPECT_EQ(0, write_text(f, "0"));
		EXPECT_EQ(0, write_text(f, "2"));	/* any non-zero sets it */
		EXPECT_FILE(f, "1\n");
		EXPECT_EQ(0, write_text(f, "00"));
		EXPECT_FILE(f, "0\n");
		EXPECT_EQ(0, write_text(f, "0x10"));
		EXPECT_FILE(f, "1\n");
		/*
		 * The u64 is passed on as an int: 2^32 reads as 0 and clears
		 * the flag.
		 */
		EXPECT_EQ(0, write_text(f, "4294967296"));
		EXPECT_FILE(f, "0\n");
		EXPECT_EQ(0, write_text(f, "4294967297"));
		EXPECT_FILE(f, "1\n");
		EXPECT_EQ(-EINVAL, write_text(f, "-1"));
		EXPECT_EQ(-EINVAL, write_text(f, "abc"));
		EXPECT_EQ(-EINVAL, write_text(f, " 0"));
		EXPECT_EQ(-EINVAL, write_text(f, "0 "));
		EXPECT_EQ(-EINVAL, write_text(f, "0\n\n"));
		EXPECT_EQ(-EINVAL, write_text(f, "08"));
		EXPECT_EQ(-ERANGE, write_text(f, "99999999999999999999"));
		EXPECT_EQ(0, write_text(f, ""));
		EXPECT_FILE(f, "1\n");
	}
	/* memory_pressure_enabled (root only) keeps any non-zero value as 1. */
	EXPECT_EQ(-ENOENT, write_text(MNT "/a/cpuset.memory_pressure_enabled", "1"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.memory_pressure_enabled", "4294967296"));
	EXPECT_FILE(MNT "/cpuset.memory_pressure_enabled", "1\n");
	EXPECT_EQ(-EINVAL, write_text(MNT "/cpuset.memory_pressure_enabled", "x"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.memory_pressure_enabled", "0"));
	EXPECT_FILE(MNT "/cpuset.memory_pressure_enabled", "0\n");
	/* The root's flags may be changed too. */
	EXPECT_EQ(0, write_text(MNT "/cpuset.mem_hardwall", "1"));
	EXPECT_FILE(MNT "/cpuset.mem_hardwall", "1\n");
	EXPECT_EQ(0, write_text(MNT "/cpuset.mem_hardwall", "0"));
	/* memory_pressure is a rate: 0 without reclaim. */
	EXPECT_FILE(MNT "/a/cpuset.memory_pressure", "0\n");
}

TEST_F(cs, sched_relax_domain_level)
{
	static const struct { const char *in, *out; int err; } cases[] = {
		{ "0", "0\n", 0 },
		{ "1\n", "1\n", 0 },
		{ "-1", "-1\n", 0 },
		{ "0x2", "2\n", 0 },
		{ "03", "3\n", 0 },
		{ "-0x1", "-1\n", 0 },
		{ "-2", NULL, -EINVAL },
		{ "100", NULL, -EINVAL },
		{ "-100", NULL, -EINVAL },
		{ "abc", NULL, -EINVAL },
		{ "1 ", NULL, -EINVAL },
		{ "99999999999999999999", NULL, -ERANGE },
		{ "-99999999999999999999", NULL, -ERANGE },
	};
	char prev[32];
	unsigned int i;

	ASSERT_EQ(0, make_cpuset(MNT "/a", topo.cpus, topo.mems));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *f = MNT "/a/cpuset.sched_relax_domain_level";

		ASSERT_LT(0, read_text(f, prev, sizeof(prev)));
		EXPECT_EQ(cases[i].err, write_text(f, cases[i].in)) TH_LOG("'%s'", cases[i].in);
		EXPECT_FILE(f, cases[i].out ?: prev);
	}
	/* The root's level is writable. */
	EXPECT_EQ(0, write_text(MNT "/cpuset.sched_relax_domain_level", "1"));
	EXPECT_FILE(MNT "/cpuset.sched_relax_domain_level", "1\n");
	EXPECT_EQ(-EINVAL, write_text(MNT "/cpuset.sched_relax_domain_level", "-2"));
	EXPECT_EQ(0, write_text(MNT "/cpuset.sched_relax_domain_level", "-1"));
}

/* ------------------------------------------------------------ scheduler domains */

#define SD "/sys/kernel/debug/sched"

/*
 * Turns on the scheduler's verbose debugging (which makes
 * /sys/kernel/debug/sched/domains and logs rebuilt domains), keeping the old
 * value in @old for the teardown; 0 if there is no such file, else 1.
 */
static int sched_verbose_on(char *old, size_t size)
{
	if (read_text(SD "/verbose", old, size) <= 0) {
		old[0] = '\0';
		return 0;
	}
	return !write_text(SD "/verbose", "Y");
}

#define NO_SCHED_VERBOSE "no writable " SD "/verbose (needs debugfs and CONFIG_SCHED_DEBUG)"

/* "name@level name@level ..." of CPU @cpu's domains, innermost first. */
static const char *domains_of(int cpu)
{
	static char out[256];
	char path[128], name[32], level[16];
	int i;

	out[0] = '\0';
	for (i = 0; ; i++) {
		snprintf(path, sizeof(path), SD "/domains/cpu%d/domain%d/name", cpu, i);
		if (read_text(path, name, sizeof(name)) <= 0)
			break;
		snprintf(path, sizeof(path), SD "/domains/cpu%d/domain%d/level", cpu, i);
		if (read_text(path, level, sizeof(level)) <= 0)
			break;
		name[strcspn(name, "\n")] = '\0';
		level[strcspn(level, "\n")] = '\0';
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s@%s",
			 i ? " " : "", name, level);
	}
	return out;
}

/* The highest domain level of any CPU: the scheduler's sched_domain_level_max. */
static int max_domain_level(void)
{
	char path[128], level[16];
	int c, i, max = -1;

	for (c = 0; c < topo.ncpus; c++) {
		for (i = 0; ; i++) {
			snprintf(path, sizeof(path), SD "/domains/cpu%d/domain%d/level",
				 topo.cpu[c], i);
			if (read_text(path, level, sizeof(level)) <= 0)
				break;
			if (atoi(level) > max)
				max = atoi(level);
		}
	}
	return max;
}

TEST_F(cs, sched_relax_domain_level_bound)
{
	char buf[16];
	int max;

	if (!sched_verbose_on(self->verbose, sizeof(self->verbose)))
		SKIP(return, NO_SCHED_VERBOSE);
	max = max_domain_level();
	/* One CPU has no domains; the level it was built with (and never removed) is 0. */
	if (topo.ncpus == 1 && max < 0)
		max = 0;
	ASSERT_LE(0, max) TH_LOG("no scheduler domains in debugfs");
	ASSERT_EQ(0, make_cpuset(MNT "/a", topo.cpus, topo.mems));
	/* The range is -1 .. sched_domain_level_max + 1. */
	snprintf(buf, sizeof(buf), "%d", max + 1);
	EXPECT_EQ(0, write_text(MNT "/a/cpuset.sched_relax_domain_level", buf));
	strcat(buf, "\n");
	EXPECT_FILE(MNT "/a/cpuset.sched_relax_domain_level", buf);
	snprintf(buf, sizeof(buf), "%d", max + 2);
	EXPECT_EQ(-EINVAL, write_text(MNT "/a/cpuset.sched_relax_domain_level", buf));
	EXPECT_EQ(-EINVAL, write_text(MNT "/cpuset.sched_relax_domain_level", buf));
}

/* The node of CPU @cpu, by the nodes' cpulist files; -1 if none has it (no NUMA). */
static int cpu_node(int cpu)
{
	char path[64];
	cpu_set_t set;
	int node;

	for (node = 0; node < topo.nr_node_ids; node++) {
		snprintf(path, sizeof(path), SYS_NODE "/node%d/cpulist", node);
		if (!read_list(path, &set) && CPU_ISSET(cpu, &set))
			return node;
	}
	return -1;
}

/* The online CPUs of node @node in @set, and as a range list in @list; 0 or -1. */
static int node_cpus(int node, cpu_set_t *set, char *list, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), SYS_NODE "/node%d/cpulist", node);
	if (read_list(path, set))
		return -1;
	CPU_AND(set, set, &topo.online);
	list_of(set, list, size);
	return 0;
}

/*
 * The domains of @chain (as domains_of() gives them) within a node: all but
 * the NUMA ones, which span nodes (sched_init_numa() names them so).
 */
static const char *within_node(const char *chain)
{
	char *out = scratch(), copy[256], *d, *save;

	snprintf(copy, sizeof(copy), "%s", chain);
	for (d = strtok_r(copy, " ", &save); d; d = strtok_r(NULL, " ", &save))
		if (strncmp(d, "NUMA@", 5))
			append(out, LIST_MAX, "%s%s", out[0] ? " " : "", d);
	return out;
}

/* The kernel log record of a root domain built over the CPUs of range list @cpus. */
static const char *span_record(const char *cpus)
{
	char *out = scratch();

	append(out, LIST_MAX, ";root domain span: %s\n", cpus);
	return out;
}

/*
 * Partitions along the nodes of CPU roles 0 and 3 (nodes 0 and 1 on the
 * guest), so that each CPU of the partitions keeps the domains within its
 * node and loses the NUMA ones.
 */
TEST_F(cs, sched_load_balance_partitions_domains)
{
	static char before[CPU_SETSIZE][256];
	char alist[LIST_MAX], blist[LIST_MAX], log[65536], record[64];
	int c, cpu, in, na, nb, kmsg;
	cpu_set_t a, b;

	na = cpu_node(rcpu(0));
	nb = cpu_node(rcpu(3));
	if (na < 0 || na == nb)
		SKIP(return, "needs online CPUs on 2 nodes: CPUs %d and %d are on node %d",
		     rcpu(0), rcpu(3), na);
	if (!sched_verbose_on(self->verbose, sizeof(self->verbose)))
		SKIP(return, NO_SCHED_VERBOSE);
	ASSERT_EQ(0, node_cpus(na, &a, alist, sizeof(alist)));
	ASSERT_EQ(0, node_cpus(nb, &b, blist, sizeof(blist)));
	for (c = 0; c < topo.ncpus; c++) {
		cpu = topo.cpu[c];
		snprintf(before[cpu], sizeof(before[cpu]), "%s", domains_of(cpu));
		/* One domain for the machine: the top one spans both nodes. */
		if (CPU_ISSET(cpu, &a) || CPU_ISSET(cpu, &b))
			ASSERT_NE(NULL, strstr(before[cpu], "NUMA@"))
				TH_LOG("cpu%d: %s", cpu, before[cpu]);
	}
	ASSERT_EQ(0, make_cpuset(MNT "/a", alist, rmems("0")));
	ASSERT_EQ(0, make_cpuset(MNT "/b", blist, rmems("1")));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpu_exclusive", "1"));
	ASSERT_EQ(0, write_text(MNT "/b/cpuset.cpu_exclusive", "1"));
	/* The children alone change nothing while the root balances. */
	for (c = 0; c < topo.ncpus; c++) {
		cpu = topo.cpu[c];
		EXPECT_STREQ(before[cpu], domains_of(cpu)) TH_LOG("cpu%d", cpu);
	}

	kmsg = kmsg_from_now();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, write_text(MNT "/cpuset.sched_load_balance", "0"));
	EXPECT_FILE(MNT "/cpuset.sched_load_balance", "0\n");
	/*
	 * Two partitions, one per child: each CPU keeps its node's domains
	 * only; the CPUs of other nodes, in neither, have none.
	 */
	for (c = 0; c < topo.ncpus; c++) {
		cpu = topo.cpu[c];
		in = CPU_ISSET(cpu, &a) || CPU_ISSET(cpu, &b);
		EXPECT_STREQ(in ? within_node(before[cpu]) : "", domains_of(cpu))
			TH_LOG("cpu%d was %s", cpu, before[cpu]);
	}
	read_kmsg(kmsg, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, span_record(alist))) TH_LOG("%s", log);
	EXPECT_NE(NULL, strstr(log, span_record(blist))) TH_LOG("%s", log);
	EXPECT_EQ(NULL, strstr(log, span_record(topo.cpus))) TH_LOG("%s", log);

	/* A child that does not balance leaves its CPUs without domains. */
	ASSERT_EQ(0, write_text(MNT "/b/cpuset.sched_load_balance", "0"));
	read_kmsg(kmsg, log, sizeof(log));
	for (c = 0; c < topo.ncpus; c++) {
		cpu = topo.cpu[c];
		snprintf(record, sizeof(record), ";CPU%d attaching NULL sched-domain.\n", cpu);
		if (CPU_ISSET(cpu, &b)) {
			EXPECT_STREQ("", domains_of(cpu)) TH_LOG("cpu%d", cpu);
			EXPECT_NE(NULL, strstr(log, record)) TH_LOG("%s", log);
		} else if (CPU_ISSET(cpu, &a)) {
			EXPECT_STREQ(within_node(before[cpu]), domains_of(cpu))
				TH_LOG("cpu%d", cpu);
			EXPECT_EQ(NULL, strstr(log, record)) TH_LOG("%s", log);
		}
	}

	/* Balancing the root again makes one domain of everything. */
	ASSERT_EQ(0, write_text(MNT "/cpuset.sched_load_balance", "1"));
	for (c = 0; c < topo.ncpus; c++) {
		cpu = topo.cpu[c];
		EXPECT_STREQ(before[cpu], domains_of(cpu)) TH_LOG("cpu%d", cpu);
	}
	read_kmsg(kmsg, log, sizeof(log));
	EXPECT_NE(NULL, strstr(log, span_record(topo.cpus))) TH_LOG("%s", log);
	close(kmsg);
}

/* ------------------------------------------------------------ attach and affinity */

TEST_F(cs, attach_needs_cpus_and_mems)
{
	pid_t pid;

	pid = keep(sleeper());
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, mkdir(MNT "/a", 0755));
	EXPECT_EQ(-ENOSPC, write_pid(MNT "/a/tasks", pid));
	EXPECT_EQ(-ENOSPC, write_pid(MNT "/a/cgroup.procs", pid));
	EXPECT_EQ(-ENOSPC, write_text(MNT "/a/tasks", "0"));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("1")));
	EXPECT_EQ(-ENOSPC, write_pid(MNT "/a/tasks", pid));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", "\n"));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("1")));
	EXPECT_EQ(-ENOSPC, write_pid(MNT "/a/tasks", pid));
	EXPECT_FILE(MNT "/a/tasks", "");
	EXPECT_FILE("/proc/self/cpuset", "/\n");
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("1")));
	EXPECT_EQ(0, write_pid(MNT "/a/tasks", pid));
	/* The root always takes tasks back. */
	EXPECT_EQ(0, write_pid(MNT "/tasks", pid));
}

/*
 * Any topology: the roles may coincide. An unconfined task (the test's
 * children, or a task moved to the root) may have every possible CPU and runs
 * on the online ones, with every node with memory.
 */
TEST_F(cs, attach_sets_affinity_and_mems)
{
	char path[64];
	pid_t pid;

	pid = keep(sleeper());
	ASSERT_LT(0, pid);
	EXPECT_STREQ(topo.cpus, affinity_of(pid));
	EXPECT_STREQ(field("Cpus_allowed", hex_of(&topo.possible, topo.nr_cpu_ids)),
		     proc_status(pid, "Cpus_allowed"));
	EXPECT_STREQ(field("Cpus_allowed_list", topo.possible_cpus),
		     proc_status(pid, "Cpus_allowed_list"));
	EXPECT_STREQ(field("Mems_allowed", hex_of(&topo.memory, topo.max_numnodes)),
		     proc_status(pid, "Mems_allowed"));
	EXPECT_STREQ(field("Mems_allowed_list", topo.mems), proc_status(pid, "Mems_allowed_list"));

	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("1-2"), rmems("1")));
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", pid));
	EXPECT_STREQ(rcpus("1-2"), affinity_of(pid));
	EXPECT_STREQ(field("Cpus_allowed", rcpus_hex("1-2")), proc_status(pid, "Cpus_allowed"));
	EXPECT_STREQ(field("Cpus_allowed_list", rcpus("1-2")),
		     proc_status(pid, "Cpus_allowed_list"));
	EXPECT_STREQ(field("Mems_allowed", rmems_hex("1")), proc_status(pid, "Mems_allowed"));
	EXPECT_STREQ(field("Mems_allowed_list", rmems("1")),
		     proc_status(pid, "Mems_allowed_list"));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", pid);
	EXPECT_FILE(path, "/a\n");

	ASSERT_EQ(0, make_cpuset(MNT "/a/b", rcpus("2"), rmems("1")));
	ASSERT_EQ(0, write_pid(MNT "/a/b/cgroup.procs", pid));
	EXPECT_STREQ(rcpus("2"), affinity_of(pid));
	EXPECT_STREQ(field("Cpus_allowed", rcpus_hex("2")), proc_status(pid, "Cpus_allowed"));
	EXPECT_FILE(path, "/a/b\n");

	/* Back in the root: every CPU and node again. */
	ASSERT_EQ(0, write_pid(MNT "/tasks", pid));
	EXPECT_STREQ(topo.cpus, affinity_of(pid));
	EXPECT_STREQ(field("Cpus_allowed_list", topo.possible_cpus),
		     proc_status(pid, "Cpus_allowed_list"));
	EXPECT_STREQ(field("Mems_allowed_list", topo.mems), proc_status(pid, "Mems_allowed_list"));
	EXPECT_FILE(path, "/\n");

	/* A child forked inside a cpuset starts confined. */
	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	EXPECT_STREQ(rcpus("1-2"), affinity_of(0));
	EXPECT_FILE("/proc/self/cpuset", "/a\n");
	pid = keep(sleeper());
	ASSERT_LT(0, pid);
	EXPECT_STREQ(rcpus("1-2"), affinity_of(pid));
	EXPECT_STREQ(field("Mems_allowed_list", rmems("1")),
		     proc_status(pid, "Mems_allowed_list"));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", pid);
	EXPECT_FILE(path, "/a\n");
	ASSERT_EQ(0, write_text(MNT "/tasks", "0"));
	EXPECT_STREQ(topo.cpus, affinity_of(0));
}

#define NPROCS 50

/* Any topology: the roles may coincide (then a step may change nothing). */
TEST_F(cs, cpus_change_reaches_every_thread)
{
	/* Each change must reach every thread of a, and none of b (or us); in roles. */
	static const struct { const char *file, *value, *cpus, *mems; } steps[] = {
		{ "cpuset.cpus", "1", "1", "0-1" },
		{ "cpuset.cpus", "0,2-3", "0,2-3", "0-1" },
		{ "cpuset.mems", "1", "0,2-3", "1" },
		{ "cpuset.cpus", "3", "3", "1" },
		{ "cpuset.mems", "0", "3", "0" },
	};
	char path[128], b_cpus[LIST_MAX], b_mems[LIST_MAX];
	static pid_t procs[NPROCS];
	int i, j, n, threads_in_a = 0;
	pid_t tids[8];
	unsigned int s;

	ASSERT_EQ(0, make_cpuset(MNT "/a", topo.cpus, rmems("0-1")));
	ASSERT_EQ(0, make_cpuset(MNT "/b", topo.cpus, topo.mems));
	snprintf(b_cpus, sizeof(b_cpus), "%s", field("Cpus_allowed_list", topo.cpus));
	snprintf(b_mems, sizeof(b_mems), "%s", field("Mems_allowed_list", topo.mems));
	/* 50 processes, every fifth with 3 more threads: 40 in a, 10 in b. */
	for (i = 0; i < NPROCS; i++) {
		procs[i] = i % 5 ? sleeper() : threaded_sleeper(3);
		ASSERT_LT(0, procs[i]) TH_LOG("process %d", i);
		keep(procs[i]);
		ASSERT_EQ(0, write_pid(i < 40 ? MNT "/a/cgroup.procs" : MNT "/b/cgroup.procs",
				       procs[i]));
		if (i < 40)
			threads_in_a += i % 5 ? 1 : 4;
	}
	EXPECT_EQ(threads_in_a, count_lines(MNT "/a/tasks"));
	EXPECT_EQ(40, count_lines(MNT "/a/cgroup.procs"));

	for (s = 0; s < ARRAY_SIZE(steps); s++) {
		char value[LIST_MAX], affinity[LIST_MAX], cpus[LIST_MAX + 32], mems[LIST_MAX + 32];
		int wrong = 0;

		snprintf(value, sizeof(value), "%s", strcmp(steps[s].file, "cpuset.cpus") ?
			 rmems(steps[s].value) : rcpus(steps[s].value));
		ASSERT_EQ(0, write_text(at(MNT "/a", steps[s].file), value));
		snprintf(affinity, sizeof(affinity), "%s", rcpus(steps[s].cpus));
		snprintf(cpus, sizeof(cpus), "Cpus_allowed_list:\t%s", affinity);
		snprintf(mems, sizeof(mems), "Mems_allowed_list:\t%s", rmems(steps[s].mems));
		for (i = 0; i < NPROCS; i++) {
			n = threads_of(procs[i], tids, ARRAY_SIZE(tids));
			EXPECT_EQ(i % 5 ? 1 : 4, n) TH_LOG("process %d", i);
			for (j = 0; j < n; j++) {
				const char *want_cpus = i < 40 ? cpus : b_cpus;
				const char *want_mems = i < 40 ? mems : b_mems;

				snprintf(path, sizeof(path), "/proc/%d/task/%d/status", procs[i],
					 tids[j]);
				if (strcmp(want_cpus, status_line(path, "Cpus_allowed_list")) ||
				    strcmp(want_mems, status_line(path, "Mems_allowed_list")) ||
				    strcmp(i < 40 ? affinity : topo.cpus, affinity_of(tids[j]))) {
					wrong++;
					TH_LOG("step %u: process %d thread %d: %s, %s, affinity %s",
					       s, i, tids[j],
					       status_line(path, "Cpus_allowed_list"),
					       status_line(path, "Mems_allowed_list"),
					       affinity_of(tids[j]));
				}
			}
		}
		EXPECT_EQ(0, wrong) TH_LOG("step %u: %s <- %s", s, steps[s].file, value);
		EXPECT_STREQ(topo.cpus, affinity_of(0));
		EXPECT_STREQ(field("Mems_allowed_list", topo.mems),
			     proc_status(getpid(), "Mems_allowed_list"));
	}
}

TEST_F(cs, setaffinity_is_confined)
{
	char why[256];
	cpu_set_t set;
	pid_t pid;

	if (too_few(why, sizeof(why), 4, 1))
		SKIP(return, "%s", why);
	pid = keep(sleeper());
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("2-3"), rmems("1")));
	ASSERT_EQ(0, write_pid(MNT "/a/tasks", pid));
	/* Entirely outside the cpuset: EINVAL, nothing changes. */
	CPU_ZERO(&set);
	CPU_SET(rcpu(0), &set);
	EXPECT_EQ(-1, sched_setaffinity(pid, sizeof(set), &set));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_STREQ(rcpus("2-3"), affinity_of(pid));
	CPU_SET(rcpu(1), &set);
	EXPECT_EQ(-1, sched_setaffinity(pid, sizeof(set), &set));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_STREQ(rcpus("2-3"), affinity_of(pid));
	/* Partly outside: confined to the cpuset's part. */
	CPU_SET(rcpu(2), &set);
	EXPECT_EQ(0, sched_setaffinity(pid, sizeof(set), &set));
	EXPECT_STREQ(rcpus("2"), affinity_of(pid));
	EXPECT_STREQ(field("Cpus_allowed_list", rcpus("2")),
		     proc_status(pid, "Cpus_allowed_list"));
	/*
	 * The mask asked for is remembered: a cpus change gives the task
	 * what it asked for within the new cpus...
	 */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("0-3")));
	EXPECT_STREQ(rcpus("0-2"), affinity_of(pid));
	/* ... or all of them when that is nothing. */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("3")));
	EXPECT_STREQ(rcpus("3"), affinity_of(pid));
	/* Inside the cpuset: as asked. */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.cpus", rcpus("1-3")));
	CPU_ZERO(&set);
	CPU_SET(rcpu(1), &set);
	CPU_SET(rcpu(3), &set);
	EXPECT_EQ(0, sched_setaffinity(pid, sizeof(set), &set));
	EXPECT_STREQ(rcpus("1,3"), affinity_of(pid));
	/* In the root, any CPU. */
	ASSERT_EQ(0, write_pid(MNT "/tasks", pid));
	CPU_ZERO(&set);
	CPU_SET(rcpu(0), &set);
	EXPECT_EQ(0, sched_setaffinity(pid, sizeof(set), &set));
	EXPECT_STREQ(rcpus("0"), affinity_of(pid));
}

/* ------------------------------------------------------------ memory */

TEST_F(cs, pages_come_from_the_cpusets_nodes)
{
	unsigned long mask = 0;
	int count[4], mode = -1;
	char why[256], *p;

	if (!can_test_memory(why, sizeof(why)))
		SKIP(return, "%s", why);
	/* CPUs of node 0, memory of node 1 (on the guest): placement follows mems. */
	ASSERT_EQ(0, make_cpuset(MNT "/a", rcpus("0-1"), rmems("1")));
	ASSERT_EQ(0, make_cpuset(MNT "/b", rcpus("2-3"), rmems("0")));
	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	EXPECT_EQ(0, sys_get_mempolicy(&mode, &mask, NODE_BITS, NULL, MPOL_F_MEMS_ALLOWED));
	EXPECT_EQ(rmask("1"), mask);
	p = touch_pages();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[1]) TH_LOG("%s", where(count));
	EXPECT_EQ(0, count[2]);
	munmap(p, NPAGES * sysconf(_SC_PAGESIZE));
	/* The same from the other side. */
	ASSERT_EQ(0, write_text(MNT "/b/tasks", "0"));
	EXPECT_EQ(0, sys_get_mempolicy(&mode, &mask, NODE_BITS, NULL, MPOL_F_MEMS_ALLOWED));
	EXPECT_EQ(rmask("0"), mask);
	p = touch_pages();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[0]) TH_LOG("%s", where(count));
	EXPECT_EQ(0, count[2]);
	munmap(p, NPAGES * sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, write_text(MNT "/tasks", "0"));
}

TEST_F(cs, mempolicy_outside_the_cpuset)
{
	long psize = sysconf(_SC_PAGESIZE);
	unsigned long mask = 0;
	int count[4], mode = -1, node, status[2], nodes[2];
	char why[256], *p;
	void *pages[2];

	if (!can_test_memory(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, make_cpuset(MNT "/a", topo.cpus, rmems("1")));
	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	/* Policies naming only nodes outside the cpuset: EINVAL. */
	EXPECT_EQ(-1, sys_set_mempolicy(MPOL_BIND, rmask("0")));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_set_mempolicy(MPOL_PREFERRED, rmask("0")));
	EXPECT_EQ(EINVAL, errno);
	/* Partly outside: confined to the cpuset's nodes. */
	EXPECT_EQ(0, sys_set_mempolicy(MPOL_BIND, rmask("0-1")));
	EXPECT_EQ(0, sys_get_mempolicy(&mode, &mask, NODE_BITS, NULL, 0));
	EXPECT_EQ(MPOL_BIND, mode);
	EXPECT_EQ(rmask("1"), mask);
	p = touch_pages();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[1]);
	munmap(p, NPAGES * psize);
	EXPECT_EQ(0, sys_set_mempolicy(MPOL_DEFAULT, 0));

	p = mmap(NULL, NPAGES * psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, sys_mbind(p, NPAGES * psize, MPOL_BIND, rmask("0"), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_mbind(p, NPAGES * psize, MPOL_BIND, rmask("0"), MPOL_MF_MOVE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, sys_mbind(p, NPAGES * psize, MPOL_PREFERRED, rmask("0"), 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, sys_mbind(p, NPAGES * psize, MPOL_BIND, rmask("0-1"), 0));
	memset(p, 1, NPAGES * psize);
	node = -1;
	EXPECT_EQ(0, sys_get_mempolicy(&node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR));
	EXPECT_EQ(rnode(1), node);
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[1]);
	/* move_pages() to a node outside the cpuset: EACCES for the call. */
	pages[0] = p;
	pages[1] = p + psize;
	nodes[0] = rnode(0);
	nodes[1] = rnode(0);
	EXPECT_EQ(-1, sys_move_pages(0, 2, pages, nodes, status, MPOL_MF_MOVE));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[1]);
	munmap(p, NPAGES * psize);
	ASSERT_EQ(0, write_text(MNT "/tasks", "0"));
}

TEST_F(cs, memory_migrate_on_mems_change)
{
	char why[256], *p;
	int count[4];

	if (!can_test_memory(why, sizeof(why)))
		SKIP(return, "%s", why);
	/* Without memory_migrate, pages stay where they are. */
	ASSERT_EQ(0, make_cpuset(MNT "/a", topo.cpus, rmems("0")));
	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	p = touch_pages();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pages_where(p, count));
	ASSERT_EQ(NPAGES, count[0]);
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("1")));
	EXPECT_STREQ(field("Mems_allowed_list", rmems("1")),
		     proc_status(getpid(), "Mems_allowed_list"));
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[0]) TH_LOG("%s", where(count));
	munmap(p, NPAGES * sysconf(_SC_PAGESIZE));

	/* With it, the write moves them before it returns. */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("0")));
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.memory_migrate", "1"));
	p = touch_pages();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pages_where(p, count));
	ASSERT_EQ(NPAGES, count[0]);
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("1")));
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[1]) TH_LOG("%s", where(count));
	EXPECT_EQ(0, count[2]);
	/* And back. */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("0")));
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[0]) TH_LOG("%s", where(count));
	/* Growing the mems moves nothing. */
	ASSERT_EQ(0, write_text(MNT "/a/cpuset.mems", rmems("0-1")));
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[0]) TH_LOG("%s", where(count));
	munmap(p, NPAGES * sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, write_text(MNT "/tasks", "0"));
}

TEST_F(cs, memory_migrate_on_attach)
{
	char why[256], *p;
	int count[4];

	if (!can_test_memory(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, make_cpuset(MNT "/a", topo.cpus, rmems("0")));
	ASSERT_EQ(0, make_cpuset(MNT "/b", topo.cpus, rmems("1")));
	ASSERT_EQ(0, make_cpuset(MNT "/c", topo.cpus, rmems("1")));
	ASSERT_EQ(0, write_text(MNT "/c/cpuset.memory_migrate", "1"));
	/* Into b (no memory_migrate): the pages stay on a's node (0 on the guest). */
	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	p = touch_pages();
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, pages_where(p, count));
	ASSERT_EQ(NPAGES, count[0]);
	ASSERT_EQ(0, write_text(MNT "/b/tasks", "0"));
	EXPECT_STREQ(field("Mems_allowed_list", rmems("1")),
		     proc_status(getpid(), "Mems_allowed_list"));
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[0]) TH_LOG("%s", where(count));
	/* Into c (memory_migrate) from a: they follow to c's node (1). */
	ASSERT_EQ(0, write_text(MNT "/a/tasks", "0"));
	ASSERT_EQ(0, write_text(MNT "/c/cgroup.procs", "0"));
	ASSERT_EQ(0, pages_where(p, count));
	EXPECT_EQ(NPAGES, count[1]) TH_LOG("%s", where(count));
	EXPECT_EQ(0, count[2]);
	munmap(p, NPAGES * sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, write_text(MNT "/tasks", "0"));
}

/* ------------------------------------------------------------ hotplug */

/* Whether the kernel is x86's, whose smpboot logs each CPU going offline. */
static int on_x86(void)
{
	struct utsname u;

	return !uname(&u) && strstr(u.machine, "86");
}

/*
 * Whether the hotplug tests can take the CPU of role 3 (3 on the guest)
 * offline: it is not the only one and has a writable online file. If not,
 * @why says why not.
 */
static int can_hotplug(char *why, size_t size)
{
	if (too_few(why, size, 2, 1))
		return 0;
	if (!access(online_file(rcpu(3)), W_OK))
		return 1;
	snprintf(why, size, "CPU %d cannot go offline (no CONFIG_HOTPLUG_CPU?)", rcpu(3));
	return 0;
}

TEST_F(cs, cpu_offline_empties_cpusets_and_moves_tasks_up)
{
	char path[64], why[256], rest[LIST_MAX], log[65536];
	pid_t in_q, in_r, in_p;
	int hot = rcpu(3), kmsg;
	cpu_set_t set;

	if (!can_hotplug(why, sizeof(why)))
		SKIP(return, "%s", why);
	/* The online CPUs but the one going offline. */
	set = topo.online;
	CPU_CLR(hot, &set);
	list_of(&set, rest, sizeof(rest));
	ASSERT_EQ(0, make_cpuset(MNT "/p", rcpus("2-3"), topo.mems));
	ASSERT_EQ(0, make_cpuset(MNT "/p/q", rcpus("3"), rmems("1")));
	ASSERT_EQ(0, make_cpuset(MNT "/r", rcpus("3"), rmems("0")));
	in_q = keep(sleeper());
	in_r = keep(sleeper());
	in_p = keep(sleeper());
	ASSERT_LT(0, in_q);
	ASSERT_LT(0, in_r);
	ASSERT_LT(0, in_p);
	ASSERT_EQ(0, write_pid(MNT "/p/q/tasks", in_q));
	ASSERT_EQ(0, write_pid(MNT "/r/tasks", in_r));
	ASSERT_EQ(0, write_pid(MNT "/p/tasks", in_p));
	EXPECT_STREQ(rcpus("3"), affinity_of(in_q));

	kmsg = kmsg_from_now();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, cpu_online(hot, 0));
	EXPECT_FILE(SYS_CPU "/online", nl(rest));
	/* The CPU leaves every cpuset at once. */
	EXPECT_FILE(MNT "/cpuset.cpus", nl(rest));
	EXPECT_FILE(MNT "/cpuset.effective_cpus", nl(rest));
	EXPECT_FILE(MNT "/p/cpuset.cpus", rcpus("2\n"));
	EXPECT_FILE(MNT "/p/cpuset.effective_cpus", rcpus("2\n"));
	EXPECT_FILE(MNT "/p/q/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/p/q/cpuset.effective_cpus", "\n");
	EXPECT_FILE(MNT "/r/cpuset.cpus", "\n");
	/* The mems stay. */
	EXPECT_FILE(MNT "/p/q/cpuset.mems", rmems("1\n"));
	/* The emptied cpusets' tasks move to the nearest ancestor with CPUs (a work item). */
	EXPECT_EQ(0, wait_file(MNT "/p/q/tasks", "", 5000));
	EXPECT_EQ(0, wait_file(MNT "/r/tasks", "", 5000));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", in_q);
	EXPECT_FILE(path, "/p\n");
	EXPECT_STREQ(rcpus("2"), affinity_of(in_q));
	EXPECT_STREQ(field("Mems_allowed_list", topo.mems), proc_status(in_q, "Mems_allowed_list"));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", in_r);
	EXPECT_FILE(path, "/\n");
	EXPECT_STREQ(rest, affinity_of(in_r));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", in_p);
	EXPECT_FILE(path, "/p\n");
	EXPECT_STREQ(field("Cpus_allowed_list", rcpus("2")),
		     proc_status(in_p, "Cpus_allowed_list"));
	EXPECT_EQ(2, count_lines(MNT "/p/tasks"));
	/* An offline CPU cannot be given, and the emptied cpusets take no task. */
	EXPECT_EQ(-EINVAL, write_text(MNT "/r/cpuset.cpus", rcpus("3")));
	EXPECT_EQ(-EINVAL, write_text(MNT "/p/cpuset.cpus", rcpus("2-3")));
	snprintf(path, sizeof(path), "%d", topo.nr_cpu_ids);
	EXPECT_EQ(-ERANGE, write_text(MNT "/r/cpuset.cpus", path));
	EXPECT_EQ(-ENOSPC, write_pid(MNT "/r/tasks", in_r));
	/* The move is logged only when it fails. */
	read_kmsg(kmsg, log, sizeof(log));
	snprintf(path, sizeof(path), ";smpboot: CPU %d is now offline\n", hot);
	if (on_x86())
		EXPECT_NE(NULL, strstr(log, path)) TH_LOG("%s", log);
	EXPECT_EQ(NULL, strstr(log, "cpuset: failed to transfer tasks")) TH_LOG("%s", log);

	/* Back online, the CPU returns to the root only (v1). */
	ASSERT_EQ(0, cpu_online(hot, 1));
	EXPECT_FILE(SYS_CPU "/online", nl(topo.cpus));
	EXPECT_FILE(MNT "/cpuset.cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/cpuset.effective_cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/p/cpuset.cpus", rcpus("2\n"));
	EXPECT_FILE(MNT "/p/q/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/r/cpuset.cpus", "\n");
	EXPECT_STREQ(topo.cpus, affinity_of(in_r));
	EXPECT_STREQ(rcpus("2"), affinity_of(in_q));
	/* And may be given again. */
	EXPECT_EQ(0, write_text(MNT "/p/cpuset.cpus", rcpus("2-3")));
	EXPECT_EQ(0, write_text(MNT "/p/q/cpuset.cpus", rcpus("3")));
	EXPECT_EQ(0, write_pid(MNT "/p/q/tasks", in_q));
	EXPECT_STREQ(rcpus("3"), affinity_of(in_q));
	read_kmsg(kmsg, log, sizeof(log));
	EXPECT_EQ(NULL, strstr(log, "cpuset: failed to transfer tasks")) TH_LOG("%s", log);
	close(kmsg);
}

TEST_F(cs, cpu_alone_in_a_root_domain_stays_online)
{
	int hot = rcpu(3);
	char why[256];

	if (!can_hotplug(why, sizeof(why)))
		SKIP(return, "%s", why);
	/* The root not balancing, the CPU alone in a balancing cpuset: its own root domain. */
	ASSERT_EQ(0, make_cpuset(MNT "/x", rcpus("3"), rmems("0")));
	ASSERT_EQ(0, write_text(MNT "/cpuset.sched_load_balance", "0"));
	/* Taking it offline would leave the domain no deadline bandwidth. */
	EXPECT_EQ(-EBUSY, cpu_online(hot, 0));
	EXPECT_FILE(SYS_CPU "/online", nl(topo.cpus));
	EXPECT_FILE(MNT "/x/cpuset.cpus", rcpus("3\n"));
	/* Not balancing, it joins the others in the default root domain. */
	ASSERT_EQ(0, write_text(MNT "/x/cpuset.sched_load_balance", "0"));
	EXPECT_EQ(0, cpu_online(hot, 0));
	EXPECT_FILE(MNT "/x/cpuset.cpus", "\n");
	EXPECT_EQ(0, cpu_online(hot, 1));
	/* Balanced with the CPU of role 2, it may go too. */
	ASSERT_EQ(0, write_text(MNT "/x/cpuset.cpus", rcpus("2-3")));
	ASSERT_EQ(0, write_text(MNT "/x/cpuset.sched_load_balance", "1"));
	EXPECT_EQ(0, cpu_online(hot, 0));
	EXPECT_FILE(MNT "/x/cpuset.cpus", rcpus("2\n"));
	EXPECT_EQ(0, cpu_online(hot, 1));
	EXPECT_FILE(MNT "/cpuset.cpus", nl(topo.cpus));
}

/* ------------------------------------------------------------ with cpuacct */

TEST(with_cpuacct)
{
	unsigned long long usage, percpu, mine = 0, sum = 0;
	char buf[16384], why[256], *s;
	struct rusage ru;
	int status, i, cpu;
	pid_t pid;

	if (topology_read(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, try_mount(MNT, "cpuset,cpuacct"));
	ASSERT_LT(0, read_text("/proc/mounts", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "none " MNT " cgroup rw,relatime,cpuset,cpuacct 0 0\n"));
	/* Any topology: g runs on the CPU of role 2 (2 on the guest). */
	ASSERT_EQ(0, make_cpuset(MNT "/g", rcpus("2"), rmems("1")));
	EXPECT_EQ(0, access(MNT "/g/cpuacct.usage", F_OK));
	pid = fork();
	if (!pid) {
		unsigned long long spins = 0;
		struct timespec t0, t;

		if (write_text(MNT "/g/tasks", "0"))
			_exit(10);
		if (read_text("/proc/self/cgroup", buf, sizeof(buf)) < 0 ||
		    !strstr(buf, ":cpuset,cpuacct:/g\n"))
			_exit(11);
		if (sched_getcpu() != rcpu(2))
			_exit(12);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		do {
			for (i = 0; i < 1000000; i++) {
				spins++;
				asm volatile("" : "+r" (spins));
			}
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
		} while ((t.tv_sec - t0.tv_sec) * 1000000000LL + t.tv_nsec - t0.tv_nsec <
			 300000000LL);
		_exit(sched_getcpu() == rcpu(2) ? 0 : 13);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, wait4(pid, &status, 0, &ru));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_LT(0, read_text(MNT "/g/cpuacct.usage", buf, sizeof(buf)));
	usage = strtoull(buf, NULL, 10);
	EXPECT_LE(300000000ULL * 9 / 10, usage) TH_LOG("usage %llu", usage);
	/* Charged where the cpuset let it run; usage_percpu has every possible CPU. */
	ASSERT_LT(0, read_text(MNT "/g/cpuacct.usage_percpu", buf, sizeof(buf)));
	for (cpu = 0, s = buf; cpu < topo.nr_cpu_ids; cpu++) {
		if (!CPU_ISSET(cpu, &topo.possible))
			continue;
		percpu = strtoull(s, &s, 10);
		sum += percpu;
		if (cpu == rcpu(2))
			mine = percpu;
	}
	EXPECT_EQ(usage, sum);
	EXPECT_LE(sum * 9 / 10, mine) TH_LOG("CPU %d: '%s'", rcpu(2), buf);
	EXPECT_EQ(0, rmdir(MNT "/g"));
	EXPECT_EQ(0, wait_num_cgroups("cpuset", 1));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_hierarchy_gone(":cpuset,cpuacct:"));
}

/* ------------------------------------------------------------ mounts */

/* The /proc/mounts line of a cpuset filesystem mounted on MNT, without its newline. */
static const char *legacy_line(int v2_mode)
{
	static char line[256];

	snprintf(line, sizeof(line), "cpuset %s cgroup rw,relatime,cpuset,noprefix,%s%s 0 0",
		 MNT, v2_mode ? "cpuset_v2_mode," : "",
		 "release_agent=/sbin/cpuset_release_agent");
	return line;
}

/* The line of /proc/mounts for @dir, without its newline; "" if none. */
static const char *mounts_line(const char *dir)
{
	static char line[512];
	char buf[16384], *l, *save, needle[256];

	line[0] = '\0';
	if (read_text("/proc/mounts", buf, sizeof(buf)) < 0)
		return line;
	snprintf(needle, sizeof(needle), " %s ", dir);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strstr(l, needle)) {
			snprintf(line, sizeof(line), "%s", l);
			break;
		}
	}
	return line;
}

TEST(legacy_cpuset_filesystem)
{
	char names[2048], expected[2048], why[256], buf[4096];

	if (topology_read(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, make_mount_point(MNT));
	/* With no cpuset hierarchy, every task is in "/". */
	EXPECT_FILE("/proc/self/cpuset", "/\n");
	ASSERT_EQ(0, mount("cpuset", MNT, "cpuset", 0, NULL));
	/* The cgroup filesystem, cpuset only, noprefix, the old release agent. */
	EXPECT_STREQ(legacy_line(0), mounts_line(MNT));
	list_dir(MNT, names, sizeof(names));
	expected_listing(1, 0, expected, sizeof(expected));
	EXPECT_STREQ(expected, names);
	EXPECT_FILE(MNT "/release_agent", "/sbin/cpuset_release_agent\n");
	EXPECT_FILE(MNT "/cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/mems", nl(topo.mems));
	EXPECT_FILE(MNT "/cpu_exclusive", "1\n");
	ASSERT_EQ(0, mkdir(MNT "/q", 0755));
	list_dir(MNT "/q", names, sizeof(names));
	expected_listing(0, 0, expected, sizeof(expected));
	EXPECT_STREQ(expected, names);
	EXPECT_FILE(MNT "/q/cpus", "\n");
	ASSERT_EQ(0, write_text(MNT "/q/cpus", rcpus("1")));
	ASSERT_EQ(0, write_text(MNT "/q/mems", rmems("0")));
	ASSERT_EQ(0, mkdir(MNT "/q/r", 0755));
	ASSERT_EQ(0, write_text(MNT "/q/r/cpus", rcpus("1")));
	ASSERT_EQ(0, write_text(MNT "/q/r/mems", rmems("0")));
	ASSERT_EQ(0, write_text(MNT "/q/r/tasks", "0"));
	EXPECT_FILE("/proc/self/cpuset", "/q/r\n");
	ASSERT_LT(0, read_text("/proc/self/cgroup", buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, ":cpuset:/q/r\n")) TH_LOG("%s", buf);
	EXPECT_STREQ(rcpus("1"), affinity_of(0));
	ASSERT_EQ(0, write_text(MNT "/tasks", "0"));
	EXPECT_FILE("/proc/self/cpuset", "/\n");
	ASSERT_EQ(0, rmdir(MNT "/q/r"));
	ASSERT_EQ(0, rmdir(MNT "/q"));
	ASSERT_EQ(0, wait_num_cgroups("cpuset", 1));
	ASSERT_EQ(0, umount(MNT));
	ASSERT_EQ(0, wait_hierarchy_gone(":cpuset:"));

	/* It takes cpuset_v2_mode and nothing else. */
	EXPECT_EQ(-1, mount("cpuset", MNT, "cpuset", 0, "noprefix"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mount("cpuset", MNT, "cpuset", 0, "cpuacct"));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, mount("cpuset", MNT, "cpuset", 0, "cpuset_v2_mode"));
	EXPECT_STREQ(legacy_line(1), mounts_line(MNT));
	ASSERT_EQ(0, umount(MNT));
	ASSERT_EQ(0, wait_hierarchy_gone(":cpuset:"));

	/* noprefix on the cgroup filesystem: cpuset alone only. */
	EXPECT_EQ(-1, mount("none", MNT, "cgroup", 0, "cpuset,cpuacct,noprefix"));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, mount("none", MNT, "cgroup", 0, "cpuacct,noprefix"));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0, "cpuset,noprefix"));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,cpuset,noprefix 0 0", mounts_line(MNT));
	list_dir(MNT, names, sizeof(names));
	expected_listing(1, 0, expected, sizeof(expected));
	EXPECT_STREQ(expected, names);
	EXPECT_FILE(MNT "/release_agent", "\n");
	ASSERT_EQ(0, umount(MNT));
	ASSERT_EQ(0, wait_hierarchy_gone(":cpuset:"));
}

TEST(cpuset_v2_mode)
{
	char why[256], path[64];
	pid_t pid;

	if (topology_read(why, sizeof(why)))
		SKIP(return, "%s", why);
	ASSERT_EQ(0, try_mount(MNT, "cpuset,cpuset_v2_mode"));
	EXPECT_STREQ("none " MNT " cgroup rw,relatime,cpuset,cpuset_v2_mode 0 0",
		     mounts_line(MNT));
	ASSERT_EQ(0, mkdir(MNT "/v", 0755));
	/* Empty masks, but the parent's effective ones. */
	EXPECT_FILE(MNT "/v/cpuset.cpus", "\n");
	EXPECT_FILE(MNT "/v/cpuset.mems", "\n");
	EXPECT_FILE(MNT "/v/cpuset.effective_cpus", nl(topo.cpus));
	EXPECT_FILE(MNT "/v/cpuset.effective_mems", nl(topo.mems));
	/* So tasks may enter, and run on the effective CPUs. */
	pid = sleeper();
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, write_pid(MNT "/v/tasks", pid));
	EXPECT_STREQ(topo.cpus, affinity_of(pid));
	EXPECT_STREQ(field("Mems_allowed_list", topo.mems), proc_status(pid, "Mems_allowed_list"));
	EXPECT_EQ(0, write_text(MNT "/v/cpuset.cpus", rcpus("1-2")));
	EXPECT_FILE(MNT "/v/cpuset.effective_cpus", rcpus("1-2\n"));
	EXPECT_STREQ(rcpus("1-2"), affinity_of(pid));
	EXPECT_EQ(0, write_text(MNT "/v/cpuset.mems", rmems("1")));
	EXPECT_FILE(MNT "/v/cpuset.effective_mems", rmems("1\n"));
	EXPECT_STREQ(field("Mems_allowed_list", rmems("1")), proc_status(pid, "Mems_allowed_list"));
	snprintf(path, sizeof(path), "/proc/%d/cpuset", pid);
	EXPECT_FILE(path, "/v\n");
	/* The v1 write rules still hold. */
	EXPECT_EQ(-EACCES, write_text(MNT "/cpuset.cpus", topo.cpus));
	EXPECT_EQ(-ENOSPC, write_text(MNT "/v/cpuset.cpus", "\n"));
	kill_and_reap(pid);
	EXPECT_EQ(0, rmdir(MNT "/v"));
	EXPECT_EQ(0, wait_num_cgroups("cpuset", 1));
	EXPECT_EQ(0, umount(MNT));
	EXPECT_EQ(0, wait_hierarchy_gone(":cpuset:"));
}

TEST_HARNESS_MAIN
