// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: a bounded, seeded fuzz of every control file, of the mount
 * options (mount(2) and fsopen()/fsconfig()) and of group names.
 *
 * The seed is CGV1_SEED from the environment, else cgv1.seed= from the
 * kernel command line, else 1; it is printed, and the same seed gives the
 * same inputs. Inputs to a file depend only on the seed and the file's name.
 *
 * The test checks what holds on any correct kernel: no write or read crashes
 * or hangs; a write that fails changes nothing; a file read one byte at a
 * time, or from an odd offset, reads the same bytes as in one read; writes
 * from four threads at once give only answers the same inputs gave one at a
 * time. Whether each answer is the right one is judged by comparison with
 * the C implementation: every result (errno and what the file reads back) is
 * written as a line of a transcript, to the file named by CGV1_TRANSCRIPT
 * (harness/cgv1 points it at a second serial port) or, without it, to stdout
 * as "# fz ..." comments; harness/cgv1 test compares the transcripts of the
 * Rust and the C kernels line by line, with the same seed.
 *
 * The control files are fuzzed from inside a new pid namespace, in which the
 * fuzzing process is pid 1 and its threads are the only other tasks: a random
 * number written to tasks or cgroup.procs can only name one of them.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
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

#define MNT_CPUSET CGV1_DIR("cgv1-fuzz-cpuset")
#define MNT_MISC CGV1_DIR("cgv1-fuzz-misc")
#define MNT_NAMED CGV1_DIR("cgv1-fuzz-named")
#define MNT_M CGV1_DIR("cgv1-fuzz-m")

/* Random inputs per file, on top of the fixed ones. */
#define NRANDOM 24
/* Inputs written one at a time first, then by the concurrent writers. */
#define NPLAIN 12
/* Writes per thread in the concurrent phase, and threads. */
#define NCONC 24
#define NTHREADS 4
/* Random option strings, through mount(2) and through fsconfig(). */
#define NMOUNTS 120
#define NFSCONFIG 80
#define MAXIN 8192
#define PAGE 4096

static unsigned long long seed;
static int tr_fd = -1;
static int tr_comment;
static int failures;

/* ------------------------------------------------------------------ seed, rng, transcript */

static unsigned long long get_seed(void)
{
	char buf[4096], *p;

	p = getenv("CGV1_SEED");
	if (p && *p)
		return strtoull(p, NULL, 0);
	if (read_text("/proc/cmdline", buf, sizeof(buf)) > 0) {
		p = strstr(buf, "cgv1.seed=");
		if (p)
			return strtoull(p + strlen("cgv1.seed="), NULL, 0);
	}
	return 1;
}

