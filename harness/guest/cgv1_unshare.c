// SPDX-License-Identifier: GPL-2.0
/*
 * cgv1_unshare: unshare(2) with the namespaces busybox's unshare lacks, then exec.
 *
 *   cgv1_unshare FLAGS PROG [ARGS...]
 *
 * FLAGS is a string of letters: C (cgroup namespace), u (UTS), i (IPC), m (mount).
 * The demo uses it for cgroup namespaces (CLONE_NEWCGROUP).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int flags = 0;
	const char *f;

	if (argc < 3) {
		fprintf(stderr, "usage: %s FLAGS PROG [ARGS...]\n", argv[0]);
		return 2;
	}
	for (f = argv[1]; *f; f++) {
		switch (*f) {
		case 'C': flags |= CLONE_NEWCGROUP; break;
		case 'u': flags |= CLONE_NEWUTS; break;
		case 'i': flags |= CLONE_NEWIPC; break;
		case 'm': flags |= CLONE_NEWNS; break;
		default:
			fprintf(stderr, "%s: unknown flag %c\n", argv[0], *f);
			return 2;
		}
	}
	if (unshare(flags)) {
		perror("unshare");
		return 1;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
