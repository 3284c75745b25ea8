// SPDX-License-Identifier: GPL-2.0

#include <linux/cgroup.h>

#ifdef CONFIG_RUST_CGROUPS
void rust_helper_cgroup_threadgroup_change_begin(struct task_struct *tsk)
{
	cgroup_threadgroup_change_begin(tsk);
}

void rust_helper_cgroup_threadgroup_change_end(struct task_struct *tsk)
{
	cgroup_threadgroup_change_end(tsk);
}

bool rust_helper_cgroup_task_in_iowait(struct task_struct *p)
{
	return cgroup_task_in_iowait(p);
}
#endif
