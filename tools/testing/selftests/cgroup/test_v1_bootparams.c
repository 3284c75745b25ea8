// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: the boot parameters cgroup_disable= and cgroup_no_v1=.
 *
 * The expectations come from the kernel command line (/proc/cmdline): a
 * controller named by cgroup_disable= shows "enabled 0" in /proc/cgroups and
 * cannot be bound (EINVAL); one named by cgroup_no_v1= stays enabled but
 * cannot be bound to a v1 hierarchy (EINVAL); cgroup_no_v1=named refuses
 * named hierarchies (ENOENT); a mount without controllers binds every other
 * one. Booted without those parameters, only the "enabled 1" of every
 * controller is checked. The harness boots the guest with
 * "cgroup_disable=freezer,ns cgroup_no_v1=cpuacct,named" to run all of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-boot")
#define MAX_SS 16

struct ss_line {
	char name[64];
	int hierarchy, num_cgroups, enabled;
};

/* The lines of /proc/cgroups; their number, or -1. */
static int read_proc_cgroups(struct ss_line *ss, int max)
{
	char buf[4096], *l, *save;
	int n = 0;

	if (read_text("/proc/cgroups", buf, sizeof(buf)) < 0)
		return -1;
	l = strtok_r(buf, "\n", &save);
	if (!l || strcmp(l, "#subsys_name\thierarchy\tnum_cgroups\tenabled"))
		return -1;
	while ((l = strtok_r(NULL, "\n", &save)) && n < max) {
		if (sscanf(l, "%63[^\t]\t%d\t%d\t%d", ss[n].name, &ss[n].hierarchy,
			   &ss[n].num_cgroups, &ss[n].enabled) != 4)
			return -1;
		n++;
	}
	return n;
}

/*
 * The value of every "@param=" on the kernel command line, joined with
 * commas, into @out (empty if none). Returns 0, or -1 if /proc/cmdline cannot
 * be read.
 */
static int cmdline_param(const char *param, char *out, size_t size)
{
	char buf[4096], *tok, *save;
	size_t plen = strlen(param);

	out[0] = '\0';
	if (read_text("/proc/cmdline", buf, sizeof(buf)) < 0)
		return -1;
	for (tok = strtok_r(buf, "\n ", &save); tok; tok = strtok_r(NULL, "\n ", &save)) {
		if (strncmp(tok, param, plen) || tok[plen] != '=')
			continue;
		if (out[0])
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, tok + plen + 1, size - strlen(out) - 1);
	}
	return 0;
}

/* Whether the comma-separated @list names @item (or "all", if @all counts). */
static int listed(const char *list, const char *item, int all)
{
	char copy[512], *tok, *save;

	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, item) || (all && !strcmp(tok, "all")))
			return 1;
	}
	return 0;
}

FIXTURE(boot) {
	char disable[512], no_v1[512];
	struct ss_line ss[MAX_SS];
	int nr_ss;
};

FIXTURE_SETUP(boot)
{
	ASSERT_EQ(0, cmdline_param("cgroup_disable", self->disable, sizeof(self->disable)));
	ASSERT_EQ(0, cmdline_param("cgroup_no_v1", self->no_v1, sizeof(self->no_v1)));
	self->nr_ss = read_proc_cgroups(self->ss, MAX_SS);
	ASSERT_LT(0, self->nr_ss) TH_LOG("/proc/cgroups");
	if (make_mount_point(MNT))
		SKIP(return, "no mount point under " CGV1_ROOT);
}

FIXTURE_TEARDOWN(boot)
{
	umount(MNT);
	rmdir(MNT);
}

/* /proc/cgroups: "enabled" is 0 exactly for the controllers cgroup_disable= names. */
TEST_F(boot, proc_cgroups_enabled)
{
	int i;

	for (i = 0; i < self->nr_ss; i++) {
		const struct ss_line *s = &self->ss[i];
		int disabled = listed(self->disable, s->name, 0);

		EXPECT_EQ(!disabled, s->enabled) TH_LOG("%s", s->name);
		if (disabled) {
			/* Never bound: the dummy hierarchy, with its one group. */
			EXPECT_EQ(0, s->hierarchy) TH_LOG("%s", s->name);
			EXPECT_EQ(1, s->num_cgroups) TH_LOG("%s", s->name);
		}
	}
}

/* A controller that is disabled, or kept off v1, cannot be bound: EINVAL. */
TEST_F(boot, refused_controllers)
{
	int i, tried = 0;

	for (i = 0; i < self->nr_ss; i++) {
		const char *name = self->ss[i].name;

		if (!listed(self->disable, name, 0) && !listed(self->no_v1, name, 1))
			continue;
		tried++;
		EXPECT_EQ(-EINVAL, try_mount(MNT, name)) TH_LOG("-o %s", name);
		umount(MNT);
	}
	if (!tried)
		SKIP(return, "no controller disabled or kept off v1 on this boot");
}

/* cgroup_no_v1=named: a named hierarchy is refused with ENOENT. */
TEST_F(boot, named_hierarchies)
{
	if (!listed(self->no_v1, "named", 0))
		SKIP(return, "booted without cgroup_no_v1=named");
	EXPECT_EQ(-ENOENT, try_mount(MNT, "none,name=cgv1boot"));
	umount(MNT);
}

/*
 * A mount without controllers binds every controller that is enabled and not
 * kept off v1, and no other; with none left, it fails with EINVAL. Only when
 * no controller is bound yet (a real machine's are).
 */
TEST_F(boot, mount_binds_the_others)
{
	struct ss_line after[MAX_SS];
	int i, n, expected = 0;

	if (!self->disable[0] && !self->no_v1[0])
		SKIP(return, "booted without cgroup_disable= or cgroup_no_v1=");
	for (i = 0; i < self->nr_ss; i++) {
		if (self->ss[i].hierarchy)
			SKIP(return, "%s is bound already", self->ss[i].name);
		if (self->ss[i].enabled && !listed(self->no_v1, self->ss[i].name, 1))
			expected++;
	}
	if (!expected) {
		EXPECT_EQ(-EINVAL, try_mount(MNT, ""));
		return;
	}
	ASSERT_EQ(0, try_mount(MNT, ""));
	n = read_proc_cgroups(after, MAX_SS);
	ASSERT_EQ(self->nr_ss, n);
	for (i = 0; i < n; i++) {
		int bound = after[i].enabled && !listed(self->no_v1, after[i].name, 1);

		EXPECT_EQ(bound, after[i].hierarchy != 0) TH_LOG("%s", after[i].name);
	}
	ASSERT_EQ(0, umount(MNT));
	for (i = 0; i < n; i++)
		if (after[i].hierarchy)
			EXPECT_EQ(0, wait_num_cgroups(after[i].name, 1));
}

TEST_HARNESS_MAIN