/* splitmix64: a whole, cheap, well-mixed stream from any seed. */
static unsigned long long rnd(unsigned long long *state)
{
	unsigned long long z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned int fnv(const void *data, size_t len)
{
	const unsigned char *p = data;
	unsigned int h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static void transcript_open(void)
{
	const char *path = getenv("CGV1_TRANSCRIPT");

	if (tr_fd >= 0)
		return;
	tr_fd = path && *path ? open(path, O_WRONLY | O_NOCTTY | O_APPEND) : -1;
	if (tr_fd < 0) {
		tr_fd = STDOUT_FILENO;
		tr_comment = 1;
	}
}

/* One transcript line: one write(2), so that threads and processes do not interleave. */
static void tr(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%sfz ", tr_comment ? "# " : "");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(tr_fd, line, n) != n)
		failures++;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures++;
}

/* Bytes as C-escaped text, for the transcript. */
static const char *esc(const char *s, size_t len, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 5 < size; i++) {
		unsigned char c = s[i];

		if (c > ' ' && c < 127 && c != '\\')
			out[o++] = c;
		else
			o += snprintf(out + o, size - o, "\\x%02x", c);
	}
	if (i < len)
		o += snprintf(out + o, size - o, "...[%zu]", len);
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------------ inputs */

struct input {
	char buf[MAXIN];
	size_t len;
};

static const char * const fixed_inputs[] = {
	"0", "1", "0\n", "1\n", " 1", "1 ", "+1", "-1", "-0", "0x10", "0X1f", "010", "08",
	"2", "255", "256", "65535", "2147483647", "2147483648", "4294967295", "4294967296",
	"9223372036854775807", "9223372036854775808", "18446744073709551615",
	"18446744073709551616", "99999999999999999999999", "-9223372036854775808",
	"-9223372036854775809", "", "\n", "1\n\n", "\n1", "abc", "1abc", "0-3", "0,2", "0-1\n",
	"1-0", "0-", "-", ",", "3-5", "0-3:1/2", "0-3:0/2", "2-3", "0", "1", "FROZEN", "THAWED",
	"FREEZING", "frozen", "FROZEN\n", "THAWED\n\n", "/sbin/agent", "a b c", "1 2", "0 1",
	"-2", "-1\n", "5", "-3", "0x", "0b1", "1e3", "\t1\t", "1\r",
};

static void input_set(struct input *in, const char *text, size_t len)
{
	memcpy(in->buf, text, len);
	in->len = len;
}

/*
 * The inputs for one file: the fixed ones, embedded NULs, runs of exactly PAGE bytes
 * and of PAGE + 1, then NRANDOM random strings drawn from @state.
 */
static int make_inputs(struct input *ins, int max, unsigned long long *state)
{
	static const char charset[] = "0123456789-,:/+\n \tabxFROZENTHAWD\0.\xff";
	int n = 0, i;
	size_t j;

	for (i = 0; i < (int)ARRAY_SIZE(fixed_inputs) && n < max; i++)
		input_set(&ins[n++], fixed_inputs[i], strlen(fixed_inputs[i]));
	input_set(&ins[n++], "1\0junk", 6);
	input_set(&ins[n++], "\0", 1);
	input_set(&ins[n++], "0-1\0,3", 6);
	memset(ins[n].buf, '0', PAGE);
	ins[n++].len = PAGE;
	memset(ins[n].buf, '0', PAGE + 1);
	ins[n++].len = PAGE + 1;
	memset(ins[n].buf, 'a', PAGE);
	ins[n++].len = PAGE;
	/*
	 * Runs of a non-zero digit: at PAGE + 1 bytes a kernel that cut the write to a
	 * page would parse a huge number (ERANGE) where one that refuses it says E2BIG;
	 * runs of 0 parse as 0 either way and cannot tell the two apart.
	 */
	memset(ins[n].buf, '9', PAGE);
	ins[n++].len = PAGE;
	memset(ins[n].buf, '9', PAGE + 1);
	ins[n++].len = PAGE + 1;
	memset(ins[n].buf, '1', PAGE - 1);
	ins[n].buf[PAGE - 1] = '\n';
	ins[n++].len = PAGE;
	for (i = 0; i < NRANDOM && n < max; i++) {
		struct input *in = &ins[n++];

		in->len = rnd(state) % 24;
		for (j = 0; j < in->len; j++)
			in->buf[j] = charset[rnd(state) % (sizeof(charset) - 1)];
	}
	return n;
}

/* ------------------------------------------------------------------ one control file */

/* Files whose content changes by itself (times, pids, pointers, counts). */
static int volatile_file(const char *name)
{
	return !strncmp(name, "cpuacct.", 8) || !strncmp(name, "debug.", 6) ||
	       !strcmp(name, "tasks") || !strcmp(name, "cgroup.procs") ||
	       !strcmp(name, "cpuset.memory_pressure");
}

/* Reads all of @path in reads of @chunk bytes; returns the length or -errno. */
static ssize_t read_chunked(const char *path, char *buf, size_t size, size_t chunk)
{
	ssize_t len, total = 0;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (total < (ssize_t)size - 1 &&
	       (len = read(fd, buf + total, chunk < size - 1 - total ? chunk
			    : size - 1 - total)) > 0)
		total += len;
	close(fd);
	if (len < 0)
		return -errno;
	buf[total] = '\0';
	return total;
}

/* Reads @path from @off in one pread(); returns the length or -errno. */
static ssize_t read_at(const char *path, char *buf, size_t size, off_t off)
{
	ssize_t len;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = pread(fd, buf, size - 1, off);
	close(fd);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	return len;
}

enum wkind { W_PLAIN, W_SPLIT, W_OFFSET, W_NKINDS };
static const char * const wkind_name[] = { "plain", "split", "off" };

/*
 * Writes @in to @path: in one write(), in two or three write()s of one open
 * file, or with pwrite() at a non-zero offset. Returns the results of the
 * write calls ("0", "E22"...) in @res, and whether any was accepted.
 */
static int do_write(const char *path, const struct input *in, enum wkind kind,
		    unsigned long long *state, char *res, size_t size)
{
	size_t pos = 0, piece, cuts;
	int fd, ok = 0;
	ssize_t r;

	res[0] = '\0';
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		snprintf(res, size, "open:E%d", errno);
		return 0;
	}
	cuts = kind == W_SPLIT && in->len > 1 ? 2 + rnd(state) % 2 : 1;
	do {
		piece = cuts > 1 ? 1 + rnd(state) % (in->len - pos) : in->len - pos;
		if (cuts > 1 && piece == in->len - pos && piece > 1)
			piece--;
		if (kind == W_OFFSET)
			r = pwrite(fd, in->buf + pos, piece, 1 + rnd(state) % 5);
		else
			r = write(fd, in->buf + pos, piece);
		if (r < 0)
			snprintf(res + strlen(res), size - strlen(res), "%sE%d",
				 res[0] ? "," : "", errno);
		else
			snprintf(res + strlen(res), size - strlen(res), "%s%zd",
				 res[0] ? "," : "", r);
		ok |= r >= 0;
		pos += piece;
	} while (--cuts && pos < in->len);
	close(fd);
	return ok;
}

/*
 * Reads @path back: the whole content in @buf (returns its length or -errno),
 * and checks, for a file that does not change by itself, that reads of one
 * byte and reads from odd offsets see the same bytes.
 */
static ssize_t read_back(const char *path, int stable, char *buf, size_t size)
{
	static char other[PAGE * 4];
	ssize_t len, len1;
	off_t off;

	len = read_text(path, buf, size);
	if (len < 0 || !stable)
		return len;
	len1 = read_chunked(path, other, sizeof(other), 1);
	if (len1 != len || memcmp(buf, other, len))
		fail("%s: one-byte reads gave %zd bytes, one read %zd", path, len1, len);
	for (off = 1; off < len; off += 3) {
		len1 = read_at(path, other, sizeof(other), off);
		if (len1 != len - off || memcmp(buf + off, other, len1))
			fail("%s: pread at %ld gave %zd bytes, expected %zd", path,
			     (long)off, len1, len - off);
	}
	return len;
}

/* A set of answers as bits: bit 0 for success, bit e for errno e (63 for any above). */
static unsigned long long answer_bit(int err)
{
	return 1ULL << (err < 63 ? err : 63);
}

struct conc {
	const char *path;
	const struct input *ins;
	int nin;
	/* Per input: answer_bit()s of the answers seen. */
	const unsigned long long *seen;
	unsigned long long state;
	int bad, bad_errno;
};

static void *conc_writer(void *arg)
{
	struct conc *c = arg;
	int i, fd, k;
	ssize_t r;

	for (i = 0; i < NCONC; i++) {
		k = rnd(&c->state) % c->nin;
		fd = open(c->path, O_WRONLY);
		if (fd < 0)
			continue;
		r = write(fd, c->ins[k].buf, c->ins[k].len);
		if (!(c->seen[k] & answer_bit(r >= 0 ? 0 : errno))) {
			c->bad = k + 1;
			c->bad_errno = r >= 0 ? 0 : errno;
		}
		close(fd);
	}
	return NULL;
}

/* Moves this process (all its threads) to the root of the hierarchy at @mnt. */
static void go_home(const char *mnt)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/cgroup.procs", mnt);
	if (write_text(path, "0"))
		fail("cannot move back to %s", mnt);
}

