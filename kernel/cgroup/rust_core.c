// SPDX-License-Identifier: GPL-2.0
/*
 * What the Rust control-group core (rust/kernel/cgroup/) needs defined in C.
 *
 * The threadgroup rwsem: fork, exec and exit take it for reading
 * (cgroup_threadgroup_change_begin() and the core's fork hooks), task
 * migration and controller (un)binding for writing. A per-CPU rwsem defined at
 * build time needs the per-CPU storage that DEFINE_PERCPU_RWSEM declares,
 * which Rust cannot declare; the C implementation defines it in cgroup.c.
 *
 * The boot parameters cgroup_disable= and cgroup_no_v1=, which __setup()
 * registers from C: their values (every occurrence, joined with commas) are
 * kept until cgroup_init(), where the core parses them (not __initdata: Rust
 * code is not in .init.text).
 */
#include <linux/cgroup.h>
#include <linux/init.h>
#include <linux/percpu-rwsem.h>
#include <linux/string.h>

DEFINE_PERCPU_RWSEM(cgroup_threadgroup_rwsem);

char rust_cgroup_disable_param[RUST_CGROUP_PARAM_LEN];
char rust_cgroup_no_v1_param[RUST_CGROUP_PARAM_LEN];

static int __init rust_cgroup_keep_param(char *buf, const char *str)
{
	if (buf[0])
		strlcat(buf, ",", RUST_CGROUP_PARAM_LEN);
	strlcat(buf, str, RUST_CGROUP_PARAM_LEN);
	return 1;
}

static int __init rust_cgroup_disable(char *str)
{
	return rust_cgroup_keep_param(rust_cgroup_disable_param, str);
}
__setup("cgroup_disable=", rust_cgroup_disable);

static int __init rust_cgroup_no_v1(char *str)
{
	return rust_cgroup_keep_param(rust_cgroup_no_v1_param, str);
}
__setup("cgroup_no_v1=", rust_cgroup_no_v1);
