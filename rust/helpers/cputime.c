// SPDX-License-Identifier: GPL-2.0

#include <linux/kernel_stat.h>
#include <linux/sched.h>
#include <linux/sched/cputime.h>

u64 rust_helper_kcpustat_cpu_field(unsigned int cpu, unsigned int index)
{
	return kcpustat_cpu(cpu).cpustat[index];
}

void rust_helper_prev_cputime_init(struct prev_cputime *prev)
{
	prev_cputime_init(prev);
}

unsigned int rust_helper_task_cpu(const struct task_struct *p)
{
	return task_cpu(p);
}