static struct input ins[128];

/* What a read back shows in the transcript: the bytes if short, else a hash. */
static const char *shown(ssize_t len, int stable, const char *buf, char *out, size_t size)
{
	char tmp[100];

	if (len < 0)
		snprintf(out, size, "E%d", (int)-len);
	else if (!stable)
		snprintf(out, size, "ok");
	else if (len <= 24)
		snprintf(out, size, "[%s]", esc(buf, len, tmp, sizeof(tmp)));
	else
		snprintf(out, size, "%zd:%08x", len, fnv(buf, len));
	return out;
}

static void fuzz_file(const char *mnt, const char *group, const char *name)
{
	static char before[PAGE * 4], after[PAGE * 4], orig[PAGE * 4];
	char path[512], res[128], what[96], shownbuf[128];
	unsigned long long seen[128];
	struct conc conc[NTHREADS];
	pthread_t th[NTHREADS];
	int stable = !volatile_file(name), nin, i, ok;
	ssize_t olen, blen, alen;
	unsigned long long state;
	struct stat st;

	snprintf(path, sizeof(path), "%s%s%s/%s", mnt, *group ? "/" : "", group, name);
	if (stat(path, &st)) {
		fail("stat %s: %s", path, strerror(errno));
		return;
	}
	state = seed ^ ((unsigned long long)fnv(name, strlen(name)) << 16) ^ (*group ? 1 : 0);
	nin = make_inputs(ins, 128, &state);
	olen = read_text(path, orig, sizeof(orig));
	tr("file %s/%s mode %o read %s", *group ? group : ".", name, st.st_mode & 0777,
	   olen < 0 ? "error" : "ok");
	for (i = 0; i < nin; i++) {
		enum wkind kind = i < NPLAIN ? W_PLAIN : rnd(&state) % W_NKINDS;

		/* Longer than a page: in one write(2), where the length is checked. */
		if (ins[i].len > PAGE)
			kind = W_PLAIN;

		blen = stable ? read_text(path, before, sizeof(before)) : 0;
		ok = do_write(path, &ins[i], kind, &state, res, sizeof(res));
		seen[i] = 0;
		if (kind == W_PLAIN)
			seen[i] = answer_bit(ok ? 0 : atoi(strchr(res, 'E') ? strchr(res, 'E') + 1
							       : "63"));
		alen = read_back(path, stable, after, sizeof(after));
		if (stable && !ok && blen >= 0 &&
		    (alen != blen || memcmp(before, after, blen)))
			fail("%s: a failed write (%s) changed the file", path,
			     esc(ins[i].buf, ins[i].len, what, sizeof(what)));
		tr("w %s/%s #%d %s [%s] -> %s read %s", *group ? group : ".", name, i,
		   wkind_name[kind], esc(ins[i].buf, ins[i].len, what, sizeof(what)), res,
		   shown(alen, stable, after, shownbuf, sizeof(shownbuf)));
	}
	/*
	 * Concurrent writers, then the file as it was. A number written to tasks
	 * or cgroup.procs may name one of the writer threads: it may succeed.
	 */
	if (!strcmp(name, "tasks") || !strcmp(name, "cgroup.procs"))
		for (i = 0; i < NPLAIN; i++)
			seen[i] |= answer_bit(0) | answer_bit(ESRCH);
	for (i = 0; i < NTHREADS; i++) {
		conc[i] = (struct conc){ path, ins, NPLAIN, seen, state + i, 0 };
		pthread_create(&th[i], NULL, conc_writer, &conc[i]);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		if (conc[i].bad)
			fail("%s: a concurrent write of [%s] gave %d, not seen alone", path,
			     esc(ins[conc[i].bad - 1].buf, ins[conc[i].bad - 1].len, what,
				 sizeof(what)), -conc[i].bad_errno);
	}
	if (!strcmp(name, "tasks") || !strcmp(name, "cgroup.procs")) {
		go_home(mnt);
	} else if (stable && olen >= 0 && (st.st_mode & 0200)) {
		struct input in;

		input_set(&in, orig, olen ? olen : 1);
		if (!olen)
			in.buf[0] = '\n';
		do_write(path, &in, W_PLAIN, &state, res, sizeof(res));
		alen = read_text(path, after, sizeof(after));
		tr("restore %s/%s -> %s %s", *group ? group : ".", name, res,
		   shown(alen, 1, after, shownbuf, sizeof(shownbuf)));
	}
}

