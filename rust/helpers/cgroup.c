// SPDX-License-Identifier: GPL-2.0

#include <linux/cgroup.h>
#include <linux/percpu-rwsem.h>

#ifdef CONFIG_RUST_CGROUPS
/*
 * The read side is taken by fork, exec and exit (cgroup_threadgroup_change_begin()
 * and the Rust core's fork hooks), the write side by task migration. It is defined
 * here because a per-CPU rwsem defined at build time needs DEFINE_PERCPU_RWSEM's
 * per-CPU storage, which Rust cannot declare.
 */
DEFINE_PERCPU_RWSEM(cgroup_threadgroup_rwsem);

void rust_helper_cgroup_threadgroup_change_begin(struct task_struct *tsk)
{
	cgroup_threadgroup_change_begin(tsk);
}

void rust_helper_cgroup_threadgroup_change_end(struct task_struct *tsk)
{
	cgroup_threadgroup_change_end(tsk);
}
#endif
