// SPDX-License-Identifier: GPL-2.0
/*
 * What the Rust control-group core (rust/kernel/cgroup/) needs defined in C.
 *
 * The threadgroup rwsem: fork, exec and exit take it for reading
 * (cgroup_threadgroup_change_begin() and the core's fork hooks), task
 * migration and controller (un)binding for writing. A per-CPU rwsem defined at
 * build time needs the per-CPU storage that DEFINE_PERCPU_RWSEM declares,
 * which Rust cannot declare; the C implementation defines it in cgroup.c.
 */
#include <linux/cgroup.h>
#include <linux/percpu-rwsem.h>

DEFINE_PERCPU_RWSEM(cgroup_threadgroup_rwsem);