/* Fuzzes every file of @mnt/@group, in name order. */
static void fuzz_group(const char *mnt, const char *group)
{
	char dir[512], list[4096] = "";
	struct dirent **names;
	int n, i;

	snprintf(dir, sizeof(dir), "%s/%s", mnt, group);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fail("scandir %s: %s", dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++)
		if (names[i]->d_type == DT_REG)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), " %s",
				 names[i]->d_name);
	tr("ls %s:%s", *group ? group : ".", list);
	for (i = 0; i < n; i++) {
		if (names[i]->d_type == DT_REG)
			fuzz_file(mnt, group, names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* Prints what a group that cannot be removed holds, to see why. */
static void dump_group(const char *dir)
{
	static const char * const files[] = { "tasks", "cgroup.procs", "debug.taskcount",
					       "debug.cgroup_css_links", "freezer.state" };
	static char buf[PAGE * 4];
	char path[640];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (read_text(path, buf, sizeof(buf)) >= 0)
			printf("# %s:\n%s\n", path, buf);
	}
	if (read_text("/proc/self/cgroup", buf, sizeof(buf)) >= 0)
		printf("# /proc/self/cgroup:\n%s\n", buf);
	fflush(stdout);
}

/*
 * Fuzzes the files of a hierarchy mounted with @opts, in its root and in a
 * child. @ss names one of its controllers, or is NULL for a named hierarchy:
 * C removes a group asynchronously, and a hierarchy unmounted before its
 * removed groups are gone lives on with its controllers bound, so umount
 * waits for /proc/cgroups to count one group (a named hierarchy may stay:
 * a later mount of the same name reuses it).
 */
static void fuzz_hierarchy(const char *mnt, const char *opts, const char *ss)
{
	char path[512];
	int ret, i;

	ret = try_mount(mnt, opts);
	tr("hierarchy %s mount %d", opts, ret);
	if (ret) {
		fail("mount %s: %d", opts, ret);
		return;
	}
	snprintf(path, sizeof(path), "%s/f", mnt);
	if (mkdir(path, 0755))
		fail("mkdir %s: %s", path, strerror(errno));
	fuzz_group(mnt, "");
	fuzz_group(mnt, "f");
	go_home(mnt);
	/* Writes of FROZEN may have left f freezing: thaw it before rmdir. */
	snprintf(path, sizeof(path), "%s/f/freezer.state", mnt);
	if (!access(path, F_OK) && write_text(path, "THAWED"))
		fail("thaw %s", path);
	snprintf(path, sizeof(path), "%s/f", mnt);
	/*
	 * A writer thread that pthread_join() saw exit may not have left its
	 * group yet (the tid is cleared before the cgroup exit hook runs, in C
	 * as in ours): f may be populated for a moment.
	 */
	for (i = 0; i < 200 && rmdir(path) && errno == EBUSY; i++)
		usleep(10000);
	if (!access(path, F_OK)) {
		fail("%s cannot be removed", path);
		dump_group(path);
	}
	if (ss && wait_num_cgroups(ss, 1))
		fail("%s: the removed group is not gone", mnt);
	if (umount(mnt))
		fail("umount %s: %s", mnt, strerror(errno));
}

/* ------------------------------------------------------------------ mount options */

static const char * const tokens[] = {
	"none", "all", "noprefix", "clone_children", "xattr", "name=cgv1fz1", "name=cgv1fz2",
	"name=", "name=a.b", "name=bad/name", "name=bad\nname",
	"name=0123456789012345678901234567890123456789012345678901234567890123456789",
	"release_agent=/bin/true", "release_agent=", "cpuset", "cpuacct", "freezer", "debug",
	"cpuset_v2_mode", "junk", "", "=", "name", "release_agent", "none=1", "cpuset=1",
	"noprefix=1", "source=x", "rw", "ro", "nosuid",
};

#define NTOKENS ((int)ARRAY_SIZE(tokens))

/* Whether every line of @lines is a line of @of. */
static int lines_within(const char *lines, const char *of)
{
	char line[512], needle[520];
	const char *p, *nl;

	for (p = lines; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p) - 1;
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		snprintf(needle, sizeof(needle), "\n%s\n", line);
		if (strncmp(of, needle + 1, strlen(needle + 1)) && !strstr(of, needle))
			return 0;
		if (!nl[1])
			break;
	}
	return 1;
}

