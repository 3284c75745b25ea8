// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: the files in /proc that describe control groups.
 *
 * Formats are compared byte for byte with those of the C implementation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

static const char cgroups_header[] =
	"#subsys_name\thierarchy\tnum_cgroups\tenabled\n";

TEST(proc_cgroups_header)
{
	char buf[4096];

	ASSERT_LT(0, read_text("/proc/cgroups", buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, cgroups_header,
			     strlen(cgroups_header)));
}

TEST(proc_cgroups_lines)
{
	/* The fixed order of the controllers, ns last as in 2.6.24. */
	static const char * const order[] = { "cpuset", "cpuacct", "freezer", "debug", "ns" };
	char buf[4096], name[64], *line, *save;
	int hierarchy, num, enabled, fields, lines = 0, last = -1;
	int seen_cpuacct = 0, seen_debug = 0;

	ASSERT_LT(0, read_text("/proc/cgroups", buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, cgroups_header, strlen(cgroups_header)));
	line = strtok_r(buf + strlen(cgroups_header), "\n", &save);
	for (; line; line = strtok_r(NULL, "\n", &save), lines++) {
		char again[256];
		int known = 0;

		fields = sscanf(line, "%63s\t%d\t%d\t%d", name, &hierarchy,
				&num, &enabled);
		ASSERT_EQ(4, fields) TH_LOG("line: %s", line);
		snprintf(again, sizeof(again), "%s\t%d\t%d\t%d", name,
			 hierarchy, num, enabled);
		EXPECT_STREQ(again, line);
		EXPECT_LE(0, hierarchy);
		EXPECT_LE(1, num);
		EXPECT_EQ(1, enabled);
		for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
			if (!strcmp(name, order[i])) {
				EXPECT_LT(last, (int)i) TH_LOG("%s out of order", name);
				last = i;
				known = 1;
			}
		}
		EXPECT_TRUE(known) TH_LOG("unknown controller %s", name);
		seen_cpuacct += !strcmp(name, "cpuacct");
		seen_debug += !strcmp(name, "debug");
	}
	/* Both implementations are built with cpuacct and debug. */
	EXPECT_LE(2, lines);
	EXPECT_EQ(1, seen_cpuacct);
	EXPECT_EQ(1, seen_debug);
	TH_LOG("%d controllers", lines);
}

TEST(proc_cgroups_mode)
{
	struct stat st;

	ASSERT_EQ(0, stat("/proc/cgroups", &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST_HARNESS_MAIN
