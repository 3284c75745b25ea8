// SPDX-License-Identifier: GPL-2.0
/*
 * cgroup v1: notify_on_release and the release agent.
 *
 * The agent is a shell script that appends its arguments to a log. Every
 * expectation is the behaviour of the C implementation of the same kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../kselftest_harness.h"
#include "cgroup_v1_util.h"

#define MNT CGV1_DIR("cgv1-release")
#define AGENT "/tmp/cgv1-agent.sh"
#define AGENT_LOG "/tmp/cgv1-agent.log"
/* What the agent logs: "$# $1 $2 $HOME $PATH" for argv = {agent, path}. */
#define FIRED(path) "1 " path "  / /sbin:/bin:/usr/sbin:/usr/bin\n"

static void read_log(char *buf, size_t size)
{
	if (read_text(AGENT_LOG, buf, size) < 0)
		buf[0] = '\0';
}

/* Waits up to @ms for the agent log to equal @want; returns what it holds. */
static const char *wait_log(const char *want, int ms)
{
	static char buf[4096];

	for (; ms > 0; ms -= 20) {
		read_log(buf, sizeof(buf));
		if (!strcmp(buf, want))
			break;
		usleep(20000);
	}
	return buf;
}

FIXTURE(release) {
	int unused;
};

FIXTURE_SETUP(release)
{
	int fd;

	fd = open(AGENT, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "#!/bin/sh\necho \"$# $1 $2 $HOME $PATH\" >> %s\n", AGENT_LOG));
	close(fd);
	unlink(AGENT_LOG);
	ASSERT_EQ(0, make_mount_point(MNT));
	ASSERT_EQ(0, mount("none", MNT, "cgroup", 0,
			   "none,name=cgv1release,release_agent=" AGENT));
	ASSERT_EQ(0, mkdir(MNT "/g", 0755));
}

FIXTURE_TEARDOWN(release)
{
	rmdir(MNT "/p/c");
	rmdir(MNT "/p");
	rmdir(MNT "/g");
	umount(MNT);
	unlink(AGENT_LOG);
}

TEST_F(release, fires_when_last_task_exits)
{
	pid_t pid;

	ASSERT_EQ(0, write_text(MNT "/g/notify_on_release", "1"));
	pid = sleeper_in(MNT "/g/tasks");
	ASSERT_LT(0, pid);
	usleep(100000);
	EXPECT_STREQ("", wait_log("", 0));
	kill_and_reap(pid);
	EXPECT_STREQ(FIRED("/g"), wait_log(FIRED("/g"), 3000));
}

TEST_F(release, fires_when_last_task_moves_away)
{
	pid_t pid;

	ASSERT_EQ(0, write_text(MNT "/g/notify_on_release", "1"));
	pid = sleeper_in(MNT "/g/tasks");
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, write_pid(MNT "/tasks", pid));
	EXPECT_STREQ(FIRED("/g"), wait_log(FIRED("/g"), 3000));
	kill_and_reap(pid);
}

TEST_F(release, fires_when_last_child_is_removed)
{
	ASSERT_EQ(0, mkdir(MNT "/p", 0755));
	ASSERT_EQ(0, write_text(MNT "/p/notify_on_release", "1"));
	ASSERT_EQ(0, mkdir(MNT "/p/c", 0755));
	ASSERT_EQ(0, write_text(MNT "/p/c/notify_on_release", "0"));
	ASSERT_EQ(0, rmdir(MNT "/p/c"));
	EXPECT_STREQ(FIRED("/p"), wait_log(FIRED("/p"), 3000));
}

TEST_F(release, exactly_once_per_emptying)
{
	pid_t pid;

	ASSERT_EQ(0, write_text(MNT "/g/notify_on_release", "1"));
	pid = sleeper_in(MNT "/g/tasks");
	ASSERT_LT(0, pid);
	kill_and_reap(pid);
	wait_log(FIRED("/g"), 3000);
	usleep(500000);
	EXPECT_STREQ(FIRED("/g"), wait_log("", 0));
}

TEST_F(release, never_without_the_flag)
{
	pid_t pid = sleeper_in(MNT "/g/tasks");

	ASSERT_LT(0, pid);
	kill_and_reap(pid);
	EXPECT_STREQ("", wait_log("x", 1000));
}

TEST_F(release, never_with_an_empty_agent)
{
	pid_t pid;

	ASSERT_EQ(0, write_text(MNT "/release_agent", "\n"));
	ASSERT_EQ(0, write_text(MNT "/g/notify_on_release", "1"));
	pid = sleeper_in(MNT "/g/tasks");
	ASSERT_LT(0, pid);
	kill_and_reap(pid);
	EXPECT_STREQ("", wait_log("x", 1000));
}

TEST_F(release, setting_the_flag_on_an_empty_group_does_not_fire)
{
	ASSERT_EQ(0, write_text(MNT "/g/notify_on_release", "1"));
	EXPECT_STREQ("", wait_log("x", 1000));
}

TEST_F(release, agent_needs_the_initial_user_namespace)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		/* Root in a new user namespace has CAP_SYS_ADMIN only there. */
		if (unshare(CLONE_NEWUSER))
			_exit(10);
		_exit(write_text(MNT "/release_agent", "/bin/evil") == -EPERM ? 0 : 11);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