/*
 * Waits until /proc/self/cgroup names no hierarchy that @baseline did not (C
 * unmounts asynchronously). A hierarchy of @baseline may be gone: one that an
 * earlier test left alive for its removed groups dies when those are gone.
 */
static void wait_cgroup_lines(const char *baseline)
{
	char buf[4096];
	int i;

	for (i = 0; i < 500; i++) {
		if (read_text("/proc/self/cgroup", buf, sizeof(buf)) >= 0 &&
		    lines_within(buf, baseline))
			return;
		usleep(10000);
	}
	fail("/proc/self/cgroup names a hierarchy it did not:\n%s\nbefore:\n%s", buf,
	     baseline);
}

/* The options field of @dir's line in /proc/mounts, or "-". */
static void mount_opts_of(const char *dir, char *out, size_t size)
{
	static char buf[65536];
	char *l, *p, *save, needle[256], optsf[1024];

	snprintf(out, size, "-");
	if (read_text("/proc/mounts", buf, sizeof(buf)) < 0)
		return;
	snprintf(needle, sizeof(needle), " %s cgroup ", dir);
	for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		p = strstr(l, needle);
		if (p && sscanf(p + strlen(needle), "%1023s", optsf) == 1)
			snprintf(out, size, "%s", optsf);
	}
	/*
	 * "all" binds every controller the kernel has; the Rust kernel has one
	 * more than C (ns): leave it out, so that the transcripts compare.
	 */
	p = strstr(out, ",ns");
	if (p && (p[3] == ',' || !p[3]))
		memmove(p, p + 3, strlen(p + 3) + 1);
}

