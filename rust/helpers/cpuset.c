// SPDX-License-Identifier: GPL-2.0

#include <linux/cpuset.h>
#include <linux/sched/task.h>

void rust_helper_task_lock(struct task_struct *p)
{
	task_lock(p);
}

void rust_helper_task_unlock(struct task_struct *p)
{
	task_unlock(p);
}

void rust_helper_task_set_spread_page(struct task_struct *p)
{
	task_set_spread_page(p);
}

void rust_helper_task_clear_spread_page(struct task_struct *p)
{
	task_clear_spread_page(p);
}

void rust_helper_task_set_spread_slab(struct task_struct *p)
{
	task_set_spread_slab(p);
}

void rust_helper_task_clear_spread_slab(struct task_struct *p)
{
	task_clear_spread_slab(p);
}

bool rust_helper_in_interrupt(void)
{
	return in_interrupt();
}

#if defined(CONFIG_CPUSETS) || defined(CONFIG_RUST_CGROUP_CPUSET)
/* The sequence count of a task's mems_allowed (a macro over its type). */
void rust_helper_task_mems_write_begin(struct task_struct *p)
{
	write_seqcount_begin(&p->mems_allowed_seq);
}

void rust_helper_task_mems_write_end(struct task_struct *p)
{
	write_seqcount_end(&p->mems_allowed_seq);
}

unsigned int rust_helper_task_mems_read_begin(struct task_struct *p)
{
	return read_seqcount_begin(&p->mems_allowed_seq);
}

bool rust_helper_task_mems_read_retry(struct task_struct *p, unsigned int seq)
{
	return read_seqcount_retry(&p->mems_allowed_seq, seq);
}
#endif