/* A random option string of one to four tokens. */
static void random_opts(unsigned long long *state, char *out, size_t size,
			const char **picked, int *n)
{
	int i;

	*n = 1 + rnd(state) % 4;
	out[0] = '\0';
	for (i = 0; i < *n; i++) {
		picked[i] = tokens[rnd(state) % NTOKENS];
		snprintf(out + strlen(out), size - strlen(out), "%s%s", i ? "," : "", picked[i]);
	}
}

/* ------------------------------------------------------------------ fsconfig */

#define FZ_SET_FLAG 0
#define FZ_SET_STRING 1
#define FZ_SET_BINARY 2
#define FZ_SET_PATH 3
#define FZ_SET_FD 5
#define FZ_CMD_CREATE 6

static int sys_fsopen(const char *fs, unsigned int flags)
{
	return syscall(__NR_fsopen, fs, flags);
}

static int sys_fsconfig(int fd, unsigned int cmd, const char *key, const void *val, int aux)
{
	return syscall(__NR_fsconfig, fd, cmd, key, val, aux);
}

static int sys_fsmount(int fd, unsigned int flags, unsigned int attrs)
{
	return syscall(__NR_fsmount, fd, flags, attrs);
}

/* ------------------------------------------------------------------ tests */

FIXTURE(fz) {
	char baseline[4096];
};

FIXTURE_SETUP(fz)
{
	int ret;

	seed = get_seed();
	transcript_open();
	printf("# fuzz seed %llu (CGV1_SEED=%llu reproduces it)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
	fflush(stdout);
	ret = make_mount_point(MNT_CPUSET);
	if (ret == -ENOENT)
		SKIP(return, "no /sys/fs/cgroup to mount on");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, make_mount_point(MNT_MISC));
	ASSERT_EQ(0, make_mount_point(MNT_NAMED));
	ASSERT_EQ(0, make_mount_point(MNT_M));
	ASSERT_LE(0, read_text("/proc/self/cgroup", self->baseline, sizeof(self->baseline)));
}

FIXTURE_TEARDOWN(fz)
{
}

/*
 * Every file of the root and of a child of a cpuset hierarchy, a
 * cpuacct+freezer+debug one and a named one, from inside a new pid namespace.
 */
TEST_F_TIMEOUT(fz, control_files, 600)
{
	pid_t pid;
	int status;

	ASSERT_EQ(0, unshare(CLONE_NEWPID));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		tr("seed %llu", (unsigned long long)seed);
		fuzz_hierarchy(MNT_CPUSET, "cpuset", "cpuset");
		wait_cgroup_lines(self->baseline);
		fuzz_hierarchy(MNT_MISC, "cpuacct,freezer,debug", "cpuacct");
		wait_cgroup_lines(self->baseline);
		fuzz_hierarchy(MNT_NAMED, "none,name=cgv1fuzz", NULL);
		_exit(failures ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Option strings of valid tokens, junk, duplicates and conflicting pairs, via mount(2). */
TEST_F_TIMEOUT(fz, mount_options, 600)
{
	unsigned long long state = seed ^ 0x6d6f756e74ULL;
	const char *picked[4];
	char opts[512], shown[1024], what[640];
	int i, n, ret;

	for (i = 0; i < NMOUNTS; i++) {
		random_opts(&state, opts, sizeof(opts), picked, &n);
		ret = mount("none", MNT_M, "cgroup", 0, opts) ? -errno : 0;
		mount_opts_of(MNT_M, shown, sizeof(shown));
		tr("mount [%s] -> %d %s", esc(opts, strlen(opts), what, sizeof(what)), ret,
		   shown);
		if (!ret) {
			/* A remount with the same options must be accepted. */
			ret = mount("none", MNT_M, "cgroup", MS_REMOUNT, opts) ? -errno : 0;
			tr("remount -> %d", ret);
			ASSERT_EQ(0, umount(MNT_M));
		}
		wait_cgroup_lines(self->baseline);
	}
	EXPECT_EQ(0, failures);
}

/*
 * The same through fsopen()/fsconfig(), with each key given as a flag, a
 * string, binary data, a path or a file descriptor (the shape of
 * CVE-2021-4154: a "source" given as a file descriptor).
 */
TEST_F_TIMEOUT(fz, fsconfig_options, 600)
{
	static const unsigned int cmds[] = { FZ_SET_STRING, FZ_SET_BINARY, FZ_SET_PATH,
					     FZ_SET_FD };
	unsigned long long state = seed ^ 0x6673636f6e66ULL;
	const char *picked[4];
	char opts[512], res[256], key[256], what[2048];
	int i, j, n, fd, mfd, nullfd, ret;

	nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, nullfd);
	for (i = 0; i < NFSCONFIG; i++) {
		random_opts(&state, opts, sizeof(opts), picked, &n);
		if (i % 8 == 0)
			picked[n < 4 ? n++ : 0] = "source=x";
		fd = sys_fsopen("cgroup", 0);
		ASSERT_LE(0, fd);
		res[0] = '\0';
		for (j = 0; j < n; j++) {
			const char *eq = strchr(picked[j], '=');
			unsigned int cmd = eq ? cmds[rnd(&state) % 4] : FZ_SET_FLAG;

			snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - picked[j])
				 : (int)strlen(picked[j]), picked[j]);
			if (!eq && rnd(&state) % 6 == 0)
				cmd = FZ_SET_STRING;
			if (cmd == FZ_SET_FD)
				ret = sys_fsconfig(fd, cmd, key, NULL, nullfd);
			else if (cmd == FZ_SET_BINARY)
				ret = sys_fsconfig(fd, cmd, key, eq + 1, strlen(eq + 1));
			else if (cmd == FZ_SET_PATH)
				ret = sys_fsconfig(fd, cmd, key, eq + 1, AT_FDCWD);
			else if (cmd == FZ_SET_STRING)
				ret = sys_fsconfig(fd, cmd, key, eq ? eq + 1 : "1", 0);
			else
				ret = sys_fsconfig(fd, cmd, key, NULL, 0);
			snprintf(res + strlen(res), sizeof(res) - strlen(res), " %u:%d", cmd,
				 ret ? -errno : 0);
		}
		ret = sys_fsconfig(fd, FZ_CMD_CREATE, NULL, NULL, 0) ? -errno : 0;
		mfd = ret ? -1 : sys_fsmount(fd, 0, 0);
		tr("fsconfig [%s]%s create %d fsmount %d",
		   esc(opts, strlen(opts), what, sizeof(what)), res, ret,
		   ret ? 0 : mfd < 0 ? -errno : 0);
		if (mfd >= 0)
			close(mfd);
		close(fd);
		wait_cgroup_lines(self->baseline);
	}
	close(nullfd);
	EXPECT_EQ(0, failures);
}

/* Group names: newlines, slashes, 255 and 256 bytes, . and .., names of files. */
TEST_F_TIMEOUT(fz, group_names, 300)
{
	char names[20][300], path[1024], to[1024], what[640];
	int i, n = 0, ret;

	snprintf(names[n++], 300, "a\nb");
	snprintf(names[n++], 300, "a\n");
	snprintf(names[n++], 300, "a/b");
	snprintf(names[n++], 300, ".");
	snprintf(names[n++], 300, "..");
	snprintf(names[n++], 300, "...");
	snprintf(names[n++], 300, " ");
	snprintf(names[n++], 300, "tasks");
	snprintf(names[n++], 300, "cgroup.procs");
	snprintf(names[n++], 300, "notify_on_release");
	snprintf(names[n++], 300, "-");
	snprintf(names[n++], 300, "a\tb\rc\\d\xff");
	snprintf(names[n++], 300, "g");
	memset(names[n], 'x', 255);
	names[n++][255] = '\0';
	memset(names[n], 'y', 256);
	names[n++][256] = '\0';

	ASSERT_EQ(0, try_mount(MNT_NAMED, "none,name=cgv1fuzz"));
	snprintf(path, sizeof(path), "%s/g", MNT_NAMED);
	ASSERT_EQ(0, mkdir(path, 0755));
	snprintf(path, sizeof(path), "%s/h", MNT_NAMED);
	ASSERT_EQ(0, mkdir(path, 0755));
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%.299s", MNT_NAMED, names[i]);
		ret = mkdir(path, 0755) ? -errno : 0;
		tr("mkdir [%s] -> %d", esc(names[i], strlen(names[i]), what, sizeof(what)), ret);
		if (!ret)
			EXPECT_EQ(0, rmdir(path));
		/* Rename h to the name, and back. */
		snprintf(to, sizeof(to), "%s/h", MNT_NAMED);
		ret = rename(to, path) ? -errno : 0;
		tr("rename h [%s] -> %d", what, ret);
		if (!ret)
			EXPECT_EQ(0, rename(path, to));
		/* Into another group: a move, which v1 does not allow. */
		snprintf(path, sizeof(path), "%s/g/%.299s", MNT_NAMED, names[i]);
		ret = rename(to, path) ? -errno : 0;
		tr("rename h g/[%s] -> %d", what, ret);
		if (!ret)
			EXPECT_EQ(0, rename(path, to));
	}
	/* A file is not renamed; nor is the root. */
	snprintf(path, sizeof(path), "%s/h/tasks", MNT_NAMED);
	snprintf(to, sizeof(to), "%s/h/tasks2", MNT_NAMED);
	tr("rename file -> %d", rename(path, to) ? -errno : 0);
	snprintf(to, sizeof(to), "%s-x", MNT_NAMED);
	tr("rename root -> %d", rename(MNT_NAMED, to) ? -errno : 0);
	snprintf(path, sizeof(path), "%s/g", MNT_NAMED);
	EXPECT_EQ(0, rmdir(path));
	snprintf(path, sizeof(path), "%s/h", MNT_NAMED);
	EXPECT_EQ(0, rmdir(path));
	EXPECT_EQ(0, umount(MNT_NAMED));
	EXPECT_EQ(0, failures);
}

TEST_HARNESS_MAIN
